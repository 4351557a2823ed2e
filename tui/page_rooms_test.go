package tui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

func listRooms(t *testing.T, svc *core.Service) []core.Room {
	t.Helper()
	page, err := svc.ListRooms(context.Background(), asAdmin(t, svc), core.RoomQuery{ListOptions: core.ListOptions{MaxItems: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestRoomsEmptyState(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.mustSee("No rooms yet — press n to create one")

	addUser(t, svc, "member1", "room_member", false)
	m := newHarness(t, svc, "member1")
	m.mustSee("No rooms for you yet")
	m.mustNotSee("press n")
}

func TestRoomsFilterAndSort(t *testing.T) {
	svc, _ := newService(t)
	p := asAdmin(t, svc)
	for _, n := range []string{"Alpha standup", "Beta review", "Gamma retro"} {
		addRoom(t, svc, p, n)
	}
	h := newHarness(t, svc, "admin")
	h.mustSee("Alpha standup", "Beta review", "Gamma retro", "1/3")

	h.key("/")
	if !h.a.page().capturing() {
		t.Fatal("filter input does not capture keys")
	}
	h.typeText("bet")
	h.mustSee("Beta review", "1/1")
	h.mustNotSee("Alpha standup", "Gamma retro")
	// q typed into the filter is text, not quit.
	h.typeText("q")
	if h.quit {
		t.Fatal("q in the filter quit the control room")
	}
	h.mustSee("No rooms match \"betq\"")
	h.key("backspace")
	h.key("enter")
	h.mustSee("filter: bet", "Beta review")
	h.key("esc")
	// Clearing the filter keeps the selection on the room it was on.
	h.mustSee("Alpha standup", "Gamma retro", "/3 ")
	if sel := h.a.page().(*roomsPage).selected(); sel.room.RoomName != "Beta review" {
		t.Fatalf("selection moved to %q", sel.room.RoomName)
	}

	// The filter matches ids and owners too.
	h.key("/")
	h.typeText("ADMIN")
	h.mustSee("1/3", "Alpha standup", "Beta review", "Gamma retro")
	h.key("esc")

	h.key("s") // oldest first
	h.mustSee("sorted by oldest first")
	h.key("s") // name
	lines := strings.Split(h.view(), "\n")
	var order []string
	for _, l := range lines {
		for _, n := range []string{"Alpha standup", "Beta review", "Gamma retro"} {
			if strings.Contains(l, n) {
				order = append(order, n)
			}
		}
	}
	if strings.Join(order, ",") != "Alpha standup,Beta review,Gamma retro" {
		t.Fatalf("sorted by name: %v", order)
	}
}

func TestRoomsNavigation(t *testing.T) {
	svc, _ := newService(t)
	p := asAdmin(t, svc)
	for i := range 40 {
		addRoom(t, svc, p, "Room "+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	h := newHarness(t, svc, "admin")
	pg := h.a.page().(*roomsPage)
	h.key("j")
	h.key("j")
	if pg.table.cursor != 2 {
		t.Fatalf("cursor after jj = %d", pg.table.cursor)
	}
	h.key("G")
	h.mustSee("40/40")
	h.key("g")
	h.mustSee("1/40")
	h.key("pgdown")
	if pg.table.cursor == 0 {
		t.Fatal("pgdown did not move")
	}
	h.key("k")
	h.key("pgup")
	h.mustSee("1/40")
}

func TestCreateRoomForm(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	h.key("n")
	h.mustSee("New room", "Recording enabled", "Delete at")
	if !h.a.page().capturing() {
		t.Fatal("form does not capture keys")
	}
	// A name that is too long: core's 422 detail shows beside the field, and what was
	// typed stays.
	long := strings.Repeat("x", 51)
	h.typeText(long)
	h.key("ctrl+s")
	h.mustSee("must be at most 50 characters", "New room")
	if len(listRooms(t, svc)) != 0 {
		t.Fatal("an invalid room was created")
	}
	f := h.a.page().(*roomsPage).modal.(*form)
	if f.values().str("roomName") != long {
		t.Fatal("the form lost what was typed")
	}
	// A retention that is not a number is caught before core; a date too soon is core's.
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	h.typeText("Design crit q")
	for range 4 {
		h.key("tab")
	}
	h.key("backspace")
	h.typeText("ten")
	h.key("ctrl+s")
	h.mustSee("must be a whole number of days")
	h.key("backspace")
	h.key("backspace")
	h.key("backspace")
	h.typeText("30")
	for range 6 { // to "Delete at"
		h.key("tab")
	}
	h.typeText("+30m")
	h.key("ctrl+s")
	h.mustSee("must be at least one hour in the future")
	for range 4 {
		h.key("backspace")
	}
	h.typeText("+2h")
	h.key("ctrl+s")
	h.mustSee(`Room "Design crit q" created`)
	h.mustNotSee("New room")
	rooms := listRooms(t, svc)
	if len(rooms) != 1 || rooms[0].RoomName != "Design crit q" {
		t.Fatalf("rooms = %+v", rooms)
	}
	r := rooms[0]
	if r.Config.Recording.RetentionDays != 30 || r.AutoDeletionDate == nil || r.AutoDeletionPolicy.WithMeeting != "when_meeting_ends" {
		t.Fatalf("room = %+v", r)
	}
	// The list shows it through the bus, without a refresh.
	h.mustSee("Design crit q", "1/1")
}

func TestDeleteRoomConfirmDefaultsToNo(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Doomed room")
	h := newHarness(t, svc, "admin")
	h.key("d")
	h.mustSee("Delete room Doomed room? (y/N)", "withMeeting", "‹ refuse while a meeting is live ›", "If a meeting is live", "[ No ]")
	h.key("enter")
	if len(listRooms(t, svc)) != 1 {
		t.Fatal("enter on the dialog deleted the room")
	}
	h.mustNotSee("(y/N)")
	h.key("d")
	h.key("n")
	if len(listRooms(t, svc)) != 1 {
		t.Fatal("n deleted the room")
	}
	h.key("d")
	h.key("left") // select Yes
	h.mustSee("[ Yes ]")
	h.key("esc")
	h.key("d")
	h.key("y")
	if len(listRooms(t, svc)) != 0 {
		t.Fatal("y did not delete the room")
	}
	h.mustSee("Room Doomed room deleted", "No rooms yet")
}

func TestDeleteRoomConflictIsFlashed(t *testing.T) {
	svc, st := newService(t)
	r := addRoom(t, svc, asAdmin(t, svc), "Busy room")
	r.Status = core.StatusActiveMeeting // a meeting is live (no media side in this test)
	if err := st.UpdateRoom(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, svc, "admin")
	h.key("d")
	h.key("y")
	h.mustSee("cannot be deleted because it has an ac")
	if len(listRooms(t, svc)) != 1 {
		t.Fatal("room deleted despite the policy")
	}
	// With withMeeting=when_meeting_ends the deletion is scheduled instead.
	h.key("d")
	h.key("up")
	h.key("up")
	h.key("right")
	h.key("right")
	h.mustSee("‹ when the meeting ends ›")
	h.key("y")
	h.mustSee("will be deleted when its meeting ends")
}

func TestCopyLink(t *testing.T) {
	svc, _ := newService(t)
	r := addRoom(t, svc, asAdmin(t, svc), "Linked")
	h := newHarness(t, svc, "admin")
	h.key("y")
	h.mustSee("Copy which link?", "moderator link", "speaker link", "recording link", "user link")
	h.key("2")
	if want := svc.AccessURL(r, "speaker"); h.clipboard != want {
		t.Fatalf("clipboard = %q, want %q", h.clipboard, want)
	}
	h.mustSee("Copied the speaker link")
}

func TestRegenerateLink(t *testing.T) {
	svc, _ := newService(t)
	r := addRoom(t, svc, asAdmin(t, svc), "Rotating")
	h := newHarness(t, svc, "admin")
	h.key("R")
	h.mustSee("New link for Rotating")
	h.key("1")
	h.mustSee("Regenerate the moderator link? (y/N)")
	h.key("y")
	after := listRooms(t, svc)[0]
	if after.Access.Moderator.Secret == r.Access.Moderator.Secret || after.Access.Speaker.Secret != r.Access.Speaker.Secret {
		t.Fatal("the moderator link was not the one regenerated")
	}
	h.mustSee("New moderator link made")
}

func TestEditRoomRolesAndAccess(t *testing.T) {
	svc, _ := newService(t)
	addRoom(t, svc, asAdmin(t, svc), "Editable")
	h := newHarness(t, svc, "admin")
	h.key("e")
	h.key("3") // speaker permissions
	h.mustSee("Speaker permissions of Editable", "recordingDownload")
	// recordingDownload is the 6th key; speakers lack it by default.
	for range 5 {
		h.key("tab")
	}
	h.key("space")
	h.key("ctrl+s")
	h.mustSee("Speaker permissions saved")
	if r := listRooms(t, svc)[0]; !r.Roles.Speaker.Permissions.RecordingDownload {
		t.Fatal("speakers still cannot download")
	}
	h.key("e")
	h.key("4") // access
	h.key("tab")
	h.key("tab")
	h.key("tab")
	h.key("space") // user access on
	h.key("enter") // last field: submits
	if r := listRooms(t, svc)[0]; !r.Access.UserEnabled {
		t.Fatal("user access not switched on")
	}
	h.mustSee("Access saved")
	h.key("e")
	h.key("1")
	h.key("tab")
	h.key("tab")
	h.key("tab")
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	h.typeText("-4")
	h.key("ctrl+s")
	h.mustSee("must be between 0 (keep for ever) and 36500")
	h.key("esc")
	h.mustNotSee("Configuration of")
}

func TestRoomDetailMembers(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "bob_user", "room_member", false)
	r := addRoom(t, svc, asAdmin(t, svc), "Team room")
	h := newHarness(t, svc, "admin")
	h.key("enter")
	h.mustSee("Room Team room", "Access links", "moderator", "No members yet — press a to add one")

	// Add an internal member by userId.
	h.key("a")
	h.mustSee("Add a member", "User ID")
	h.key("tab")
	h.typeText("nobody_here")
	h.key("ctrl+s")
	h.mustSee(`User "nobody_here" not found`)
	h.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	h.typeText("bob_user")
	h.key("ctrl+s")
	h.mustSee("Bob_user added", "Members (1)", "bob_user")

	// Add an external person with an override.
	h.key("a")
	h.key("right") // external person
	h.mustSee("Name")
	h.mustNotSee("User ID")
	h.key("tab")
	h.typeText("Eve Guest")
	h.key("tab")
	h.key("right") // moderator
	h.key("ctrl+s")
	h.mustSee("Members (2)", "Eve Guest")

	// Edit bob: deny chatWrite.
	members, _, err := svc.ListMembers(context.Background(), asAdmin(t, svc), core.MemberQuery{RoomID: r.RoomID})
	if err != nil || len(members.Items) != 2 {
		t.Fatal(err, members)
	}
	pg := h.a.page().(*roomsPage)
	for i, m := range pg.detail.members {
		if m.m.MemberID == "bob_user" {
			pg.detail.table.setCursor(i)
		}
	}
	h.key("enter")
	h.mustSee("Edit member", "Bob_user (bob_user)")
	for range 17 { // base role, then 16 keys down to chatWrite
		h.key("tab")
	}
	h.key("right") // allow
	h.key("right") // deny
	h.key("ctrl+s")
	h.mustSee("Bob_user updated", "−Write in the chat")
	m, _, err := svc.GetMember(context.Background(), asAdmin(t, svc), r.RoomID, "bob_user")
	if err != nil || m.Custom["chatWrite"] != false || len(m.Custom) != 1 {
		t.Fatalf("member = %+v, %v", m, err)
	}

	// Remove bob, after confirmation.
	h.key("d")
	h.mustSee("Remove Bob_user? (y/N)")
	h.key("y")
	h.mustSee("Members (1)")
	h.mustNotSee("bob_user")

	// esc goes back to the list and never quits.
	h.key("esc")
	h.mustSee("Rooms", "1/1")
	h.key("esc")
	if h.quit {
		t.Fatal("esc quit")
	}
}

func TestSpeakerSeesNoManageKeys(t *testing.T) {
	svc, _ := newService(t)
	addUser(t, svc, "sam_speaker", "room_member", false)
	r := addRoom(t, svc, asAdmin(t, svc), "Lecture hall")
	if _, _, err := svc.AddMember(context.Background(), asAdmin(t, svc), r.RoomID, core.NewMember{UserID: "sam_speaker", BaseRole: "speaker"}); err != nil {
		t.Fatal(err)
	}
	addRoom(t, svc, asAdmin(t, svc), "Hidden room")
	h := newHarness(t, svc, "sam_speaker")
	h.mustSee("Lecture hall", "1/1", "1 Rooms", "2 Live", "3 Recordings", "4 Account")
	h.mustNotSee("Hidden room", "Users", "Audit")
	foot := h.footerLine()
	for _, k := range []string{"new room", "edit room", "delete room"} {
		if strings.Contains(foot, k) {
			t.Fatalf("footer offers %q to a speaker: %s", k, foot)
		}
	}
	h.key("?")
	h.mustNotSee("new room", "edit room", "delete room", "new link")
	h.key("esc")
	h.key("d")
	h.mustSee("Only the owner of \"Lecture hall\" and admins can do that")
	h.mustNotSee("(y/N)")
	h.key("n")
	h.mustSee("Only admins and room managers can create rooms")
	h.key("e")
	h.mustNotSee("Edit Lecture hall")

	h.key("enter")
	h.mustSee("Room Lecture hall", "member (speaker)", "Members are shown to the room's owner and admins")
	h.mustNotSee("secret=")
	for _, k := range []string{"add member", "remove member", "edit room"} {
		if strings.Contains(h.footerLine(), k) {
			t.Fatalf("detail footer offers %q to a speaker", k)
		}
	}
	h.key("a")
	h.mustSee("Only the owner of Lecture hall and admins can do that")
	h.mustNotSee("Add a member")
	// The only link a speaker may copy is the room's own url: copied at once.
	h.key("y")
	if h.clipboard != svc.RoomURL(r.RoomID) {
		t.Fatalf("clipboard = %q", h.clipboard)
	}
}

func TestRoomsLiveUpdates(t *testing.T) {
	svc, _ := newService(t)
	h := newHarness(t, svc, "admin")
	p := asAdmin(t, svc)
	r := addRoom(t, svc, p, "Made elsewhere")
	h.pump()
	h.mustSee("Made elsewhere")
	if _, _, err := svc.UpdateRoomStatus(context.Background(), p, r.RoomID, core.StatusClosed); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("closed")
	h.key("enter")
	if _, err := svc.DeleteRoom(context.Background(), p, r.RoomID, "", ""); err != nil {
		t.Fatal(err)
	}
	h.pump()
	h.mustSee("Room Made elsewhere was deleted", "No rooms yet")
}

func TestRoomNameWithEscapeIsSanitized(t *testing.T) {
	svc, st := newService(t)
	r := addRoom(t, svc, asAdmin(t, svc), "placeholder")
	// core refuses control characters in names; a row written by other means (an older
	// version, a restored backup) must still not reach the terminal raw.
	r.RoomName = "evil\x1b[2J\x1b]0;owned\x07name"
	if err := st.UpdateRoom(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, svc, "admin")
	raw := h.a.View().Content
	if strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\x1b]0;") || strings.Contains(raw, "\x07") {
		t.Fatal("the room name reached the terminal raw")
	}
	h.mustSee("evil␛[2J␛]0;owned␇name")
	h.key("enter")
	if raw := h.a.View().Content; strings.Contains(raw, "\x1b[2J") {
		t.Fatal("the detail shows the raw name")
	}
}

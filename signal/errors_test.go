package signal_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"conclave/conclavetest"
	"conclave/core"
	signalling "conclave/signal"
)

// TestErrorCodes checks the one table that turns core's refusals into signalling codes,
// with each refusal made by a real core, as a client would meet it.
func TestErrorCodes(t *testing.T) {
	svc, _ := conclavetest.Core(t, conclavetest.Config{})
	ctx := context.Background()
	admin := conclavetest.Admin(t, svc)
	room := conclavetest.Room(t, svc, "Codes")
	closed := conclavetest.Room(t, svc, "Closed")
	idle := conclavetest.Room(t, svc, "Idle")
	speakerTok := conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Speaker.Secret, "Sam")
	speaker := conclavetest.Member(t, svc, speakerTok)
	mod := conclavetest.Member(t, svc, conclavetest.JoinToken(t, svc, room.RoomID, room.Access.Moderator.Secret, "Mo"))
	lateTok := conclavetest.JoinToken(t, svc, closed.RoomID, closed.Access.Speaker.Secret, "Late")
	if _, _, err := svc.UpdateRoomStatus(ctx, admin, closed.RoomID, core.StatusClosed); err != nil {
		t.Fatal(err)
	}
	sam, err := svc.JoinMeeting(ctx, speaker, nil)
	if err != nil {
		t.Fatal(err)
	}
	mo, err := svc.JoinMeeting(ctx, mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, forged := svc.AuthenticateMemberToken(ctx, speakerTok+"x", conclavetest.Meta)
	_, _, badSecret := svc.IssueMemberToken(ctx, core.Anonymous(conclavetest.Meta), room.RoomID, core.MemberTokenRequest{Secret: "not-a-secret", JoinMeeting: true})
	_, _, badResume := svc.ResumeMeeting(ctx, speaker, "not the secret", nil)
	_, promoteMod := svc.ChangeParticipantRole(ctx, admin, room.RoomID, mo.Identity, core.RoleUpgrade)
	_, demoteSpeaker := svc.ChangeParticipantRole(ctx, admin, room.RoomID, sam.Identity, core.RoleDowngrade)
	_, doubleJoin := svc.JoinMeeting(ctx, speaker, nil)
	_, closedJoin := svc.JoinMeeting(ctx, conclavetest.Member(t, svc, lateTok), nil)
	_, configLive := svc.UpdateRoomConfig(ctx, admin, room.RoomID, core.ConfigPatch{ChatEnabled: new(bool)})

	for _, c := range []struct {
		what string
		err  error
		code string
	}{
		{"a closed room joined", closedJoin, "room_closed"},
		{"a participant joining twice", doubleJoin, "already_joined"},
		{"a kick of nobody", svc.KickParticipant(ctx, admin, room.RoomID, "anon-nobody"), "participant_not_found"},
		{"a mute in a room without a meeting", svc.MuteParticipant(ctx, admin, idle.RoomID, "anon-nobody", core.MediaAudio), "no_meeting"},
		{"promoting a moderator", promoteMod, "cannot_promote"},
		{"demoting someone never promoted", demoteSpeaker, "cannot_demote"},
		{"a resume with the wrong secret", badResume, "bad_resume"},
		{"a tampered token", forged, "unauthenticated"},
		{"a speaker kicking", svc.KickParticipant(ctx, speaker, room.RoomID, mo.Identity), "forbidden"},
		{"a mute of an unknown kind", svc.MuteParticipant(ctx, mod, room.RoomID, sam.Identity, "smell"), "bad_request"},
		{"a wrong room secret", badSecret, "bad_request"},
		{"a room that does not exist", svc.EndMeeting(ctx, admin, "nope-123456789012345"), "not_found"},
		// Refusals signalling has no code for, and failures nobody made on purpose, reach the
		// client as `internal` (and the log).
		{"a config change while live", configLive, ""},
		{"a failure of the store", fmt.Errorf("open database: %w", errors.New("disk I/O error")), ""},
	} {
		if c.err == nil {
			t.Errorf("%s: core did not refuse", c.what)
			continue
		}
		if got := signalling.ErrorCode(c.err); got != c.code {
			t.Errorf("%s (%v): code %q, want %q", c.what, c.err, got, c.code)
		}
		// Wrapping, as a caller may, changes nothing.
		if got := signalling.ErrorCode(fmt.Errorf("while acting: %w", c.err)); got != c.code {
			t.Errorf("%s wrapped: code %q, want %q", c.what, got, c.code)
		}
	}
}

// TestErrorCodesAreDocumented keeps docs/signalling.md honest: every code the table can
// give a client is listed there.
func TestErrorCodesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/signalling.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, sentinel := range []error{
		core.ErrRoomClosed, core.ErrAlreadyJoined, core.ErrParticipantNotFound, core.ErrNoMeeting,
		core.ErrCannotPromote, core.ErrCannotDemote, core.ErrBadResume, core.ErrUnauthenticated,
		core.ErrForbidden, core.ErrValidation, core.ErrBadRequest, core.ErrNotFound,
		core.ErrRecordingActive, core.ErrRecordingNotActive, core.ErrRecordingNoOne,
		core.ErrRecordingDisabled, core.ErrInsufficientStorage, core.ErrRecordingNotFound,
	} {
		code := signalling.ErrorCode(sentinel)
		if code == "" {
			t.Errorf("%v has no code", sentinel)
			continue
		}
		if !strings.Contains(string(doc), "`"+code+"`") {
			t.Errorf("code %q is not in docs/signalling.md", code)
		}
	}
}

package tui

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"conclave/core"
)

// Rooms table columns.
const (
	colRoomName = iota
	colRoomID
	colRoomOwner
	colRoomStatus
	colRoomCreated
	colRoomMembers
	roomCols
)

// roomRow is a room with its cells sanitized and formatted once, when it loads, so that
// drawing and filtering never redo that work.
type roomRow struct {
	room  core.Room
	cells [roomCols]string
	key   string // lower-case name, id and owner: what "/" searches
}

// makeRoomRow builds a room's row; members is its member count, -1 when the user does
// not manage the room (members are its owner's and admins' business).
func makeRoomRow(r core.Room, members int, loc *time.Location) roomRow {
	row := roomRow{room: r}
	row.cells[colRoomName] = sanitize(r.RoomName)
	row.cells[colRoomID] = sanitize(r.RoomID)
	row.cells[colRoomOwner] = sanitize(r.Owner)
	row.cells[colRoomStatus] = statusText(r.Status)
	row.cells[colRoomCreated] = time.UnixMilli(r.CreationDate).In(loc).Format("2006-01-02 15:04")
	row.cells[colRoomMembers] = "—"
	if members >= 0 {
		row.cells[colRoomMembers] = strconv.Itoa(members)
	}
	row.key = strings.ToLower(row.cells[colRoomName] + "\x00" + row.cells[colRoomID] + "\x00" + row.cells[colRoomOwner])
	return row
}

func statusText(s string) string {
	if s == core.StatusActiveMeeting {
		return "in meeting"
	}
	return sanitize(s)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// roomSort is one order of the rooms table; s cycles through them.
type roomSort struct {
	name string
	cmp  func(a, b *roomRow) int
}

var roomSorts = []roomSort{
	{"newest first", func(a, b *roomRow) int {
		return cmp.Or(cmp.Compare(b.room.CreationDate, a.room.CreationDate), strings.Compare(a.room.RoomID, b.room.RoomID))
	}},
	{"oldest first", func(a, b *roomRow) int {
		return cmp.Or(cmp.Compare(a.room.CreationDate, b.room.CreationDate), strings.Compare(a.room.RoomID, b.room.RoomID))
	}},
	{"name", func(a, b *roomRow) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.room.RoomID, b.room.RoomID))
	}},
	{"owner", func(a, b *roomRow) int {
		return cmp.Or(strings.Compare(a.room.Owner, b.room.Owner), strings.Compare(a.key, b.key))
	}},
	{"status", func(a, b *roomRow) int {
		return cmp.Or(strings.Compare(a.room.Status, b.room.Status), strings.Compare(a.key, b.key))
	}},
}

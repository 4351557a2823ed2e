package db

import (
	"context"
	"path/filepath"
	"testing"

	"conclave/core"
)

// openTest opens a fresh database in the test's temp dir, closed when the test ends.
func openTest(t testing.TB) *DB {
	t.Helper()
	d, err := Open(filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ptr[T any](v T) *T { return &v }

// sampleUser is a user with every field set to something other than its zero value.
func sampleUser(id string) *core.User {
	return &core.User{
		UserID: id, Name: "Name of " + id, Role: core.RoleRoomManager,
		PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", MustChangePassword: true,
		RegistrationDate: 1_700_000_000_000, RoleUpdatedAt: 1_700_000_000_001, TokenVersion: 3,
		Generation: "gen-of-" + id,
	}
}

// sampleRoom is a room with every field and sub-object set.
func sampleRoom(id string) *core.Room {
	return &core.Room{
		RoomID: id, RoomName: "Room " + id, Owner: "admin",
		CreationDate:       1_700_000_000_000,
		AutoDeletionDate:   ptr(int64(1_800_000_000_000)),
		AutoDeletionPolicy: core.AutoDeletionPolicy{WithMeeting: "when_meeting_ends", WithRecordings: "close"},
		Config: core.RoomConfig{
			Chat: core.EnabledFlag{Enabled: true},
			Recording: core.RecordingConfig{
				Enabled: true, AutoStart: true, Layout: "speaker", RetentionDays: 30,
				Encoding: map[string]any{"video": map[string]any{"width": float64(1280), "codec": "VP8"}},
			},
			VirtualBackground: core.EnabledFlag{Enabled: true},
			E2EE:              core.EnabledFlag{Enabled: false},
			Captions:          core.EnabledFlag{Enabled: true},
		},
		Roles: core.RoomRoles{
			Moderator: core.RolePermissions{Permissions: core.DefaultModerator()},
			Speaker:   core.RolePermissions{Permissions: core.DefaultSpeaker()},
		},
		Access: core.RoomAccess{
			Moderator:   core.AnonymousAccess{Enabled: true, Secret: "mod-secret"},
			Speaker:     core.AnonymousAccess{Enabled: false, Secret: "spk-secret"},
			Recording:   core.AnonymousAccess{Enabled: true, Secret: "rec-secret"},
			UserEnabled: true,
		},
		Status: core.StatusOpen, RolesUpdatedAt: 1_700_000_000_500,
		MeetingEndAction: core.EndActionClose, RolesVersion: 7,
	}
}

// sampleMember is a user member with custom permissions.
func sampleMember(roomID, userID string) *core.Member {
	return &core.Member{
		RoomID: roomID, MemberID: userID, Type: core.MemberTypeUser, Name: "Member " + userID,
		BaseRole:       core.BaseRoleSpeaker,
		Custom:         core.PermissionSet{"recordingDownload": true, "chatWrite": false},
		MembershipDate: 1_700_000_001_000, UpdatedAt: 1_700_000_002_000, Version: 2,
		Generation: "gen-of-" + userID + "@" + roomID,
	}
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

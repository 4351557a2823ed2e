-- Rooms and their members. Structured parts (config, roles, access, auto-deletion policy,
-- custom permissions) are JSON text: they are always read and written whole. Every column a
-- listing filters or sorts on is a real column with an index.

CREATE TABLE rooms (
    room_id              TEXT    NOT NULL PRIMARY KEY,
    room_name            TEXT    NOT NULL,
    owner                TEXT    NOT NULL,
    creation_date        INTEGER NOT NULL,
    auto_deletion_date   INTEGER,            -- NULL: never
    auto_deletion_policy TEXT    NOT NULL,   -- JSON core.AutoDeletionPolicy
    config               TEXT    NOT NULL,   -- JSON core.RoomConfig
    roles                TEXT    NOT NULL,   -- JSON core.RoomRoles
    access               TEXT    NOT NULL,   -- JSON core.RoomAccess
    access_user_enabled  INTEGER NOT NULL,   -- copy of access.userEnabled, for filtering
    status               TEXT    NOT NULL,
    roles_updated_at     INTEGER NOT NULL DEFAULT 0,
    meeting_end_action   TEXT    NOT NULL DEFAULT '',
    roles_version        INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX rooms_creation_date ON rooms (creation_date, room_id);
CREATE INDEX rooms_room_name ON rooms (room_name, room_id);
-- A room without an auto-deletion date is never deleted, so it sorts as the largest date:
-- last ascending, first descending. Indexing the very expression the queries order and
-- compare on keeps keyset paging a plain range scan; the janitor's "due by now" query uses
-- it too.
CREATE INDEX rooms_auto_deletion_date
    ON rooms (coalesce(auto_deletion_date, 9223372036854775807), room_id);
CREATE INDEX rooms_owner ON rooms (owner, creation_date, room_id);
CREATE INDEX rooms_status ON rooms (status);

-- member_id is the userId for internal members (type 'user') and 'ext-…' for external ones;
-- userIds never contain '-', so the two never collide. There is no foreign key to users:
-- guests are not users, and core removes a deleted user's memberships itself (it needs
-- their room ids to expel the user from live meetings, which a cascade would hide).
CREATE TABLE members (
    room_id         TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    member_id       TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    base_role       TEXT    NOT NULL,
    custom          TEXT    NOT NULL,   -- JSON core.PermissionSet
    membership_date INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, member_id)
) STRICT;

CREATE INDEX members_name ON members (room_id, name, member_id);
CREATE INDEX members_membership_date ON members (room_id, membership_date, member_id);
-- "Rooms where user X is a member" and removing a deleted user's memberships.
CREATE INDEX members_member_id ON members (member_id);

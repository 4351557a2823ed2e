-- The history of meetings: each room's meetings, who attended from when to when and from
-- where. Kept like the audit log: a meeting outlives its room (room_id is not a foreign
-- key) and is never changed but to record its end. end_date and left_at are 0 while the
-- meeting is live and the participant in it.
CREATE TABLE meetings (
    meeting_id TEXT    NOT NULL PRIMARY KEY,
    room_id    TEXT    NOT NULL,
    room_name  TEXT    NOT NULL,
    start_date INTEGER NOT NULL,
    end_date   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX meetings_room_start ON meetings (room_id, start_date, meeting_id);
CREATE INDEX meetings_open ON meetings (end_date) WHERE end_date = 0;

CREATE TABLE meeting_attendance (
    attendance_id TEXT    NOT NULL PRIMARY KEY,
    meeting_id    TEXT    NOT NULL, -- written before or after its meeting's row: no foreign key
    identity      TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    device        TEXT    NOT NULL,
    joined_at     INTEGER NOT NULL,
    left_at       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX meeting_attendance_meeting ON meeting_attendance (meeting_id, joined_at, attendance_id);

-- A meeting's participant acts (moderates, leaves) under an identity such as
-- member:anon-…@room; its display name is kept beside it so that a person can tell who.
ALTER TABLE audit ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';

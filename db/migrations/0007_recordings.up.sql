-- Recordings of meetings. A recording outlives its room's meetings and, with the
-- withRecordings policies, may outlive the room (core deletes them with it otherwise), so
-- room_id is not a foreign key. At most one recording per room is being made: the
-- partial unique index makes the database refuse a second one, whatever the caller.
CREATE TABLE recordings (
    recording_id TEXT    NOT NULL PRIMARY KEY,
    room_id      TEXT    NOT NULL,
    room_name    TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    layout       TEXT    NOT NULL,
    filename     TEXT    NOT NULL,
    start_date   INTEGER NOT NULL,
    end_date     INTEGER NOT NULL DEFAULT 0,
    duration     REAL    NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    details      TEXT    NOT NULL DEFAULT '',
    started_by   TEXT    NOT NULL DEFAULT '',
    dir          TEXT    NOT NULL,
    streams      TEXT    NOT NULL DEFAULT '[]'  -- JSON: the files, in manifest order
) STRICT;

CREATE UNIQUE INDEX recordings_one_live_per_room ON recordings (room_id)
    WHERE status IN ('starting', 'active', 'ending');
CREATE INDEX recordings_start ON recordings (start_date, recording_id);
CREATE INDEX recordings_room_start ON recordings (room_id, start_date, recording_id);
CREATE INDEX recordings_status ON recordings (status, start_date);

-- Share links of recordings and the recording access log (SPEC 7.3).
--
-- A share link is a capability to play (and maybe download) one recording. Only a
-- SHA-256 of its secret is kept (the secret has 190 random bits), and a bcrypt hash of its
-- optional password. A revoked link never works again: the trigger refuses to clear
-- revoked_at, whatever the caller.
CREATE TABLE recording_shares (
    link_id        TEXT    NOT NULL PRIMARY KEY,
    recording_id   TEXT    NOT NULL,
    room_id        TEXT    NOT NULL,
    secret_hash    BLOB    NOT NULL,
    access         TEXT    NOT NULL CHECK (access IN ('public', 'private')),
    password_hash  TEXT    NOT NULL DEFAULT '',
    allow_download INTEGER NOT NULL DEFAULT 0,
    expires_at     INTEGER NOT NULL DEFAULT 0,  -- epoch ms, 0 = never
    max_uses       INTEGER NOT NULL DEFAULT 0,  -- 0 = unlimited
    uses           INTEGER NOT NULL DEFAULT 0,
    last_used      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    created_by     TEXT    NOT NULL DEFAULT '',
    revoked_at     INTEGER NOT NULL DEFAULT 0,
    revoked_by     TEXT    NOT NULL DEFAULT '',
    origin         TEXT    NOT NULL DEFAULT 'share'
) STRICT;

CREATE INDEX recording_shares_recording ON recording_shares (recording_id, created_at, link_id);

CREATE TRIGGER recording_shares_stay_revoked BEFORE UPDATE OF revoked_at ON recording_shares
    WHEN OLD.revoked_at != 0 AND NEW.revoked_at != OLD.revoked_at
BEGIN
    SELECT raise(ABORT, 'a revoked share link stays revoked');
END;

-- The recording access log: every list, play, download, zip and share-link act, with who,
-- when, from where and with what device. Append-only like the audit log; AUTOINCREMENT so
-- that ids never restart (they are the listing's tie-break).
CREATE TABLE recording_access (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    time         INTEGER NOT NULL,
    recording_id TEXT    NOT NULL DEFAULT '',  -- '' for a listing
    room_id      TEXT    NOT NULL DEFAULT '',
    action       TEXT    NOT NULL,
    actor        TEXT    NOT NULL DEFAULT '',
    actor_kind   TEXT    NOT NULL DEFAULT '',
    link_id      TEXT    NOT NULL DEFAULT '',
    outcome      TEXT    NOT NULL DEFAULT 'success',
    source       TEXT    NOT NULL DEFAULT '',
    device       TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX recording_access_time ON recording_access (time);
CREATE INDEX recording_access_recording ON recording_access (recording_id, time);
CREATE INDEX recording_access_room ON recording_access (room_id, time);
CREATE INDEX recording_access_actor ON recording_access (actor, time);

CREATE TRIGGER recording_access_append_only BEFORE UPDATE ON recording_access
BEGIN
    SELECT raise(ABORT, 'the recording access log is append-only');
END;

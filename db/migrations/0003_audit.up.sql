-- The append-only audit log (SPEC 9). AUTOINCREMENT so that ids never restart, even after
-- retention emptied the table: an id names one event for ever (it is the listing tie-break
-- and what exports refer to).

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    time    INTEGER NOT NULL,
    actor   TEXT    NOT NULL DEFAULT '',
    action  TEXT    NOT NULL DEFAULT '',
    target  TEXT    NOT NULL DEFAULT '',
    outcome TEXT    NOT NULL DEFAULT '',
    source  TEXT    NOT NULL DEFAULT '',
    device  TEXT    NOT NULL DEFAULT '',
    detail  TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Every index ends in the rowid (id), which is the listing's tie-break.
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_actor ON audit (actor, time);
CREATE INDEX audit_action ON audit (action, time);
CREATE INDEX audit_target ON audit (target, time);

-- No path in the product edits an audit line, so an UPDATE is a bug (or tampering through
-- the product) and must fail loudly. DELETE is left to retention (DB.PruneAudit): a trigger
-- cannot tell a retention delete from any other, because SQLite has no session variables and
-- a trigger may not read a temp table.
CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
BEGIN
    SELECT raise(ABORT, 'audit log is append-only');
END;

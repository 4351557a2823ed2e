-- Control-room sessions (SPEC 8), over SSH or in the local terminal, each linked to its
-- asciicast recording by its id (the file data/sessions/<id>.cast) and to its start and
-- end in the audit log (target session:<id>). end_date is 0 while it runs.
CREATE TABLE term_sessions (
    session_id TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL, -- kept when the user is deleted, as the audit log keeps it
    role       TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    client     TEXT    NOT NULL,
    via        TEXT    NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    start_date INTEGER NOT NULL,
    end_date   INTEGER NOT NULL DEFAULT 0,
    recorded   INTEGER NOT NULL,
    size       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX term_sessions_start ON term_sessions (start_date, session_id);
CREATE INDEX term_sessions_open ON term_sessions (end_date) WHERE end_date = 0;

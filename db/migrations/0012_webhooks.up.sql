-- The webhook outbox (SPEC 12): each event to deliver, written in the transaction of the
-- change it announces, with its delivery's progress and outcome. Pending rows are what a
-- restart resumes; finished ones (delivered, failed, dropped) are kept, a bounded number,
-- as the delivery log admins read.
CREATE TABLE webhook_deliveries (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    event         TEXT    NOT NULL,
    creation_date INTEGER NOT NULL, -- epoch ms, the body's creationDate
    body          BLOB    NOT NULL, -- the JSON body, signed as sent
    status        TEXT    NOT NULL DEFAULT 'pending', -- pending | delivered | failed | dropped
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL DEFAULT 0, -- epoch ms; while pending
    url           TEXT    NOT NULL DEFAULT '', -- where the last attempt went
    status_code   INTEGER NOT NULL DEFAULT 0,  -- the last answer's HTTP status, 0 for none
    error         TEXT    NOT NULL DEFAULT '',
    latency_ms    INTEGER NOT NULL DEFAULT 0,  -- from creation to the outcome
    updated_at    INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (status, next_attempt, id);

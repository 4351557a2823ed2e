-- The recordings' trash (SPEC 7.3): a deleted recording keeps its row and its files until
-- purge_at, hidden from the normal listings, and can be restored meanwhile. trashed_at is
-- 0 for a recording that is not in the trash. A purged recording's row is deleted; the
-- audit log keeps its trail (recording.delete, recording.restore, recording.purge).
ALTER TABLE recordings ADD COLUMN trashed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recordings ADD COLUMN trashed_by TEXT    NOT NULL DEFAULT '';
ALTER TABLE recordings ADD COLUMN purge_at   INTEGER NOT NULL DEFAULT 0;

-- The janitor's "trash due for purge" query.
CREATE INDEX recordings_purge ON recordings (purge_at) WHERE trashed_at > 0;

-- Owner and status filters lead to the default sort, so "my rooms, newest first" and "open
-- rooms, newest first" are each one range scan. A bare status index looks selective to the
-- planner, which then reads and sorts every room of that status for every page.
DROP INDEX rooms_status;
CREATE INDEX rooms_status ON rooms (status, creation_date, room_id);

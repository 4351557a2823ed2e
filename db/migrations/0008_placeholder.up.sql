-- Placeholder holding version 0008 for the branch that owns it (merged separately): the
-- lead replaces this file with that branch's migration when merging first-tui.
SELECT 1;

-- Incarnations of users and members. token_version and members.version start over when a
-- userId is created again or a member is added again, so they alone cannot tell a token of
-- the earlier incarnation from one of the new. generation is random, set once when the row
-- is created and never updated; tokens carry it and are refused when it differs.
--
-- ADD COLUMN only takes a constant default, so existing rows get '' and then a random
-- generation each. Tokens issued before this migration carry none and are refused: every
-- signed-in user signs in again once, and room-member tokens are fetched again.
ALTER TABLE users ADD COLUMN generation TEXT NOT NULL DEFAULT '';
UPDATE users SET generation = lower(hex(randomblob(12)));

ALTER TABLE members ADD COLUMN generation TEXT NOT NULL DEFAULT '';
UPDATE members SET generation = lower(hex(randomblob(12)));

-- Identities and server settings. Every timestamp is epoch milliseconds. Tables are STRICT
-- so a value of the wrong type is refused instead of silently stored.

CREATE TABLE users (
    user_id              TEXT    NOT NULL PRIMARY KEY,
    name                 TEXT    NOT NULL,
    role                 TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    registration_date    INTEGER NOT NULL,
    role_updated_at      INTEGER NOT NULL DEFAULT 0,
    token_version        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Listing sorts (SPEC 11) with the primary key as tie-break, and the role filter.
CREATE INDEX users_registration_date ON users (registration_date, user_id);
CREATE INDEX users_name ON users (name, user_id);
CREATE INDEX users_role ON users (role);

CREATE TABLE api_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    hash          BLOB    NOT NULL,
    creation_date INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    last_used     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Keys are listed oldest first, and the oldest one signs webhooks.
CREATE INDEX api_keys_creation_date ON api_keys (creation_date, id);

-- A session cannot outlive its user: the cascade backs up core's DeleteUserSessions, so a
-- deleted user's refresh tokens stop working even if a code path forgets to end them.
CREATE TABLE sessions (
    id          TEXT    NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    refresh_jti TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    source      TEXT    NOT NULL DEFAULT '',
    device      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- SSH public keys of internal users, for public-key sign-in to the control room. A key is
-- found by the fingerprint of what the client offers; the whole key is compared after.
CREATE TABLE ssh_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    fingerprint TEXT    NOT NULL,   -- SHA256:… as ssh-keygen -lf prints it
    type        TEXT    NOT NULL,   -- ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …
    comment     TEXT    NOT NULL,
    public_key  BLOB    NOT NULL,   -- the key in SSH wire format
    added       INTEGER NOT NULL,
    last_used   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, fingerprint)
) STRICT;

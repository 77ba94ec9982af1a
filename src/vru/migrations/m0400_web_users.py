"""Web workbench: local user accounts and browser sessions.

Passwords are stored only as Argon2 hashes; session tokens only as SHA-256 digests (the cookie
holds the token, the database cannot be used to hijack a session). The audit log is not here: it
is an append-only, hash-chained file in the workspace's ``logs/`` folder (see vru.privacy.audit).
"""

SQL = """
CREATE SEQUENCE IF NOT EXISTS web_user_seq START 1;

CREATE TABLE web_users (
    user_id        BIGINT PRIMARY KEY,
    username       VARCHAR NOT NULL UNIQUE,
    full_name      VARCHAR,
    role           VARCHAR NOT NULL,     -- admin | analyst | partner | viewer
    agency         VARCHAR,              -- partner's own agency (matches crimes.reported_by)
    password_hash  VARCHAR NOT NULL,     -- Argon2id
    active         BOOLEAN NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP
);

CREATE TABLE web_sessions (
    token_hash  VARCHAR PRIMARY KEY,     -- sha256 of the cookie token
    user_id     BIGINT NOT NULL,
    csrf_token  VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked     BOOLEAN NOT NULL
);
"""


def up(con) -> None:
    con.execute(SQL)

-- +goose Up
CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    email_lower   TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    UNIQUE (workspace_id, email_lower)
);
CREATE INDEX users_email_lower ON users (email_lower);

CREATE TABLE workspace_memberships (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'support')),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX workspace_memberships_list ON workspace_memberships (workspace_id, id);

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode     BOOLEAN NOT NULL,
    name         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX accounts_list ON accounts (workspace_id, livemode, id);

CREATE TABLE permissions (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    is_default   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (workspace_id, slug),
    UNIQUE (workspace_id, id)
);
-- Exactly one default role per workspace: at most one by this index, at least
-- one because the store only ever moves the flag inside one transaction.
CREATE UNIQUE INDEX roles_one_default ON roles (workspace_id) WHERE is_default;

CREATE TABLE role_permissions (
    role_id        TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (role_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
);

CREATE TABLE account_memberships (
    id                      TEXT PRIMARY KEY,
    workspace_id            TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode                BOOLEAN NOT NULL,
    account_id              TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id                 TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_membership_id TEXT REFERENCES workspace_memberships (id) ON DELETE SET NULL,
    role_id                 TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('invited', 'active')),
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              DATETIME NOT NULL,
    updated_at              DATETIME NOT NULL,
    UNIQUE (account_id, user_id),
    FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id)
);
CREATE INDEX account_memberships_list ON account_memberships (account_id, id);
CREATE INDEX account_memberships_role ON account_memberships (role_id);
CREATE INDEX account_memberships_user ON account_memberships (user_id);

CREATE TABLE membership_permissions (
    membership_id  TEXT NOT NULL REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (membership_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
);
CREATE INDEX membership_permissions_key ON membership_permissions (workspace_id, permission_key);
CREATE INDEX role_permissions_key ON role_permissions (workspace_id, permission_key);

-- An invitation exists only while it is pending: accepting or revoking it
-- deletes the row, resending replaces its token hash.
CREATE TABLE invitations (
    membership_id   TEXT PRIMARY KEY REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode        BOOLEAN NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    inviter_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    created_at      DATETIME NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode     BOOLEAN NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('secret', 'publishable')),
    name         TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    expires_at   DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX api_keys_list ON api_keys (workspace_id, livemode, id);

CREATE TABLE events (
    id                  TEXT PRIMARY KEY,
    workspace_id        TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode            BOOLEAN NOT NULL,
    type                TEXT NOT NULL,
    actor_type          TEXT NOT NULL,
    actor_id            TEXT NOT NULL,
    account_id          TEXT,
    membership_id       TEXT,
    target_id           TEXT NOT NULL,
    data                TEXT NOT NULL,
    previous_attributes TEXT,
    request_id          TEXT NOT NULL DEFAULT '',
    created_at          DATETIME NOT NULL
);
CREATE INDEX events_list ON events (workspace_id, livemode, id);
CREATE INDEX events_account ON events (workspace_id, livemode, account_id, id);
CREATE INDEX events_membership ON events (workspace_id, livemode, membership_id, id);
CREATE INDEX events_type ON events (workspace_id, livemode, type, id);

CREATE TABLE idempotency_keys (
    workspace_id  TEXT NOT NULL,
    livemode      BOOLEAN NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    response_body TEXT,
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, livemode, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry DATETIME NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode     BOOLEAN NOT NULL,
    to_email     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    sent_at      DATETIME
);

CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE outbox;
DROP TABLE sessions;
DROP TABLE idempotency_keys;
DROP TABLE events;
DROP TABLE api_keys;
DROP TABLE invitations;
DROP TABLE membership_permissions;
DROP TABLE account_memberships;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE permissions;
DROP TABLE accounts;
DROP TABLE workspace_memberships;
DROP TABLE users;
DROP TABLE workspaces;

-- +goose Up
-- Every invitation, new person and event writes one B-tree less
-- (docs/performance.md, "SQLite: one B-tree per key"):
-- - A token is unique through invitation_token_lookup's primary key,
--   written in the same transaction as every invitation and every resend,
--   as on PostgreSQL (its 00015). The invitation's own UNIQUE (token_hash),
--   an index of random keys, goes.
-- - The lookups, each found by its key alone (a token's, an email's, a
--   secret's hash), are kept in that key (WITHOUT ROWID), as 00015 did for
--   the link tables.
-- - An event is always found by its workspace, mode and id. That index,
--   events_list, now unique, is its key, and the index of its id alone
--   goes. Ids are the server's (db.NewID), never a client's.
-- Nothing refers to these tables, so each is rebuilt under foreign keys:
-- its rows are checked again as they are copied.
CREATE TABLE invitations_new (
    membership_id   TEXT PRIMARY KEY REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode        BOOLEAN NOT NULL,
    token_hash      TEXT NOT NULL,
    inviter_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    created_at      DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO invitations_new (membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at)
    SELECT membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;

CREATE TABLE invitation_token_lookup_new (
    token_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    membership_id TEXT NOT NULL,
    expires_at    DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO invitation_token_lookup_new (token_hash, workspace_id, membership_id, expires_at)
    SELECT token_hash, workspace_id, membership_id, expires_at FROM invitation_token_lookup;
DROP TABLE invitation_token_lookup;
ALTER TABLE invitation_token_lookup_new RENAME TO invitation_token_lookup;
CREATE INDEX invitation_token_lookup_membership ON invitation_token_lookup (workspace_id, membership_id);
CREATE INDEX invitation_token_lookup_expires_at ON invitation_token_lookup (expires_at);

CREATE TABLE user_email_lookup_new (
    email_lower  TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (email_lower, workspace_id)
) WITHOUT ROWID;
INSERT INTO user_email_lookup_new (email_lower, workspace_id) SELECT email_lower, workspace_id FROM user_email_lookup;
DROP TABLE user_email_lookup;
ALTER TABLE user_email_lookup_new RENAME TO user_email_lookup;

CREATE TABLE api_key_lookup_new (
    secret_hash  TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO api_key_lookup_new (secret_hash, workspace_id, key_id) SELECT secret_hash, workspace_id, key_id FROM api_key_lookup;
DROP TABLE api_key_lookup;
ALTER TABLE api_key_lookup_new RENAME TO api_key_lookup;

CREATE TABLE events_new (
    id                  TEXT NOT NULL,
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
    created_at          DATETIME NOT NULL,
    actor_user_id       TEXT,
    actor_via           TEXT
);
INSERT INTO events_new (id, workspace_id, livemode, type, actor_type, actor_id, account_id, membership_id, target_id,
    data, previous_attributes, request_id, created_at, actor_user_id, actor_via)
    SELECT id, workspace_id, livemode, type, actor_type, actor_id, account_id, membership_id, target_id,
    data, previous_attributes, request_id, created_at, actor_user_id, actor_via FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE UNIQUE INDEX events_list ON events (workspace_id, livemode, id);
CREATE INDEX events_account ON events (workspace_id, livemode, account_id, id);
CREATE INDEX events_membership ON events (workspace_id, livemode, membership_id, id);
CREATE INDEX events_type ON events (workspace_id, livemode, type, id);

-- +goose Down
CREATE TABLE events_old (
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
    created_at          DATETIME NOT NULL,
    actor_user_id       TEXT,
    actor_via           TEXT
);
INSERT INTO events_old (id, workspace_id, livemode, type, actor_type, actor_id, account_id, membership_id, target_id,
    data, previous_attributes, request_id, created_at, actor_user_id, actor_via)
    SELECT id, workspace_id, livemode, type, actor_type, actor_id, account_id, membership_id, target_id,
    data, previous_attributes, request_id, created_at, actor_user_id, actor_via FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_list ON events (workspace_id, livemode, id);
CREATE INDEX events_account ON events (workspace_id, livemode, account_id, id);
CREATE INDEX events_membership ON events (workspace_id, livemode, membership_id, id);
CREATE INDEX events_type ON events (workspace_id, livemode, type, id);

CREATE TABLE api_key_lookup_old (
    secret_hash  TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL
);
INSERT INTO api_key_lookup_old (secret_hash, workspace_id, key_id) SELECT secret_hash, workspace_id, key_id FROM api_key_lookup;
DROP TABLE api_key_lookup;
ALTER TABLE api_key_lookup_old RENAME TO api_key_lookup;

CREATE TABLE user_email_lookup_old (
    email_lower  TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (email_lower, workspace_id)
);
INSERT INTO user_email_lookup_old (email_lower, workspace_id) SELECT email_lower, workspace_id FROM user_email_lookup;
DROP TABLE user_email_lookup;
ALTER TABLE user_email_lookup_old RENAME TO user_email_lookup;

CREATE TABLE invitation_token_lookup_old (
    token_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    membership_id TEXT NOT NULL,
    expires_at    DATETIME NOT NULL
);
INSERT INTO invitation_token_lookup_old (token_hash, workspace_id, membership_id, expires_at)
    SELECT token_hash, workspace_id, membership_id, expires_at FROM invitation_token_lookup;
DROP TABLE invitation_token_lookup;
ALTER TABLE invitation_token_lookup_old RENAME TO invitation_token_lookup;
CREATE INDEX invitation_token_lookup_membership ON invitation_token_lookup (workspace_id, membership_id);
CREATE INDEX invitation_token_lookup_expires_at ON invitation_token_lookup (expires_at);

CREATE TABLE invitations_old (
    membership_id   TEXT PRIMARY KEY REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode        BOOLEAN NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    inviter_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    created_at      DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO invitations_old (membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at)
    SELECT membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_old RENAME TO invitations;

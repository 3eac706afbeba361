-- +goose Up
-- A portal session's link (POST /v1/portal-sessions): a single-use token,
-- stored as its SHA-256, that signs one account's member into the hosted
-- members page for 5 minutes (db.ExchangePortalToken uses it once). Keyed
-- by workspace like every per-workspace row. SQLite keeps the keys of
-- its tables as they were (00008): the foreign keys name the id keys of
-- the account and the membership. No index leads with workspace_id alone
-- on account_memberships: SQLite, which has no statistics, would prefer
-- its equality on the workspace to an account's index and sort the whole
-- workspace for a page of one account (the bench's plan check says so).
CREATE TABLE portal_sessions (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    livemode      BOOLEAN NOT NULL,
    account_id    TEXT NOT NULL,
    membership_id TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    return_url    TEXT NOT NULL DEFAULT '',
    return_label  TEXT NOT NULL DEFAULT '',
    expires_at    DATETIME NOT NULL,
    used_at       DATETIME,
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    FOREIGN KEY (membership_id) REFERENCES account_memberships (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX portal_sessions_token ON portal_sessions (token_hash);
CREATE INDEX portal_sessions_membership ON portal_sessions (workspace_id, membership_id);
CREATE INDEX portal_sessions_account ON portal_sessions (workspace_id, account_id);
-- PurgeExpired drops the links that can no longer be opened.
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- +goose Down
DROP TABLE portal_sessions;

-- +goose Up
-- PostgreSQL's 00008 makes every key of a workspace's tables include
-- workspace_id, for Citus (docs/scaling.md). SQLite keeps its keys as they
-- are: it runs on one machine and is never distributed, and changing a
-- key in SQLite means rebuilding the table and every table that refers to
-- it, which risks the data for nothing it would gain. The statements are
-- shared by both dialects and name the workspace on both. What SQLite
-- needs of 00008 are its lookup tables, which those statements read and
-- write: the lookups that run before the workspace is known.
-- The invitation page and its acceptance: a token's hash → its invitation
-- (see PostgreSQL's 00008 for the rows that outlive theirs).
CREATE TABLE invitation_token_lookup (
    token_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    membership_id TEXT NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX invitation_token_lookup_membership ON invitation_token_lookup (workspace_id, membership_id);
CREATE INDEX invitation_token_lookup_expires_at ON invitation_token_lookup (expires_at);
INSERT INTO invitation_token_lookup (token_hash, workspace_id, membership_id, expires_at)
    SELECT token_hash, workspace_id, membership_id, expires_at FROM invitations;
-- Sign-in: an email → the workspaces where it is a user's.
CREATE TABLE user_email_lookup (
    email_lower  TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    PRIMARY KEY (email_lower, workspace_id)
);
INSERT INTO user_email_lookup (email_lower, workspace_id) SELECT email_lower, workspace_id FROM users;
-- A request's API key: its secret's hash → the key.
CREATE TABLE api_key_lookup (
    secret_hash  TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL
);
INSERT INTO api_key_lookup (secret_hash, workspace_id, key_id) SELECT secret_hash, workspace_id, id FROM api_keys;

-- +goose Down
DROP TABLE api_key_lookup;
DROP TABLE user_email_lookup;
DROP TABLE invitation_token_lookup;

-- +goose Up
-- The link that lets someone added to a workspace's staff without a
-- password set one (db/staff_join.go). It is found by its token's hash
-- before its workspace is known, like invitation_token_lookup: a
-- reference table when distributed (db.UndistributedTables).
CREATE TABLE staff_invitation_tokens (
    token_hash   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_invitation_tokens_user ON staff_invitation_tokens (workspace_id, user_id);

-- +goose Down
DROP TABLE staff_invitation_tokens;

-- +goose Up
-- The link that lets someone added to a workspace's staff without a
-- password set one (db/staff_join.go), found by its token's hash.
CREATE TABLE staff_invitation_tokens (
    token_hash   TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL,
    expires_at   DATETIME NOT NULL,
    created_at   DATETIME NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_invitation_tokens_user ON staff_invitation_tokens (workspace_id, user_id);

-- +goose Down
DROP TABLE staff_invitation_tokens;

-- +goose Up
-- The invitation of a membership is read by (workspace_id, membership_id),
-- its primary key, in every membership read. A second index of the table,
-- the uniqueness of its token (workspace_id, token_hash), served that
-- lookup by workspace alone just as cheaply in the planner's eyes while the
-- table was empty (a new workspace, or one whose invitations were all
-- accepted); a plan made then read every invitation of the workspace for
-- each membership once there were thousands. The primary key is now its
-- one index. A token stays unique: invitation_token_lookup, written in the
-- same transaction as every invitation and every resend, holds each
-- token's hash as its primary key.
ALTER TABLE invitations DROP CONSTRAINT invitations_token_hash_key;

-- +goose Down
ALTER TABLE invitations ADD CONSTRAINT invitations_token_hash_key UNIQUE (workspace_id, token_hash);

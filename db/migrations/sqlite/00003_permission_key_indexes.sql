-- +goose Up
-- The indexes that find who holds a permission (the foreign keys to the
-- catalog use them) lead with the key: led by the workspace, SQLite took
-- them to read a membership's or a role's permissions, which then read
-- every grant of the workspace.
DROP INDEX membership_permissions_key;
CREATE INDEX membership_permissions_key ON membership_permissions (permission_key, workspace_id);
DROP INDEX role_permissions_key;
CREATE INDEX role_permissions_key ON role_permissions (permission_key, workspace_id);

-- +goose Down
DROP INDEX role_permissions_key;
CREATE INDEX role_permissions_key ON role_permissions (workspace_id, permission_key);
DROP INDEX membership_permissions_key;
CREATE INDEX membership_permissions_key ON membership_permissions (workspace_id, permission_key);

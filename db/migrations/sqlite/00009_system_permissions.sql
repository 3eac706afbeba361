-- +goose Up
-- The three keys that mean something to Roster itself (db.SystemPermissions)
-- exist in every workspace: Bootstrap creates them, and this adds those a
-- workspace's staff deleted before they could not be.
INSERT INTO permissions (workspace_id, key, description, created_at)
SELECT w.id, s.key, s.description, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') FROM workspaces w
CROSS JOIN (SELECT 'members.read' AS key, 'See the members' AS description
    UNION ALL SELECT 'members.manage', 'Add, change and remove members'
    UNION ALL SELECT 'org.manage', 'Manage the organization''s settings') s
WHERE NOT EXISTS (SELECT 1 FROM permissions p WHERE p.workspace_id = w.id AND p.key = s.key);

-- An event caused by an account's member names the membership (actor_id)
-- and its user.
ALTER TABLE events ADD COLUMN actor_user_id TEXT;

-- A person's memberships across accounts (GET /v1/me, the user_id and
-- email filters of the memberships list), in id order.
CREATE INDEX account_memberships_user_list ON account_memberships (workspace_id, user_id, id);

-- +goose Down
DROP INDEX account_memberships_user_list;
ALTER TABLE events DROP COLUMN actor_user_id;

-- +goose NO TRANSACTION
-- +goose Up
-- Memberships over their whole life (docs/api.md, "Deactivate and
-- reactivate", "Memberships that end by themselves"): the statuses
-- inactive and expired, an expiry (expires_at) and when the member was
-- told it is near (expiring_notified_at).
--
-- SQLite cannot change a CHECK constraint, so the table is rebuilt. Its
-- DROP would delete every row that refers to a membership (ON DELETE
-- CASCADE), so foreign keys are off while it runs, which SQLite allows
-- only outside a transaction: this migration runs its own. The guard
-- refuses to go on when foreign keys are still on for the connection.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TEMP TABLE lifecycle_guard (foreign_keys_on INTEGER CHECK (foreign_keys_on = 0));
INSERT INTO lifecycle_guard SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE lifecycle_guard;
CREATE TABLE account_memberships_new (
    id                      TEXT PRIMARY KEY,
    workspace_id            TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode                BOOLEAN NOT NULL,
    account_id              TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id                 TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_membership_id TEXT REFERENCES workspace_memberships (id) ON DELETE SET NULL,
    role_id                 TEXT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('invited', 'active', 'inactive', 'expired')),
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              DATETIME NOT NULL,
    updated_at              DATETIME NOT NULL,
    expires_at              DATETIME,
    expiring_notified_at    DATETIME,
    UNIQUE (account_id, user_id),
    FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id)
);
INSERT INTO account_memberships_new (id, workspace_id, livemode, account_id, user_id, workspace_membership_id,
    role_id, status, version, created_at, updated_at)
    SELECT id, workspace_id, livemode, account_id, user_id, workspace_membership_id,
    role_id, status, version, created_at, updated_at FROM account_memberships;
DROP TABLE account_memberships;
ALTER TABLE account_memberships_new RENAME TO account_memberships;
CREATE INDEX account_memberships_list ON account_memberships (account_id, id);
CREATE INDEX account_memberships_role ON account_memberships (role_id);
CREATE INDEX account_memberships_user ON account_memberships (user_id);
CREATE INDEX account_memberships_status_list ON account_memberships (account_id, status, id);
CREATE INDEX account_memberships_role_list ON account_memberships (account_id, role_id, id);
CREATE INDEX account_memberships_user_list ON account_memberships (workspace_id, user_id, id);
-- The sweeper's: active memberships by expiry, and those whose member has
-- not been told yet.
CREATE INDEX account_memberships_expiry ON account_memberships (expires_at)
    WHERE status = 'active' AND expires_at IS NOT NULL;
CREATE INDEX account_memberships_expiring ON account_memberships (expires_at)
    WHERE status = 'active' AND expires_at IS NOT NULL AND expiring_notified_at IS NULL;
-- Lists filtered by status=expired or expires_before walk an account's
-- memberships that have an expiry, in id order.
CREATE INDEX account_memberships_expiry_list ON account_memberships (account_id, id)
    WHERE expires_at IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TEMP TABLE lifecycle_guard (foreign_keys_on INTEGER CHECK (foreign_keys_on = 0));
INSERT INTO lifecycle_guard SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE lifecycle_guard;
CREATE TABLE account_memberships_old (
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
-- Inactive and expired memberships, which the old schema cannot hold, go.
INSERT INTO account_memberships_old (id, workspace_id, livemode, account_id, user_id, workspace_membership_id,
    role_id, status, version, created_at, updated_at)
    SELECT id, workspace_id, livemode, account_id, user_id, workspace_membership_id,
    role_id, status, version, created_at, updated_at FROM account_memberships WHERE status IN ('invited', 'active');
DELETE FROM membership_permissions WHERE membership_id NOT IN (SELECT id FROM account_memberships_old);
DELETE FROM invitations WHERE membership_id NOT IN (SELECT id FROM account_memberships_old);
DELETE FROM outbox WHERE membership_id IS NOT NULL AND membership_id NOT IN (SELECT id FROM account_memberships_old);
DELETE FROM portal_sessions WHERE membership_id NOT IN (SELECT id FROM account_memberships_old);
DROP TABLE account_memberships;
ALTER TABLE account_memberships_old RENAME TO account_memberships;
CREATE INDEX account_memberships_list ON account_memberships (account_id, id);
CREATE INDEX account_memberships_role ON account_memberships (role_id);
CREATE INDEX account_memberships_user ON account_memberships (user_id);
CREATE INDEX account_memberships_status_list ON account_memberships (account_id, status, id);
CREATE INDEX account_memberships_role_list ON account_memberships (account_id, role_id, id);
CREATE INDEX account_memberships_user_list ON account_memberships (workspace_id, user_id, id);
COMMIT;
PRAGMA foreign_keys = ON;

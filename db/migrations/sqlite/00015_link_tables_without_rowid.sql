-- +goose Up
-- The tables every membership read looks into, whose rows are small and
-- found by their primary key, are kept in it (WITHOUT ROWID): a lookup
-- reads one B-tree instead of the key's index and then the table, and a
-- direct permission granted writes one B-tree less. Nothing refers to
-- them, so each is rebuilt under foreign keys: its rows are checked again
-- as they are copied.
CREATE TABLE membership_permissions_new (
    membership_id  TEXT NOT NULL REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (membership_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
) WITHOUT ROWID;
INSERT INTO membership_permissions_new (membership_id, workspace_id, permission_key)
    SELECT membership_id, workspace_id, permission_key FROM membership_permissions;
DROP TABLE membership_permissions;
ALTER TABLE membership_permissions_new RENAME TO membership_permissions;
CREATE INDEX membership_permissions_key ON membership_permissions (permission_key, workspace_id);

CREATE TABLE role_permissions_new (
    role_id        TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (role_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
) WITHOUT ROWID;
INSERT INTO role_permissions_new (role_id, workspace_id, permission_key)
    SELECT role_id, workspace_id, permission_key FROM role_permissions;
DROP TABLE role_permissions;
ALTER TABLE role_permissions_new RENAME TO role_permissions;
CREATE INDEX role_permissions_key ON role_permissions (permission_key, workspace_id);

CREATE TABLE invitations_new (
    membership_id   TEXT PRIMARY KEY REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode        BOOLEAN NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    inviter_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    created_at      DATETIME NOT NULL
) WITHOUT ROWID;
INSERT INTO invitations_new (membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at)
    SELECT membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;

-- +goose Down
CREATE TABLE membership_permissions_old (
    membership_id  TEXT NOT NULL REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (membership_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
);
INSERT INTO membership_permissions_old (membership_id, workspace_id, permission_key)
    SELECT membership_id, workspace_id, permission_key FROM membership_permissions;
DROP TABLE membership_permissions;
ALTER TABLE membership_permissions_old RENAME TO membership_permissions;
CREATE INDEX membership_permissions_key ON membership_permissions (permission_key, workspace_id);

CREATE TABLE role_permissions_old (
    role_id        TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL,
    permission_key TEXT NOT NULL,
    PRIMARY KEY (role_id, permission_key),
    FOREIGN KEY (workspace_id, permission_key) REFERENCES permissions (workspace_id, key)
);
INSERT INTO role_permissions_old (role_id, workspace_id, permission_key)
    SELECT role_id, workspace_id, permission_key FROM role_permissions;
DROP TABLE role_permissions;
ALTER TABLE role_permissions_old RENAME TO role_permissions;
CREATE INDEX role_permissions_key ON role_permissions (permission_key, workspace_id);

CREATE TABLE invitations_old (
    membership_id   TEXT PRIMARY KEY REFERENCES account_memberships (id) ON DELETE CASCADE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    livemode        BOOLEAN NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    inviter_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    expires_at      DATETIME NOT NULL,
    created_at      DATETIME NOT NULL
);
INSERT INTO invitations_old (membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at)
    SELECT membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_old RENAME TO invitations;

-- +goose Up
-- Ready for Citus, distributed by workspace_id (docs/scaling.md): every
-- primary key and unique constraint of a workspace's tables includes
-- workspace_id, and every foreign key between them pairs workspace_id with
-- workspace_id, so that each workspace's rows, and the rules between them,
-- stay on one node. db.UndistributedTables lists the tables that are not
-- a workspace's.

-- The foreign keys between a workspace's tables go first: they depend on
-- the keys they refer to.
ALTER TABLE workspace_memberships DROP CONSTRAINT workspace_memberships_user_id_fkey;
ALTER TABLE role_permissions DROP CONSTRAINT role_permissions_role_id_fkey;
ALTER TABLE account_memberships
    DROP CONSTRAINT account_memberships_account_id_fkey,
    DROP CONSTRAINT account_memberships_user_id_fkey,
    DROP CONSTRAINT account_memberships_workspace_id_role_id_fkey,
    DROP CONSTRAINT account_memberships_workspace_membership_id_fkey;
ALTER TABLE membership_permissions DROP CONSTRAINT membership_permissions_membership_id_fkey;
ALTER TABLE invitations
    DROP CONSTRAINT invitations_membership_id_fkey,
    DROP CONSTRAINT invitations_inviter_user_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_membership_id_fkey;

-- (workspace_id, id) keys; the (workspace_id, id) indexes they replace go.
ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE workspace_memberships DROP CONSTRAINT workspace_memberships_pkey, ADD PRIMARY KEY (workspace_id, id);
DROP INDEX workspace_memberships_list;
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey, ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE roles
    DROP CONSTRAINT roles_pkey,
    DROP CONSTRAINT roles_workspace_id_id_key,
    ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE role_permissions DROP CONSTRAINT role_permissions_pkey, ADD PRIMARY KEY (workspace_id, role_id, permission_key);
ALTER TABLE account_memberships
    DROP CONSTRAINT account_memberships_pkey,
    DROP CONSTRAINT account_memberships_account_id_user_id_key,
    ADD PRIMARY KEY (workspace_id, id),
    ADD CONSTRAINT account_memberships_account_id_user_id_key UNIQUE (workspace_id, account_id, user_id);
ALTER TABLE membership_permissions DROP CONSTRAINT membership_permissions_pkey,
    ADD PRIMARY KEY (workspace_id, membership_id, permission_key);
ALTER TABLE invitations
    DROP CONSTRAINT invitations_pkey,
    DROP CONSTRAINT invitations_token_hash_key,
    ADD PRIMARY KEY (workspace_id, membership_id),
    ADD CONSTRAINT invitations_token_hash_key UNIQUE (workspace_id, token_hash);
ALTER TABLE api_keys
    DROP CONSTRAINT api_keys_pkey,
    DROP CONSTRAINT api_keys_secret_hash_key,
    ADD PRIMARY KEY (workspace_id, id),
    ADD CONSTRAINT api_keys_secret_hash_key UNIQUE (workspace_id, secret_hash);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, ADD PRIMARY KEY (workspace_id, id);

-- The foreign keys again, each with workspace_id on both sides and its
-- ON DELETE as it was, under its old name (the stores tell violations
-- apart by it). SET NULL names the column it empties: workspace_id stays.
ALTER TABLE workspace_memberships ADD CONSTRAINT workspace_memberships_user_id_fkey
    FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE;
ALTER TABLE role_permissions ADD CONSTRAINT role_permissions_role_id_fkey
    FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id) ON DELETE CASCADE;
ALTER TABLE account_memberships
    ADD CONSTRAINT account_memberships_account_id_fkey
        FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT account_memberships_user_id_fkey
        FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT account_memberships_workspace_id_role_id_fkey
        FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id),
    ADD CONSTRAINT account_memberships_workspace_membership_id_fkey
        FOREIGN KEY (workspace_id, workspace_membership_id) REFERENCES workspace_memberships (workspace_id, id)
        ON DELETE SET NULL (workspace_membership_id);
ALTER TABLE membership_permissions ADD CONSTRAINT membership_permissions_membership_id_fkey
    FOREIGN KEY (workspace_id, membership_id) REFERENCES account_memberships (workspace_id, id) ON DELETE CASCADE;
ALTER TABLE invitations
    ADD CONSTRAINT invitations_membership_id_fkey
        FOREIGN KEY (workspace_id, membership_id) REFERENCES account_memberships (workspace_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT invitations_inviter_user_id_fkey
        FOREIGN KEY (workspace_id, inviter_user_id) REFERENCES users (workspace_id, id) ON DELETE SET NULL (inviter_user_id);
ALTER TABLE outbox ADD CONSTRAINT outbox_membership_id_fkey
    FOREIGN KEY (workspace_id, membership_id) REFERENCES account_memberships (workspace_id, id) ON DELETE CASCADE;

-- Lookups that run before the workspace is known, one small table each
-- (Citus reference tables), written in the transaction that writes the
-- row they index; the row itself is then read with its workspace.
-- The invitation page and its acceptance: a token's hash → its invitation.
-- A row outlives its invitation when a cascade removes it (its account
-- deleted): the invitation is then not found, as for a spent token, and
-- PurgeExpired drops the row when the invitation would have expired.
CREATE TABLE invitation_token_lookup (
    token_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    membership_id TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
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

ALTER TABLE outbox DROP CONSTRAINT outbox_membership_id_fkey;
ALTER TABLE invitations
    DROP CONSTRAINT invitations_membership_id_fkey,
    DROP CONSTRAINT invitations_inviter_user_id_fkey;
ALTER TABLE membership_permissions DROP CONSTRAINT membership_permissions_membership_id_fkey;
ALTER TABLE account_memberships
    DROP CONSTRAINT account_memberships_account_id_fkey,
    DROP CONSTRAINT account_memberships_user_id_fkey,
    DROP CONSTRAINT account_memberships_workspace_id_role_id_fkey,
    DROP CONSTRAINT account_memberships_workspace_membership_id_fkey;
ALTER TABLE role_permissions DROP CONSTRAINT role_permissions_role_id_fkey;
ALTER TABLE workspace_memberships DROP CONSTRAINT workspace_memberships_user_id_fkey;

ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, ADD PRIMARY KEY (id);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (id);
ALTER TABLE api_keys
    DROP CONSTRAINT api_keys_pkey,
    DROP CONSTRAINT api_keys_secret_hash_key,
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash);
ALTER TABLE invitations
    DROP CONSTRAINT invitations_pkey,
    DROP CONSTRAINT invitations_token_hash_key,
    ADD PRIMARY KEY (membership_id),
    ADD CONSTRAINT invitations_token_hash_key UNIQUE (token_hash);
ALTER TABLE membership_permissions DROP CONSTRAINT membership_permissions_pkey, ADD PRIMARY KEY (membership_id, permission_key);
ALTER TABLE account_memberships
    DROP CONSTRAINT account_memberships_pkey,
    DROP CONSTRAINT account_memberships_account_id_user_id_key,
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT account_memberships_account_id_user_id_key UNIQUE (account_id, user_id);
ALTER TABLE role_permissions DROP CONSTRAINT role_permissions_pkey, ADD PRIMARY KEY (role_id, permission_key);
ALTER TABLE roles
    DROP CONSTRAINT roles_pkey,
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT roles_workspace_id_id_key UNIQUE (workspace_id, id);
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey, ADD PRIMARY KEY (id);
CREATE INDEX workspace_memberships_list ON workspace_memberships (workspace_id, id);
ALTER TABLE workspace_memberships DROP CONSTRAINT workspace_memberships_pkey, ADD PRIMARY KEY (id);
ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (id);

ALTER TABLE workspace_memberships ADD CONSTRAINT workspace_memberships_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE role_permissions ADD CONSTRAINT role_permissions_role_id_fkey
    FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE;
ALTER TABLE account_memberships
    ADD CONSTRAINT account_memberships_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    ADD CONSTRAINT account_memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT account_memberships_workspace_id_role_id_fkey FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id),
    ADD CONSTRAINT account_memberships_workspace_membership_id_fkey
        FOREIGN KEY (workspace_membership_id) REFERENCES workspace_memberships (id) ON DELETE SET NULL;
ALTER TABLE membership_permissions ADD CONSTRAINT membership_permissions_membership_id_fkey
    FOREIGN KEY (membership_id) REFERENCES account_memberships (id) ON DELETE CASCADE;
ALTER TABLE invitations
    ADD CONSTRAINT invitations_membership_id_fkey FOREIGN KEY (membership_id) REFERENCES account_memberships (id) ON DELETE CASCADE,
    ADD CONSTRAINT invitations_inviter_user_id_fkey FOREIGN KEY (inviter_user_id) REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_membership_id_fkey
    FOREIGN KEY (membership_id) REFERENCES account_memberships (id) ON DELETE CASCADE;

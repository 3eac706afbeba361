-- +goose Up
-- Joining by email domain (lifecycle.md): the domains an account claims.
-- domain is lower-cased punycode; token is the secret of the TXT record
-- that proves the claim (_roster-challenge.<domain> = roster-verify=<token>);
-- role_id NULL means the workspace's default role at the time of a join
-- (a role deleted later falls back to it too, so no foreign key).
CREATE TABLE account_domains (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    livemode     BOOLEAN NOT NULL,
    account_id   TEXT NOT NULL,
    domain       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'failed')),
    enrollment   TEXT NOT NULL CHECK (enrollment IN ('manual', 'suggest', 'auto_join')),
    role_id      TEXT,
    token        TEXT NOT NULL,
    verified_at  DATETIME,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, account_id, domain),
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
);
-- An account's domains, oldest first.
CREATE INDEX account_domains_list ON account_domains (workspace_id, livemode, account_id, id);
-- A domain is verified by at most one account of a workspace and mode:
-- the constraint that makes two verifications racing for it end with one
-- claim and one domain.already_claimed. Domain joins find an email's
-- domain through it too.
CREATE UNIQUE INDEX account_domains_claimed ON account_domains (workspace_id, livemode, domain) WHERE state = 'verified';

-- Roster itself acting for a reason (actor {"type": "system", "via": "domain"}).
ALTER TABLE events ADD COLUMN actor_via TEXT;

-- +goose Down
ALTER TABLE events DROP COLUMN actor_via;
DROP TABLE account_domains;

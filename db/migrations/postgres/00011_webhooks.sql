-- +goose Up
-- Webhooks (docs/webhooks.md). An endpoint of a workspace and mode: its
-- URL, the event types it wants (enabled_events, space-separated between
-- a leading and a trailing space, ' * ' for all, so that record matches a
-- type by one strpos), an optional account it is confined to, and its
-- signing secret encrypted with the server key (AES-GCM, db.SecretBox).
-- No foreign key to the account: an endpoint of a deleted account stays,
-- receives that account's last event, and then nothing.
CREATE TABLE webhook_endpoints (
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id              TEXT NOT NULL,
    livemode        BOOLEAN NOT NULL,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    enabled_events  TEXT NOT NULL,
    account_id      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    disabled_reason TEXT CHECK (disabled_reason IN ('manual', 'failing', 'gone')),
    secret          TEXT NOT NULL,
    version         BIGINT NOT NULL DEFAULT 1,
    last_success_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
-- The fan-out of every event reads the enabled endpoints of its mode: a
-- workspace without endpoints costs one probe of this index.
CREATE INDEX webhook_endpoints_fanout ON webhook_endpoints (workspace_id, livemode, status);

-- The secrets an endpoint rotated away from, signing beside the current
-- one until they expire.
CREATE TABLE webhook_endpoint_secrets (
    workspace_id TEXT NOT NULL,
    endpoint_id  TEXT NOT NULL,
    id           TEXT NOT NULL,
    secret       TEXT NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, endpoint_id, id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);

-- One delivery per event and endpoint, written in the event's
-- transaction (the outbox). next_attempt_at is when it is due: the next
-- attempt of a pending delivery, or the end of the lease of one being
-- sent (lease_token names the claim), after which another process may
-- claim it again.
CREATE TABLE webhook_deliveries (
    workspace_id    TEXT NOT NULL,
    id              TEXT NOT NULL,
    livemode        BOOLEAN NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    last_response   TEXT,
    next_attempt_at TIMESTAMPTZ,
    lease_token     TEXT,
    once            BOOLEAN NOT NULL DEFAULT FALSE,
    succeeded_at    TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, endpoint_id, event_id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);
-- The dispatchers' queue, over every workspace.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
-- An endpoint's deliveries, newest first, all or of one status.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (workspace_id, endpoint_id, status, id);
-- Its last finished deliveries, for the rule that disables a failing one.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (workspace_id, endpoint_id, finished_at) WHERE finished_at IS NOT NULL;

-- A role's version, bumped by every change, as a membership's: its ETag
-- and the data.version of its events.
ALTER TABLE roles ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- The email outbox moves onto the lease of the webhook deliveries: an
-- email is claimed until next_attempt_at (lease_token names the claim),
-- and marked sent only once handed over, so a process that dies while
-- sending leaves it to another once the lease runs out.
ALTER TABLE outbox ADD COLUMN next_attempt_at TIMESTAMPTZ, ADD COLUMN lease_token TEXT;
UPDATE outbox SET next_attempt_at = created_at WHERE sent_at IS NULL;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- +goose Down
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN lease_token, DROP COLUMN next_attempt_at;
ALTER TABLE roles DROP COLUMN version;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoint_secrets;
DROP TABLE webhook_endpoints;

-- +goose Up
-- Every delivery, written in the transaction of its event, writes two
-- B-trees less (docs/performance.md, "P12: deliveries write four B-trees"):
-- - The delivery is kept in its key, (workspace_id, id), as 00015 and
--   00016 did for the link tables and lookups (WITHOUT ROWID): the table
--   and the index of its key were two B-trees.
-- - An endpoint's deliveries are listed newest first by their event,
--   through the index that keeps one delivery per event and endpoint,
--   UNIQUE (workspace_id, endpoint_id, event_id): the index of
--   (workspace_id, endpoint_id, id) that served the list goes. The list of
--   one status follows the same order.
-- Nothing refers to the table, so it is rebuilt under foreign keys: its
-- rows are checked again as they are copied.
CREATE TABLE webhook_deliveries_new (
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
    next_attempt_at DATETIME,
    lease_token     TEXT,
    once            BOOLEAN NOT NULL DEFAULT FALSE,
    succeeded_at    DATETIME,
    finished_at     DATETIME,
    created_at      DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, endpoint_id, event_id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO webhook_deliveries_new SELECT workspace_id, id, livemode, endpoint_id, event_id, event_type, status, attempts,
    last_status, last_error, last_response, next_attempt_at, lease_token, once, succeeded_at, finished_at, created_at
    FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (workspace_id, endpoint_id, status, event_id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (workspace_id, endpoint_id, finished_at) WHERE finished_at IS NOT NULL;

-- +goose Down
CREATE TABLE webhook_deliveries_old (
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
    next_attempt_at DATETIME,
    lease_token     TEXT,
    once            BOOLEAN NOT NULL DEFAULT FALSE,
    succeeded_at    DATETIME,
    finished_at     DATETIME,
    created_at      DATETIME NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, endpoint_id, event_id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);
INSERT INTO webhook_deliveries_old SELECT workspace_id, id, livemode, endpoint_id, event_id, event_type, status, attempts,
    last_status, last_error, last_response, next_attempt_at, lease_token, once, succeeded_at, finished_at, created_at
    FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_old RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (workspace_id, endpoint_id, status, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (workspace_id, endpoint_id, finished_at) WHERE finished_at IS NOT NULL;

-- +goose Up
-- Invitation emails belong to their membership: removing it (revoking the
-- invitation) takes its unsent email with it.
ALTER TABLE outbox ADD COLUMN membership_id TEXT REFERENCES account_memberships (id) ON DELETE CASCADE;
CREATE INDEX outbox_membership ON outbox (membership_id, id);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- Replayed answers carry the headers of the first one (its ETag).
ALTER TABLE idempotency_keys ADD COLUMN response_headers TEXT;

-- Filtered membership lists walk an account's memberships of one status or
-- role in id order.
CREATE INDEX account_memberships_status_list ON account_memberships (account_id, status, id);
CREATE INDEX account_memberships_role_list ON account_memberships (account_id, role_id, id);

-- PostgreSQL also gets prefix indexes on users for searches by email or
-- name; SQLite's planner prefers to walk the account's memberships in id
-- order for them, stopping when a page is full, so they would go unused.

-- +goose Down
DROP INDEX account_memberships_role_list;
DROP INDEX account_memberships_status_list;
ALTER TABLE idempotency_keys DROP COLUMN response_headers;
DROP INDEX outbox_unsent;
DROP INDEX outbox_membership;
ALTER TABLE outbox DROP COLUMN membership_id;

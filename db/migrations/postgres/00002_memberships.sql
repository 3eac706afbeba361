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

-- Prefix searches by email or name (LIKE 'abc%') whatever the collation.
CREATE INDEX users_email_prefix ON users (workspace_id, email_lower text_pattern_ops);
CREATE INDEX users_name_prefix ON users (workspace_id, LOWER(name) text_pattern_ops);

-- +goose Down
DROP INDEX users_name_prefix;
DROP INDEX users_email_prefix;
DROP INDEX account_memberships_role_list;
DROP INDEX account_memberships_status_list;
ALTER TABLE idempotency_keys DROP COLUMN response_headers;
DROP INDEX outbox_unsent;
DROP INDEX outbox_membership;
ALTER TABLE outbox DROP COLUMN membership_id;

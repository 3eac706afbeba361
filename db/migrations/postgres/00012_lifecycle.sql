-- +goose Up
-- Memberships over their whole life (docs/api.md, "Deactivate and
-- reactivate", "Memberships that end by themselves"): the statuses
-- inactive and expired, an expiry (expires_at) and when the member was
-- told it is near (expiring_notified_at).
ALTER TABLE account_memberships DROP CONSTRAINT account_memberships_status_check;
ALTER TABLE account_memberships ADD CONSTRAINT account_memberships_status_check
    CHECK (status IN ('invited', 'active', 'inactive', 'expired'));
ALTER TABLE account_memberships ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE account_memberships ADD COLUMN expiring_notified_at TIMESTAMPTZ;
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

-- +goose Down
DROP INDEX account_memberships_expiry_list;
DROP INDEX account_memberships_expiring;
DROP INDEX account_memberships_expiry;
-- Inactive and expired memberships, which the old schema cannot hold, go.
DELETE FROM account_memberships WHERE status NOT IN ('invited', 'active');
ALTER TABLE account_memberships DROP COLUMN expiring_notified_at;
ALTER TABLE account_memberships DROP COLUMN expires_at;
ALTER TABLE account_memberships DROP CONSTRAINT account_memberships_status_check;
ALTER TABLE account_memberships ADD CONSTRAINT account_memberships_status_check
    CHECK (status IN ('invited', 'active'));

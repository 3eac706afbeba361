-- +goose Up
-- Seat limits (lifecycle.md "Seat limits") and account versions. An
-- account keeps seats_held, the number of its memberships that hold a
-- seat (holds_seat), maintained in the transactions that take and free
-- seats (db/seats.go); a seat with seat_until lapses by itself then (an
-- invitation's expiry). seats_used, as read, is seats_held minus the
-- lapsed holders, counted from account_memberships_seats: its cost is the
-- number of lapsed seats, never the account's size.
ALTER TABLE accounts ADD COLUMN seat_limit INTEGER CHECK (seat_limit >= 0);
ALTER TABLE accounts ADD COLUMN seats_held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE account_memberships ADD COLUMN holds_seat BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE account_memberships ADD COLUMN seat_until DATETIME;

UPDATE account_memberships SET holds_seat = TRUE WHERE status = 'active';
UPDATE account_memberships SET holds_seat = TRUE,
    seat_until = (SELECT i.expires_at FROM invitations i
        WHERE i.workspace_id = account_memberships.workspace_id AND i.membership_id = account_memberships.id)
    WHERE status = 'invited' AND EXISTS (SELECT 1 FROM invitations i
        WHERE i.workspace_id = account_memberships.workspace_id AND i.membership_id = account_memberships.id
        AND i.expires_at > CURRENT_TIMESTAMP);
UPDATE accounts SET seats_held = (SELECT COUNT(*) FROM account_memberships am
    WHERE am.workspace_id = accounts.workspace_id AND am.account_id = accounts.id AND am.holds_seat);

CREATE INDEX account_memberships_seats ON account_memberships (workspace_id, account_id, seat_until) WHERE holds_seat;

-- +goose Down
DROP INDEX account_memberships_seats;
ALTER TABLE account_memberships DROP COLUMN seat_until;
ALTER TABLE account_memberships DROP COLUMN holds_seat;
ALTER TABLE accounts DROP COLUMN version;
ALTER TABLE accounts DROP COLUMN seats_held;
ALTER TABLE accounts DROP COLUMN seat_limit;

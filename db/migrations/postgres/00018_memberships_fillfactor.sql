-- +goose Up
-- A membership's row changes in place on most writes (its version and
-- updated_at, its role, its status), and none of these columns but the
-- role and the status is indexed. PostgreSQL can then write the new
-- version of the row into the same page without touching the table's
-- indexes (a HOT update), but only when the page has room for it: pages
-- filled to the brim, as inserts and COPY leave them, make the first
-- change of each row write an entry into every one of the table's
-- indexes. Leaving 15 % of each page free keeps that first change, too,
-- in its page. It applies to pages written from now on; `VACUUM FULL
-- account_memberships` (or pg_repack) applies it to those already there.
ALTER TABLE account_memberships SET (fillfactor = 85);

-- +goose Down
ALTER TABLE account_memberships RESET (fillfactor);

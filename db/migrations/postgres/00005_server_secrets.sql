-- +goose Up
-- Random keys every server process on this database shares, such as the
-- one CSRF tokens are signed with; the first process to need one creates
-- it.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE server_secrets;

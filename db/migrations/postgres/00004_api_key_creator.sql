-- +goose Up
-- The user who created a key (in the console, or by rolling one): the key
-- never does more than its creator's current workspace role allows, and
-- stops when they leave the staff. NULL for keys made by the command line
-- (and those made before this column), which act for the workspace.
ALTER TABLE api_keys ADD COLUMN created_by TEXT;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN created_by;

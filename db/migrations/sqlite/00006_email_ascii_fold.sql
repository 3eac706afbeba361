-- +goose Up
-- Users are matched on their email with ASCII letters lower-cased and
-- nothing else folded (db.FoldEmail). email_lower was Go's Unicode
-- lower-casing, which made the Kelvin sign the letter k: recompute it.
-- SQLite's lower() folds ASCII letters only, exactly the rule. No two
-- users can collide: addresses equal under the ASCII fold were equal under
-- the Unicode one, which the unique index already kept apart.
UPDATE users SET email_lower = lower(trim(email)) WHERE email_lower <> lower(trim(email));

-- +goose Down
-- Nothing to undo: the ASCII fold keeps apart what the Unicode one did.
SELECT 1;

-- +goose Up
-- Users are matched on their email with ASCII letters lower-cased and
-- nothing else folded (db.FoldEmail). email_lower was Go's Unicode
-- lower-casing, which made the Kelvin sign the letter k: recompute it.
-- PostgreSQL's lower() follows Unicode (and the collation), so translate()
-- folds the 26 ASCII letters alone. No two users can collide: addresses
-- equal under the ASCII fold were equal under the Unicode one, which the
-- unique index already kept apart.
UPDATE users SET email_lower = translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    WHERE email_lower <> translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

-- +goose Down
-- Nothing to undo: the ASCII fold keeps apart what the Unicode one did.
SELECT 1;

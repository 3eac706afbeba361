-- +goose Up
-- Limits that hold across processes (the API rate limit, sign-in
-- throttling): one row per bucket and fixed window, counted by one atomic
-- upsert per check (db.CountHit). Windows start at multiples of their
-- length in Unix seconds, so every process agrees on them; expires_at (the
-- window's end) lets PurgeExpired drop ended windows through its index.
CREATE TABLE limit_windows (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX limit_windows_expires_at ON limit_windows (expires_at);
-- rate_limits, where Fiber's limiter read and rewrote the sign-in counts,
-- is no longer written; it stays for processes of the previous version
-- still serving during a rolling upgrade.

-- +goose Down
DROP TABLE limit_windows;

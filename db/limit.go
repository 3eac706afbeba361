package db

import (
	"context"
	"fmt"
	"time"
)

// LimitHit is one counted event of a limit (a sign-in attempt, an API
// request): its bucket, the fixed window it fell in, and how many events
// that window holds, this one included.
type LimitHit struct {
	Bucket string
	Start  time.Time // the window's start: a multiple of its length since the Unix epoch
	End    time.Time
	Count  int
}

// countHit is the one statement of a check: it creates the window's row
// or adds one to it, and returns the new count, atomically on both
// databases (SQLite 3.35 and later has RETURNING), so that concurrent
// checks in any number of processes each see a different count.
const countHit = `INSERT INTO limit_windows (bucket, window_start, hits, expires_at) VALUES (?, ?, 1, ?)
	ON CONFLICT (bucket, window_start) DO UPDATE SET hits = limit_windows.hits + 1
	RETURNING hits`

// CountHit counts an event at the time at in bucket's fixed window of
// length window (whole seconds, at least one) and returns it with the
// window's count. The caller compares the count with its limit: N
// processes sharing the database allow what one would.
func (s *DB) CountHit(ctx context.Context, bucket string, window time.Duration, at time.Time) (LimitHit, error) {
	secs := int64(window / time.Second)
	if secs < 1 {
		return LimitHit{}, fmt.Errorf("db: limit window %v: want at least a second", window)
	}
	start := at.Unix() - at.Unix()%secs
	h := LimitHit{Bucket: bucket, Start: time.Unix(start, 0), End: time.Unix(start+secs, 0)}
	err := s.writeAlone(ctx, func(ctx context.Context) error { return s.get(ctx, &h.Count, countHit, bucket, start, start+secs) })
	return h, wrap(err, "count a hit of %s", bucket)
}

// ForgetHit takes back a hit counted earlier (a sign-in attempt that
// succeeded is not held against anyone), in the window it was counted in.
func (s *DB) ForgetHit(ctx context.Context, h LimitHit) error {
	_, err := s.exec(ctx, `UPDATE limit_windows SET hits = hits - 1 WHERE bucket = ? AND window_start = ? AND hits > 0`,
		h.Bucket, h.Start.Unix())
	return wrap(err, "forget a hit of %s", h.Bucket)
}

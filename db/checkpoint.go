package db

import (
	"context"
	"sync"
	"time"
)

// walCopyInterval is how often, at most, a process copies SQLite's
// write-ahead log back into the database while it commits (walCopier).
const walCopyInterval = 100 * time.Millisecond

// writerCheckpointPages is how many pages the write-ahead log holds before
// the writer's own commit checkpoints it (SQLite's wal_autocheckpoint).
// The walCopier has copied most of them by then: the writer copies what is
// left, so that the log starts over from its beginning at the next write.
const writerCheckpointPages = 10_000

// walCopier copies the write-ahead log of a SQLite database back into the
// database file on a reader connection (a PASSIVE checkpoint, which runs
// beside the writer), at most every walCopyInterval while transactions
// commit: otherwise the writer's commits would copy it, and the process's
// transactions, which take turns on the writer, would wait meanwhile.
type walCopier struct {
	due  chan struct{} // a commit since the last copy
	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// startWALCopier starts copying s's log in the background, until
// stopWALCopier.
func (s *DB) startWALCopier() {
	ctx, cancel := context.WithCancel(context.Background())
	s.wal = &walCopier{due: make(chan struct{}, 1), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.wal.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.wal.due:
			}
			// A checkpoint that fails (the log busy, the disk full) is
			// tried again after the next commits, and the writer's own
			// checkpoint remains.
			_, _ = s.DB.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
			select {
			case <-ctx.Done():
				return
			case <-time.After(walCopyInterval):
			}
		}
	}()
}

// committed tells the copier that a transaction committed.
func (w *walCopier) committed() {
	if w == nil {
		return
	}
	select {
	case w.due <- struct{}{}:
	default:
	}
}

// stopWALCopier stops the copier and waits for its checkpoint in hand.
func (s *DB) stopWALCopier() {
	if s.wal == nil {
		return
	}
	s.wal.once.Do(func() {
		s.wal.stop()
		<-s.wal.done
	})
}

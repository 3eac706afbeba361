package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"roster/db"
)

// SweepStore is what the membership sweeper needs of the database.
type SweepStore interface {
	SweepMemberships(ctx context.Context, limit int) (db.Sweep, error)
}

// sweepInterval is how often every process sweeps: well within the
// minute lifecycle.md allows. Reads compute expiry themselves; the sweep
// stores it and writes the events.
const sweepInterval = 20 * time.Second

// sweepBatch is how many memberships of each kind one round handles; a
// full batch is followed by another at once.
const sweepBatch = 200

// Sweeper stores the expiry of memberships past their expires_at and
// tells members whose membership ends within seven days, every Interval
// while it runs. Several processes sweep at once safely: each write is a
// conditional update (db.SweepMemberships).
type Sweeper struct {
	Store    SweepStore
	Logger   *slog.Logger
	Interval time.Duration

	stop context.CancelFunc
	done chan struct{}
	once sync.Once
}

// NewSweeper makes a sweeper of the store.
func NewSweeper(store SweepStore, logger *slog.Logger) *Sweeper {
	return &Sweeper{Store: store, Logger: logger, Interval: sweepInterval}
}

// Start runs the sweeper in the background until Stop, sweeping once at
// once.
func (s *Sweeper) Start() {
	ctx, cancel := context.WithCancel(db.Background(context.Background()))
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.Interval)
		defer t.Stop()
		for {
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.Logger.Error("membership sweep", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends a started sweeper and waits for the round in hand.
func (s *Sweeper) Stop() {
	s.once.Do(func() {
		if s.stop != nil {
			s.stop()
			<-s.done
		}
	})
}

// Sweep handles every membership due now, a batch at a time.
func (s *Sweeper) Sweep(ctx context.Context) error {
	for {
		sw, err := s.Store.SweepMemberships(ctx, sweepBatch)
		if err != nil {
			return err
		}
		if sw.Expired > 0 || sw.Notified > 0 {
			s.Logger.Info("membership sweep", "expired", sw.Expired, "notified", sw.Notified)
		}
		if sw.Expired < sweepBatch && sw.Notified < sweepBatch {
			return nil
		}
	}
}

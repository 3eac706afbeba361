package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logFlushInterval is the longest a log line waits in a logBuffer.
const logFlushInterval = 100 * time.Millisecond

// logBuffer gathers the server's log lines and writes them out together,
// every logFlushInterval or when 64 KiB are waiting, so that a busy server
// makes a few writes a second where it would make one per request (a
// write is a system call, about as costly as the rest of a log line). A
// line is never split: slog hands each record to Write whole. Close writes
// out what is left.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// newLogBuffer starts a logBuffer in front of w.
func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(logFlushInterval)
	return b
}

// Write keeps p (one log line) to be written out soon.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// flush writes out the lines waiting.
func (b *logBuffer) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// flushEvery flushes at every tick until Close.
func (b *logBuffer) flushEvery(d time.Duration) {
	defer close(b.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.flush()
		case <-b.stop:
			return
		}
	}
}

// Close stops the flushing and writes out the lines left.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.flush()
}

package web

import (
	"io"
	"net"
	"sync"
	"time"
)

// How long, and for how many bytes, a closed connection keeps reading what
// the client still sends.
const (
	lingerTimeout = 3 * time.Second
	lingerBytes   = 64 << 20
)

// lingeringListener hands out connections that close gracefully: fasthttp
// answers a body over the limit with 413 before reading it and closes the
// connection, and closing a socket with unread data makes the kernel reset
// it, so a client still sending its body (Go's net/http among them) saw
// "connection reset by peer" instead of the answer. Its connections end
// the way nginx's lingering_close does: the write side is shut (the client
// reads the whole answer and its end), what the client still sends is read
// and dropped for a bounded time and size, then the socket is closed.
type lingeringListener struct{ net.Listener }

// Accept returns the next connection, wrapped to close gracefully.
func (l lingeringListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingeringConn{TCPConn: tc}, nil
	}
	return c, nil
}

// lingeringConn is a TCP connection whose Close lingers (see
// lingeringListener).
type lingeringConn struct {
	*net.TCPConn
	once sync.Once
}

// Close shuts the write side at once and closes the socket in the
// background, after the client stopped sending or the bounds passed.
func (c *lingeringConn) Close() error {
	c.once.Do(func() {
		if err := c.CloseWrite(); err != nil {
			_ = c.TCPConn.Close()
			return
		}
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
			_, _ = io.CopyN(io.Discard, c.TCPConn, lingerBytes)
			_ = c.TCPConn.Close()
		}()
	})
	return nil
}

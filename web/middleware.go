package web

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
)

// requestID gives every request an id, in the Request-Id response header,
// and the headers every answer carries.
func requestID(c *fiber.Ctx) error {
	commonHeaders(c)
	return c.Next()
}

// commonHeaders sets what every answer carries, pages and API alike: a
// Request-Id (kept when set), and X-Content-Type-Options: nosniff, so that
// no browser reads a JSON answer as HTML or script. The error handler calls
// it too, for answers to requests that could not be read and never reached
// the middleware.
func commonHeaders(c *fiber.Ctx) {
	if c.GetRespHeader("Request-Id") == "" {
		id := db.NewID("req")
		c.SetUserContext(db.WithRequestID(c.UserContext(), id))
		c.Set("Request-Id", id)
	}
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
}

// deadline bounds the request's database work by the configured
// RequestTimeout: a database that stopped answering, a lock never released
// or a pool with no free connection makes the request 503, not a wait.
func (s *Server) deadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// checkText refuses a request whose path, query parameters or
// Idempotency-Key are not UTF-8 text without NUL: no id, filter or key has
// such bytes, and PostgreSQL cannot compare them with its text.
func checkText(c *fiber.Ctx) error {
	bad := map[string]string{}
	const rule = "must be UTF-8 text without the NUL character"
	if !isText(c.Path()) {
		bad["path"] = rule
	}
	for k, v := range c.Context().QueryArgs().All() {
		if !isText(string(k)) || !isText(string(v)) {
			bad[strings.ToValidUTF8(string(k), "\uFFFD")] = rule
		}
	}
	if !isText(c.Get("Idempotency-Key")) {
		bad["Idempotency-Key"] = rule
	}
	if len(bad) > 0 {
		return db.Invalid(bad)
	}
	return c.Next()
}

// isText reports whether s is UTF-8 without the NUL character.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// recoverPanics turns a panic into a 500 that the error handler answers.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Logger.Error("panic", "request_id", db.RequestID(c.UserContext()), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// logRequests writes one line per request: never its query, headers or body,
// which may hold secrets, nor an invitation's token (see loggedPath).
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			s.cfg.Logger.Error("error handler failed", "err", herr)
		}
	}
	took := time.Since(start)
	// The server's own time, for clients and benchmarks to tell it from the
	// network's.
	c.Set("Server-Timing", "app;dur="+strconv.FormatFloat(float64(took.Microseconds())/1000, 'f', 3, 64))
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.cfg.Logger.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", db.RequestID(c.UserContext())),
		slog.String("client", handlers.ClientOf(c).Addr),
		slog.String("method", c.Method()),
		slog.String("path", loggedPath(c.Path())),
		slog.Int("status", status),
		slog.Duration("duration", took),
	)
	return nil
}

// loggedPath is a request's path as logs show it: the token of an
// invitation's page (/invitations/{token}), which accepts the invitation,
// and of the page of a link to join the staff (/join/{token}), which sets
// a password, is replaced, whatever the case or the slashes of the path.
func loggedPath(path string) string {
	for _, segment := range []string{"/invitations/", "/join/"} {
		i := strings.Index(strings.ToLower(path), segment)
		if i < 0 {
			continue
		}
		switch rest := path[i+len(segment):]; rest {
		case "", "accept", "accepted":
			return path
		}
		return path[:i] + segment + "[token]"
	}
	return path
}

package handlers

import "github.com/gofiber/fiber/v2"

// Client is where a request comes from, as web resolved it from the peer
// and, behind a trusted proxy, its X-Forwarded-For and X-Forwarded-Proto.
type Client struct {
	Addr  string // the client's IP address
	HTTPS bool   // it reached the server (or the trusted proxy) over TLS
}

const clientKey = "roster.client"

// SetClient records where the request comes from.
func SetClient(c *fiber.Ctx, cl Client) { c.Locals(clientKey, cl) }

// ClientOf returns where the request comes from: the one home of the
// client's address, for logs, sign-in throttling and rate limits.
func ClientOf(c *fiber.Ctx) Client {
	cl, _ := c.Locals(clientKey).(Client)
	return cl
}

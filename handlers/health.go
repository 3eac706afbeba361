package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// Pinger is a database that can say whether it answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health serves /healthz and /readyz.
type Health struct {
	DB Pinger
}

// Live answers GET /healthz: the process is alive.
func (h *Health) Live(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// Ready answers GET /readyz: 200 when the database answers, else 503.
func (h *Health) Ready(c *fiber.Ctx) error {
	if err := h.DB.Ping(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

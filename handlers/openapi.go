package handlers

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the OpenAPI 3.1 description of every /v1 route.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI serves the API's own description.
type OpenAPI struct{}

// Document answers GET /v1/openapi.json, without a credential.
func (h *OpenAPI) Document(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDocument)
}

package main

import (
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
)

// rolePermissions is what the seeded members' role grants.
var rolePermissions = []string{"billing.read", "members.read"}

// catalog is the permissions a PATCH may grant.
var catalog = []string{"billing.manage", "billing.read", "members.manage", "members.read"}

// member is a membership as the reference answers it: the fields of
// Roster's account_membership object that its schema holds.
type member struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	UserID    string `json:"user_id"`
	Status    string `json:"status"`
	Role      struct {
		Slug        string   `json:"slug"`
		Permissions []string `json:"permissions"`
	} `json:"role"`
	Permissions          []string `json:"permissions"`
	EffectivePermissions []string `json:"effective_permissions"`
	User                 struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"user"`
	Livemode  bool      `json:"livemode"`
	Version   int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// complete derives what the row does not hold.
func (m *member) complete() {
	m.Object, m.Livemode = "account_membership", true
	slices.Sort(m.Permissions)
	m.Permissions = slices.Compact(m.Permissions)
	m.Role.Permissions = rolePermissions
	m.EffectivePermissions = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(rolePermissions), m.Permissions...))))
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
}

func (m member) json() (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// envelope is Roster's answer shape.
type envelope struct {
	Message string `json:"message"`
	Success bool   `json:"success"`
	Data    any    `json:"data"`
}

// patchBody is the PATCH's body.
type patchBody struct {
	Add    []string `json:"add_permissions"`
	Remove []string `json:"remove_permissions"`
}

// fixedBody is GET /fixed's answer, about the size of a membership's.
var fixedBody = []byte(`{"message":"","success":true,"data":{"object":"account_membership","id":"rm_00000000000000000000000001",` +
	`"account_id":"acct_reference","user_id":"usr_00000000000000000000000001","status":"active",` +
	`"role":{"slug":"member","permissions":["billing.read","members.read"]},"permissions":[],` +
	`"effective_permissions":["billing.read","members.read"],"user":{"email":"member1@reference.example","name":"Member 1"},` +
	`"livemode":true,"created_at":"2026-11-22T06:34:37.413455Z","updated_at":"2026-11-22T06:34:37.413455Z"}}`)

// newApp routes the reference's requests.
func newApp(s *store) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/readyz", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusOK) })
	app.Get("/fixed", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(fixedBody)
	})
	app.Get("/memberships/:id", func(c *fiber.Ctx) error {
		m, err := s.get(c.UserContext(), c.Params("id"))
		return answer(c, m, err)
	})
	app.Patch("/memberships/:id", func(c *fiber.Ctx) error {
		var b patchBody
		if err := c.BodyParser(&b); err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(envelope{Message: "body: " + err.Error()})
		}
		for _, k := range append(slices.Clone(b.Add), b.Remove...) {
			if !slices.Contains(catalog, k) {
				return c.Status(fiber.StatusBadRequest).JSON(envelope{Message: "not in the permission catalog: " + k})
			}
		}
		m, err := s.change(c.UserContext(), c.Params("id"), b.Add, b.Remove)
		return answer(c, m, err)
	})
	return app
}

// answer writes the membership or the error in Roster's envelope.
func answer(c *fiber.Ctx, m member, err error) error {
	switch {
	case errors.Is(err, errNotFound):
		return c.Status(fiber.StatusNotFound).JSON(envelope{Message: err.Error()})
	case err != nil:
		return c.Status(fiber.StatusInternalServerError).JSON(envelope{Message: err.Error()})
	}
	return c.JSON(envelope{Success: true, Data: m})
}

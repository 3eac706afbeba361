package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/handlers"
	"roster/static"
)

// apiError is an error answer: status, type, message and details.
type apiError struct {
	status  int
	typ     string
	message string
	details map[string]any
}

// fiberTypes names the error types of Fiber's own errors.
var fiberTypes = map[int]apiError{
	fiber.StatusBadRequest:                  {typ: db.ErrInvalid.Type, message: db.ErrInvalid.Message},
	fiber.StatusUnauthorized:                {typ: "unauthorized", message: "A valid credential is required"},
	fiber.StatusForbidden:                   {typ: db.ErrForbidden.Type, message: db.ErrForbidden.Message},
	fiber.StatusNotFound:                    {typ: "not_found", message: "No such route"},
	fiber.StatusMethodNotAllowed:            {typ: "method_not_allowed", message: "This route does not support that method"},
	fiber.StatusRequestTimeout:              {typ: "request_timeout", message: "The request took too long to arrive"},
	fiber.StatusRequestEntityTooLarge:       {typ: "payload_too_large", message: "The request body is larger than 1 MiB"},
	fiber.StatusRequestHeaderFieldsTooLarge: {typ: "headers_too_large", message: "The request's headers are larger than 16 KiB"},
	fiber.StatusUnsupportedMediaType:        {typ: "unsupported_media_type", message: "The request body must be application/json"},
	fiber.StatusTooManyRequests:             {typ: "rate_limited", message: "Too many requests; retry later"},
	fiber.StatusServiceUnavailable:          {typ: "unavailable", message: "The service is unavailable; retry shortly"},
}

// classify turns any error a handler returns into the answer to give.
func classify(c *fiber.Ctx, err error) apiError {
	if errors.Is(err, errCSRF) {
		return fiberTypes[fiber.StatusForbidden].with(fiber.StatusForbidden)
	}
	var e *db.Error
	if errors.As(err, &e) {
		ae := apiError{status: e.Kind.HTTPStatus(), typ: e.Type, message: e.Message, details: e.Details}
		if errors.Is(e, db.ErrAccountNotFound) && strings.HasPrefix(c.Path(), "/v1/organizations") {
			ae.typ, ae.message = "organization.not_found", "Organization not found"
		}
		return ae
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if known, ok := fiberTypes[fe.Code]; ok {
			known.status = fe.Code
			return known
		}
	}
	if db.IsUnavailable(err) {
		return fiberTypes[fiber.StatusServiceUnavailable].with(fiber.StatusServiceUnavailable)
	}
	return apiError{status: fiber.StatusInternalServerError, typ: "internal_server_error",
		message: "Something went wrong on our side", details: map[string]any{"request_id": db.RequestID(c.UserContext())}}
}

func (e apiError) with(status int) apiError {
	e.status = status
	return e
}

// handleError is the one place errors become HTTP answers: the envelope for
// the API and the console's error pages for people.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	ae := classify(c, err)
	if ae.status >= 500 {
		s.cfg.Logger.Error("request failed", "request_id", db.RequestID(c.UserContext()), "path", loggedPath(c.Path()), "err", err)
	}
	commonHeaders(c)
	if ae.status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="roster"`)
	}
	if ae.status == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	c.Response().ResetBody()
	if wantsPage(c, ae) {
		title, message := pageError(ae, err)
		return s.pages.Console.ErrorPage(c, ae.status, title, message)
	}
	return c.Status(ae.status).JSON(handlers.ErrorEnvelope(ae.status, ae.typ, ae.message, ae.details))
}

// wantsPage reports whether the answer is a console page rather than the
// envelope. A request that could not be read (headers too large, too slow,
// a body over the limit) has no path to go by: fasthttp drops the request
// it read when its body fails, so a chunked body over 1 MiB on /v1 looked
// like a page at "/". It gets the envelope, which any client can read.
func wantsPage(c *fiber.Ctx, ae apiError) bool {
	switch ae.status {
	case fiber.StatusRequestHeaderFieldsTooLarge, fiber.StatusRequestTimeout, fiber.StatusRequestEntityTooLarge:
		return false
	}
	return isPage(c.Path()) || strings.HasPrefix(c.Path(), static.Prefix)
}

// pageError is the title and sentence of a console error page.
func pageError(ae apiError, err error) (title, message string) {
	switch {
	case errors.Is(err, errCSRF):
		return "This form has expired", "Roster could not confirm that this form came from this site; it may have been open for too long. Go back, reload the page and try again."
	case ae.status == fiber.StatusNotFound, ae.status == fiber.StatusMethodNotAllowed:
		return "Page not found", "There is nothing at this address. It may have been deleted, or belong to the other mode (live or test)."
	case ae.status == fiber.StatusForbidden:
		return "You may not do this", strings.TrimSuffix(ae.message, ".") + "."
	case ae.status == fiber.StatusConflict, ae.status == fiber.StatusBadRequest, ae.status == fiber.StatusPreconditionFailed:
		return "This could not be done", strings.TrimSuffix(ae.message, ".") + "."
	case ae.status == fiber.StatusTooManyRequests:
		return "Too many requests", "Wait a moment, then try again."
	case ae.status == fiber.StatusServiceUnavailable:
		return "Roster is unavailable", "Its database cannot be reached right now. Try again in a minute."
	case ae.status < 500:
		return "This could not be done", strings.TrimSuffix(ae.message, ".") + "."
	default:
		return "Something went wrong", "Something went wrong on our side, and what you asked for was not done."
	}
}

package handlers

import "github.com/gofiber/fiber/v2"

// The htmx headers: those htmx sends with its requests, and those of an
// answer that htmx acts on.
const (
	HeaderHXRequest        = "HX-Request"                 // "true" on every request htmx sends
	HeaderHXBoosted        = "HX-Boosted"                 // "true" for a boosted link or form
	HeaderHXHistoryRestore = "HX-History-Restore-Request" // "true" when htmx restores a page missing from its history
	HeaderHXCurrentURL     = "HX-Current-URL"             // the URL of the page the request comes from
	HeaderHXTarget         = "HX-Target"                  // the id of the element the answer is swapped into
	HeaderHXRedirect       = "HX-Redirect"                // answer: load this URL as a whole page
	HeaderHXTrigger        = "HX-Trigger"                 // answer: events to trigger in the browser
)

// isHTMX reports whether htmx sent the request.
func isHTMX(c *fiber.Ctx) bool { return c.Get(HeaderHXRequest) == "true" }

// isFragment reports whether an htmx request asks for part of a page: not a
// boosted link or form and not a history restore, which need the whole page.
func isFragment(c *fiber.Ctx) bool {
	return isHTMX(c) && c.Get(HeaderHXBoosted) != "true" && c.Get(HeaderHXHistoryRestore) != "true"
}

// Redirect sends the browser on to a path of this site: htmx follows
// HX-Redirect, anything else a 303 See Other (after a POST, so reloading
// the next page does not post again). It is the console's one way to
// redirect: the target goes through SafePath first, so no value reaches
// the Location or HX-Redirect header unchecked.
func Redirect(c *fiber.Ctx, to string) error {
	to = SafePath(to, Home)
	if isHTMX(c) {
		c.Set(HeaderHXRedirect, to)
		return c.SendStatus(fiber.StatusOK)
	}
	c.Set(fiber.HeaderLocation, to)
	return c.SendStatus(fiber.StatusSeeOther)
}

package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// Envelope is the shape of every /v1 response.
type Envelope struct {
	Message    string    `json:"message"`
	Success    bool      `json:"success"`
	Data       any       `json:"data,omitempty"`
	HasMore    *bool     `json:"has_more,omitempty"`
	NextCursor *string   `json:"next_cursor,omitempty"`
	Error      *APIError `json:"error,omitempty"`
}

// APIError is the error member of an envelope.
type APIError struct {
	Code    int            `json:"code"`
	Type    string         `json:"type"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// ErrorEnvelope is the envelope of an error.
func ErrorEnvelope(status int, typ, message string, details map[string]any) Envelope {
	return Envelope{Message: message, Error: &APIError{Code: status, Type: typ, Message: message, Details: details}}
}

// writeOne answers with one object.
func writeOne(c *fiber.Ctx, status int, v any) error {
	return c.Status(status).JSON(Envelope{Message: "success", Success: true, Data: v})
}

// writeVersioned answers with one object whose version is its ETag.
func writeVersioned(c *fiber.Ctx, status int, v any, version int64) error {
	c.Set(fiber.HeaderETag, `"`+strconv.FormatInt(version, 10)+`"`)
	return writeOne(c, status, v)
}

// writeVoid answers a success with nothing to return.
func writeVoid(c *fiber.Ctx) error {
	return c.Status(fiber.StatusOK).JSON(Envelope{Message: "success", Success: true})
}

// writeList answers with one page of a list.
func writeList[T any](c *fiber.Ctx, rows []T, p db.Page, id func(T) string) error {
	page, more, next := db.Trim(rows, p, id)
	if page == nil {
		page = []T{}
	}
	env := Envelope{Message: "success", Success: true, Data: page, HasMore: &more}
	if more {
		env.NextCursor = &next
	}
	return c.JSON(env)
}

// pageOf reads limit (1..100, default 20) and starting_after.
func pageOf(c *fiber.Ctx) (db.Page, error) {
	p := db.Page{Limit: 20, After: c.Query("starting_after")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 100 {
			return p, db.Invalid(map[string]string{"limit": "must be a whole number from 1 to 100"})
		}
		p.Limit = n
	}
	return p, nil
}

// decode reads a JSON request body into dst, refusing other media types
// and, naming the field, unknown fields, names that differ from the known
// ones only in case, duplicate names and wrong types. The body is read with
// json v2 (github.com/go-json-experiment/json), which matches names exactly
// and refuses duplicates: encoding/json matches names case-insensitively and
// lets the last duplicate win, so {"role":"member","ROLE":"owner"} set the
// role to owner.
func decode(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if ct := strings.ToLower(c.Get(fiber.HeaderContentType)); !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return fiber.ErrUnsupportedMediaType
	}
	if err := json.Unmarshal(body, dst, json.RejectUnknownMembers(true)); err != nil {
		return decodeError(err)
	}
	bad := map[string]string{}
	noNUL(reflect.ValueOf(dst), "body", bad)
	return invalid(bad)
}

// invalid is the validation error of the fields in bad, or nil when there
// is none.
func invalid(bad map[string]string) error {
	if len(bad) == 0 {
		return nil
	}
	return db.Invalid(bad)
}

// noNUL notes under its JSON name every string field of v that holds the
// NUL character: JSON can carry it, but no name, email, key or token has
// one, and PostgreSQL cannot store or compare it as text.
func noNUL(v reflect.Value, field string, f map[string]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			noNUL(v.Elem(), field, f)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			f[field] = "must not contain the NUL character"
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			noNUL(v.Index(i), field, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			name := field
			if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); !sf.Anonymous && tag != "" {
				name = tag
			}
			noNUL(v.Field(i), name, f)
		}
	}
}

// decodeError turns a json error into a validation error naming the
// top-level field it is about, or the body as a whole.
func decodeError(err error) error {
	var semantic *json.SemanticError
	var syntactic *jsontext.SyntacticError
	switch {
	case errors.As(err, &syntactic) && errors.Is(syntactic.Err, jsontext.ErrDuplicateName):
		return db.Invalid(map[string]string{topField(syntactic.JSONPointer): "is given more than once"})
	case errors.As(err, &syntactic), errors.Is(err, io.ErrUnexpectedEOF):
		return db.Invalid(map[string]string{"body": "is not valid JSON"})
	case errors.As(err, &semantic):
		field := topField(semantic.JSONPointer)
		switch {
		case errors.Is(semantic.Err, json.ErrUnknownName):
			return db.Invalid(map[string]string{field: "is not a known field (names are case-sensitive)"})
		case field == "body":
			return db.Invalid(map[string]string{"body": "must be a JSON object"})
		case semantic.GoType != nil:
			return db.Invalid(map[string]string{field: "must be " + jsonKind(semantic.GoType)})
		}
		return db.Invalid(map[string]string{field: "is not valid"})
	default:
		return db.Invalid(map[string]string{"body": fmt.Sprintf("cannot be read: %s", err)})
	}
}

// topField is the name of the top-level member a JSON pointer points
// into, or "body" for the body itself.
func topField(p jsontext.Pointer) string {
	for name := range p.Tokens() {
		return name
	}
	return "body"
}

// jsonKind names the JSON kind a Go type is read from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "a time in RFC 3339, such as 2026-01-02T15:04:05Z"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "a number"
	}
}

package handlers

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"
)

// openAPIDocument is the OpenAPI 3.1 description of every /v1 route, as
// committed: its servers entry names the default address.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI serves the API's own description.
type OpenAPI struct {
	document []byte // openAPIDocument with servers naming the base URL
}

// NewOpenAPI is the document of a server reached at baseURL (its
// ROSTER_BASE_URL): the one entry of servers is that URL, so that a client
// generated from it, or an API explorer, calls this server. An empty
// baseURL keeps the committed entry.
func NewOpenAPI(baseURL string) *OpenAPI {
	doc := openAPIDocument
	if baseURL != "" {
		var err error
		if doc, err = withServer(openAPIDocument, strings.TrimRight(baseURL, "/")); err != nil {
			// The embedded document is parsed by the tests: this is a build gone wrong.
			panic(fmt.Sprintf("handlers: the embedded openapi.json: %v", err))
		}
	}
	return &OpenAPI{document: doc}
}

// Document answers GET /v1/openapi.json, without a credential.
func (h *OpenAPI) Document(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(h.document)
}

// withServer is doc with its top-level servers replaced by the one entry
// url, every other member kept as it is, in its order.
func withServer(doc []byte, url string) ([]byte, error) {
	servers, err := jsontext.AppendQuote([]byte(`[{"url":`), url)
	if err != nil {
		return nil, err
	}
	servers = append(servers, "}]"...)
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out, jsontext.WithIndent("  "))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, fmt.Errorf("not a JSON object (%v)", err)
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return nil, err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String() // before the next read, which voids tok
		value, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if name == "servers" {
			value = servers
		}
		if err := enc.WriteToken(jsontext.String(name)); err != nil {
			return nil, err
		}
		if err := enc.WriteValue(value); err != nil {
			return nil, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("data after the document's object")
	}
	return out.Bytes(), nil
}

package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"roster/db"
)

// flagOf names the flag that carries each field of the stores' inputs
// whose flag is not named as the field.
var flagOf = map[string]string{"scopes": "scope"}

// refusal is the error a command cmd ends with when the store refused it:
// input whose fields break the rules names each flag at fault and why, in
// the API's words ("staff add: --email must be an email address like
// name@example.com"); any other error is told as it is.
func refusal(cmd string, err error) error {
	var bad *db.InvalidInput
	if !errors.As(err, &bad) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	var parts []string
	for _, field := range slices.Sorted(maps.Keys(bad.Fields)) {
		flag := field
		if f, ok := flagOf[field]; ok {
			flag = f
		}
		parts = append(parts, "--"+flag+" "+bad.Fields[field])
	}
	return fmt.Errorf("%s: %s", cmd, strings.Join(parts, "; "))
}

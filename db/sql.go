package db

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// dialectSQL is a query in both dialects: written for PostgreSQL, and
// rewritten for SQLite where the two differ.
type dialectSQL struct{ postgres, sqlite string }

// aggregating is a query that lists keys with PostgreSQL's string_agg, in
// both dialects: SQLite's name for it is group_concat.
func aggregating(query string) dialectSQL {
	return dialectSQL{postgres: query, sqlite: strings.ReplaceAll(query, "string_agg(", "group_concat(")}
}

// dialect returns q in the DB's dialect.
func (s *DB) dialect(q dialectSQL) string {
	if s.Dialect == SQLite {
		return q.sqlite
	}
	return q.postgres
}

// listing is a query each of whose "IN (?)" takes a list of strings as a
// single argument (written by listArg), in both dialects: its text does not
// change with the lists' lengths, so it is prepared like every other
// statement.
func listing(query string) dialectSQL {
	return dialectSQL{
		postgres: strings.ReplaceAll(query, "IN (?)", "IN (SELECT json_array_elements_text(?::json))"),
		sqlite:   strings.ReplaceAll(query, "IN (?)", "IN (SELECT value FROM json_each(?))"),
	}
}

// listArg is the argument of a listing query's list: the strings as a JSON array.
func listArg(xs []string) string {
	if xs == nil {
		xs = []string{}
	}
	b, _ := json.Marshal(xs) // a []string always encodes
	return string(b)
}

// keyList splits a space-separated list of permission keys, as the queries
// built with aggregating read them, and sorts it; NULL, the aggregate of no
// rows, is the empty list. Permission keys hold no spaces: the API and the
// console check them against a pattern before they reach the catalog.
func keyList(list sql.NullString) []string {
	keys := strings.Fields(list.String)
	slices.Sort(keys)
	return keys
}

// now is the time stamp stores write: UTC, to the microsecond, so both
// databases store and return the same value.
func now() time.Time { return stamp(time.Now()) }

// stamp is t as the stores write time stamps (see now): a time from
// outside the stores (a dispatcher's clock) is compared with stored ones
// as such, SQLite comparing their text.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullString turns "" into NULL.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// lowerSQL is the SQL that lower-cases a text column as likePrefix
// lower-cases what it is compared with, by Unicode's rules: lower() on
// PostgreSQL (which the index users_name_prefix is built on), sqliteLower
// on SQLite.
func (s *DB) lowerSQL(column string) string {
	if s.Dialect == Postgres {
		return "LOWER(" + column + ")"
	}
	return sqliteLower + "(" + column + ")"
}

// likePrefix turns user input into a LIKE pattern matching it as a
// lower-cased prefix, its wildcards escaped.
func likePrefix(q string) string { return escapeLike(strings.ToLower(q)) + "%" }

// escapeLike escapes LIKE's wildcards and its escape character, the backslash, in s.
func escapeLike(s string) string {
	r := make([]rune, 0, len(s)+1)
	for _, c := range s {
		if c == '%' || c == '_' || c == '\\' {
			r = append(r, '\\')
		}
		r = append(r, c)
	}
	return string(r)
}

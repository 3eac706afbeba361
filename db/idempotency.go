package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// IdempotencyTTL is how long the answer to a request made with an
// Idempotency-Key is replayed.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyWait is how long a request waits on PostgreSQL for another
// request with its key to finish before it is refused.
var IdempotencyWait = 5 * time.Second

// IdempotentResponse is the stored answer of a request made with an
// Idempotency-Key.
type IdempotentResponse struct {
	Status  int
	Body    []byte
	Headers map[string]string
}

var errKeyInProgress = ErrIdempotencyKeyConflict.Saying(
	"Another request with this Idempotency-Key is still in progress; retry it shortly")

var errKeyReused = ErrIdempotencyKeyConflict

// ClaimIdempotencyKey claims a key of the scope for the request with this
// hash. Call it inside the transaction that does the request's work, and
// SaveIdempotentResponse in the same transaction: a request that fails
// rolls its claim back and leaves nothing stored. When the key already
// answered the same request within IdempotencyTTL, it returns that answer
// and claimed = false; another request is idempotency.conflict. A request
// whose key is held by one in flight waits for it to end (on PostgreSQL up
// to 5 s, then idempotency.conflict; SQLite serialises the transactions).
func (s *DB) ClaimIdempotencyKey(ctx context.Context, sc Scope, key, requestHash string) (IdempotentResponse, bool, error) {
	for range 3 {
		claimed, err := s.insertIdempotencyKey(ctx, sc, key, requestHash)
		if err != nil || claimed {
			return IdempotentResponse{}, claimed, err
		}
		var row struct {
			RequestHash string         `db:"request_hash"`
			Status      sql.NullInt64  `db:"status_code"`
			Body        sql.NullString `db:"response_body"`
			Headers     sql.NullString `db:"response_headers"`
			CreatedAt   time.Time      `db:"created_at"`
		}
		err = s.get(ctx, &row, `SELECT request_hash, status_code, response_body, response_headers, created_at
			FROM idempotency_keys WHERE workspace_id = ? AND livemode = ? AND key = ?`, sc.WorkspaceID, sc.Live, key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return IdempotentResponse{}, false, wrap(err, "read idempotency key")
		case time.Since(row.CreatedAt) > IdempotencyTTL:
			if _, err := s.exec(ctx, `DELETE FROM idempotency_keys WHERE workspace_id = ? AND livemode = ? AND key = ? AND created_at < ?`,
				sc.WorkspaceID, sc.Live, key, now().Add(-IdempotencyTTL)); err != nil {
				return IdempotentResponse{}, false, wrap(err, "drop expired idempotency key")
			}
			continue
		case row.RequestHash != requestHash:
			return IdempotentResponse{}, false, errKeyReused
		case !row.Status.Valid:
			return IdempotentResponse{}, false, errKeyInProgress
		}
		body, err := s.openResponse(ctx, row.Body.String)
		if err != nil {
			return IdempotentResponse{}, false, err
		}
		r := IdempotentResponse{Status: int(row.Status.Int64), Body: []byte(body)}
		if row.Headers.Valid {
			if err := json.Unmarshal([]byte(row.Headers.String), &r.Headers); err != nil {
				return r, false, wrap(err, "decode stored headers")
			}
		}
		return r, false, nil
	}
	return IdempotentResponse{}, false, errKeyInProgress
}

// insertIdempotencyKey inserts the claim of a key unless the key is taken;
// on PostgreSQL it waits a bounded time for a request holding the key.
func (s *DB) insertIdempotencyKey(ctx context.Context, sc Scope, key, requestHash string) (bool, error) {
	if s.Dialect == Postgres {
		if _, err := s.exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, IdempotencyWait.Milliseconds())); err != nil {
			return false, wrap(err, "bound the wait for an idempotency key")
		}
	}
	n, err := s.exec(ctx, `INSERT INTO idempotency_keys (workspace_id, livemode, key, request_hash, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, sc.WorkspaceID, sc.Live, key, requestHash, now())
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return false, errKeyInProgress
	}
	if err != nil {
		return false, wrap(err, "claim idempotency key")
	}
	if s.Dialect == Postgres {
		if _, err := s.exec(ctx, `SET LOCAL lock_timeout TO DEFAULT`); err != nil {
			return false, wrap(err, "unbound lock waits")
		}
	}
	return n == 1, nil
}

// SaveIdempotentResponse stores the answer of the request that claimed key.
// The body is stored encrypted with the server key (secretBox): it can
// carry what is shown once, a webhook signing secret or an invitation's
// accept link, and must not be kept in clear.
func (s *DB) SaveIdempotentResponse(ctx context.Context, sc Scope, key string, r IdempotentResponse) error {
	headers, err := json.Marshal(r.Headers)
	if err != nil {
		return wrap(err, "encode headers")
	}
	b, err := s.box(ctx)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `UPDATE idempotency_keys SET status_code = ?, response_body = ?, response_headers = ?
		WHERE workspace_id = ? AND livemode = ? AND key = ?`, r.Status, b.seal(string(r.Body)), string(headers), sc.WorkspaceID, sc.Live, key)
	return wrap(err, "store idempotent response")
}

// openResponse decrypts a stored answer's body. A body stored in clear, by
// a version before answers were encrypted (a JSON body never starts with
// "v1:"), is read as it is until it expires with its key.
func (s *DB) openResponse(ctx context.Context, stored string) (string, error) {
	if !strings.HasPrefix(stored, "v1:") {
		return stored, nil
	}
	b, err := s.box(ctx)
	if err != nil {
		return "", err
	}
	body, err := b.open(stored)
	return body, wrap(err, "read a stored answer")
}

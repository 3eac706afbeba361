package db

import (
	"context"
	"time"
)

// OldWebhookSecrets returns when each of an endpoint's old secrets that
// still sign stops signing, latest first: the console shows them beside
// the endpoint (its current secret is shown once, never again).
func (s *DB) OldWebhookSecrets(ctx context.Context, sc Scope, endpointID string) ([]time.Time, error) {
	if err := staffOnly(sc); err != nil {
		return nil, err
	}
	var ends []time.Time
	err := s.selectAll(ctx, &ends, `SELECT s.expires_at FROM webhook_endpoint_secrets s
		JOIN webhook_endpoints e ON e.workspace_id = s.workspace_id AND e.id = s.endpoint_id
		WHERE s.workspace_id = ? AND e.livemode = ? AND s.endpoint_id = ? AND s.expires_at > ?
		ORDER BY s.expires_at DESC LIMIT ?`, sc.WorkspaceID, sc.Live, endpointID, now(), MaxOldSecrets+1)
	return ends, wrap(err, "list old secrets of webhook endpoint %s", endpointID)
}

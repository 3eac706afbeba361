-- +goose Up
-- An endpoint's deliveries are listed newest first by their event, through
-- the index that keeps one delivery per event and endpoint, UNIQUE
-- (workspace_id, endpoint_id, event_id): the index of (workspace_id,
-- endpoint_id, id) that served the list goes, and every delivery, written
-- in the transaction of its event, writes one index less. The list of one
-- status follows the same order.
DROP INDEX webhook_deliveries_endpoint;
DROP INDEX webhook_deliveries_endpoint_status;
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (workspace_id, endpoint_id, status, event_id);

-- +goose Down
DROP INDEX webhook_deliveries_endpoint_status;
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (workspace_id, endpoint_id, status, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (workspace_id, endpoint_id, id);

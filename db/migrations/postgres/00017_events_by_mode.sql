-- +goose Up
-- An event is always found by its workspace, mode and id, and lists of a
-- workspace's events read (workspace_id, livemode, id) in order: that
-- index, events_list, becomes the primary key, and the key of
-- (workspace_id, id) goes, as SQLite's 00016 did. Every event, one per
-- change, writes one index less. Ids are the server's (db.NewID), never a
-- client's.
ALTER TABLE events DROP CONSTRAINT events_pkey;
DROP INDEX events_list;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (workspace_id, livemode, id);

-- +goose Down
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (workspace_id, id);
CREATE INDEX events_list ON events (workspace_id, livemode, id);

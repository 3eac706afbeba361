package db

import "context"

// EventNames are the names of what a page of events refers to by id:
// people by email (user ids, and membership ids of member actors), API keys
// and accounts by name. Ids have distinct prefixes, so one map holds them.
type EventNames map[string]string

// eventNamesQuery reads the names of lists of users, API keys, accounts and
// memberships (their person's email).
var eventNamesQuery = listing(`SELECT id, email AS name FROM users WHERE workspace_id = ? AND id IN (?)
	UNION ALL SELECT id, name FROM api_keys WHERE workspace_id = ? AND livemode = ? AND id IN (?)
	UNION ALL SELECT id, name FROM accounts WHERE workspace_id = ? AND livemode = ? AND id IN (?)
	UNION ALL SELECT m.id, u.email AS name FROM account_memberships m
		JOIN users u ON u.workspace_id = m.workspace_id AND u.id = m.user_id
		WHERE m.workspace_id = ? AND m.livemode = ? AND m.id IN (?)`)

// NamesOfEvents names, in one query, the users, API keys, accounts and
// memberships that the events' actors and accounts are, as they are now
// (a key or account deleted since has no name). userIDs are people named
// otherwise than by an event's actor (a member actor's user, say).
func (s *DB) NamesOfEvents(ctx context.Context, sc Scope, evs []Event, userIDs []string) (EventNames, error) {
	users, keys, accounts, members := append([]string{""}, userIDs...), []string{""}, []string{""}, []string{""}
	for _, e := range evs {
		switch e.Actor.Type {
		case "user":
			users = append(users, e.Actor.ID)
		case "api_key":
			keys = append(keys, e.Actor.ID)
		case "member":
			members = append(members, e.Actor.ID)
		}
		if e.AccountID != nil {
			accounts = append(accounts, *e.AccountID)
		}
	}
	users, keys, accounts, members = SortedUnique(users), SortedUnique(keys), SortedUnique(accounts), SortedUnique(members)
	var rows []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	err := s.selectAll(ctx, &rows, s.dialect(eventNamesQuery), sc.WorkspaceID, listArg(users), sc.WorkspaceID, sc.Live, listArg(keys),
		sc.WorkspaceID, sc.Live, listArg(accounts), sc.WorkspaceID, sc.Live, listArg(members))
	if err != nil {
		return nil, wrap(err, "name the events' actors and accounts")
	}
	names := make(EventNames, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names, nil
}

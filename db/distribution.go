package db

// UndistributedTables are the tables of the PostgreSQL schema that do not
// hold one workspace's rows, each with how Citus holds it when Roster runs
// distributed by workspace_id (docs/scaling.md) and why. Every other table
// is distributed by workspace_id: its primary key, its unique constraints
// and its foreign keys to other distributed tables include workspace_id,
// and every statement the stores send names its workspace, so that each
// runs on the one node holding that workspace. TestDistributionKeys and
// TestStatementsNameTheirWorkspace check both.
var UndistributedTables = map[string]string{
	"workspaces":       "reference (on every node): the tenants themselves, read by every request",
	"server_secrets":   "reference: keys every process shares, read at start",
	"sessions":         "distributed by token: found by its token before the workspace is known, never joined",
	"rate_limits":      "distributed by key: no longer written (limit_windows replaced it), kept for a rolling upgrade",
	"limit_windows":    "distributed by bucket: a counter written on every limited request, never joined",
	"goose_db_version": "local to the coordinator: migrations run there, under goose's advisory lock",
	"invitation_token_lookup": "reference: the invitation page and its acceptance find the invitation's workspace " +
		"and membership by the token's hash",
	"user_email_lookup": "reference: sign-in finds the workspaces of an email before it knows the workspace",
	"api_key_lookup":    "reference: a request's API key is found by its secret's hash before its workspace is known",
	"staff_invitation_tokens": "reference: the page of a link to join the staff finds the person's workspace " +
		"by the token's hash",
}

// multiShard marks a statement that reads or writes every workspace's
// rows at once: Citus runs it on every node. Each such statement carries
// the mark in its text, so that TestStatementsNameTheirWorkspace accepts
// it and docs/scaling.md lists them all.
const multiShard = "/* multi-shard */ "

// sent runs the test hook onStatement, if any, with the text of a
// statement about to be sent.
func (s *DB) sent(query string) {
	if s.onStatement != nil {
		s.onStatement(query)
	}
}

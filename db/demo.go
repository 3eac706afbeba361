package db

import (
	"context"
	"fmt"
)

// DemoResult says how to sign in to the demo workspace.
type DemoResult struct {
	Workspace, Email, Password string
}

// Demo fills the database with a demo workspace, accounts in both modes and
// keys, so that every page has something to show. It refuses a database
// that already has the demo workspace.
func (s *DB) Demo(ctx context.Context) (DemoResult, error) {
	res := DemoResult{Workspace: "Demo", Email: "owner@demo.example", Password: "demo-password"}
	b, err := s.Bootstrap(ctx, res.Workspace, res.Email, res.Password)
	if err != nil {
		return res, err
	}
	for _, live := range []bool{true, false} {
		sc := Scope{WorkspaceID: b.WorkspaceID, Live: live}
		for i, name := range []string{"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli"} {
			if !live {
				name += " (test)"
			}
			if _, err := s.CreateAccount(ctx, sc, name); err != nil {
				return res, fmt.Errorf("demo account %d: %w", i, err)
			}
		}
	}
	return res, nil
}

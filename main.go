// Command roster serves Roster's console and JSON API and administers its
// database: roster [serve|migrate|bootstrap|apikey create|demo].
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"roster/db"
	"roster/web"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `roster: account memberships for your customers' accounts

Usage:
  roster [serve]                 migrate, then serve HTTP until SIGINT/SIGTERM
  roster migrate                 apply migrations and exit
  roster bootstrap --workspace NAME --email E --password P
                                 create a workspace and its first owner
  roster apikey create --workspace WS --mode live|test --kind secret|publishable [--scope S]...
                                 create an API key and print its secret once
  roster staff add --workspace WS --email E --role owner|admin|support [--password P]
                                 put someone on a workspace's staff (console sign-in)
  roster demo [--base-url URL]   fill a fresh database with a demo workspace and print how to sign in

Every command takes --database-url (or DATABASE_URL) and --help.
`

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args, stdout, stderr)
	case "bootstrap":
		err = bootstrap(ctx, args, stdout, stderr)
	case "apikey":
		err = subcommand(ctx, args, "apikey", "create", "--workspace WS --mode live|test --kind secret|publishable [--scope S]...", apikeyCreate, stdout, stderr)
	case "staff":
		err = subcommand(ctx, args, "staff", "add", "--workspace WS --email E --role owner|admin|support [--name N] [--password P]", staffAdd, stdout, stderr)
	case "demo":
		err = demo(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q (try roster --help)", cmd)
	}
	switch {
	case errors.Is(err, errHelped), errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "roster: "+firstLine(err.Error()))
		return 1
	}
	return 0
}

// errHelped is returned by a command that printed its help.
var errHelped = errors.New("help printed")

// subcommand runs the one verb of a command ("apikey create", "staff add"),
// or prints its usage for --help.
func subcommand(ctx context.Context, args []string, cmd, verb, synopsis string,
	fn func(context.Context, []string, io.Writer, io.Writer) error, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == verb {
		return fn(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, "Usage: roster %s %s %s\n", cmd, verb, synopsis)
		return errHelped
	}
	return fmt.Errorf("%s: want 'roster %s %s …'", cmd, cmd, verb)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// newFlags makes a command's flag set: errors are returned, not printed
// twice, and --help prints the command's usage.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		fmt.Fprintf(stdout, "Usage: roster %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags, printing usage for --help and refusing extra arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// databaseFlag adds --database-url, defaulting to DATABASE_URL.
func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database-url", env("DATABASE_URL", db.DefaultURL),
		"database: postgres://… or sqlite:PATH (env DATABASE_URL)")
}

// openDB opens and migrates the database.
func openDB(ctx context.Context, url string) (*db.DB, error) {
	d, err := db.Open(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// openWorkspace opens the database and finds the workspace named by ref
// (its id or name) for the command cmd.
func openWorkspace(ctx context.Context, url, ref, cmd string) (*db.DB, db.Workspace, error) {
	d, err := openDB(ctx, url)
	if err != nil {
		return nil, db.Workspace{}, err
	}
	w, err := d.WorkspaceByRef(ctx, ref)
	if err != nil {
		d.Close()
		return nil, db.Workspace{}, fmt.Errorf("%s: no workspace %q", cmd, ref)
	}
	return d, w, nil
}

func migrate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("migrate", "migrate [--database-url URL]", stdout)
	dbURL := databaseFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := openDB(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func bootstrap(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("bootstrap", "bootstrap --workspace NAME --email E --password P [--json]", stdout)
	dbURL := databaseFlag(fs)
	ws := fs.String("workspace", "", "name of the workspace to create")
	email := fs.String("email", "", "email of its first owner")
	password := fs.String("password", "", "console password of its first owner (at least 8 characters)")
	asJSON := fs.Bool("json", false, "print the ids as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := openDB(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := d.Bootstrap(ctx, db.NewWorkspace{Name: *ws, Email: *email, Password: *password})
	if err != nil {
		return refusal("bootstrap", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "workspace %s (%s)\nowner %s (%s), workspace membership %s\n", res.WorkspaceID, *ws, *email, res.UserID, res.StaffID)
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func apikeyCreate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("apikey create", "apikey create --workspace WS --mode live|test --kind secret|publishable [--scope S]... [--name N] [--json]", stdout)
	dbURL := databaseFlag(fs)
	ws := fs.String("workspace", "", "workspace id or name")
	mode := fs.String("mode", "test", "live or test")
	kind := fs.String("kind", "secret", "secret or publishable")
	name := fs.String("name", "", "a name to recognise the key by")
	asJSON := fs.Bool("json", false, "print the key as JSON")
	var scopes stringList
	fs.Var(&scopes, "scope", "limit a secret key to a scope (repeatable): "+strings.Join(db.Scopes, ", "))
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *ws == "":
		return errors.New("apikey create: --workspace is required")
	case *mode != "live" && *mode != "test":
		return fmt.Errorf("apikey create: --mode must be live or test, not %q", *mode)
	}
	d, w, err := openWorkspace(ctx, *dbURL, *ws, "apikey create")
	if err != nil {
		return err
	}
	defer d.Close()
	k, secret, err := d.CreateAPIKey(ctx, db.Scope{WorkspaceID: w.ID, Live: *mode == "live"}, db.NewAPIKey{Kind: *kind, Name: *name, Scopes: scopes})
	if err != nil {
		return refusal("apikey create", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"id": k.ID, "secret": secret, "mode": *mode, "kind": k.Kind})
	}
	fmt.Fprintf(stdout, "%s\n(key %s, %s %s; this is the only time the secret is shown)\n", secret, k.ID, *mode, k.Kind)
	return nil
}

func staffAdd(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("staff add", "staff add --workspace WS --email E --role owner|admin|support [--name N] [--password P] [--json]", stdout)
	dbURL := databaseFlag(fs)
	ws := fs.String("workspace", "", "workspace id or name")
	email := fs.String("email", "", "email of the person")
	role := fs.String("role", db.RoleSupport, "console role: owner, admin or support")
	name := fs.String("name", "", "their name")
	password := fs.String("password", "", "console password (at least 8 characters); without it they cannot sign in yet")
	asJSON := fs.Bool("json", false, "print the workspace membership as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *ws == "" {
		return errors.New("staff add: --workspace is required")
	}
	d, w, err := openWorkspace(ctx, *dbURL, *ws, "staff add")
	if err != nil {
		return err
	}
	defer d.Close()
	sm, err := d.CreateStaff(ctx, w.ID, db.NewStaff{Email: *email, Name: *name, Role: *role, Password: *password})
	if err != nil {
		return refusal("staff add", err)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{"workspace_membership_id": sm.ID, "user_id": sm.UserID, "role": sm.Role})
	}
	fmt.Fprintf(stdout, "%s is %s of workspace %s (workspace membership %s)\n", sm.User.Email, sm.Role, w.Name, sm.ID)
	return nil
}

func demo(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("demo", "demo [--database-url URL] [--base-url URL]", stdout)
	dbURL := databaseFlag(fs)
	baseURL := fs.String("base-url", env("ROSTER_BASE_URL", "http://"+env("ROSTER_ADDR", "127.0.0.1:8080")),
		"where the console will be served, for the links of the demo invitations (env ROSTER_BASE_URL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	base := strings.TrimRight(*baseURL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("demo: --base-url: want http(s)://host[:port], got %q", *baseURL)
	}
	d, err := openDB(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := d.Demo(ctx, func(token string) string { return base + "/invitations/" + token })
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "The demo workspace %q is ready. Serve it with roster serve, then sign in at %s/login as:\n", res.Workspace, base)
	for _, st := range res.Staff {
		fmt.Fprintf(stdout, "  %-8s %-22s password %s\n", st.Role, st.Email, st.Password)
	}
	fmt.Fprintf(stdout, "A test-mode secret key for the API (shown this once): %s\n", res.TestKey)
	return nil
}

// serveConfig is serve's configuration, from flags and the environment.
type serveConfig struct {
	addr, dbURL, baseURL, logFormat, smtpURL string
	rateLimit, poolSize                      int
	jwt                                      web.JWTConfig
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "[serve] [flags]", stdout)
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", env("ROSTER_ADDR", "127.0.0.1:8080"), "address to listen on (env ROSTER_ADDR)")
	dbURL := databaseFlag(fs)
	fs.StringVar(&cfg.baseURL, "base-url", env("ROSTER_BASE_URL", ""), "public URL, for links in emails (env ROSTER_BASE_URL; default http://ADDR)")
	fs.StringVar(&cfg.jwt.JWKSURL, "jwt-jwks-url", env("ROSTER_JWT_JWKS_URL", ""), "JWKS of the auth provider, for RS256/ES256 tokens (env ROSTER_JWT_JWKS_URL)")
	fs.StringVar(&cfg.jwt.HS256Key, "jwt-hs256-secret", env("ROSTER_JWT_HS256_SECRET", ""), "shared secret for HS256 tokens (env ROSTER_JWT_HS256_SECRET)")
	fs.StringVar(&cfg.jwt.Issuer, "jwt-issuer", env("ROSTER_JWT_ISSUER", ""), "required iss claim (env ROSTER_JWT_ISSUER)")
	fs.StringVar(&cfg.jwt.Audience, "jwt-audience", env("ROSTER_JWT_AUDIENCE", ""), "required aud claim (env ROSTER_JWT_AUDIENCE)")
	fs.StringVar(&cfg.smtpURL, "smtp-url", env("ROSTER_SMTP_URL", ""), "SMTP server for invitation emails, smtp://user:pass@host:port (env ROSTER_SMTP_URL)")
	fs.StringVar(&cfg.logFormat, "log-format", env("ROSTER_LOG_FORMAT", "text"), "text or json (env ROSTER_LOG_FORMAT)")
	rate := fs.String("rate-limit", env("ROSTER_RATE_LIMIT", "100"), "API requests per second per credential, 0 for none (env ROSTER_RATE_LIMIT)")
	pool := fs.String("db-pool-size", env("ROSTER_DB_POOL_SIZE", strconv.Itoa(db.DefaultPoolSize())),
		"PostgreSQL connections this process keeps at most (env ROSTER_DB_POOL_SIZE)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.dbURL = *dbURL
	if err := cfg.check(*rate, *pool); err != nil {
		return err
	}
	logger := newLogger(cfg.logFormat, stderr)

	d, err := openDB(ctx, cfg.dbURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if d.Dialect == db.Postgres {
		d.SetPoolSize(cfg.poolSize)
	}
	srv, err := web.New(ctx, d, web.Config{
		BaseURL: cfg.baseURL, JWT: cfg.jwt, RateLimit: cfg.rateLimit, Logger: logger,
		Secure: strings.HasPrefix(cfg.baseURL, "https://"), SMTPURL: cfg.smtpURL,
	})
	if err != nil {
		return err
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.addr) }()
	fmt.Fprintf(stdout, "Roster is serving on http://%s (database: %s)\n", cfg.addr, d.Dialect)
	if ok, err := d.HasOwner(ctx); err == nil && !ok {
		fmt.Fprintf(stdout, "No owner yet. Create one with:\n  roster bootstrap --workspace \"Acme\" --email you@example.com --password '…'\nor fill a demo workspace with: roster demo\n")
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		logger.Info("shutting down: draining requests in flight")
	}
	if err := srv.Shutdown(20 * time.Second); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// check validates the configuration, naming the variable at fault.
func (c *serveConfig) check(rate, pool string) error {
	n, err := strconv.Atoi(rate)
	if err != nil || n < 0 {
		return fmt.Errorf("ROSTER_RATE_LIMIT: want a whole number ≥ 0, got %q", rate)
	}
	c.rateLimit = n
	if c.poolSize, err = strconv.Atoi(pool); err != nil || c.poolSize < 1 {
		return fmt.Errorf("ROSTER_DB_POOL_SIZE: want a whole number ≥ 1, got %q", pool)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("ROSTER_LOG_FORMAT: want text or json, got %q", c.logFormat)
	}
	if c.baseURL == "" {
		c.baseURL = "http://" + c.addr
	}
	if u, err := url.Parse(c.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("ROSTER_BASE_URL: want http(s)://host[:port], got %q", c.baseURL)
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	if c.jwt.JWKSURL != "" && c.jwt.HS256Key != "" {
		return errors.New("ROSTER_JWT_JWKS_URL and ROSTER_JWT_HS256_SECRET: set one, not both")
	}
	if c.jwt.HS256Key != "" && len(c.jwt.HS256Key) < 32 {
		return errors.New("ROSTER_JWT_HS256_SECRET: must be at least 32 characters")
	}
	if c.smtpURL != "" {
		if u, err := url.Parse(c.smtpURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return errors.New("ROSTER_SMTP_URL: want smtp://user:pass@host:port")
		}
	}
	return nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

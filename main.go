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
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"roster/db"
	"roster/dnstxt"
	"roster/web"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case errors.Is(err, errHelped):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "roster: "+firstLine(err.Error()))
		return 1
	}
	return 0
}

// errHelped is returned by a command that printed its help.
var errHelped = errors.New("help printed")

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// databaseFlag adds --database-url, defaulting to DATABASE_URL.
func databaseFlag(fs *flag.FlagSet) *string {
	return secretString(fs, "database-url", "DATABASE_URL", db.DefaultURL, "the database's `URL`: postgres://… or sqlite:PATH")
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

func migrate(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
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

func bootstrap(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
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

func apikeyCreate(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
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

func staffAdd(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
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

func demo(ctx context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
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
	trustedProxies, corsOrigins              string // as given; parsed into proxies and origins
	proxies                                  []netip.Prefix
	secretKey                                string
	webhookNets                              string // as given; parsed into allowNets
	allowNets                                []netip.Prefix
	webhookLease                             time.Duration
	origins                                  []string
	metricsAddr, pprof                       string // pprof as given; parsed into withPprof
	dnsServer                                string
	withPprof                                bool
	shutdownTimeout                          time.Duration
}

func serve(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", env("ROSTER_ADDR", "127.0.0.1:8080"), "address to listen on (env ROSTER_ADDR)")
	dbURL := databaseFlag(fs)
	fs.StringVar(&cfg.baseURL, "base-url", env("ROSTER_BASE_URL", ""), "public URL, for links in emails (env ROSTER_BASE_URL; default http://ADDR)")
	fs.StringVar(&cfg.jwt.JWKSURL, "jwt-jwks-url", env("ROSTER_JWT_JWKS_URL", ""), "JWKS of the auth provider, for RS256/ES256 tokens (env ROSTER_JWT_JWKS_URL)")
	hs256 := secretString(fs, "jwt-hs256-secret", "ROSTER_JWT_HS256_SECRET", "", "shared `secret` for HS256 tokens")
	fs.StringVar(&cfg.jwt.Issuer, "jwt-issuer", env("ROSTER_JWT_ISSUER", ""), "required iss claim (env ROSTER_JWT_ISSUER)")
	fs.StringVar(&cfg.jwt.Audience, "jwt-audience", env("ROSTER_JWT_AUDIENCE", ""), "required aud claim (env ROSTER_JWT_AUDIENCE)")
	smtpURL := secretString(fs, "smtp-url", "ROSTER_SMTP_URL", "", "`URL` of the SMTP server for invitation emails, smtp://user:pass@host:port")
	fs.StringVar(&cfg.logFormat, "log-format", env("ROSTER_LOG_FORMAT", "text"), "text or json (env ROSTER_LOG_FORMAT)")
	rate := fs.String("rate-limit", env("ROSTER_RATE_LIMIT", "100"), "API requests per second per credential, 0 for none (env ROSTER_RATE_LIMIT)")
	pool := fs.String("db-pool-size", env("ROSTER_DB_POOL_SIZE", strconv.Itoa(db.DefaultPoolSize())),
		"PostgreSQL connections this process keeps at most (env ROSTER_DB_POOL_SIZE)")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", env("ROSTER_TRUSTED_PROXIES", ""),
		"comma-separated `CIDRs` of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env ROSTER_TRUSTED_PROXIES)")
	drain := fs.String("shutdown-timeout", env("ROSTER_SHUTDOWN_TIMEOUT", "20s"),
		"how long to drain requests in flight on SIGINT/SIGTERM, such as 20s or 1m (env ROSTER_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", env("ROSTER_METRICS_ADDR", ""),
		"`address` of a listener of its own for GET /metrics (Prometheus); none by default (env ROSTER_METRICS_ADDR)")
	fs.StringVar(&cfg.pprof, "pprof", env("ROSTER_PPROF", "0"), "1 adds /debug/pprof/ to the metrics listener (env ROSTER_PPROF)")
	secretKey := secretString(fs, "secret-key", "ROSTER_SECRET_KEY", "",
		"`key` (at least 32 characters) that encrypts webhook signing secrets; default: one generated into the database")
	fs.StringVar(&cfg.webhookNets, "webhook-allow-nets", env("ROSTER_WEBHOOK_ALLOW_NETS", ""),
		"comma-separated `CIDRs` of loopback, private or link-local networks webhooks may still be sent to (env ROSTER_WEBHOOK_ALLOW_NETS)")
	lease := fs.String("webhook-lease", env("ROSTER_WEBHOOK_LEASE", "1m"),
		"how long a process holds a webhook delivery it claimed before another may try it, such as 1m (env ROSTER_WEBHOOK_LEASE)")
	fs.StringVar(&cfg.corsOrigins, "cors-origins", env("ROSTER_CORS_ORIGINS", ""),
		"comma-separated `origins` (https://app.example.com) whose browsers may call the routes of publishable keys (env ROSTER_CORS_ORIGINS)")
	fs.StringVar(&cfg.dnsServer, "dns-server", env("ROSTER_DNS_SERVER", ""),
		"`host:port` of the DNS server that domain verification asks for TXT records; default: the system resolver (env ROSTER_DNS_SERVER)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.dbURL, cfg.jwt.HS256Key, cfg.smtpURL, cfg.secretKey = *dbURL, *hs256, *smtpURL, *secretKey
	if err := cfg.check(*rate, *pool, *drain); err != nil {
		return err
	}
	var err error
	if cfg.webhookLease, err = time.ParseDuration(*lease); err != nil || cfg.webhookLease < time.Second {
		return fmt.Errorf("ROSTER_WEBHOOK_LEASE: want a duration of at least 1s, such as 1m, got %q", *lease)
	}
	logs := newLogBuffer(stderr)
	defer logs.Close()
	logger := newLogger(cfg.logFormat, logs)

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
		Secure: strings.HasPrefix(cfg.baseURL, "https://"), SMTPURL: cfg.smtpURL, TrustedProxies: cfg.proxies,
		CORSOrigins: cfg.origins, Metrics: cfg.metricsAddr != "", PProf: cfg.withPprof,
		SecretKey: cfg.secretKey, WebhookAllowNets: cfg.allowNets, DNSServer: cfg.dnsServer,
		Webhooks: web.WebhookOptions{Lease: cfg.webhookLease, Version: readBuildInfo().Version},
	})
	if err != nil {
		return err
	}

	errc := make(chan error, 2)
	go func() { errc <- srv.Listen(cfg.addr) }()
	fmt.Fprintf(stdout, "Roster is serving on http://%s (database: %s)\n", cfg.addr, d.Dialect)
	if cfg.metricsAddr != "" {
		go func() { errc <- srv.ListenMetrics(cfg.metricsAddr) }()
		fmt.Fprintf(stdout, "Metrics on http://%s/metrics\n", cfg.metricsAddr)
	}
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
	if err := srv.Shutdown(cfg.shutdownTimeout); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// check validates the configuration, naming the variable at fault.
func (c *serveConfig) check(rate, pool, drain string) error {
	n, err := strconv.Atoi(rate)
	if err != nil || n < 0 {
		return fmt.Errorf("ROSTER_RATE_LIMIT: want a whole number ≥ 0, got %q", rate)
	}
	c.rateLimit = n
	if c.poolSize, err = strconv.Atoi(pool); err != nil || c.poolSize < 1 {
		return fmt.Errorf("ROSTER_DB_POOL_SIZE: want a whole number ≥ 1, got %q", pool)
	}
	if c.shutdownTimeout, err = time.ParseDuration(drain); err != nil || c.shutdownTimeout <= 0 {
		return fmt.Errorf("ROSTER_SHUTDOWN_TIMEOUT: want a duration such as 20s, got %q", drain)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("ROSTER_LOG_FORMAT: want text or json, got %q", c.logFormat)
	}
	if _, port, err := net.SplitHostPort(c.addr); err != nil || port == "" {
		return fmt.Errorf("ROSTER_ADDR: want host:port, such as 127.0.0.1:8080, got %q", c.addr)
	}
	if c.baseURL == "" {
		c.baseURL = "http://" + c.addr
	}
	if u, err := url.Parse(c.baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("ROSTER_BASE_URL: want http(s)://host[:port], got %q", c.baseURL)
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	if c.proxies, err = web.ParseTrustedProxies(c.trustedProxies); err != nil {
		return fmt.Errorf("ROSTER_TRUSTED_PROXIES: %w", err)
	}
	if c.allowNets, err = web.ParseTrustedProxies(c.webhookNets); err != nil {
		return fmt.Errorf("ROSTER_WEBHOOK_ALLOW_NETS: %w", err)
	}
	if err := dnstxt.CheckServer(c.dnsServer); err != nil {
		return fmt.Errorf("ROSTER_DNS_SERVER: %w", err)
	}
	if c.secretKey != "" && len(c.secretKey) < 32 {
		return errors.New("ROSTER_SECRET_KEY: must be at least 32 characters")
	}
	if c.origins, err = web.ParseCORSOrigins(c.corsOrigins); err != nil {
		return fmt.Errorf("ROSTER_CORS_ORIGINS: %w", err)
	}
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
	return c.checkMetrics()
}

// checkMetrics validates the metrics listener: its own address, and
// pprof only there.
func (c *serveConfig) checkMetrics() error {
	var err error
	if c.withPprof, err = strconv.ParseBool(c.pprof); err != nil {
		return fmt.Errorf("ROSTER_PPROF: want 1 or 0, got %q", c.pprof)
	}
	if c.metricsAddr == "" {
		if c.withPprof {
			return errors.New("ROSTER_PPROF: needs ROSTER_METRICS_ADDR: pprof is served on the metrics listener only")
		}
		return nil
	}
	host, port, err := net.SplitHostPort(c.metricsAddr)
	if err != nil {
		return fmt.Errorf("ROSTER_METRICS_ADDR: want host:port, got %q", c.metricsAddr)
	}
	if publicHost, publicPort, err := net.SplitHostPort(c.addr); err == nil && port == publicPort &&
		(host == publicHost || wildcard(host) || wildcard(publicHost)) {
		return fmt.Errorf("ROSTER_METRICS_ADDR: %s is the public address %s: metrics need a listener of their own", c.metricsAddr, c.addr)
	}
	return nil
}

// wildcard reports whether host listens on every address.
func wildcard(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

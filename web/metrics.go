package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"roster/db"
)

// startMetrics builds the collectors and their HTTP server when
// Config.Metrics asks for them; it runs after the routes are registered.
func (s *Server) startMetrics() {
	if s.metrics == nil {
		return
	}
	s.metrics.learnRoutes(s.App)
	s.metricsServer = &http.Server{Handler: s.metrics.handler(s.cfg.PProf), ReadHeaderTimeout: 10 * time.Second}
}

// stopMetrics closes the metrics listener, waiting up to timeout for a
// scrape in progress.
func (s *Server) stopMetrics(timeout time.Duration) error {
	if s.metricsServer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.metricsServer.Shutdown(ctx)
}

// metrics are the server's Prometheus collectors, in a registry of its own
// (nothing is registered globally), served by ServeMetrics on a listener
// of its own, never the public one.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	signIns  *prometheus.CounterVec
	refusals *prometheus.CounterVec
	routes   map[*fiber.Handler]string // a route's first handler → its pattern
}

// unmatchedRoute is the route label of a request that matched no route.
const unmatchedRoute = "unmatched"

// newMetrics builds the collectors: requests by route pattern, method and
// status, their latency, sign-in and rate-limit refusals, the outbox's
// queue and the database pool, read when scraped, and the Go runtime's
// and the process's.
func newMetrics(store *db.DB) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "roster_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_signin_refusals_total",
			Help: "Console sign-in attempts refused: bad_credentials (wrong email or password) or throttled.",
		}, []string{"reason"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roster_rate_limit_refusals_total",
			Help: "Requests refused by a limit: api (ROSTER_RATE_LIMIT), signin_address or signin_email.",
		}, []string{"limit"}),
		routes: map[*fiber.Handler]string{},
	}
	m.registry.MustRegister(m.requests, m.latency, m.signIns, m.refusals,
		backlogCollector{outboxPendingDesc, outboxAgeDesc, store.OutboxBacklog},
		backlogCollector{webhookPendingDesc, webhookAgeDesc, store.WebhookBacklog},
		collectors.NewDBStatsCollector(store.DB.DB, "roster"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if bg := store.BackgroundPool(); bg != nil {
		m.registry.MustRegister(collectors.NewDBStatsCollector(bg, "roster_background"))
	}
	return m
}

// learnRoutes records the pattern of every route of the app (not its
// middleware), by the first of its handlers: c.Route() of a request that
// reached a route is that route.
func (m *metrics) learnRoutes(app *fiber.App) {
	for _, r := range app.GetRoutes(true) {
		if len(r.Handlers) > 0 {
			m.routes[&r.Handlers[0]] = r.Path
		}
	}
}

// route is the label of the request's route: its pattern (/v1/accounts/:id,
// never the path asked for). A request refused by middleware before it
// reached its route (401, 429, a CSRF refusal) is counted under that
// middleware's prefix and "/*" (/v1/*, /*); one that matched no route
// under "unmatched".
func (m *metrics) route(c *fiber.Ctx) string {
	r := c.Route()
	if len(r.Handlers) == 0 {
		return unmatchedRoute
	}
	if p, ok := m.routes[&r.Handlers[0]]; ok {
		return p
	}
	switch c.Response().StatusCode() {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return unmatchedRoute
	}
	return strings.TrimSuffix(r.Path, "/") + "/*"
}

// observe counts the request and its latency once it has been answered
// (logRequests, after it, turns errors into answers).
func (m *metrics) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	route, method := m.route(c), c.Method()
	m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().StatusCode())).Inc()
	m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	return err
}

// refused counts a request refused by the limit named; m may be nil
// (metrics off).
func (m *metrics) refused(limit string) {
	if m != nil {
		m.refusals.WithLabelValues(limit).Inc()
	}
}

// signInRefused counts a refused sign-in; m may be nil.
func (m *metrics) signInRefused(reason string) {
	if m != nil {
		m.signIns.WithLabelValues(reason).Inc()
	}
}

// backlogCollector reads a queue's backlog when scraped: how many items
// wait, and how long the one waiting longest has waited.
type backlogCollector struct {
	pending, age *prometheus.Desc
	// read returns how many wait, and since when the longest has waited
	// (zero when none has).
	read func(context.Context) (int, time.Time, error)
}

var (
	outboxPendingDesc = prometheus.NewDesc("roster_outbox_pending",
		"Emails in the outbox waiting to be handed over.", nil, nil)
	outboxAgeDesc = prometheus.NewDesc("roster_outbox_oldest_pending_age_seconds",
		"How long the oldest email waiting in the outbox has waited (0 when none waits).", nil, nil)
	webhookPendingDesc = prometheus.NewDesc("roster_webhook_deliveries_pending",
		"Webhook deliveries waiting to be sent or being sent (pending and sending).", nil, nil)
	webhookAgeDesc = prometheus.NewDesc("roster_webhook_oldest_due_age_seconds",
		"How long the delivery most overdue has been due (0 when none is due): the dispatcher's lag.", nil, nil)
)

// Describe sends the queue's descriptions.
func (b backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.pending
	ch <- b.age
}

// Collect reads the queue; a database that does not answer within 2 s is
// reported as an invalid metric, which fails the scrape of these two only.
func (b backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pending, since, err := b.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(b.pending, err)
		return
	}
	age := 0.0
	if !since.IsZero() {
		age = max(0, time.Since(since).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(b.pending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(b.age, prometheus.GaugeValue, age)
}

// metricsHandler answers GET /metrics and, with pprof, /debug/pprof/.
func (m *metrics) handler(withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// ServeMetrics serves GET /metrics (and /debug/pprof/ when Config.PProf)
// on ln, its own listener, until Shutdown. It refuses when the server was
// built without Config.Metrics.
func (s *Server) ServeMetrics(ln net.Listener) error {
	if s.metricsServer == nil {
		return errors.New("web: metrics are off (Config.Metrics)")
	}
	if err := s.metricsServer.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// ListenMetrics serves the metrics on addr until Shutdown.
func (s *Server) ListenMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	return s.ServeMetrics(ln)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// serveOpts are serve's flags.
type serveOpts struct {
	listen   string // --listen: unix:PATH, or a loopback address:port
	maxWatch int    // --max-watchers
}

// runServe serves the cache over HTTP on a Unix socket (owner only) or a
// loopback address until SIGINT or SIGTERM, then shuts down gracefully.
func runServe(e *env, o serveOpts, pos []string) int {
	listen, maxWatch := &o.listen, &o.maxWatch
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "ipdb serve: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	sockPath, isUnix := strings.CutPrefix(*listen, "unix:")
	if isUnix {
		if sockPath == "" {
			fmt.Fprintln(e.stderr, "ipdb serve: unix: needs a path (--listen unix:/run/ipdb.sock)")
			return exitUsage
		}
	} else if err := checkLoopback(*listen); err != nil {
		fmt.Fprintf(e.stderr, "ipdb serve: %v\n", err)
		return exitUsage
	}
	var srv *server
	if e.g.allNetns {
		set, err := e.openSet()
		if err != nil {
			return e.fail("serve", err)
		}
		defer set.Close()
		srv = newSetServer(set, *maxWatch)
	} else {
		opts := []ipdb.Option{}
		if e.netns != "" {
			opts = append(opts, ipdb.WithNetNS(e.netns))
		}
		octx, cancel := context.WithTimeout(e.ctx, e.syncTimeout)
		db, err := ipdb.Open(octx, opts...)
		cancel()
		if err != nil {
			return e.fail("serve", err)
		}
		defer db.Close()
		srv = newServer(db, *maxWatch)
	}
	defer srv.Close()
	var err error
	var ln net.Listener
	where := "http://"
	if isUnix {
		var us *unixSocket
		if us, err = listenUnix(sockPath); err != nil {
			return e.fail("serve", err)
		}
		defer us.remove()
		ln, where = us.ln, "unix:"
	} else if ln, err = net.Listen("tcp", *listen); err != nil {
		return e.fail("serve", err)
	}
	// net/http's own 400/431/505 answers become JSON too.
	ln = jsonErrorListener{Listener: ln, count: func(code int) { srv.count("other", code) }}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	addr := ln.Addr().String()
	if isUnix {
		addr = sockPath // ln is bound to a name in a private directory, linked here
	}
	fmt.Fprintf(e.stdout, "ipdb serve: listening on %s%s\n", where, addr)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return e.fail("serve", err)
	case <-srv.done():
		hs.Close()
		<-errc
		return e.fail("serve", errors.New("database closed"))
	case <-e.ctx.Done():
	}
	// Graceful: end the watch streams, then let other requests finish.
	srv.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-errc
	fmt.Fprintln(e.stdout, "ipdb serve: stopped")
	return exitOK
}

// checkLoopback accepts only listen addresses on a loopback interface: the
// server has no authentication.
func checkLoopback(listen string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("bad listen address %q: %v", listen, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port in listen address %q", listen)
	}
	if host == "localhost" {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: the server has no authentication, so only loopback addresses (127.0.0.1, [::1], localhost) are allowed", listen)
	}
	return nil
}

// server is the HTTP face of a cache. It is an http.Handler; Close ends the
// watch streams.
type server struct {
	db       *ipdb.DB
	watcher  *watch.Watcher
	mux      *http.ServeMux
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	streams  prometheus.Gauge

	stop     context.Context
	stopFunc context.CancelFunc
	slots    chan struct{} // one token per allowed watch stream
	closed   sync.Once

	// set and setWatcher replace db and watcher under --all-netns
	// (serve_netns.go).
	set        *ipdb.Set
	setWatcher *watch.SetWatcher
}

// newServer returns the handler for db. maxWatch bounds concurrent watch
// streams; more get 503.
func newServer(db *ipdb.DB, maxWatch int) *server {
	s := newServerBase(maxWatch)
	s.db, s.watcher = db, watch.New(db)
	s.registry.MustRegister(statsCollector{db})
	for i := range commandKinds {
		k := &commandKinds[i]
		s.mux.HandleFunc(k.servePath(), s.handleTable(k.table))
	}
	s.mux.HandleFunc("/healthz", s.handleHealth)
	s.handleCommon(servePaths())
	return s
}

// newServerBase returns a server without a cache: the HTTP counters, the
// watch slots and the stop signal.
func newServerBase(maxWatch int) *server {
	if maxWatch <= 0 {
		maxWatch = 1
	}
	s := &server{
		mux:      http.NewServeMux(),
		registry: prometheus.NewRegistry(),
		slots:    make(chan struct{}, maxWatch),
	}
	s.stop, s.stopFunc = context.WithCancel(context.Background())
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ipdb_http_requests_total", Help: "HTTP requests by endpoint and status code.",
	}, []string{"endpoint", "code"})
	s.streams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ipdb_watch_streams", Help: "Open /v1/watch streams.",
	})
	s.registry.MustRegister(s.requests, s.streams)
	return s
}

// handleCommon adds /v1/watch, /metrics and the 404 answer that lists
// paths.
func (s *server) handleCommon(paths []string) {
	s.mux.HandleFunc("/v1/watch", s.handleWatch)
	metrics := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	s.mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if !s.onlyGET(w, r, "metrics") {
			return
		}
		metrics.ServeHTTP(w, r)
		s.count("metrics", http.StatusOK)
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, "other", http.StatusNotFound, fmt.Sprintf("no such endpoint %s (try %s, /v1/watch, /healthz, /metrics)", r.URL.Path, strings.Join(paths, ", ")))
	})
}

// Close ends the watch streams and the watcher. It is safe to call more
// than once.
func (s *server) Close() {
	s.closed.Do(func() {
		s.stopFunc()
		if s.watcher != nil {
			s.watcher.Close()
		}
		if s.setWatcher != nil {
			s.setWatcher.Close()
		}
	})
}

// done is closed when the cache (the database or the set) is closed.
func (s *server) done() <-chan struct{} {
	if s.set != nil {
		return s.set.Done()
	}
	return s.db.Done()
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *server) count(endpoint string, code int) {
	s.requests.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
}

// error answers with a JSON error body.
func (s *server) error(w http.ResponseWriter, endpoint string, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": msg, "status": code})
	s.count(endpoint, code)
}

func (s *server) onlyGET(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.error(w, endpoint, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use GET")
		return false
	}
	return true
}

// checkQuery rejects parameters the endpoint does not know.
func (s *server) checkQuery(w http.ResponseWriter, r *http.Request, endpoint string, known ...string) bool {
	q, err := urlQuery(r)
	if err != nil {
		s.error(w, endpoint, http.StatusBadRequest, "bad query: "+err.Error())
		return false
	}
	for k := range q {
		ok := false
		for _, n := range known {
			ok = ok || k == n
		}
		if !ok {
			s.error(w, endpoint, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q", k))
			return false
		}
	}
	return true
}

func (s *server) synced() bool {
	if s.set != nil {
		return true // openSet returns once every namespace synced; later ones join the view when they have
	}
	select {
	case <-s.db.Synced():
		return true
	default:
		return false
	}
}

func (s *server) handleTable(table string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.onlyGET(w, r, table) || !s.checkQuery(w, r, table) {
			return
		}
		if !s.synced() {
			s.error(w, table, http.StatusServiceUnavailable, "cache not synced yet")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		snap := s.db.Snapshot()
		writeJSONTo(w, func(j *jsonOut) { writeSnapshotTable(j, snap, table) })
		s.count(table, http.StatusOK)
	}
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !s.onlyGET(w, r, "healthz") || !s.checkQuery(w, r, "healthz") {
		return
	}
	if !s.synced() {
		s.error(w, "healthz", http.StatusServiceUnavailable, "cache not synced yet")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"status": "ok", "revision": s.db.Revision()})
	s.count("healthz", http.StatusOK)
}

// watchWriteTimeout bounds each event write: a client that stops reading
// is dropped instead of holding a goroutine forever.
const watchWriteTimeout = 30 * time.Second

// handleWatch streams events as newline-delimited JSON until the client
// goes away or the server stops. ?kind=link,route selects kinds;
// ?initial=1 sends the current state first; under --all-netns,
// ?netns=A,B selects namespaces (serve_netns.go).
func (s *server) handleWatch(w http.ResponseWriter, r *http.Request) {
	known := []string{"kind", "initial"}
	if s.set != nil {
		known = append(known, "netns")
	}
	if !s.onlyGET(w, r, "watch") || !s.checkQuery(w, r, "watch", known...) {
		return
	}
	q, _ := urlQuery(r)
	var filter watch.Filter
	if ks := q.Get("kind"); ks != "" {
		var kinds []netlink.Kind
		for _, k := range strings.Split(ks, ",") {
			row := commandKindOfWatchWord(k)
			if row == nil {
				s.error(w, "watch", http.StatusBadRequest, fmt.Sprintf("unknown kind %q (want %s)", k, orList(kindNames())))
				return
			}
			kinds = append(kinds, row.kind)
		}
		filter = watch.Kinds(kinds...)
	}
	if s.set != nil {
		if f := s.netnsFilter(q); f != nil {
			if filter != nil {
				f = watch.All(filter, f)
			}
			filter = f
		}
	}
	var opts []watch.Option
	if v := q.Get("initial"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.error(w, "watch", http.StatusBadRequest, fmt.Sprintf("bad initial %q (want true or false)", v))
			return
		}
		if b {
			opts = append(opts, watch.WithInitial())
		}
	}
	if !s.synced() {
		s.error(w, "watch", http.StatusServiceUnavailable, "cache not synced yet")
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		s.error(w, "watch", http.StatusServiceUnavailable, "too many watch streams")
		return
	}
	s.streams.Inc()
	defer s.streams.Dec()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.stop.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	s.count("watch", http.StatusOK)
	var events <-chan watch.Event
	var write func(io.Writer, watch.Event) error
	if s.set != nil {
		st := newNSStream(s.set)
		events, write = s.setWatcher.Events(ctx, filter, opts...), st.writeJSON
	} else {
		links := newStreamLinks(s.db.Snapshot())
		events = s.watcher.Events(ctx, filter, opts...)
		write = func(w io.Writer, ev watch.Event) error { return writeEventJSON(w, s.db, ev, links) }
	}
	failed := false
	for ev := range events {
		if failed {
			continue // drain so the subscription's goroutine can finish
		}
		rc.SetWriteDeadline(time.Now().Add(watchWriteTimeout))
		if write(w, ev) != nil || rc.Flush() != nil {
			failed = true
			cancel()
		}
	}
	// The stream ends. A client that is still there and whose connection
	// still takes writes learns why, in a last line. One that stopped
	// reading for watchWriteTimeout cannot: its socket is full, net/http
	// keeps the write error, and the connection is closed.
	if failed || r.Context().Err() != nil {
		return
	}
	reason := ""
	select {
	case <-s.stop.Done():
		reason = "server shutting down"
	case <-s.done():
		reason = "database closed"
	default:
		return
	}
	rc.SetWriteDeadline(time.Now().Add(time.Second))
	bye := func(j *jsonOut) {
		j.openObject("")
		j.str("op", "bye")
		j.str("reason", reason)
		j.closeObject()
	}
	if writeJSONTo(w, bye) == nil {
		rc.Flush()
	}
}

// statsCollector exports ipdb.Stats at scrape time.
type statsCollector struct{ db *ipdb.DB }

var (
	descObjects   = prometheus.NewDesc("ipdb_objects", "Objects in the cache, per table.", []string{"table"}, nil)
	descRevision  = prometheus.NewDesc("ipdb_revision", "Newest committed revision of the cache.", nil, nil)
	descSynced    = prometheus.NewDesc("ipdb_synced", "1 once the cache holds a full picture of the kernel's state.", nil, nil)
	descLastSync  = prometheus.NewDesc("ipdb_last_sync_seconds", "Duration of the last full sync.", nil, nil)
	descCounters  = prometheus.NewDesc("ipdb_events_total", "Kernel notifications applied.", nil, nil)
	descBatches   = prometheus.NewDesc("ipdb_batches_total", "Write transactions of notifications.", nil, nil)
	descResyncs   = prometheus.NewDesc("ipdb_resyncs_total", "Full mark-and-sweep resynchronizations.", nil, nil)
	descReconcile = prometheus.NewDesc("ipdb_reconciles_total", "Targeted re-dumps after silent kernel deletions.", nil, nil)
	descOverflows = prometheus.NewDesc("ipdb_overflows_total", "Lost-notification signs (ENOBUFS, full queue).", nil, nil)
	descForeign   = prometheus.NewDesc("ipdb_foreign_dropped_total", "Messages dropped because the sender was not the kernel.", nil, nil)
	descDecode    = prometheus.NewDesc("ipdb_decode_errors_total", "Notifications that could not be decoded.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descObjects, descRevision, descSynced, descLastSync, descCounters,
		descBatches, descResyncs, descReconcile, descOverflows, descForeign, descDecode} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.db.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	for i := range commandKinds {
		k := &commandKinds[i]
		gauge(descObjects, float64(k.count(st)), k.table)
	}
	gauge(descRevision, float64(st.Revision))
	synced := 0.0
	select {
	case <-c.db.Synced():
		synced = 1
	default:
	}
	gauge(descSynced, synced)
	gauge(descLastSync, st.LastSync.Seconds())
	counter(descCounters, st.Events)
	counter(descBatches, st.Batches)
	counter(descResyncs, st.Resyncs)
	counter(descReconcile, st.Reconciles)
	counter(descOverflows, st.Overflows)
	counter(descForeign, st.ForeignDropped)
	counter(descDecode, st.DecodeErrors)
}

func urlQuery(r *http.Request) (url.Values, error) { return url.ParseQuery(r.URL.RawQuery) }

package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// serve --all-netns: the same paths over an ipdb.Set, every object with
// the key "netns" first, and the namespaces themselves:
//
//	/v1/netns               the namespaces (netnsEntry)
//	/v1/netns/NAME          one of them
//	/v1/netns/NAME/TABLE    one namespace's table (TABLE as in /v1/TABLE)
//	/v1/TABLE?netns=A,B     the table across namespaces, or of those named
//	/v1/watch?netns=A,B     events with "netns" (and "moved_from" for a
//	                        link moved between two namespaces)
//
// A namespace that appears joins once its cache has synced: its objects
// come on the watch stream as adds with "initial": true; one that goes away
// leaves, its objects as deletes.

// newSetServer returns the handler for a set.
func newSetServer(set *ipdb.Set, maxWatch int) *server {
	s := newServerBase(maxWatch)
	s.set, s.setWatcher = set, watch.NewSet(set)
	s.registry.MustRegister(setStatsCollector{set})
	paths := []string{"/v1/netns", "/v1/netns/NAME", "/v1/netns/NAME/TABLE"}
	for i := range commandKinds {
		k := &commandKinds[i]
		s.mux.HandleFunc(k.servePath(), s.handleSetTable(k))
		paths = append(paths, k.servePath())
	}
	s.mux.HandleFunc("/v1/netns", s.handleNetnsList)
	s.mux.HandleFunc("/v1/netns/", s.handleNetnsPath)
	s.mux.HandleFunc("/healthz", s.handleSetHealth)
	s.handleCommon(paths)
	return s
}

// netnsNames returns the names of ?netns=A,B, nil for all.
func netnsNames(q url.Values) []string {
	var out []string
	for _, v := range q["netns"] {
		for n := range strings.SplitSeq(v, ",") {
			if n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// netnsFilter is the watch filter of ?netns=A,B, nil for all. A name not
// attached (yet) is allowed: its namespace may come.
func (s *server) netnsFilter(q url.Values) watch.Filter {
	if names := netnsNames(q); len(names) > 0 {
		return watch.Namespaces(names...)
	}
	return nil
}

// writeSetTable writes table k of the namespaces of ss named in names
// (all if nil) as one array, "netns" first in every object.
func writeSetTable(j *jsonOut, ss *ipdb.SetSnapshot, k *commandKind, names []string) {
	j.openArray("")
	j.tagDepth = j.depth + 1
	for _, n := range ss.Namespaces() {
		if names != nil && !slices.Contains(names, n.NS.Name) {
			continue
		}
		j.netns = n.NS.Name
		k.snapshotJSON(j, n.Snapshot, snapshotLinks(n.Snapshot))
		j.maybeFlush()
	}
	j.tagDepth = 0
	j.closeArray()
}

// missingNetns returns the first of names that ss lacks, or "".
func missingNetns(ss *ipdb.SetSnapshot, names []string) string {
	for _, n := range names {
		if _, ok := ss.NS(n); !ok {
			return n
		}
	}
	return ""
}

func (s *server) noNetns(w http.ResponseWriter, endpoint, name string) {
	s.error(w, endpoint, http.StatusNotFound, fmt.Sprintf("no network namespace %q (see /v1/netns)", name))
}

func (s *server) handleSetTable(k *commandKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.onlyGET(w, r, k.table) || !s.checkQuery(w, r, k.table, "netns") {
			return
		}
		q, _ := urlQuery(r)
		names := netnsNames(q)
		ss := s.set.Snapshot()
		if n := missingNetns(ss, names); n != "" {
			s.noNetns(w, k.table, n)
			return
		}
		s.writeJSONBody(w, k.table, func(j *jsonOut) { writeSetTable(j, ss, k, names) })
	}
}

func (s *server) writeJSONBody(w http.ResponseWriter, endpoint string, fn func(j *jsonOut)) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeJSONTo(w, fn)
	s.count(endpoint, http.StatusOK)
}

// writeNetnsEntry writes one namespace as /v1/netns lists it: ip -j
// netns list's "name" and "id" (only when the namespace has an id in
// serve's own namespace), then ipdb's keys: "path", "inode", "synced", the
// cache's "revision", and the number of objects of each table (the keys
// of /v1/TABLE: "links", "addrs", ...).
func (s *server) writeNetnsEntry(j *jsonOut, ns ipdb.NetNS, ss *ipdb.SetSnapshot) {
	j.openObject("")
	j.str("name", ns.Name)
	if ns.NSID != netlink.NSIDNotAssigned {
		j.int("id", int64(ns.NSID))
	}
	j.str("path", ns.Path)
	j.uint("inode", ns.Inode)
	_, synced := ss.NS(ns.Name)
	j.boolean("synced", synced)
	if db, ok := s.set.DB(ns.Name); ok {
		st := db.Stats()
		j.uint("revision", st.Revision)
		for i := range commandKinds {
			j.int(commandKinds[i].table, int64(commandKinds[i].count(st)))
		}
	}
	j.closeObject()
}

func (s *server) handleNetnsList(w http.ResponseWriter, r *http.Request) {
	if !s.onlyGET(w, r, "netns") || !s.checkQuery(w, r, "netns") {
		return
	}
	ss := s.set.Snapshot()
	nss := s.set.Namespaces()
	s.writeJSONBody(w, "netns", func(j *jsonOut) {
		j.openArray("")
		for _, ns := range nss {
			s.writeNetnsEntry(j, ns, ss)
		}
		j.closeArray()
	})
}

// handleNetnsPath answers /v1/netns/NAME and /v1/netns/NAME/TABLE.
func (s *server) handleNetnsPath(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/v1/netns/")
	name, table, hasTable := strings.Cut(rest, "/")
	endpoint := "netns"
	var k *commandKind
	if hasTable {
		if k = commandKindOfTable(table); k == nil {
			s.error(w, "other", http.StatusNotFound, fmt.Sprintf("no such table %q (want %s)", table, orList(tables)))
			return
		}
		endpoint = k.table
	}
	if !s.onlyGET(w, r, endpoint) || !s.checkQuery(w, r, endpoint) {
		return
	}
	ss := s.set.Snapshot()
	if _, ok := ss.NS(name); !ok {
		s.noNetns(w, endpoint, name)
		return
	}
	if k != nil {
		s.writeJSONBody(w, endpoint, func(j *jsonOut) { writeSetTable(j, ss, k, []string{name}) })
		return
	}
	for _, ns := range s.set.Namespaces() {
		if ns.Name == name {
			s.writeJSONBody(w, endpoint, func(j *jsonOut) { s.writeNetnsEntry(j, ns, ss) })
			return
		}
	}
	s.noNetns(w, endpoint, name)
}

func (s *server) handleSetHealth(w http.ResponseWriter, r *http.Request) {
	if !s.onlyGET(w, r, "healthz") || !s.checkQuery(w, r, "healthz") {
		return
	}
	ss := s.set.Snapshot()
	s.writeJSONBody(w, "healthz", func(j *jsonOut) {
		j.openObject("")
		j.str("status", "ok")
		j.uint("revision", ss.Revision())
		j.int("namespaces", int64(len(ss.Namespaces())))
		j.closeObject()
	})
}

// setStatsCollector exports the set's namespaces and each one's
// ipdb.Stats at scrape time, labelled by namespace.
type setStatsCollector struct{ set *ipdb.Set }

var (
	descSetNamespaces = prometheus.NewDesc("ipdb_namespaces", "Network namespaces in the set's view (synced).", nil, nil)
	descSetRevision   = prometheus.NewDesc("ipdb_revision", "Newest revision of the set.", nil, nil)
	descSetObjects    = prometheus.NewDesc("ipdb_objects", "Objects in the cache, per namespace and table.", []string{"netns", "table"}, nil)
	descSetEvents     = prometheus.NewDesc("ipdb_events_total", "Kernel notifications applied, per namespace.", []string{"netns"}, nil)
	descSetResyncs    = prometheus.NewDesc("ipdb_resyncs_total", "Full mark-and-sweep resynchronizations, per namespace.", []string{"netns"}, nil)
	descSetOverflows  = prometheus.NewDesc("ipdb_overflows_total", "Lost-notification signs (ENOBUFS, full queue), per namespace.", []string{"netns"}, nil)
)

// Describe implements prometheus.Collector.
func (c setStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSetNamespaces, descSetRevision, descSetObjects, descSetEvents, descSetResyncs, descSetOverflows} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c setStatsCollector) Collect(ch chan<- prometheus.Metric) {
	ss := c.set.Snapshot()
	ch <- prometheus.MustNewConstMetric(descSetNamespaces, prometheus.GaugeValue, float64(len(ss.Namespaces())))
	ch <- prometheus.MustNewConstMetric(descSetRevision, prometheus.GaugeValue, float64(ss.Revision()))
	for _, n := range ss.Namespaces() {
		db, ok := c.set.DB(n.NS.Name)
		if !ok {
			continue
		}
		st := db.Stats()
		for i := range commandKinds {
			k := &commandKinds[i]
			ch <- prometheus.MustNewConstMetric(descSetObjects, prometheus.GaugeValue, float64(k.count(st)), n.NS.Name, k.table)
		}
		ch <- prometheus.MustNewConstMetric(descSetEvents, prometheus.CounterValue, float64(st.Events), n.NS.Name)
		ch <- prometheus.MustNewConstMetric(descSetResyncs, prometheus.CounterValue, float64(st.Resyncs), n.NS.Name)
		ch <- prometheus.MustNewConstMetric(descSetOverflows, prometheus.CounterValue, float64(st.Overflows), n.NS.Name)
	}
}

package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestKindTableComplete: every kind netlink knows has a complete row in the
// command's kind table (show's dump and snapshot renderers, the event JSON,
// monitor's words, the metric's count, a state-file section the parser
// takes or the reason it has none), and every section of the state file
// belongs to a row.
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "command kinds", func(k netlink.Kind) bool { return commandKindOf(k) != nil })

	tables := map[string]bool{}
	words := map[string]netlink.Kind{}
	watch := map[string]netlink.Kind{}
	sections := map[string]netlink.Kind{}
	for i := range commandKinds {
		k := &commandKinds[i]
		if k.kind.String() != k.watchWords[0] {
			t.Errorf("%s: first watch word %q is not the kind's name", k.kind, k.watchWords[0])
		}
		if k.table == "" || tables[k.table] {
			t.Errorf("%s: table name %q empty or taken", k.kind, k.table)
		}
		tables[k.table] = true
		for _, w := range append([]string{k.table}, k.aliases...) {
			if o, ok := words[w]; ok {
				t.Errorf("%s: show's word %q also names %s", k.kind, w, o)
			}
			words[w] = k.kind
		}
		for _, w := range k.watchWords {
			if o, ok := watch[w]; ok {
				t.Errorf("%s: watch word %q also names %s", k.kind, w, o)
			}
			watch[w] = k.kind
		}
		// Selectors: known words, and a filter to apply them.
		for _, w := range k.selectors {
			if selectorOf(w) == nil {
				t.Errorf("%s: unknown selector %q", k.kind, w)
			}
		}
		if (len(k.selectors) > 0 || k.bareDev || k.family == familyFilter) && k.keep == nil {
			t.Errorf("%s: takes selectors or -4/-6 but has no keep", k.kind)
		}
		if k.ipShort != "" {
			if r, err := resolveKind(commandKinds, k.ipShort); err != nil || r != k {
				t.Errorf("%s: ip's short word %q resolves to %v, %v", k.kind, k.ipShort, r, err)
			}
		}
		if k.dumpJSON == nil || k.dumpRows == nil || k.snapshotJSON == nil || k.snapshotRows == nil ||
			k.objectJSON == nil || k.words == nil || k.count == nil {
			t.Errorf("%s: row lacks a renderer or the count: %+v", k.kind, *k)
		}
		if len(k.sections) == 0 && k.noSection == "" {
			t.Errorf("%s: no state-file section and no reason why", k.kind)
		}
		if (len(k.sections) > 0) != (k.stateList != nil && k.stateSpecs != nil && k.stateInto != nil) {
			t.Errorf("%s: sections %q but list %v, conversion %v and adding %v: a section needs all three",
				k.kind, k.sections, k.stateList != nil, k.stateSpecs != nil, k.stateInto != nil)
		}
		for _, s := range k.sections {
			sections[s] = k.kind
			if _, err := parseStateFile([]byte(s + ": []\n")); err != nil {
				t.Errorf("%s: the state file refuses its section %q: %v", k.kind, s, err)
			}
		}
	}
	// show's help names every table.
	if code, out, errs := runCmd(t, "show", "--help"); code != exitOK || errs != "" {
		t.Errorf("show --help: exit %d, stderr %q", code, errs)
	} else {
		for _, table := range tableNames() {
			if !strings.Contains(out, table) {
				t.Errorf("show --help lacks %q", table)
			}
		}
	}
	// Every section stateFile decodes belongs to a row.
	st := reflect.TypeOf(stateFile{})
	for i := 0; i < st.NumField(); i++ {
		tag, _, _ := strings.Cut(st.Field(i).Tag.Get("yaml"), ",")
		if _, ok := sections[tag]; !ok {
			t.Errorf("state file section %q (stateFile.%s) has no row in the command's kind table", tag, st.Field(i).Name)
		}
	}
}

// TestKindTableWords: the lists and messages built from the kind table are
// the ones the command has always printed.
func TestKindTableWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{strings.Join(tables, " "), "links addrs routes neigh rules fdb nexthops qdiscs classes filters"},
		{orList(tables), "links, addrs, routes, neigh, rules, fdb, nexthops, qdiscs, classes or filters"},
		{orList(kindNames()), "link, addr, route, neigh, rule, fdb, nexthop, qdisc, class or filter"},
		{strings.Join(servePaths(), ", "), "/v1/links, /v1/addrs, /v1/routes, /v1/neigh, /v1/rules, /v1/fdb, /v1/nexthops, /v1/qdiscs, /v1/classes, /v1/filters"},
		{orList(stateSections()), "links, addresses, routes, mpls_routes, neighbours, rules, nexthops, qdiscs, classes or filters"},
		{andList(stateSections()), "links, addresses, routes, mpls_routes, neighbours, rules, nexthops, qdiscs, classes and filters"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for w, want := range map[string]string{
		"link": "links", "links": "links", "addr": "addrs", "address": "addrs", "addrs": "addrs",
		"route": "routes", "routes": "routes", "neigh": "neigh", "neighbor": "neigh", "neighbour": "neigh",
		"neighs": "neigh", "rule": "rules", "rules": "rules", "fdb": "fdb",
		"nexthops": "nexthops", "nexthop": "nexthops", "nh": "nexthops",
		"qdisc": "qdiscs", "qdiscs": "qdiscs", "class": "classes", "classes": "classes",
		"filter": "filters", "filters": "filters",
	} {
		if k, err := resolveKind(commandKinds, w); err != nil || k.table != want {
			t.Errorf("show %s: got %v, want table %s", w, k, want)
		}
	}
	for w, want := range map[string]netlink.Kind{
		"link": netlink.KindLink, "links": netlink.KindLink, "addr": netlink.KindAddr, "addrs": netlink.KindAddr,
		"route": netlink.KindRoute, "routes": netlink.KindRoute, "neigh": netlink.KindNeigh,
		"rule": netlink.KindRule, "rules": netlink.KindRule, "fdb": netlink.KindFDB,
		"nexthop": netlink.KindNexthop, "nexthops": netlink.KindNexthop, "nh": netlink.KindNexthop,
		"qdisc": netlink.KindQdisc, "qdiscs": netlink.KindQdisc, "class": netlink.KindClass,
		"classes": netlink.KindClass, "filter": netlink.KindFilter, "filters": netlink.KindFilter,
	} {
		if k := commandKindOfWatchWord(w); k == nil || k.kind != want {
			t.Errorf("watch kind=%s: got %v, want %s", w, k, want)
		}
	}
	for _, w := range []string{"neighs", "address", "neighbour", "nhid", "next", ""} {
		if k := commandKindOfWatchWord(w); k != nil {
			t.Errorf("watch kind=%s: got %s, want unknown", w, k.kind)
		}
	}
}

package main

import (
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// commandKind is one row of the command's kind table: what show, serve,
// monitor and apply know of one object kind. show, serve and monitor
// dispatch through the table, never through a switch on kinds, so a kind is
// shown, served, watched and counted once it has a row here;
// TestKindTableComplete fails for a kind of netlink.Kinds without one.
type commandKind struct {
	kind netlink.Kind
	// table is the table's name: what `show` prints and takes, the serve
	// path /v1/<table>, the "table" label of the ipdb_objects metric and
	// the key of the table in show's JSON object of all tables.
	table string
	// aliases are the other words `show` and `monitor` take for the
	// table: ip's names of the object among them (ip route, ip neigh).
	aliases []string
	// ipShort is the shortest prefix ip takes for the object: ip tries
	// its objects in a fixed order (ip/ip.c's cmds), so `ip r` is route and
	// rule needs `ip ru`; a shorter prefix does not name the kind. Empty:
	// any prefix that names this kind only (resolveKind).
	ipShort string
	// selectors are the words show takes after the object, as ip does
	// (select.go: dev, table, nud); bareDev takes a word that is none as
	// a link name (ip link show br0). family says what -4 and -6 do.
	selectors []string
	bareDev   bool
	family    familySel
	// keep reports whether show prints an object of the kind under a
	// selection, as ip's filter does; nil where the kind takes no
	// selectors.
	keep func(o netlink.Object, s *selection) bool
	// watchWords are the words /v1/watch?kind= takes, the kind's name
	// (netlink.Kind.String) first.
	watchWords []string
	// sections are the state file's sections of the kind, the first the
	// one error messages name; none when the kind has no section, and then
	// noSection says why.
	sections  []string
	noSection string
	// stateList returns the list of stateFile the entries of a section
	// decode into.
	stateList func(st *stateFile, section string) sectionEntries
	// stateSpecs converts the kind's sections of a parsed state file into
	// specs, and stateInto adds them to a transaction; nil where the kind
	// has no section.
	stateSpecs func(st *stateFile, out *specSet) error
	stateInto  func(s *specSet, t *txn.Txn)

	// dumpJSON and dumpRows print the table from a kernel dump (show
	// without a cache), without the enclosing array or the table's end.
	dumpJSON func(d *dumpShow, j *jsonOut) error
	dumpRows func(d *dumpShow, t *tableOut) error
	// snapshotJSON and snapshotRows print the table of a snapshot (serve,
	// and show from the cache), likewise.
	snapshotJSON func(j *jsonOut, s *ipdb.Snapshot, names *linkNames)
	snapshotRows func(t *tableOut, s *ipdb.Snapshot, names *linkNames)
	// objectJSON writes one object of the kind as the value of key, as
	// show renders it (monitor -o json and /v1/watch events).
	objectJSON func(j *jsonOut, key string, o netlink.Object, names *linkNames)
	// words renders one object of the kind as ip monitor's words (monitor's
	// text).
	words func(o netlink.Object, names *linkNames) words
	// count is the number of the kind's objects in the cache (the
	// ipdb_objects metric).
	count func(st ipdb.Stats) int
}

// commandKinds is the command's kind table, in the order show prints the
// tables and serve lists them.
var commandKinds = []commandKind{
	{
		kind: netlink.KindLink, table: "links", aliases: []string{"link"},
		ipShort: "l", selectors: []string{"dev", "type", "master", "up", "group"}, bareDev: true, family: familyIgnored, keep: keepLink,
		watchWords: []string{"link", "links"},
		sections:   []string{"links"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Links) },
		stateSpecs: (*stateFile).linkSpecs, stateInto: (*specSet).linksInto,
		dumpJSON: (*dumpShow).linksJSON, dumpRows: (*dumpShow).linksRows,
		snapshotJSON: snapshotLinksJSON, snapshotRows: snapshotLinkRows,
		objectJSON: linkObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return linkWords(o.(*netlink.Link), names) },
		count:      func(st ipdb.Stats) int { return st.Links },
	},
	{
		kind: netlink.KindAddr, table: "addrs", aliases: []string{"addr", "address"},
		ipShort: "a", selectors: append([]string{"dev", "master", "up", "scope", "label", "to", "group"}, addrFlagWords()...), bareDev: true, family: familyFilter, keep: keepAddr,
		watchWords: []string{"addr", "addrs"},
		sections:   []string{"addresses"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Addresses) },
		stateSpecs: (*stateFile).addrSpecs, stateInto: (*specSet).addrsInto,
		dumpJSON: (*dumpShow).addrsJSON, dumpRows: (*dumpShow).addrsRows,
		snapshotJSON: snapshotAddrsJSON, snapshotRows: snapshotAddrRows,
		objectJSON: addrObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return addrWords(o.(*netlink.Addr), names) },
		count:      func(st ipdb.Stats) int { return st.Addrs },
	},
	{
		kind: netlink.KindRoute, table: "routes", aliases: []string{"route"},
		ipShort: "r", selectors: []string{"table", "dev", "root", "match", "exact", "to", "proto", "protocol", "type", "via", "src", "scope", "metric", "priority", "preference", "tos", "dsfield"}, family: familyFilter, keep: keepRoute,
		watchWords: []string{"route", "routes"},
		sections:   []string{"routes", "mpls_routes"},
		stateList:  (*stateFile).routeList,
		stateSpecs: (*stateFile).routeSpecs, stateInto: (*specSet).routesInto,
		dumpJSON: (*dumpShow).routesJSON, dumpRows: (*dumpShow).routesRows,
		snapshotJSON: snapshotRoutesJSON, snapshotRows: snapshotRouteRows,
		objectJSON: routeObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return routeWords(o.(*netlink.Route), names) },
		count:      func(st ipdb.Stats) int { return st.Routes },
	},
	{
		kind: netlink.KindNeigh, table: "neigh", aliases: []string{"neighbor", "neighbour", "neighs"},
		ipShort: "n", selectors: []string{"dev", "nud", "to"}, family: familyFilter, keep: keepNeigh,
		watchWords: []string{"neigh"},
		sections:   []string{"neighbours", "neighbors"},
		stateList:  (*stateFile).neighList,
		stateSpecs: (*stateFile).neighSpecs, stateInto: (*specSet).neighsInto,
		dumpJSON: (*dumpShow).neighsJSON, dumpRows: (*dumpShow).neighsRows,
		snapshotJSON: snapshotNeighsJSON, snapshotRows: snapshotNeighRows,
		objectJSON: neighObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return neighWords(o.(*netlink.Neigh), names) },
		count:      func(st ipdb.Stats) int { return st.Neighs },
	},
	{
		kind: netlink.KindRule, table: "rules", aliases: []string{"rule"},
		ipShort: "ru", family: familyFilter, keep: keepRule,
		watchWords: []string{"rule", "rules"},
		sections:   []string{"rules"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Rules) },
		stateSpecs: (*stateFile).ruleSpecs, stateInto: (*specSet).rulesInto,
		dumpJSON: (*dumpShow).rulesJSON, dumpRows: (*dumpShow).rulesRows,
		snapshotJSON: snapshotRulesJSON, snapshotRows: snapshotRuleRows,
		objectJSON: ruleObjectJSON,
		words:      func(o netlink.Object, _ *linkNames) words { return ruleWords(o.(*netlink.Rule)) },
		count:      func(st ipdb.Stats) int { return st.Rules },
	},
	{
		kind: netlink.KindFDB, table: "fdb",
		ipShort: "f", family: familyRefused,
		watchWords: []string{"fdb"},
		noSection:  "FDB entries are not in the state file yet (txn has no FDB spec)",
		dumpJSON:   (*dumpShow).fdbsJSON, dumpRows: (*dumpShow).fdbsRows,
		snapshotJSON: snapshotFDBsJSON, snapshotRows: snapshotFDBRows,
		objectJSON: fdbObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return fdbWords(o.(*netlink.FDB), names) },
		count:      func(st ipdb.Stats) int { return st.FDB },
	},
	{
		kind: netlink.KindNexthop, table: "nexthops", aliases: []string{"nexthop", "nh"},
		ipShort: "nex", family: familyRefused,
		watchWords: []string{"nexthop", "nexthops", "nh"},
		sections:   []string{"nexthops"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Nexthops) },
		stateSpecs: (*stateFile).nexthopSpecs, stateInto: (*specSet).nexthopsInto,
		dumpJSON: (*dumpShow).nexthopsJSON, dumpRows: (*dumpShow).nexthopsRows,
		snapshotJSON: snapshotNexthopsJSON, snapshotRows: snapshotNexthopRows,
		objectJSON: nexthopObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return nexthopWords(o.(*netlink.Nexthop), names) },
		count:      func(st ipdb.Stats) int { return st.Objects[netlink.KindNexthop] },
	},
	// The tc objects (tc.go), with tc's words: tc q, tc c and tc f name
	// them. f is also bridge's word for fdb; ip's objects come first, then
	// bridge's, then tc's (words.go), so f is fdb and filters need fi.
	{
		kind: netlink.KindQdisc, table: "qdiscs", aliases: []string{"qdisc"},
		selectors: qdiscSelectorWords, family: familyRefused, keep: keepTC,
		watchWords: []string{"qdisc", "qdiscs"},
		sections:   []string{"qdiscs"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Qdiscs) },
		stateSpecs: (*stateFile).qdiscSpecs, stateInto: (*specSet).qdiscsInto,
		dumpJSON: (*dumpShow).qdiscsJSON, dumpRows: (*dumpShow).qdiscsRows,
		snapshotJSON: snapshotQdiscsJSON, snapshotRows: snapshotQdiscRows,
		objectJSON: qdiscObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return qdiscWords(o.(*netlink.Qdisc), names) },
		count:      func(st ipdb.Stats) int { return st.Objects[netlink.KindQdisc] },
	},
	{
		kind: netlink.KindClass, table: "classes", aliases: []string{"class"},
		selectors: classSelectorWords, family: familyRefused, keep: keepTC,
		watchWords: []string{"class", "classes"},
		sections:   []string{"classes"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Classes) },
		stateSpecs: (*stateFile).classSpecs, stateInto: (*specSet).classesInto,
		dumpJSON: (*dumpShow).classesJSON, dumpRows: (*dumpShow).classesRows,
		snapshotJSON: snapshotClassesJSON, snapshotRows: snapshotClassRows,
		objectJSON: classObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return classWords(o.(*netlink.Class), names) },
		count:      func(st ipdb.Stats) int { return st.Objects[netlink.KindClass] },
	},
	{
		kind: netlink.KindFilter, table: "filters", aliases: []string{"filter"},
		ipShort: "fi", selectors: filterSelectorWords, family: familyRefused, keep: keepTC,
		watchWords: []string{"filter", "filters"},
		sections:   []string{"filters"},
		stateList:  func(st *stateFile, _ string) sectionEntries { return entries(&st.Filters) },
		stateSpecs: (*stateFile).filterSpecs, stateInto: (*specSet).filtersInto,
		dumpJSON: (*dumpShow).filtersJSON, dumpRows: (*dumpShow).filtersRows,
		snapshotJSON: snapshotFiltersJSON, snapshotRows: snapshotFilterRows,
		objectJSON: filterObjectJSON,
		words:      func(o netlink.Object, names *linkNames) words { return filterWords(o.(*netlink.Filter), names) },
		count:      func(st ipdb.Stats) int { return st.Objects[netlink.KindFilter] },
	},
}

// commandKindOf returns the row of kind k, or nil.
func commandKindOf(k netlink.Kind) *commandKind {
	for i := range commandKinds {
		if commandKinds[i].kind == k {
			return &commandKinds[i]
		}
	}
	return nil
}

// commandKindOfTable returns the row whose table is named table, or nil.
func commandKindOfTable(table string) *commandKind {
	for i := range commandKinds {
		if commandKinds[i].table == table {
			return &commandKinds[i]
		}
	}
	return nil
}

// commandKindOfSection returns the row of a section of the state file, or
// nil.
func commandKindOfSection(section string) *commandKind {
	for i := range commandKinds {
		for _, s := range commandKinds[i].sections {
			if s == section {
				return &commandKinds[i]
			}
		}
	}
	return nil
}

// commandKindOfWatchWord returns the row of a word of /v1/watch?kind=, or
// nil.
func commandKindOfWatchWord(w string) *commandKind {
	for i := range commandKinds {
		for _, a := range commandKinds[i].watchWords {
			if a == w {
				return &commandKinds[i]
			}
		}
	}
	return nil
}

// servePath is the path serve answers the kind's table on.
func (k *commandKind) servePath() string { return "/v1/" + k.table }

// tableNames lists the tables in the table's order.
func tableNames() []string {
	out := make([]string, len(commandKinds))
	for i := range commandKinds {
		out[i] = commandKinds[i].table
	}
	return out
}

// kindNames lists the kinds' names (the first watch word of each), in the
// table's order.
func kindNames() []string {
	out := make([]string, len(commandKinds))
	for i := range commandKinds {
		out[i] = commandKinds[i].watchWords[0]
	}
	return out
}

// servePaths lists the tables' serve paths, in the table's order.
func servePaths() []string {
	out := make([]string, len(commandKinds))
	for i := range commandKinds {
		out[i] = commandKinds[i].servePath()
	}
	return out
}

// stateSections lists the state file's sections as error messages name
// them, in the table's order: every section of each kind but the other
// spelling of one (neighbors).
func stateSections() []string {
	var out []string
	for i := range commandKinds {
		for _, s := range commandKinds[i].sections {
			if s != "neighbors" {
				out = append(out, s)
			}
		}
	}
	return out
}

// orList joins words as "a, b or c"; andList as "a, b and c".
func orList(words []string) string  { return joinLast(words, " or ") }
func andList(words []string) string { return joinLast(words, " and ") }

func joinLast(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + last + words[len(words)-1]
}

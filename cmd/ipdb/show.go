package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
)

// tables are the names show, serve and the JSON renderer know, in the order
// `show` prints them.
var tables = []string{"links", "addrs", "routes", "neigh", "rules", "fdb"}

var tableAliases = map[string]string{
	"link": "links", "links": "links",
	"addr": "addrs", "address": "addrs", "addrs": "addrs",
	"route": "routes", "routes": "routes",
	"neigh": "neigh", "neighbor": "neigh", "neighbour": "neigh", "neighs": "neigh",
	"rule": "rules", "rules": "rules",
	"fdb": "fdb",
}

// runShow prints the cached state: one table, or all of them.
func runShow(e *env, args []string) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	format := fs.String("o", "table", "output `format`: table or json")
	pos, ok := e.parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(e.stderr, "ipdb show: unknown output format %q (want table or json)\n", *format)
		return exitUsage
	}
	want := tables
	if len(pos) > 1 {
		fmt.Fprintf(e.stderr, "ipdb show: too many arguments: %s\n", strings.Join(pos, " "))
		return exitUsage
	}
	if len(pos) == 1 {
		t, ok := tableAliases[pos[0]]
		if !ok {
			fmt.Fprintf(e.stderr, "ipdb show: unknown table %q (want links, addrs, routes, neigh, rules or fdb)\n", pos[0])
			return exitUsage
		}
		want = []string{t}
	}
	db, err := e.open()
	if err != nil {
		return e.fail("show", err)
	}
	defer db.Close()
	if err := writeShow(e.stdout, db.Snapshot(), want, *format); err != nil {
		return e.fail("show", err)
	}
	return exitOK
}

// writeShow writes the tables of one snapshot. JSON for one table is ip's
// array; for several, an object with one array per table.
func writeShow(w io.Writer, s *ipdb.Snapshot, want []string, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		if len(want) == 1 {
			return enc.Encode(tableJSON(s, want[0]))
		}
		var all object
		for _, t := range want {
			all.set(t, tableJSON(s, t))
		}
		return enc.Encode(all)
	}
	for i, t := range want {
		if len(want) > 1 {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s:\n", t)
		}
		if err := writeTable(w, s, t); err != nil {
			return err
		}
	}
	return nil
}

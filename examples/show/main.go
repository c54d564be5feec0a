// Command show prints the links, addresses and routes of the current
// network namespace from an ipdb cache, and how many objects of each kind
// it holds. It is read-only and needs no root.
//
// The counts are of what the library lists, which is what iproute2 and
// `ipdb show` list: neighbours are the ARP and NDP entries (`ip neigh show
// nud all` and `ip neigh show proxy`; `ipdb show neigh` leaves the proxy
// entries out, as `ip neigh show nud all` does), rules are the IPv4 and
// IPv6 rules (`ip rule`), and bridge forwarding database entries are a
// kind of their own (`bridge fdb show`, `ipdb show fdb`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "show:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, opts ...ipdb.Option) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	s := db.Snapshot()
	fmt.Fprintln(w, "links:")
	for l := range s.Links() {
		fmt.Fprintln(w, "  ", l)
	}
	fmt.Fprintln(w, "addresses:")
	for a := range s.Addrs() {
		fmt.Fprintln(w, "  ", a)
	}
	fmt.Fprintln(w, "routes:")
	for r := range s.Routes() {
		fmt.Fprintln(w, "  ", r)
	}
	st := db.Stats()
	_, err = fmt.Fprintf(w, "%d links, %d addresses, %d routes, %d neighbours, %d rules, %d FDB entries at revision %d (synced in %v)\n",
		st.Links, st.Addrs, st.Routes, st.Neighs, st.Rules, st.FDB, st.Revision, st.LastSync.Round(time.Microsecond))
	return err
}

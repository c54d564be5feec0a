// Command show prints the links, addresses and routes of the current
// network namespace from an ipdb cache. It is read-only and needs no root.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "show:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := ipdb.Open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	s := db.Snapshot()
	fmt.Println("links:")
	for l := range s.Links() {
		fmt.Println("  ", l)
	}
	fmt.Println("addresses:")
	for a := range s.Addrs() {
		fmt.Println("  ", a)
	}
	fmt.Println("routes:")
	for r := range s.Routes() {
		fmt.Println("  ", r)
	}
	st := db.Stats()
	fmt.Printf("%d links, %d addresses, %d routes, %d neighbours, %d rules at revision %d (synced in %v)\n",
		st.Links, st.Addrs, st.Routes, st.Neighs, st.Rules, st.Revision, st.LastSync.Round(time.Microsecond))
	return nil
}

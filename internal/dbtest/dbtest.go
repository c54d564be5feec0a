// Package dbtest opens ipdb databases on throwaway test namespaces.
package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
)

// Open opens a database on ns with opts, waits until it is synced, and
// closes it when the test ends. It fails the test on any error.
func Open(t testing.TB, ns *nstest.NS, opts ...ipdb.Option) *ipdb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := ipdb.Open(ctx, append([]ipdb.Option{ipdb.WithNetNS(ns.Name)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

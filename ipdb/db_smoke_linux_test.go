package ipdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
)

func TestSmoke(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("link", "set", "v1", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		ctx := context.Background()
		db, err := ipdb.Open(ctx, ipdb.WithNetNS(ns.Name))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.WaitSynced(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", db.Stats())
		ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.2")
		time.Sleep(100 * time.Millisecond)
		t.Logf("%+v", db.Stats())
		s := db.Snapshot()
		for r := range s.Routes() {
			t.Log(r)
		}
		ns.IP("link", "set", "v0", "down")
		time.Sleep(100 * time.Millisecond)
		t.Logf("%+v", db.Stats())
		for r := range db.Snapshot().Routes() {
			t.Log(r)
		}
		t.Log(ns.IP("route", "show", "table", "all"))
	})
}

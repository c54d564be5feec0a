package ipdb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// BenchmarkRefreshReread: one periodic re-read of each refreshed kind in
// a namespace of 1,000 links and 10 bridges, all up, with nothing to find
// (the idle cost of issue 10 is a few of these a minute).
func BenchmarkRefreshReread(b *testing.B) {
	ns := nstest.New(b)
	{
		var lines []string
		for i := range 1000 {
			lines = append(lines, fmt.Sprintf("link add idle%d type ifb", i), fmt.Sprintf("link set idle%d up", i))
		}
		for i := range 10 {
			lines = append(lines, fmt.Sprintf("link add idlebr%d type bridge", i), fmt.Sprintf("link set idlebr%d up", i))
		}
		ns.Batch(lines...)
		db, err := Open(context.Background(), WithNetNS(ns.Name), WithRefresh(0))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if err := db.WaitSynced(context.Background()); err != nil {
			b.Fatal(err)
		}
		for _, k := range []netlink.Kind{netlink.KindLink, netlink.KindFDB, netlink.KindNeigh} {
			b.Run(strings.ToLower(k.String()), func(b *testing.B) {
				for b.Loop() {
					if _, err := db.reconcile(context.Background(), reconcileJob{kind: k}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

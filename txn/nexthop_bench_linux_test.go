package txn

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// BenchmarkCommitNexthopRoutes commits 1,000 nexthop objects (990 single
// nexthops and 10 groups of 99) and 100,000 IPv4 routes over them, each
// round in a fresh namespace, and adds the same with `ip -batch` in
// another fresh namespace of the same round (issue 14's benchmark).
func BenchmarkCommitNexthopRoutes(b *testing.B) {
	const singles, groups, routes = 990, 10, 100000
	prep := []string{"link set lo up", "link add n0 type veth peer name n1", "link set n0 up", "link set n1 up",
		"addr add 192.0.2.1/24 dev n0", "addr add 198.18.0.1/16 dev n0"}
	gwOf := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, byte((i + 2) >> 8), byte(i + 2)}) }
	dstOf := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
	}
	idOf := func(i int) uint32 { // routes over singles and groups in turn
		if i%2 == 0 {
			return uint32(1 + (i/2)%singles)
		}
		return uint32(10001 + (i/2)%groups)
	}
	var ipT, txT time.Duration
	for range b.N {
		b.StopTimer()
		var lines []string
		for i := range singles {
			lines = append(lines, fmt.Sprintf("nexthop add id %d via %s dev n0", i+1, gwOf(i)))
		}
		for g := range groups {
			var m []string
			for j := range singles / groups {
				m = append(m, fmt.Sprint(1+g*(singles/groups)+j))
			}
			lines = append(lines, fmt.Sprintf("nexthop add id %d group %s", 10001+g, strings.Join(m, "/")))
		}
		for i := range routes {
			lines = append(lines, fmt.Sprintf("route add %s nhid %d", dstOf(i), idOf(i)))
		}
		nsIP := nstest.New(b)
		nsIP.Batch(prep...)
		start := time.Now()
		nsIP.Batch(lines...)
		ipT += time.Since(start)

		ns := nstest.New(b)
		ns.Batch(prep...)
		db, c := openEnv(b, ns)
		tx := New(db, c, nil)
		for i := range singles {
			tx.Nexthop(NexthopSpec{ID: uint32(i + 1), Gateway: gwOf(i), Dev: "n0"})
		}
		for g := range groups {
			s := NexthopSpec{ID: uint32(10001 + g)}
			for j := range singles / groups {
				s.Group = append(s.Group, NexthopMemberSpec{ID: uint32(1 + g*(singles/groups) + j)})
			}
			tx.Nexthop(s)
		}
		for i := range routes {
			tx.Route(RouteSpec{Dst: dstOf(i), NHID: idOf(i)})
		}
		b.StartTimer()
		start = time.Now()
		if err := tx.Commit(context.Background()); err != nil {
			b.Fatal(err)
		}
		txT += time.Since(start)
		b.StopTimer()
		if p, err := tx.Plan(); err != nil || !p.Empty() {
			b.Fatalf("re-plan: %v, %v", p.Summary(), err)
		}
		// The DB and Conn close when the benchmark ends.
	}
	n := float64(b.N)
	b.ReportMetric(txT.Seconds()/n, "txn-s/op")
	b.ReportMetric(ipT.Seconds()/n, "ip-batch-s/op")
	b.ReportMetric(float64(routes)*n/txT.Seconds(), "txn-routes/s")
	b.ReportMetric(float64(routes)*n/ipT.Seconds(), "ip-batch-routes/s")
}

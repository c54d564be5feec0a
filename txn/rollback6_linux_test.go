package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRollbackIPv6AddrsRandom: transactions that add and remove IPv6
// (and IPv4) addresses and bring their link up or down, with duplicate
// address detection on and a failure injected at each operation in turn,
// roll back to exactly the state before, kernel-made routes (table
// local, prefix routes) included. The state before is taken once DAD is
// over: until then the kernel has not made an address's local route.
func TestRollbackIPv6AddrsRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 24 namespaces with DAD")
	}
	pool := []string{"2001:db8:1::1/64", "2001:db8:1::2/64", "2001:db8:2::1/64", "2001:db8:1::3/64",
		"2001:db8:3::1/64", "2001:db8:1::4/128", "192.0.2.1/24", "192.0.2.2/24"}
	rng := rand.New(rand.NewPCG(11, 0))
	type txnCase struct {
		pre  []string
		down bool
		up   *bool
		want []AddrSpec
	}
	var cases []txnCase
	for range 4 {
		var c txnCase
		for _, p := range pool {
			if rng.IntN(2) == 0 {
				c.pre = append(c.pre, p)
			}
			switch rng.IntN(3) {
			case 0:
				c.want = append(c.want, AddrSpec{Link: "x0", Prefix: netip.MustParsePrefix(p)})
			case 1:
				c.want = append(c.want, AddrSpec{Link: "x0", Prefix: netip.MustParsePrefix(p), Absent: true})
			}
		}
		c.down = rng.IntN(3) == 0
		switch rng.IntN(3) {
		case 0:
			c.up = bptr(true)
		case 1:
			c.up = bptr(false)
		}
		cases = append(cases, c)
	}
	for ci, c := range cases {
		for k := 0; k < 6; k++ {
			t.Run(fmt.Sprintf("%d/%d", ci, k), func(t *testing.T) {
				nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
					ns.Batch("link set lo up", "link add x0 type veth peer name x1", "link set x0 up", "link set x1 up")
					for _, p := range c.pre {
						ns.IP("addr", "add", p, "dev", "x0")
					}
					if c.down {
						ns.IP("link", "set", "x0", "down")
					}
					db, conn := setup(t, ns)
					ns.SettleDAD()
					before := addrSetState(t, ns)
					tx := New(db, conn, &Config{inject: func(i int, o *Step, req netlink.Request) netlink.Request {
						if i == k {
							return failing(o)
						}
						return req
					}})
					for _, a := range c.want {
						tx.Addr(a)
					}
					if c.up != nil {
						tx.Link(LinkSpec{Name: "x0", Up: c.up})
					}
					plan, err := tx.Plan()
					if err != nil {
						t.Fatal(err)
					}
					if k >= len(plan.Steps) {
						t.Skipf("plan has %d operations", len(plan.Steps))
					}
					err = tx.Commit(context.Background())
					var ce *CommitError
					if !errors.As(err, &ce) || !ce.RolledBack {
						t.Fatalf("pre %v, plan:\n%sfailing op %d: %v", c.pre, plan, k, err)
					}
					if after := settle(5*time.Second, before, func() string { return addrSetState(t, ns) }); after != before {
						t.Errorf("pre %v down %v, plan:\n%sfailing op %d: namespace differs after rollback:\n%s", c.pre, c.down, plan, k, diffLines(before, after))
					}
				})
			})
		}
	}
}

// addrSetState is ipState with each link's addresses as a set: a rollback
// re-adds a removed address, and the kernel lists addresses in the order
// they were added.
func addrSetState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var links []map[string]any
	ns.IPJSON(&links, "addr", "show")
	var b strings.Builder
	for _, l := range links {
		info, _ := l["addr_info"].([]any)
		lines := make([]string, len(info))
		for i, a := range info {
			out, _ := json.Marshal(a)
			lines[i] = string(out)
		}
		slices.Sort(lines)
		fmt.Fprintf(&b, "%v %v: %s\n", l["ifname"], l["flags"], strings.Join(lines, " "))
	}
	for _, args := range [][]string{{"-4", "route", "show", "table", "all"}, {"-6", "route", "show", "table", "all"}} {
		var v []any
		ns.IPJSON(&v, args...)
		lines := make([]string, len(v))
		for i, e := range v {
			out, _ := json.Marshal(e)
			lines[i] = string(out)
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteByte('\n')
	}
	return b.String()
}

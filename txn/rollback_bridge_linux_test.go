package txn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestRollbackRecreatesBridge: a transaction deletes a bridge whose MTU
// came from its port (9000) and then fails; the rollback must bring the
// bridge back. Reduced from TestSoakTxnUnderFire, where the re-creation
// failed with EOPNOTSUPP (mtu 9000) or EADDRNOTAVAIL (a bridge whose
// address had become 00:00:00:00:00:00 after its last port left), leaving
// the rollback incomplete.
func TestRollbackRecreatesBridge(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup []string
	}{
		{"mtu from a port", []string{"link add txbr0 type bridge", "link add txv0 type veth peer name txv1",
			"link set txv0 mtu 9000", "link set txv0 master txbr0", "link set txbr0 up"}},
		{"port came and went", []string{"link add txbr0 type bridge", "link add txv0 type veth peer name txv1",
			"link set txv0 master txbr0", "link set txv0 nomaster", "link set txbr0 up"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				prepNS(t, ns)
				ns.Batch(append([]string{"link set lo up"}, c.setup...)...)
				db, conn := setup(t, ns)
				cfg := &Config{inject: failKind(netlink.KindRule, failing)}
				tx := New(db, conn, cfg)
				tx.Link(LinkSpec{Name: "txbr0", Absent: true})
				tx.Rule(RuleSpec{Rule: netlink.Rule{Priority: 2000, Table: 3000}})
				err := tx.Commit(context.Background())
				var ce *CommitError
				if !errors.As(err, &ce) {
					t.Fatalf("got %v, want a CommitError", err)
				}
				if !ce.RolledBack {
					t.Fatalf("the rollback did not bring the bridge back: %v", err)
				}
			})
		})
	}
}

// failedCommit commits the specs specs adds, then a rule the kernel is
// made to refuse (the last step), and returns the transaction's
// CommitError; verify, if not 0, is the Config's VerifyTimeout.
func failedCommit(t *testing.T, db *ipdb.DB, conn *netlink.Conn, verify time.Duration, specs func(*Txn)) *CommitError {
	t.Helper()
	tx := New(db, conn, &Config{inject: failKind(netlink.KindRule, failing), VerifyTimeout: verify})
	specs(tx)
	tx.Rule(RuleSpec{Rule: netlink.Rule{Priority: 2000, Table: 3000}})
	err := tx.Commit(context.Background())
	var ce *CommitError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a CommitError", err)
	}
	return ce
}

// TestRollbackRestoresKindData: a failed transaction that changed link
// kind settings in place (a vxlan's remote and ttl, a macvlan's mode, a
// bridge's forward delay) must set them back. The rollback restored only
// the generic settings, and reported the namespace as before while
// `ip -d link` still showed the new remote and mode (found by a user's
// try: apply of a state file whose route failed).
func TestRollbackRestoresKindData(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link set lo up",
			"link add txbr0 type bridge forward_delay 1500",
			"link add txv0 type veth peer name txv1",
			"link add txmv0 link txv0 type macvlan mode bridge",
			"link add txvx0 type vxlan id 42 remote 198.51.100.9 local 192.0.2.1 dstport 4789 ttl 10",
			// No remote and no local: a rollback clears what the
			// transaction set (found by a second try: it kept them).
			"link add txvx1 type vxlan id 43 dstport 4789")
		infoData := func() map[string]any {
			var links []struct {
				Name     string `json:"ifname"`
				LinkInfo struct {
					Data map[string]any `json:"info_data"`
				} `json:"linkinfo"`
			}
			ns.IPJSON(&links, "-d", "link", "show")
			m := map[string]any{}
			for _, l := range links {
				for k := range l.LinkInfo.Data {
					if strings.HasSuffix(k, "_timer") {
						delete(l.LinkInfo.Data, k) // a bridge's running timers
					}
				}
				m[l.Name] = l.LinkInfo.Data
			}
			return m
		}
		before := infoData()
		db, conn := setup(t, ns)
		ce := failedCommit(t, db, conn, 0, func(tx *Txn) {
			tx.Link(LinkSpec{Name: "txvx0", Info: &netlink.LinkInfo{InfoKind: "vxlan",
				Data: &netlink.Vxlan{ID: 42, Group: netip.MustParseAddr("198.51.100.20"), TTL: 20}}})
			tx.Link(LinkSpec{Name: "txvx1", Info: &netlink.LinkInfo{InfoKind: "vxlan",
				Data: &netlink.Vxlan{ID: 43, Group: netip.MustParseAddr("198.51.100.20"), Local: netip.MustParseAddr("192.0.2.5")}}})
			tx.Link(LinkSpec{Name: "txmv0", Info: &netlink.LinkInfo{InfoKind: "macvlan", Data: &netlink.Macvlan{Mode: netlink.MacvlanVEPA}}})
			tx.Link(LinkSpec{Name: "txbr0", Info: &netlink.LinkInfo{InfoKind: "bridge", Data: &netlink.Bridge{ForwardDelay: ptr(uint32(400))}}})
			plan, err := tx.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(plan.Steps); got != 4 {
				t.Fatalf("plan has %d steps, want the four link changes:\n%s", got, plan)
			}
		})
		if !ce.RolledBack {
			t.Fatalf("got %v, want a rolled-back CommitError", ce)
		}
		after := infoData()
		for _, name := range []string{"txvx0", "txvx1", "txmv0", "txbr0"} {
			if !reflect.DeepEqual(before[name], after[name]) {
				t.Errorf("%s: ip -d link's info_data after the rollback\n%v\nwant, as before\n%v", name, after[name], before[name])
			}
		}
	})
}

// TestRollbackRestoresMasterNeighs: a failed transaction that detaches a
// bridge's only port takes the bridge's carrier, and the kernel flushes
// the bridge's NOARP entries; the rollback must bring them back though no
// spec names the bridge (found by a user's try: a state file that
// detached veth0 from br0 lost br0's `nud noarp` entry, and the apply
// reported the namespace as before).
func TestRollbackRestoresMasterNeighs(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link set lo up", "link add txbr5 type bridge", "link add txp5 type veth peer name txq5",
			"link set txp5 master txbr5", "link set txq5 up", "link set txp5 up", "link set txbr5 up")
		ns.WaitCarrier("txbr5")
		ns.Batch("neigh add 192.0.2.5 lladdr 02:00:00:00:00:05 dev txbr5 nud noarp",
			"neigh add 2001:db8::5 lladdr 02:00:00:00:00:06 dev txbr5 nud noarp")
		neighs := func() string {
			var v []any
			ns.IPJSON(&v, "neigh", "show", "dev", "txbr5", "nud", "noarp")
			var lines []string
			for _, e := range slices.DeleteFunc(v, kernelNoARP) {
				m := e.(map[string]any)
				lines = append(lines, fmt.Sprintf("%v lladdr %v", m["dst"], m["lladdr"]))
			}
			slices.Sort(lines)
			return strings.Join(lines, "\n")
		}
		before := neighs()
		if strings.Count(before, "lladdr") != 2 {
			t.Fatalf("setup: %q", before)
		}
		db, conn := setup(t, ns)
		if ce := failedCommit(t, db, conn, 0, func(tx *Txn) { tx.Link(LinkSpec{Name: "txp5", Master: ptr("")}) }); !ce.RolledBack {
			t.Fatalf("got %v, want a rolled-back CommitError", ce)
		}
		if after := neighs(); after != before {
			t.Errorf("txbr5's NOARP entries after the rollback:\n%s\nwant, as before:\n%s", after, before)
		}
	})
}

// TestRollbackReportsKindDataLeft: a rollback that cannot set a kind
// setting back says so. A macvlan flag cannot be cleared through a
// request (a zero IFLA_MACVLAN_FLAGS is not sent): the rollback must not
// report the namespace as before (it did: RolledBack with nothing left),
// and Left names the flag.
func TestRollbackReportsKindDataLeft(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link set lo up", "link add txv0 type veth peer name txv1",
			"link add txmv0 link txv0 type macvlan mode bridge")
		db, conn := setup(t, ns)
		ce := failedCommit(t, db, conn, time.Second, func(tx *Txn) {
			tx.Link(LinkSpec{Name: "txmv0", Info: &netlink.LinkInfo{InfoKind: "macvlan", Data: &netlink.Macvlan{Mode: netlink.MacvlanBridge, Flags: 1}}})
		})
		if ce.RolledBack || !strings.Contains(strings.Join(ce.Left, "; "), "flag 1 -> 0") {
			t.Errorf("RolledBack %v, Left %q: want not rolled back, the macvlan flag left (%v)", ce.RolledBack, ce.Left, ce)
		}
	})
}

// TestRollbackRenamedLink: a failed transaction renamed an up link; the
// kernel relabels its IPv4 addresses (inetdev_changename). The rollback
// planned the label back as a new address, and removing the link's last
// IPv4 address flushed its routes and its ARP entries, permanent ones too
// (fib_disable_ip), while it reported the namespace as before (found by a
// user's try). Now the rename alone is planned where the kernel relabels
// as the pre-image had it; where it cannot (a first label "va:x" becomes
// plain "va"), the address is re-created and a second pass brings back
// what that flushed.
func TestRollbackRenamedLink(t *testing.T) {
	for _, c := range []struct {
		name, label string
		steps       int // of the rollback's first plan
	}{{"label follows", "va", 1}, {"label re-created", "va:x", 3}} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				prepNS(t, ns)
				ns.Batch("link set lo up", "link add va type veth peer name vb", "link set va up", "link set vb up",
					"addr add 192.0.2.1/24 dev va label "+c.label, "route add 198.51.100.0/24 via 192.0.2.254",
					"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev va nud permanent")
				ns.WaitCarrier("va")
				state := func() string {
					return ns.IP("-4", "addr", "show", "dev", "va") + ns.IP("neigh", "show", "nud", "permanent") + ns.IP("route")
				}
				before := state()
				db, conn := setup(t, ns)
				var steps int
				debugRollback = func(_ *specSet, p *Plan) { steps = len(p.Steps) }
				defer func() { debugRollback = nil }()
				cfg := &Config{inject: failKind(netlink.KindRoute, failing)}
				err := New(db, conn, cfg).Link(LinkSpec{Name: "vq", RenameFrom: "va"}).
					Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: netip.MustParseAddr("192.0.2.9")}).
					Commit(context.Background())
				var ce *CommitError
				if !errors.As(err, &ce) || !ce.RolledBack {
					t.Fatalf("got %v, want a rolled-back CommitError", err)
				}
				if steps != c.steps {
					t.Errorf("the rollback's first plan had %d steps, want %d", steps, c.steps)
				}
				if after := state(); after != before {
					t.Errorf("after the rollback:\n%s\nwant, as before:\n%s", after, before)
				}
			})
		})
	}
}

// TestRollbackRestoresFlushed: what the kernel flushes as a side effect
// of a failed transaction on a link no spec names must come back (found
// by a user's try, each reported as "the namespace is as before"):
// removing a bridge's last IPv4 address flushes its permanent ARP entries
// (fib_disable_ip, arp_ifdown); deleting a bridge's ports takes its
// carrier, and the kernel flushes the nexthop objects over it
// (nexthop_flush_dev), shrinking their groups; a deleted bridge left its
// ports without a master.
func TestRollbackRestoresFlushed(t *testing.T) {
	for _, c := range []struct {
		name  string
		specs func(*Txn)
	}{
		{"last address", func(tx *Txn) {
			tx.Addr(AddrSpec{Link: "txbr0", Prefix: netip.MustParsePrefix("198.51.100.1/24"), Absent: true})
		}},
		{"ports deleted", func(tx *Txn) {
			tx.Link(LinkSpec{Name: "txq0", Absent: true})
			tx.Link(LinkSpec{Name: "txq1", Absent: true})
		}},
		// The recreated bridge gets its ports back, then its carrier,
		// then its nexthop.
		{"bridge deleted", func(tx *Txn) { tx.Link(LinkSpec{Name: "txbr0", Absent: true}) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
				prepNS(t, ns)
				ns.Batch("link set lo up", "link add txbr0 type bridge",
					"link add txp0 type veth peer name txq0", "link add txp1 type veth peer name txq1",
					"link set txp0 master txbr0", "link set txp1 master txbr0",
					"link set txq0 up", "link set txq1 up", "link set txp0 up", "link set txp1 up", "link set txbr0 up",
					"addr add 198.51.100.1/24 dev txbr0",
					"link add txva type veth peer name txvb", "link set txvb up", "link set txva up",
					"addr add 192.0.2.1/24 dev txva")
				ns.WaitCarrier("txbr0", "txva")
				ns.Batch("neigh add 198.51.100.7 lladdr 02:00:00:00:01:07 dev txbr0 nud permanent",
					"nexthop add id 10 via 192.0.2.10 dev txva", "nexthop add id 11 via 198.51.100.11 dev txbr0",
					"nexthop add id 12 group 10/11,3", "route add 203.0.113.32/28 nhid 12")
				state := func() string {
					return ns.IP("neigh", "show", "nud", "permanent") + ns.IP("nexthop") + ns.IP("route") +
						ns.IP("-br", "link", "show", "master", "txbr0")
				}
				before := state()
				db, conn := setup(t, ns)
				if ce := failedCommit(t, db, conn, 0, c.specs); !ce.RolledBack {
					t.Fatalf("got %v, want a rolled-back CommitError", ce)
				}
				if after := state(); after != before {
					t.Errorf("after the rollback:\n%s\nwant, as before:\n%s", after, before)
				}
			})
		})
	}
}

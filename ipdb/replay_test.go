package ipdb_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

func route(dst, gw string, oif uint32) *netlink.Route {
	r := &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix(dst), Table: 254, OIF: oif,
		Type: netlink.RouteType(unix.RTN_UNICAST), Protocol: netlink.ProtoBoot}
	if gw != "" {
		r.Gateway = netip.MustParseAddr(gw)
	}
	return r
}

func upd(typ uint16, flags uint16, o netlink.Object) netlink.Update {
	return netlink.Update{Type: typ, Flags: flags, Object: o}
}

// The applier, without a kernel: revisions, changes, keys and the
// side effects it can compute by itself.
func TestReplayAppliesBatches(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	v0 := &netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP}
	addr := &netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	r.Apply([]netlink.Update{
		upd(unix.RTM_NEWLINK, 0, v0),
		upd(unix.RTM_NEWADDR, 0, addr),
		upd(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, route("198.51.100.0/24", "192.0.2.2", 2)),
		// ip route append: same identity, another next hop, another route.
		upd(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_APPEND, route("198.51.100.0/24", "192.0.2.3", 2)),
	})
	if got := r.Revision(); got != 2 {
		t.Fatalf("one batch should be one revision: %d", got)
	}
	s := r.Snapshot()
	if n := len(slices.Collect(s.RoutesTo(254, netip.MustParsePrefix("198.51.100.0/24")))); n != 2 {
		t.Fatalf("appended routes: %d, want 2", n)
	}
	// The same object again is not a change and makes no revision.
	r.Apply([]netlink.Update{upd(unix.RTM_NEWLINK, 0, &netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP})})
	if got := r.Revision(); got != 2 {
		t.Fatalf("a no-op batch made revision %d", got)
	}
	// ip route replace replaces one of them: with two siblings the applier
	// cannot tell which, and asks for a re-read.
	if rereads := r.Apply([]netlink.Update{upd(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, route("198.51.100.0/24", "192.0.2.4", 2))}); rereads == 0 {
		t.Fatal("a replace among two appended routes should call for a re-read")
	}
	// Renaming keeps the key; the name index follows.
	r.Apply([]netlink.Update{upd(unix.RTM_NEWLINK, 0, &netlink.Link{Index: 2, Name: "v9", MTU: 1400, Flags: unix.IFF_UP})})
	s = r.Snapshot()
	if _, err := s.LinkByName("v0"); err == nil {
		t.Fatal("old name still found after a rename")
	}
	if l, err := s.LinkByName("v9"); err != nil || l.MTU != 1400 {
		t.Fatalf("renamed link: %v, %v", l, err)
	}
	changes, _, _, err := r.ChangesSince(3, 0)
	if err != nil || len(changes) != 1 || changes[0].Op != ipdb.OpChange || changes[0].Old.(*netlink.Link).Name != "v0" {
		t.Fatalf("rename change: %+v, %v", changes, err)
	}
	// Deleting the link takes its addresses and routes in the same revision.
	before := r.Revision()
	r.Apply([]netlink.Update{upd(unix.RTM_DELLINK, 0, &netlink.Link{Index: 2, Name: "v9"})})
	s = r.Snapshot()
	if n := len(slices.Collect(s.Links())) + len(slices.Collect(s.Addrs())) + len(slices.Collect(s.Routes())); n != 0 {
		t.Fatalf("%d objects left after the link's deletion", n)
	}
	if r.Revision() != before+1 {
		t.Fatalf("link deletion took %d revisions", r.Revision()-before)
	}
	// A bridge-port RTM_DELLINK (AF_BRIDGE) is a port leaving its bridge,
	// not a link deletion.
	r.Apply([]netlink.Update{upd(unix.RTM_NEWLINK, 0, &netlink.Link{Index: 5, Name: "p0", Master: 4})})
	r.Apply([]netlink.Update{upd(unix.RTM_DELLINK, 0, &netlink.Link{Family: unix.AF_BRIDGE, Index: 5, Name: "p0", Master: 4})})
	if _, err := r.Snapshot().LinkByIndex(5); err != nil {
		t.Fatalf("bridge port message deleted the link: %v", err)
	}
}

func BenchmarkReplayApply(b *testing.B) {
	for _, batch := range []int{4096, 16, 2} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) { benchmarkReplayApply(b, batch) })
	}
}

func benchmarkReplayApply(b *testing.B, batch int) {
	// Preload a dense table, as a router has, so that inserts land in a
	// wide tree.
	r, err := ipdb.NewReplay(ipdb.WithChangeLog(1 << 16))
	if err != nil {
		b.Fatal(err)
	}
	updates := make([]netlink.Update, 0, batch)
	n := 0
	next := func() []netlink.Update {
		updates = updates[:0]
		for range batch {
			dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 32)
			updates = append(updates, upd(unix.RTM_NEWROUTE, 0, &netlink.Route{Family: unix.AF_INET, Dst: dst,
				Table: 254, OIF: 2, Gateway: netip.MustParseAddr("192.0.2.2"), Type: 1, Protocol: 3}))
			n++
		}
		return updates
	}
	for range 100000 / batch {
		r.Apply(next())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		r.Apply(next())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestReplayAllInKindOrder: Snapshot.All yields every stored object, kind
// by kind in the order of netlink.Kinds, whatever order they came in.
func TestReplayAllInKindOrder(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	objs := []netlink.Object{
		&netlink.Rule{Family: unix.AF_INET, Priority: 100, Table: 300, Action: netlink.RuleToTable},
		route("198.51.100.0/24", "192.0.2.2", 2),
		&netlink.Neigh{Family: unix.AF_INET, Index: 2, Dst: netip.MustParseAddr("192.0.2.2"), State: unix.NUD_PERMANENT},
		&netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
		&netlink.FDB{Family: unix.AF_BRIDGE, Index: 2, LLAddr: []byte{2, 0, 0, 0, 0, 1}, Flags: unix.NTF_SELF},
		&netlink.Nexthop{ID: 100, Family: unix.AF_INET, OIF: 2, Gateway: netip.MustParseAddr("192.0.2.2")},
		&netlink.Filter{Index: 2, Parent: netlink.NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_ALL, TCKind: "bpf", Handle: 1},
		&netlink.Class{Index: 2, Handle: netlink.NewHandle(1, 10), Parent: netlink.HandleRoot, TCKind: "htb"},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, TCKind: "htb"},
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP},
	}
	var batch []netlink.Update
	for _, o := range objs {
		typ, _ := o.Kind().MessageTypes()
		batch = append(batch, upd(typ, unix.NLM_F_CREATE, o))
	}
	r.Apply(batch)
	var kinds []netlink.Kind
	for o := range r.Snapshot().All() {
		kinds = append(kinds, o.Kind())
	}
	// The filter brought its priority's entry (filterPriorityInTxn): two
	// filters, one after the other.
	if want := netlink.Kinds(); !slices.Equal(slices.Compact(kinds), want) || len(kinds) != len(want)+1 {
		t.Fatalf("All yields kinds %v, want %v (one object of each, two filters)", kinds, want)
	}
}

// TestReplayRulesKeepHostBits: the kernel keeps a rule's addresses as
// given and tells rules apart by them (fib6_rule_compare), so two rules
// that differ only in the host bits of their destination are two rules,
// and deleting one leaves the other (the soak's lost `to
// 2001:db8:f:1::/48` beside `to 2001:db8:f:b::/48`).
func TestReplayRulesKeepHostBits(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	rule := func(dst string) *netlink.Rule {
		return &netlink.Rule{Family: unix.AF_INET6, Priority: 1001, Action: netlink.RuleGoto, Goto: 1039,
			Dst: netip.MustParsePrefix(dst)}
	}
	r.Apply([]netlink.Update{
		upd(unix.RTM_NEWRULE, 0, rule("2001:db8:f:b::/48")),
		upd(unix.RTM_NEWRULE, 0, rule("2001:db8:f:1::/48")),
	})
	var got []string
	for x := range r.Snapshot().Rules() {
		got = append(got, x.Dst.String())
	}
	if want := []string{"2001:db8:f:1::/48", "2001:db8:f:b::/48"}; !slices.Equal(got, want) {
		t.Fatalf("rules' destinations %v, want %v", got, want)
	}
	r.Apply([]netlink.Update{upd(unix.RTM_DELRULE, 0, rule("2001:db8:f:b::/48"))})
	got = got[:0]
	for x := range r.Snapshot().Rules() {
		got = append(got, x.Dst.String())
	}
	if want := []string{"2001:db8:f:1::/48"}; !slices.Equal(got, want) {
		t.Fatalf("after deleting one: %v, want %v", got, want)
	}
}

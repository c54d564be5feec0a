package txn

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestKindTableComplete: every kind netlink knows has a row in kindTable,
// either with its kindOps and stages or saying why txn does not write it.
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "txn kindTable", func(k netlink.Kind) bool {
		r := kindRows[k]
		return r != nil && r.kind == k && (r.ops != nil) != (r.readOnly != "")
	})
	seen := map[netlink.Kind]bool{}
	for _, r := range kindTable {
		if seen[r.kind] {
			t.Errorf("kind %s: two rows", r.kind)
		}
		seen[r.kind] = true
		switch {
		case r.ops != nil && (len(r.add) == 0 || len(r.del) == 0):
			t.Errorf("kind %s: written without add and delete stages", r.kind)
		case r.ops == nil && (len(r.add) > 0 || len(r.del) > 0 || r.rechecksAll):
			t.Errorf("kind %s: %s, but has stages", r.kind, r.readOnly)
		}
	}
}

// TestKindStages: every stage belongs to one kind; removals come before
// creations; and kindTable's order is the dependency order of both: a
// kind's add stages come after those of the kinds above it in the table,
// its del stages before theirs.
func TestKindStages(t *testing.T) {
	owner := map[stage]netlink.Kind{}
	var lastAdd, firstDel stage = 0, numStages
	for i, r := range kindTable {
		for _, st := range slices.Concat(r.add, r.del) {
			if k, ok := owner[st]; ok {
				t.Errorf("stage %d: in the rows of %s and %s", st, k, r.kind)
			}
			owner[st] = r.kind
		}
		if len(r.add) == 0 {
			continue
		}
		if i > 0 && slices.Min(r.add) < lastAdd {
			t.Errorf("kind %s: add stage %d before the kinds above it (%d)", r.kind, slices.Min(r.add), lastAdd)
		}
		if slices.Max(r.del) > firstDel {
			t.Errorf("kind %s: del stage %d after the kinds above it (%d)", r.kind, slices.Max(r.del), firstDel)
		}
		lastAdd, firstDel = slices.Max(r.add), slices.Min(r.del)
		for _, d := range r.del {
			for _, r2 := range kindTable {
				for _, a := range r2.add {
					if d > a {
						t.Errorf("del stage %d of %s after add stage %d of %s", d, r.kind, a, r2.kind)
					}
				}
			}
		}
	}
	for st := range numStages {
		if _, ok := owner[st]; !ok {
			t.Errorf("stage %d belongs to no kind", st)
		}
	}

	// A plan that creates, changes and removes objects of every kind txn
	// writes puts each step in a stage of its kind's row: a removal in a
	// del stage, anything else in an add stage.
	gw := netip.MustParseAddr("192.0.2.2")
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Link{Index: 3, Name: "gone0", Info: &netlink.LinkInfo{InfoKind: "bridge"}},
		&netlink.Addr{Family: unix.AF_INET, Index: 2, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
		&netlink.Route{Family: unix.AF_INET, Table: 254, Dst: netip.MustParsePrefix("198.51.100.0/24"), Gateway: gw, OIF: 2,
			Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot},
		&netlink.Neigh{Family: unix.AF_INET, Index: 2, Dst: netip.MustParseAddr("192.0.2.7"),
			LLAddr: []byte{2, 0, 0, 0, 0, 7}, State: unix.NUD_PERMANENT},
		&netlink.Rule{Family: unix.AF_INET, Priority: 100, Table: 300, Action: netlink.RuleToTable},
		&netlink.Nexthop{ID: 100, Family: unix.AF_INET, Gateway: gw, OIF: 2, Scope: netlink.ScopeLink},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, Options: &netlink.HTB{Rate2Quantum: 10}},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(0xffff, 0), Parent: netlink.HandleIngress, Options: &netlink.Ingress{}},
		&netlink.Class{Index: 2, Handle: netlink.NewHandle(1, 0x10), Parent: netlink.HandleRoot, Options: &netlink.HTBClass{Rate: 1e6}},
		&netlink.Class{Index: 2, Handle: netlink.NewHandle(1, 0x30), Parent: netlink.HandleRoot, Options: &netlink.HTBClass{Rate: 1e6}},
		&netlink.Filter{Index: 2, Parent: netlink.NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000800,
			Options: &netlink.U32{Sel: &netlink.U32Sel{Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}},
	)
	master := "br0"
	tx := New(nil, nil, nil).
		Link(LinkSpec{Name: "gone0", Absent: true}).
		Link(LinkSpec{Name: "br0", Info: &netlink.LinkInfo{InfoKind: "bridge"}, Up: bptr(true)}).
		Link(LinkSpec{Name: "v0", MTU: u32(1400), Master: &master}).
		Addr(AddrSpec{Link: "v0", Prefix: netip.MustParsePrefix("192.0.2.1/24"), Absent: true}).
		Addr(AddrSpec{Link: "v0", Prefix: netip.MustParsePrefix("192.0.2.9/24")}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("198.51.100.0/24"), Absent: true}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: gw, Dev: "v0"}).
		Nexthop(NexthopSpec{ID: 100, Absent: true}).
		Nexthop(NexthopSpec{ID: 101, Gateway: gw, Dev: "v0"}).
		Nexthop(NexthopSpec{ID: 200, Group: []NexthopMemberSpec{{ID: 101, Weight: 2}}}).
		Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.128/25"), NHID: 200}).
		Neigh(NeighSpec{Link: "v0", Dst: netip.MustParseAddr("192.0.2.7"), Absent: true}).
		Neigh(NeighSpec{Link: "v0", Dst: netip.MustParseAddr("192.0.2.8"), LLAddr: []byte{2, 0, 0, 0, 0, 8}}).
		Rule(RuleSpec{Rule: netlink.Rule{Priority: 100}, Absent: true}).
		Rule(RuleSpec{Rule: netlink.Rule{Priority: 200, Table: 300}}).
		Qdisc(QdiscSpec{Dev: "v0", Parent: netlink.HandleIngress, Absent: true, Kind: "ingress"}).
		Qdisc(QdiscSpec{Dev: "v0", Parent: netlink.NewHandle(1, 0x10), Handle: netlink.NewHandle(0x10, 0), Options: &netlink.Fifo{Kind: "pfifo"}}).
		Class(ClassSpec{Dev: "v0", ClassID: netlink.NewHandle(1, 0x30), Absent: true}).
		Class(ClassSpec{Dev: "v0", ClassID: netlink.NewHandle(1, 0x20), Options: &netlink.HTBClass{Rate: 1e6}}).
		Filter(FilterSpec{Dev: "v0", Parent: netlink.NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000800, Kind: "u32", Absent: true}).
		Filter(FilterSpec{Dev: "v0", Parent: netlink.NewHandle(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6}}}})
	plan, err := tx.PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	used := map[stage]bool{}
	for _, s := range plan.Steps {
		used[s.stage] = true
		r := kindRows[s.Kind]
		stages := r.add
		if s.Action == Remove {
			stages = r.del
		}
		if !slices.Contains(stages, s.stage) {
			t.Errorf("%q: stage %d not among its kind's %v", s, s.stage, stages)
		}
	}
	for st := range numStages {
		if !used[st] {
			t.Errorf("stage %d: no step of the plan uses it:\n%s", st, plan)
		}
	}
}

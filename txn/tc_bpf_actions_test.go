package txn

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCBPFActionsPlanOffline plans bpf filter specs on a replayed state:
// a spec that leaves the actions nil keeps a filter's mirred action and
// its old-style policer through a change for another reason (the request
// carries them: the plan's line shows them); the actions' counters and
// index are no change; an empty list removes them; a policer in the spec
// is compared by its rates and verdicts.
func TestTCBPFActionsPlanOffline(t *testing.T) {
	ops := []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}
	pol := &netlink.Police{Index: 4, Refcnt: 1, Bindcnt: 1, Rate: 125000,
		Burst: netlink.TCXmitTime(125000, 10240), Action: netlink.TCActShot, TM: []byte{1, 2, 3}}
	mirred := &netlink.TCAction{Kind: "mirred", Index: 2, Stats: &netlink.TCStats{Packets: 9},
		Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Index: 2, Action: netlink.TCActStolen, Refcnt: 1, Bindcnt: 1},
			Eaction: netlink.MirredEgressRedirect, Ifindex: 3, TM: []byte{4, 5}}}
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Link{Index: 3, Name: "ifb0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "ifb"}},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(0xffff, 0), Parent: netlink.HandleIngress, TCKind: "clsact"},
		&netlink.Filter{Index: 2, Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, TCKind: "bpf",
			Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: ops, Actions: netlink.TCActions{mirred}}},
		&netlink.Filter{Index: 2, Parent: netlink.HandleEgressBlock, Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1, TCKind: "bpf",
			Options: &netlink.BPFFilter{Ops: ops, Police: pol}},
	)
	spec := func(parent netlink.Handle, prio uint16, o *netlink.BPFFilter) FilterSpec {
		return FilterSpec{Dev: "v0", Parent: parent, Priority: prio, Protocol: unix.ETH_P_ALL, Handle: 1, Options: o}
	}
	plan := func(specs ...FilterSpec) string {
		t.Helper()
		tx := New(nil, nil, nil)
		for _, s := range specs {
			tx.Filter(s)
		}
		p, err := tx.PlanAgainst(st)
		if err != nil {
			t.Fatal(err)
		}
		return p.String()
	}
	// The same filters, actions left nil or given as read: nothing to do.
	if got := plan(spec(netlink.HandleIngressBlock, 1, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: ops}),
		spec(netlink.HandleEgressBlock, 2, &netlink.BPFFilter{Ops: ops})); got != "" {
		t.Errorf("nothing to do, planned:\n%s", got)
	}
	if got := plan(spec(netlink.HandleIngressBlock, 1, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: ops,
		Actions: netlink.TCActions{{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen},
			Eaction: netlink.MirredEgressRedirect, Ifindex: 3}}}}),
		spec(netlink.HandleEgressBlock, 2, &netlink.BPFFilter{Ops: ops,
			Police: &netlink.Police{Rate: 125000, Burst: netlink.TCXmitTime(125000, 10240), Action: netlink.TCActShot}})); got != "" {
		t.Errorf("nothing to do, planned:\n%s", got)
	}
	// A new flowid: the actions and the policer go with the request.
	got := plan(spec(netlink.HandleIngressBlock, 1, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 2), Ops: ops}),
		spec(netlink.HandleEgressBlock, 2, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 3), Ops: ops}))
	want := "~ filter dev v0 ingress protocol all pref 1 chain 0 handle 0x1 bpf bytecode '1,6 0 0 4294967295' flowid 1:2 action mirred egress redirect dev ifb0: flowid 1:1 -> flowid 1:2\n" +
		"~ filter dev v0 egress protocol all pref 2 chain 0 handle 0x1 bpf bytecode '1,6 0 0 4294967295' flowid 1:3 police rate 1Mbit burst 10Kb conform-exceed drop: (none) -> flowid 1:3\n"
	if got != want {
		t.Errorf("a new flowid:\n%s\nwant\n%s", got, want)
	}
	// An empty list: the actions go.
	if got := plan(spec(netlink.HandleIngressBlock, 1, &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: ops, Actions: netlink.TCActions{}})); !strings.Contains(got,
		"actions [action mirred egress redirect dev ifb0] -> (none)") {
		t.Errorf("an empty action list:\n%s", got)
	}
	// Another policer rate.
	pol2 := &netlink.Police{Rate: 250000, Burst: netlink.TCXmitTime(250000, 10240), Action: netlink.TCActShot}
	if got := plan(spec(netlink.HandleEgressBlock, 2, &netlink.BPFFilter{Ops: ops, Police: pol2})); !strings.Contains(got, "police rate 2Mbit") {
		t.Errorf("another policer:\n%s", got)
	}
}

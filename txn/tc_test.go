package txn

import (
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestTCOptionsDiff: a spec's zero fields are the kernel's, an exact
// spec's are not; what the kernel only reports (htb's version and
// counter, a class's level, u32's hit counters, the in_hw flags, a
// filter's raw actions) never counts.
func TestTCOptionsDiff(t *testing.T) {
	kernelHTB := &netlink.HTB{Version: 3, Rate2Quantum: 10, Default: 0x10, DirectPackets: 99, DirectQlen: 1000}
	kernelClass := &netlink.HTBClass{Rate: 125000, Ceil: 625000, Buffer: 100 * time.Millisecond, Quantum: 12500, Level: 2,
		RateSpec: netlink.RateSpec{Linklayer: 1}}
	kernelU32 := &netlink.U32{ClassID: netlink.NewHandle(1, 0x10), Hash: 0x80000000, Flags: netlink.TCClsFlagsNotInHW, Pcnt: []byte{1, 2},
		Sel:     &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}},
		Unknown: []netlink.Attribute{{Type: 7, Data: []byte{1, 2, 3, 4}}}}
	for _, c := range []struct {
		name       string
		want, have netlink.TCOptions
		exact      bool
		diff       string
	}{
		{"zero is the kernel's", &netlink.HTB{Default: 0x10}, kernelHTB, false, ""},
		{"a set field counts", &netlink.HTB{Default: 0x20}, kernelHTB, false, ": default 0x10 -> 0x20"},
		{"exact: zero counts", &netlink.HTB{Rate2Quantum: 10, Default: 0x10}, kernelHTB, true, ": directqlen 1000 -> 0"},
		{"exact: read-only does not", &netlink.HTB{Rate2Quantum: 10, Default: 0x10, DirectQlen: 1000}, kernelHTB, true, ""},
		{"class level is read-only", &netlink.HTBClass{Rate: 125000, Ceil: 625000, Buffer: 100 * time.Millisecond, Quantum: 12500,
			RateSpec: netlink.RateSpec{Linklayer: 1}}, kernelClass, true, ""},
		{"class rate", &netlink.HTBClass{Rate: 250000}, kernelClass, false, ": rate 125000 -> 250000"},
		{"nested struct", &netlink.HTBClass{RateSpec: netlink.RateSpec{Overhead: 8}}, kernelClass, false, ": ratespec.overhead 0 -> 8"},
		{"u32 node", &netlink.U32{ClassID: netlink.NewHandle(1, 0x10),
			Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}, kernelU32, false, ""},
		{"u32 exact ignores counters, hw flags and actions", &netlink.U32{ClassID: netlink.NewHandle(1, 0x10), Hash: 0x80000000,
			Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}, kernelU32, true, ""},
		{"u32 keys", &netlink.U32{Sel: &netlink.U32Sel{Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc6336400, Off: 16}}}}, kernelU32, false,
			": sel.keys match c0000200/ffffff00 at 16 -> match c6336400/ffffff00 at 16"},
		{"u32 skip_sw counts", &netlink.U32{Flags: netlink.TCClsFlagsSkipSW}, kernelU32, false, ": flags 0x0 -> 0x2"},
		{"another type", &netlink.TBF{Rate: 1}, kernelHTB, false, ": options [rate2quantum 10 default 0x10 directqlen 1000] -> [rate 1]"},
		{"none wanted", nil, kernelHTB, false, ""},
		{"none wanted, exact", nil, kernelHTB, true, ": options [rate2quantum 10 default 0x10 directqlen 1000] -> (none)"},
	} {
		if got := tcOptionsDiff(c.want, c.have, c.exact).String(); got != c.diff {
			t.Errorf("%s: %q, want %q", c.name, got, c.diff)
		}
	}
	bpf := &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffff}}}
	if got := tcOptionsWords(bpf); got != "classid 1:1 ops '1,6 0 0 65535'" {
		t.Errorf("bpf words: %q", got)
	}
	if got := tcOptionsWords(&netlink.U32{Link: 0x00200000, Sel: &netlink.U32Sel{Hoff: 16, Hmask: 0xff}}); got != "link 2: sel.hoff 16 sel.hmask 255" {
		t.Errorf("u32 words: %q", got)
	}
}

// TestTCPlanOffline plans on a replayed state: a tbf replacing an htb
// of another handle is one step that says what goes with it; removing
// a class a filter points to removes the filter first.
func TestTCPlanOffline(t *testing.T) {
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, Options: &netlink.HTB{Rate2Quantum: 10}},
		&netlink.Class{Index: 2, Handle: netlink.NewHandle(1, 0x10), Parent: netlink.HandleRoot, Options: &netlink.HTBClass{Rate: 1e6}},
		&netlink.Filter{Index: 2, Parent: netlink.NewHandle(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 0x10), Ops: []netlink.BPFInstruction{{Code: 6}}}},
	)
	tbf := &netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 13125}
	plan, err := New(nil, nil, nil).Qdisc(QdiscSpec{Dev: "v0", Handle: netlink.NewHandle(2, 0), Options: tbf}).PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	want := "~ qdisc tbf 2: dev v0 root rate 125000 limit 13125 buffer 80ms: handle 1: -> 2:, kind htb -> tbf (the kernel removes its 1 class and 1 filter with it)\n"
	if plan.String() != want {
		t.Errorf("plan:\n%s\nwant\n%s", plan, want)
	}
	plan, err = New(nil, nil, nil).
		Class(ClassSpec{Dev: "v0", ClassID: netlink.NewHandle(1, 0x10), Absent: true}).
		Filter(FilterSpec{Dev: "v0", Parent: netlink.NewHandle(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1, Kind: "bpf", Absent: true}).
		PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.String(); !strings.HasPrefix(s, "- filter dev v0") || !strings.Contains(s, "\n- class htb 1:10 dev v0 parent 1:") {
		t.Errorf("removal plan:\n%s", s)
	}
	// A class of a qdisc the transaction replaces goes with it: its
	// absent spec plans nothing, its present spec a creation.
	plan, err = New(nil, nil, nil).
		Qdisc(QdiscSpec{Dev: "v0", Handle: netlink.NewHandle(1, 0), Absent: true}).
		Class(ClassSpec{Dev: "v0", ClassID: netlink.NewHandle(1, 0x10), Absent: true}).
		PlanAgainst(st)
	if err != nil || len(plan.Steps) != 1 || plan.Steps[0].Kind != netlink.KindQdisc {
		t.Errorf("qdisc and class removal: %v\n%s", err, plan)
	}
}

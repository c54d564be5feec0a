package txn

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestTCOptionsDiff: a spec's zero fields are the kernel's, an exact
// spec's are not, but for those the kernel fills in at zero; what the
// kernel only reports (htb's version and
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
		{"exact: zero counts", &netlink.HTB{Rate2Quantum: 10}, kernelHTB, true, ": default 0x10 -> 0x0"},
		{"exact: what the kernel fills in at zero does not", &netlink.HTB{Default: 0x10}, kernelHTB, true, ""},
		{"exact: class prio counts, burst at zero does not, ceil at zero is the rate", &netlink.HTBClass{Rate: 125000}, &netlink.HTBClass{Rate: 125000, Ceil: 250000, Buffer: time.Millisecond, Quantum: 1250, Prio: 3}, true, ": prio 3 -> 0, ceil 2Mbit -> 1Mbit"},
		{"exact: read-only does not", &netlink.HTB{Rate2Quantum: 10, Default: 0x10, DirectQlen: 1000}, kernelHTB, true, ""},
		{"class level is read-only", &netlink.HTBClass{Rate: 125000, Ceil: 625000, Buffer: 100 * time.Millisecond, Quantum: 12500,
			RateSpec: netlink.RateSpec{Linklayer: 1}}, kernelClass, true, ""},
		{"class rate", &netlink.HTBClass{Rate: 250000}, kernelClass, false, ": rate 1Mbit -> 2Mbit"},
		{"an inner class's prio and quantum are the kernel's", &netlink.HTBClass{Rate: 125000, Ceil: 625000, Buffer: 100 * time.Millisecond, Prio: 2, Quantum: 3000,
			RateSpec: netlink.RateSpec{Linklayer: 1}}, kernelClass, true, ""},
		{"nested struct", &netlink.HTBClass{RateSpec: netlink.RateSpec{Overhead: 8}}, kernelClass, false, ": overhead 0 -> 8"},
		{"u32 node", &netlink.U32{ClassID: netlink.NewHandle(1, 0x10),
			Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}, kernelU32, false, ""},
		{"u32 exact ignores counters, hw flags and actions", &netlink.U32{ClassID: netlink.NewHandle(1, 0x10), Hash: 0x80000000,
			Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}, kernelU32, true, ""},
		{"u32 keys", &netlink.U32{Sel: &netlink.U32Sel{Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc6336400, Off: 16}}}}, kernelU32, false,
			": sel.keys match c0000200/ffffff00 at 16 -> match c6336400/ffffff00 at 16"},
		{"u32 skip_sw counts", &netlink.U32{Flags: netlink.TCClsFlagsSkipSW}, kernelU32, false, ": flags 0x0 -> 0x2"},
		{"another type", &netlink.TBF{Rate: 1}, kernelHTB, false, ": options [r2q 10 default 0x10 direct_qlen 1000] -> [rate 8bit]"},
		{"a peak rate going", &netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 10000},
			&netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 10000, Peakrate: 250000, Mtu: 8 * time.Millisecond, PeakSpec: netlink.RateSpec{Linklayer: 1}},
			true, ": peakrate 2Mbit -> (none), mtu 2000b -> (none)"},
		{"a peak rate coming", &netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 10000, Peakrate: 250000, Mtu: 8 * time.Millisecond, PeakSpec: netlink.RateSpec{Linklayer: 1}},
			&netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 10000}, true, ": peakrate (none) -> 2Mbit, mtu (none) -> 2000b"},
		{"none wanted", nil, kernelHTB, false, ""},
		{"none wanted, exact: the kind's defaults", nil, kernelHTB, true, ""},
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
	want := "~ qdisc tbf 2: dev v0 root rate 1Mbit burst 10000b lat 25ms: handle 1: -> 2:, kind htb -> tbf (the kernel removes its 1 class and 1 filter with it)\n"
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

// TestTCWords: the plan prints options in tc's words and units, as `tc
// qdisc show` and `tc class show` do (tc's sprint_rate, sprint_size,
// sprint_time), and a change says the old and new values in them.
func TestTCWords(t *testing.T) {
	rate := uint64(125000) // 1Mbit
	tbf := &netlink.TBF{Rate: rate, Buffer: netlink.TBFBuffer(rate, 10240), Limit: netlink.TBFLimit(rate, 10240, 25*time.Millisecond)}
	for _, c := range []struct {
		o    netlink.TCOptions
		want string
	}{
		{tbf, "rate 1Mbit burst 10Kb lat 25ms"},
		{&netlink.TBF{Rate: rate, Buffer: 80 * time.Millisecond, Limit: 100}, "rate 1Mbit burst 10000b limit 100b"},
		{&netlink.TBF{Buffer: 80 * time.Millisecond}, "buffer 80ms"},
		{&netlink.TBF{Rate: 1500000 / 8, Peakrate: 2e6 / 8, Mtu: netlink.TBFBuffer(2e6/8, 2048)}, "rate 1500Kbit peakrate 2Mbit mtu 2Kb"},
		{&netlink.HTB{Version: 3, Rate2Quantum: 10, Default: 0x10, DirectQlen: 1000}, "r2q 10 default 0x10 direct_qlen 1000"},
		{&netlink.HTBClass{Rate: rate, Ceil: 5 * rate, Buffer: 12800 * time.Microsecond, Prio: 2, Quantum: 12500,
			RateSpec: netlink.RateSpec{Linklayer: netlink.LinklayerEthernet, Overhead: 4}},
			"prio 2 rate 1Mbit ceil 5Mbit burst 1600b quantum 12500 overhead 4"},
		{&netlink.Fifo{Kind: "pfifo", Limit: 50}, "limit 50p"},
		{&netlink.Fifo{Kind: "bfifo", Limit: 10240}, "limit 10Kb"},
		{&netlink.FqCodel{Target: netlink.Ptr(uint32(5000)), Interval: netlink.Ptr(uint32(100000)), Limit: netlink.Ptr(uint32(10240))},
			"limit 10240 target 5ms interval 100ms"},
		{&netlink.Netem{Delay: 1500 * time.Millisecond, Rate: 1e9 / 8}, "delay 1.5s rate 1Gbit"},
	} {
		if got := tcOptionsWords(c.o); got != c.want {
			t.Errorf("%T: %q, want %q", c.o, got, c.want)
		}
	}
	// A change: the words when they tell the values apart, else the
	// field's name and value (a buffer whose burst rounds the same).
	for _, c := range []struct {
		want, have netlink.TCOptions
		diff       string
	}{
		{&netlink.TBF{Rate: 2 * rate}, tbf, ": rate 1Mbit -> 2Mbit"},
		{&netlink.HTB{Rate2Quantum: 5}, &netlink.HTB{Rate2Quantum: 10}, ": r2q 10 -> 5"},
		{&netlink.HTBClass{Ceil: 2 * rate}, &netlink.HTBClass{Rate: rate, Ceil: rate}, ": ceil 1Mbit -> 2Mbit"},
		{&netlink.Fifo{Kind: "pfifo", Limit: 60}, &netlink.Fifo{Kind: "pfifo", Limit: 50}, ": limit 50p -> 60p"},
	} {
		if got := tcOptionsDiff(c.want, c.have, false).String(); got != c.diff {
			t.Errorf("%T: %q, want %q", c.want, got, c.diff)
		}
	}
}

// TestTCActionsDiff: a filter's actions count by what a request sets
// (their order, kinds, mirred's eaction, target and verdict, gact's
// verdict, police's rate and verdict), not by what the kernel adds
// (index, reference and bind counts, times, counters).
func TestTCActionsDiff(t *testing.T) {
	mirred := func(ifindex uint32, verdict int32) *netlink.TCAction {
		return &netlink.TCAction{Kind: "mirred", Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: verdict},
			Eaction: netlink.MirredEgressRedirect, Ifindex: ifindex}}
	}
	kernel := netlink.TCActions{
		{Kind: "mirred", Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Index: 7, Action: netlink.TCActStolen, Refcnt: 1, Bindcnt: 1},
			Eaction: netlink.MirredEgressRedirect, Ifindex: 5, TM: make([]byte, 32)}, Stats: &netlink.TCStats{}},
		{Kind: "gact", Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Index: 3, Action: netlink.TCActShot, Refcnt: 1}}},
	}
	gact := func(v int32) *netlink.TCAction {
		return &netlink.TCAction{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: v}}}
	}
	police := func(rate uint64, v int32) *netlink.TCAction {
		return &netlink.TCAction{Options: &netlink.Police{Rate: rate, Burst: netlink.TCXmitTime(rate, 10240), Action: v}}
	}
	conform := func(a *netlink.TCAction, v int32) *netlink.TCAction {
		a.Options.(*netlink.Police).Conform = &v
		return a
	}
	kpol := police(125000, netlink.TCActShot)
	kpol.Options.(*netlink.Police).Index, kpol.Options.(*netlink.Police).Refcnt = 9, 1
	kpol.Options.(*netlink.Police).RateSpec = netlink.RateSpec{Linklayer: 1}
	for _, c := range []struct {
		name       string
		want, have netlink.TCActions
		exact      bool
		differ     bool
	}{
		{"same", netlink.TCActions{mirred(5, netlink.TCActStolen), gact(netlink.TCActShot)}, kernel, false, false},
		{"same, exact", netlink.TCActions{mirred(5, netlink.TCActStolen), gact(netlink.TCActShot)}, kernel, true, false},
		{"other target", netlink.TCActions{mirred(6, netlink.TCActStolen), gact(netlink.TCActShot)}, kernel, false, true},
		{"other verdict", netlink.TCActions{mirred(5, netlink.TCActPipe), gact(netlink.TCActShot)}, kernel, false, true},
		{"pass is a verdict", netlink.TCActions{mirred(5, netlink.TCActStolen), gact(netlink.TCActOK)}, kernel, false, true},
		{"order", netlink.TCActions{gact(netlink.TCActShot), mirred(5, netlink.TCActStolen)}, kernel, false, true},
		{"one less", netlink.TCActions{mirred(5, netlink.TCActStolen)}, kernel, false, true},
		{"none given", nil, kernel, false, false},
		{"none given, exact", nil, kernel, true, true},
		{"cookie", netlink.TCActions{{Options: &netlink.Gact{}, Cookie: []byte{1}}}, netlink.TCActions{gact(netlink.TCActOK)}, false, true},
		{"police same", netlink.TCActions{police(125000, netlink.TCActShot)}, netlink.TCActions{kpol}, false, false},
		{"police rate", netlink.TCActions{police(250000, netlink.TCActShot)}, netlink.TCActions{kpol}, false, true},
		{"police verdict", netlink.TCActions{police(125000, netlink.TCActOK)}, netlink.TCActions{kpol}, false, true},
		// "conform-exceed drop/pass" sends TCA_POLICE_RESULT 0, which the
		// kernel does not dump (found in the guest: apply never verified).
		{"police conform pass", netlink.TCActions{conform(police(125000, netlink.TCActShot), netlink.TCActOK)}, netlink.TCActions{kpol}, false, false},
		{"police conform drop", netlink.TCActions{conform(police(125000, netlink.TCActShot), netlink.TCActShot)}, netlink.TCActions{kpol}, false, true},
	} {
		if got := actionsDiffer(c.want, c.have, c.exact); got != c.differ {
			t.Errorf("%s: differ %v, want %v", c.name, got, c.differ)
		}
	}
	names := func(i int, ifindex uint32) string {
		if ifindex == 5 {
			return "ifb0"
		}
		return ""
	}
	if got := actionsWords(kernel, names); got != "action mirred egress redirect dev ifb0 action gact drop" {
		t.Errorf("words: %q", got)
	}
	if got := actionsWords(netlink.TCActions{mirred(4, netlink.TCActPipe), police(125000, netlink.TCActShot)}, nil); got !=
		"action mirred egress redirect dev #4 (verdict pipe, which tc sets for no redirect) action police rate 1Mbit burst 10Kb conform-exceed drop" {
		t.Errorf("words: %q", got)
	}
}

// TestTCMirredDevsInvalid: a mirred target by name must name a mirred
// action with neither an index nor a block, and a link.
func TestTCMirredDevsInvalid(t *testing.T) {
	st := replayState(t,
		&netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP, Info: &netlink.LinkInfo{InfoKind: "veth"}},
		&netlink.Qdisc{Index: 2, Handle: netlink.NewHandle(0xffff, 0), Parent: netlink.HandleIngress, TCKind: "ingress"},
	)
	redirect := func(ifindex uint32) *netlink.U32 {
		return &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: netlink.TCActions{
			{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect, Ifindex: ifindex}}}}
	}
	spec := func(o netlink.FilterOptions, devs map[int]string) FilterSpec {
		return FilterSpec{Dev: "v0", Parent: netlink.HandleIngress, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 0x80000800,
			Options: o, MirredDevs: devs}
	}
	for name, c := range map[string]struct {
		s    FilterSpec
		want string
	}{
		"no such link":   {spec(redirect(0), map[int]string{0: "ifb9"}), `no link named "ifb9"`},
		"no such action": {spec(redirect(0), map[int]string{1: "v0"}), "the filter has 1 actions"},
		"index and name": {spec(redirect(3), map[int]string{0: "v0"}), "give the target once"},
		"not mirred":     {spec(&netlink.U32{Sel: &netlink.U32Sel{Keys: []netlink.U32Key{{}}}, Actions: netlink.TCActions{{Options: &netlink.Gact{}}}}, map[int]string{0: "v0"}), "not mirred"},
		"no actions":     {spec(&netlink.RawTCOptions{Kind: "fw"}, map[int]string{0: "v0"}), "have no actions"},
		"bpf, none":      {spec(&netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6}}}, map[int]string{0: "v0"}), "the filter has 0 actions"},
		"neither":        {spec(redirect(0), nil), "mirred needs a device"},
		"bad name":       {spec(redirect(0), map[int]string{0: ""}), "empty link name"},
	} {
		_, err := New(nil, nil, nil).Filter(c.s).PlanAgainst(st)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrInvalid with %q", name, err, c.want)
		}
	}
	plan, err := New(nil, nil, nil).Filter(spec(redirect(0), map[int]string{0: "v0"})).PlanAgainst(st)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.String(), "+ filter dev v0 parent ffff:fff1 protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev v0\n"; got != want {
		t.Errorf("plan %q, want %q", got, want)
	}
}

// TestTCWordsChange: a tbf's new rate with the same burst in bytes and
// the same latency says how its buffer and limit change.
func TestTCWordsChange(t *testing.T) {
	old := &netlink.TBF{Rate: 125000, Buffer: 80 * time.Millisecond, Limit: 13125}
	nw := &netlink.TBF{Rate: 250000, Buffer: 40 * time.Millisecond, Limit: 16250}
	if got, want := tcOptionsDiff(nw, old, false).String(), ": rate 1Mbit -> 2Mbit, buffer 80ms -> 40ms, limit 13125b -> 16250b"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestTCOptionsDiffPointers: optional scalars (*uint32) compare by value
// and print it, not the pointer; an optional struct that one side lacks
// prints as (none).
func TestTCOptionsDiffPointers(t *testing.T) {
	have := &netlink.FqCodel{Target: netlink.Ptr(uint32(5000)), Limit: netlink.Ptr(uint32(10240))}
	if got := tcOptionsDiff(&netlink.FqCodel{Target: netlink.Ptr(uint32(5000))}, have, false).String(); got != "" {
		t.Errorf("same target: %q", got)
	}
	if got, want := tcOptionsDiff(&netlink.FqCodel{Target: netlink.Ptr(uint32(10000))}, have, false).String(), ": target 5ms -> 10ms"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := tcOptionsDiff(&netlink.FqCodel{Target: netlink.Ptr(uint32(5000))}, have, true).String(), ": limit 10240 -> (none)"; got != want {
		t.Errorf("exact: %q, want %q", got, want)
	}
	u := &netlink.U32{Sel: &netlink.U32Sel{Flags: 1}}
	if got, want := tcOptionsDiff(&netlink.U32{}, u, true).String(), ": sel [flags 1] -> (none)"; got != want {
		t.Errorf("exact u32: %q, want %q", got, want)
	}
}

// TestTCWordsPolicer: a classifier's old-style policer prints as tc's
// police action does.
func TestTCWordsPolicer(t *testing.T) {
	u := &netlink.U32{ClassID: netlink.NewHandle(1, 0x10), Police: &netlink.Police{Rate: 125000, Burst: netlink.TCXmitTime(125000, 10240), Action: netlink.TCActShot}}
	if got, want := tcOptionsWords(u), "classid 1:10 police rate 1Mbit burst 10Kb conform-exceed drop"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestTCOptionsDiffMeasured: cake's bandwidth under autorate-ingress is
// the kernel's measurement (the guest's TestTCQdiscKindsLive read
// 116729736 B/s where tc had set 125000000), so a spec's bandwidth is not
// compared while autorate-ingress is asked for or kept; without it, it is.
func TestTCOptionsDiffMeasured(t *testing.T) {
	u := func(v uint32) *uint32 { return &v }
	rate := func(v uint64) *uint64 { return &v }
	have := &netlink.Cake{BaseRate: rate(116729736), Autorate: u(1), Overhead: netlink.Ptr[int32](10)}
	for _, c := range []struct {
		name string
		want *netlink.Cake
		diff string
	}{
		{"autorate asked for", &netlink.Cake{BaseRate: rate(125000000), Autorate: u(1)}, ""},
		{"autorate kept", &netlink.Cake{BaseRate: rate(125000000)}, ""},
		{"another field still counts", &netlink.Cake{BaseRate: rate(125000000), Overhead: netlink.Ptr[int32](18)}, ": overhead 10 -> 18"},
		{"autorate turned off", &netlink.Cake{BaseRate: rate(125000000), Autorate: u(0)}, ": bandwidth 933837Kbit -> 1Gbit, autorate 1 -> 0"},
	} {
		if got := tcOptionsDiff(c.want, have, false).String(); got != c.diff {
			t.Errorf("%s: %q, want %q", c.name, got, c.diff)
		}
	}
	off := &netlink.Cake{BaseRate: rate(125000000), Autorate: u(0)}
	if got, want := tcOptionsDiff(&netlink.Cake{BaseRate: rate(12500000)}, off, false).String(), ": bandwidth 1Gbit -> 100Mbit"; got != want {
		t.Errorf("no autorate: %q, want %q", got, want)
	}
}

// TestKeptFields: a change's request carries the fields a spec leaves at
// zero as the kernel's object has them (a bpf filter's flowid and
// direct-action, an htb class's prio and ceil), not the program a bpf
// spec gives, and htb's burst and quantum only while the rate they come
// from stays; the spec itself is not changed.
func TestKeptFields(t *testing.T) {
	have := &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), DirectAction: true, Name: "old", ID: 7,
		GenFlags: netlink.TCClsFlagsSkipHW | netlink.TCClsFlagsNotInHW}
	want := &netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6}}}
	got := keptFields(want, have).(*netlink.BPFFilter)
	if got.ClassID != have.ClassID || !got.DirectAction || got.GenFlags != netlink.TCClsFlagsSkipHW || got.Name != "" || got.ID != 0 {
		t.Errorf("bpf: %+v", got)
	}
	if want.ClassID != 0 || want.DirectAction {
		t.Errorf("the spec changed: %+v", want)
	}
	class := &netlink.HTBClass{Rate: 125000, Ceil: 250000, Buffer: time.Millisecond, Cbuffer: 2 * time.Millisecond, Quantum: 1250, Prio: 3}
	c := keptFields(&netlink.HTBClass{Rate: 125000, Quantum: 3000}, class).(*netlink.HTBClass)
	if c.Ceil != 250000 || c.Prio != 3 || c.Buffer != time.Millisecond || c.Cbuffer != 2*time.Millisecond || c.Quantum != 3000 {
		t.Errorf("class, same rate: %+v", c)
	}
	c = keptFields(&netlink.HTBClass{Rate: 250000}, class).(*netlink.HTBClass)
	if c.Ceil != 250000 || c.Prio != 3 || c.Buffer != 0 || c.Cbuffer != 0 || c.Quantum != 0 {
		t.Errorf("class, another rate: %+v", c)
	}
}

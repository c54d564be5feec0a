package netlink_test

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// The live tests of the qdiscs, filters and actions this machine's kernel
// may lack (fq_codel, fq, netem, prio, sfq, cake; flower, matchall, basic;
// gact, police, act_bpf): each kind runs where the kernel has it and skips
// with "this kernel lacks ..." where it has not (nstest.NeedTC); in the
// full-kernel guest (.ci/vm) all run. Every step is compared with tc -j
// key for key (oracle.CompareQdiscOptions, oracle.CompareFilterOptions).

// tcPct is a probability as tc sends it (set_percent: rint(p*UINT32_MAX)).
func tcPct(p float64) uint32 { return uint32(math.RoundToEven(p * math.MaxUint32)) }

// tcCheckQdiscs dumps the namespace's qdiscs and compares them with tc,
// identities and options.
func tcCheckQdiscs(t *testing.T, ns *nstest.NS, c *netlink.Conn, step string) []*netlink.Qdisc {
	t.Helper()
	qs, err := c.Qdiscs(context.Background(), nil)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if err := oracle.CompareQdiscs(ns, qs); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if err := oracle.CompareQdiscOptions(ns, qs); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return qs
}

// tcRootOf returns the root qdisc of link index among qs, or nil.
func tcRootOf(qs []*netlink.Qdisc, index int) *netlink.Qdisc {
	for _, q := range qs {
		if q.Index == index && q.Parent == netlink.HandleRoot {
			return q
		}
	}
	return nil
}

// tcQdiscCase is one qdisc kind: how tc makes it, and options sent
// through the API with the keys of tc -j that must show them.
type tcQdiscCase struct {
	kind string
	// tc are argument lists for `tc qdisc add dev q0 root handle 1:`.
	tc [][]string
	// add, change and replace are sent in turn (change may be nil: the
	// kind has none).
	add, change, replace netlink.QdiscOptions
	// check inspects the options read back after each API step.
	check func(t *testing.T, step string, o netlink.QdiscOptions)
}

func tcQdiscCases() []tcQdiscCase {
	u32p := netlink.Ptr[uint32]
	return []tcQdiscCase{
		{
			kind: "fq_codel",
			tc: [][]string{{"fq_codel"},
				strings.Fields("fq_codel limit 1000 flows 512 quantum 1400 target 4ms interval 90ms memory_limit 16Mb ecn drop_batch 32 ce_threshold 2ms")},
			add: &netlink.FqCodel{Limit: u32p(1000), Flows: u32p(512), Quantum: u32p(1400), Target: u32p(4000), Interval: u32p(90000),
				ECN: u32p(1), CEThreshold: u32p(2000), MemoryLimit: u32p(16 << 20), DropBatchSize: u32p(32)},
			change:  &netlink.FqCodel{Limit: u32p(2000), ECN: u32p(0)},
			replace: &netlink.FqCodel{Limit: u32p(300), Interval: u32p(50000)},
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.FqCodel)
				want := map[string]uint32{"add": 1000, "change": 2000, "replace": 300}[step]
				if x.Limit == nil || *x.Limit != want || x.Flows == nil || *x.Flows != 512 {
					t.Errorf("%s: fq_codel %s, want limit %d flows 512", step, x, want)
				}
			},
		},
		{
			kind: "fq",
			tc: [][]string{{"fq"},
				strings.Fields("fq limit 500 flow_limit 50 quantum 3000 initial_quantum 15000 maxrate 1gbit buckets 256 orphan_mask 511 low_rate_threshold 1kbit ce_threshold 3ms timer_slack 20us horizon 5s horizon_cap refill_delay 30ms nopacing")},
			add: &netlink.Fq{Limit: u32p(500), FlowLimit: u32p(50), Quantum: u32p(3000), InitialQuantum: u32p(15000),
				FlowMaxRate: u32p(125000000), BucketsLog: u32p(8), OrphanMask: u32p(511), LowRateThreshold: u32p(125),
				CEThreshold: u32p(3000), TimerSlack: u32p(20000), Horizon: u32p(5000000), HorizonDrop: netlink.Ptr[uint8](0),
				RateEnable: u32p(0)},
			change:  &netlink.Fq{FlowLimit: u32p(70), RateEnable: u32p(1)},
			replace: &netlink.Fq{Limit: u32p(900)},
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.Fq)
				switch {
				case step == "add" && (*x.FlowLimit != 50 || *x.BucketsLog != 8 || *x.FlowMaxRate != 125000000 || *x.HorizonDrop != 0),
					step == "change" && (*x.FlowLimit != 70 || *x.RateEnable != 1 || *x.Limit != 500),
					step == "replace" && *x.Limit != 900:
					t.Errorf("%s: fq %s", step, x)
				}
			},
		},
		{
			kind: "netem",
			tc: [][]string{{"netem"},
				strings.Fields("netem delay 10ms 2ms 25% loss 1% 10% duplicate 0.5% reorder 5% 50% corrupt 0.1% rate 1mbit 10 limit 500 gap 3"),
				strings.Fields("netem slot 1ms 2ms packets 10 bytes 1500 loss gemodel 1% 10% 70% 0.1% ecn"),
				strings.Fields("netem delay 5ms loss state 1% 10% 20% 30% 40%"),
				strings.Fields("netem rate 5gbit 20 100 -4 slot distribution normal 2ms 1ms"),
			},
			add: &netlink.Netem{Delay: 10 * time.Millisecond, Jitter: 2 * time.Millisecond, DelayCorr: tcPct(0.25), Limit: 500,
				Loss: tcPct(0.01), LossCorr: tcPct(0.1), Duplicate: tcPct(0.005), Reorder: tcPct(0.05), ReorderCorr: tcPct(0.5),
				Corrupt: tcPct(0.001), Rate: 125000, PacketOverhead: 10, Gap: 3},
			change: &netlink.Netem{Limit: 800, Slot: &netlink.NetemSlot{MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxPackets: 10, MaxBytes: 1500},
				LossGE: &netlink.NetemGE{P: tcPct(0.01), R: tcPct(0.1), H: tcPct(0.3), K1: tcPct(0.001)}, ECN: true},
			replace: &netlink.Netem{Limit: 1000, Delay: 5 * time.Millisecond, Rate: 625000000, CellSize: 100, CellOverhead: -4},
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.Netem)
				switch {
				case step == "add" && (x.Delay != 10*time.Millisecond || x.Gap != 3 || x.Rate != 125000),
					step == "change" && (x.Limit != 800 || x.Slot == nil || x.LossGE == nil || !x.ECN || x.Delay != 0),
					step == "replace" && (x.Rate != 625000000 || x.CellOverhead != -4):
					t.Errorf("%s: netem %s", step, x)
				}
			},
		},
		{
			kind: "prio",
			tc:   [][]string{{"prio"}, strings.Fields("prio bands 5 priomap 0 1 2 3 4 0 1 2 3 4 0 1 2 3 4 0")},
			add:  &netlink.Prio{Bands: 4, Priomap: [16]uint8{3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0}},
			// prio_tune takes a change as a whole new configuration.
			change:  &netlink.Prio{Bands: 2, Priomap: [16]uint8{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}},
			replace: &netlink.Prio{Bands: 3, Priomap: netlink.DefaultPrioMap},
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.Prio)
				if want := map[string]uint32{"add": 4, "change": 2, "replace": 3}[step]; x.Bands != want {
					t.Errorf("%s: prio %s, want %d bands", step, x, want)
				}
			},
		},
		{
			kind: "sfq",
			tc: [][]string{{"sfq"},
				strings.Fields("sfq perturb 10 quantum 1500 limit 100 divisor 512 flows 64 depth 50 headdrop"),
				strings.Fields("sfq limit 300 depth 60 redflowlimit 100000 min 8000 max 60000 probability 0.2 ecn harddrop")},
			add: &netlink.Sfq{Quantum: 1500, PerturbPeriod: 10, Limit: 100, Divisor: 512, Flows: 64, Depth: 50, Headdrop: 1},
			// sfq has no change operation on 6.1 (sfq_qdisc_ops.change is
			// NULL: "Change operation not supported"), and a replace of a
			// qdisc of the same kind is a change: sfq is only added.
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.Sfq)
				if x.Limit != 100 || x.Depth != 50 || x.Headdrop != 1 {
					t.Errorf("%s: sfq %s, want limit 100 depth 50 headdrop", step, x)
				}
			},
		},
		{
			kind: "cake",
			tc: [][]string{{"cake"},
				strings.Fields("cake bandwidth 100mbit diffserv4 dual-dsthost nat wash ack-filter rtt 50ms overhead 18 mpu 64 memlimit 4Mb fwmark 0xff split-gso"),
				strings.Fields("cake unlimited besteffort flows raw ingress no-split-gso"),
				strings.Fields("cake bandwidth 1gbit atm overhead 10 autorate-ingress ack-filter-aggressive")},
			add: &netlink.Cake{BaseRate: netlink.Ptr[uint64](12500000), DiffservMode: u32p(1), FlowMode: u32p(6), NAT: u32p(1),
				Wash: u32p(1), AckFilter: u32p(1), RTT: u32p(50000), Overhead: netlink.Ptr[int32](18), MPU: u32p(64),
				Memory: u32p(4 << 20), Fwmark: u32p(0xff), SplitGSO: u32p(1)},
			change:  &netlink.Cake{BaseRate: netlink.Ptr[uint64](25000000), DiffservMode: u32p(3)},
			replace: &netlink.Cake{Raw: u32p(0), FlowMode: u32p(4), Ingress: u32p(1)},
			check: func(t *testing.T, step string, o netlink.QdiscOptions) {
				x := o.(*netlink.Cake)
				switch {
				case step == "add" && (*x.BaseRate != 12500000 || *x.FlowMode != 6 || *x.Fwmark != 0xff),
					step == "change" && (*x.BaseRate != 25000000 || *x.DiffservMode != 3 || *x.FlowMode != 6),
					step == "replace" && (x.Raw == nil || *x.FlowMode != 4 || *x.Ingress != 1):
					t.Errorf("%s: cake %s", step, x)
				}
			},
		},
	}
}

// TestTCQdiscKindsLive makes each qdisc kind with tc and through the API
// (add, change, replace, replace with what was read back, delete) and
// compares every step with tc -j -d key for key.
func TestTCQdiscKindsLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, _ *nstest.NS) {
		for _, k := range tcQdiscCases() {
			t.Run(k.kind, func(t *testing.T) {
				ns := nstest.New(t)
				ns.NeedTC(t, "qdisc", k.kind)
				ns.Batch("link add q0 type veth peer name q1", "link set q0 up", "link set q1 up")
				c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				ctx := context.Background()
				q0 := ns.Ifindex("q0")
				for _, args := range k.tc {
					// A replace of the same kind is a change, which some kinds
					// refuse (sfq has none, fq_codel's flows are fixed): each
					// set of options gets a new qdisc.
					tcErr(ns, "qdisc", "del", "dev", "q0", "root")
					tcRun(t, ns, append([]string{"qdisc", "add", "dev", "q0", "root", "handle", "1:"}, args...)...)
					if q := tcRootOf(tcCheckQdiscs(t, ns, c, "tc "+strings.Join(args, " ")), q0); q == nil || q.TCKind != k.kind {
						t.Fatalf("tc %s: root qdisc %v", strings.Join(args, " "), q)
					}
				}
				tcRun(t, ns, "qdisc", "del", "dev", "q0", "root")
				q := &netlink.Qdisc{Index: q0, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot}
				for _, s := range []struct {
					step string
					opts netlink.QdiscOptions
					do   func(context.Context, *netlink.Qdisc) error
				}{{"add", k.add, c.QdiscAdd}, {"change", k.change, c.QdiscChange}, {"replace", k.replace, c.QdiscReplace}} {
					if s.opts == nil {
						continue
					}
					q.Options = s.opts
					if err := s.do(ctx, q); err != nil {
						t.Fatalf("%s %s: %v", s.step, s.opts, err)
					}
					got := tcRootOf(tcCheckQdiscs(t, ns, c, s.step), q0)
					if got == nil || got.TCKind != k.kind {
						t.Fatalf("%s: root qdisc %v", s.step, got)
					}
					k.check(t, s.step, got.Options)
				}
				// What was read back makes the same qdisc again. (Not as a
				// replace of the one there: a replace of the same kind is
				// a change, which sfq has not and which refuses
				// fq_codel's flows.)
				read, err := c.QdiscGet(ctx, q0, netlink.NewHandle(1, 0))
				if err != nil {
					t.Fatal(err)
				}
				tcRun(t, ns, "qdisc", "del", "dev", "q0", "root")
				if err := c.QdiscAdd(ctx, read); err != nil {
					t.Fatalf("add as read: %v", err)
				}
				again, err := c.QdiscGet(ctx, q0, netlink.NewHandle(1, 0))
				if err != nil {
					t.Fatal(err)
				}
				if !sameQdisc(again, read) {
					t.Errorf("add as read made another qdisc:\n was %v\n now %v", read, again)
				}
				tcCheckQdiscs(t, ns, c, "add as read")
				if err := c.QdiscDel(ctx, &netlink.Qdisc{Index: q0, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot}); err != nil {
					t.Fatal(err)
				}
				if got := tcRootOf(tcCheckQdiscs(t, ns, c, "delete"), q0); got == nil || got.TCKind != "noqueue" {
					t.Errorf("after the delete the root qdisc is %v, want the default noqueue", got)
				}
			})
		}
	})
}

// sameQdisc reports whether a and b are the same qdisc but for what
// varies (Stable), allowing fq_codel's times (Target, Interval,
// CEThreshold) to differ by 1: the kernel keeps them in units of 1024 ns
// (codel_time_t) and reports microseconds rounded down, so a time read
// back and sent again comes back 1 us lower (3999 -> 3998; tc's 4ms is
// reported as 3999).
func sameQdisc(a, b *netlink.Qdisc) bool {
	a, b = a.Stable(), b.Stable()
	oa, okA := a.Options.(*netlink.FqCodel)
	ob, okB := b.Options.(*netlink.FqCodel)
	if okA && okB {
		c, oc := *b, *ob
		for _, p := range []struct{ a, b **uint32 }{{&oa.Target, &oc.Target}, {&oa.Interval, &oc.Interval}, {&oa.CEThreshold, &oc.CEThreshold}} {
			if *p.a == nil || *p.b == nil {
				continue
			}
			if d := int64(**p.a) - int64(**p.b); d >= -1 && d <= 1 {
				*p.b = *p.a
			}
		}
		c.Options = &oc
		b = &c
	}
	return reflect.DeepEqual(a, b)
}

// tcCheckFilters dumps every filter of the namespace and compares them
// with tc, identities and options (actions included).
func tcCheckFilters(t *testing.T, ns *nstest.NS, c *netlink.Conn, step string) []*netlink.Filter {
	t.Helper()
	fs, err := c.Filters(context.Background(), nil)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if err := oracle.CompareFilters(ns, fs); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if err := oracle.CompareFilterOptions(ns, fs); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return fs
}

// tcFindFilter returns the filter at parent, pref and handle among fs.
func tcFindFilter(fs []*netlink.Filter, index int, parent netlink.Handle, pref uint16, handle uint32) *netlink.Filter {
	for _, f := range fs {
		if f.Index == index && f.Parent == parent && f.Priority == pref && f.Handle == handle {
			return f
		}
	}
	return nil
}

// tcKeyNode returns the first u32 key node at parent and pref among fs.
func tcKeyNode(fs []*netlink.Filter, index int, parent netlink.Handle, pref uint16) *netlink.Filter {
	for _, f := range fs {
		if u, ok := f.Options.(*netlink.U32); ok && u.Sel != nil && f.Index == index && f.Parent == parent && f.Priority == pref {
			return f
		}
	}
	return nil
}

// tcSharedAction makes an action on its own (`tc actions add action
// ARGS`), for filters to share by index. It reports false, with the
// reason in the log, where the test's user namespace may not: tc_ctl_action
// wants CAP_NET_ADMIN in the initial user namespace (netlink_capable),
// where filters and their own actions need it only in the namespace's.
func tcSharedAction(t *testing.T, ns *nstest.NS, args ...string) bool {
	t.Helper()
	_, err := tcErr(ns, append([]string{"actions", "add", "action"}, args...)...)
	if err != nil && strings.Contains(err.Error(), "Operation not permitted") {
		t.Logf("no shared action here (%v): its checks are left out", err)
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// tcActionIndexes lists the indexes of the standalone listing of actions
// of kind (`tc -j actions ls action KIND`).
func tcActionIndexes(t *testing.T, ns *nstest.NS, kind string) []int {
	t.Helper()
	var idx []int
	for _, o := range tcJSON(t, ns, "actions", "ls", "action", kind) {
		acts, _ := o["actions"].([]any)
		for _, a := range acts {
			if m, ok := a.(map[string]any); ok {
				if i, ok := m["index"].(float64); ok {
					idx = append(idx, int(i))
				}
			}
		}
	}
	slices.Sort(idx)
	return idx
}

// tcFilterSetup makes the veths v0/v1 (up), the ifb i0 (up) that mirred
// redirects to, clsact on v0, and returns a Conn.
func tcFilterSetup(t *testing.T, ns *nstest.NS) *netlink.Conn {
	t.Helper()
	ns.NeedKind(t, "ifb")
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up", "link add i0 type ifb", "link set i0 up")
	tcRun(t, ns, "qdisc", "add", "dev", "v0", "clsact")
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tcReplaceAsRead sends every filter of fs with a handle back as it was
// read (FilterReplace) and checks that nothing changes.
func tcReplaceAsRead(t *testing.T, ns *nstest.NS, c *netlink.Conn, fs []*netlink.Filter) {
	t.Helper()
	ctx := context.Background()
	for _, f := range fs {
		if f.Handle == 0 || f.Options == nil {
			continue
		}
		if u, ok := f.Options.(*netlink.U32); ok && u.Divisor != 0 {
			continue // a hash table is not replaced
		}
		if _, ok := f.Options.(*netlink.Matchall); ok {
			// mall_change refuses an existing filter (EEXIST): deleted,
			// then added as read.
			if err := c.FilterDel(ctx, &netlink.Filter{Index: f.Index, Parent: f.Parent, Priority: f.Priority, Protocol: f.Protocol,
				Handle: f.Handle, TCKind: f.TCKind}); err != nil {
				t.Fatalf("delete %v: %v", f, err)
			}
			if err := c.FilterAdd(ctx, f); err != nil {
				t.Fatalf("add as read %v: %v", f, err)
			}
			continue
		}
		if err := c.FilterReplace(ctx, f); err != nil {
			t.Fatalf("replace as read %v: %v", f, err)
		}
	}
	after := tcCheckFilters(t, ns, c, "replace as read")
	for _, f := range fs {
		g := tcFindFilter(after, f.Index, f.Parent, f.Priority, f.Handle)
		if g == nil || !reflect.DeepEqual(g.Stable(), f.Stable()) {
			t.Errorf("replace as read changed the filter:\n was %v\n now %v", f, g)
		}
	}
}

// TestTCU32MirredLive: u32 filters with mirred actions to an ifb, made
// with tc and through the API, changed, replaced, sent back as read and
// deleted, compared with tc -j key for key; a filter's bound action goes
// with it, a shared one stays (as root: tcSharedAction); deleting the ifb leaves the redirect
// pointing nowhere (mirred_device_event: ifindex 0, tc's "*"), which a
// dump shows without any notification.
func TestTCU32MirredLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcFilterSetup(t, ns)
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "i0")
		ctx := context.Background()
		v0, i0 := ns.Ifindex("v0"), ns.Ifindex("i0")
		eg := netlink.HandleEgressBlock
		tcBatch(t, ns,
			"filter add dev v0 ingress pref 1 protocol ip u32 match ip dst 192.0.2.1/32 action mirred egress redirect dev i0",
			"filter add dev v0 egress pref 2 protocol ipv6 u32 match ip6 dst 2001:db8::/32 action mirred ingress mirror dev i0 action mirred egress redirect dev v1",
		)
		shared := tcSharedAction(t, ns, "mirred", "egress", "mirror", "dev", "i0", "index", "77")
		if shared {
			tcRun(t, ns, strings.Fields("filter add dev v0 egress pref 3 protocol all u32 match u32 0 0 action mirred index 77")...)
		}
		tcCheckFilters(t, ns, c, "tc filter add")
		// Through the API: a key node with two mirred actions.
		sel := &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc6336400, Off: 16}}}
		f := &netlink.Filter{Index: v0, Parent: eg, Priority: 4, Protocol: unix.ETH_P_IP,
			Options: &netlink.U32{Sel: sel, Actions: netlink.TCActions{
				{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActPipe}, Eaction: netlink.MirredEgressMirror, Ifindex: uint32(i0)}},
				{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect, Ifindex: uint32(ns.Ifindex("v1"))}},
			}}}
		if err := c.FilterAdd(ctx, f); err != nil {
			t.Fatalf("add %v: %v", f, err)
		}
		fs := tcCheckFilters(t, ns, c, "API add")
		// The kernel numbers the node in the priority's own hash table.
		got := tcKeyNode(fs, v0, eg, 4)
		if got == nil || len(got.Options.(*netlink.U32).Actions) != 2 {
			t.Fatalf("the API's filter read back: %v", got)
		}
		f.Handle = got.Handle
		// Change: one action, to the ifb's ingress.
		f.Options = &netlink.U32{Sel: sel, Actions: netlink.TCActions{
			{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredIngressRedirect, Ifindex: uint32(i0)}}}}
		if err := c.FilterChange(ctx, f); err != nil {
			t.Fatalf("change: %v", err)
		}
		fs = tcCheckFilters(t, ns, c, "API change")
		if a := tcFindFilter(fs, v0, eg, 4, f.Handle).Options.(*netlink.U32).Actions; len(a) != 1 || a[0].Options.(*netlink.Mirred).Eaction != netlink.MirredIngressRedirect {
			t.Fatalf("after the change: %v", a)
		}
		tcReplaceAsRead(t, ns, c, fs)

		// The bound actions go with their filter; the shared one (index
		// 77) stays when its filter goes: the mirred actions left are
		// those the remaining filters hold, and 77. A deleted or replaced
		// u32 node's actions are destroyed after an RCU grace period
		// (u32_delete_key_work: tcf_queue_work), not with the request: a
		// listing right after may still hold them (log36).
		if err := c.FilterDel(ctx, &netlink.Filter{Index: v0, Parent: eg, Priority: 4, Protocol: unix.ETH_P_IP, Handle: f.Handle, TCKind: "u32"}); err != nil {
			t.Fatal(err)
		}
		if shared {
			tcRun(t, ns, "filter", "del", "dev", "v0", "egress", "pref", "3")
		}
		var want []int
		for _, f := range tcCheckFilters(t, ns, c, "delete") {
			if u, ok := f.Options.(*netlink.U32); ok {
				for _, a := range u.Actions {
					if m, ok := a.Options.(*netlink.Mirred); ok {
						want = append(want, int(m.Index))
					}
				}
			}
		}
		if shared {
			want = append(want, 77)
		}
		slices.Sort(want)
		if err := nstest.Eventually(5*time.Second, func() error {
			got := tcActionIndexes(t, ns, "mirred")
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("mirred actions after the deletions: %v, want %v (the remaining filters' and the shared 77)", got, want)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}

		// The ifb goes: the redirects point nowhere, silently.
		ns.IP("link", "del", "i0")
		fs = tcCheckFilters(t, ns, c, "ifb deleted")
		n := 0
		for _, f := range fs {
			if u, ok := f.Options.(*netlink.U32); ok {
				for _, a := range u.Actions {
					if m, ok := a.Options.(*netlink.Mirred); ok && m.Ifindex == 0 {
						n++
					}
				}
			}
		}
		if n != 2 {
			t.Errorf("%d mirred actions to no device after the ifb went, want 2: %v", n, fs)
		}
	})
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// tcTestBPF is the classic program "accept everything" (ret #-1).
var tcTestBPF = []byte{6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}

// TestTCFilterKindsLive makes flower, matchall, basic, u32 and bpf filters with
// gact, mirred, police and bpf actions, with tc and through the API
// (add, change, replace, replace as read, delete), and compares every
// step with tc -j key for key. Each kind runs where the kernel has it.
func TestTCFilterKindsLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, _ *nstest.NS) {
		ing := netlink.HandleIngressBlock
		mirredTo := func(ifindex int) *netlink.TCAction {
			return &netlink.TCAction{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen},
				Eaction: netlink.MirredEgressRedirect, Ifindex: uint32(ifindex)}}
		}
		gact := func(a int32) *netlink.TCAction {
			return &netlink.TCAction{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: a}}}
		}
		police := func(rate uint64, burst uint32, exceed int32) *netlink.TCAction {
			return &netlink.TCAction{Options: &netlink.Police{Rate: rate, Burst: netlink.TCXmitTime(rate, uint64(burst)), Action: exceed,
				Conform: netlink.Ptr(netlink.TCActPipe)}}
		}
		for _, k := range []struct {
			name  string
			needs [][]string // NeedTC probes
			tc    []string   // tc lines (-batch)
			// api makes the filter sent through the API at pref 10; its
			// change and its replace (nil: the kind has none). u32 keeps
			// a key node's selector through a change (u32_change copies
			// it, u32_init_knode): they change the actions only.
			api, change, replace func(ifb int) *netlink.Filter
		}{
			{
				name:  "flower",
				needs: [][]string{{"filter", "flower"}, {"action", "gact", "pass"}, {"action", "mirred", "egress", "redirect", "dev", "lo"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 protocol ip flower dst_mac 02:00:00:00:00:01 src_ip 192.0.2.0/24 dst_ip 198.51.100.7 ip_proto tcp dst_port 80 src_port 1000/0xff00 skip_hw action drop",
					"filter add dev v0 ingress pref 2 protocol ipv6 flower ip_proto udp dst_ip 2001:db8::/32 dst_port 53 action mirred egress redirect dev i0",
					"filter add dev v0 ingress pref 3 protocol 802.1q flower vlan_id 10 vlan_prio 3 vlan_ethtype ip ip_proto icmp action pass",
					"filter add dev v0 ingress pref 4 protocol 802.1ad flower vlan_id 20 action goto chain 5",
					"filter add dev v0 ingress pref 5 protocol ip chain 5 flower indev v0 classid 1:7 src_mac 02:00:00:00:00:02/ff:ff:00:00:00:00 action drop",
				},
				api: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.Flower{EthType: unix.ETH_P_IP,
						IPProto: netlink.Ptr[uint8](unix.IPPROTO_UDP), Dst: mustPrefix("203.0.113.0/24"), DstPort: netlink.Ptr[uint16](4789),
						Flags: netlink.TCAClsFlagsSkipHW, Actions: netlink.TCActions{gact(netlink.TCActPipe), mirredTo(ifb)}}}
				},
				change: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.Flower{EthType: unix.ETH_P_IP,
						IPProto: netlink.Ptr[uint8](unix.IPPROTO_UDP), Dst: mustPrefix("203.0.113.0/24"), DstPort: netlink.Ptr[uint16](4789),
						Flags: netlink.TCAClsFlagsSkipHW, Actions: netlink.TCActions{gact(netlink.TCActShot)}}}
				},
				// Flower keeps one mask per priority (fl_check_assign_mask),
				// and the protocol is the priority's: a replacement keeps
				// both and changes the values.
				replace: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.Flower{EthType: unix.ETH_P_IP,
						IPProto: netlink.Ptr[uint8](unix.IPPROTO_UDP), Dst: mustPrefix("198.51.100.0/24"), DstPort: netlink.Ptr[uint16](53),
						Flags: netlink.TCAClsFlagsSkipHW, Actions: netlink.TCActions{mirredTo(ifb)}}}
				},
			},
			{
				name:  "matchall",
				needs: [][]string{{"filter", "matchall", "classid", "1:1"}, {"action", "gact", "pass"}, {"action", "police", "rate", "1mbit", "burst", "10k"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 matchall action police rate 1mbit burst 10k conform-exceed drop/pipe action gact pass",
					"filter add dev v0 ingress pref 2 matchall classid 1:3 action police rate 2mbit burst 20k mtu 2000 peakrate 3mbit drop",
					"filter add dev v0 ingress pref 3 matchall action police pkts_rate 1000 pkts_burst 100 reclassify",
				},
				api: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.Matchall{ClassID: netlink.NewHandle(1, 9),
						Actions: netlink.TCActions{police(125000, 10240, netlink.TCActShot), gact(netlink.TCActOK)}}}
				},
				// mall_change refuses an existing filter (EEXIST): matchall is
				// changed by deleting and adding it.
			},
			{
				name: "basic",
				needs: [][]string{{"filter", "basic", "match", "cmp(u16 at 2 layer transport eq 22)", "classid", "1:1"}, {"action", "gact", "pass"},
					{"action", "bpf", "bytecode", "1,6 0 0 0"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 protocol ip basic match 'cmp(u16 at 2 layer transport eq 22)' action gact drop random determ pass 10",
					"filter add dev v0 ingress pref 2 protocol all basic classid 1:1 action bpf bytecode '1,6 0 0 0' index 7",
					"filter add dev v0 ingress pref 3 protocol ip basic match 'cmp(u8 at 9 layer network eq 17) and cmp(u16 at 2 layer transport mask 0xff00 gt 1024)' action gact pass",
				},
				api: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.Basic{ClassID: netlink.NewHandle(1, 2),
						Actions: netlink.TCActions{{Options: &netlink.ActBPF{TCActionGen: netlink.TCActionGen{Action: netlink.TCActOK}, Ops: tcTestBPF}}}}}
				},
				change: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.Basic{ClassID: netlink.NewHandle(1, 3),
						Actions: netlink.TCActions{{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: netlink.TCActShot},
							Prob: &netlink.GactProb{Type: netlink.GactProbNetrand, Value: 50, Action: netlink.TCActOK}}}}}}
				},
				replace: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.Basic{}}
				},
			},
			{
				// This kernel's bpf with its mirred: the CNI way of sending
				// a link's ingress to an ifb.
				name:  "bpf mirred",
				needs: [][]string{{"filter", "bpf", "bytecode", "1,6 0 0 0"}, {"action", "mirred", "egress", "redirect", "dev", "lo"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 protocol all handle 1 bpf bytecode '1,6 0 0 4294967295' flowid 1:1 action mirred egress redirect dev i0",
					"filter add dev v0 ingress pref 2 protocol ip handle 3 bpf bytecode '2,40 0 0 12,6 0 0 0' action mirred egress mirror dev i0 action mirred ingress redirect dev v1",
					"filter add dev v0 ingress pref 3 protocol all handle 1 bpf bytecode '1,6 0 0 0' da skip_hw action mirred egress redirect dev i0",
				},
				api: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 5),
						Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: netlink.TCActions{mirredTo(ifb)}}}
				},
				change: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 5),
						Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: netlink.TCActions{
							{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActPipe}, Eaction: netlink.MirredEgressMirror, Ifindex: uint32(ifb)}},
							{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredIngressRedirect, Ifindex: uint32(ifb)}}}}}
				},
				// A replace without actions leaves the filter without (the
				// kernel keeps only the actions a request sends).
				replace: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6}}}}
				},
			},
			{
				name: "bpf police gact",
				needs: [][]string{{"filter", "bpf", "bytecode", "1,6 0 0 0"}, {"action", "gact", "pass"},
					{"action", "police", "rate", "1mbit", "burst", "10k"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 protocol all handle 1 bpf bytecode '1,6 0 0 4294967295' police rate 1mbit burst 10k drop flowid 1:1",
					"filter add dev v0 ingress pref 2 protocol all handle 2 bpf bytecode '1,6 0 0 0' action gact drop random determ pass 10 action police rate 2mbit burst 20k conform-exceed drop/pipe",
				},
				api: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{
						Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: netlink.TCActions{gact(netlink.TCActShot)}}}
				},
				change: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{
						Ops:    []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}},
						Police: police(125000, 10240, netlink.TCActShot).Options.(*netlink.Police)}}
				},
				replace: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_ALL, Options: &netlink.BPFFilter{
						Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffffffff}}, Actions: netlink.TCActions{police(250000, 20480, netlink.TCActOK), mirredTo(ifb)}}}
				},
			},
			{
				name: "u32",
				needs: [][]string{{"action", "gact", "pass"}, {"action", "police", "rate", "1mbit", "burst", "10k"},
					{"action", "bpf", "bytecode", "1,6 0 0 0"}},
				tc: []string{
					"filter add dev v0 ingress pref 1 protocol ip u32 match ip dst 192.0.2.1/32 action mirred egress mirror dev i0 action police rate 2mbit burst 20k mtu 2000 peakrate 3mbit drop",
					"filter add dev v0 ingress pref 2 protocol ip u32 match ip src 203.0.113.0/24 police rate 1mbit burst 10k drop flowid 1:1",
					"filter add dev v0 ingress pref 3 protocol ip u32 match ip protocol 17 0xff action gact drop action bpf bytecode '1,6 0 0 0'",
				},
				api: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.U32{
						Sel:     &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffffff, Val: 0xc0000207, Off: 16}}},
						Actions: netlink.TCActions{gact(netlink.TCActShot)}}}
				},
				change: func(int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.U32{
						Sel:    &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffffff, Val: 0xc0000207, Off: 16}}},
						Police: police(125000, 10240, netlink.TCActShot).Options.(*netlink.Police)}}
				},
				replace: func(ifb int) *netlink.Filter {
					return &netlink.Filter{Protocol: unix.ETH_P_IP, Options: &netlink.U32{
						Sel:     &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffffff, Val: 0xc0000207, Off: 16}}},
						Actions: netlink.TCActions{mirredTo(ifb), {Options: &netlink.ActBPF{TCActionGen: netlink.TCActionGen{Action: netlink.TCActOK}, Ops: tcTestBPF}}}}}
				},
			},
		} {
			t.Run(k.name, func(t *testing.T) {
				ns := nstest.New(t)
				c := tcFilterSetup(t, ns)
				for _, n := range k.needs {
					ns.NeedTC(t, n[0], n[1], n[2:]...)
				}
				ctx := context.Background()
				v0, i0 := ns.Ifindex("v0"), ns.Ifindex("i0")
				tcBatch(t, ns, k.tc...)
				tcCheckFilters(t, ns, c, "tc filter add")
				var handle uint32 // the API's filter's, once added
				for _, s := range []struct {
					step string
					f    *netlink.Filter
					do   func(context.Context, *netlink.Filter) error
				}{{"add", k.api(i0), c.FilterAdd}, {"change", call(k.change, i0), c.FilterChange}, {"replace", call(k.replace, i0), c.FilterReplace}} {
					if s.f == nil {
						continue
					}
					s.f.Index, s.f.Parent, s.f.Priority, s.f.Handle = v0, ing, 10, handle
					if _, u32 := s.f.Options.(*netlink.U32); !u32 && handle == 0 {
						s.f.Handle = 1 // u32 numbers its nodes itself
					}
					if err := s.do(ctx, s.f); err != nil {
						t.Fatalf("%s %v: %v", s.step, s.f, err)
					}
					fs := tcCheckFilters(t, ns, c, "API "+s.step)
					got := tcFindFilter(fs, v0, ing, 10, s.f.Handle)
					if s.f.Handle == 0 {
						got = tcKeyNode(fs, v0, ing, 10)
					}
					if got == nil {
						t.Fatalf("%s: no filter at pref 10 handle %#x in %v", s.step, s.f.Handle, fs)
					}
					handle = got.Handle
					if fmt.Sprint(tcActionKinds(got)) != fmt.Sprint(tcActionKinds(s.f)) {
						t.Errorf("%s: actions %v read back, sent %v", s.step, tcActionKinds(got), tcActionKinds(s.f))
					}
				}
				tcReplaceAsRead(t, ns, c, tcCheckFilters(t, ns, c, "before replace as read"))
				if err := c.FilterDel(ctx, &netlink.Filter{Index: v0, Parent: ing, Priority: 10}); err != nil {
					t.Fatal(err)
				}
				tcRun(t, ns, "filter", "del", "dev", "v0", "ingress", "pref", "1")
				tcCheckFilters(t, ns, c, "delete")
			})
		}
	})
}

// call returns fn(ifb), or nil for a nil fn.
func call(fn func(int) *netlink.Filter, ifb int) *netlink.Filter {
	if fn == nil {
		return nil
	}
	return fn(ifb)
}

// tcActionKinds lists a filter's actions' kinds (and an old-style
// policer as "police").
func tcActionKinds(f *netlink.Filter) []string {
	var acts netlink.TCActions
	var k []string
	switch o := f.Options.(type) {
	case *netlink.Flower:
		acts = o.Actions
	case *netlink.Matchall:
		acts = o.Actions
	case *netlink.Basic:
		acts = o.Actions
		if o.Police != nil {
			k = append(k, "police")
		}
	case *netlink.U32:
		acts = o.Actions
		if o.Police != nil {
			k = append(k, "police")
		}
	case *netlink.BPFFilter:
		acts = o.Actions
		if o.Police != nil {
			k = append(k, "police")
		}
	}
	for _, a := range acts {
		kind := a.Kind
		if kind == "" && a.Options != nil {
			kind = a.Options.TCKind()
		}
		k = append(k, kind)
	}
	return k
}

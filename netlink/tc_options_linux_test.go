package netlink_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// tcSize parses tc's sprint_size: "1600b", "10Kb", "1.5Mb" (1024-based).
func tcSize(t *testing.T, s string) float64 {
	t.Helper()
	s, _, _ = strings.Cut(s, "/")
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "Mb"):
		s, mult = strings.TrimSuffix(s, "Mb"), 1024*1024
	case strings.HasSuffix(s, "Kb"):
		s, mult = strings.TrimSuffix(s, "Kb"), 1024
	default:
		s = strings.TrimSuffix(s, "b")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("tc size %q: %v", s, err)
	}
	return v * mult
}

// tcRate parses tc's sprint_rate in bits per second ("1Mbit", "50Gbit",
// "800bit", 1000-based) and returns bytes per second.
func tcRate(t *testing.T, s string) float64 {
	t.Helper()
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"Tbit", 1e12}, {"Gbit", 1e9}, {"Mbit", 1e6}, {"Kbit", 1e3}, {"bit", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("tc rate %q: %v", s, err)
	}
	return v * mult / 8
}

// tcBurst is the burst tc prints for a buffer at a rate: tc_calc_xmitsize
// of the buffer in whole microseconds (tc_core_tick2time truncates).
func tcBurst(rate uint64, buffer time.Duration) float64 {
	return float64(rate) * float64(buffer/time.Microsecond) / 1e6
}

// near reports whether a and b differ by at most 1 and 0.1%: tc prints
// sizes and rates rounded.
func near(a, b float64) bool { return math.Abs(a-b) <= 1+0.001*math.Max(a, b) }

// compareQdiscOptions compares each qdisc's typed options with `tc -j -d
// qdisc show`'s options object.
func compareQdiscOptions(t *testing.T, ns *nstest.NS, qs []*netlink.Qdisc) {
	t.Helper()
	tcq := map[string]map[string]any{}
	for _, o := range tcJSON(t, ns, "-d", "qdisc", "show") {
		parent := o["parent"]
		if o["root"] == true {
			parent = "root"
		}
		tcq[fmt.Sprintf("%d %s %v %v", ns.Ifindex(o["dev"].(string)), o["handle"], o["kind"], parent)] = o
	}
	checked := 0
	for _, q := range qs {
		key := fmt.Sprintf("%d %s %s %s", q.Index, tcQdiscHandle(q.Handle), q.TCKind, q.Parent)
		o, ok := tcq[key]
		if !ok {
			t.Errorf("tc has no qdisc %s", key)
			continue
		}
		opt, _ := o["options"].(map[string]any)
		bad := func(what string, got, want any) { t.Errorf("%s: %s %v, tc says %v", key, what, got, want) }
		switch x := q.Options.(type) {
		case *netlink.HTB:
			if float64(x.Rate2Quantum) != opt["r2q"] || fmt.Sprintf("%#x", x.Default) != opt["default"] ||
				float64(x.DirectPackets) != opt["direct_packets_stat"] || float64(x.DirectQlen) != opt["direct_qlen"] ||
				fmt.Sprintf("%d.%d", x.Version>>16, x.Version&0xffff) != opt["ver"] {
				bad("htb", x, opt)
			}
		case *netlink.TBF:
			if float64(x.Rate) != opt["rate"] || !near(tcBurst(x.Rate, x.Buffer), tcSize(t, opt["burst"].(string))) {
				bad("tbf rate/burst", x, opt)
			}
			if l, ok := opt["limit"]; ok && float64(x.Limit) != l {
				bad("tbf limit", x.Limit, l)
			}
			if m, ok := opt["mtu"]; ok && !near(tcBurst(x.Peakrate, x.Mtu), tcSize(t, m.(string))) {
				bad("tbf mtu", x.PeakBurst(), m)
			}
		case *netlink.Fifo:
			if x.Kind != q.TCKind || float64(x.Limit) != opt["limit"] {
				bad("fifo", x, opt)
			}
		case *netlink.PfifoFast:
			pm := fmt.Sprint(opt["priomap"])
			var want []string
			for _, p := range x.Priomap {
				want = append(want, strconv.Itoa(int(p)))
			}
			if float64(x.Bands) != opt["bands"] || pm != "["+strings.Join(want, " ")+"]" {
				bad("pfifo_fast", x, opt)
			}
		case *netlink.Ingress, *netlink.Clsact:
			if len(opt) != 0 || x.TCKind() != q.TCKind {
				bad("empty options", x, opt)
			}
		case *netlink.FqCodel, *netlink.Fq, *netlink.Netem, *netlink.Prio, *netlink.Sfq, *netlink.Cake:
			// A full kernel's default qdisc may be one of these (Debian's
			// is fq_codel): compared key for key below.
		case nil:
			if q.TCKind != "noqueue" && q.TCKind != "mq" || len(opt) != 0 {
				bad("no options", nil, opt)
			}
		default:
			bad("options type", fmt.Sprintf("%T", x), opt)
		}
		checked++
	}
	if checked != len(tcq) {
		t.Errorf("checked %d qdiscs, tc shows %d", checked, len(tcq))
	}
	if err := oracle.CompareQdiscOptions(ns, qs); err != nil {
		t.Error(err)
	}
}

// TestTCQdiscOptionsMatchTC reads every qdisc kind this kernel has, made
// with tc, and compares the decoded options with tc -j -d.
func TestTCQdiscOptionsMatchTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		ns.Batch(
			"link set lo up",
			"link add v2 numtxqueues 4 numrxqueues 4 type veth peer name v3",
			"link add v4 type veth peer name v5",
			"link set v2 up", "link set v3 up", "link set v4 up", "link set v5 up",
		)
		tcBatch(t, ns,
			"qdisc add dev v0 root handle 1: htb default 10 r2q 5 direct_qlen 500",
			"class add dev v0 parent 1: classid 1:10 htb rate 1mbit",
			"class add dev v0 parent 1: classid 1:20 htb rate 1mbit",
			"qdisc add dev v0 parent 1:10 handle 10: pfifo limit 50",
			"qdisc add dev v0 parent 1:20 handle 20: bfifo limit 3000",
			"qdisc add dev v1 root handle 2: tbf rate 1mbit burst 10kb latency 50ms peakrate 2mbit mtu 1600",
			"qdisc add dev v1 ingress",
			"qdisc add dev v2 root handle 3: mq",
			"qdisc add dev v3 root handle 4: tbf rate 50gbit burst 100kb limit 30000",
			"qdisc add dev v3 clsact",
			"qdisc add dev v4 root pfifo_fast",
		)
		qs, err := c.Qdiscs(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, ns, qs)
		compareQdiscOptions(t, ns, qs)
		kinds := map[string]bool{}
		for _, q := range qs {
			kinds[q.TCKind] = true
		}
		for _, k := range []string{"htb", "pfifo", "bfifo", "tbf", "ingress", "mq", "clsact", "pfifo_fast", "noqueue"} {
			if !kinds[k] {
				t.Errorf("no %s qdisc in the dump", k)
			}
		}
		// mq's children, the default pfifo_fast of each queue, are
		// invisible unless asked for.
		inv, err := c.Qdiscs(context.Background(), &netlink.QdiscFilter{Index: ns.Ifindex("v2"), Invisible: true})
		if err != nil || len(inv) != 5 {
			t.Errorf("v2 with invisible qdiscs: %v, %v", inv, err)
		}
	})
}

// tcClassText returns `tc -d class show dev DEV`'s first line per class,
// by class id, as fields.
func tcClassText(t *testing.T, ns *nstest.NS, dev string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, line := range strings.Split(tcRun(t, ns, "-d", "class", "show", "dev", dev), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "class" {
			continue
		}
		m := map[string]string{}
		for i := 3; i+1 < len(f); i++ {
			switch f[i] {
			case "prio", "quantum", "rate", "ceil", "burst", "cburst", "level", "overhead", "mpu":
				if _, seen := m[f[i]]; !seen {
					m[f[i]] = f[i+1]
				}
			}
		}
		out[f[2]] = m
	}
	return out
}

// compareHTBClasses compares htb class options with tc -d class show.
func compareHTBClasses(t *testing.T, ns *nstest.NS, dev string, cls []*netlink.Class) {
	t.Helper()
	tcc := tcClassText(t, ns, dev)
	if len(tcc) != len(cls) {
		t.Errorf("%d classes, tc shows %d", len(cls), len(tcc))
	}
	for _, c := range cls {
		o, ok := c.Options.(*netlink.HTBClass)
		m := tcc[c.Handle.String()]
		if !ok || m == nil {
			t.Errorf("class %s: options %T, tc %v", c.Handle, c.Options, m)
			continue
		}
		// tc prints prio and quantum for leaf classes only.
		leaf := o.Level == 0
		if !near(float64(o.Rate), tcRate(t, m["rate"])) || !near(float64(o.Ceil), tcRate(t, m["ceil"])) ||
			!near(tcBurst(o.Rate, o.Buffer), tcSize(t, m["burst"])) || !near(tcBurst(o.Ceil, o.Cbuffer), tcSize(t, m["cburst"])) ||
			leaf && (strconv.Itoa(int(o.Prio)) != m["prio"] || strconv.Itoa(int(o.Quantum)) != m["quantum"]) || strconv.Itoa(int(o.Level)) != m["level"] {
			t.Errorf("class %s: %s; tc says %v", c.Handle, o, m)
		}
	}
}

// TestHTBClassesMatchTC reads htb classes made with tc, 32- and 64-bit
// rates, and compares them with tc -d class show.
func TestHTBClassesMatchTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		tcBatch(t, ns,
			"qdisc add dev v0 root handle 1: htb default 10",
			"class add dev v0 parent 1: classid 1:1 htb rate 100gbit",
			"class add dev v0 parent 1:1 classid 1:10 htb rate 1mbit ceil 2mbit burst 15k cburst 3000 prio 2 quantum 3000",
			"class add dev v0 parent 1:1 classid 1:20 htb rate 40gbit ceil 60gbit overhead 4 mpu 64",
		)
		cls, err := c.Classes(context.Background(), &netlink.ClassFilter{Index: ns.Ifindex("v0")})
		if err != nil {
			t.Fatal(err)
		}
		compareHTBClasses(t, ns, "v0", cls)
		for _, cl := range cls {
			if cl.Handle == netlink.NewHandle(1, 0x20) {
				o := cl.Options.(*netlink.HTBClass)
				if o.Rate != 5e9 || o.Ceil != 7.5e9 || o.RateSpec.Overhead != 4 || o.RateSpec.MPU != 64 || o.RateSpec.Linklayer != 1 {
					t.Errorf("1:20: %+v", o)
				}
			}
		}
	})
}

// TestTCFilterOptionsMatchTC reads u32 (tables, links, keys) and classic
// bpf filters made with tc and compares them with tc -j filter show.
func TestTCFilterOptionsMatchTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		tcBatch(t, ns,
			"qdisc add dev v0 root handle 1: htb",
			"filter add dev v0 parent 1: prio 5 handle 2: protocol ip u32 divisor 16",
			"filter add dev v0 parent 1: prio 5 protocol ip u32 link 2: hashkey mask 0x000000ff at 16 match ip dst 192.0.2.0/24",
			"filter add dev v0 parent 1: prio 5 protocol ip u32 ht 2:3: match ip src 198.51.100.7/32 match ip protocol 6 0xff flowid 1:3",
			"filter add dev v0 parent 1: prio 6 protocol ipv6 u32 match ip6 dst 2001:db8::/32 classid 1:6",
			"qdisc add dev v1 clsact",
			"filter add dev v1 ingress pref 3 handle 7 bpf bytecode '4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0' classid 1:1 skip_hw",
			"filter add dev v1 egress bpf bytecode '1,6 0 0 0' da",
		)
		ctx := context.Background()
		for _, p := range []struct {
			dev    string
			parent netlink.Handle
		}{{"v0", netlink.NewHandle(1, 0)}, {"v1", netlink.HandleIngressBlock}, {"v1", netlink.HandleEgressBlock}} {
			fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: ns.Ifindex(p.dev), Parent: p.parent})
			if err != nil {
				t.Fatal(err)
			}
			tcf := tcJSON(t, ns, "filter", "show", "dev", p.dev, "parent", p.parent.String())
			if len(tcf) != len(fs) {
				t.Fatalf("%s %s: %d filters, tc shows %d", p.dev, p.parent, len(fs), len(tcf))
			}
			// Both list in the kernel's order.
			for i, f := range fs {
				if got, want := filterOptionsLine(f), tcFilterLine(tcf[i]); got != want {
					t.Errorf("%s %s filter %d:\n got %s\nwant %s", p.dev, p.parent, i, got, want)
				}
			}
			compareU32Keys(t, ns, p.dev, p.parent, fs)
		}
	})
}

// filterOptionsLine is the comparison text of a filter's options.
func filterOptionsLine(f *netlink.Filter) string {
	s := fmt.Sprintf("%s pref %d %s", netlink.TCProtocolString(f.Protocol), f.Priority, f.TCKind)
	switch o := f.Options.(type) {
	case *netlink.U32:
		s += " fh " + netlink.U32Handle(f.Handle)
		if o.Divisor != 0 {
			s += fmt.Sprintf(" divisor %d", o.Divisor)
		} else {
			s += fmt.Sprintf(" order %d key_ht %x bkt %x", f.Handle&0xfff, o.Hash>>20, (o.Hash>>12)&0xff)
		}
		if o.ClassID != 0 {
			s += " flowid " + o.ClassID.String()
		}
		if o.Link != 0 {
			s += " link " + netlink.U32Handle(o.Link)
		}
		if o.Flags&netlink.TCClsFlagsNotInHW != 0 {
			s += " not_in_hw"
		}
		if o.Sel != nil && len(o.Sel.Keys) > 0 {
			// tc -j writes one "match" key per key in the same object,
			// so a JSON decoder keeps the last; u32Keys checks them all.
			k := o.Sel.Keys[len(o.Sel.Keys)-1]
			s += fmt.Sprintf(" match %x/%x at %d", k.Val, k.Mask, k.Off)
		}
	case *netlink.BPFFilter:
		s += fmt.Sprintf(" handle %#x", f.Handle)
		if o.ClassID != 0 {
			s += " flowid " + o.ClassID.String()
		}
		if o.GenFlags&netlink.TCClsFlagsSkipHW != 0 {
			s += " skip_hw"
		}
		if o.GenFlags&netlink.TCClsFlagsNotInHW != 0 {
			s += " not_in_hw"
		}
		if o.DirectAction {
			s += " direct-action"
		}
		for _, in := range o.Ops {
			s += fmt.Sprintf(" {%d %d %d %d}", in.Code, in.Jt, in.Jf, in.K)
		}
	case nil:
	default:
		s += fmt.Sprintf(" %T", o)
	}
	return s
}

// compareU32Keys compares every u32 key, in order, with the "match
// VALUE/MASK at OFF" lines of `tc filter show`.
func compareU32Keys(t *testing.T, ns *nstest.NS, dev string, parent netlink.Handle, fs []*netlink.Filter) {
	t.Helper()
	var want, got []string
	for _, line := range strings.Split(tcRun(t, ns, "filter", "show", "dev", dev, "parent", parent.String()), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "match" && f[2] == "at" {
			want = append(want, f[1]+" "+f[3])
		}
	}
	for _, f := range fs {
		if o, ok := f.Options.(*netlink.U32); ok && o.Sel != nil {
			for _, k := range o.Sel.Keys {
				got = append(got, fmt.Sprintf("%08x/%08x %d", k.Val, k.Mask, k.Off))
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("u32 keys of %s %s:\n got %q\nwant %q", dev, parent, got, want)
	}
}

// tcFilterLine is the same text from tc's JSON.
func tcFilterLine(o map[string]any) string {
	s := fmt.Sprintf("%s pref %v %s", o["protocol"], o["pref"], o["kind"])
	opt, _ := o["options"].(map[string]any)
	if opt == nil {
		return s
	}
	switch o["kind"] {
	case "u32":
		s += fmt.Sprintf(" fh %s", opt["fh"])
		if d, ok := opt["ht_divisor"]; ok {
			s += fmt.Sprintf(" divisor %v", d)
		} else {
			s += fmt.Sprintf(" order %v key_ht %v bkt %v", opt["order"], opt["key_ht"], opt["bkt"])
		}
		if v, ok := opt["flowid"]; ok {
			s += fmt.Sprintf(" flowid %v", v)
		}
		if v, ok := opt["link"]; ok {
			s += fmt.Sprintf(" link %v", v)
		}
		if opt["not_in_hw"] == true {
			s += " not_in_hw"
		}
		var ms []any
		switch m := opt["match"].(type) {
		case []any:
			ms = m
		case map[string]any:
			ms = []any{m}
		}
		for _, m := range ms {
			mm := m.(map[string]any)
			s += fmt.Sprintf(" match %v/%v at %v", mm["value"], mm["mask"], mm["off"])
		}
	case "bpf":
		s += fmt.Sprintf(" handle %v", opt["handle"])
		if v, ok := opt["flowid"]; ok {
			s += fmt.Sprintf(" flowid %v", v)
		}
		if opt["skip_hw"] == true {
			s += " skip_hw"
		}
		if opt["not_in_hw"] == true {
			s += " not_in_hw"
		}
		if opt["direct-action"] == true {
			s += " direct-action"
		}
		if bc, ok := opt["bytecode"].(map[string]any); ok {
			for _, in := range bc["insns"].([]any) {
				m := in.(map[string]any)
				s += fmt.Sprintf(" {%v %v %v %v}", m["code"], m["jt"], m["jf"], m["k"])
			}
		}
	}
	return s
}

// TestTCTypedRequestsLive builds a CNI-bandwidth-style tbf, an htb tree
// with 64-bit rates, u32 tables and keys and a classic bpf filter through
// the API, checks them against tc, and checks that reading them back gives
// what was sent.
func TestTCTypedRequestsLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		ctx := context.Background()
		v0, v1 := ns.Ifindex("v0"), ns.Ifindex("v1")
		do := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		// tbf as the CNI bandwidth plugin makes it: rate, burst, latency
		// turned into a limit.
		rate := uint64(1e6 / 8)
		burst := uint32(1 << 20)
		tbf := &netlink.TBF{Rate: rate, Buffer: netlink.TBFBuffer(rate, burst), Limit: netlink.TBFLimit(rate, burst, 25*time.Millisecond)}
		if tbf.Limit != uint32(rate*25/1000)+burst {
			t.Fatalf("TBFLimit: %d", tbf.Limit)
		}
		do("tbf add", c.QdiscAdd(ctx, &netlink.Qdisc{Index: v1, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, Options: tbf}))
		got, err := c.QdiscGet(ctx, v1, netlink.NewHandle(1, 0))
		do("tbf get", err)
		// tc prints the limit back as a latency in microseconds.
		if o := tcJSON(t, ns, "qdisc", "show", "dev", "v1"); len(o) != 1 || !near(o[0]["options"].(map[string]any)["lat"].(float64), 25000) {
			t.Errorf("tc shows %v; want a latency of 25ms", o)
		}
		if g := got.Options.(*netlink.TBF); g.Rate != rate || g.Limit != tbf.Limit || g.Buffer != tbf.Buffer || g.Burst() < uint64(burst) {
			t.Errorf("tbf back: %+v, sent %+v", g, tbf)
		}
		tbf.Rate, tbf.Buffer = 7e9, netlink.TBFBuffer(7e9, burst)
		do("tbf change to 56gbit", c.QdiscChange(ctx, &netlink.Qdisc{Index: v1, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, Options: tbf}))

		do("htb add", c.QdiscAdd(ctx, &netlink.Qdisc{Index: v0, Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot,
			Options: &netlink.HTB{Rate2Quantum: 20, Default: 0x20, DirectQlen: 77}}))
		classes := []*netlink.Class{
			{Index: v0, Handle: netlink.NewHandle(1, 1), Parent: netlink.NewHandle(1, 0), Options: &netlink.HTBClass{Rate: 10e9}},
			{Index: v0, Handle: netlink.NewHandle(1, 0x10), Parent: netlink.NewHandle(1, 1), Options: &netlink.HTBClass{Rate: 125000, Ceil: 250000, Prio: 1,
				Buffer: 100 * time.Millisecond, RateSpec: netlink.RateSpec{Linklayer: 1, Overhead: 8}}},
			{Index: v0, Handle: netlink.NewHandle(1, 0x20), Parent: netlink.NewHandle(1, 1), Options: &netlink.HTBClass{Rate: 5e9, Ceil: 8e9, Quantum: 60000}},
		}
		for _, cl := range classes {
			do("class add "+cl.Handle.String(), c.ClassAdd(ctx, cl))
		}
		do("class change", c.ClassChange(ctx, &netlink.Class{Index: v0, Handle: netlink.NewHandle(1, 0x10), Parent: netlink.NewHandle(1, 1),
			Options: &netlink.HTBClass{Rate: 125000, Ceil: 500000, Prio: 2}}))
		cls, err := c.Classes(ctx, &netlink.ClassFilter{Index: v0})
		do("classes", err)
		compareHTBClasses(t, ns, "v0", cls)
		qs, err := c.Qdiscs(ctx, nil)
		do("qdiscs", err)
		compareQdiscOptions(t, ns, qs)

		filters := []*netlink.Filter{
			{Index: v0, Parent: netlink.NewHandle(1, 0), Priority: 5, Protocol: unix.ETH_P_IP, Handle: 0x00200000, Options: &netlink.U32{Divisor: 16}},
			{Index: v0, Parent: netlink.NewHandle(1, 0), Priority: 5, Protocol: unix.ETH_P_IP, Options: &netlink.U32{Link: 0x00200000,
				Sel: &netlink.U32Sel{Hoff: 16, Hmask: 0xff, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xc0000200, Off: 16}}}}},
			{Index: v0, Parent: netlink.NewHandle(1, 0), Priority: 5, Protocol: unix.ETH_P_IP, Options: &netlink.U32{Hash: 0x00203000, ClassID: netlink.NewHandle(1, 0x10),
				Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffffff, Val: 0xc6336407, Off: 12}}}}},
			{Index: v0, Parent: netlink.NewHandle(1, 0), Priority: 9, Protocol: unix.ETH_P_ALL, Handle: 3, Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 0x20),
				Ops: []netlink.BPFInstruction{{Code: 0x28, K: 12}, {Code: 0x15, Jf: 1, K: 0x86dd}, {Code: 6, K: 0xffff}, {Code: 6}}}},
		}
		for _, f := range filters {
			do("filter add "+f.String(), c.FilterAdd(ctx, f))
		}
		fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.NewHandle(1, 0)})
		do("filters", err)
		tcf := tcJSON(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		if len(tcf) != len(fs) {
			t.Fatalf("%d filters, tc shows %d", len(fs), len(tcf))
		}
		for i, f := range fs {
			if got, want := filterOptionsLine(f), tcFilterLine(tcf[i]); got != want {
				t.Errorf("filter %d:\n got %s\nwant %s", i, got, want)
			}
		}
		compareU32Keys(t, ns, "v0", netlink.NewHandle(1, 0), fs)
		var bpf *netlink.Filter
		for _, f := range fs {
			if f.TCKind == "bpf" && f.Handle == 3 {
				bpf = f
			}
		}
		if bpf == nil || fmt.Sprint(bpf.Options.(*netlink.BPFFilter).Ops) != fmt.Sprint(filters[3].Options.(*netlink.BPFFilter).Ops) {
			t.Fatalf("bpf back: %v", bpf)
		}
		// A filter read back can be sent again as it is: the read-only
		// flags (not_in_hw) are left out of the request.
		do("bpf replace as read", c.FilterReplace(ctx, bpf))
		g, err := c.FilterGet(ctx, bpf)
		do("bpf get", err)
		if g.Options.(*netlink.BPFFilter).ClassID != netlink.NewHandle(1, 0x20) {
			t.Errorf("bpf get: %v", g)
		}
		do("filter del bpf", c.FilterDel(ctx, &netlink.Filter{Index: v0, Parent: netlink.NewHandle(1, 0), Priority: 9, Protocol: unix.ETH_P_ALL, Handle: 3, TCKind: "bpf"}))
		do("class del", c.ClassDel(ctx, &netlink.Class{Index: v0, Handle: netlink.NewHandle(1, 0x20)}))
		cls, err = c.Classes(ctx, &netlink.ClassFilter{Index: v0})
		do("classes", err)
		compareHTBClasses(t, ns, "v0", cls)
	})
}

// TestTCStatsMatchTC compares the statistics of qdiscs with `tc -j -s
// qdisc show` (no packets are sent, so the counters stay as the kernel
// set them), and checks that Stable leaves them and the refcnt out.
func TestTCStatsMatchTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		tcBatch(t, ns,
			"qdisc add dev v0 root handle 1: htb default 10",
			"class add dev v0 parent 1: classid 1:10 htb rate 1mbit",
			"qdisc add dev v0 parent 1:10 handle 10: pfifo limit 50",
			"qdisc add dev v1 root handle 2: tbf rate 1mbit burst 10kb limit 20000",
		)
		// The kernel's own IPv6 packets (DAD, MLD) on the new links move
		// the counters between two reads: read both sides until they agree.
		check := func() error {
			var qs []*netlink.Qdisc
			for _, dev := range []string{"v0", "v1"} {
				q, err := c.Qdiscs(context.Background(), &netlink.QdiscFilter{Index: ns.Ifindex(dev)})
				if err != nil {
					return err
				}
				qs = append(qs, q...)
			}
			tcs := map[string]map[string]any{}
			for _, dev := range []string{"v0", "v1"} {
				for _, o := range tcJSON(t, ns, "-s", "qdisc", "show", "dev", dev) {
					tcs[fmt.Sprintf("%d %s", ns.Ifindex(dev), o["handle"])] = o
				}
			}
			if len(qs) != 3 {
				return fmt.Errorf("%d qdiscs: %v", len(qs), qs)
			}
			for _, q := range qs {
				key := fmt.Sprintf("%d %s", q.Index, tcQdiscHandle(q.Handle))
				o := tcs[key]
				s := q.Stats
				if o == nil || s == nil {
					return fmt.Errorf("%s: stats %+v, tc %v", key, s, o)
				}
				got := fmt.Sprint(s.Bytes, s.Packets, s.Drops, s.Overlimits, s.Requeues, s.Backlog, s.Qlen)
				want := fmt.Sprint(o["bytes"], o["packets"], o["drops"], o["overlimits"], o["requeues"], o["backlog"], o["qlen"])
				if got != want {
					return fmt.Errorf("%s: statistics %s, tc says %s", key, got, want)
				}
				if st := q.Stable(); st.Stats != nil || st.Refcnt != 0 || st.Handle != q.Handle {
					return fmt.Errorf("%s: Stable kept %+v", key, st)
				}
			}
			return nil
		}
		if err := nstest.Eventually(5*time.Second, check); err != nil {
			t.Fatal(err)
		}
		cls, err := c.Classes(context.Background(), &netlink.ClassFilter{Index: ns.Ifindex("v0")})
		if err != nil || len(cls) != 1 || cls[0].Stats == nil || len(cls[0].Stats.App) != 20 {
			// struct tc_htb_xstats: lends, borrows, giants, tokens, ctokens.
			t.Fatalf("htb class statistics: %v, %v", cls, err)
		}
	})
}

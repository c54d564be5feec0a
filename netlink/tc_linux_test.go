package netlink_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// tcRun runs `tc -n NS args...` and returns its output, failing the test
// if it fails.
func tcRun(t testing.TB, ns *nstest.NS, args ...string) string {
	t.Helper()
	out, err := tcErr(ns, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tcErr(ns *nstest.NS, args ...string) (string, error) {
	cmd := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// tcBatch feeds lines to `tc -n NS -batch -` (which reads quotes as a
// shell does) and fails the test if any fails.
func tcBatch(t testing.TB, ns *nstest.NS, lines ...string) {
	t.Helper()
	cmd := exec.Command("tc", "-n", ns.Name, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tc -batch: %v: %s", err, out)
	}
}

// tcJSON runs `tc -n NS -j args...` and decodes its output.
func tcJSON(t testing.TB, ns *nstest.NS, args ...string) []map[string]any {
	t.Helper()
	out := tcRun(t, ns, append([]string{"-j"}, args...)...)
	var v []map[string]any
	if strings.TrimSpace(out) == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("tc -j %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// tcSetup makes a veth pair v0/v1, both up, and returns a Conn in ns.
func tcSetup(t *testing.T, ns *nstest.NS) *netlink.Conn {
	t.Helper()
	ns.Batch(
		"link add v0 type veth peer name v1",
		"link set v0 up",
		"link set v1 up",
	)
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tcQdiscHandle is how tc prints a qdisc's handle: the major only, "%x:".
func tcQdiscHandle(h netlink.Handle) string { return fmt.Sprintf("%x:", h.Major()) }

// qdiscLine is the comparison's text of a qdisc: what tc -j shows of it.
func qdiscLine(dev int, kind, handle, parent string, refcnt float64) string {
	return fmt.Sprintf("dev %d %s %s parent %s refcnt %v", dev, kind, handle, parent, refcnt)
}

// compareQdiscs compares qdiscs with `tc -j qdisc show` (kind, handle,
// parent, refcnt, per link).
func compareQdiscs(t *testing.T, ns *nstest.NS, got []*netlink.Qdisc, args ...string) {
	t.Helper()
	var want, have []string
	for _, o := range tcJSON(t, ns, append([]string{"qdisc", "show"}, args...)...) {
		parent, _ := o["parent"].(string)
		if o["root"] == true {
			parent = "root"
		}
		refcnt, _ := o["refcnt"].(float64)
		dev, ok := o["dev"].(string)
		if !ok && len(args) == 2 && args[0] == "dev" {
			dev = args[1] // tc leaves out the link it was asked for
		}
		want = append(want, qdiscLine(ns.Ifindex(dev), o["kind"].(string), o["handle"].(string), parent, refcnt))
	}
	for _, q := range got {
		parent := q.Parent.String()
		refcnt := float64(q.Refcnt)
		if q.Parent != netlink.HandleRoot || q.Refcnt == 1 {
			refcnt = 0 // tc prints refcnt for root qdiscs only, and not 1
		}
		have = append(have, qdiscLine(q.Index, q.TCKind, tcQdiscHandle(q.Handle), parent, refcnt))
	}
	sort.Strings(want)
	sort.Strings(have)
	if !slices.Equal(want, have) {
		t.Fatalf("qdiscs differ from tc's:\n got %q\nwant %q", have, want)
	}
}

// compareClasses compares classes with `tc class show dev DEV`, whose
// first line per class is "class KIND ID root|parent P [leaf L] ..."
// (tc 6.1 prints classes as text even with -j).
func compareClasses(t *testing.T, ns *nstest.NS, dev string, got []*netlink.Class) {
	t.Helper()
	var want, have []string
	for _, line := range strings.Split(tcRun(t, ns, "class", "show", "dev", dev), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "class" {
			continue
		}
		s := f[1] + " " + f[2]
		if f[3] == "root" {
			s += " root"
			f = f[4:]
		} else {
			s += " parent " + f[4]
			f = f[5:]
		}
		if len(f) >= 2 && f[0] == "leaf" {
			s += " leaf " + f[1]
		}
		want = append(want, s)
	}
	for _, c := range got {
		s := c.TCKind + " " + c.Handle.String()
		if c.Parent == netlink.HandleRoot {
			s += " root"
		} else {
			s += " parent " + c.Parent.String()
		}
		if c.Leaf != 0 {
			s += " leaf " + c.Leaf.String()
		}
		have = append(have, s)
	}
	sort.Strings(want)
	sort.Strings(have)
	if !slices.Equal(want, have) {
		t.Fatalf("classes differ from tc's:\n got %q\nwant %q", have, want)
	}
}

// compareFilters compares filters with `tc -j filter show dev DEV
// parent P`: parent (tc leaves it out when it is the one asked for),
// protocol, pref, kind and chain.
func compareFilters(t *testing.T, ns *nstest.NS, dev string, parent netlink.Handle, got []*netlink.Filter) {
	t.Helper()
	var want, have []string
	for _, o := range tcJSON(t, ns, "filter", "show", "dev", dev, "parent", parent.String()) {
		p := parent.String()
		if s, ok := o["parent"].(string); ok {
			p = s
		}
		want = append(want, fmt.Sprintf("parent %s protocol %s pref %v %s chain %v", p, o["protocol"], o["pref"], o["kind"], o["chain"]))
	}
	for _, f := range got {
		have = append(have, fmt.Sprintf("parent %s protocol %s pref %d %s chain %d", f.Parent, netlink.TCProtocolString(f.Protocol), f.Priority, f.TCKind, f.Chain))
	}
	sort.Strings(want)
	sort.Strings(have)
	if !slices.Equal(want, have) {
		t.Fatalf("filters of %s parent %s differ from tc's:\n got %q\nwant %q", dev, parent, have, want)
	}
}

// tcScenario is a tc setup with one object of most shapes: an htb tree
// with a pfifo leaf on v0, u32 filters, clsact on v1 with bpf filters in
// both directions and in chain 3, and a default noqueue on lo.
var tcScenario = []string{
	"qdisc add dev v0 root handle 1: htb default 10 r2q 5",
	"class add dev v0 parent 1: classid 1:1 htb rate 10mbit",
	"class add dev v0 parent 1:1 classid 1:10 htb rate 1mbit ceil 2mbit",
	"class add dev v0 parent 1:1 classid 1:20 htb rate 2mbit",
	"qdisc add dev v0 parent 1:10 handle 10: pfifo limit 50",
	"filter add dev v0 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 flowid 1:10",
	"filter add dev v0 parent 1: protocol ipv6 prio 2 u32 match ip6 dst 2001:db8::/32 flowid 1:20",
	"filter add dev v0 parent 1:1 protocol ip prio 3 u32 match ip src 198.51.100.0/24 flowid 1:20",
	"qdisc add dev v1 clsact",
	"filter add dev v1 ingress bpf bytecode '1,6 0 0 0,' classid 1:1",
	"filter add dev v1 egress protocol ip pref 7 bpf bytecode '1,6 0 0 0,'",
	"filter add dev v1 ingress chain 3 protocol all pref 9 bpf bytecode '1,6 0 0 0,'",
}

// TestTCDumpMatchesTC reads qdiscs, classes and filters made with tc and
// compares them with tc's view; it checks the dump filters and the gets.
func TestTCDumpMatchesTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		tcBatch(t, ns, tcScenario...)
		ctx := context.Background()
		v0, v1 := ns.Ifindex("v0"), ns.Ifindex("v1")

		qs, err := c.Qdiscs(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, ns, qs)
		q0, err := c.Qdiscs(ctx, &netlink.QdiscFilter{Index: v0})
		if err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, ns, q0, "dev", "v0")
		q1, err := c.Qdiscs(ctx, &netlink.QdiscFilter{Index: v1, Parent: netlink.HandleIngress})
		if err != nil || len(q1) != 1 || q1[0].TCKind != "clsact" || q1[0].Handle != netlink.NewHandle(0xffff, 0) {
			t.Fatalf("clsact of v1: %v, %v", q1, err)
		}
		if o := q1[0].Options; o == nil || o.TCKind() != "clsact" {
			t.Errorf("clsact options %#v: want an empty options value", o)
		}

		got, err := c.QdiscGet(ctx, v0, netlink.NewHandle(0x10, 0))
		if err != nil || got.TCKind != "pfifo" || got.Parent != netlink.NewHandle(1, 0x10) {
			t.Fatalf("QdiscGet 10: = %v, %v", got, err)
		}
		if got, err := c.QdiscGet(ctx, v1, netlink.NewHandle(0xffff, 0)); err != nil || got.TCKind != "clsact" {
			t.Fatalf("QdiscGet ffff: = %v, %v", got, err)
		}
		if _, err := c.QdiscGet(ctx, v0, netlink.NewHandle(0x77, 0)); !errors.Is(err, netlink.ErrNotFound) {
			t.Errorf("QdiscGet of a missing qdisc: %v", err)
		}
		if _, err := c.QdiscGet(ctx, v0, 0); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("QdiscGet of handle 0: %v", err)
		}

		cls, err := c.Classes(ctx, &netlink.ClassFilter{Index: v0})
		if err != nil {
			t.Fatal(err)
		}
		compareClasses(t, ns, "v0", cls)
		all, err := c.Classes(ctx, nil)
		if err != nil || len(all) != len(cls) {
			t.Fatalf("Classes(nil) = %d classes, %v; want the %d of v0", len(all), err, len(cls))
		}
		under, err := c.Classes(ctx, &netlink.ClassFilter{Index: v0, Parent: netlink.NewHandle(1, 1)})
		if err != nil || len(under) != 2 {
			t.Fatalf("classes under 1:1: %v, %v", under, err)
		}
		cl, err := c.ClassGet(ctx, v0, netlink.NewHandle(1, 0x10))
		if err != nil || cl.Parent != netlink.NewHandle(1, 1) || cl.Leaf != netlink.NewHandle(0x10, 0) || cl.TCKind != "htb" {
			t.Fatalf("ClassGet 1:10 = %v, %v", cl, err)
		}
		if cl.Stats == nil || cl.Stats.App == nil {
			t.Errorf("class 1:10 has no statistics: %+v", cl.Stats)
		}
		if _, err := c.ClassGet(ctx, v0, netlink.NewHandle(1, 0x99)); !errors.Is(err, unix.ENOENT) {
			t.Errorf("ClassGet of a missing class: %v", err)
		}

		for _, p := range []struct {
			dev    string
			index  int
			parent netlink.Handle
		}{
			{"v0", v0, netlink.NewHandle(1, 0)},
			{"v0", v0, netlink.NewHandle(1, 1)},
			{"v1", v1, netlink.HandleIngressBlock},
			{"v1", v1, netlink.HandleEgressBlock},
		} {
			fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: p.index, Parent: p.parent})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) == 0 {
				t.Fatalf("no filters at %s %s", p.dev, p.parent)
			}
			compareFilters(t, ns, p.dev, p.parent, fs)
		}
		// Every filter of every link: the union of the blocks above.
		fs, err := c.Filters(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, f := range fs {
			count[fmt.Sprintf("%d %s", f.Index, f.Parent)]++
		}
		want := map[string]int{
			fmt.Sprintf("%d 1:", v0): 6, fmt.Sprintf("%d 1:1", v0): 3,
			fmt.Sprintf("%d ffff:fff2", v1): 4, fmt.Sprintf("%d ffff:fff3", v1): 2,
		}
		if fmt.Sprint(count) != fmt.Sprint(want) {
			t.Errorf("filters by link and parent: %v, want %v", count, want)
		}
		// The kernel narrows a dump by chain, priority and protocol.
		chain3, err := c.Filters(ctx, &netlink.FilterFilter{Index: v1, Parent: netlink.HandleIngressBlock, Chain: 3, HasChain: true})
		if err != nil || len(chain3) != 2 || chain3[0].Chain != 3 || chain3[0].Priority != 9 {
			t.Fatalf("chain 3: %v, %v", chain3, err)
		}
		v6, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.NewHandle(1, 0), Protocol: unix.ETH_P_IPV6})
		if err != nil || len(v6) != 3 || v6[0].Priority != 2 {
			t.Fatalf("ipv6 filters: %v, %v", v6, err)
		}
		for _, f := range v6 {
			if f.Handle == 0 {
				continue
			}
			g, err := c.FilterGet(ctx, f)
			if err != nil || g.Handle != f.Handle || g.Priority != 2 || g.TCKind != "u32" {
				t.Errorf("FilterGet %v = %v, %v", f, g, err)
			}
		}
	})
}

// TestTCRequestsLive adds, changes, replaces and deletes qdiscs with
// options passed raw (struct tc_fifo_qopt), and checks each step with tc.
func TestTCRequestsLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		ctx := context.Background()
		v0 := ns.Ifindex("v0")
		fifo := func(kind string, limit uint32) *netlink.RawTCOptions {
			return &netlink.RawTCOptions{Kind: kind, Data: binary.NativeEndian.AppendUint32(nil, limit)}
		}
		q := &netlink.Qdisc{Index: v0, Handle: netlink.NewHandle(5, 0), Parent: netlink.HandleRoot, Options: fifo("pfifo", 33)}
		if err := c.QdiscAdd(ctx, q); err != nil {
			t.Fatal(err)
		}
		limit := func() any {
			for _, o := range tcJSON(t, ns, "qdisc", "show", "dev", "v0") {
				if o["root"] == true {
					return fmt.Sprint(o["kind"], " ", o["options"].(map[string]any)["limit"])
				}
			}
			return nil
		}
		if got := limit(); got != "pfifo 33" {
			t.Fatalf("after add: %v", got)
		}
		if err := c.QdiscAdd(ctx, q); !errors.Is(err, unix.EEXIST) {
			t.Errorf("second add: %v", err)
		}
		q.Options = fifo("pfifo", 44)
		if err := c.QdiscChange(ctx, q); err != nil {
			t.Fatal(err)
		}
		if got := limit(); got != "pfifo 44" {
			t.Fatalf("after change: %v", got)
		}
		// Another kind under the same handle is refused ("must match
		// existing qdisc"); under a new one it takes the place.
		q.Options = fifo("bfifo", 9000)
		if err := c.QdiscReplace(ctx, q); !errors.Is(err, unix.EINVAL) {
			t.Fatalf("replace with another kind under the same handle: %v", err)
		}
		q.Handle = netlink.NewHandle(6, 0)
		if err := c.QdiscReplace(ctx, q); err != nil {
			t.Fatal(err)
		}
		if got := limit(); got != "bfifo 9000" {
			t.Fatalf("after replace: %v", got)
		}
		if err := c.QdiscAdd(ctx, &netlink.Qdisc{Index: v0, Parent: netlink.HandleIngress, TCKind: "ingress"}); err != nil {
			t.Fatal(err)
		}
		qs, err := c.Qdiscs(ctx, &netlink.QdiscFilter{Index: v0})
		if err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, ns, qs, "dev", "v0")

		// A raw filter: bpf with TCA_BPF_OPS_LEN and TCA_BPF_OPS (one
		// "ret 0" instruction) and TCA_BPF_CLASSID.
		insn := []byte{6, 0, 0, 0, 0, 0, 0, 0}
		opts := tcAttr(4, binary.NativeEndian.AppendUint16(nil, 1)) // TCA_BPF_OPS_LEN
		opts = append(opts, tcAttr(5, insn)...)                     // TCA_BPF_OPS
		opts = append(opts, tcAttr(3, binary.NativeEndian.AppendUint32(nil, 0x10001))...)
		f := &netlink.Filter{Index: v0, Parent: netlink.HandleIngress, Priority: 4, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.RawTCOptions{Kind: "bpf", Data: opts}}
		if err := c.FilterAdd(ctx, f); err != nil {
			t.Fatal(err)
		}
		fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngress})
		if err != nil || len(fs) != 2 {
			t.Fatalf("filters: %v, %v", fs, err)
		}
		compareFilters(t, ns, "v0", netlink.HandleIngress, fs)
		if err := c.FilterDel(ctx, &netlink.Filter{Index: v0, Parent: netlink.HandleIngress}); err != nil {
			t.Fatal(err)
		}
		if fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngress}); err != nil || len(fs) != 0 {
			t.Fatalf("after flush: %v, %v", fs, err)
		}

		// Invalid requests are refused before anything is sent.
		before := tcRun(t, ns, "qdisc", "show")
		for _, r := range []netlink.Request{
			netlink.QdiscRequest(netlink.Add, &netlink.Qdisc{Index: v0, Parent: netlink.HandleRoot, TCKind: "ingress"}),
			netlink.QdiscRequest(netlink.Delete, &netlink.Qdisc{Index: v0, Handle: netlink.NewHandle(5, 0)}),
		} {
			if err := c.Do(ctx, r); !errors.Is(err, netlink.ErrInvalid) {
				t.Errorf("%s: %v", r, err)
			}
		}
		if after := tcRun(t, ns, "qdisc", "show"); after != before {
			t.Errorf("invalid requests changed the qdiscs:\n%s\n%s", before, after)
		}

		for _, d := range []*netlink.Qdisc{
			{Index: v0, Parent: netlink.HandleIngress},
			{Index: v0, Handle: netlink.NewHandle(6, 0), Parent: netlink.HandleRoot},
		} {
			if err := c.QdiscDel(ctx, d); err != nil {
				t.Fatalf("delete %v: %v", d, err)
			}
		}
		qs, err = c.Qdiscs(ctx, &netlink.QdiscFilter{Index: v0})
		if err != nil {
			t.Fatal(err)
		}
		compareQdiscs(t, ns, qs, "dev", "v0")
		if len(qs) != 1 || qs[0].Handle != 0 {
			t.Errorf("after deleting: %v; want the default qdisc back", qs)
		}
	})
}

// tcAttr builds a netlink attribute by hand.
func tcAttr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// TestTCNotifications checks that qdisc, class and filter notifications
// arrive on GroupTC and decode with the kind table.
func TestTCNotifications(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcSetup(t, ns)
		mc, err := netlink.Dial(&netlink.Config{NetNS: ns.Name, Groups: netlink.GroupTC})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		tcBatch(t, ns,
			"qdisc add dev v0 root handle 1: htb",
			"class add dev v0 parent 1: classid 1:1 htb rate 1mbit",
			"filter add dev v0 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.1/32 flowid 1:1",
			"filter del dev v0 parent 1: protocol ip prio 1",
			"class del dev v0 classid 1:1",
			"qdisc del dev v0 root",
		)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		seen := map[string]bool{}
		want := []string{"new qdisc 1:", "new class 1:1", "new filter", "del filter", "del class 1:1", "del qdisc 1:"}
		for !allSeen(seen, want) {
			err := mc.ReceiveUpdates(ctx, 0, func(u netlink.Update) error {
				verb := "new"
				if u.Deleted() {
					verb = "del"
				}
				switch o := u.Object.(type) {
				case *netlink.Qdisc:
					seen[verb+" qdisc "+o.Handle.String()] = true
				case *netlink.Class:
					seen[verb+" class "+o.Handle.String()] = true
				case *netlink.Filter:
					if o.TCKind == "u32" && o.Priority == 1 {
						seen[verb+" filter"] = true
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%v; seen %v", err, seen)
			}
		}
	})
}

func allSeen(seen map[string]bool, want []string) bool {
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

// TestTCSharedBlockLive puts the clsact ingress blocks of two links into
// one shared block, adds filters to the block (tcm_ifindex
// TCM_IFINDEX_MAGIC_BLOCK), and reads them by block, as tc does.
func TestTCSharedBlockLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		ctx := context.Background()
		v0, v1 := ns.Ifindex("v0"), ns.Ifindex("v1")
		for _, i := range []int{v0, v1} {
			if err := c.QdiscAdd(ctx, &netlink.Qdisc{Index: i, Parent: netlink.HandleClsact, TCKind: "clsact", IngressBlock: 22}); err != nil {
				t.Fatal(err)
			}
		}
		qs, err := c.Qdiscs(ctx, &netlink.QdiscFilter{Parent: netlink.HandleIngress})
		if err != nil || len(qs) != 2 || qs[0].IngressBlock != 22 || qs[1].IngressBlock != 22 {
			t.Fatalf("clsact qdiscs: %v, %v", qs, err)
		}
		f := &netlink.Filter{Block: 22, Priority: 4, Protocol: unix.ETH_P_IP, Handle: 9,
			Options: &netlink.BPFFilter{ClassID: netlink.NewHandle(1, 1), Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffff}}}}
		if err := c.FilterAdd(ctx, f); err != nil {
			t.Fatal(err)
		}
		tcBatch(t, ns, "filter add block 22 protocol all pref 7 bpf bytecode '1,6 0 0 0'")
		fs, err := c.Filters(ctx, &netlink.FilterFilter{Block: 22})
		if err != nil {
			t.Fatal(err)
		}
		tcf := tcJSON(t, ns, "filter", "show", "block", "22")
		if len(fs) != 4 || len(tcf) != len(fs) {
			t.Fatalf("block 22: %v, %v; tc shows %v", fs, err, tcf)
		}
		for i, f := range fs {
			if f.Block != 22 || f.Index != 0 || filterOptionsLine(f) != tcFilterLine(tcf[i]) {
				t.Errorf("block filter %d: %v\n got %s\nwant %s", i, f, filterOptionsLine(f), tcFilterLine(tcf[i]))
			}
		}
		g, err := c.FilterGet(ctx, f)
		if err != nil || g.Block != 22 || g.Handle != 9 {
			t.Errorf("FilterGet in block: %v, %v", g, err)
		}
		if err := c.FilterDel(ctx, &netlink.Filter{Block: 22}); err != nil {
			t.Fatal(err)
		}
		if fs, err := c.Filters(ctx, &netlink.FilterFilter{Block: 22}); err != nil || len(fs) != 0 {
			t.Errorf("after flushing block 22: %v, %v", fs, err)
		}
	})
}

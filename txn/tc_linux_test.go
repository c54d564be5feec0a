package txn

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// tc runs `tc -n NS args...` and returns its output; a failure fails t.
func tc(t *testing.T, ns *nstest.NS, args ...string) string {
	t.Helper()
	out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tcBase is the namespace before the tc transactions: veths v0 and v1
// up; on v0 an htb tree (1: with classes 1:1, 1:10, 1:20) and a u32 and
// a bpf filter; on v1 a root tbf 1: and a clsact qdisc with a bpf filter
// on its ingress.
func tcBase(t *testing.T, ns *nstest.NS) {
	t.Helper()
	prepNS(t, ns)
	ns.Batch(
		"link add v0 type veth peer name v1",
		"link set v0 up",
		"link set v1 up",
	)
	for _, line := range []string{
		"qdisc add dev v0 root handle 1: htb default 10",
		"class add dev v0 parent 1: classid 1:1 htb rate 10mbit",
		"class add dev v0 parent 1:1 classid 1:10 htb rate 1mbit ceil 5mbit",
		"class add dev v0 parent 1:1 classid 1:20 htb rate 2mbit",
		"filter add dev v0 parent 1: protocol ip prio 1 handle 800::800 u32 match ip dst 192.0.2.0/24 flowid 1:10",
		"filter add dev v0 parent 1: protocol all prio 2 handle 1 bpf bytecode 1,6_0_0_0 flowid 1:20",
		"qdisc add dev v1 root handle 1: tbf rate 1mbit burst 10kb latency 25ms",
		"qdisc add dev v1 clsact",
		"filter add dev v1 ingress protocol all prio 3 handle 7 bpf bytecode 1,6_0_0_65535",
	} {
		args := strings.Fields(line)
		for i := range args {
			args[i] = strings.ReplaceAll(args[i], "_", " ")
		}
		tc(t, ns, args...)
	}
}

// tcState is what tc shows of the namespace's tc objects: `tc -j -d
// qdisc show`, and for each of v0 and v1 `tc -d class show` (iproute2
// 6.1 prints classes as text only) and `tc -j filter show` of each
// filter block of its qdiscs.
func tcState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var b strings.Builder
	qs := tc(t, ns, "-j", "-d", "qdisc", "show")
	// htb's direct_packets_stat counts packets the links send by
	// themselves (IPv6 multicast reports): a statistic, not state.
	b.WriteString(directPackets.ReplaceAllString(qs, "") + "\n")
	var qdiscs []map[string]any
	if err := json.Unmarshal([]byte(qs), &qdiscs); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"v0", "v1"} {
		b.WriteString(tc(t, ns, "-d", "class", "show", "dev", dev))
		for _, q := range qdiscs {
			if q["dev"] != dev {
				continue
			}
			var parents []string
			switch q["kind"] {
			case "ingress":
				parents = []string{"ffff:fff2"}
			case "clsact":
				parents = []string{"ffff:fff2", "ffff:fff3"}
			case "noqueue":
			default:
				parents = []string{q["handle"].(string)}
			}
			for _, p := range parents {
				b.WriteString(dev + " " + p + ": " + tc(t, ns, "-j", "filter", "show", "dev", dev, "parent", p))
			}
		}
	}
	return b.String()
}

var directPackets = regexp.MustCompile(`"direct_packets_stat":\d+,?`)

// checkTCOracle compares the database's tc objects with tc -j.
func checkTCOracle(t *testing.T, ns *nstest.NS, db *ipdb.DB) {
	t.Helper()
	checkOracleKinds(t, ns, db, []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter}, nil)
}

func mbit(n uint64) uint64 { return n * 1e6 / 8 }

var (
	h    = netlink.NewHandle
	bpf0 = []netlink.BPFInstruction{{Code: 6}}
)

// u32Dst is a u32 node matching an IPv4 destination prefix (tc's
// "match ip dst P flowid C").
func u32Dst(val, mask uint32, flowid netlink.Handle) *netlink.U32 {
	return &netlink.U32{ClassID: flowid, Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: mask, Val: val, Off: 16}}}}
}

// tcTxn changes every tc kind on tcBase: on v0 a class's rate, a new
// class, a removed class with the filter pointing to it, a u32 node's
// match (removed and added again), a new u32 node, and a pfifo under a
// class; on v1 the root tbf replaced by an htb 2: with a class and a
// filter (one replace), and clsact removed.
func tcTxn(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
	return New(db, c, cfg).
		Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x10), Parent: h(1, 1), Options: &netlink.HTBClass{Rate: mbit(3) / 2, Ceil: mbit(5)}}).
		Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x30), Parent: h(1, 1), Options: &netlink.HTBClass{Rate: mbit(1), Prio: 2}}).
		Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x20), Absent: true}).
		Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 2, Protocol: unix.ETH_P_ALL, Handle: 1, Kind: "bpf", Absent: true}).
		Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000800,
			Options: u32Dst(0xc6336400, 0xffffff00, h(1, 0x10))}).
		Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000801,
			Options: u32Dst(0xcb007100, 0xffffff00, h(1, 0x30))}).
		Qdisc(QdiscSpec{Dev: "v0", Parent: h(1, 0x10), Handle: h(0x10, 0), Options: &netlink.Fifo{Kind: "pfifo", Limit: 50}}).
		Qdisc(QdiscSpec{Dev: "v1", Handle: h(2, 0), Options: &netlink.HTB{Default: 1}}).
		Class(ClassSpec{Dev: "v1", ClassID: h(2, 1), Options: &netlink.HTBClass{Rate: mbit(100)}}).
		Filter(FilterSpec{Dev: "v1", Parent: h(2, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 5,
			Options: &netlink.BPFFilter{ClassID: h(2, 1), Ops: bpf0}}).
		Qdisc(QdiscSpec{Dev: "v1", Parent: netlink.HandleIngress, Kind: "clsact", Absent: true})
}

// TestTCCommit commits tcTxn: the plan says every step in tc's words,
// tc shows what the specs say, the database agrees with tc -j, and a
// second plan is empty. Then the specs removed (and v0's root qdisc
// removed) leave what the kernel brings back: its default qdiscs.
func TestTCCommit(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		tx := tcTxn(db, c, nil)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan:\n%s", plan)
		for _, want := range []string{
			"- filter dev v0 parent 1: protocol all pref 2 chain 0 handle 0x1 bpf",
			"- class htb 1:20 dev v0 parent 1:1",
			"- qdisc clsact ffff: dev v1 ingress",
			"- filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match ip dst 192.0.2.0/24 flowid 1:10 (to add it again changed",
			"- filter dev v0 parent 1: protocol all pref 2 chain 0 handle 0x1 bpf bytecode '1,6 0 0 0' flowid 1:20",
			"- qdisc clsact ffff: dev v1 ingress (the kernel removes its 1 filter with it)",
			"~ class htb 1:10 dev v0 parent 1:1 rate 1500Kbit ceil 5Mbit: rate 1Mbit -> 1500Kbit",
			"+ class htb 1:30 dev v0 parent 1:1 prio 2 rate 1Mbit",
			"~ qdisc htb 2: dev v1 root default 0x1: handle 1: -> 2:, kind tbf -> htb\n",
			"+ qdisc pfifo 10: dev v0 parent 1:10 limit 50p",
			"+ class htb 2:1 dev v1 parent 2:",
			"+ filter dev v1 parent 2: protocol all pref 1 chain 0 handle 0x5 bpf bytecode '1,6 0 0 0' flowid 2:1",
			"~ filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match ip dst 198.51.100.0/24 flowid 1:10: " +
				"match ip dst 192.0.2.0/24 -> match ip dst 198.51.100.0/24",
			"+ filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::801 u32",
		} {
			if !strings.Contains(plan.String(), want) {
				t.Errorf("plan lacks %q", want)
			}
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		q := tc(t, ns, "qdisc", "show")
		for _, want := range []string{"qdisc htb 1: dev v0 root", "qdisc pfifo 10: dev v0 parent 1:10 limit 50p", "qdisc htb 2: dev v1 root"} {
			if !strings.Contains(q, want) {
				t.Errorf("tc qdisc show lacks %q:\n%s", want, q)
			}
		}
		if strings.Contains(q, "tbf") || strings.Contains(q, "clsact") {
			t.Errorf("tc qdisc show still has tbf or clsact:\n%s", q)
		}
		cl := tc(t, ns, "class", "show", "dev", "v0")
		for _, want := range []string{"class htb 1:10 parent 1:1 leaf 10: prio 0 rate 1500Kbit ceil 5Mbit",
			"class htb 1:30 parent 1:1 prio 2 rate 1Mbit"} {
			if !strings.Contains(cl, want) {
				t.Errorf("tc class show lacks %q:\n%s", want, cl)
			}
		}
		if strings.Contains(cl, "1:20") {
			t.Errorf("class 1:20 still there:\n%s", cl)
		}
		f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		for _, want := range []string{"fh 800::800 order 2048 key ht 800 bkt 0 *flowid 1:10", "match c6336400/ffffff00 at 16",
			"fh 800::801 order 2049 key ht 800 bkt 0 *flowid 1:30", "match cb007100/ffffff00 at 16"} {
			if !strings.Contains(f, want) {
				t.Errorf("tc filter show lacks %q:\n%s", want, f)
			}
		}
		if strings.Contains(f, "bpf") {
			t.Errorf("bpf filter still there:\n%s", f)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v1", "parent", "2:"); !strings.Contains(f, "handle 0x5 flowid 2:1") {
			t.Errorf("v1's filter: %s", f)
		}
		checkTCOracle(t, ns, db)
		again, err := tcTxn(db, c, nil).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if !again.Empty() {
			t.Errorf("plan after commit not empty:\n%s", again)
		}

		// Removal: the root qdiscs go, with their classes and filters;
		// the kernel's default noqueue comes back.
		rm := New(db, c, nil).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(1, 0), Absent: true}).
			Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x30), Absent: true}).
			Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 0x80000801, Kind: "u32", Absent: true}).
			Qdisc(QdiscSpec{Dev: "v1", Handle: h(2, 0), Absent: true})
		plan, err = rm.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.String(); got != "- qdisc htb 1: dev v0 root r2q 10 default 0x10 direct_qlen 1000 (the kernel removes its 1 qdisc, 3 classes and 2 filters with it)\n"+
			"- qdisc htb 2: dev v1 root r2q 10 default 0x1 direct_qlen 1000 (the kernel removes its 1 class and 1 filter with it)\n" {
			t.Errorf("removal plan:\n%s", got)
		}
		if err := rm.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if q := tc(t, ns, "qdisc", "show"); strings.Contains(q, "htb") || strings.Contains(q, "pfifo") {
			t.Errorf("after removal:\n%s", q)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0"); f != "" {
			t.Errorf("filters left: %s", f)
		}
		checkTCOracle(t, ns, db)
		if again, err := rm.Plan(); err != nil || !again.Empty() {
			t.Errorf("removal plan again: %v %v", again, err)
		}
	})
}

// TestTCFaultInjection fails each step of tcTxn in turn: the commit
// reports it and the rollback brings back exactly what tc showed before,
// including what the kernel removed with the replaced root qdisc.
func TestTCFaultInjection(t *testing.T) {
	c := txnFaults(tcBase, tcTxn, tcState, checkTCOracle, 10)
	c.failing = failingTC
	faultEveryStep(t, c)
}

// TestTCFaultInjectionHTBRecreated fails each step of a transaction that
// gives the root htb a new default class (removal and creation: htb has
// no change operation) with one class and a leaf qdisc under it: the
// rollback brings back the old qdisc with its classes, leaf qdisc and
// filters, which the removal took.
func TestTCFaultInjectionHTBRecreated(t *testing.T) {
	base := func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		tc(t, ns, "qdisc", "add", "dev", "v0", "parent", "1:10", "handle", "10:", "pfifo", "limit", "30")
	}
	c := txnFaults(base, func(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
		return New(db, c, cfg).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(1, 0), Options: &netlink.HTB{Default: 0x20}}).
			Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x20), Parent: h(1, 0), Options: &netlink.HTBClass{Rate: mbit(2)}}).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(0x20, 0), Parent: h(1, 0x20), Options: &netlink.Fifo{Kind: "pfifo", Limit: 30}})
	}, tcState, checkTCOracle, 4)
	c.failing = failingTC
	faultEveryStep(t, c)
}

// failingTC returns a request of o's kind that the kernel refuses: an
// object on a link that does not exist (ENODEV).
func failingTC(o *Step) netlink.Request {
	const noLink = 0x7ffffff0
	switch o.Kind {
	case netlink.KindQdisc:
		return netlink.QdiscRequest(netlink.Add, &netlink.Qdisc{Index: noLink, Handle: h(9, 0), Parent: netlink.HandleRoot, TCKind: "pfifo"})
	case netlink.KindClass:
		return netlink.ClassRequest(netlink.Add, &netlink.Class{Index: noLink, Handle: h(9, 1), Options: &netlink.HTBClass{Rate: 1000}})
	case netlink.KindFilter:
		return netlink.FilterRequest(netlink.Add, &netlink.Filter{Index: noLink, Parent: h(9, 0), Priority: 1, Protocol: unix.ETH_P_ALL,
			Handle: 1, Options: &netlink.BPFFilter{Ops: bpf0}})
	}
	return failing(o)
}

// TestTCConflict: someone changes a class the plan looked at between
// Plan and Commit; Commit names it and writes nothing. A change of
// statistics alone (packets counted) is no conflict.
func TestTCConflict(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		tx := tcTxn(db, c, nil)
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		tc(t, ns, "class", "change", "dev", "v0", "parent", "1:1", "classid", "1:10", "htb", "rate", "1mbit", "ceil", "6mbit")
		before := tcState(t, ns)
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := tx.Commit(context.Background())
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "class htb 1:10") {
			t.Fatalf("got %v, want ErrConflict naming class 1:10", err)
		}
		if tx.Writes() != 0 {
			t.Errorf("%d writes despite the conflict", tx.Writes())
		}
		checkRestored(t, ns, tcState, before)
	})
}

// TestTCInvalid: specs the kernel would refuse, or that cannot find
// their object again, are ErrInvalid and change nothing.
func TestTCInvalid(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		before := tcState(t, ns)
		for name, tx := range map[string]*Txn{
			"qdisc without handle": New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Kind: "pfifo"}),
			"qdisc minor":          New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Handle: h(1, 1), Kind: "pfifo"}),
			"qdisc without kind":   New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Handle: h(3, 0)}),
			"two root qdiscs": New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Handle: h(3, 0), Kind: "pfifo"}).
				Qdisc(QdiscSpec{Dev: "v0", Handle: h(4, 0), Kind: "pfifo"}),
			"qdisc moves":           New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Parent: h(1, 0x10), Handle: h(1, 0), Kind: "htb"}),
			"class without qdisc":   New(db, c, nil).Class(ClassSpec{Dev: "v0", ClassID: h(7, 1), Options: &netlink.HTBClass{Rate: 1000}}),
			"class without options": New(db, c, nil).Class(ClassSpec{Dev: "v0", ClassID: h(1, 7)}),
			"class moves":           New(db, c, nil).Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x10), Options: &netlink.HTBClass{Rate: 1000}}),
			"filter without prio": New(db, c, nil).Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Protocol: unix.ETH_P_ALL, Handle: 1,
				Options: &netlink.BPFFilter{Ops: bpf0}}),
			"filter without handle": New(db, c, nil).Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 4, Protocol: unix.ETH_P_ALL,
				Options: &netlink.BPFFilter{Ops: bpf0}}),
			"filter at root": New(db, c, nil).Filter(FilterSpec{Dev: "v0", Parent: netlink.HandleRoot, Priority: 4, Protocol: unix.ETH_P_ALL,
				Handle: 1, Options: &netlink.BPFFilter{Ops: bpf0}}),
			"filter kinds of a prio": New(db, c, nil).
				Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 4, Protocol: unix.ETH_P_ALL, Handle: 1, Options: &netlink.BPFFilter{Ops: bpf0}}).
				Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 4, Protocol: unix.ETH_P_IP, Handle: 2, Options: &netlink.BPFFilter{Ops: bpf0}}),
			"leaf under a removed class": New(db, c, nil).
				Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x20), Absent: true}).
				Qdisc(QdiscSpec{Dev: "v0", Parent: h(1, 0x20), Handle: h(0x20, 0), Kind: "pfifo"}),
			"leaf under no class": New(db, c, nil).Qdisc(QdiscSpec{Dev: "v0", Parent: h(1, 0x40), Handle: h(0x40, 0), Kind: "pfifo"}),
			"no link":             New(db, c, nil).Qdisc(QdiscSpec{Dev: "nope0", Handle: h(1, 0), Kind: "pfifo"}),
			// The kernel refuses it at commit (EBUSY); found by a new user's try.
			"one block both ways": New(db, c, nil).Qdisc(QdiscSpec{Dev: "v1", Parent: netlink.HandleIngress, Handle: h(0xffff, 0),
				Kind: "clsact", IngressBlock: 50, EgressBlock: 50}),
		} {
			err := tx.Commit(context.Background())
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: got %v, want ErrInvalid", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
			if tx.Writes() != 0 {
				t.Errorf("%s: %d writes", name, tx.Writes())
			}
		}
		checkRestored(t, ns, tcState, before)
	})
}

// TestTCSameHandleOtherKind: a root qdisc whose handle stays but whose
// kind changes is removed and added again (the kernel refuses the kind
// of a handle to change); a failure of the addition brings the old
// qdisc back with its filters. A veth created in the same transaction
// gets its qdisc after it appears.
func TestTCSameHandleOtherKind(t *testing.T) {
	mk := func(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
		return New(db, c, cfg).
			Link(LinkSpec{Name: "w0", Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "w1"}}}, Up: bptr(true)}).
			Qdisc(QdiscSpec{Dev: "w0", Handle: h(1, 0), Options: &netlink.TBF{Rate: mbit(1), Buffer: netlink.TBFBuffer(mbit(1), 10240),
				Limit: netlink.TBFLimit(mbit(1), 10240, 25*time.Millisecond)}}).
			Qdisc(QdiscSpec{Dev: "v1", Handle: h(1, 0), Options: &netlink.HTB{Default: 0x10}})
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		plan, err := mk(db, c, nil).Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"- qdisc tbf 1: dev v1 root rate 1Mbit burst 10Kb lat 25ms (to add it again as htb: the kernel keeps a handle's kind)\n",
			"~ qdisc htb 1: dev v1 root default 0x10: kind tbf -> htb\n",
			"+ qdisc tbf 1: dev w0 root rate 1Mbit burst 10Kb lat 25ms\n",
		} {
			if !strings.Contains(plan.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, plan)
			}
		}
		before := tcState(t, ns)
		var failed *Step
		cfg := &Config{inject: func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindQdisc && o.Action == Modify {
				failed = o
				return failingTC(o)
			}
			return req
		}}
		err = mk(db, c, cfg).Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack || failed == nil {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, tcState, before)
		if _, err := ns.IPErr("link", "show", "w0"); err == nil {
			t.Errorf("w0 left after the rollback")
		}
		checkTCOracle(t, ns, db)

		if err := mk(db, c, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		q := tc(t, ns, "qdisc", "show")
		for _, want := range []string{"qdisc htb 1: dev v1 root", "qdisc tbf 1: dev w0 root refcnt 3 rate 1Mbit burst 10Kb lat 25ms"} {
			if !strings.Contains(q, want) {
				t.Errorf("tc qdisc show lacks %q:\n%s", want, q)
			}
		}
		checkTCOracle(t, ns, db)
		if again, err := mk(db, c, nil).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}
	})
}

// TestTCRollbackRestoresActions: a filter with a tc action (a mirred
// redirect) that the transaction
// removes comes back with its action when a later step fails; the
// action's counters and ages do not stop the rollback's verification.
func TestTCRollbackRestoresActions(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		tc(t, ns, "filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "prio", "4", "handle", "801::1", "u32",
			"match", "ip", "dst", "203.0.113.0/24", "action", "mirred", "egress", "redirect", "dev", "v1")
		if f := tc(t, ns, "filter", "show", "dev", "v0"); !strings.Contains(f, "mirred (Egress Redirect to device v1)") {
			t.Skipf("no mirred action in this kernel: %s", f) // CONFIG_NET_ACT_MIRRED
		}
		db, c := setup(t, ns)
		before := tcState(t, ns)
		if !strings.Contains(before, `"kind":"mirred"`) {
			t.Fatalf("tc -j shows no mirred action:\n%s", before)
		}
		mk := func(cfg *Config) *Txn {
			return New(db, c, cfg).
				Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 4, Protocol: unix.ETH_P_IP, Handle: 0x80100001, Kind: "u32", Absent: true}).
				Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x40), Parent: h(1, 1), Options: &netlink.HTBClass{Rate: mbit(1)}})
		}
		cfg := &Config{inject: failKind(netlink.KindClass, failingTC)}
		err := mk(cfg).Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, tcState, before)
		if err := mk(nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0"); strings.Contains(f, "mirred") {
			t.Errorf("the mirred filter is left:\n%s", f)
		}
	})
}

// TestTCRollbackLeafRestored: a rollback after a root replace brings
// back the root qdisc, its classes and filters, and the qdisc under one
// of the classes too, after the class: everything is back as it was.
func TestTCRollbackLeafRestored(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		tc(t, ns, "qdisc", "add", "dev", "v0", "parent", "1:10", "handle", "10:", "pfifo", "limit", "50")
		before := tcState(t, ns)
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		cfg := &Config{inject: failKind(netlink.KindFilter, failingTC)}
		err := New(db, c, cfg).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(2, 0), Options: &netlink.HTB{}}).
			Class(ClassSpec{Dev: "v0", ClassID: h(2, 1), Options: &netlink.HTBClass{Rate: mbit(1)}}).
			Filter(FilterSpec{Dev: "v0", Parent: h(2, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: &netlink.BPFFilter{Ops: bpf0}}).
			Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) || !ce.RolledBack || ce.RollbackErr != nil || len(ce.Left) != 0 {
			t.Fatalf("got %v (left %q), want a whole rollback", err, ce.Left)
		}
		checkRestored(t, ns, tcState, before)
		if q := tc(t, ns, "qdisc", "show", "dev", "v0"); !strings.Contains(q, "qdisc pfifo 10: parent 1:10 limit 50p") {
			t.Errorf("the pfifo is not back:\n%s", q)
		}
		checkTCOracle(t, ns, db)
	})
}

// redirectAll is the CNI bandwidth plugin's filter: u32 matching every
// packet ("match u32 0 0") with a mirred egress redirect whose target
// the spec names (MirredDevs).
func redirectAll() *netlink.U32 {
	return &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: netlink.TCActions{
		{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect}}}}
}

// TestTCMirredByName: a filter's mirred action names its target link,
// an ifb the same transaction creates: the commit puts the ifb's index
// into the action, tc shows the redirect to it, the database agrees
// with tc -j and a second plan is empty. Another target is one replace
// of the filter; another's change of the action between Plan and Commit
// is a conflict; a target that is no link is ErrInvalid at Plan; a fault
// at every step rolls back exactly.
func TestTCMirredByName(t *testing.T) {
	mk := func(db *ipdb.DB, c *netlink.Conn, cfg *Config, target string) *Txn {
		return New(db, c, cfg).
			Link(LinkSpec{Name: "ifb0", Info: &netlink.LinkInfo{InfoKind: "ifb"}, Up: bptr(true)}).
			Qdisc(QdiscSpec{Dev: "v0", Parent: netlink.HandleIngress, Kind: "ingress"}).
			Filter(FilterSpec{Dev: "v0", Parent: h(0xffff, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 0x80000800,
				Options: redirectAll(), MirredDevs: map[int]string{0: target}})
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		if _, err := ns.IPErr("link", "add", "ifbprobe", "type", "ifb"); err != nil {
			t.Skipf("no ifb links in this kernel: %v", err) // CONFIG_IFB
		}
		ns.IP("link", "del", "ifbprobe")
		db, c := setup(t, ns)
		plan, err := mk(db, c, nil, "ifb0").Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := "+ filter dev v0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev ifb0\n"
		if !strings.HasSuffix(plan.String(), want) {
			t.Errorf("plan:\n%s\nwant its last step %q", plan, want)
		}
		t.Run("faults", func(t *testing.T) {
			c := txnFaults(tcBase, func(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn { return mk(db, c, cfg, "ifb0") },
				tcState, checkTCOracle, len(plan.Steps))
			c.failing = failingTC
			c.more = linkGoneAfterRollback("ifb0")
			faultEveryStepIn(t, nstest.New(t), c)
		})

		if err := mk(db, c, nil, "ifb0").Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0", "ingress"); !strings.Contains(f, "mirred (Egress Redirect to device ifb0) stolen") {
			t.Errorf("tc filter show:\n%s", f)
		}
		checkTCOracle(t, ns, db)
		if again, err := mk(db, c, nil, "ifb0").Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		plan, err = mk(db, c, nil, "v1").Plan()
		if err != nil {
			t.Fatal(err)
		}
		want = "~ filter dev v0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev v1: " +
			"actions [action mirred egress redirect dev ifb0] -> [action mirred egress redirect dev v1]\n"
		if plan.String() != want {
			t.Errorf("another target:\n%s\nwant\n%s", plan, want)
		}
		if err := mk(db, c, nil, "v1").Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "dev", "v0", "ingress"); !strings.Contains(f, "mirred (Egress Redirect to device v1) stolen") {
			t.Errorf("tc filter show:\n%s", f)
		}
		checkTCOracle(t, ns, db)
		if again, err := mk(db, c, nil, "v1").Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		// Someone else redirects elsewhere between Plan and Commit: a
		// conflict, nothing written.
		tx := mk(db, c, nil, "ifb0")
		if _, err := tx.Plan(); err != nil {
			t.Fatal(err)
		}
		tc(t, ns, "filter", "replace", "dev", "v0", "parent", "ffff:", "protocol", "all", "prio", "1", "handle", "800::800", "u32",
			"match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb0")
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(context.Background()); !errors.Is(err, ErrConflict) || tx.Writes() != 0 {
			t.Errorf("a changed action: %v, %d writes; want ErrConflict", err, tx.Writes())
		}

		bad := mk(db, c, nil, "ifb9")
		if _, err := bad.Plan(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"ifb9"`) {
			t.Errorf("a target that is no link: %v", err)
		}
		if err := bad.Commit(context.Background()); !errors.Is(err, ErrInvalid) || bad.Writes() != 0 {
			t.Errorf("commit: %v, %d writes", err, bad.Writes())
		}
	})
}

// treeTxn builds a tree on v1 in one transaction, each object under one
// the same transaction creates: an htb 3: replacing the root tbf, its
// classes 3:1 and 3:10 (under 3:1), an htb 30: under class 3:10 with a
// class 30:1, a pfifo 31: under that class, and a filter to 3:10.
func treeTxn(db *ipdb.DB, c *netlink.Conn, cfg *Config) *Txn {
	return New(db, c, cfg).
		Filter(FilterSpec{Dev: "v1", Parent: h(3, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{ClassID: h(3, 0x10), Ops: bpf0}}).
		Qdisc(QdiscSpec{Dev: "v1", Parent: h(0x30, 1), Handle: h(0x31, 0), Options: &netlink.Fifo{Kind: "pfifo", Limit: 20}}).
		Class(ClassSpec{Dev: "v1", ClassID: h(0x30, 1), Options: &netlink.HTBClass{Rate: mbit(1)}}).
		Qdisc(QdiscSpec{Dev: "v1", Parent: h(3, 0x10), Handle: h(0x30, 0), Options: &netlink.HTB{Default: 1}}).
		Class(ClassSpec{Dev: "v1", ClassID: h(3, 0x10), Parent: h(3, 1), Options: &netlink.HTBClass{Rate: mbit(2)}}).
		Class(ClassSpec{Dev: "v1", ClassID: h(3, 1), Options: &netlink.HTBClass{Rate: mbit(10)}}).
		Qdisc(QdiscSpec{Dev: "v1", Handle: h(3, 0), Options: &netlink.HTB{Default: 0x10}})
}

// TestTCTreeOrder: qdiscs, classes and filters are created in the order
// of their tree whatever the order of the specs (a qdisc after the class
// it hangs from, a class after its parent, filters last), tc shows the
// tree, a second plan is empty; removing it runs in exactly the reverse
// order; a fault at every step of the creation rolls back exactly.
func TestTCTreeOrder(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		db, c := setup(t, ns)
		plan, err := treeTxn(db, c, nil).Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := "~ qdisc htb 3: dev v1 root default 0x10: handle 1: -> 3:, kind tbf -> htb\n" +
			"+ class htb 3:1 dev v1 parent 3: rate 10Mbit\n" +
			"+ class htb 3:10 dev v1 parent 3:1 rate 2Mbit\n" +
			"+ qdisc htb 30: dev v1 parent 3:10 default 0x1\n" +
			"+ class htb 30:1 dev v1 parent 30: rate 1Mbit\n" +
			"+ qdisc pfifo 31: dev v1 parent 30:1 limit 20p\n" +
			"+ filter dev v1 parent 3: protocol all pref 1 chain 0 handle 0x1 bpf bytecode '1,6 0 0 0' flowid 3:10\n"
		if plan.String() != want {
			t.Errorf("plan:\n%s\nwant\n%s", plan, want)
		}
		t.Run("faults", func(t *testing.T) {
			c := txnFaults(tcBase, treeTxn, tcState, checkTCOracle, len(plan.Steps))
			c.failing = failingTC
			faultEveryStepIn(t, nstest.New(t), c)
		})

		if err := treeTxn(db, c, nil).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		q := tc(t, ns, "qdisc", "show", "dev", "v1")
		for _, w := range []string{"qdisc htb 3: root", "qdisc htb 30: parent 3:10", "qdisc pfifo 31: parent 30:1 limit 20p"} {
			if !strings.Contains(q, w) {
				t.Errorf("tc qdisc show lacks %q:\n%s", w, q)
			}
		}
		checkTCOracle(t, ns, db)
		if again, err := treeTxn(db, c, nil).Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}

		// Removal of the subtree under 3:10 and the class itself: the
		// filter that points to it first, then from the bottom up (the
		// class 30:1 goes with its qdisc 30:).
		rm := New(db, c, nil).
			Class(ClassSpec{Dev: "v1", ClassID: h(3, 0x10), Absent: true}).
			Qdisc(QdiscSpec{Dev: "v1", Parent: h(3, 0x10), Handle: h(0x30, 0), Absent: true}).
			Class(ClassSpec{Dev: "v1", ClassID: h(0x30, 1), Absent: true}).
			Qdisc(QdiscSpec{Dev: "v1", Parent: h(0x30, 1), Handle: h(0x31, 0), Absent: true}).
			Filter(FilterSpec{Dev: "v1", Parent: h(3, 0), Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Kind: "bpf", Absent: true})
		plan, err = rm.Plan()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range plan.Steps {
			got = append(got, s.String()[:strings.Index(s.String(), " dev ")])
		}
		if g := strings.Join(got, "|"); g != "- filter|- qdisc pfifo 31:|- qdisc htb 30:|- class htb 3:10" {
			t.Errorf("removal order %s:\n%s", g, plan)
		}
		if err := rm.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if q := tc(t, ns, "qdisc", "show", "dev", "v1"); strings.Contains(q, "30:") || strings.Contains(q, "31:") {
			t.Errorf("after removal:\n%s", q)
		}
		checkTCOracle(t, ns, db)
		if again, err := rm.Plan(); err != nil || !again.Empty() {
			t.Errorf("removal plan again: %v %v", again, err)
		}
	})
}

// TestTCActionsCompared: a u32 filter with a police and a gact action:
// after the commit a second plan is empty (the index, counts, times and
// rate table the kernel adds do not count); a new police rate, or a new
// gact verdict, is one replace of the filter, which tc shows. The kernel
// needs act_police and act_gact (the guest's; not this host's).
func TestTCActionsCompared(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		// The probe binds each action to a filter on a veth of its own
		// (nstest.HaveTC): `tc actions add` needs CAP_NET_ADMIN in the
		// initial user namespace, which the non-root run has not.
		ns.NeedTC(t, "action", "police", "rate", "1mbit", "burst", "10k") // CONFIG_NET_ACT_POLICE
		ns.NeedTC(t, "action", "gact", "drop")                            // CONFIG_NET_ACT_GACT
		db, c := setup(t, ns)
		mk := func(rate uint64, verdict int32) *Txn {
			return New(db, c, nil).Filter(FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 4, Protocol: unix.ETH_P_IP, Handle: 0x80100001,
				Options: &netlink.U32{ClassID: h(1, 0x10), Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{Mask: 0xffffff00, Val: 0xcb007100, Off: 16}}},
					Actions: netlink.TCActions{
						{Options: &netlink.Police{Rate: rate, Burst: netlink.TCXmitTime(rate, 10240), Action: netlink.TCActShot, Conform: netlink.Ptr(netlink.TCActPipe)}},
						{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: verdict}}},
					}}})
		}
		if err := mk(mbit(1), netlink.TCActShot).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		for _, want := range []string{"police", "rate 1Mbit burst 10Kb", "gact action drop"} {
			if !strings.Contains(f, want) {
				t.Errorf("tc filter show lacks %q:\n%s", want, f)
			}
		}
		checkTCOracle(t, ns, db)
		if again, err := mk(mbit(1), netlink.TCActShot).Plan(); err != nil || !again.Empty() {
			t.Fatalf("plan again: %v %v", again, err)
		}
		for _, c := range []struct {
			rate    uint64
			verdict int32
			change  string
			tcShows string
		}{
			{mbit(2), netlink.TCActShot, "conform-exceed drop/pipe action gact drop] -> [action police rate 2Mbit burst 10Kb", "rate 2Mbit burst 10Kb"},
			{mbit(2), netlink.TCActOK, "action gact drop] -> [action police rate 2Mbit burst 10Kb conform-exceed drop/pipe action gact pass]", "gact action pass"},
		} {
			plan, err := mk(c.rate, c.verdict).Plan()
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Steps) != 1 || plan.Steps[0].Action != Modify || !strings.Contains(plan.String(), c.change) {
				t.Errorf("plan:\n%s\nwant one change with %q", plan, c.change)
			}
			if err := mk(c.rate, c.verdict).Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			if f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:"); !strings.Contains(f, c.tcShows) {
				t.Errorf("tc filter show lacks %q:\n%s", c.tcShows, f)
			}
			checkTCOracle(t, ns, db)
			if again, err := mk(c.rate, c.verdict).Plan(); err != nil || !again.Empty() {
				t.Errorf("plan again: %v %v", again, err)
			}
		}
	})
}

// TestTCQdiscNoChangeOp: htb has no change operation (the kernel
// refuses "Change operation not supported by specified qdisc"), so a
// new default class is planned as the qdisc's removal, which takes its
// classes and filters, and its creation; before, the plan held one
// change that failed at commit. The classes and leaf qdiscs a spec keeps
// are created again in the same transaction (before, an unchanged leaf
// qdisc was taken for one that stays, and lost: try12), and the options
// the spec leaves at zero (r2q, direct_qlen) are the old qdisc's.
func TestTCQdiscNoChangeOp(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		// The values the spec leaves at zero stay the qdisc's own.
		tc(t, ns, "qdisc", "del", "dev", "v0", "root")
		tc(t, ns, "qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb", "default", "10", "r2q", "7", "direct_qlen", "77")
		tc(t, ns, "class", "add", "dev", "v0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit")
		tc(t, ns, "qdisc", "add", "dev", "v0", "parent", "1:10", "handle", "10:", "pfifo", "limit", "30")
		db, c := setup(t, ns)
		tx := New(db, c, nil).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(1, 0), Options: &netlink.HTB{Default: 0x20}}).
			Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x20), Parent: h(1, 0), Options: &netlink.HTBClass{Rate: mbit(2)}}).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(0x20, 0), Parent: h(1, 0x20), Options: &netlink.Fifo{Kind: "pfifo", Limit: 30}}).
			Class(ClassSpec{Dev: "v0", ClassID: h(1, 0x10), Parent: h(1, 0), Options: &netlink.HTBClass{Rate: mbit(1)}}).
			Qdisc(QdiscSpec{Dev: "v0", Handle: h(0x10, 0), Parent: h(1, 0x10), Options: &netlink.Fifo{Kind: "pfifo", Limit: 30}})
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"(to add it again changed: htb has no change operation) (the kernel removes its 1 qdisc and 1 class with it)",
			"~ qdisc htb 1: dev v0 root default 0x20: default 0x10 -> 0x20", "+ class htb 1:20 dev v0 parent 1: rate 2Mbit", "+ qdisc pfifo 20: dev v0 parent 1:20 limit 30p",
			"+ class htb 1:10 dev v0 parent 1: rate 1Mbit", "+ qdisc pfifo 10: dev v0 parent 1:10 limit 30p"} {
			if !strings.Contains(plan.String(), w) {
				t.Errorf("plan lacks %q:\n%s", w, plan)
			}
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if q := tc(t, ns, "qdisc", "show", "dev", "v0"); !strings.Contains(q, "r2q 7 default 0x20 direct_packets_stat 0 direct_qlen 77") {
			t.Errorf("tc qdisc show:\n%s", q)
		}
		if cl := tc(t, ns, "class", "show", "dev", "v0"); strings.Count(cl, "class htb") != 2 || !strings.Contains(cl, "class htb 1:20 root") {
			t.Errorf("tc class show:\n%s", cl)
		}
		if q := tc(t, ns, "qdisc", "show", "dev", "v0"); !strings.Contains(q, "pfifo 10: parent 1:10 limit 30p") || !strings.Contains(q, "pfifo 20: parent 1:20 limit 30p") {
			t.Errorf("tc qdisc show, the leaf qdiscs:\n%s", q)
		}
		checkTCOracle(t, ns, db)
		if again, err := tx.Plan(); err != nil || !again.Empty() {
			t.Errorf("plan again: %v %v", again, err)
		}
	})
}

// TestTCFlowerMatchallChanged: the kernel refuses a flower replace whose
// keys or masks differ (fl_check_assign_mask: EINVAL) and any matchall
// replace (mall_change: EEXIST), so such changes are planned as the
// filter's removal and creation: a flower filter given another key, and
// a matchall filter given a classid, each commit, tc shows them, and a
// second plan is empty; a flower change of the actions alone stays one
// replace. The kernel needs cls_flower and cls_matchall (the guest's; not
// this host's).
func TestTCFlowerMatchallChanged(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		tcBase(t, ns)
		ns.NeedTC(t, "filter", "flower")
		ns.NeedTC(t, "filter", "matchall", "classid", "1:1") // 6.1 refuses one without options
		ns.NeedTC(t, "action", "gact", "drop")
		db, c := setup(t, ns)
		flower := func(port uint16, proto uint8, verdict int32) FilterSpec {
			return FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 5, Protocol: unix.ETH_P_IP, Handle: 1,
				Options: &netlink.Flower{EthType: unix.ETH_P_IP, IPProto: netlink.Ptr(proto), Dst: netip.MustParsePrefix("192.0.2.0/24"),
					DstPort: netlink.Ptr(port), Actions: netlink.TCActions{{Options: &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: verdict}}}}}}
		}
		matchall := func(class netlink.Handle) FilterSpec {
			return FilterSpec{Dev: "v0", Parent: h(1, 0), Priority: 6, Protocol: unix.ETH_P_ALL, Handle: 1,
				Options: &netlink.Matchall{ClassID: class, Flags: netlink.TCClsFlagsSkipHW}}
		}
		commit := func(removes int, specs ...FilterSpec) {
			t.Helper()
			tx := New(db, c, nil)
			for _, s := range specs {
				tx.Filter(s)
			}
			plan, err := tx.Plan()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, st := range plan.Steps {
				if st.Action == Remove {
					n++
				}
			}
			if n != removes {
				t.Errorf("plan has %d removals, want %d:\n%s", n, removes, plan)
			}
			if err := tx.Commit(context.Background()); err != nil {
				t.Fatalf("%v\n%s", err, plan)
			}
			checkTCOracle(t, ns, db)
			again := New(db, c, nil)
			for _, s := range specs {
				again.Filter(s)
			}
			if p, err := again.Plan(); err != nil || !p.Empty() {
				t.Errorf("plan again: %v %v", p, err)
			}
		}
		commit(0, flower(80, unix.IPPROTO_TCP, netlink.TCActShot), matchall(h(1, 0x10)))
		commit(0, flower(80, unix.IPPROTO_TCP, netlink.TCActOK))                        // the actions alone: one replace
		commit(2, flower(443, unix.IPPROTO_UDP, netlink.TCActOK), matchall(h(1, 0x20))) // each removed and added again
		f := tc(t, ns, "filter", "show", "dev", "v0", "parent", "1:")
		for _, w := range []string{"ip_proto udp", "dst_port 443", "gact action pass", "matchall", "flowid 1:20"} {
			if !strings.Contains(f, w) {
				t.Errorf("tc filter show lacks %q:\n%s", w, f)
			}
		}
	})
}

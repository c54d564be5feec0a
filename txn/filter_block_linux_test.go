package txn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// blockBase: veths va and vb with clsact qdiscs bound to shared block 22
// (ingress) and 33 (va's egress), and a bpf filter on block 22.
func blockBase(t *testing.T, ns *nstest.NS) {
	t.Helper()
	prepNS(t, ns)
	ns.Batch("link add va type veth peer name vb", "link set va up", "link set vb up")
	tc(t, ns, "qdisc", "add", "dev", "va", "ingress_block", "22", "egress_block", "33", "clsact")
	tc(t, ns, "qdisc", "add", "dev", "vb", "ingress_block", "22", "clsact")
	tc(t, ns, "filter", "add", "block", "22", "protocol", "all", "pref", "1", "handle", "1", "bpf", "bytecode", "1,6 0 0 0")
}

// blockState is what tc shows of blocks 22 and 33 and of the qdiscs.
func blockState(t *testing.T, ns *nstest.NS) string {
	return tc(t, ns, "-j", "qdisc", "show") + "\n" + tc(t, ns, "-j", "filter", "show", "block", "22") + "\n" +
		tc(t, ns, "-j", "filter", "show", "block", "33")
}

// TestTCBlockFilters: filters of shared blocks named by their block
// (tc filter add block 22): a change, a creation and a removal (with no
// kind) planned in tc's words and committed, tc and the database agree,
// a second plan is empty; a failure after a block's filter was changed
// rolls the block back (found by try7: the state file could not name
// them, and a spec by dev and parent failed at commit).
func TestTCBlockFilters(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		blockBase(t, ns)
		db, c := setup(t, ns)
		mk := func(cfg *Config) *Txn {
			return New(db, c, cfg).
				Filter(FilterSpec{Block: 22, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
					Options: &netlink.BPFFilter{Ops: []netlink.BPFInstruction{{Code: 6, K: 0xffff}}}}).
				Filter(FilterSpec{Block: 33, Priority: 2, Protocol: unix.ETH_P_IP, Handle: 0x80000800,
					Options: u32Dst(0xc0000200, 0xffffff00, 0)})
		}
		before := blockState(t, ns)
		inject := func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindFilter && strings.Contains(o.String(), "block 33") && o.Action == Create {
				return failingTC(o)
			}
			return req
		}
		var ce *CommitError
		if err := mk(&Config{inject: inject}).Commit(context.Background()); !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, blockState, before)

		tx := mk(nil)
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"~ filter block 22 protocol all pref 1 chain 0 handle 0x1 bpf bytecode '1,6 0 0 65535': bytecode '1,6 0 0 0' -> bytecode '1,6 0 0 65535'",
			"+ filter block 33 protocol ip pref 2 chain 0 handle 800::800 u32 match ip dst 192.0.2.0/24",
		} {
			if !strings.Contains(plan.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, plan)
			}
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "block", "22"); !strings.Contains(f, "bytecode '1,6 0 0 65535'") && !strings.Contains(f, "6 0 0 65535") {
			t.Errorf("block 22 after commit:\n%s", f)
		}
		if f := tc(t, ns, "filter", "show", "block", "33"); !strings.Contains(f, "fh 800::800") || !strings.Contains(f, "c0000200/ffffff00 at 16") {
			t.Errorf("block 33 after commit:\n%s", f)
		}
		checkTCOracle(t, ns, db)
		if p, err := mk(nil).Plan(); err != nil || !p.Empty() {
			t.Errorf("second plan: %v\n%s", err, p)
		}

		// Absent, without a kind (no part of the identity).
		tx = New(db, c, nil).Filter(FilterSpec{Block: 33, Priority: 2, Protocol: unix.ETH_P_IP, Handle: 0x80000800, Absent: true})
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "block", "33"); strings.Contains(f, "800::800") {
			t.Errorf("block 33 keeps the absent filter:\n%s", f)
		}
		if p, err := New(db, c, nil).Filter(FilterSpec{Block: 33, Priority: 2, Protocol: unix.ETH_P_IP, Handle: 0x80000800, Absent: true}).Plan(); err != nil || !p.Empty() {
			t.Errorf("absent again: %v\n%s", err, p)
		}
		checkTCOracle(t, ns, db)
	})
}

// TestTCBlockFiltersInvalid: a spec naming a link whose qdisc is bound
// to a shared block is refused at Plan, pointing to the block (the
// kernel refuses it: "This filter block is shared"), absent too; a
// block no qdisc binds, or one whose last bound qdisc the transaction
// removes, takes no filter; a block spec takes no dev or parent.
func TestTCBlockFiltersInvalid(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		blockBase(t, ns)
		db, c := setup(t, ns)
		before := blockState(t, ns)
		bpf := &netlink.BPFFilter{Ops: bpf0}
		for name, c := range map[string]struct {
			tx   *Txn
			want string
		}{
			"dev of a bound ingress": {New(db, c, nil).Filter(FilterSpec{Dev: "va", Parent: netlink.HandleIngressBlock, Priority: 1,
				Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}), "bound to shared block 22"},
			"dev of a bound egress, absent": {New(db, c, nil).Filter(FilterSpec{Dev: "va", Parent: netlink.HandleEgressBlock, Priority: 1,
				Protocol: unix.ETH_P_ALL, Handle: 1, Absent: true}), "bound to shared block 33"},
			"unbound block": {New(db, c, nil).Filter(FilterSpec{Block: 44, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}),
				"no qdisc is bound to shared block 44"},
			"block unbound by the txn": {New(db, c, nil).Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Kind: "clsact", Absent: true}).
				Filter(FilterSpec{Block: 33, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}),
				"no qdisc is bound to shared block 33"},
			"block and dev": {New(db, c, nil).Filter(FilterSpec{Block: 22, Dev: "va", Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}),
				"named by its block alone"},
		} {
			_, err := c.tx.Plan()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: got %v, want ErrInvalid with %q", name, err, c.want)
			}
		}
		// The block's filters go with its last binding: an absent spec
		// has nothing more to do.
		p, err := New(db, c, nil).Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Kind: "clsact", Absent: true}).
			Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Kind: "clsact", Absent: true}).
			Filter(FilterSpec{Block: 22, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Absent: true}).Plan()
		if err != nil || len(p.Steps) != 2 {
			t.Errorf("unbinding both: %v\n%s", err, p)
		}
		checkRestored(t, ns, blockState, before)
	})
}

// TestTCFilterParentKind: egress is clsact's block only (on a plain
// ingress qdisc the kernel puts the filter on the ingress block, and the
// transaction never converged: try7), ingress needs ingress or clsact,
// and clsact takes no ffff:; each refused at Plan, as a missing qdisc.
func TestTCFilterParentKind(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		tc(t, ns, "qdisc", "add", "dev", "v0", "ingress")
		tc(t, ns, "qdisc", "add", "dev", "v1", "clsact")
		db, c := setup(t, ns)
		bpf := &netlink.BPFFilter{Ops: bpf0}
		spec := func(dev string, parent netlink.Handle) FilterSpec {
			return FilterSpec{Dev: dev, Parent: parent, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}
		}
		for name, c := range map[string]struct {
			tx   *Txn
			want string
		}{
			"egress on ingress":       {New(db, c, nil).Filter(spec("v0", netlink.HandleEgressBlock)), "egress is a clsact qdisc's block"},
			"ffff: on clsact":         {New(db, c, nil).Filter(spec("v1", h(0xffff, 0))), "a clsact qdisc's filters hang at ingress"},
			"ingress, clsact removed": {New(db, c, nil).Qdisc(QdiscSpec{Dev: "v1", Parent: netlink.HandleIngress, Kind: "clsact", Absent: true}).Filter(spec("v1", netlink.HandleIngressBlock)), "no qdisc ffff: on v1"},
			"egress, ingress by txn":  {New(db, c, nil).Qdisc(QdiscSpec{Dev: "v1", Parent: netlink.HandleIngress, Kind: "ingress"}).Filter(spec("v1", netlink.HandleEgressBlock)), "egress is a clsact qdisc's block"},
		} {
			_, err := c.tx.Plan()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: got %v, want ErrInvalid with %q", name, err, c.want)
			}
		}
		// What fits plans and commits: ingress on ingress, ffff: on
		// ingress, egress on clsact.
		tx := New(db, c, nil).Filter(spec("v0", netlink.HandleIngressBlock)).Filter(spec("v1", netlink.HandleEgressBlock))
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p, err := New(db, c, nil).Filter(spec("v0", h(0xffff, 0))).Filter(spec("v1", netlink.HandleEgressBlock)).Plan(); err != nil || !p.Empty() {
			t.Errorf("second plan: %v\n%s", err, p)
		}
		checkTCOracle(t, ns, db)
	})
}

// TestTCQdiscBlocks: qdiscs bound to a shared block by the transaction
// (QdiscSpec.IngressBlock, EgressBlock) with the block's filter in the
// same commit; a second plan is empty; a failed transaction that removed
// both bound qdiscs (and so the block with its filter) brings them back
// bound, with the filter; another block is the qdisc's removal and
// creation.
func TestTCQdiscBlocks(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link add va type veth peer name vb", "link set va up", "link set vb up", "link add vc type veth peer name vd")
		tc(t, ns, "qdisc", "add", "dev", "vc", "ingress")
		db, c := setup(t, ns)
		bpf := &netlink.BPFFilter{Ops: bpf0}
		mk := func() *Txn {
			return New(db, c, nil).
				Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Kind: "clsact", IngressBlock: 22, EgressBlock: 33}).
				Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Kind: "ingress", IngressBlock: 22}).
				Filter(FilterSpec{Block: 22, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf})
		}
		tx := mk()
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "+ qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33"; !strings.Contains(plan.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if q := tc(t, ns, "qdisc", "show", "dev", "va"); !strings.Contains(q, "ingress_block 22 egress_block 33") {
			t.Errorf("tc qdisc show dev va:\n%s", q)
		}
		if q := tc(t, ns, "qdisc", "show", "dev", "vb"); !strings.Contains(q, "ingress_block 22") {
			t.Errorf("tc qdisc show dev vb:\n%s", q)
		}
		if f := tc(t, ns, "filter", "show", "block", "22"); !strings.Contains(f, "handle 0x1") {
			t.Errorf("tc filter show block 22:\n%s", f)
		}
		checkTCOracle(t, ns, db)
		if p, err := mk().Plan(); err != nil || !p.Empty() {
			t.Errorf("second plan: %v\n%s", err, p)
		}

		before := blockState(t, ns)
		inject := func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindFilter && strings.Contains(o.String(), "dev vc") {
				return failingTC(o)
			}
			return req
		}
		var ce *CommitError
		err = New(db, c, &Config{inject: inject}).
			Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Absent: true}).
			Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Absent: true}).
			Filter(FilterSpec{Dev: "vc", Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: bpf}).
			Commit(context.Background())
		if !errors.As(err, &ce) || !ce.RolledBack {
			t.Fatalf("got %v, want a rolled back *CommitError", err)
		}
		checkRestored(t, ns, blockState, before)

		plan, err = New(db, c, nil).Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Kind: "ingress", IngressBlock: 44}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "- qdisc ingress ffff: dev vb ingress ingress_block 22 (to add it again bound to other blocks"; !strings.Contains(plan.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
		if want := "blocks ingress_block 22 -> ingress_block 44"; !strings.Contains(plan.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
		// va still holds block 22: only its own block 33 dies with it.
		if strings.Contains(plan.String(), "destroys") {
			t.Errorf("plan destroys a block va still holds:\n%s", plan)
		}
		// The plan says which shared blocks die with their last binding.
		plan, err = New(db, c, nil).Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Absent: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "- qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33 (the kernel destroys shared block 33: no qdisc stays bound to it)\n"; plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		plan, err = New(db, c, nil).Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Absent: true}).
			Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Absent: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		// Block 22 dies at vb's step, the last that unbinds it, and only
		// there (try10 found both lines saying so).
		if want := "- qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33 (the kernel destroys shared block 33: no qdisc stays bound to it)\n" +
			"- qdisc ingress ffff: dev vb ingress ingress_block 22 (the kernel destroys shared block 22 with its 1 filter: no qdisc stays bound to it)\n"; plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		plan, err = New(db, c, nil).Qdisc(QdiscSpec{Dev: "vb", Parent: netlink.HandleIngress, Absent: true}).
			Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Absent: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "- qdisc ingress ffff: dev vb ingress ingress_block 22\n" +
			"- qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33 (the kernel destroys shared block 22 with its 1 filter and shared block 33: no qdisc stays bound to them)\n"; plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		// A link's deletion takes its qdiscs and their bindings.
		plan, err = New(db, c, nil).Link(LinkSpec{Name: "va", Absent: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "- link va (and with it its veth peer vb) (the kernel destroys shared block 22 with its 1 filter and shared block 33: no qdisc stays bound to them)\n"; plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		// vb's qdisc goes first; the link's deletion ends the bindings.
		plan, err = New(db, c, nil).Link(LinkSpec{Name: "vc", Absent: true}).
			Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Absent: true}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "- qdisc clsact ffff: dev va ingress ingress_block 22 egress_block 33 (the kernel destroys shared block 33: no qdisc stays bound to it)\n" +
			"- link vc (and with it its veth peer vd)\n"; plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
	})
}

// TestTCBlockRebound: the only qdisc bound to block 22 is replaced by
// one of another kind bound to 22 again: the kernel destroys the block
// with its filter in between, so the block's filter spec is a creation,
// and the commit converges.
func TestTCBlockRebound(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		prepNS(t, ns)
		ns.Batch("link add va type veth peer name vb", "link set va up", "link set vb up")
		tc(t, ns, "qdisc", "add", "dev", "va", "ingress_block", "22", "ingress")
		tc(t, ns, "filter", "add", "block", "22", "protocol", "all", "pref", "1", "handle", "1", "bpf", "bytecode", "1,6 0 0 0")
		db, c := setup(t, ns)
		mk := func() *Txn {
			return New(db, c, nil).
				Qdisc(QdiscSpec{Dev: "va", Parent: netlink.HandleIngress, Kind: "clsact", IngressBlock: 22}).
				Filter(FilterSpec{Block: 22, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: &netlink.BPFFilter{Ops: bpf0}})
		}
		tx := mk()
		plan, err := tx.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := "+ filter block 22 protocol all pref 1 chain 0 handle 0x1 bpf"; !strings.Contains(plan.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f := tc(t, ns, "filter", "show", "block", "22"); !strings.Contains(f, "handle 0x1") {
			t.Errorf("tc filter show block 22:\n%s", f)
		}
		if p, err := mk().Plan(); err != nil || !p.Empty() {
			t.Errorf("second plan: %v\n%s", err, p)
		}
	})
}

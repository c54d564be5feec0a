package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// ebpfSetup loads two eBPF programs of type typ (a and b, with their
// descriptors) and makes, in ns, veths v0 and v1, up, with a clsact
// qdisc on v0, and the database and connection of the transactions.
func ebpfSetup(t *testing.T, ns *nstest.NS, typ uint32) (fdA, fdB int, a, b bpfprog.Info, db *ipdb.DB, c *netlink.Conn) {
	t.Helper()
	fdA = nstest.LoadTCProg(t, typ, "ipdb_a")
	fdB = nstest.LoadTCProg(t, typ, "ipdb_b")
	for _, x := range []struct {
		fd int
		p  *bpfprog.Info
	}{{fdA, &a}, {fdB, &b}} {
		p, err := bpfprog.ByFD(x.fd)
		if err != nil {
			t.Fatal(err)
		}
		*x.p = p
	}
	prepNS(t, ns)
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
	tc(t, ns, "qdisc", "add", "dev", "v0", "clsact")
	db, c = setup(t, ns)
	return fdA, fdB, a, b, db, c
}

// tcFilterProgIDs returns the program id tc shows for each filter with a
// handle at dev's parent (a filter's "prog", or its first action's).
func tcFilterProgIDs(t *testing.T, ns *nstest.NS, dev, parent string) []uint32 {
	t.Helper()
	var fs []struct {
		Options *struct {
			Prog *struct {
				ID uint32 `json:"id"`
			} `json:"prog"`
			Actions []struct {
				Prog *struct {
					ID uint32 `json:"id"`
				} `json:"prog"`
			} `json:"actions"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(tc(t, ns, "-j", "filter", "show", "dev", dev, parent)), &fs); err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for _, f := range fs {
		switch {
		case f.Options == nil:
		case f.Options.Prog != nil:
			ids = append(ids, f.Options.Prog.ID)
		case len(f.Options.Actions) > 0 && f.Options.Actions[0].Prog != nil:
			ids = append(ids, f.Options.Actions[0].Prog.ID)
		}
	}
	return ids
}

// noCachedFDs fails the test if a filter or bpf action the database
// holds has a program descriptor: the kernel never reports one, so one
// there was written by the transaction into an object it shares.
func noCachedFDs(t *testing.T, db *ipdb.DB) {
	t.Helper()
	for f := range db.Snapshot().Filters() {
		if b, ok := f.Options.(*netlink.BPFFilter); ok && b.FD != 0 {
			t.Errorf("the database's filter %v has fd %d", f, b.FD)
		}
		acts, _ := filterActions(f.Options)
		for _, a := range acts {
			if ab, ok := a.Options.(*netlink.ActBPF); ok && ab.FD != 0 {
				t.Errorf("the database's filter %v has an action with fd %d", f, ab.FD)
			}
		}
	}
}

// removeRolledBack removes the filter dev v0 ingress pref 1 handle 1 in a
// transaction that fails after it, and checks that the rollback puts it
// back as tc showed it, program ids included, without writing a
// descriptor into the database's objects.
func removeRolledBack(t *testing.T, ns *nstest.NS, db *ipdb.DB, c *netlink.Conn) {
	t.Helper()
	before := tcState(t, ns)
	var ce *CommitError
	err := New(db, c, &Config{inject: failKind(netlink.KindQdisc, failingTC)}).
		Filter(FilterSpec{Dev: "v0", Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Absent: true}).
		Qdisc(QdiscSpec{Dev: "v1", Parent: netlink.HandleIngress, Kind: "clsact"}).
		Commit(context.Background())
	if !errors.As(err, &ce) || !ce.RolledBack {
		t.Fatalf("got %v, want a rolled back *CommitError", err)
	}
	checkRestored(t, ns, tcState, before)
	noCachedFDs(t, db)
}

// TestTCFilterEBPFProgram: a filter spec's eBPF program, given by
// descriptor, counts by the id of the program the descriptor refers to,
// which is what the kernel reports: the same program is no change, a new
// program under the same name is one (before, the descriptor was not
// compared at all, and a reloaded program was never attached), classic
// bytecode replacing it names the program it replaces, a rollback puts
// the removed program back by its id, and a descriptor bpf(2) does not
// know is refused at plan with nothing changed.
func TestTCFilterEBPFProgram(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		fdA, fdB, a, b, db, c := ebpfSetup(t, ns, unix.BPF_PROG_TYPE_SCHED_CLS)
		ctx := context.Background()
		spec := func(o netlink.FilterOptions) FilterSpec {
			return FilterSpec{Dev: "v0", Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, Options: o}
		}
		ebpf := func(fd int) *netlink.BPFFilter {
			return &netlink.BPFFilter{FD: uint32(fd), Name: "cls", DirectAction: true}
		}
		expectProg := func(what string, want uint32) {
			t.Helper()
			if ids := tcFilterProgIDs(t, ns, "v0", "ingress"); len(ids) != 1 || ids[0] != want {
				t.Errorf("%s: tc shows programs %v, want [%d]", what, ids, want)
			}
		}
		plan, err := New(db, c, nil).Filter(spec(ebpf(fdA))).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("+ filter dev v0 ingress protocol all pref 1 chain 0 handle 0x1 bpf name cls id %d direct-action\n", a.ID); plan.String() != want {
			t.Errorf("plan:\n%s\nwant:\n%s", plan, want)
		}
		if err := New(db, c, nil).Filter(spec(ebpf(fdA))).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		expectProg("program a", a.ID)
		if p, err := New(db, c, nil).Filter(spec(ebpf(fdA))).Plan(); err != nil || !p.Empty() {
			t.Errorf("the same program again: %v\n%s", err, p)
		}

		// Another program under the same name.
		plan, err = New(db, c, nil).Filter(spec(ebpf(fdB))).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(": name cls id %d -> name cls id %d\n", a.ID, b.ID); !strings.HasSuffix(plan.String(), want) || len(plan.Steps) != 1 {
			t.Errorf("plan:\n%s\nwant one step ending %q", plan, want)
		}
		if err := New(db, c, nil).Filter(spec(ebpf(fdB))).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		expectProg("program b", b.ID)
		if p, err := New(db, c, nil).Filter(spec(ebpf(fdB))).Plan(); err != nil || !p.Empty() {
			t.Errorf("program b again: %v\n%s", err, p)
		}
		checkTCOracle(t, ns, db)

		// A rollback puts the removed program back by its id.
		removeRolledBack(t, ns, db, c)
		expectProg("after the rollback", b.ID)

		// Classic bytecode replaces the eBPF program: the plan names it.
		classic := &netlink.BPFFilter{Ops: bpf0, DirectAction: true}
		plan, err = New(db, c, nil).Filter(spec(classic)).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(": name cls id %d -> bytecode '1,6 0 0 0'", b.ID); !strings.Contains(plan.String(), want) {
			t.Errorf("plan:\n%s\nwant %q", plan, want)
		}

		// A descriptor that is no eBPF program: refused at plan.
		f, err := os.Open("/dev/null")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		before := tcState(t, ns)
		err = New(db, c, nil).Filter(spec(ebpf(int(f.Fd())))).Commit(ctx)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("eBPF program fd %d: bpf(2) BPF_OBJ_GET_INFO_BY_FD: ", f.Fd())) {
			t.Errorf("a descriptor of /dev/null: %v", err)
		}
		if after := tcState(t, ns); after != before {
			t.Errorf("a refused spec changed the namespace:\n%s", diffLines(before, after))
		}

		// A program of another type (an action's as a filter): refused at
		// plan, as the kernel would at commit (try11).
		act := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_ACT, "ipdb_act")
		err = New(db, c, nil).Filter(spec(ebpf(act))).Commit(ctx)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "name ipdb_act id ") ||
			!strings.Contains(err.Error(), ") is of type sched_act; a bpf filter takes sched_cls") {
			t.Errorf("an action's program as a filter: %v", err)
		}
		if after := tcState(t, ns); after != before {
			t.Errorf("a refused program type changed the namespace:\n%s", diffLines(before, after))
		}
	})
}

// TestTCActionEBPFProgram: a bpf action's eBPF program counts by its id
// as a filter's does (TestTCFilterEBPFProgram), and a rollback puts it
// back. The host lacks act_bpf; the guest (.ci/vm/run.sh) runs it.
func TestTCActionEBPFProgram(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "action", "bpf", "bytecode", "1,6 0 0 0")
		fdA, fdB, a, b, db, c := ebpfSetup(t, ns, unix.BPF_PROG_TYPE_SCHED_ACT)
		ctx := context.Background()
		spec := func(fd int) FilterSpec {
			return FilterSpec{Dev: "v0", Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
				Options: &netlink.BPFFilter{Ops: bpf0, Actions: netlink.TCActions{{Kind: "bpf",
					Options: &netlink.ActBPF{FD: fd, Name: "act", TCActionGen: netlink.TCActionGen{Action: netlink.TCActPipe}}}}}}
		}
		if err := New(db, c, nil).Filter(spec(fdA)).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if ids := tcFilterProgIDs(t, ns, "v0", "ingress"); len(ids) != 1 || ids[0] != a.ID {
			t.Errorf("tc shows action programs %v, want [%d]", ids, a.ID)
		}
		if p, err := New(db, c, nil).Filter(spec(fdA)).Plan(); err != nil || !p.Empty() {
			t.Errorf("the same program again: %v\n%s", err, p)
		}
		plan, err := New(db, c, nil).Filter(spec(fdB)).Plan()
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("actions [action bpf name act id %d pipe] -> [action bpf name act id %d pipe]", a.ID, b.ID); !strings.Contains(plan.String(), want) {
			t.Errorf("plan:\n%s\nwant %q", plan, want)
		}
		if err := New(db, c, nil).Filter(spec(fdB)).Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if ids := tcFilterProgIDs(t, ns, "v0", "ingress"); len(ids) != 1 || ids[0] != b.ID {
			t.Errorf("tc shows action programs %v, want [%d]", ids, b.ID)
		}
		checkTCOracle(t, ns, db)
		removeRolledBack(t, ns, db, c)
		if ids := tcFilterProgIDs(t, ns, "v0", "ingress"); len(ids) != 1 || ids[0] != b.ID {
			t.Errorf("after the rollback, tc shows action programs %v, want [%d]", ids, b.ID)
		}
		// A classifier's program as an action: refused at plan.
		cls := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_cls")
		if _, err := New(db, c, nil).Filter(spec(cls)).Plan(); !errors.Is(err, ErrInvalid) ||
			!strings.Contains(err.Error(), ") is of type sched_cls; a bpf action takes sched_act") {
			t.Errorf("a classifier's program as an action: %v", err)
		}
	})
}

package txn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestMoveRenamesInOneRequest checks the kernel facts Multi's moves rest
// on. One RTM_NEWLINK with IFLA_NET_NS_FD and IFLA_IFNAME moves a link and
// renames it. __dev_change_net_namespace (net/core/dev.c) uses the name
// only as the pattern for a link whose current name is taken in the
// destination; otherwise the link arrives under its old name, and
// do_setlink (net/core/rtnetlink.c) renames it afterwards, so the
// destination announces the old name first. When the new name is taken
// in the destination and the old one is not, the link moves and the
// rename then fails: the request returns EEXIST with the link in the
// destination under its old name (the rollback's undoMoves looks there).
func TestMoveRenamesInOneRequest(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		prepNS(t, a)
		prepNS(t, b)
		a.Batch("link add h0 type veth peer name t0", "link add h1 type veth peer name t1", "link add h2 type veth peer name t2")
		b.Batch("link add t2 type veth peer name t2p")
		dbB, _ := setup(t, b)
		_, connA := setup(t, a)
		f, err := os.Open(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ctx := context.Background()
		// move moves link name of a into b as as, and returns the names
		// b announced for it, in order.
		move := func(name, as string) ([]string, error) {
			t.Helper()
			rev := dbB.Snapshot().Revision()
			l, err := connA.LinkByName(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			err = connA.Do(ctx, netlink.LinkRequest(netlink.Set, &netlink.Link{Index: l.Index, NetNSFD: int(f.Fd()), Name: as}))
			if err := dbB.Resync(ctx); err != nil {
				t.Fatal(err)
			}
			changes, _, _, cerr := dbB.ChangesSince(rev, 0)
			if cerr != nil {
				t.Fatal(cerr)
			}
			var names []string
			for _, c := range changes {
				if l, ok := c.New.(*netlink.Link); ok && l != nil && (len(names) == 0 || names[len(names)-1] != l.Name) {
					names = append(names, l.Name)
				}
			}
			return names, err
		}
		names, err := move("t0", "eth0")
		if err != nil {
			t.Fatalf("move t0 as eth0: %v", err)
		}
		if want := []string{"t0", "eth0"}; !slices.Equal(names, want) {
			t.Errorf("move t0 as eth0 into a namespace without either: the destination announced %q, want %q", names, want)
		}
		names, err = move("t2", "eth2")
		if err != nil {
			t.Fatalf("move t2 as eth2: %v", err)
		}
		if want := []string{"eth2"}; !slices.Equal(names, want) {
			t.Errorf("move t2 as eth2 into a namespace with a t2: the destination announced %q, want %q", names, want)
		}
		for _, n := range []string{"t0", "t2"} {
			if _, err := a.IPErr("link", "show", n); err == nil {
				t.Errorf("%s is still in the source", n)
			}
		}
		if out := b.IP("-o", "link", "show", "eth0"); !strings.Contains(out, "eth0@") {
			t.Errorf("destination: %q", out)
		}
		// The new name is taken in the destination, the old one not: the
		// link moves, the rename fails.
		_, err = move("t1", "eth0")
		if !errors.Is(err, unix.EEXIST) {
			t.Fatalf("move t1 as eth0 onto an existing eth0: %v, want EEXIST", err)
		}
		if _, err := a.IPErr("link", "show", "t1"); err == nil {
			t.Errorf("t1 is still in the source after the refused rename")
		}
		if _, err := b.IPErr("link", "show", "t1"); err != nil {
			t.Errorf("t1 is not in the destination under its old name: %v", err)
		}
	})
}

// cniEnv is a host and a pod namespace, each with a DB and a Conn.
type cniEnv struct {
	host, pod       *nstest.NS
	hostDB, podDB   *ipdb.DB
	hostC, podC     *netlink.Conn
	hostCfg, podCfg *Config
}

// newCNIEnv makes the two namespaces: the host with an uplink of its
// own (which the transactions must leave alone), the pod empty.
func newCNIEnv(t *testing.T, host *nstest.NS) *cniEnv {
	pod := nstest.New(t)
	prepNS(t, host)
	prepNS(t, pod)
	host.Batch("link set lo up", "link add up0 type veth peer name up1", "link set up0 up", "link set up1 up",
		"addr add 203.0.113.1/24 dev up0", "route add 198.51.100.128/25 via 203.0.113.2")
	pod.Batch("link set lo up")
	e := &cniEnv{host: host, pod: pod}
	e.hostDB, e.hostC = setup(t, host)
	e.podDB, e.podC = setup(t, pod)
	e.hostCfg = &Config{NetNS: host.Path}
	e.podCfg = &Config{NetNS: pod.Path}
	return e
}

// settle makes both databases show what the kernel has now (a prepare
// made it with ip, and a plan does not wait for the cache): the plan of
// a move of a link the host has just made found no such link.
func (e *cniEnv) settle(t *testing.T) {
	t.Helper()
	for _, db := range []*ipdb.DB{e.hostDB, e.podDB} {
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *cniEnv) multi() *Multi {
	m := NewMulti()
	m.Namespace("host", e.hostDB, e.hostC, e.hostCfg)
	m.Namespace("pod", e.podDB, e.podC, e.podCfg)
	return m
}

var (
	cniHostPrefix = netip.MustParsePrefix("192.0.2.1/24")
	cniPodPrefix  = netip.MustParsePrefix("192.0.2.2/24")
	cniPod6       = netip.MustParsePrefix("2001:db8:1::2/64")
	cniPodNet     = netip.MustParsePrefix("198.51.100.0/26")
)

// cniAdd is the CNI ADD flow: a veth pair in the host, its end tmp0 moved
// into the pod as eth0, addresses and routes on both sides, both up.
func cniAdd(m *Multi) *Multi {
	host, pod := m.Txn("host"), m.Txn("pod")
	host.Link(LinkSpec{Name: "veth0h", Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "tmp0"}}},
		Up: bptr(true)})
	host.Addr(AddrSpec{Link: "veth0h", Prefix: cniHostPrefix})
	host.Route(RouteSpec{Dst: cniPodNet, Gateway: cniPodPrefix.Addr(), Dev: "veth0h"})
	m.Move(Move{From: "host", Link: "tmp0", To: "pod", Name: "eth0"})
	pod.Link(LinkSpec{Name: "eth0", Up: bptr(true)})
	pod.Addr(AddrSpec{Link: "eth0", Prefix: cniPodPrefix})
	pod.Addr(AddrSpec{Link: "eth0", Prefix: cniPod6})
	pod.Route(RouteSpec{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: cniHostPrefix.Addr(), Dev: "eth0"})
	return m
}

// cniDel is the CNI DEL flow: the host end's route and address removed,
// then the pod end deleted (and with it the host end).
func cniDel(m *Multi) *Multi {
	host, pod := m.Txn("host"), m.Txn("pod")
	host.Route(RouteSpec{Dst: cniPodNet, Absent: true})
	host.Addr(AddrSpec{Link: "veth0h", Prefix: cniHostPrefix, Absent: true})
	pod.Link(LinkSpec{Name: "eth0", Absent: true})
	return m
}

// states returns ip -j of both namespaces, once a veth's carrier has
// settled (it comes up asynchronously after both ends are up).
func (e *cniEnv) states(t *testing.T) (string, string) {
	t.Helper()
	for _, ns := range []*nstest.NS{e.host, e.pod} {
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end) &&
			strings.Contains(ns.IP("-o", "link", "show", "up", "type", "veth"), "NO-CARRIER"); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ipState(t, e.host), ipState(t, e.pod)
}

// state is the states of both namespaces (states) as one, each line
// labelled with its namespace.
func (e *cniEnv) state(t *testing.T) string {
	t.Helper()
	h, p := e.states(t)
	return labelLines("host", h) + labelLines("pod", p)
}

// restored waits until both namespaces show the state before (state)
// again, reports what differs, and compares each DB with ip.
func (e *cniEnv) restored(t *testing.T, what string, before string) {
	t.Helper()
	waitRestored(t, what, before, func() string { return e.state(t) })
	e.oracle(t)
}

func (e *cniEnv) oracle(t *testing.T) {
	t.Helper()
	for _, x := range []struct {
		ns *nstest.NS
		db *ipdb.DB
	}{{e.host, e.hostDB}, {e.pod, e.podDB}} {
		// The DB follows the kernel asynchronously.
		if err := nstest.Eventually(5*time.Second, func() error { return compareOracle(x.ns, x.db) }); err != nil {
			t.Errorf("netns %s: %v", x.ns.Name, err)
		}
	}
}

func (e *cniEnv) checkAdded(t *testing.T) {
	t.Helper()
	if out := e.pod.IP("-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, cniPodPrefix.String()) || !strings.Contains(out, cniPod6.String()) {
		t.Errorf("pod eth0 addresses: %s", out)
	}
	if out := e.pod.IP("route", "show", "default"); !strings.Contains(out, "via 192.0.2.1 dev eth0") {
		t.Errorf("pod default route: %q", out)
	}
	if out := e.pod.IP("-o", "link", "show", "eth0"); !strings.Contains(out, ",UP") || !strings.Contains(out, "link-netns") && !strings.Contains(out, "link-netnsid") {
		t.Errorf("pod eth0: %q", out)
	}
	if out := e.host.IP("route", "show", cniPodNet.String()); !strings.Contains(out, "via 192.0.2.2 dev veth0h") {
		t.Errorf("host route to the pod: %q", out)
	}
	if _, err := e.host.IPErr("link", "show", "tmp0"); err == nil {
		t.Errorf("tmp0 is still in the host")
	}
	if _, err := e.pod.IPErr("link", "show", "tmp0"); err == nil {
		t.Errorf("tmp0 is in the pod under its old name")
	}
}

// planEmpty checks that a fresh Multi of the same specs plans nothing in
// either namespace.
func (e *cniEnv) planEmpty(t *testing.T, specs func(*Multi) *Multi) {
	t.Helper()
	p, err := specs(e.multi()).Plan()
	if err != nil {
		t.Fatalf("plan after commit: %v", err)
	}
	if !p.Empty() || len(p.Namespaces) != 2 {
		t.Errorf("plan after commit is not empty in both namespaces:\n%s", p)
	}
}

func TestMultiCNIAddDel(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		m := cniAdd(e.multi())
		p, err := m.Plan()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ADD plan:\n%s", p)
		if got := p.Of("pod").Steps[0].String(); got != "+ link eth0 from netns host (link tmp0)" {
			t.Errorf("the pod's first operation is %q", got)
		}
		if err := m.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		// One request per operation: the move and its rename are one.
		if n := len(p.Of("host").Steps) + len(p.Of("pod").Steps); m.Writes() != uint64(n) {
			t.Errorf("ADD sent %d requests for %d operations", m.Writes(), n)
		}
		e.checkAdded(t)
		e.oracle(t)
		e.planEmpty(t, cniAdd)

		m = cniDel(e.multi())
		if p, err = m.Plan(); err != nil {
			t.Fatal(err)
		}
		t.Logf("DEL plan:\n%s", p)
		if err := m.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			ns   *nstest.NS
			link string
		}{{e.host, "veth0h"}, {e.pod, "eth0"}} {
			if _, err := c.ns.IPErr("link", "show", c.link); err == nil {
				t.Errorf("%s is still there after DEL", c.link)
			}
		}
		if out := e.host.IP("route", "show", cniPodNet.String()); out != "" {
			t.Errorf("host route left after DEL: %q", out)
		}
		e.oracle(t)
		e.planEmpty(t, cniDel)
	})
}

func TestMultiCNIAddFaultEveryStep(t *testing.T) {
	faultEveryStep(t, cniFaults(func(*testing.T, *cniEnv) {}, cniAdd, true))
}

func TestMultiCNIDelFaultEveryStep(t *testing.T) {
	faultEveryStep(t, cniFaults(func(t *testing.T, e *cniEnv) {
		if err := cniAdd(e.multi()).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}, cniDel, true))
}

// compareOracle compares the DB's links, addresses, routes and rules with
// ip -j (internal/oracle's comparators).
func compareOracle(ns *nstest.NS, db *ipdb.DB) error {
	s := db.Snapshot()
	return errors.Join(
		oracle.CompareLinks(ns, slices.Collect(s.Links())),
		oracle.CompareAddrs(ns, slices.Collect(s.Addrs())),
		oracle.CompareRoutes(ns, slices.Collect(s.Routes())),
		oracle.CompareRules(ns, slices.Collect(s.Rules())),
	)
}

// moveExisting moves the host's existing link ex1 (with an address, up)
// into the pod as eth1 and configures it there.
func moveExisting(m *Multi) *Multi {
	m.Move(Move{From: "host", Link: "ex1", To: "pod", Name: "eth1"})
	pod := m.Txn("pod")
	pod.Link(LinkSpec{Name: "eth1", Up: bptr(true), MTU: u32(1400)})
	pod.Addr(AddrSpec{Link: "eth1", Prefix: netip.MustParsePrefix("198.51.100.66/26")})
	pod.Route(RouteSpec{Dst: netip.MustParsePrefix("203.0.113.128/25"), Gateway: netip.MustParseAddr("198.51.100.65"), Dev: "eth1"})
	return m
}

func withExisting(t *testing.T, e *cniEnv) {
	e.host.Batch("link add ex0 type veth peer name ex1", "link set ex1 mtu 1450", "link set ex1 up", "link set ex0 up",
		"addr add 198.51.100.193/26 dev ex1")
}

// TestMultiMoveExistingFaultEveryStep: a link that was in the host before
// moves into the pod; a fault at every step brings it back to the host
// under its old name, up, with its MTU and address.
func TestMultiMoveExistingFaultEveryStep(t *testing.T) {
	faultEveryStep(t, cniFaults(withExisting, moveExisting, false))
}

// TestMultiMoveRenameRefused: the move's rename is refused after the
// kernel has moved the link (the new name taken in the pod): the link is
// in the pod under its old name, and the rollback finds it there, for a
// link the transaction created (deleted) and for one that was in the
// host (moved back).
func TestMultiMoveRenameRefused(t *testing.T) {
	for _, c := range []struct {
		name    string
		prepare func(*testing.T, *cniEnv)
		specs   func(*Multi) *Multi
		link    string
	}{
		{"created", func(*testing.T, *cniEnv) {}, cniAdd, "tmp0"},
		{"existing", withExisting, moveExisting, "ex1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, host *nstest.NS) {
				e := newCNIEnv(t, host)
				c.prepare(t, e)
				e.settle(t)
				before := e.state(t)
				f, err := os.Open(e.pod.Path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cfg := *e.podCfg
				cfg.inject = func(i int, o *Step, req netlink.Request) netlink.Request {
					if o.netns == "" {
						return req
					}
					// The move, renaming to a name the pod has: "lo".
					l, err := e.hostC.LinkByName(context.Background(), c.link)
					if err != nil {
						t.Errorf("the link to move: %v", err)
						return req
					}
					return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: l.Index, NetNSFD: int(f.Fd()), Name: "lo"})
				}
				e.podCfg = &cfg
				err = c.specs(e.multi()).Commit(context.Background())
				var me *MultiCommitError
				if !errors.As(err, &me) || !errors.Is(err, unix.EEXIST) {
					t.Fatalf("error %v, want a *MultiCommitError with EEXIST", err)
				}
				if !me.RolledBack {
					t.Fatalf("not rolled back: %v", err)
				}
				e.restored(t, "refused rename", before)
			})
		})
	}
}

// TestMultiConflictPerNamespace: changes in both namespaces between Plan
// and Commit are reported for each namespace, and nothing is applied.
func TestMultiConflictPerNamespace(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		m := cniAdd(e.multi())
		if _, err := m.Plan(); err != nil {
			t.Fatal(err)
		}
		e.host.IP("route", "add", cniPodNet.String(), "dev", "up0")
		e.host.IP("link", "set", "up1", "mtu", "1400") // not looked at
		e.pod.IP("link", "add", "eth0", "type", "veth", "peer", "name", "other1")
		if err := nstest.Eventually(5*time.Second, func() error {
			return errors.Join(compareOracle(e.host, e.hostDB), compareOracle(e.pod, e.podDB))
		}); err != nil {
			t.Fatal(err)
		}
		before := e.state(t)
		writes := m.Writes()
		err := m.Commit(context.Background())
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
		t.Logf("%v", err)
		for _, ns := range []string{"netns host:", "netns pod:"} {
			if !strings.Contains(err.Error(), ns) {
				t.Errorf("the conflict does not name %q: %v", ns, err)
			}
		}
		if m.Writes() != writes {
			t.Errorf("a conflicting commit sent %d requests", m.Writes()-writes)
		}
		if after := e.state(t); after != before {
			t.Errorf("a conflicting commit changed the namespaces:\n%s", diffLines(before, after))
		}
	})
}

// TestMultiInvalid: bad namespaces and moves are refused with ErrInvalid
// before anything is sent.
func TestMultiInvalid(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		before := e.state(t)
		veth := &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: "tmp0"}}}
		for _, c := range []struct {
			name string
			m    func() *Multi
		}{
			{"namespace twice", func() *Multi { m := e.multi(); m.Namespace("host", e.hostDB, e.hostC, e.hostCfg); return m }},
			{"same path", func() *Multi {
				m := NewMulti()
				m.Namespace("a", e.hostDB, e.hostC, e.hostCfg)
				m.Namespace("b", e.podDB, e.podC, e.hostCfg)
				return m
			}},
			{"unknown source", func() *Multi { return e.multi().Move(Move{From: "nope", Link: "x", To: "pod"}) }},
			{"same namespace", func() *Multi { return e.multi().Move(Move{From: "pod", Link: "x", To: "pod"}) }},
			{"bad name", func() *Multi { return e.multi().Move(Move{From: "host", Link: "up1", To: "pod", Name: "a/b"}) }},
			{"loopback", func() *Multi { return e.multi().Move(Move{From: "host", Link: "lo", To: "pod"}) }},
			{"no such link", func() *Multi { return e.multi().Move(Move{From: "host", Link: "nope0", To: "pod"}) }},
			{"cycle", func() *Multi {
				return e.multi().Move(Move{From: "host", Link: "up1", To: "pod"}).Move(Move{From: "pod", Link: "lo2", To: "host"})
			}},
			{"twice", func() *Multi {
				return e.multi().Move(Move{From: "host", Link: "up1", To: "pod"}).Move(Move{From: "host", Link: "up1", To: "pod", Name: "x"})
			}},
			{"address in the source", func() *Multi {
				m := e.multi().Move(Move{From: "host", Link: "up1", To: "pod"})
				m.Txn("host").Addr(AddrSpec{Link: "up1", Prefix: cniHostPrefix})
				return m
			}},
			{"arrival created", func() *Multi {
				m := e.multi().Move(Move{From: "host", Link: "up1", To: "pod", Name: "eth0"})
				m.Txn("pod").Link(LinkSpec{Name: "eth0", Info: veth})
				return m
			}},
			{"deleted in the source", func() *Multi {
				m := e.multi().Move(Move{From: "host", Link: "up1", To: "pod"})
				m.Txn("host").Link(LinkSpec{Name: "up1", Absent: true})
				return m
			}},
		} {
			m := c.m()
			if _, err := m.Plan(); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: plan: %v, want ErrInvalid", c.name, err)
			}
			if err := m.Commit(context.Background()); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: commit: %v, want ErrInvalid", c.name, err)
			} else {
				t.Logf("%s: %v", c.name, err)
			}
			if m.Writes() != 0 {
				t.Errorf("%s: %d requests sent", c.name, m.Writes())
			}
		}
		if after := e.state(t); after != before {
			t.Errorf("invalid transactions changed the namespaces:\n%s", diffLines(before, after))
		}
	})
}

// TestMultiDelPodFirstRestoresPair: the pod commits first and deletes its
// end (the host end goes with it), then the host's own change fails. The
// rollback recreates the veth pair across the two namespaces with its
// names and indexes, and restores both ends' MAC addresses, addresses,
// routes and state: ip -j of both equals the state before.
func TestMultiDelPodFirstRestoresPair(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		if err := cniAdd(e.multi()).Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.host.IP("link", "set", "veth0h", "mtu", "1450")
		before := e.state(t)
		cfg := *e.hostCfg
		var failed *Step
		cfg.inject = func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindLink {
				failed = o
				return failing(o)
			}
			return req
		}
		m := NewMulti()
		m.Namespace("pod", e.podDB, e.podC, e.podCfg)
		m.Namespace("host", e.hostDB, e.hostC, &cfg)
		cniDel(m)
		m.Txn("host").Link(LinkSpec{Name: "up0", MTU: u32(1400)})
		err := m.Commit(context.Background())
		var me *MultiCommitError
		if !errors.As(err, &me) || failed == nil || me.Namespace != "host" || me.Step != failed.String() {
			t.Fatalf("got %v, want a failure at the host's link step", err)
		}
		if !me.RolledBack {
			t.Fatalf("not rolled back: %v", err)
		}
		t.Logf("%v", err)
		e.restored(t, "pair deleted by the pod, then a host fault", before)
	})
}

// TestRollbackCrossNamespaceVethSingle: a single-namespace Txn deletes a
// veth whose peer is in another namespace and then fails. Its rollback
// cannot recreate the pair (it knows one namespace only); it must say so
// rather than create a veth with a wrong peer in its own namespace.
func TestRollbackCrossNamespaceVethSingle(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		prepNS(t, a)
		prepNS(t, b)
		a.Batch("link set lo up", "link add x0 type veth peer name x1", "link set x1 netns "+b.Name)
		db, c := setup(t, a)
		before := ipState(t, a)
		tx := New(db, c, &Config{inject: failKind(netlink.KindRule, failing)})
		tx.Link(LinkSpec{Name: "x0", Absent: true})
		tx.Rule(RuleSpec{Rule: netlink.Rule{Priority: 2000, Table: 3000}})
		err := tx.Commit(context.Background())
		var ce *CommitError
		if !errors.As(err, &ce) {
			t.Fatalf("got %v, want a CommitError", err)
		}
		t.Logf("%v", err)
		if after := ipState(t, a); ce.RolledBack {
			t.Errorf("the rollback claims success; the namespace differs:\n%s", diffLines(before, after))
		}
		if !strings.Contains(strings.Join(ce.Left, "; "), "+ link x0") {
			t.Errorf("the rollback's left-overs do not name x0: %q", ce.Left)
		}
		if out := a.IP("-o", "link", "show", "type", "veth"); out != "" {
			t.Errorf("the rollback made a veth pair in one namespace: %s", out)
		}
	})
}

// TestMultiVerifyTimeoutRollsBack: every request of the ADD flow is
// acknowledged, but the pod's IPv6 address is swapped for a request
// that changes nothing, so the pod's database never shows the desired state: the
// verification times out and both namespaces are rolled back.
func TestMultiVerifyTimeoutRollsBack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		before := e.state(t)
		cfg := *e.podCfg
		cfg.VerifyTimeout = 500 * time.Millisecond
		cfg.inject = func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.String() == "+ addr "+cniPod6.String()+" dev eth0" {
				return netlink.LinkRequest(netlink.Set, &netlink.Link{Name: "lo", MTU: 65536})
			}
			return req
		}
		e.podCfg = &cfg
		err := cniAdd(e.multi()).Commit(context.Background())
		var me *MultiCommitError
		if !errors.As(err, &me) || me.Namespace != "pod" || !errors.Is(err, ErrVerify) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the pod's verification timeout", err)
		}
		if !me.RolledBack {
			t.Fatalf("not rolled back: %v", err)
		}
		t.Logf("%v", err)
		e.restored(t, "verification timeout in the pod", before)
	})
}

// TestMultiThreeNamespaces: one transaction wires two pods to the host;
// the second pod's default route fails, and all three namespaces are
// rolled back, the second pod first. Committed without the fault, a plan
// afterwards is empty in all three.
func TestMultiThreeNamespaces(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		pod2 := nstest.New(t)
		prepNS(t, pod2)
		pod2.Batch("link set lo up")
		db2, c2 := setup(t, pod2)
		build := func(cfg2 *Config) *Multi {
			m := NewMulti()
			h := m.Namespace("host", e.hostDB, e.hostC, e.hostCfg)
			m.Namespace("pod", e.podDB, e.podC, e.podCfg)
			m.Namespace("pod2", db2, c2, cfg2)
			// The pods come first among the namespaces: the moves put the
			// host before them.
			for i, pod := range []string{"pod", "pod2"} {
				hostEnd, tmp := fmt.Sprintf("veth%dh", i), fmt.Sprintf("tmp%d", i)
				h.Link(LinkSpec{Name: hostEnd, Up: bptr(true),
					Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: tmp}}}})
				h.Addr(AddrSpec{Link: hostEnd, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + 4*i)}), 30)})
				m.Move(Move{From: "host", Link: tmp, To: pod, Name: "eth0"})
				p := m.Txn(pod)
				p.Link(LinkSpec{Name: "eth0", Up: bptr(true)})
				p.Addr(AddrSpec{Link: "eth0", Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(2 + 4*i)}), 30)})
				p.Route(RouteSpec{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + 4*i)}), Dev: "eth0"})
			}
			return m
		}
		before := e.state(t)
		pod2Before := ipState(t, pod2)
		cfg2 := &Config{NetNS: pod2.Path, inject: failKind(netlink.KindRoute, failing)}
		err := build(cfg2).Commit(context.Background())
		var me *MultiCommitError
		if !errors.As(err, &me) || me.Namespace != "pod2" || !me.RolledBack || len(me.Rollbacks) != 3 || me.Rollbacks[0].Namespace != "pod2" {
			t.Fatalf("got %v, want pod2's failure rolled back in three namespaces, pod2 first", err)
		}
		t.Logf("%v", err)
		e.restored(t, "fault in the second pod", before)
		if after := ipState(t, pod2); after != pod2Before {
			t.Errorf("pod2 differs after rollback:\n%s", diffLines(pod2Before, after))
		}

		m := build(&Config{NetNS: pod2.Path})
		p, err := m.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if got := []string{p.Namespaces[0].Namespace, p.Namespaces[1].Namespace, p.Namespaces[2].Namespace}; !slices.Equal(got, []string{"host", "pod", "pod2"}) {
			t.Errorf("commit order %q", got)
		}
		if err := m.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p, err := build(&Config{NetNS: pod2.Path}).Plan(); err != nil || !p.Empty() {
			t.Errorf("plan after commit: %v\n%s", err, p)
		}
		if out := pod2.IP("route", "show", "default"); !strings.Contains(out, "via 192.0.2.5 dev eth0") {
			t.Errorf("pod2's default route: %q", out)
		}
	})
}

// TestMultiCancelRollsBack: the context is cancelled while the pod's
// operations are applied; both namespaces are rolled back all the same.
func TestMultiCancelRollsBack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		e := newCNIEnv(t, host)
		before := e.state(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cfg := *e.podCfg
		cfg.inject = func(i int, o *Step, req netlink.Request) netlink.Request {
			if o.Kind == netlink.KindAddr {
				cancel()
			}
			return req
		}
		e.podCfg = &cfg
		err := cniAdd(e.multi()).Commit(ctx)
		var me *MultiCommitError
		if !errors.As(err, &me) || !errors.Is(err, context.Canceled) || me.Namespace != "pod" {
			t.Fatalf("got %v, want the pod's commit cancelled", err)
		}
		if !me.RolledBack {
			t.Fatalf("not rolled back: %v", err)
		}
		e.restored(t, "cancelled in the pod", before)
	})
}

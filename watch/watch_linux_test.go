package watch_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// model rebuilds the database's state from events, checking that each
// event is consistent with what came before it.
type model struct {
	mu      sync.Mutex
	objs    map[string]netlink.Object
	lastRev uint64
	resyncs int
	errs    []error
}

func newModel() *model { return &model{objs: map[string]netlink.Object{}} }

func (m *model) apply(e watch.Event) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.Rev < m.lastRev {
		m.errs = append(m.errs, fmt.Errorf("revision went back from %d to %d", m.lastRev, e.Rev))
	}
	m.lastRev = e.Rev
	if e.Resync {
		m.resyncs++
		clear(m.objs)
		return true
	}
	k := ipdb.Key(e.Object())
	_, have := m.objs[k]
	switch e.Op {
	case ipdb.OpAdd:
		if have {
			m.errs = append(m.errs, fmt.Errorf("rev %d: add of %v, which was already there", e.Rev, e.New))
		}
		m.objs[k] = e.New
	case ipdb.OpChange:
		if !have {
			m.errs = append(m.errs, fmt.Errorf("rev %d: change of %v, which was not there", e.Rev, e.New))
		}
		if ipdb.Equal(e.Old, e.New) {
			// The one definition of equality: equal objects are no change.
			m.errs = append(m.errs, fmt.Errorf("rev %d: phantom change of %v", e.Rev, e.New))
		}
		m.objs[k] = e.New
	case ipdb.OpDelete:
		if !have {
			m.errs = append(m.errs, fmt.Errorf("rev %d: delete of %v, which was not there", e.Rev, e.Old))
		}
		delete(m.objs, k)
	}
	return true
}

// equalsDB reports how the model differs from a snapshot, or nil.
func (m *model) equalsDB(s *ipdb.Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := errors.Join(m.errs...); err != nil {
		return err
	}
	want := map[string]netlink.Object{}
	add := func(o netlink.Object) { want[ipdb.Key(o)] = o }
	for _, k := range netlink.Kinds() {
		for o := range s.Objects(k) {
			add(o)
		}
	}
	var errs []error
	for k, o := range want {
		if got, ok := m.objs[k]; !ok {
			errs = append(errs, fmt.Errorf("missing %v", o))
		} else if got != o {
			errs = append(errs, fmt.Errorf("stale %v, the database has %v", got, o))
		}
	}
	for k, o := range m.objs {
		if _, ok := want[k]; !ok {
			errs = append(errs, fmt.Errorf("extra %v", o))
		}
	}
	return errors.Join(errs...)
}

// eventually fails t unless check returns nil within 5 s
// (nstest.Eventually).
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	if err := nstest.Eventually(5*time.Second, check); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestEventsFollowEveryOp(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		m := newModel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w.Subscribe(ctx, nil, m.apply, watch.WithInitial())
		var links []watch.LinkEvent
		var lmu sync.Mutex
		stop := w.OnLink(watch.LinkName("v0"), func(e watch.LinkEvent) {
			lmu.Lock()
			links = append(links, e)
			lmu.Unlock()
		})
		defer stop()
		steps := [][]string{
			{"link", "add", "v0", "type", "veth", "peer", "name", "v1"},
			{"link", "set", "v0", "up"}, {"link", "set", "v1", "up"},
			{"link", "set", "v0", "mtu", "1400"},
			{"link", "set", "v0", "address", "02:00:00:00:00:01"},
			{"link", "add", "br0", "type", "bridge"},
			{"link", "set", "v0", "master", "br0"},
			{"link", "set", "v0", "nomaster"},
			{"addr", "add", "192.0.2.1/24", "dev", "v0"},
			{"addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"},
			{"route", "add", "198.51.100.0/24", "via", "192.0.2.2", "table", "300"},
			{"route", "replace", "198.51.100.0/24", "via", "192.0.2.3", "table", "300"},
			{"neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "v0"},
			{"rule", "add", "from", "192.0.2.0/24", "table", "300", "priority", "77"},
			{"rule", "del", "priority", "77"},
			{"neigh", "del", "192.0.2.2", "dev", "v0"},
			{"route", "del", "198.51.100.0/24", "table", "300"},
			{"addr", "del", "192.0.2.1/24", "dev", "v0"},
			{"link", "set", "v0", "down"},
			{"link", "set", "v0", "name", "v9"},
			{"link", "del", "v9"},
		}
		for _, s := range steps {
			ns.IP(s...)
			eventually(t, fmt.Sprint("after ip ", s), func() error { return m.equalsDB(db.Snapshot()) })
		}
		lmu.Lock()
		defer lmu.Unlock()
		var sawUp, sawMTU, sawMAC, sawMaster, sawRelease, sawDown, sawRename bool
		for _, e := range links {
			sawUp = sawUp || e.WentUp()
			if from, to, ok := e.MTUChanged(); ok && from == 1500 && to == 1400 {
				sawMTU = true
			}
			sawMAC = sawMAC || e.AddressChanged()
			if _, to, ok := e.MasterChanged(); ok {
				sawMaster, sawRelease = sawMaster || to != 0, sawRelease || to == 0
			}
			sawDown = sawDown || e.WentDown()
			if o, n, ok := e.Renamed(); ok && o == "v0" && n == "v9" {
				sawRename = true
			}
		}
		if !sawUp || !sawMTU || !sawMAC || !sawMaster || !sawRelease || !sawDown || !sawRename {
			t.Fatalf("link events for v0 miss something: up %v mtu %v mac %v master %v release %v down %v rename %v\n%+v",
				sawUp, sawMTU, sawMAC, sawMaster, sawRelease, sawDown, sawRename, links)
		}
	})
}

func TestSlowSubscriberResyncs(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		db := dbtest.Open(t, ns, ipdb.WithChangeLog(64))
		w := watch.New(db)
		defer w.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()

		block := make(chan struct{})
		var unblock sync.Once
		release := func() { unblock.Do(func() { close(block) }) }
		defer release() // before w.Close, also when the test fails
		slow := newModel()
		first := true
		w.Subscribe(ctx, nil, func(e watch.Event) bool {
			if first {
				first = false
				<-block // stuck until the others are done
			}
			return slow.apply(e)
		}, watch.WithInitial())
		fast := newModel()
		w.Subscribe(ctx, nil, fast.apply, watch.WithInitial())

		var lines []string
		for i := range 500 {
			lines = append(lines, fmt.Sprintf("route add 10.1.%d.%d/32 via 192.0.2.2", i/256, i%256))
		}
		ns.Batch(lines...)
		eventually(t, "the database", func() error { return routesAtLeast(db, 500) })
		eventually(t, "the fast subscriber", func() error { return fast.equalsDB(db.Snapshot()) })
		release()
		eventually(t, "the slow subscriber after resync", func() error { return slow.equalsDB(db.Snapshot()) })
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if slow.resyncs == 0 {
			t.Fatal("the slow subscriber fell out of a 64-entry log but got no Resync event")
		}
	})
}

func TestInitialHandoffUnderChanges(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range 20 {
				var lines []string
				for j := range 50 {
					lines = append(lines, fmt.Sprintf("route add 10.2.%d.%d/32 via 192.0.2.2", i, j))
				}
				for j := range 10 {
					lines = append(lines, fmt.Sprintf("route del 10.2.%d.%d/32", i, j))
				}
				ns.Batch(lines...)
			}
		}()
		var models []*model
		for range 5 {
			m := newModel()
			models = append(models, m)
			w.Subscribe(ctx, nil, m.apply, watch.WithInitial())
			time.Sleep(5 * time.Millisecond)
		}
		<-done
		eventually(t, "the database", func() error { return routesAtLeast(db, 20*40) })
		for i, m := range models {
			eventually(t, fmt.Sprintf("subscriber %d", i), func() error { return m.equalsDB(db.Snapshot()) })
		}
	})
}

func TestFiltersAndChannels(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch := w.Events(ctx, watch.All(watch.Kinds(netlink.KindRoute), watch.Table(300), watch.Ops(ipdb.OpAdd)))
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		ns.IP("link", "set", "v0", "up")
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
		ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.2")
		ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.2", "table", "300")
		ns.IP("route", "del", "198.51.100.0/24", "table", "300")
		ns.IP("route", "add", "203.0.113.0/24", "via", "192.0.2.2", "table", "300")
		var got []string
		for len(got) < 2 {
			select {
			case e := <-ch:
				got = append(got, e.New.(*netlink.Route).Dst.String())
			case <-ctx.Done():
				t.Fatalf("events %v, want the two adds in table 300", got)
			}
		}
		if got[0] != "198.51.100.0/24" || got[1] != "203.0.113.0/24" {
			t.Fatalf("events %v", got)
		}
		select {
		case e := <-ch:
			t.Fatalf("unexpected event %+v", e)
		case <-time.After(200 * time.Millisecond):
		}
		cancel()
		for range ch {
		}
	})
}

func TestWaitFor(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() {
			time.Sleep(50 * time.Millisecond)
			ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
			ns.IP("link", "set", "v1", "up")
			ns.IP("link", "set", "v0", "up")
			ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0")
			ns.IP("route", "add", "198.51.100.0/24", "via", "192.0.2.2")
		}()
		for _, c := range []watch.Condition{
			watch.LinkExists("v0"), watch.LinkUp("v0"),
			watch.AddrPresent("v0", netip.MustParsePrefix("192.0.2.1/24")),
			watch.RoutePresent(254, netip.MustParsePrefix("198.51.100.0/24")),
		} {
			if err := watch.WaitFor(ctx, db, c); err != nil {
				t.Fatal(err)
			}
		}
		ns.IP("route", "del", "198.51.100.0/24")
		if err := watch.WaitFor(ctx, db, watch.RouteGone(254, netip.MustParsePrefix("198.51.100.0/24"))); err != nil {
			t.Fatal(err)
		}
		ns.IP("link", "del", "v0")
		if err := watch.WaitFor(ctx, db, watch.LinkGone("v0")); err != nil {
			t.Fatal(err)
		}
		short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancelShort()
		if err := watch.WaitFor(short, db, watch.LinkExists("never")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitFor with a timeout: %v", err)
		}
		cancelled, cancelNow := context.WithCancel(context.Background())
		cancelNow()
		if err := watch.WaitFor(cancelled, db, watch.LinkExists("never")); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitFor cancelled: %v", err)
		}
		go func() {
			time.Sleep(50 * time.Millisecond)
			db.Close()
		}()
		if err := watch.WaitFor(ctx, db, watch.LinkExists("never")); !errors.Is(err, ipdb.ErrClosed) {
			t.Fatalf("WaitFor on a closed database: %v", err)
		}
	})
}

func routesAtLeast(db *ipdb.DB, n int) error {
	if got := db.Stats().Routes; got < n {
		return fmt.Errorf("%d routes, want at least %d", got, n)
	}
	return nil
}

func TestLinkNameOfObjects(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.IP("link", "add", "v0", "type", "veth", "peer", "name", "v1")
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ch := w.Events(ctx, watch.All(watch.Kinds(netlink.KindAddr), watch.LinkName("v9")))
		ns.IP("addr", "add", "192.0.2.1/24", "dev", "v0") // not yet v9: filtered out
		ns.IP("link", "set", "v0", "name", "v9")
		ns.IP("addr", "add", "198.51.100.1/24", "dev", "v9")
		// The rename also relabels 192.0.2.1 (a change, now on v9); then
		// the new address is added on v9.
		for {
			select {
			case e := <-ch:
				a := e.New.(*netlink.Addr)
				if e.LinkName != "v9" {
					t.Fatalf("event %v %v passed the filter with link %q", e.Op, a, e.LinkName)
				}
				if e.Op == ipdb.OpAdd && a.Prefix.String() == "198.51.100.1/24" {
					return
				}
				if e.Op == ipdb.OpAdd {
					t.Fatalf("an add from before the rename passed the filter: %v", a)
				}
			case <-ctx.Done():
				t.Fatal("no address event for v9")
			}
		}
	})
}

// TestLinkNameOfObjectsDeletedWithLink: the objects the kernel removes
// with a link (its addresses, routes, FDB entries and qdisc in the link's
// revision; its nexthop objects and the routes over them, which a re-read
// finds a revision or more later) must still name the link, or a
// LinkName filter misses them and a consumer that keeps state per link
// keeps them forever (found by users' tries: `ip link del br9` gave its
// routes' deletes LinkName "", and a deleted veth its nexthop's).
func TestLinkNameOfObjectsDeletedWithLink(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v9 type veth peer name w9", "link set w9 up", "link set v9 up", "addr add 192.0.2.9/24 dev v9",
			"route add 198.51.100.0/24 via 192.0.2.1 dev v9")
		ns.WaitCarrier("v9")
		ns.Batch("nexthop add id 5 via 192.0.2.1 dev v9", "nexthop add id 6 group 5", "route add 203.0.113.64/26 nhid 6")
		idx := ns.Ifindex("v9")
		db := dbtest.Open(t, ns)
		w := watch.New(db)
		defer w.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		byIndex := w.Events(ctx, watch.All(watch.Ops(ipdb.OpDelete), watch.LinkIndex(idx)))
		byName := w.Events(ctx, watch.All(watch.Ops(ipdb.OpDelete), watch.LinkName("v9")))
		ns.IP("link", "del", "v9")
		// Every delete on v9, as LinkIndex selects them, until a quiet
		// second after the route's and the nexthop's.
		collect := func(ch <-chan watch.Event) []string {
			var got []string
			var seen int
			quiet := time.NewTimer(5 * time.Second)
			for {
				select {
				case e, ok := <-ch:
					if !ok {
						slices.Sort(got)
						return got
					}
					k := fmt.Sprintf("%v %v", e.Kind, e.Old)
					got = append(got, fmt.Sprintf("%s (LinkName %q)", k, e.LinkName))
					if strings.Contains(k, "198.51.100.0/24") || strings.Contains(k, "id 5 ") {
						seen++
					}
					if seen >= 2 {
						quiet.Reset(time.Second)
					}
				case <-quiet.C:
					slices.Sort(got)
					return got
				}
			}
		}
		want := collect(byIndex)
		for _, w := range []string{"198.51.100.0/24", "192.0.2.9", "id 5 "} {
			if !slices.ContainsFunc(want, func(k string) bool { return strings.Contains(k, w) }) {
				t.Fatalf("LinkIndex saw these deletes, without %s: %v", w, want)
			}
		}
		if got := collect(byName); !slices.Equal(got, want) {
			t.Errorf("LinkName(v9) saw the deletes\n%s\nwant, as LinkIndex(%d)\n%s", strings.Join(got, "\n"), idx, strings.Join(want, "\n"))
		}
	})
}

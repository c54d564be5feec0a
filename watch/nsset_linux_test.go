package watch_test

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// setModel rebuilds a set's view from SetWatcher events, checking each.
type setModel struct {
	mu   sync.Mutex
	objs map[string]map[string]netlink.Object // namespace -> key -> object
	errs []error
	last uint64
	seen []watch.Event
}

func newSetModel() *setModel { return &setModel{objs: map[string]map[string]netlink.Object{}} }

func (m *setModel) apply(e watch.Event) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen = append(m.seen, e)
	if e.Rev < m.last {
		m.errs = append(m.errs, fmt.Errorf("revision went back from %d to %d", m.last, e.Rev))
	}
	m.last = e.Rev
	if e.NS.Name == "" {
		m.errs = append(m.errs, fmt.Errorf("rev %d: event without a namespace: %v", e.Rev, e.Object()))
		return true
	}
	ns := m.objs[e.NS.Name]
	if ns == nil {
		ns = map[string]netlink.Object{}
		m.objs[e.NS.Name] = ns
	}
	if e.MovedFrom != nil {
		from, tracked := m.objs[e.MovedFrom.Name] // not with a Namespaces filter
		k := ipdb.Key(e.Old)
		if _, ok := from[k]; tracked && !ok {
			m.errs = append(m.errs, fmt.Errorf("rev %d: %v moved from %s, which lacks it", e.Rev, e.Old, e.MovedFrom.Name))
		}
		delete(from, k)
		ns[ipdb.Key(e.New)] = e.New
		return true
	}
	switch e.Op {
	case ipdb.OpAdd, ipdb.OpChange:
		ns[ipdb.Key(e.New)] = e.New
	case ipdb.OpDelete:
		k := ipdb.Key(e.Old)
		if _, ok := ns[k]; !ok {
			m.errs = append(m.errs, fmt.Errorf("rev %d: delete of %v in %s, which lacks it", e.Rev, e.Old, e.NS.Name))
		}
		delete(ns, k)
		if len(ns) == 0 {
			delete(m.objs, e.NS.Name)
		}
	}
	return true
}

func (m *setModel) keys() map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]string{}
	for ns, objs := range m.objs {
		for k := range objs {
			out[ns] = append(out[ns], k)
		}
		sort.Strings(out[ns])
	}
	return out
}

func setKeys(ss *ipdb.SetSnapshot) map[string][]string {
	out := map[string][]string{}
	for _, n := range ss.Namespaces() {
		for o := range n.All() {
			out[n.NS.Name] = append(out[n.NS.Name], ipdb.Key(o))
		}
		sort.Strings(out[n.NS.Name])
	}
	return out
}

// TestSetWatcher follows a set of two namespaces: with WithInitial the
// events rebuild the set's view exactly (links, addresses, routes, a
// move, a detach); a Namespaces filter sees only its namespace, with the
// move into it as one event.
func TestSetWatcher(t *testing.T) {
	nstest.Run(t, func(t *testing.T, a *nstest.NS) {
		b := nstest.New(t)
		a.IP("link", "add", "mv0", "type", "veth", "peer", "name", "pr0")
		s, err := ipdb.OpenSet(context.Background(), &ipdb.SetConfig{RunDir: "-"})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.AttachPath("a", a.Path); err != nil {
			t.Fatal(err)
		}
		if err := s.AttachPath("b", b.Path); err != nil {
			t.Fatal(err)
		}
		w := watch.NewSet(s)
		defer w.Close()
		all := newSetModel()
		stopAll := w.Subscribe(context.Background(), nil, all.apply, watch.WithInitial())
		defer stopAll()
		onlyB := newSetModel()
		stopB := w.Subscribe(context.Background(), watch.All(watch.Namespaces("b"), watch.Kinds(netlink.KindLink)), onlyB.apply)
		defer stopB()

		wait := func(what string, cond func() bool) {
			t.Helper()
			if err := nstest.Eventually(10*time.Second, func() error {
				if !cond() {
					return fmt.Errorf("no %s", what)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		attached := func() bool {
			ss := s.Snapshot()
			_, okA := ss.NS("a")
			_, okB := ss.NS("b")
			return okA && okB
		}
		wait("both attached", attached)
		b.IP("link", "set", "lo", "up")
		b.IP("addr", "add", "198.51.100.1/32", "dev", "lo")
		a.IP("link", "set", "mv0", "netns", b.Name)
		b.IP("link", "set", "mv0", "up")
		b.IP("addr", "add", "192.0.2.1/24", "dev", "mv0")
		wait("the address on mv0 in b", func() bool {
			for ns, ad := range s.Snapshot().AddrHolders(netipAddr("192.0.2.1")) {
				return ns.Name == "b" && ad != nil
			}
			return false
		})
		wait("the feed model equal to the set", func() bool { return fmt.Sprint(all.keys()) == fmt.Sprint(setKeys(s.Snapshot())) })

		onlyB.mu.Lock()
		moves := 0
		for _, e := range onlyB.seen {
			if e.NS.Name != "b" || e.Kind != netlink.KindLink {
				t.Errorf("filtered subscription got %s %v", e.NS.Name, e.Object())
			}
			if e.MovedFrom != nil {
				moves++
				if e.MovedFrom.Name != "a" || e.LinkName != "mv0" || e.Op != ipdb.OpAdd {
					t.Errorf("move event: from %v, link %q, op %v", e.MovedFrom, e.LinkName, e.Op)
				}
			}
		}
		onlyB.mu.Unlock()
		if moves != 1 {
			t.Errorf("%d move events in b, want 1", moves)
		}

		// Detach b: its objects leave the model as deletes.
		if err := s.Detach("b"); err != nil {
			t.Fatal(err)
		}
		wait("b gone from the model", func() bool { return all.keys()["b"] == nil })
		wait("the feed model equal to the set after the detach", func() bool { return fmt.Sprint(all.keys()) == fmt.Sprint(setKeys(s.Snapshot())) })
		for _, m := range []*setModel{all, onlyB} {
			m.mu.Lock()
			for _, err := range m.errs {
				t.Error(err)
			}
			m.mu.Unlock()
		}
	})
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

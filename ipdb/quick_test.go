package ipdb_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

var quickSteps = flag.Int("quick.steps", 20000, "steps of TestQuickReplay")

// quickModel is the plain-map model of the database that TestQuickReplay
// checks the real one against: objects by identity, and what a link's
// deletion takes with it.
type quickModel map[string]netlink.Object

func (m quickModel) clone() quickModel {
	c := make(quickModel, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// apply applies one notification the way the kernel's objects behave.
func (m quickModel) apply(u netlink.Update) {
	k := ipdb.Key(u.Object)
	if !u.Deleted() {
		if r, ok := u.Object.(*netlink.Route); ok && u.Flags&unix.NLM_F_REPLACE != 0 {
			// A replace takes the place of the one route of the same
			// destination, TOS and priority with another next hop. The
			// kernel announces only replaces it did (a replace by an
			// identical route is silent), so this holds even when the
			// new route is already here.
			for k2, o := range m {
				if r2, ok := o.(*netlink.Route); ok && k2 != k && sameRouteSlot(r, r2) {
					delete(m, k2)
				}
			}
		}
		if old, ok := m[k]; ok && reflect.DeepEqual(old, u.Object) {
			return // no change; the database keeps the old version
		}
		m[k] = u.Object
		return
	}
	delete(m, k)
	l, ok := u.Object.(*netlink.Link)
	if !ok {
		return
	}
	// A link takes its addresses, neighbours, its FDB entries and those
	// that name it as master, and the routes through it.
	for k2, o := range m {
		switch o := o.(type) {
		case *netlink.Addr:
			if o.Index == l.Index {
				delete(m, k2)
			}
		case *netlink.Neigh:
			if o.Index == l.Index {
				delete(m, k2)
			}
		case *netlink.FDB:
			if o.Index == l.Index || o.Master == l.Index {
				delete(m, k2)
			}
		case *netlink.Route:
			if o.OIF == uint32(l.Index) {
				delete(m, k2)
			}
		}
	}
}

func sameRouteSlot(a, b *netlink.Route) bool {
	return a.Family == b.Family && a.Table == b.Table && a.Dst == b.Dst && a.TOS == b.TOS && a.Priority == b.Priority
}

// quickGen makes random notifications over small pools of identities, so
// that adds, changes and deletes of the same objects collide often.
type quickGen struct {
	r *rand.Rand
	m quickModel
}

func (g *quickGen) pick(n int) int { return g.r.IntN(n) }

func (g *quickGen) update() netlink.Update {
	idx := 1 + g.pick(5)
	del := g.pick(3) == 0
	var o netlink.Object
	typ := uint16(0)
	flags := uint16(0)
	switch g.pick(6) {
	case 0:
		o = &netlink.Link{Index: idx, Name: []string{"a", "b", "c", "d"}[g.pick(4)], MTU: []uint32{1500, 9000}[g.pick(2)],
			Flags: []uint32{unix.IFF_UP, unix.IFF_UP | unix.IFF_RUNNING}[g.pick(2)], Type: unix.ARPHRD_ETHER}
		typ = unix.RTM_NEWLINK
		if del && g.pick(3) == 0 {
			typ = unix.RTM_DELLINK
		}
		return netlink.Update{Type: typ, Object: o}
	case 1:
		a := &netlink.Addr{Family: unix.AF_INET, Index: idx, Prefix: netip.MustParsePrefix([]string{"192.0.2.1/24", "192.0.2.2/24", "198.51.100.1/25"}[g.pick(3)]),
			Scope: unix.RT_SCOPE_UNIVERSE, Metric: uint32(g.pick(2)), ValidLifetime: netlink.LifetimeForever, PreferredLifetime: netlink.LifetimeForever}
		if g.pick(3) == 0 {
			a.Family, a.Prefix = unix.AF_INET6, netip.MustParsePrefix([]string{"2001:db8::1/64", "2001:db8::2/64"}[g.pick(2)])
		}
		o, typ = a, unix.RTM_NEWADDR
		if del {
			typ = unix.RTM_DELADDR
		}
	case 2, 3:
		r := &netlink.Route{Family: unix.AF_INET, Table: []uint32{254, 100}[g.pick(2)],
			Dst:  netip.MustParsePrefix([]string{"203.0.113.0/24", "203.0.113.0/25", "198.51.100.7/32", "0.0.0.0/0"}[g.pick(4)]),
			Type: netlink.RouteUnicast, Protocol: netlink.RouteProtocol(g.pick(2) + 3), Priority: uint32(g.pick(2) * 10),
			OIF: uint32(idx), Scope: netlink.Scope(unix.RT_SCOPE_LINK)}
		if g.pick(4) == 0 {
			r.Family, r.Dst = unix.AF_INET6, netip.MustParsePrefix([]string{"2001:db8:1::/48", "2001:db8:2::/64"}[g.pick(2)])
			r.Scope = netlink.Scope(unix.RT_SCOPE_UNIVERSE)
		}
		o, typ = r, unix.RTM_NEWROUTE
		flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
		if g.pick(4) == 0 && g.replaceable(r) {
			flags = unix.NLM_F_CREATE | unix.NLM_F_REPLACE
		}
		if del {
			typ, flags = unix.RTM_DELROUTE, 0
		}
	case 4:
		n := &netlink.Neigh{Family: unix.AF_INET, Index: idx, Dst: netip.MustParseAddr([]string{"192.0.2.7", "192.0.2.8", "2001:db8::7"}[g.pick(3)]),
			LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, byte(g.pick(2))}, State: []uint16{unix.NUD_PERMANENT, unix.NUD_STALE}[g.pick(2)]}
		if n.Dst.Is6() {
			n.Family = unix.AF_INET6
		}
		o, typ = n, unix.RTM_NEWNEIGH
		if g.pick(3) == 0 {
			// A bridge FDB entry of port idx on bridge 5.
			o = &netlink.FDB{Family: unix.AF_BRIDGE, Index: idx, Master: 5, LLAddr: net.HardwareAddr{2, 0, 0, 0, 1, byte(g.pick(3))},
				State: unix.NUD_NOARP, Flags: unix.NTF_MASTER}
		}
		if del {
			typ = unix.RTM_DELNEIGH
		}
	default:
		r := &netlink.Rule{Family: unix.AF_INET, Priority: uint32(100 + g.pick(2)), Table: uint32(100 + 100*g.pick(2)),
			Action: netlink.RuleAction(unix.FR_ACT_TO_TBL), Protocol: netlink.RouteProtocol(g.pick(2) * 3)}
		if g.pick(2) == 0 {
			r.Src = netip.MustParsePrefix("192.0.2.0/24")
		}
		o, typ = r, unix.RTM_NEWRULE
		if del {
			typ = unix.RTM_DELRULE
		}
	}
	return netlink.Update{Type: typ, Flags: flags, Object: o}
}

// replaceable reports whether a replace of r has one or no route to take
// the place of: with two or more the database must ask the kernel which,
// and a Replay has none to ask.
func (g *quickGen) replaceable(r *netlink.Route) bool {
	n := 0
	for k, o := range g.m {
		if r2, ok := o.(*netlink.Route); ok && k != ipdb.Key(r) && sameRouteSlot(r, r2) {
			n++
		}
	}
	return n <= 1
}

// TestQuickReplay feeds random batches of notifications through a Replay
// and checks it against a plain map after every batch: the snapshot holds
// exactly the model's objects, the revision moves by one exactly when the
// batch logged changes, and the change log of the batch is exactly the
// difference between the model before and after (each old version the
// very object that was stored). In the style of cilium/statedb's
// quick_test.go.
func TestQuickReplay(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r, err := ipdb.NewReplay(ipdb.WithChangeLog(1 << 12))
	if err != nil {
		t.Fatal(err)
	}
	g := &quickGen{r: rand.New(rand.NewPCG(seed, 1)), m: quickModel{}}
	steps := *quickSteps
	if testing.Short() {
		steps /= 10
	}
	var history []string
	for step := range steps {
		batch := make([]netlink.Update, 1+g.pick(4))
		before := g.m.clone()
		for i := range batch {
			batch[i] = g.update()
			g.m.apply(batch[i])
		}
		for _, u := range batch {
			history = append(history, fmt.Sprintf("step %d: type %d flags %#x %s", step, u.Type, u.Flags, u.Object))
		}
		if len(history) > 30 {
			history = history[len(history)-30:]
		}
		rev := r.Revision()
		r.Apply(batch)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, step %d: %s\nlast notifications:\n  %s", seed, step, fmt.Sprintf(format, args...), strings.Join(history, "\n  "))
		}
		if err := r.Err(); err != nil {
			fail("replay error: %v", err)
		}
		if diff := quickDiff(g.m, r.Snapshot()); diff != "" {
			fail("snapshot differs from the model:\n%s", diff)
		}
		changes, _, _, err := r.ChangesSince(rev, 0)
		if err != nil {
			fail("change log: %v", err)
		}
		changed := !maps2Equal(before, g.m)
		// A batch may add and remove the same object (two changes, no net
		// difference); a batch without changes makes no revision.
		switch {
		case changed && len(changes) == 0:
			fail("a batch that changed something logged no change")
		case len(changes) > 0 && r.Revision() != rev+1:
			fail("a batch with changes moved the revision from %d to %d", rev, r.Revision())
		case len(changes) == 0 && r.Revision() != rev:
			fail("a batch without changes made revision %d", r.Revision())
		}
		// Replaying the changes on the model before gives the model after.
		m := before.clone()
		for _, c := range changes {
			o := c.New
			if o == nil {
				o = c.Old
			}
			k := ipdb.Key(o)
			old, had := m[k]
			switch c.Op {
			case ipdb.OpAdd:
				if had {
					fail("add of %v, which was there", c.New)
				}
				m[k] = c.New
			case ipdb.OpChange:
				if !had || old != c.Old {
					fail("change of %v from %v, which was not the stored version (%v)", c.New, c.Old, old)
				}
				if reflect.DeepEqual(c.Old, c.New) {
					fail("change of %v that changes nothing", c.New)
				}
				m[k] = c.New
			case ipdb.OpDelete:
				if !had || old != c.Old {
					fail("delete of %v, which was not the stored version (%v)", c.Old, old)
				}
				delete(m, k)
			}
		}
		if !maps2Equal(m, g.m) {
			fail("the batch's changes applied to the model before give\n%s", quickDiffMaps(m, g.m))
		}
	}
	t.Logf("%d steps, revision %d, %d objects", steps, r.Revision(), len(g.m))
}

// maps2Equal compares two models: the same identities and objects that
// are the same or equal.
func maps2Equal(a, b quickModel) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || (x != y && !reflect.DeepEqual(x, y)) {
			return false
		}
	}
	return true
}

func quickDiffMaps(got, want quickModel) string {
	var d []string
	for k, o := range want {
		if g, ok := got[k]; !ok {
			d = append(d, fmt.Sprintf("  missing %v", o))
		} else if g != o && !reflect.DeepEqual(g, o) {
			d = append(d, fmt.Sprintf("  have %v, want %v", g, o))
		}
	}
	for k, o := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("  extra %v", o))
		}
	}
	slices.Sort(d)
	return strings.Join(d, "\n")
}

// quickDiff compares the model with every table of a snapshot.
func quickDiff(m quickModel, s *ipdb.Snapshot) string {
	got := quickModel{}
	for _, k := range netlink.Kinds() {
		for o := range s.Objects(k) {
			got[ipdb.Key(o)] = o
		}
	}
	if maps2Equal(got, m) {
		return ""
	}
	return quickDiffMaps(got, m)
}

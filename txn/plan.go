package txn

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// Action says what an operation does to its object.
type Action byte

// Actions, printed as the first character of an operation.
const (
	Create Action = '+'
	Modify Action = '~'
	Remove Action = '-'
)

// stage orders operations: removals in reverse dependency order, then
// creation and changes in dependency order.
type stage uint8

const (
	stageRuleDel stage = iota
	stageNeighDel
	stageRouteDel
	stageAddrDel
	stageLinkDel
	stageLinkCreate
	stageLinkSet
	stageLinkMaster
	stageLinkUp
	stageAddrAdd
	stageRouteAdd
	stageNeighAdd
	stageRuleAdd
	numStages
)

// Step is one planned operation.
type Step struct {
	// Action is Create, Modify or Remove.
	Action Action
	// Kind is the kind of object the operation changes.
	Kind netlink.Kind

	stage stage
	level uint8 // link creation: 1 if the parent is created too
	spec  specRef
	specs *specSet // the spec set the op was planned from
	desc  func() string
	build func(r *resolver) (netlink.Request, error)
	// created is the name of the link a create operation makes appear.
	created string
	// netns is the namespace a request's NetNSFD must be opened from.
	netns string
}

// String prints the operation: "+ route 198.51.100.0/24 via 192.0.2.2 table 300".
func (o *Step) String() string { return string(o.Action) + " " + o.desc() }

// Plan is the ordered list of operations that makes the specs true on the
// state it was computed from.
type Plan struct {
	// Steps are the operations in the order Commit applies them.
	Steps []*Step
	// Revision is the database revision the plan was computed on (0 for a
	// State that is not a database snapshot).
	Revision uint64

	state  State
	obs    []netlink.Object
	obsEnd []int32
}

// Empty reports whether there is nothing to do.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// String prints one operation a line.
func (p *Plan) String() string {
	var b strings.Builder
	for _, o := range p.Steps {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Summary counts the operations by action and kind: "+2 link, ~3 link,
// +10000 route", or "no changes".
func (p *Plan) Summary() string {
	type k struct {
		a Action
		k netlink.Kind
	}
	n := map[k]int{}
	var order []k
	for _, o := range p.Steps {
		key := k{o.Action, o.Kind}
		if n[key] == 0 {
			order = append(order, key)
		}
		n[key]++
	}
	if len(order) == 0 {
		return "no changes"
	}
	parts := make([]string, len(order))
	for i, key := range order {
		parts[i] = fmt.Sprintf("%c%d %s", key.a, n[key], key.k)
	}
	return strings.Join(parts, ", ")
}

// plink is what planning knows of a link named in a LinkSpec.
type plink struct {
	spec    *LinkSpec
	cur     *netlink.Link // the existing link (by Name, or RenameFrom)
	created bool          // appears during the transaction (created, a veth peer, fetched)
	gone    bool          // deleted or moved away
	byPeer  bool          // created as the peer of another spec's veth
}

type planner struct {
	st      State
	ss      *specSet
	links   map[string]*plink
	refs    map[string]int // resolved names of links without a spec
	delIdx  map[int]bool   // link indexes being deleted
	steps   []*Step
	record  bool
	obs     []netlink.Object
	obsEnd  []int32
	scratch []*netlink.Route
	// routes holds the existing routes of each route spec, found at once
	// for a full plan of many specs (see routesTo).
	routes      []routeList
	indexRoutes bool
}

// routeIndexMin is how many route specs make one scan of their tables
// cheaper than one lookup per spec.
const routeIndexMin = 512

// routeDst orders destinations as the database's route keys do within
// one family and table: by address, then prefix length.
type routeDst struct {
	family uint8
	table  uint32
	addr   [16]byte
	bits   int32
}

func routeDstOf(family uint8, table uint32, dst netip.Prefix) routeDst {
	return routeDst{family: family, table: table, addr: dst.Addr().As16(), bits: int32(dst.Bits())}
}

func (a *routeDst) compare(b *routeDst) int {
	if c := cmp.Compare(a.family, b.family); c != 0 {
		return c
	}
	if c := cmp.Compare(a.table, b.table); c != 0 {
		return c
	}
	if c := bytes.Compare(a.addr[:], b.addr[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

// routeList holds the routes to one destination; most have one.
type routeList struct {
	first *netlink.Route
	more  []*netlink.Route
}

// routesTo appends the routes of table to exactly dst (the destination
// of route spec i) to ex. In a full plan of many route specs it finds
// them all at once (see matchRoutes) instead of looking each one up.
func (p *planner) routesTo(ex []*netlink.Route, i int, table uint32, dst netip.Prefix) []*netlink.Route {
	if !p.indexRoutes {
		for r := range p.st.RoutesTo(table, dst) {
			ex = append(ex, r)
		}
		return ex
	}
	if p.routes == nil {
		p.matchRoutes()
	}
	l := &p.routes[i]
	if l.first != nil {
		ex = append(ex, l.first)
	}
	return append(ex, l.more...)
}

// matchRoutes finds the existing routes of every route spec in one merge:
// the specs sorted by destination (most sets come sorted already) against
// one in-order pass over each table they name. Planning a million present
// routes then reads the table sequentially, with no per-route lookup,
// allocation or map.
func (p *planner) matchRoutes() {
	specs := p.ss.routes
	p.routes = make([]routeList, len(specs))
	type keyed struct {
		key routeDst
		i   int
	}
	order := make([]keyed, len(specs))
	sorted := true
	for i := range specs {
		s := &specs[i]
		order[i] = keyed{routeDstOf(routeFamily(s.Dst), routeTable(s.Table), s.Dst.Masked()), i}
		if i > 0 && order[i-1].key.compare(&order[i].key) > 0 {
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(order, func(a, b keyed) int { return a.key.compare(&b.key) })
	}
	for start := 0; start < len(order); {
		fam, table := order[start].key.family, order[start].key.table
		end := start
		for end < len(order) && order[end].key.family == fam && order[end].key.table == table {
			end++
		}
		j := start
		for r := range p.st.RoutesInTable(fam, table) {
			k := routeDstOf(fam, table, r.Dst)
			for j < end && order[j].key.compare(&k) < 0 {
				j++
			}
			if j == end {
				break
			}
			for m := j; m < end && order[m].key == k; m++ {
				l := &p.routes[order[m].i]
				if l.first == nil {
					l.first = r
				} else {
					l.more = append(l.more, r)
				}
			}
		}
		start = end
	}
}

func newPlanner(st State, ss *specSet, record bool) (*planner, error) {
	p := &planner{st: st, ss: ss, links: map[string]*plink{}, refs: map[string]int{}, delIdx: map[int]bool{}, record: record}
	return p, p.prepass()
}

func (p *planner) lookup(name string) *netlink.Link {
	l, err := p.st.LinkByName(name)
	if err != nil {
		return nil
	}
	return l
}

func (p *planner) prepass() error {
	for i := range p.ss.links {
		s := &p.ss.links[i]
		pl := &plink{spec: s, cur: p.lookup(s.Name)}
		if pl.cur == nil && s.RenameFrom != "" {
			pl.cur = p.lookup(s.RenameFrom)
		}
		p.links[s.Name] = pl
	}
	for i := range p.ss.links {
		s := &p.ss.links[i]
		pl := p.links[s.Name]
		switch {
		case s.Absent || s.NetNS != "":
			pl.gone = true
			if pl.cur != nil && s.Absent {
				if peer := p.vethPeer(pl.cur); peer != nil {
					if ps, ok := p.links[peer.Name]; ok && !ps.spec.Absent {
						return invalid("link %s: deleting it deletes its veth peer %s, which has a spec", s.Name, peer.Name)
					} else if !ok {
						p.links[peer.Name] = &plink{cur: peer, gone: true}
					}
				}
			}
		case pl.cur == nil && (s.Info != nil || s.fetchNS != ""):
			pl.created = true
			if v, ok := linkData(s.Info).(*netlink.Veth); ok && v.Peer != nil {
				ps, ok := p.links[v.Peer.Name]
				switch {
				case !ok:
					p.links[v.Peer.Name] = &plink{created: true, byPeer: true}
				case ps.cur != nil:
					return invalid("link %s: veth peer %s exists already", s.Name, v.Peer.Name)
				case ps.spec != nil && ps.spec.Absent:
					return invalid("link %s: veth peer %s is to be absent", s.Name, v.Peer.Name)
				default:
					if !ps.created || ps.spec == nil || ps.spec.Info == nil || ps.byPeer {
						ps.created, ps.byPeer = true, true
					}
				}
			}
		}
	}
	for i := range p.ss.links {
		s := &p.ss.links[i]
		pl := p.links[s.Name]
		if pl.cur == nil && !pl.created && !pl.gone {
			return invalid("link %s: does not exist, and the spec has no Info to create it", s.Name)
		}
	}
	return nil
}

func linkData(i *netlink.LinkInfo) netlink.LinkData {
	if i == nil {
		return nil
	}
	return i.Data
}

func linkKind(l *netlink.Link) string {
	if l.Info == nil {
		return ""
	}
	return l.Info.InfoKind
}

func specKind(i *netlink.LinkInfo) string {
	if i == nil {
		return ""
	}
	if i.InfoKind != "" {
		return i.InfoKind
	}
	if i.Data != nil {
		return i.Data.InfoKind()
	}
	return ""
}

// vethPeer returns the peer of a veth link in the same namespace.
func (p *planner) vethPeer(l *netlink.Link) *netlink.Link {
	if linkKind(l) != "veth" || l.ParentIndex == 0 || l.LinkNetNSID != nil {
		return nil
	}
	peer, err := p.st.LinkByIndex(l.ParentIndex)
	if err != nil {
		return nil
	}
	return peer
}

// ref resolves a link name at plan time: its index, or pending for a link
// that appears during the transaction.
func (p *planner) ref(name string) (idx int, pending bool, err error) {
	if pl, ok := p.links[name]; ok {
		switch {
		case pl.gone:
			return 0, false, invalid("link %s is removed by this transaction", name)
		case pl.cur != nil:
			return pl.cur.Index, false, nil
		default:
			return 0, true, nil
		}
	}
	if idx, ok := p.refs[name]; ok {
		return idx, false, nil
	}
	l := p.lookup(name)
	if l == nil {
		return 0, false, invalid("no link named %q, and the transaction creates none", name)
	}
	p.refs[name] = l.Index
	return l.Index, false, nil
}

func (p *planner) nameOf(index int) string {
	if index == 0 {
		return ""
	}
	if l, err := p.st.LinkByIndex(index); err == nil {
		return l.Name
	}
	return fmt.Sprintf("if%d", index)
}

func (p *planner) observe(o netlink.Object) {
	if p.record && !isNil(o) {
		p.obs = append(p.obs, o)
	}
}

// isNil reports whether o is nil or a nil pointer of one of the kinds.
func isNil(o netlink.Object) bool {
	switch o := o.(type) {
	case nil:
		return true
	case *netlink.Link:
		return o == nil
	case *netlink.Addr:
		return o == nil
	case *netlink.Route:
		return o == nil
	case *netlink.Neigh:
		return o == nil
	case *netlink.Rule:
		return o == nil
	}
	return false
}

func (p *planner) endSpec() {
	if p.record {
		p.obsEnd = append(p.obsEnd, int32(len(p.obs)))
	}
}

func (p *planner) add(o *Step) { o.specs = p.ss; p.steps = append(p.steps, o) }

// plan plans every spec.
func (p *planner) plan() (*Plan, error) {
	// Planning every spec of a large set is cheaper with one pass over the
	// tables (verify's re-checks of a few specs look each one up).
	p.indexRoutes = len(p.ss.routes) >= routeIndexMin
	var err error
	p.ss.each(func(ref specRef) {
		if err == nil {
			err = p.planOne(ref)
			p.endSpec()
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(p.steps, func(a, b *Step) int {
		if a.stage != b.stage {
			return int(a.stage) - int(b.stage)
		}
		return int(a.level) - int(b.level)
	})
	return &Plan{Steps: p.steps, state: p.st, obs: p.obs, obsEnd: p.obsEnd}, nil
}

func (p *planner) planOne(ref specRef) error {
	switch {
	case ref.kind == netlink.KindLink:
		return p.planLink(ref, &p.ss.links[ref.i])
	case ref.kind == netlink.KindAddr && ref.set:
		return p.planAddrSet(ref, &p.ss.sets[ref.i])
	case ref.kind == netlink.KindAddr:
		s := &p.ss.addrs[ref.i]
		return p.planAddrs(ref, s.Link, []AddrSpec{*s}, false)
	case ref.kind == netlink.KindRoute:
		return p.planRoute(ref, &p.ss.routes[ref.i])
	case ref.kind == netlink.KindNeigh:
		return p.planNeigh(ref, &p.ss.neighs[ref.i])
	default:
		return p.planRule(ref, &p.ss.rules[ref.i])
	}
}

// ---- links ----

func (p *planner) planLink(ref specRef, s *LinkSpec) error {
	pl := p.links[s.Name]
	cur := pl.cur
	p.observe(cur)
	name := s.Name
	index := func(r *resolver) (int, error) {
		if cur != nil {
			return cur.Index, nil
		}
		return r.index(name)
	}
	set := func(st stage, a Action, desc string, mod func(l *netlink.Link, r *resolver) error) {
		p.add(&Step{Action: a, Kind: netlink.KindLink, stage: st, spec: ref,
			desc: func() string { return desc },
			build: func(r *resolver) (netlink.Request, error) {
				idx, err := index(r)
				if err != nil {
					return netlink.Request{}, err
				}
				l := &netlink.Link{Index: idx}
				if err := mod(l, r); err != nil {
					return netlink.Request{}, err
				}
				return netlink.LinkRequest(netlink.Set, l), nil
			}})
	}

	if cur != nil && cur.Flags&unix.IFF_LOOPBACK != 0 && (s.Absent || s.NetNS != "") {
		return invalid("link %s: the loopback device can be neither deleted nor moved to another namespace", cur.Name)
	}
	if s.Absent {
		if cur == nil || p.delIdx[cur.Index] {
			return nil
		}
		p.delIdx[cur.Index] = true
		desc := "link " + cur.Name
		if peer := p.vethPeer(cur); peer != nil {
			p.delIdx[peer.Index] = true
			desc += " (and its veth peer " + peer.Name + ")"
		}
		idx := cur.Index
		p.add(&Step{Action: Remove, Kind: netlink.KindLink, stage: stageLinkDel, spec: ref,
			desc: func() string { return desc },
			build: func(*resolver) (netlink.Request, error) {
				return netlink.LinkRequest(netlink.Delete, &netlink.Link{Index: idx}), nil
			}})
		return nil
	}
	if s.NetNS != "" {
		if cur == nil {
			return nil
		}
		idx, ns := cur.Index, s.NetNS
		p.add(&Step{Action: Remove, Kind: netlink.KindLink, stage: stageLinkDel, spec: ref, netns: ns,
			desc: func() string { return "link " + name + " netns " + ns },
			build: func(r *resolver) (netlink.Request, error) {
				fd, err := r.nsFD(ns)
				if err != nil {
					return netlink.Request{}, err
				}
				return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: idx, NetNSFD: fd}), nil
			}})
		return nil
	}

	unknown := cur == nil // appears during the transaction: set what is asked
	if cur == nil && !pl.byPeer && s.fetchNS == "" {
		if err := p.planLinkCreate(ref, s); err != nil {
			return err
		}
	} else if cur == nil && s.fetchNS != "" {
		ns := s.fetchNS
		p.add(&Step{Action: Create, Kind: netlink.KindLink, stage: stageLinkCreate, spec: ref, created: name, netns: ns,
			desc: func() string { return "link " + name + " back from netns " + ns },
			// Built by the resolver: the request goes to the other namespace.
			build: func(r *resolver) (netlink.Request, error) { return r.fetchOp(ns, name) }})
	}
	created := unknown && !pl.byPeer && s.fetchNS == ""

	if cur != nil {
		if cur.Name != s.Name {
			from := cur.Name
			p.add(&Step{Action: Modify, Kind: netlink.KindLink, stage: stageLinkSet, spec: ref,
				desc: func() string { return fmt.Sprintf("link %s name %s -> %s", name, from, name) },
				build: func(r *resolver) (netlink.Request, error) {
					r.renamed(from, name, cur.Index)
					return netlink.LinkRequest(netlink.Set, &netlink.Link{Index: cur.Index, Name: name}), nil
				}})
		}
		if k := specKind(s.Info); k != "" && k != linkKind(cur) {
			return invalid("link %s exists with kind %q, the spec wants %q", s.Name, linkKind(cur), k)
		}
		if changes, data := p.kindChanges(s, cur); len(changes) > 0 {
			if data == nil {
				return fixedKindError(name, linkKind(cur), changes)
			}
			parts := make([]string, len(changes))
			for i, c := range changes {
				parts[i] = c.String()
			}
			kind := linkKind(cur)
			set(stageLinkSet, Modify, fmt.Sprintf("link %s type %s %s", name, kind, strings.Join(parts, ", ")),
				func(l *netlink.Link, _ *resolver) error {
					l.Info = &netlink.LinkInfo{InfoKind: kind, Data: data}
					return nil
				})
		}
	}
	if s.MTU != nil && cur != nil && cur.MaxMTU != 0 && (*s.MTU < cur.MinMTU || *s.MTU > cur.MaxMTU) {
		return invalid("link %s: mtu %d out of the device's range %d-%d", name, *s.MTU, cur.MinMTU, cur.MaxMTU)
	}
	if s.Master != nil && *s.Master != "" {
		if m := p.links[*s.Master]; m == nil || m.cur != nil {
			ml := p.lookup(*s.Master)
			if m != nil {
				ml = m.cur
			}
			if k := linkKind(ml); ml != nil && k != "bridge" && k != "bond" && k != "vrf" && k != "team" && k != "openvswitch" {
				return invalid("link %s: master %s is a %s, not a bridge, bond or vrf", name, ml.Name, strOrNone(k))
			}
		} else if m.spec != nil {
			if k := specKind(m.spec.Info); k != "" && k != "bridge" && k != "bond" && k != "vrf" {
				return invalid("link %s: master %s is created as a %s, not a bridge, bond or vrf", name, *s.Master, k)
			}
		}
	}
	if !created {
		if s.MTU != nil && (unknown || cur.MTU != *s.MTU) {
			v := *s.MTU
			desc := fmt.Sprintf("link %s mtu %d", name, v)
			if !unknown {
				desc = fmt.Sprintf("link %s mtu %d -> %d", name, cur.MTU, v)
			}
			set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error { l.MTU = v; return nil })
		}
		if s.Address != nil && (unknown || !bytes.Equal(cur.Address, s.Address)) {
			v := s.Address
			desc := fmt.Sprintf("link %s address %s", name, v)
			if !unknown {
				desc = fmt.Sprintf("link %s address %s -> %s", name, cur.Address, v)
			}
			set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error { l.Address = v; return nil })
		}
		if s.TxQueueLen != nil && (unknown || cur.TxQueueLen != *s.TxQueueLen) {
			v := *s.TxQueueLen
			desc := fmt.Sprintf("link %s txqueuelen %d", name, v)
			if !unknown {
				desc = fmt.Sprintf("link %s txqueuelen %d -> %d", name, cur.TxQueueLen, v)
			}
			set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error {
				l.TxQueueLen = v
				if v == 0 {
					l.Zero |= netlink.ZeroTxQueueLen
				}
				return nil
			})
		}
		if s.Alias != nil && (unknown || cur.Alias != *s.Alias) {
			v := *s.Alias
			desc := fmt.Sprintf("link %s alias %q", name, v)
			if !unknown {
				desc = fmt.Sprintf("link %s alias %q -> %q", name, cur.Alias, v)
			}
			set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error {
				l.Alias = v
				if v == "" {
					l.Zero |= netlink.ZeroAlias
				}
				return nil
			})
		}
	}
	if s.Up != nil && !*s.Up && (unknown || cur.Flags&unix.IFF_UP != 0) && !created {
		desc := "link " + name + " down"
		if !unknown {
			desc = "link " + name + " up -> down"
		}
		set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error {
			l.Change = unix.IFF_UP
			return nil
		})
	}
	if s.Master != nil {
		m := *s.Master
		if m == "" {
			if unknown || cur.Master != 0 {
				if !created {
					desc := "link " + name + " nomaster"
					if !unknown {
						desc = "link " + name + " master " + p.nameOf(cur.Master) + " -> (none)"
					}
					set(stageLinkSet, Modify, desc, func(l *netlink.Link, _ *resolver) error {
						l.Zero |= netlink.ZeroMaster
						return nil
					})
				}
			}
		} else {
			midx, pending, err := p.ref(m)
			if err != nil {
				return fmt.Errorf("link %s master: %w", name, err)
			}
			if unknown || pending || cur.Master != midx {
				desc := "link " + name + " master " + m
				if !unknown {
					desc = "link " + name + " master " + strOrNone(p.nameOf(cur.Master)) + " -> " + m
				}
				set(stageLinkMaster, Modify, desc, func(l *netlink.Link, r *resolver) error {
					idx, err := r.index(m)
					l.Master = idx
					return err
				})
			}
		}
	}
	if s.Up != nil && *s.Up && (unknown || cur.Flags&unix.IFF_UP == 0) {
		desc := "link " + name + " up"
		if !unknown {
			desc = "link " + name + " down -> up"
		}
		set(stageLinkUp, Modify, desc, func(l *netlink.Link, _ *resolver) error {
			l.Flags, l.Change = unix.IFF_UP, unix.IFF_UP
			return nil
		})
	}
	return nil
}

func (p *planner) planLinkCreate(ref specRef, s *LinkSpec) error {
	var level uint8
	if s.Parent != "" {
		_, pending, err := p.ref(s.Parent)
		if err != nil {
			return fmt.Errorf("link %s parent: %w", s.Name, err)
		}
		if pending {
			level = 1
		}
	}
	spec := s
	kind := specKind(s.Info)
	desc := "link " + s.Name + " type " + kind
	if v, ok := s.Info.Data.(*netlink.Veth); ok && v.Peer != nil {
		desc += " peer " + v.Peer.Name
	}
	if s.Parent != "" {
		desc += " link " + s.Parent
	}
	if s.MTU != nil {
		desc += fmt.Sprintf(" mtu %d", *s.MTU)
	}
	if s.Address != nil {
		desc += " address " + s.Address.String()
	}
	p.add(&Step{Action: Create, Kind: netlink.KindLink, stage: stageLinkCreate, level: level, spec: ref, created: s.Name,
		desc: func() string { return desc },
		build: func(r *resolver) (netlink.Request, error) {
			info := *spec.Info
			info.InfoKind = kind
			if v, ok := info.Data.(*netlink.Veth); ok && v.Peer != nil {
				peer := *v.Peer
				info.Data = &netlink.Veth{Peer: &peer}
			}
			l := &netlink.Link{Name: spec.Name, Info: &info, Address: spec.Address}
			if spec.MTU != nil {
				l.MTU = *spec.MTU
			}
			if spec.TxQueueLen != nil {
				l.TxQueueLen = *spec.TxQueueLen
			}
			if spec.Alias != nil {
				l.Alias = *spec.Alias
			}
			if spec.Parent != "" {
				idx, err := r.index(spec.Parent)
				if err != nil {
					return netlink.Request{}, err
				}
				l.ParentIndex = idx
			}
			return netlink.LinkRequest(netlink.Add, l), nil
		}})
	return nil
}

func bridgeSatisfied(want, have *netlink.Bridge) bool {
	if have == nil {
		return false
	}
	eq32 := func(a, b *uint32) bool { return a == nil || (b != nil && *a == *b) }
	eq16 := func(a, b *uint16) bool { return a == nil || (b != nil && *a == *b) }
	eqb := func(a, b *bool) bool { return a == nil || (b != nil && *a == *b) }
	return eq32(want.ForwardDelay, have.ForwardDelay) && eq32(want.HelloTime, have.HelloTime) &&
		eq32(want.MaxAge, have.MaxAge) && eq32(want.AgeingTime, have.AgeingTime) &&
		eq32(want.StpState, have.StpState) && eq16(want.Priority, have.Priority) &&
		eqb(want.VlanFiltering, have.VlanFiltering) && eq16(want.VlanProtocol, have.VlanProtocol) &&
		eq16(want.DefaultPVID, have.DefaultPVID) && eqb(want.McastSnooping, have.McastSnooping)
}

// ---- addresses ----

func addrFamily(p netip.Prefix) uint8 {
	if p.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// kernelAddr reports addresses the kernel configures by itself.
func kernelAddr(a *netlink.Addr) bool {
	ad := a.Prefix.Addr()
	return a.Proto == netlink.AddrProtoKernelLo || a.Proto == netlink.AddrProtoKernelLL ||
		a.Proto == netlink.AddrProtoKernelRA || ad.IsLoopback() || (ad.Is6() && ad.IsLinkLocalUnicast())
}

func addrSatisfied(a *netlink.Addr, s *AddrSpec) bool {
	peer := a.Peer
	if peer == a.Prefix.Addr() {
		peer = netip.Addr{}
	}
	return peer == s.Peer &&
		(!s.Broadcast.IsValid() || a.Broadcast == s.Broadcast) &&
		(s.Label == "" || a.Label == s.Label) &&
		(s.Scope == nil || a.Scope == *s.Scope) &&
		(s.Metric == nil || a.Metric == *s.Metric) &&
		(!s.exact || a.Flags&addrConfigFlags == s.flags)
}

func (p *planner) planAddrSet(ref specRef, s *AddrSetSpec) error {
	idx, pending, err := p.ref(s.Link)
	if err != nil {
		return fmt.Errorf("addresses of %s: %w", s.Link, err)
	}
	if !pending {
		for a := range p.st.AddrsOf(idx) {
			if kernelAddr(a) {
				continue
			}
			p.observe(a)
			if !slices.ContainsFunc(s.Addrs, func(w AddrSpec) bool { return w.Prefix == a.Prefix }) {
				p.addrDel(ref, s.Link, a)
			}
		}
	}
	return p.planAddrs(ref, s.Link, s.Addrs, true)
}

func (p *planner) addrDel(ref specRef, link string, a *netlink.Addr) {
	del := &netlink.Addr{Family: a.Family, Index: a.Index, Prefix: a.Prefix, Peer: a.Peer}
	p.add(&Step{Action: Remove, Kind: netlink.KindAddr, stage: stageAddrDel, spec: ref,
		desc:  func() string { return fmt.Sprintf("addr %s dev %s", del.Prefix, link) },
		build: func(*resolver) (netlink.Request, error) { return netlink.AddrRequest(netlink.Delete, del), nil }})
}

func (p *planner) planAddrs(ref specRef, link string, want []AddrSpec, inSet bool) error {
	idx, pending, err := p.ref(link)
	if err != nil {
		return fmt.Errorf("addr on %s: %w", link, err)
	}
	for i := range want {
		s := &want[i]
		var ex *netlink.Addr
		if !pending {
			for a := range p.st.AddrsOf(idx) {
				if a.Prefix == s.Prefix {
					ex = a
					break
				}
			}
			if !inSet {
				p.observe(ex)
			}
		}
		if s.Absent && !inSet {
			if ex != nil {
				p.addrDel(ref, link, ex)
			}
			continue
		}
		if ex != nil && addrSatisfied(ex, s) {
			continue
		}
		verb, act := netlink.Add, Create
		if ex != nil {
			verb, act = netlink.Replace, Modify
			// inet6_addr_modify ignores a metric (IFA_RT_PRIORITY) of 0 and
			// flags it cannot change: such an address is removed and added
			// again, so that its kernel-made prefix route is what it was.
			//
			// A replace changes only the metric (inet_rtm_newaddr,
			// inet6_addr_modify): a new peer, broadcast, label or scope
			// needs a new address, and removing one can flush the routes
			// through the link (fib_disable_ip). A rollback does that and
			// restores the routes; a spec is refused.
			fixed := addrFixedChanges(ex, s)
			if len(fixed) > 0 && !s.exact {
				return invalid("addr %s dev %s: %s cannot be changed in place; remove the address first (absent: true) and add it again",
					s.Prefix, link, strings.Join(fixed, ", "))
			}
			if len(fixed) > 0 || (ex.Family == unix.AF_INET6 && s.Metric != nil && *s.Metric == 0 && ex.Metric != 0) ||
				(s.exact && s.flags != ex.Flags&addrConfigFlags) {
				p.addrDel(ref, link, ex)
				verb, act = netlink.Add, Create
			}
		}
		spec := *s
		var changes changeList
		if ex != nil {
			changes = addrChanges(ex, s)
		}
		p.add(&Step{Action: act, Kind: netlink.KindAddr, stage: stageAddrAdd, spec: ref,
			desc: func() string { return fmt.Sprintf("addr %s dev %s%s", spec.Prefix, link, changes) },
			build: func(r *resolver) (netlink.Request, error) {
				idx, err := r.index(link)
				if err != nil {
					return netlink.Request{}, err
				}
				a := &netlink.Addr{Family: addrFamily(spec.Prefix), Index: idx, Prefix: spec.Prefix, Peer: spec.Peer,
					Broadcast: spec.Broadcast, Label: spec.Label}
				if spec.Scope != nil {
					a.Scope = *spec.Scope
				}
				if spec.Metric != nil {
					a.Metric = *spec.Metric
				}
				a.Flags = spec.flags
				return netlink.AddrRequest(verb, a), nil
			}})
	}
	return nil
}

// ---- routes ----

func routeFamily(dst netip.Prefix) uint8 { return addrFamily(dst) }

// routePriority is the metric the kernel gives a route: IPv6 routes
// without one get 1024.
func routePriority(fam uint8, p uint32) uint32 {
	if p == 0 && fam == unix.AF_INET6 {
		return 1024
	}
	return p
}

func routeTable(t uint32) uint32 {
	if t == 0 {
		return unix.RT_TABLE_MAIN
	}
	return t
}

// sameRouteID reports whether r has the identity of s (family, TOS,
// priority; table and destination are already selected; no IPv6 source).
func sameRouteID(r *netlink.Route, fam uint8, s *RouteSpec) bool {
	return r.Family == fam && r.TOS == s.TOS && r.Priority == routePriority(fam, s.Priority) &&
		(r.Extra == nil || !r.Extra.Src.IsValid())
}

func routeSatisfied(r *netlink.Route, s *RouteSpec, oif int, hops []int) bool {
	typ := s.Type
	if typ == 0 {
		typ = netlink.RouteUnicast
	}
	if r.Type != typ || r.Gateway != s.Gateway || (s.Dev != "" && int(r.OIF) != oif) ||
		(s.Src.IsValid() && r.PrefSrc != s.Src) || (s.Protocol != 0 && r.Protocol != s.Protocol) ||
		(s.Scope != nil && r.Scope != *s.Scope) || (r.Flags&unix.RTNH_F_ONLINK != 0) != s.Onlink {
		return false
	}
	if s.Metrics != nil && !metricsSatisfied(routeMetrics(r), s.Metrics, s.exact) {
		return false
	}
	if len(r.Multipath) != len(s.Multipath) {
		return false
	}
	for i := range s.Multipath {
		h, w := &r.Multipath[i], &s.Multipath[i]
		weight := max(w.Weight, 1)
		if h.Gateway != w.Gateway || (w.Dev != "" && int(h.IfIndex) != hops[i]) || h.Weight() != weight ||
			(h.Flags&unix.RTNH_F_ONLINK != 0) != w.Onlink {
			return false
		}
	}
	return true
}

func (s *RouteSpec) describe() string {
	var b strings.Builder
	b.WriteString("route ")
	if s.Type != 0 && s.Type != netlink.RouteUnicast {
		b.WriteString(s.Type.String() + " ")
	}
	b.WriteString(s.Dst.String())
	if s.Gateway.IsValid() {
		b.WriteString(" via " + s.Gateway.String())
	}
	if s.Dev != "" {
		b.WriteString(" dev " + s.Dev)
	}
	for _, h := range s.Multipath {
		b.WriteString(" nexthop")
		if h.Gateway.IsValid() {
			b.WriteString(" via " + h.Gateway.String())
		}
		if h.Dev != "" {
			b.WriteString(" dev " + h.Dev)
		}
		if h.Weight > 1 {
			fmt.Fprintf(&b, " weight %d", h.Weight)
		}
	}
	if s.Src.IsValid() {
		b.WriteString(" src " + s.Src.String())
	}
	if t := routeTable(s.Table); t != unix.RT_TABLE_MAIN {
		b.WriteString(" table " + netlink.TableName(t))
	}
	if s.Priority != 0 {
		fmt.Fprintf(&b, " metric %d", s.Priority)
	}
	if s.TOS != 0 {
		fmt.Fprintf(&b, " tos %#x", s.TOS)
	}
	return b.String()
}

func (p *planner) describeRoute(r *netlink.Route) string {
	s := RouteSpec{Dst: r.Dst, Table: r.Table, TOS: r.TOS, Priority: r.Priority, Type: r.Type,
		Gateway: r.Gateway, Dev: p.nameOf(int(r.OIF)), Src: r.PrefSrc}
	for _, h := range r.Multipath {
		s.Multipath = append(s.Multipath, RouteHopSpec{Gateway: h.Gateway, Dev: p.nameOf(int(h.IfIndex)), Weight: h.Weight()})
	}
	return s.describe()
}

func (p *planner) planRoute(ref specRef, s *RouteSpec) error {
	fam := routeFamily(s.Dst)
	table := routeTable(s.Table)
	oif, pending := 0, false
	if s.Dev != "" && !s.Absent {
		var err error
		if oif, pending, err = p.ref(s.Dev); err != nil {
			return fmt.Errorf("%s: %w", s.describe(), err)
		}
	}
	var hops []int
	if len(s.Multipath) > 0 && !s.Absent {
		hops = make([]int, len(s.Multipath))
		for i, h := range s.Multipath {
			if h.Dev == "" {
				continue
			}
			idx, pend, err := p.ref(h.Dev)
			if err != nil {
				return fmt.Errorf("%s: %w", s.describe(), err)
			}
			hops[i], pending = idx, pending || pend
		}
	}
	all := p.routesTo(p.scratch[:0], int(ref.i), table, s.Dst)
	ex := all[:0]
	for _, r := range all {
		if sameRouteID(r, fam, s) {
			ex = append(ex, r)
			p.observe(r)
		}
	}
	p.scratch = all[:0]
	if s.Absent {
		for _, r := range ex {
			del := *r
			desc := p.describeRoute(r)
			p.add(&Step{Action: Remove, Kind: netlink.KindRoute, stage: stageRouteDel, spec: ref,
				desc:  func() string { return desc },
				build: func(*resolver) (netlink.Request, error) { return netlink.RouteRequest(netlink.Delete, &del), nil }})
		}
		return nil
	}
	if !pending {
		for _, r := range ex {
			if routeSatisfied(r, s, oif, hops) {
				return nil
			}
		}
	}
	verb, act := netlink.Add, Create
	var have *netlink.Route
	desc := s.describe
	if len(ex) > 0 {
		verb, act = netlink.Replace, Modify
		// NLM_F_REPLACE replaces the first route of the identity.
		have = ex[0]
		desc = func() string { return s.describe() + p.routeChanges(have, s).String() }
	}
	p.add(&Step{Action: act, Kind: netlink.KindRoute, stage: stageRouteAdd, spec: ref,
		desc: desc,
		build: func(r *resolver) (netlink.Request, error) {
			rt, err := r.route(s, fam, table)
			if err != nil {
				return netlink.Request{}, err
			}
			if have != nil {
				keepUnmentioned(rt, have, s)
			}
			return netlink.RouteRequest(verb, rt), nil
		}})
	return nil
}

// ---- neighbours ----

func neighState(s *NeighSpec) uint16 {
	if s.State == 0 {
		return unix.NUD_PERMANENT
	}
	return s.State
}

func (p *planner) planNeigh(ref specRef, s *NeighSpec) error {
	fam := uint8(unix.AF_INET)
	if s.Dst.Is6() {
		fam = unix.AF_INET6
	}
	idx, pending, err := p.ref(s.Link)
	if err != nil {
		if s.Absent && errors.Is(err, ErrInvalid) {
			return nil // no link, no entry
		}
		return fmt.Errorf("neigh %s dev %s: %w", s.Dst, s.Link, err)
	}
	var ex *netlink.Neigh
	if !pending {
		for n := range p.st.NeighsOf(idx) {
			if n.Family == fam && n.Dst == s.Dst && n.Flags&unix.NTF_PROXY == 0 {
				ex = n
				break
			}
		}
		p.observe(ex)
	}
	link := s.Link
	if s.Absent {
		if ex != nil {
			del := &netlink.Neigh{Family: fam, Index: ex.Index, Dst: ex.Dst}
			p.add(&Step{Action: Remove, Kind: netlink.KindNeigh, stage: stageNeighDel, spec: ref,
				desc:  func() string { return fmt.Sprintf("neigh %s dev %s", del.Dst, link) },
				build: func(*resolver) (netlink.Request, error) { return netlink.NeighRequest(netlink.Delete, del), nil }})
		}
		return nil
	}
	if ex != nil && bytes.Equal(ex.LLAddr, s.LLAddr) && ex.State == neighState(s) {
		return nil
	}
	act := Create
	var changes changeList
	if ex != nil {
		act = Modify
		changes = neighChanges(ex, s)
	}
	spec := *s
	p.add(&Step{Action: act, Kind: netlink.KindNeigh, stage: stageNeighAdd, spec: ref,
		desc: func() string { return fmt.Sprintf("neigh %s lladdr %s dev %s%s", spec.Dst, spec.LLAddr, link, changes) },
		build: func(r *resolver) (netlink.Request, error) {
			idx, err := r.index(link)
			if err != nil {
				return netlink.Request{}, err
			}
			return netlink.NeighRequest(netlink.Replace, &netlink.Neigh{Family: fam, Index: idx, Dst: spec.Dst,
				LLAddr: spec.LLAddr, State: neighState(&spec)}), nil
		}})
	return nil
}

// ---- rules ----

func ruleMatches(have, want netlink.Rule) bool {
	if want.Priority == 0 {
		have.Priority = 0
	}
	if want.Protocol == 0 {
		have.Protocol = 0
	}
	return reflect.DeepEqual(have, want)
}

// ruleSelects reports whether have is a rule that the absent spec want
// selects, as `ip rule del` selects (the kernel's rule_find and
// fib4/fib6_rule_compare): every field want gives must equal have's, and
// the fields it leaves zero (or nil) are wildcards. A mark without a mask
// selects the mask 0xffffffff, as in the kernel.
func ruleSelects(have *netlink.Rule, want netlink.Rule) bool {
	fam := normRule(want).Family
	w := &want
	switch {
	case have.Family != fam,
		w.Action != 0 && have.Action != w.Action,
		w.Table != 0 && have.Table != w.Table,
		w.Priority != 0 && have.Priority != w.Priority,
		w.IIFName != "" && have.IIFName != w.IIFName,
		w.OIFName != "" && have.OIFName != w.OIFName,
		w.Mark != 0 && have.Mark != w.Mark,
		w.Mask != 0 && have.Mask != w.Mask,
		w.Mark != 0 && w.Mask == 0 && have.Mask != 0xffffffff,
		w.TunID != 0 && have.TunID != w.TunID,
		w.L3MDev != 0 && have.L3MDev != w.L3MDev,
		w.UIDRange != nil && (have.UIDRange == nil || *have.UIDRange != *w.UIDRange),
		w.IPProto != 0 && have.IPProto != w.IPProto,
		w.Protocol != 0 && have.Protocol != w.Protocol,
		w.SPort != (netlink.RulePortRange{}) && have.SPort != w.SPort,
		w.DPort != (netlink.RulePortRange{}) && have.DPort != w.DPort,
		w.Src.IsValid() && have.Src != w.Src,
		w.Dst.IsValid() && have.Dst != w.Dst,
		w.TOS != 0 && have.TOS != w.TOS,
		w.Flow != 0 && have.Flow != w.Flow,
		w.Goto != 0 && have.Goto != w.Goto,
		w.Flags&unix.FIB_RULE_INVERT != 0 && have.Flags&unix.FIB_RULE_INVERT == 0,
		w.SuppressPrefixLen != nil && (have.SuppressPrefixLen == nil || *have.SuppressPrefixLen != *w.SuppressPrefixLen),
		w.SuppressIfGroup != nil && (have.SuppressIfGroup == nil || *have.SuppressIfGroup != *w.SuppressIfGroup):
		return false
	}
	return true
}

// ruleSpecMatches reports whether the existing rule r is one that spec s
// is about: for an absent spec, every rule it selects (ruleSelects); for
// a present one, the rule of the same identity (every field but the
// protocol, and the priority when the spec gives none).
func ruleSpecMatches(r *netlink.Rule, s *RuleSpec) bool {
	if s.Absent && !s.exact {
		return ruleSelects(r, s.Rule)
	}
	return ruleMatches(normRule(*r), normRule(s.Rule))
}

func (p *planner) planRule(ref specRef, s *RuleSpec) error {
	want := normRule(s.Rule)
	var ex []*netlink.Rule
	for r := range p.st.Rules() {
		if ruleSpecMatches(r, s) {
			ex = append(ex, r)
			p.observe(r)
		}
	}
	if s.Absent {
		for _, r := range ex {
			del := *r
			p.add(&Step{Action: Remove, Kind: netlink.KindRule, stage: stageRuleDel, spec: ref,
				desc:  func() string { return "rule " + del.String() },
				build: func(*resolver) (netlink.Request, error) { return netlink.RuleRequest(netlink.Delete, &del), nil }})
		}
		return nil
	}
	if len(ex) > 0 {
		return nil
	}
	p.add(&Step{Action: Create, Kind: netlink.KindRule, stage: stageRuleAdd, spec: ref,
		desc:  func() string { return "rule " + want.String() },
		build: func(*resolver) (netlink.Request, error) { return netlink.RuleRequest(netlink.Add, &want), nil }})
	return nil
}

package txn

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// NexthopMemberSpec is one member of a nexthop group (`ip nexthop add id
// N group ID[,WEIGHT]/...`).
type NexthopMemberSpec struct {
	// ID is the member nexthop's id: a single nexthop (Linux has no
	// nested groups) that exists or that the transaction creates.
	ID uint32
	// Weight is the member's weight, 1 to 65536 (Linux 6.12 and later;
	// 256 before); zero means 1.
	Weight uint32
}

// NexthopSpec is the desired state of the nexthop object with id ID
// (RTM_NEWNEXTHOP, `ip nexthop`): a device with an optional gateway, a
// blackhole, an FDB nexthop (a gateway only), or a group of single
// nexthops. Routes use it through RouteSpec.NHID. Attributes left at
// their zero value keep what an existing nexthop has, except the shape
// (gateway, device, blackhole, fdb, group members), which is always the
// spec's.
//
// The kernel replaces a nexthop in place (`ip nexthop replace`, and the
// routes over it follow), but refuses to turn a single nexthop into a
// group or back, to change a group's type or a resilient group's number
// of buckets (replace_nexthop in net/ipv4/nexthop.c); a plan refuses
// those with ErrInvalid. Removing a nexthop (Absent) makes the kernel
// drop the routes that use it and shrink the groups that contain it,
// without a notification (remove_nexthop); a rollback brings them back.
type NexthopSpec struct {
	// ID is the nexthop's id (NHA_ID, ip's "id"); required, not zero.
	ID uint32
	// Absent deletes the nexthop if present.
	Absent bool
	// Family is unix.AF_INET or unix.AF_INET6 for a single nexthop
	// without a gateway (ip's -4 or -6: IPv6 routes cannot use an IPv4
	// nexthop); zero means the gateway's family, or AF_INET when one is
	// created without a gateway (and the existing family otherwise). A
	// group has none.
	Family uint8
	// Gateway is the next hop's address (NHA_GATEWAY, ip's "via").
	Gateway netip.Addr
	// Dev names the output link (NHA_OIF, ip's "dev"); required for a
	// single nexthop that is neither a blackhole nor an FDB nexthop.
	Dev string
	// Onlink marks the gateway as directly reachable on Dev.
	Onlink bool
	// Blackhole makes a nexthop that drops packets (NHA_BLACKHOLE); it
	// needs the loopback link up.
	Blackhole bool
	// FDB makes a nexthop (or group) for the bridge FDB of vxlan links
	// rather than for routes (NHA_FDB).
	FDB bool
	// Protocol, if not zero, is the nexthop's protocol (nh_protocol, ip's
	// "proto"); a new nexthop without one gets unspec.
	Protocol netlink.RouteProtocol
	// Group lists the members of a group nexthop (NHA_GROUP); order does
	// not matter.
	Group []NexthopMemberSpec
	// GroupType is the group's type: netlink.GroupMpath (the default) or
	// netlink.GroupResilient.
	GroupType netlink.NexthopGroupType
	// Buckets is a resilient group's number of hash buckets
	// (NHA_RES_GROUP_BUCKETS); zero means the kernel's default (128) for
	// a new group and the existing number otherwise.
	Buckets uint16
	// IdleTimer, if set, is how long a resilient group's bucket must be
	// idle before it may move (NHA_RES_GROUP_IDLE_TIMER, 10 ms
	// resolution); a new group without one gets 120 s.
	IdleTimer *time.Duration
	// UnbalancedTimer, if set, is how long a resilient group may stay
	// unbalanced before busy buckets move too, zero for never
	// (NHA_RES_GROUP_UNBALANCED_TIMER); a new group without one gets 0.
	UnbalancedTimer *time.Duration

	// exact (rollback only): the nexthop must have exactly this protocol
	// and family.
	exact bool
}

// defaultIdleTimer is the kernel's idle timer of a resilient group
// created without one (NH_RES_DEFAULT_IDLE_TIMER, net/ipv4/nexthop.c).
const defaultIdleTimer = 120 * time.Second

func (s *NexthopSpec) isGroup() bool { return len(s.Group) > 0 }

func (s *NexthopSpec) what() string { return "nexthop id " + strconv.FormatUint(uint64(s.ID), 10) }

// draft returns the nexthop s asks for, with a placeholder device index
// and the resilient parameters the kernel would get, for validation.
func (s *NexthopSpec) draft(oif uint32) *netlink.Nexthop {
	n := &netlink.Nexthop{ID: s.ID, Family: s.Family, Protocol: s.Protocol, Blackhole: s.Blackhole,
		Gateway: s.Gateway, FDB: s.FDB, GroupType: s.GroupType}
	if s.isGroup() {
		n.Family = 0
	}
	if s.Dev != "" {
		n.OIF = oif
	}
	if s.Onlink {
		n.Flags |= unix.RTNH_F_ONLINK
	}
	for _, m := range s.Group {
		n.Group = append(n.Group, netlink.NexthopGroupMember{ID: m.ID, Weight: max(m.Weight, 1)})
	}
	if s.GroupType == netlink.GroupResilient {
		n.Resilient = &netlink.NexthopResilient{Buckets: s.Buckets, IdleTimer: defaultIdleTimer}
		if s.IdleTimer != nil {
			n.Resilient.IdleTimer = *s.IdleTimer
		}
		if s.UnbalancedTimer != nil {
			n.Resilient.UnbalancedTimer = *s.UnbalancedTimer
		}
	}
	return n
}

// validate checks s on its own: the rules of netlink.NexthopRequest
// (the kernel's, rtm_to_nh_config), plus those of txn's fields.
func (s *NexthopSpec) validate() error {
	if s.ID == 0 {
		return invalid("nexthop: id 0 (a spec needs the nexthop's id)")
	}
	if s.Absent {
		return nil
	}
	if s.Dev != "" {
		if err := validName(s.what()+" dev", s.Dev); err != nil {
			return err
		}
	}
	if s.GroupType != netlink.GroupResilient && (s.Buckets != 0 || s.IdleTimer != nil || s.UnbalancedTimer != nil) {
		return invalid("%s: buckets, idle_timer and unbalanced_timer need a resilient group", s.what())
	}
	for _, d := range []*time.Duration{s.IdleTimer, s.UnbalancedTimer} {
		if d != nil && (*d < 0 || *d/(10*time.Millisecond) > 1<<32-1) {
			return invalid("%s: resilient timer %s out of range", s.what(), *d)
		}
	}
	if s.isGroup() && s.Family != 0 {
		return invalid("%s: a group has no family", s.what())
	}
	if err := netlink.NexthopRequest(netlink.Add, s.draft(1)).Err(); err != nil {
		return draftInvalid(s.what(), err)
	}
	return nil
}

// Nexthop adds a nexthop object spec.
func (t *Txn) Nexthop(s NexthopSpec) *Txn {
	t.specs.nexthops = append(t.specs.nexthops, s)
	t.plan = nil
	return t
}

// nexthopOps is the kindOps of nexthop objects.
type nexthopOps struct{}

func (nexthopOps) count(ss *specSet) int { return len(ss.nexthops) }

func (nexthopOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.nexthops {
		fn(specRef{kind: netlink.KindNexthop, i: int32(i)})
	}
}

// validate checks each nexthop spec, that no two name one id, that a
// group's members named by specs of the transaction are present single
// nexthops, and that no route spec uses a nexthop the transaction
// removes. Members and route nexthops that no spec names are checked
// against the state when planning.
func (nexthopOps) validate(ss *specSet) error {
	byID := make(map[uint32]*NexthopSpec, len(ss.nexthops))
	firstOf := make(map[uint32]int, len(ss.nexthops))
	for i := range ss.nexthops {
		s := &ss.nexthops[i]
		ref := specRef{kind: netlink.KindNexthop, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if byID[s.ID] != nil {
			return duplicateErr(netlink.KindNexthop, false, i, firstOf[s.ID], fmt.Sprintf("nexthop id %d", s.ID))
		}
		byID[s.ID] = s
		firstOf[s.ID] = i
	}
	for i := range ss.nexthops {
		s := &ss.nexthops[i]
		for _, m := range s.Group {
			switch ms := byID[m.ID]; {
			case ms == nil:
			case ms.Absent:
				return specErr(specRef{kind: netlink.KindNexthop, i: int32(i)}, invalid("%s: member %d is removed by this transaction", s.what(), m.ID))
			case ms.isGroup():
				return specErr(specRef{kind: netlink.KindNexthop, i: int32(i)}, invalid("%s: member %d is a group (Linux has no nested groups)", s.what(), m.ID))
			}
		}
	}
	if len(byID) == 0 {
		return nil
	}
	for i := range ss.routes {
		r := &ss.routes[i]
		if ns := byID[r.NHID]; r.NHID != 0 && !r.Absent && ns != nil && ns.Absent {
			return invalid("route %s: uses nexthop id %d, which this transaction removes", r.Dst, r.NHID)
		}
	}
	return nil
}

// nexthopSpecs returns the nexthop specs of p's set by id.
func (p *planner) nexthopSpecs() map[uint32]*NexthopSpec {
	if p.nhSpecs == nil {
		p.nhSpecs = make(map[uint32]*NexthopSpec, len(p.ss.nexthops))
		for i := range p.ss.nexthops {
			p.nhSpecs[p.ss.nexthops[i].ID] = &p.ss.nexthops[i]
		}
	}
	return p.nhSpecs
}

// nexthop returns the nexthop id of the state, or nil.
func (p *planner) nexthop(id uint32) *netlink.Nexthop {
	n, err := p.st.Nexthop(id)
	if err != nil {
		return nil
	}
	return n
}

// nexthopDoomed reports whether the existing nexthop id goes away during
// the transaction before the nexthop and route stages: a spec removes it,
// the transaction deletes or downs its link (nexthop_flush_dev), or it
// is a group whose members all go (remove_nh_grp_entry removes a group
// with its last member). The kernel then drops the routes over it
// without telling, so a route or group spec it satisfies now is planned
// anyway (and sent with NLM_F_CREATE|NLM_F_REPLACE).
func (p *planner) nexthopDoomed(id uint32) bool {
	if d, ok := p.nhDoomed[id]; ok {
		return d
	}
	if p.nhDoomed == nil {
		p.nhDoomed = map[uint32]bool{}
	}
	p.nhDoomed[id] = false // no nested groups, but no loop either
	d := false
	if n := p.nexthop(id); n != nil {
		switch s := p.nexthopSpecs()[id]; {
		case s != nil && s.Absent:
			d = true
		case n.IsGroup():
			d = true
			for _, m := range n.Group {
				d = d && p.nexthopDoomed(m.ID)
			}
		default:
			d = n.OIF != 0 && p.linkDropsNexthops(int(n.OIF))
		}
	}
	p.nhDoomed[id] = d
	return d
}

// linkDropsNexthops reports whether the transaction deletes, moves away
// or takes down the link of index idx.
func (p *planner) linkDropsNexthops(idx int) bool {
	if p.delIdx[idx] {
		return true
	}
	for _, pl := range p.links {
		if pl.cur != nil && pl.cur.Index == idx {
			return pl.gone || pl.spec != nil && pl.spec.Up != nil && !*pl.spec.Up && pl.cur.Flags&unix.IFF_UP != 0
		}
	}
	return false
}

// nhView is what the plan knows of a nexthop as it is after the
// transaction: from its spec, or else from the state.
type nhView struct {
	group, blackhole, fdb bool
	// v4: an IPv4 nexthop, or a group with one (IPv6 routes cannot use
	// it: fib6_check_nexthop).
	v4 bool
}

// nexthopWillBe reports whether the nexthop id exists after the
// transaction, and what it is then. It is memoized: a plan of many
// routes over a few nexthops asks for each many times.
func (p *planner) nexthopWillBe(id uint32) (nhView, bool) {
	if w, ok := p.nhViews[id]; ok {
		return w.v, w.exists
	}
	v, exists := p.nexthopView(id)
	if p.nhViews == nil {
		p.nhViews = map[uint32]nhWill{}
	}
	p.nhViews[id] = nhWill{v, exists}
	return v, exists
}

// nhWill is a memoized answer of nexthopWillBe.
type nhWill struct {
	v      nhView
	exists bool
}

func (p *planner) nexthopView(id uint32) (v nhView, exists bool) {
	ex := p.nexthop(id)
	if s := p.nexthopSpecs()[id]; s != nil {
		if s.Absent {
			return v, false
		}
		v = nhView{group: s.isGroup(), blackhole: s.Blackhole, fdb: s.FDB}
		if v.group {
			for _, m := range s.Group {
				if mv, ok := p.singleWillBe(m.ID); ok && mv.v4 {
					v.v4 = true
				}
			}
			return v, true
		}
		fam := nexthopFamily(s)
		if fam == 0 && ex != nil && !ex.IsGroup() {
			fam = ex.Family
		}
		v.v4 = fam != unix.AF_INET6
		return v, true
	}
	if ex == nil {
		return v, false
	}
	v = nhView{group: ex.IsGroup(), blackhole: ex.Blackhole, fdb: ex.FDB, v4: ex.Family == unix.AF_INET}
	for _, m := range ex.Group {
		if mv, ok := p.singleWillBe(m.ID); ok && mv.v4 {
			v.v4 = true
		}
	}
	return v, true
}

// singleWillBe is nexthopWillBe of a group's member, which is never a
// group itself.
func (p *planner) singleWillBe(id uint32) (nhView, bool) {
	if s := p.nexthopSpecs()[id]; s != nil && s.isGroup() {
		return nhView{group: true}, true
	}
	if n := p.nexthop(id); n != nil && n.IsGroup() {
		return nhView{group: true}, true
	}
	return p.nexthopWillBe(id)
}

func (nexthopOps) plan(p *planner, ref specRef) error {
	return p.planNexthop(ref, &p.ss.nexthops[ref.i])
}

// verifyIndex is nil: a nexthop change rechecks every nexthop spec (a
// removal can shrink groups).
func (nexthopOps) verifyIndex() verifyIndex { return nil }

// nexthopLevel orders nexthop steps within their stage: single nexthops
// are created before the groups that use them and removed after them.
func nexthopLevel(group, remove bool) uint8 {
	if group != remove {
		return 1
	}
	return 0
}

func (p *planner) planNexthop(ref specRef, s *NexthopSpec) error {
	ex := p.nexthop(s.ID)
	observe(p, ex)
	if s.Absent {
		if ex == nil {
			return nil
		}
		del := &netlink.Nexthop{ID: ex.ID}
		st := p.st
		desc := p.describeNexthop(ex)
		p.add(&Step{Action: Remove, Kind: netlink.KindNexthop, stage: stageNexthopDel, spec: ref,
			level: nexthopLevel(ex.IsGroup(), true),
			// Counting the routes scans them all: only when printed.
			desc: func() string {
				n := 0
				for range st.RoutesUsingNexthop(del.ID) {
					n++
				}
				switch {
				case n == 1:
					return desc + " (the kernel removes the route using it)"
				case n > 1:
					return desc + fmt.Sprintf(" (the kernel removes the %d routes using it)", n)
				}
				return desc
			},
			build: func(*resolver) (netlink.Request, error) { return netlink.NexthopRequest(netlink.Delete, del), nil }})
		return nil
	}
	oif, pending := 0, false
	if s.Dev != "" {
		var err error
		if oif, pending, err = p.ref(s.Dev); err != nil {
			return fmt.Errorf("%s: %w", s.what(), err)
		}
	}
	// The kernel's rules for members (nh_check_attr_group in
	// net/ipv4/nexthop.c).
	for _, m := range s.Group {
		v, exists := p.singleWillBe(m.ID)
		switch {
		case !exists:
			return invalid("%s: member %d does not exist, and the transaction creates none", s.what(), m.ID)
		case v.group:
			return invalid("%s: member %d is a group (Linux has no nested groups)", s.what(), m.ID)
		case v.blackhole && len(s.Group) > 1:
			return invalid("%s: member %d is a blackhole, which only a group of one nexthop may have", s.what(), m.ID)
		case v.fdb != s.FDB:
			return invalid("%s: member %d has fdb %t, the group %t (they must agree)", s.what(), m.ID, v.fdb, s.FDB)
		}
	}
	if ex != nil {
		if fixed := nexthopFixedChanges(ex, s); len(fixed) > 0 {
			return invalid("%s: the kernel cannot replace %s (replace_nexthop); remove the nexthop (absent: true) and add it in another transaction",
				s.what(), strings.Join(fixed, ", "))
		}
		if err := p.nexthopReplaceRefused(ex, s); err != nil {
			return err
		}
		if !pending && nexthopSatisfied(ex, s, oif) && !p.nexthopDoomed(s.ID) {
			return nil
		}
	}
	verb, act := netlink.Add, Create
	desc := func() string { return s.describe() }
	if ex != nil {
		verb, act = netlink.Replace, Modify
		changes := p.nexthopChanges(ex, s, oif)
		desc = func() string { return s.describe() + changes.String() }
	}
	p.add(&Step{Action: act, Kind: netlink.KindNexthop, stage: stageNexthopAdd, spec: ref,
		level: nexthopLevel(s.isGroup(), false),
		desc:  desc,
		build: func(r *resolver) (netlink.Request, error) {
			oif := 0
			if s.Dev != "" {
				var err error
				if oif, err = r.index(s.Dev); err != nil {
					return netlink.Request{}, err
				}
			}
			return netlink.NexthopRequest(verb, nexthopRequest(s, ex, uint32(oif))), nil
		}})
	return nil
}

// nexthopRequest builds the nexthop that an add or replace of s sends,
// keeping of ex (the existing nexthop, or nil) what s leaves unset.
func nexthopRequest(s *NexthopSpec, ex *netlink.Nexthop, oif uint32) *netlink.Nexthop {
	n := s.draft(oif)
	if ex == nil {
		return n
	}
	if s.Protocol == 0 && !s.exact {
		n.Protocol = ex.Protocol
	}
	if !s.isGroup() && n.Family == 0 && !s.Gateway.IsValid() {
		n.Family = ex.Family
	}
	if r, xr := n.Resilient, ex.Resilient; r != nil && xr != nil {
		r.Buckets = cmp.Or(r.Buckets, xr.Buckets)
		if s.IdleTimer == nil {
			r.IdleTimer = xr.IdleTimer
		}
		if s.UnbalancedTimer == nil {
			r.UnbalancedTimer = xr.UnbalancedTimer
		}
	}
	return n
}

// nexthopFamily is the family a single nexthop of s gets, or 0 if s
// leaves it to the existing nexthop.
func nexthopFamily(s *NexthopSpec) uint8 {
	switch {
	case s.isGroup():
		return 0
	case s.Family != 0:
		return s.Family
	case s.Gateway.Is4():
		return unix.AF_INET
	case s.Gateway.IsValid():
		return unix.AF_INET6
	}
	return 0
}

// sameMembers reports whether a group has exactly the members of s, with
// their weights, in any order.
func sameMembers(g []netlink.NexthopGroupMember, s []NexthopMemberSpec) bool {
	if len(g) != len(s) {
		return false
	}
	for _, m := range s {
		if !slices.Contains(g, netlink.NexthopGroupMember{ID: m.ID, Weight: max(m.Weight, 1)}) {
			return false
		}
	}
	return true
}

// nexthopSatisfied reports whether n is what s asks for; oif is the index
// of s.Dev.
func nexthopSatisfied(n *netlink.Nexthop, s *NexthopSpec, oif int) bool {
	if n.IsGroup() != s.isGroup() || n.FDB != s.FDB ||
		(s.Protocol != 0 || s.exact) && n.Protocol != s.Protocol {
		return false
	}
	if s.isGroup() {
		if n.GroupType != s.GroupType || !sameMembers(n.Group, s.Group) {
			return false
		}
		if r := n.Resilient; r != nil {
			if s.Buckets != 0 && r.Buckets != s.Buckets || s.IdleTimer != nil && r.IdleTimer != *s.IdleTimer ||
				s.UnbalancedTimer != nil && r.UnbalancedTimer != *s.UnbalancedTimer {
				return false
			}
		}
		return true
	}
	fam := nexthopFamily(s)
	if s.exact {
		fam = s.Family
	}
	return n.Blackhole == s.Blackhole && n.Gateway == s.Gateway && int(n.OIF) == oif &&
		(n.Flags&unix.RTNH_F_ONLINK != 0) == s.Onlink && (fam == 0 || n.Family == fam)
}

// nexthopReplaceRefused returns what the kernel would refuse of a
// replace of single nexthop n by s because of what uses n
// (replace_nexthop_single, fib_check_nh_list, fib6_check_nh_list in
// net/ipv4/nexthop.c): a blackhole in a group of several, a change of
// fdb status in a group, an IPv4 nexthop under IPv6 routes. It scans the
// routes or groups only when s changes one of those.
func (p *planner) nexthopReplaceRefused(n *netlink.Nexthop, s *NexthopSpec) error {
	if n.IsGroup() || s.isGroup() {
		return nil
	}
	if (s.Blackhole && !n.Blackhole) || s.FDB != n.FDB {
		for g := range p.st.GroupsContaining(n.ID) {
			if s.FDB != n.FDB {
				return invalid("%s: cannot change fdb %t -> %t while in group %d", s.what(), n.FDB, s.FDB, g.ID)
			}
			if len(g.Group) > 1 {
				return invalid("%s: cannot become a blackhole while in group %d of %d nexthops", s.what(), g.ID, len(g.Group))
			}
		}
	}
	if n.Family == unix.AF_INET6 && nexthopFamily(s) == unix.AF_INET {
		ids := []uint32{n.ID}
		for g := range p.st.GroupsContaining(n.ID) {
			ids = append(ids, g.ID)
		}
		for _, id := range ids {
			for r := range p.st.RoutesUsingNexthop(id) {
				if r.Family == unix.AF_INET6 {
					return invalid("%s: cannot become IPv4: IPv6 route %s uses it (nhid %d)", s.what(), r.Dst, id)
				}
			}
		}
	}
	return nil
}

// nexthopFixedChanges lists the changes from n to s that the kernel
// refuses to make in place (replace_nexthop, replace_nexthop_grp,
// replace_nexthop_single in net/ipv4/nexthop.c).
func nexthopFixedChanges(n *netlink.Nexthop, s *NexthopSpec) []string {
	var c changeList
	switch {
	case n.IsGroup() && !s.isGroup():
		c.add("group", "["+groupString(n.Group)+"]", "(none)")
	case !n.IsGroup() && s.isGroup():
		c.add("group", "(none)", "["+specGroupString(s.Group)+"]")
	case n.IsGroup():
		if n.GroupType != s.GroupType {
			c.add("type", n.GroupType, s.GroupType)
		}
		if r := n.Resilient; r != nil && s.Buckets != 0 && r.Buckets != s.Buckets {
			c.add("buckets", r.Buckets, s.Buckets)
		}
	}
	return c
}

func groupString(g []netlink.NexthopGroupMember) string {
	parts := make([]string, len(g))
	for i, m := range g {
		parts[i] = strconv.FormatUint(uint64(m.ID), 10)
		if m.Weight > 1 {
			parts[i] += "," + strconv.FormatUint(uint64(m.Weight), 10)
		}
	}
	return strings.Join(parts, "/")
}

func specGroupString(g []NexthopMemberSpec) string {
	m := make([]netlink.NexthopGroupMember, len(g))
	for i, x := range g {
		m[i] = netlink.NexthopGroupMember{ID: x.ID, Weight: max(x.Weight, 1)}
	}
	return groupString(m)
}

// describe prints s in ip(8)'s words: "nexthop id 100 via 192.0.2.2 dev
// v0", "nexthop id 200 group 100,3/101 type resilient buckets 8".
func (s *NexthopSpec) describe() string {
	var b strings.Builder
	b.WriteString(s.what())
	if s.isGroup() {
		b.WriteString(" group " + specGroupString(s.Group))
		if s.GroupType != netlink.GroupMpath {
			b.WriteString(" type " + s.GroupType.String())
		}
		if s.Buckets != 0 {
			fmt.Fprintf(&b, " buckets %d", s.Buckets)
		}
		if s.IdleTimer != nil {
			b.WriteString(" idle_timer " + seconds(*s.IdleTimer))
		}
		if s.UnbalancedTimer != nil {
			b.WriteString(" unbalanced_timer " + seconds(*s.UnbalancedTimer))
		}
	}
	if s.Blackhole {
		b.WriteString(" blackhole")
	}
	if s.Gateway.IsValid() {
		b.WriteString(" via " + s.Gateway.String())
	}
	if s.Dev != "" {
		b.WriteString(" dev " + s.Dev)
	}
	if s.Onlink {
		b.WriteString(" onlink")
	}
	if s.Protocol != 0 {
		b.WriteString(" proto " + s.Protocol.String())
	}
	if s.FDB {
		b.WriteString(" fdb")
	}
	return b.String()
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// specOfNexthop returns the spec that n's state is, exactly (dev names
// from name).
func specOfNexthop(n *netlink.Nexthop, name func(int) string) NexthopSpec {
	s := NexthopSpec{ID: n.ID, Gateway: n.Gateway, Dev: name(int(n.OIF)), Onlink: n.Flags&unix.RTNH_F_ONLINK != 0,
		Blackhole: n.Blackhole, FDB: n.FDB, Protocol: n.Protocol, GroupType: n.GroupType, exact: true}
	if n.IsGroup() {
		for _, m := range n.Group {
			s.Group = append(s.Group, NexthopMemberSpec{ID: m.ID, Weight: m.Weight})
		}
		if r := n.Resilient; r != nil {
			s.Buckets, s.IdleTimer, s.UnbalancedTimer = r.Buckets, ptr(r.IdleTimer), ptr(r.UnbalancedTimer)
		}
	} else {
		s.Family = n.Family
	}
	return s
}

func (p *planner) describeNexthop(n *netlink.Nexthop) string {
	s := specOfNexthop(n, p.nameOf)
	s.Protocol = 0
	return s.describe()
}

// nexthopChanges lists what replacing n by spec s changes; oif is the
// index of s.Dev.
func (p *planner) nexthopChanges(n *netlink.Nexthop, s *NexthopSpec, oif int) changeList {
	var c changeList
	if s.isGroup() {
		if !sameMembers(n.Group, s.Group) {
			c.add("group", "["+groupString(n.Group)+"]", "["+specGroupString(s.Group)+"]")
		}
		if r := n.Resilient; r != nil {
			if s.IdleTimer != nil && r.IdleTimer != *s.IdleTimer {
				c.add("idle_timer", seconds(r.IdleTimer), seconds(*s.IdleTimer))
			}
			if s.UnbalancedTimer != nil && r.UnbalancedTimer != *s.UnbalancedTimer {
				c.add("unbalanced_timer", seconds(r.UnbalancedTimer), seconds(*s.UnbalancedTimer))
			}
		}
	} else {
		if n.Blackhole != s.Blackhole {
			c.add("blackhole", n.Blackhole, s.Blackhole)
		}
		if n.Gateway != s.Gateway {
			c.add("via", addrOrNone(n.Gateway), addrOrNone(s.Gateway))
		}
		if int(n.OIF) != oif {
			c.add("dev", strOrNone(p.nameOf(int(n.OIF))), strOrNone(s.Dev))
		}
		if on := n.Flags&unix.RTNH_F_ONLINK != 0; on != s.Onlink {
			c.add("onlink", on, s.Onlink)
		}
		fam := nexthopFamily(s)
		if s.exact {
			fam = s.Family
		}
		if fam != 0 && n.Family != fam {
			c.add("family", familyName(n.Family), familyName(fam))
		}
	}
	if n.FDB != s.FDB {
		c.add("fdb", n.FDB, s.FDB)
	}
	if (s.Protocol != 0 || s.exact) && n.Protocol != s.Protocol {
		c.add("proto", n.Protocol, s.Protocol)
	}
	if len(c) == 0 && p.nexthopDoomed(s.ID) {
		c = append(c, "(added again: the kernel removes it with its link or its last member)")
	}
	if len(c) == 0 {
		c = append(c, "(the device's index: it was created again)")
	}
	return c
}

func familyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	}
	return strconv.Itoa(int(f))
}

// restore adds the pre-image of every nexthop in scope and records the
// ids in rs.nexthops (the routes' restore brings back the routes that use
// them). In scope: the nexthops the specs name, those on the links whose
// addresses and routes are restored (rs.addrLinks: a link going down or
// away takes its nexthops), the groups that contain any of them (they
// shrink, or go when their last member does: remove_nexthop_from_groups)
// and the members of those groups.
func (nexthopOps) restore(rs *restorer) {
	pre := rs.pre
	scope := map[uint32]bool{}
	var order []uint32
	add := func(id uint32) {
		if !scope[id] {
			scope[id] = true
			order = append(order, id)
		}
	}
	for i := range rs.ss.nexthops {
		add(rs.ss.nexthops[i].ID)
	}
	for n := range pre.Nexthops() {
		if n.OIF != 0 && (rs.addrLinks[int(n.OIF)] || rs.masters[int(n.OIF)] != nil) {
			add(n.ID)
		}
	}
	for i := 0; i < len(order); i++ {
		for g := range pre.GroupsContaining(order[i]) {
			add(g.ID)
		}
	}
	for _, id := range order {
		if n, err := pre.Nexthop(id); err == nil {
			for _, m := range n.Group {
				add(m.ID)
			}
		}
	}
	for _, id := range order {
		n, err := pre.Nexthop(id)
		if err != nil {
			rs.rb.nexthops = append(rs.rb.nexthops, NexthopSpec{ID: id, Absent: true})
			continue
		}
		s := specOfNexthop(n, rs.preName)
		if n.OIF != 0 && s.Dev == "" {
			continue // its link is not in the pre-image: nothing to restore it on
		}
		rs.rb.nexthops = append(rs.rb.nexthops, s)
	}
	rs.nexthops = scope
}

// keepNexthop makes sure the rollback has the pre-image of nexthop id
// (and of its members, if a group): the routes' restore calls it for
// each route over a nexthop it restores, whose nexthop the rollback
// must have even when no spec of the transaction named it. It does not
// add id to rs.nexthops: the routes over it are not all restored.
func (rs *restorer) keepNexthop(id uint32) {
	if rs.nexthops[id] || rs.kept[id] {
		return
	}
	if rs.kept == nil {
		rs.kept = map[uint32]bool{}
	}
	rs.kept[id] = true
	n, err := rs.pre.Nexthop(id)
	if err != nil {
		return
	}
	if s := specOfNexthop(n, rs.preName); n.OIF == 0 || s.Dev != "" {
		rs.rb.nexthops = append(rs.rb.nexthops, s)
	}
	for _, m := range n.Group {
		rs.keepNexthop(m.ID)
	}
}

// settable lists what a NexthopSpec can set of nexthop o (a
// *netlink.Nexthop): everything but its id and the kernel's scope and
// flags other than onlink.
func (nexthopOps) settable(o netlink.Object) []attr {
	n := o.(*netlink.Nexthop)
	var res []string
	if r := n.Resilient; r != nil {
		res = []string{strconv.Itoa(int(r.Buckets)), seconds(r.IdleTimer), seconds(r.UnbalancedTimer)}
	} else {
		res = []string{"", "", ""}
	}
	return []attr{
		{"family", familyName(n.Family)}, {"blackhole", strconv.FormatBool(n.Blackhole)}, {"via", n.Gateway.String()},
		{"dev", strconv.FormatUint(uint64(n.OIF), 10)}, {"onlink", strconv.FormatBool(n.Flags&unix.RTNH_F_ONLINK != 0)},
		{"fdb", strconv.FormatBool(n.FDB)}, {"proto", n.Protocol.String()}, {"group", groupString(n.Group)},
		{"type", n.GroupType.String()}, {"buckets", res[0]}, {"idle_timer", res[1]}, {"unbalanced_timer", res[2]},
	}
}

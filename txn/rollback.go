package txn

import (
	"context"
	"fmt"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/watch"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// rollback restores the pre-image of everything the transaction's specs
// touch, plus what the kernel may have dropped as a side effect, and
// verifies it. It returns what is left undone and the first error.
func (t *Txn) rollback(ctx context.Context, pre State) ([]string, error) {
	// The database must show every change the failed commit made before
	// the rollback is planned on it: requests acknowledged just before the
	// failure may not have been announced yet.
	if err := t.db.Resync(ctx); err != nil {
		return nil, fmt.Errorf("resynchronizing before the rollback: %w", err)
	}
	cur := t.db.Snapshot()
	rb := restoreSpecs(pre, cur, &t.specs)
	p, err := newPlanner(cur, rb, false)
	if err != nil {
		return nil, fmt.Errorf("planning the rollback: %w", err)
	}
	plan, err := p.plan()
	if err != nil {
		return nil, fmt.Errorf("planning the rollback: %w", err)
	}
	if debugRollback != nil {
		debugRollback(rb, plan)
	}
	failed, aerr := t.apply(ctx, plan, true)
	if aerr != nil && failed != nil {
		aerr = fmt.Errorf("%s: %w", failed, aerr)
	}
	verr := t.verify(ctx, rb, plan.Steps)
	if verr == nil {
		t.awaitDAD(ctx, rb)
		return nil, nil // whatever failed on the way, the pre-image is back
	}
	// What is left: the operations a fresh plan still wants.
	var left []string
	if p, err := newPlanner(t.db.Snapshot(), rb, false); err == nil {
		if plan, err := p.plan(); err == nil {
			for _, o := range plan.Steps {
				left = append(left, o.String())
			}
		}
	}
	if aerr != nil {
		return left, aerr
	}
	return left, verr
}

// dadWait bounds the wait for duplicate address detection after a
// rollback: one probe (dad_transmits 1) a second (RetransTimer) plus the
// random delay of up to a second before it.
const dadWait = 5 * time.Second

// awaitDAD waits until the IPv6 addresses the rollback restored on links
// that are up with a carrier are no longer tentative. The kernel adds an
// IPv6 address's local route (table local) and its prefix route only
// when duplicate address detection ends (addrconf_dad_completed), so
// until then the namespace lacks kernel-made routes the pre-image had:
// they are the kernel's to restore, but the rollback returns once they
// are back. A timeout is not an error: the addresses are restored, and
// the kernel goes on with them.
func (t *Txn) awaitDAD(ctx context.Context, rb *specSet) {
	if len(rb.sets) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, dadWait)
	defer cancel()
	_ = watch.WaitFor(wctx, t.db, func(s *ipdb.Snapshot) bool {
		for i := range rb.sets {
			l, err := s.LinkByName(rb.sets[i].Link)
			if err != nil || l.Flags&(unix.IFF_UP|unix.IFF_LOWER_UP) != unix.IFF_UP|unix.IFF_LOWER_UP {
				continue
			}
			for a := range s.AddrsOf(l.Index) {
				if a.Family == unix.AF_INET6 && a.Flags&unix.IFA_F_TENTATIVE != 0 && a.Flags&unix.IFA_F_DADFAILED == 0 {
					return false
				}
			}
		}
		return true
	})
}

// debugRollback, in tests, sees each rollback's specs and plan.
var debugRollback func(*specSet, *Plan)

func ptr[T any](v T) *T { return &v }

// restoreSpecs derives the specs that bring back the pre-image of what ss
// touches, from the pre-image pre and the current state cur.
func restoreSpecs(pre, cur State, ss *specSet) *specSet {
	rb := &specSet{}
	preLinks := map[int]*netlink.Link{} // in scope, by pre-image index
	var preOrder []int
	curLinks := map[int]*netlink.Link{}
	moved := map[string]string{} // link name -> namespace it was moved to
	preName := func(idx int) string {
		if idx == 0 {
			return ""
		}
		if l, err := pre.LinkByIndex(idx); err == nil {
			return l.Name
		}
		return ""
	}
	addScope := func(st State, m map[int]*netlink.Link, order *[]int, name string) {
		l, err := st.LinkByName(name)
		if err != nil {
			return
		}
		for _, x := range []*netlink.Link{l, vethPeerIn(st, l)} {
			if x != nil && m[x.Index] == nil {
				m[x.Index] = x
				if order != nil {
					*order = append(*order, x.Index)
				}
			}
		}
	}
	for i := range ss.links {
		s := &ss.links[i]
		names := []string{s.Name, s.RenameFrom}
		if v, ok := linkData(s.Info).(*netlink.Veth); ok && v.Peer != nil {
			names = append(names, v.Peer.Name)
		}
		for _, n := range names {
			if n != "" {
				addScope(pre, preLinks, &preOrder, n)
				addScope(cur, curLinks, nil, n)
			}
		}
		if s.NetNS != "" {
			moved[s.Name] = s.NetNS
		}
	}

	// Links: the pre-image of each, and deletion of those created.
	specNames := map[string]bool{}
	for _, idx := range preOrder {
		l := preLinks[idx]
		s := LinkSpec{Name: l.Name, MTU: ptr(l.MTU), TxQueueLen: ptr(l.TxQueueLen), Alias: ptr(l.Alias),
			Up: ptr(l.Flags&unix.IFF_UP != 0), Master: ptr(preName(l.Master))}
		if len(l.Address) > 0 {
			s.Address = l.Address
		}
		now, err := cur.LinkByIndex(idx)
		switch {
		case err == nil && now.Name != l.Name:
			s.RenameFrom = now.Name
		case err != nil && moved[l.Name] != "":
			s.fetchNS = moved[l.Name]
		case err != nil:
			kind := linkKind(l)
			if kind == "" || kind == "tun" {
				continue // cannot be recreated; verification reports it
			}
			info := &netlink.LinkInfo{InfoKind: kind, Data: l.Info.Data}
			if br, ok := l.Info.Data.(*netlink.Bridge); ok {
				info.Data = bridgeCreateData(br)
			}
			if kind == "bridge" || kind == "bond" {
				// A master's MTU and address follow its ports (br_mtu_auto_adjust,
				// br_stp_recalculate_bridge_id; bond_enslave): the kernel refuses
				// them at creation (an MTU above the empty master's, the zero
				// address of a bridge whose last port left), and they come back
				// when the ports are enslaved again.
				s.MTU = nil
				if isZeroMAC(l.Address) {
					s.Address = nil
				}
			}
			if kind == "veth" {
				info.Data = &netlink.Veth{Peer: &netlink.Link{Name: preName(l.ParentIndex)}}
			} else if l.ParentIndex != 0 && l.LinkNetNSID == nil {
				s.Parent = preName(l.ParentIndex)
			}
			s.Info = info
		}
		rb.links = append(rb.links, s)
		specNames[l.Name] = true
	}
	for idx, l := range curLinks {
		if preLinks[idx] == nil && !specNames[l.Name] {
			if _, err := pre.LinkByIndex(idx); err != nil {
				rb.links = append(rb.links, LinkSpec{Name: l.Name, Absent: true})
				specNames[l.Name] = true
			}
		}
	}

	// Addresses: the full set of every link in scope and of every link an
	// address spec names.
	addrLinks := map[int]bool{}
	for idx := range preLinks {
		addrLinks[idx] = true
	}
	for i := range ss.addrs {
		if l, err := pre.LinkByName(ss.addrs[i].Link); err == nil {
			addrLinks[l.Index] = true
		}
	}
	for i := range ss.sets {
		if l, err := pre.LinkByName(ss.sets[i].Link); err == nil {
			addrLinks[l.Index] = true
		}
	}
	for idx := range addrLinks {
		name := preName(idx)
		if name == "" || (preLinks[idx] != nil && !specNames[name]) {
			continue
		}
		set := AddrSetSpec{Link: name}
		for a := range pre.AddrsOf(idx) {
			if kernelAddr(a) {
				continue
			}
			as := AddrSpec{Prefix: a.Prefix, Broadcast: a.Broadcast, Label: a.Label, Scope: ptr(a.Scope), Metric: ptr(a.Metric),
				flags: a.Flags & addrConfigFlags, exact: true}
			if a.Peer != a.Prefix.Addr() {
				as.Peer = a.Peer
			}
			set.Addrs = append(set.Addrs, as)
		}
		rb.sets = append(rb.sets, set)
	}

	// Routes: each identity a spec names, and the routes through the links
	// in scope (which the kernel drops when they go down or lose their
	// last address).
	seen := map[routeID]bool{}
	addRoute := func(r *netlink.Route) {
		id := routeID{r.Family, r.Table, r.Dst, r.TOS, r.Priority}
		if seen[id] || (r.Extra != nil && r.Extra.Src.IsValid()) {
			return
		}
		seen[id] = true
		s := RouteSpec{Dst: r.Dst, Table: r.Table, TOS: r.TOS, Priority: r.Priority, Type: r.Type, Gateway: r.Gateway,
			Dev: preName(int(r.OIF)), Onlink: r.Flags&unix.RTNH_F_ONLINK != 0, Src: r.PrefSrc, Protocol: r.Protocol,
			Scope: ptr(r.Scope), exact: true}
		if r.Extra != nil && r.Extra.Metrics != nil {
			s.Metrics = r.Extra.Metrics
		} else {
			s.Metrics = &netlink.RouteMetrics{}
		}
		for _, h := range r.Multipath {
			s.Multipath = append(s.Multipath, RouteHopSpec{Gateway: h.Gateway, Dev: preName(int(h.IfIndex)),
				Weight: h.Weight(), Onlink: h.Flags&unix.RTNH_F_ONLINK != 0})
		}
		rb.routes = append(rb.routes, s)
	}
	for i := range ss.routes {
		s := &ss.routes[i]
		fam, table := routeFamily(s.Dst), routeTable(s.Table)
		id := routeID{fam, table, s.Dst, s.TOS, routePriority(fam, s.Priority)}
		if seen[id] {
			continue
		}
		found := false
		for r := range pre.RoutesTo(table, s.Dst) {
			if sameRouteID(r, fam, s) {
				addRoute(r)
				found = true
				break
			}
		}
		if !found {
			seen[id] = true
			rb.routes = append(rb.routes, RouteSpec{Dst: s.Dst, Table: table, TOS: s.TOS, Priority: s.Priority, Absent: true})
		}
	}
	for idx := range addrLinks {
		for r := range pre.RoutesOf(idx) {
			if !kernelRoute(r) {
				addRoute(r)
			}
		}
	}

	// Neighbours: each entry a spec names, and the permanent entries of the
	// links in scope.
	type nid struct {
		link string
		dst  string
	}
	nseen := map[nid]bool{}
	for idx := range preLinks {
		for n := range pre.NeighsOf(idx) {
			if (n.Family == unix.AF_INET || n.Family == unix.AF_INET6) && n.State&unix.NUD_PERMANENT != 0 &&
				n.Flags&unix.NTF_PROXY == 0 {
				nseen[nid{preName(idx), n.Dst.String()}] = true
				rb.neighs = append(rb.neighs, NeighSpec{Link: preName(idx), Dst: n.Dst, LLAddr: n.LLAddr, State: n.State})
			}
		}
	}
	for i := range ss.neighs {
		s := &ss.neighs[i]
		if nseen[nid{s.Link, s.Dst.String()}] {
			continue
		}
		nseen[nid{s.Link, s.Dst.String()}] = true
		ns := NeighSpec{Link: s.Link, Dst: s.Dst, Absent: true}
		if l, err := pre.LinkByName(s.Link); err == nil {
			for n := range pre.NeighsOf(l.Index) {
				if n.Dst == s.Dst && n.Flags&unix.NTF_PROXY == 0 && len(n.LLAddr) > 0 {
					ns = NeighSpec{Link: s.Link, Dst: n.Dst, LLAddr: n.LLAddr, State: n.State}
					break
				}
			}
		}
		if ns.Absent {
			if _, err := cur.LinkByName(s.Link); err != nil {
				continue // neither the link nor the entry exists now
			}
		}
		rb.neighs = append(rb.neighs, ns)
	}

	// Rules: each selector a spec names.
	for i := range ss.rules {
		s := &ss.rules[i]
		found := false
		for r := range pre.Rules() {
			if ruleSpecMatches(r, s) {
				rb.rules = append(rb.rules, RuleSpec{Rule: *r})
				found = true
			}
		}
		if !found && !s.Absent {
			// The rule did not exist: the rollback removes exactly it.
			rb.rules = append(rb.rules, RuleSpec{Rule: normRule(s.Rule), Absent: true, exact: true})
		}
	}
	return rb
}

package txn

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// NeighSpec is the desired state of an ARP or NDP entry.
type NeighSpec struct {
	// Link names the link (required).
	Link string
	// Dst is the neighbour's address (required).
	Dst netip.Addr
	// Absent deletes the entry if present.
	Absent bool
	// LLAddr is the link-layer address (required unless Absent).
	LLAddr net.HardwareAddr
	// State is the NUD state; zero means unix.NUD_PERMANENT.
	State uint16
}

func (s *NeighSpec) validate() error {
	if err := validName("neigh", s.Link); err != nil {
		return err
	}
	if !s.Dst.IsValid() {
		return invalid("neigh on %s: invalid destination", s.Link)
	}
	if !s.Absent && len(s.LLAddr) == 0 {
		return invalid("neigh %s dev %s: lladdr required", s.Dst, s.Link)
	}
	return nil
}

// Neigh adds a neighbour spec.
func (t *Txn) Neigh(s NeighSpec) *Txn {
	t.specs.neighs = append(t.specs.neighs, s)
	t.plan = nil
	return t
}

// neighOps is the kindOps of neighbour entries.
type neighOps struct{}

func (neighOps) count(ss *specSet) int { return len(ss.neighs) }

func (neighOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.neighs {
		fn(specRef{kind: netlink.KindNeigh, i: int32(i)})
	}
}

func (neighOps) validate(ss *specSet) error {
	for i := range ss.neighs {
		if err := ss.neighs[i].validate(); err != nil {
			return specErr(specRef{kind: netlink.KindNeigh, i: int32(i)}, err)
		}
	}
	return nil
}

func neighState(s *NeighSpec) uint16 {
	if s.State == 0 {
		return unix.NUD_PERMANENT
	}
	return s.State
}

// neighSatisfied reports whether the entry n is what the present spec s
// asks: its link-layer address and NUD state.
func neighSatisfied(n *netlink.Neigh, s *NeighSpec) bool {
	return bytes.Equal(n.LLAddr, s.LLAddr) && n.State == neighState(s)
}

func (neighOps) plan(p *planner, ref specRef) error { return p.planNeigh(ref, &p.ss.neighs[ref.i]) }

// verifyIndex is nil: a neighbour change rechecks every neighbour spec.
func (neighOps) verifyIndex() verifyIndex { return nil }

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
		observe(p, ex)
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
	if ex != nil && neighSatisfied(ex, s) {
		return nil
	}
	act := Create
	var changes changeList
	if ex != nil {
		act = Modify
		changes = neighChanges(ex, s)
	}
	spec := *s
	extra := ""
	if act == Create {
		extra = s.createAttrs()
	}
	p.add(&Step{Action: act, Kind: netlink.KindNeigh, stage: stageNeighAdd, spec: ref,
		desc: func() string {
			return fmt.Sprintf("neigh %s lladdr %s dev %s%s%s", spec.Dst, spec.LLAddr, link, extra, changes)
		},
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

// neighChanges lists what replacing have by spec s changes.
func neighChanges(have *netlink.Neigh, s *NeighSpec) changeList {
	var c changeList
	if !bytes.Equal(have.LLAddr, s.LLAddr) {
		old := any(have.LLAddr)
		if len(have.LLAddr) == 0 {
			old = "(none)"
		}
		c.add("lladdr", old, s.LLAddr)
	}
	if st := neighState(s); have.State != st {
		c.add("nud", nudName(have.State), nudName(st))
	}
	return c
}

func nudName(s uint16) string {
	return strings.ToLower(strings.Join(netlink.NeighStateNames(s), ","))
}

// restore adds each entry a spec names, and the permanent entries of the
// links in scope (rs.preLinks).
func (neighOps) restore(rs *restorer) {
	pre, cur, ss, rb, preName, preLinks := rs.pre, rs.cur, rs.ss, rs.rb, rs.preName, rs.preLinks
	type nid struct {
		link string
		dst  string
	}
	nseen := map[nid]bool{}
	// The links in scope, their masters (rs.masters) and the links whose
	// addresses the transaction touched: removing a link's last IPv4
	// address flushes its ARP entries, permanent ones too (fib_disable_ip,
	// arp_ifdown).
	scope := maps.Clone(preLinks)
	maps.Copy(scope, rs.masters)
	for idx := range rs.addrLinks {
		if l, err := pre.LinkByIndex(idx); err == nil {
			scope[idx] = l
		}
	}
	for idx, l := range scope {
		for n := range pre.NeighsOf(idx) {
			if (n.Family == unix.AF_INET || n.Family == unix.AF_INET6) && n.Flags&unix.NTF_PROXY == 0 &&
				(n.State&unix.NUD_PERMANENT != 0 || userNoARP(n, l)) {
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
}

// userNoARP reports whether n, a NOARP entry on link l, is one a user
// made (`ip neigh add ... nud noarp`), which the kernel flushes with the
// dynamic entries when the link goes down or loses its carrier
// (neigh_flush_dev spares only NUD_PERMANENT): one with a unicast
// link-layer address other than the link's own. The kernel makes its own
// NOARP entries for multicast and broadcast destinations, with their
// multicast or broadcast addresses, and on links without ARP, with the
// link's own address (arp_constructor in net/ipv4/arp.c, ndisc_constructor
// in net/ipv6/ndisc.c); those come back by themselves.
func userNoARP(n *netlink.Neigh, l *netlink.Link) bool {
	a := n.LLAddr
	if n.State&unix.NUD_NOARP == 0 || len(a) == 0 || a[0]&1 != 0 || bytes.Equal(a, l.Address) {
		return false
	}
	for _, b := range a {
		if b != 0 {
			return true
		}
	}
	return false
}

// settable lists what a NeighSpec can set of entry o (a *netlink.Neigh):
// the link-layer address and the NUD state.
func (neighOps) settable(o netlink.Object) []attr {
	n := o.(*netlink.Neigh)
	return []attr{{"lladdr", n.LLAddr.String()}, {"nud", strconv.FormatUint(uint64(n.State), 10)}}
}

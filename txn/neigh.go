package txn

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
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
	names := []struct {
		bit  uint16
		name string
	}{{unix.NUD_INCOMPLETE, "incomplete"}, {unix.NUD_REACHABLE, "reachable"}, {unix.NUD_STALE, "stale"},
		{unix.NUD_DELAY, "delay"}, {unix.NUD_PROBE, "probe"}, {unix.NUD_FAILED, "failed"},
		{unix.NUD_NOARP, "noarp"}, {unix.NUD_PERMANENT, "permanent"}}
	var parts []string
	for _, n := range names {
		if s&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

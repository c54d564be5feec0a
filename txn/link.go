package txn

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// LinkSpec is the desired state of one link, by name. Nil and zero fields
// are left alone.
type LinkSpec struct {
	// Name is the link's name (required).
	Name string
	// Absent deletes the link if it exists. Deleting one end of a veth pair
	// deletes both.
	Absent bool
	// RenameFrom, if set, renames the link of that name to Name when no
	// link is named Name yet. No other spec of the transaction may name
	// RenameFrom: swaps and chains of renames take one transaction each
	// (ErrInvalid).
	RenameFrom string
	// Info is the kind and kind data used to create the link if it does
	// not exist (for a veth, Data is a *netlink.Veth whose Peer names the
	// other end, which may have its own LinkSpec). On an existing link the
	// kind must agree; bridge settings are changed where they differ.
	Info *netlink.LinkInfo
	// Parent names the lower device of a macvlan or vlan created here.
	Parent string
	// MTU, if set, is the MTU.
	MTU *uint32
	// Address, if set, is the link-layer address.
	Address net.HardwareAddr
	// TxQueueLen, if set, is the transmit queue length.
	TxQueueLen *uint32
	// Alias, if set, is the alias ("" removes it).
	Alias *string
	// Up, if set, brings the link up (true) or down (false).
	Up *bool
	// Master, if set, names the master (a bridge); "" detaches the link.
	Master *string
	// NetNS, if set, moves the link into that network namespace (a name
	// under /run/netns or a path); it is then absent here.
	NetNS string

	// fetchNS (rollback, and Multi's moves) brings the link back from
	// that namespace.
	fetchNS string
	// fetchName (Multi's moves) is the link's name in fetchNS when it
	// differs from Name: the move renames it (IFLA_IFNAME next to
	// IFLA_NET_NS_FD, see Multi.Move).
	fetchName string
	// fetchLabel (Multi's moves) names fetchNS in the plan.
	fetchLabel string
	// exactData (rollback) makes Info's kind data the whole of the link's
	// settings: a zero remote, local, ttl, tos, lower device or macvlan
	// flag is one to set back, not one left alone.
	exactData bool
}

// validName checks a link name: not empty, at most 15 bytes (IFNAMSIZ-1),
// without '/', ':' or white space (the kernel's dev_valid_name refuses
// these; it also refuses "." and "..").
func validName(what, name string) error {
	if name == "" {
		return invalid("%s: empty link name", what)
	}
	if netlink.ValidLinkName(name) != nil {
		return invalid("%s: bad link name %q", what, name)
	}
	return nil
}

func (s *LinkSpec) validate() error {
	if err := validName("link", s.Name); err != nil {
		return err
	}
	what := "link " + s.Name
	if s.RenameFrom != "" {
		if err := validName(what+" rename", s.RenameFrom); err != nil {
			return err
		}
	}
	if s.Absent && (s.Info != nil || s.MTU != nil || s.Address != nil || s.Up != nil || s.Master != nil || s.NetNS != "" || s.RenameFrom != "") {
		return invalid("%s: absent with attributes", what)
	}
	if s.Info != nil {
		kind := s.Info.InfoKind
		if kind == "" && s.Info.Data != nil {
			kind = s.Info.Data.InfoKind()
		}
		if kind == "" {
			return invalid("%s: info without kind", what)
		}
		if s.Info.Data != nil && s.Info.Data.InfoKind() != kind {
			return invalid("%s: kind %q with data of kind %q", what, kind, s.Info.Data.InfoKind())
		}
		if kind == "tun" {
			return invalid("%s: tun/tap links cannot be created through rtnetlink (use netlink.CreateTuntap)", what)
		}
		if v, ok := s.Info.Data.(*netlink.Veth); ok && v.Peer != nil {
			if err := validName(what+" peer", v.Peer.Name); err != nil {
				return err
			}
			if v.Peer.Name == s.Name {
				return invalid("%s: veth peer has the same name", what)
			}
		}
	}
	if s.NetNS != "" && (s.Info != nil || s.MTU != nil || s.Address != nil || s.Up != nil || s.Master != nil ||
		s.TxQueueLen != nil || s.Alias != nil || s.RenameFrom != "" || s.Parent != "") {
		return invalid("%s: a move to netns %s takes no other attributes", what, s.NetNS)
	}
	if s.Parent != "" {
		if err := validName(what+" parent", s.Parent); err != nil {
			return err
		}
		if s.Parent == s.Name || s.Parent == s.RenameFrom {
			return invalid("%s: parent (lower device) of itself", what)
		}
	}
	if s.Name == "lo" && (s.Absent || s.NetNS != "") {
		// The loopback device is per namespace: dev_change_net_namespace
		// and rtnl_dellink refuse it (NETIF_F_NETNS_LOCAL, EOPNOTSUPP).
		return invalid("%s: the loopback device can be neither deleted nor moved to another namespace", what)
	}
	if s.Info != nil && s.Info.Data != nil {
		// What the request encoder checks (ids, modes, address families)
		// is known before anything is sent.
		info := *s.Info
		info.InfoKind = specInfoKind(s.Info)
		if req := netlink.LinkRequest(netlink.Add, &netlink.Link{Name: s.Name, Info: &info}); req.Err() != nil {
			return draftInvalid(what, req.Err())
		}
	}
	if s.Master != nil && *s.Master != "" {
		if err := validName(what+" master", *s.Master); err != nil {
			return err
		}
		if *s.Master == s.Name {
			return invalid("%s: master of itself", what)
		}
	}
	if s.MTU != nil && *s.MTU == 0 {
		return invalid("%s: mtu 0", what)
	}
	if s.Address != nil && len(s.Address) == 0 {
		return invalid("%s: empty address", what)
	}
	return nil
}

// Link adds a link spec.
func (t *Txn) Link(s LinkSpec) *Txn { t.specs.links = append(t.specs.links, s); t.plan = nil; return t }

// linkOps is the kindOps of links.
type linkOps struct{}

func (linkOps) count(ss *specSet) int { return len(ss.links) }

func (linkOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.links {
		fn(specRef{kind: netlink.KindLink, i: int32(i)})
	}
}

// validate checks each link spec, and that no two name the same link.
func (linkOps) validate(ss *specSet) error {
	names := map[string]int{}
	for i := range ss.links {
		s := &ss.links[i]
		ref := specRef{kind: netlink.KindLink, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if first, ok := names[s.Name]; ok {
			return duplicateErr(netlink.KindLink, false, i, first, "link "+s.Name)
		}
		names[s.Name] = i
	}
	// A name one spec renames a link away from and another spec names
	// (a swap, a chain through a temporary name, a new link taking an old
	// one's name) would need the renames ordered and each name planned as
	// it is at its step; the planner sees each name as it is now, and
	// planned only the first rename (found by a user's try).
	for i := range ss.links {
		from := ss.links[i].RenameFrom
		if j, ok := names[from]; ok && from != "" && j != i {
			return specErr(specRef{kind: netlink.KindLink, i: int32(j)},
				invalid("link %s: link %s's spec renames the link of this name away (rename_from: %s); renames that reuse a name (swaps, chains) take one transaction each",
					from, ss.links[i].Name, from))
		}
	}
	return nil
}

// plink is what planning knows of a link named in a LinkSpec.
type plink struct {
	spec    *LinkSpec
	cur     *netlink.Link // the existing link (by Name, or RenameFrom)
	created bool          // appears during the transaction (created, a veth peer, fetched)
	gone    bool          // deleted or moved away
	byPeer  bool          // created as the peer of another spec's veth
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
				// link_cascade.go: the veth peer and the links stacked on
				// what goes.
				for _, g := range p.deletedWith(pl.cur) {
					if ps, ok := p.links[g.link.Name]; ok && !ps.spec.Absent {
						ref := specRef{kind: netlink.KindLink, i: int32(i)}
						if strings.HasPrefix(g.why, "veth peer") {
							return specErr(ref, invalid("link %s: deleting it deletes its veth peer %s, which has a spec", s.Name, g.link.Name))
						}
						return specErr(ref, invalid("link %s: deleting it deletes %s (%s), which has a spec", s.Name, g.link.Name, g.why))
					} else if !ok {
						p.links[g.link.Name] = &plink{cur: g.link, gone: true}
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

// infoKind returns the link's kind (IFLA_INFO_KIND: "veth", "bridge"...),
// or "".
func infoKind(l *netlink.Link) string {
	if l.Info == nil {
		return ""
	}
	return l.Info.InfoKind
}

// specInfoKind returns the link kind a spec's Info asks for: its InfoKind,
// or that of its Data.
func specInfoKind(i *netlink.LinkInfo) string {
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
	if infoKind(l) != "veth" || l.ParentIndex == 0 || l.LinkNetNSID != nil {
		return nil
	}
	peer, err := p.st.LinkByIndex(l.ParentIndex)
	if err != nil {
		return nil
	}
	return peer
}

func (linkOps) plan(p *planner, ref specRef) error { return p.planLink(ref, &p.ss.links[ref.i]) }

// verifyIndex is nil: a link change rechecks every spec (kindRow.rechecksAll).
func (linkOps) verifyIndex() verifyIndex { return nil }

func (p *planner) planLink(ref specRef, s *LinkSpec) error {
	pl := p.links[s.Name]
	cur := pl.cur
	observe(p, cur)
	name := s.Name
	index := func(r *resolver) (int, error) {
		if cur != nil {
			return cur.Index, nil
		}
		return r.index(name)
	}
	set := func(st stage, a Action, desc string, mod func(l *netlink.Link, r *resolver) error) {
		if cur == nil && a == Modify {
			// The link is created in this plan: what is set on it after
			// the creation (master, up, kind settings the creation does
			// not take) is shown as part of the creation, with +.
			a = Create
		}
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
		gone := p.deletedWith(cur) // link_cascade.go
		for _, g := range gone {
			p.delIdx[g.link.Index] = true
		}
		desc := "link " + cur.Name + describeGoneWith(gone)
		idx := cur.Index
		p.add(&Step{Action: Remove, Kind: netlink.KindLink, stage: stageLinkDel, spec: ref,
			desc: func() string { return desc }, taken: p.linkTakenBlocks(cur, gone),
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
		ns, src := s.fetchNS, name
		desc := "link " + name + " back from netns " + ns
		if s.fetchLabel != "" || s.fetchName != "" {
			label := cmp.Or(s.fetchLabel, ns)
			if s.fetchName != "" && s.fetchName != name {
				src = s.fetchName
				desc = "link " + name + " from netns " + label + " (link " + src + ")"
			} else {
				desc = "link " + name + " from netns " + label
			}
		}
		p.add(&Step{Action: Create, Kind: netlink.KindLink, stage: stageLinkCreate, spec: ref, created: name, netns: ns,
			desc: func() string { return desc },
			// Built by the resolver: the request goes to the other namespace.
			build: func(r *resolver) (netlink.Request, error) { return r.fetchRequest(ns, src, name) }})
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
		if k := specInfoKind(s.Info); k != "" && k != infoKind(cur) {
			return invalid("link %s exists with kind %q, the spec wants %q", s.Name, infoKind(cur), k)
		}
		if changes, data := p.linkDataChanges(s, cur); len(changes) > 0 {
			if data == nil {
				return fixedLinkDataError(name, infoKind(cur), changes)
			}
			parts := make([]string, len(changes))
			for i, c := range changes {
				parts[i] = c.String()
			}
			kind := infoKind(cur)
			set(stageLinkSet, Modify, fmt.Sprintf("link %s type %s %s", name, kind, strings.Join(parts, ", ")),
				func(l *netlink.Link, _ *resolver) error {
					l.Info = &netlink.LinkInfo{InfoKind: kind, Data: data}
					return nil
				})
			// vxlan_changelink, macvlan_changelink and others change the
			// kind's data without an RTM_NEWLINK (checked with ip monitor
			// link on Linux 6.18): the database re-reads the link, so that
			// verification does not wait for its periodic refresh.
			p.steps[len(p.steps)-1].reread = index
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
			if ml == nil {
				return invalid("link %s: master %s does not exist", name, *s.Master)
			}
			if k := infoKind(ml); k != "bridge" && k != "bond" && k != "vrf" && k != "team" && k != "openvswitch" {
				return invalid("link %s: master %s is a %s, not a bridge, bond or vrf", name, ml.Name, strOrNone(k))
			}
		} else if m.spec != nil {
			if k := specInfoKind(m.spec.Info); k != "" && k != "bridge" && k != "bond" && k != "vrf" {
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
	kind := specInfoKind(s.Info)
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
	desc += p.linkCreateAttrs(s)
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

// createdPeer returns the name of the veth peer that step o, planned from
// ss, makes appear with the link it creates, or "".
func createdPeer(ss *specSet, o *Step) string {
	if o.spec.kind != netlink.KindLink || o.created == "" {
		return ""
	}
	if s := &ss.links[o.spec.i]; s.Info != nil {
		if v, ok := s.Info.Data.(*netlink.Veth); ok && v.Peer != nil {
			return v.Peer.Name
		}
	}
	return ""
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

// fetchRequest builds the request, for a Conn in namespace ns, that moves link
// src from there into this namespace, named dst: do_setlink
// (net/core/rtnetlink.c) moves it, then renames it here (see Multi,
// "Moves").
func (r *resolver) fetchRequest(ns, src, dst string) (netlink.Request, error) {
	c, err := r.conn(ns)
	if err != nil {
		return netlink.Request{}, err
	}
	l, err := c.LinkByName(context.Background(), src)
	if err != nil {
		return netlink.Request{}, err
	}
	fd, err := r.nsFD(r.self)
	if err != nil {
		return netlink.Request{}, err
	}
	req := &netlink.Link{Index: l.Index, NetNSFD: fd}
	if dst != src {
		req.Name = dst
	}
	return netlink.LinkRequest(netlink.Set, req), nil
}

func vethPeerIn(st State, l *netlink.Link) *netlink.Link {
	if infoKind(l) != "veth" || l.ParentIndex == 0 || l.LinkNetNSID != nil {
		return nil
	}
	peer, err := st.LinkByIndex(l.ParentIndex)
	if err != nil {
		return nil
	}
	return peer
}

func isZeroMAC(a net.HardwareAddr) bool {
	for _, b := range a {
		if b != 0 {
			return false
		}
	}
	return true
}

// bridgeCreateData is the data to re-create a bridge read as d with: its
// settings, but the VLAN ones only where they differ from the defaults (a
// kernel built without VLAN filtering refuses IFLA_BR_VLAN_* at creation
// with EOPNOTSUPP, even with their default values: br_changelink).
func bridgeCreateData(d *netlink.Bridge) *netlink.Bridge {
	c := *d
	c.Unknown = nil
	if c.VlanFiltering != nil && !*c.VlanFiltering {
		c.VlanFiltering = nil
	}
	if c.VlanProtocol != nil && *c.VlanProtocol == unix.ETH_P_8021Q {
		c.VlanProtocol = nil
	}
	if c.DefaultPVID != nil && *c.DefaultPVID == 1 {
		c.DefaultPVID = nil
	}
	return &c
}

// restoredData is the kind and kind settings a rollback gives an existing
// link l (its pre-image) whose settings a spec changed: all of them, so
// that the plan changes back in place whatever differs (a vxlan's remote,
// a macvlan's mode, a bridge's timers). Nil for kind data that cannot be
// compared (raw) or has no settings: the link is left as it is.
func restoredData(l *netlink.Link) *netlink.LinkInfo {
	kind := infoKind(l)
	switch d := linkData(l.Info).(type) {
	case nil, *netlink.RawLinkData, *netlink.Veth, *netlink.Tuntap:
		return nil
	case *netlink.Bridge:
		return &netlink.LinkInfo{InfoKind: kind, Data: bridgeCreateData(d)}
	default:
		return &netlink.LinkInfo{InfoKind: kind, Data: d}
	}
}

// restore adds the pre-image of each link in scope (the links the specs
// name, rename from or create as veth peers, and their veth peers), and
// the deletion of those the transaction created. It records the links in
// scope and the names it has specs for in rs.
func (linkOps) restore(rs *restorer) {
	pre, cur, ss, rb, preName := rs.pre, rs.cur, rs.ss, rs.rb, rs.preName
	preLinks := map[int]*netlink.Link{} // in scope, by pre-image index
	var preOrder []int
	curLinks := map[int]*netlink.Link{}
	moved := map[string]string{} // link name -> namespace it was moved to
	addScope := func(st State, m map[int]*netlink.Link, order *[]int, name string) {
		l, err := st.LinkByName(name)
		if err != nil {
			return
		}
		xs := []*netlink.Link{l}
		for _, g := range linksDeletedWith(st, l) { // its veth peer and the links stacked on them: link_cascade.go
			xs = append(xs, g.link)
		}
		for _, x := range xs {
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
		if s.Absent {
			// A deleted master's ports are left without it: a rollback
			// that recreates it enslaves them again.
			if l, err := pre.LinkByName(s.Name); err == nil {
				for p := range pre.Links() {
					if p.Master == l.Index {
						names = append(names, p.Name)
					}
				}
			}
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
	// The links whose kind settings a spec sets, by the name they had
	// before: the rollback sets those settings back (in place, as the
	// commit changed them).
	setsData := map[string]bool{}
	for i := range ss.links {
		if s := &ss.links[i]; linkData(s.Info) != nil {
			setsData[s.Name] = true
			if s.RenameFrom != "" {
				setsData[s.RenameFrom] = true
			}
		}
	}
	specNames := map[string]bool{}
	for _, idx := range preOrder {
		l := preLinks[idx]
		s := LinkSpec{Name: l.Name, MTU: ptr(l.MTU), TxQueueLen: ptr(l.TxQueueLen), Alias: ptr(l.Alias),
			Up: ptr(l.Flags&unix.IFF_UP != 0), Master: ptr(preName(l.Master))}
		if len(l.Address) > 0 {
			s.Address = l.Address
		}
		now, err := cur.LinkByIndex(idx)
		if err == nil && setsData[l.Name] {
			s.Info, s.exactData = restoredData(l), true
		}
		switch {
		case err == nil && now.Name != l.Name:
			s.RenameFrom = now.Name
		case err != nil && moved[l.Name] != "":
			s.fetchNS = moved[l.Name]
		case err != nil:
			kind := infoKind(l)
			switch {
			case kind == "" || kind == "tun":
				rs.lost = append(rs.lost, fmt.Sprintf("+ link %s (kind %s: cannot be recreated through rtnetlink)", l.Name, strOrNone(kind)))
				continue
			case kind == "veth" && l.LinkNetNSID != nil:
				// Its peer is in another namespace, whose index
				// l.ParentIndex is: recreating it here would make a
				// pair in this namespace (see Multi for one across).
				rs.lost = append(rs.lost, fmt.Sprintf("+ link %s (a veth whose peer is in another namespace)", l.Name))
				continue
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
	rs.preLinks, rs.specNames = preLinks, specNames
	rs.masters = map[int]*netlink.Link{}
	for _, l := range preLinks {
		if m, err := pre.LinkByIndex(l.Master); l.Master != 0 && err == nil {
			rs.masters[m.Index] = m
		}
	}
}

// settable lists what a LinkSpec can set of link o (a *netlink.Link), as
// ip(8) names it: name, mtu, address, txqlen, alias, up, master, the lower
// device, the kind and its data.
func (linkOps) settable(o netlink.Object) []attr {
	l := o.(*netlink.Link)
	u := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	kind, data := "", ""
	if l.Info != nil {
		kind = l.Info.InfoKind
		if l.Info.Data != nil {
			data = fmt.Sprint(l.Info.Data)
		}
	}
	return []attr{
		{"name", l.Name}, {"mtu", u(l.MTU)}, {"address", l.Address.String()},
		{"txqlen", u(l.TxQueueLen)}, {"alias", strconv.Quote(l.Alias)},
		{"up", strconv.FormatBool(l.Flags&unix.IFF_UP != 0)}, {"master", strconv.Itoa(l.Master)},
		{"link", strconv.Itoa(l.ParentIndex)}, {"type", kind}, {"kind data", data},
	}
}

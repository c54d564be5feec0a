package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The links section of the state file: one entry per link, as
// `ip link add|set|del` takes it, with the kind's data.

type linkYAML struct {
	Line       line     `yaml:"-"`
	Name       string   `yaml:"name"`
	Absent     bool     `yaml:"absent"`
	InfoKind   string   `yaml:"kind"`
	RenameFrom string   `yaml:"rename_from"`
	Peer       string   `yaml:"peer"`
	Parent     string   `yaml:"parent"`
	MTU        *uint32  `yaml:"mtu"`
	Address    *hwAddrY `yaml:"address"`
	TxQueueLen *uint32  `yaml:"txqlen"`
	Alias      *string  `yaml:"alias"`
	Up         *bool    `yaml:"up"`
	Master     *string  `yaml:"master"`
	NetNS      string   `yaml:"netns"`
	// kind data
	Mode   string  `yaml:"mode"`   // macvlan
	ID     *uint32 `yaml:"id"`     // vxlan, vlan
	Remote *addrY  `yaml:"remote"` // vxlan
	Local  *addrY  `yaml:"local"`  // vxlan
	Port   *uint16 `yaml:"port"`   // vxlan
	Dev    string  `yaml:"dev"`    // vxlan underlay
	Table  *uint32 `yaml:"table"`  // vrf
}

func (e *linkYAML) at(n line) { e.Line = n }

var linkKinds = map[string]bool{"bridge": true, "veth": true, "vxlan": true, "macvlan": true, "vlan": true,
	"bond": true, "dummy": true, "vrf": true, "ifb": true}

// needCurrent is a spec error that the link's current state can resolve:
// a key of a kind the entry does not name, or a kind's identity (vxlan and
// vlan id, vrf table, macvlan and vlan parent) left out. For a link that
// exists, the entry is a change of it, and these come from the link
// (linkYAML.spec's cur); for a new one the error stands.
type needCurrent struct{ msg string }

func (e *needCurrent) Error() string { return e.msg }

func needs(format string, args ...any) error { return &needCurrent{msg: fmt.Sprintf(format, args...)} }

// spec converts the entry. cur is the existing link of that name (or of
// rename_from), nil if there is none or it is not known yet: of an existing
// link the entry's keys are changes, so kind, id, table and parent are taken
// from it when the entry leaves them out (the README's "every key but the
// identity is optional").
func (l *linkYAML) spec(cur *netlink.Link) (txn.LinkSpec, error) {
	if cur != nil {
		c := *l
		c.fillFrom(cur)
		l = &c
	}
	s := txn.LinkSpec{Name: l.Name, Absent: l.Absent, RenameFrom: l.RenameFrom, Parent: l.Parent, MTU: l.MTU,
		TxQueueLen: l.TxQueueLen, Alias: l.Alias, Up: l.Up, Master: l.Master, NetNS: l.NetNS}
	if l.Name == "" {
		return s, errors.New("a link needs a name")
	}
	if err := netlink.ValidLinkName(l.Name); err != nil {
		// The reason names the link: "link name "x..." longer than 15 bytes".
		return s, errors.New(strings.TrimPrefix(err.Error(), netlink.ErrInvalid.Error()+": "))
	}
	if l.Address != nil {
		s.Address = l.Address.HardwareAddr
	}
	kindOnly := func(field, kind string) error {
		if l.InfoKind != kind {
			if l.InfoKind == "" {
				return needs("%s is only for kind %s", field, kind)
			}
			return fmt.Errorf("%s is only for kind %s", field, kind)
		}
		return nil
	}
	if l.Peer != "" {
		if err := kindOnly("peer", "veth"); err != nil {
			return s, err
		}
	}
	if l.Mode != "" {
		if err := kindOnly("mode", "macvlan"); err != nil {
			return s, err
		}
	}
	if l.Remote != nil || l.Local != nil || l.Port != nil || l.Dev != "" {
		if err := kindOnly("remote, local, port and dev", "vxlan"); err != nil {
			return s, err
		}
	}
	if l.Table != nil {
		if err := kindOnly("table", "vrf"); err != nil {
			return s, err
		}
	}
	if l.ID != nil && l.InfoKind != "vxlan" && l.InfoKind != "vlan" {
		return s, errors.New("id is only for kinds vxlan and vlan")
	}
	if l.InfoKind == "" {
		return s, nil
	}
	if !linkKinds[l.InfoKind] {
		return s, fmt.Errorf("unknown link kind %q (want bridge, veth, vxlan, macvlan, vlan, bond, dummy, vrf or ifb)", l.InfoKind)
	}
	info := &netlink.LinkInfo{InfoKind: l.InfoKind}
	switch l.InfoKind {
	case "veth":
		if l.Peer == "" {
			return s, errors.New("a veth needs a peer name")
		}
		info.Data = &netlink.Veth{Peer: &netlink.Link{Name: l.Peer}}
	case "macvlan":
		d := &netlink.Macvlan{}
		if l.Mode != "" {
			m, err := netlink.ParseMacvlanMode(l.Mode)
			if err != nil {
				return s, fmt.Errorf("bad macvlan mode %q (want private, vepa, bridge, passthru or source)", l.Mode)
			}
			d.Mode = m
		}
		info.Data = d
		if l.Parent == "" && cur == nil {
			return s, needs("a macvlan needs a parent")
		}
	case "vxlan":
		if l.ID == nil {
			return s, needs("a vxlan needs an id")
		}
		d := &netlink.Vxlan{ID: *l.ID}
		if l.Remote != nil {
			d.Group = l.Remote.Addr
		}
		if l.Local != nil {
			d.Local = l.Local.Addr
		}
		if l.Port != nil {
			d.Port = *l.Port
		}
		if l.Dev != "" {
			return s, errors.New("vxlan dev is not supported by apply yet; leave it out")
		}
		info.Data = d
	case "vlan":
		if l.ID == nil {
			return s, needs("a vlan needs an id from 1 to 4094")
		}
		if *l.ID == 0 || *l.ID > 4094 {
			return s, errors.New("a vlan needs an id from 1 to 4094")
		}
		if l.Parent == "" && cur == nil {
			return s, needs("a vlan needs a parent")
		}
		info.Data = &netlink.Vlan{ID: uint16(*l.ID)}
	case "vrf":
		if l.Table == nil {
			return s, needs("a vrf needs a table")
		}
		info.Data = &netlink.Vrf{Table: *l.Table}
	}
	s.Info = info
	return s, nil
}

// linkSpecs converts the links section into out; an error names the
// entry's line. An entry that only the link's current state can complete
// (needCurrent) is kept for resolveLinks.
func (st *stateFile) linkSpecs(out *specSet) error {
	for i := range st.Links {
		l := &st.Links[i]
		s, err := l.spec(nil)
		var nc *needCurrent
		if errors.As(err, &nc) {
			out.pendingLinks = append(out.pendingLinks, pendingLink{index: len(out.links), entry: l, err: err})
		} else if err != nil {
			return &lineError{Line: int(l.Line), Msg: err.Error()}
		}
		out.links = append(out.links, s)
	}
	return nil
}

// pendingLink is a links entry that needs its link's current state.
type pendingLink struct {
	index int // in specSet.links
	entry *linkYAML
	err   error // the error if the link does not exist
}

// resolveLinks completes the entries that name keys of an existing link
// only (see linkYAML.spec) with the link as the cache holds it; for a link
// that does not exist, the entry's error names its line.
func (s *specSet) resolveLinks(snap *ipdb.Snapshot) error {
	for _, p := range s.pendingLinks {
		cur, _ := snap.LinkByName(p.entry.Name)
		if cur == nil && p.entry.RenameFrom != "" {
			cur, _ = snap.LinkByName(p.entry.RenameFrom)
		}
		if cur == nil {
			return &lineError{Line: int(p.entry.Line), Msg: p.err.Error()}
		}
		spec, err := p.entry.spec(cur)
		if err != nil {
			return &lineError{Line: int(p.entry.Line), Msg: err.Error()}
		}
		s.links[p.index] = spec
	}
	s.pendingLinks = nil
	return nil
}

// fillFrom takes kind, vxlan and vlan id and vrf table from the existing
// link cur where the entry leaves them out. The parent needs no filling:
// txn keeps the lower device of an existing link unless the spec names one.
func (l *linkYAML) fillFrom(cur *netlink.Link) {
	if cur.Info == nil {
		return
	}
	if l.InfoKind == "" {
		l.InfoKind = cur.Info.InfoKind
	}
	if l.InfoKind != cur.Info.InfoKind || l.ID != nil {
		return // a different kind is txn's error to report
	}
	switch d := cur.Info.Data.(type) {
	case *netlink.Vxlan:
		id := d.ID
		l.ID = &id
	case *netlink.Vlan:
		id := uint32(d.ID)
		l.ID = &id
	case *netlink.Vrf:
		if l.Table == nil {
			t := d.Table
			l.Table = &t
		}
	}
}

// linksInto adds the section's specs to t, in file order.
func (s *specSet) linksInto(t *txn.Txn) {
	for _, x := range s.links {
		t.Link(x)
	}
}

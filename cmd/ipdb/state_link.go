package main

import (
	"errors"
	"fmt"

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

func (l *linkYAML) spec() (txn.LinkSpec, error) {
	s := txn.LinkSpec{Name: l.Name, Absent: l.Absent, RenameFrom: l.RenameFrom, Parent: l.Parent, MTU: l.MTU,
		TxQueueLen: l.TxQueueLen, Alias: l.Alias, Up: l.Up, Master: l.Master, NetNS: l.NetNS}
	if l.Name == "" {
		return s, errors.New("a link needs a name")
	}
	if err := netlink.ValidLinkName(l.Name); err != nil {
		return s, fmt.Errorf("link name %q: %w", l.Name, err)
	}
	if l.Address != nil {
		s.Address = l.Address.HardwareAddr
	}
	kindOnly := func(field, kind string) error {
		if l.InfoKind != kind {
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
		if l.Parent == "" {
			return s, errors.New("a macvlan needs a parent")
		}
	case "vxlan":
		if l.ID == nil {
			return s, errors.New("a vxlan needs an id")
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
		if l.ID == nil || *l.ID == 0 || *l.ID > 4094 {
			return s, errors.New("a vlan needs an id from 1 to 4094")
		}
		if l.Parent == "" {
			return s, errors.New("a vlan needs a parent")
		}
		info.Data = &netlink.Vlan{ID: uint16(*l.ID)}
	case "vrf":
		if l.Table == nil {
			return s, errors.New("a vrf needs a table")
		}
		info.Data = &netlink.Vrf{Table: *l.Table}
	}
	s.Info = info
	return s, nil
}

// linkSpecs converts the links section into out; an error names the
// entry's line.
func (st *stateFile) linkSpecs(out *specSet) error {
	for _, l := range st.Links {
		s, err := l.spec()
		if err != nil {
			return &lineError{Line: int(l.Line), Msg: err.Error()}
		}
		out.links = append(out.links, s)
	}
	return nil
}

// linksInto adds the section's specs to t, in file order.
func (s *specSet) linksInto(t *txn.Txn) {
	for _, x := range s.links {
		t.Link(x)
	}
}

package txn

import (
	"fmt"
	"net"
	"net/netip"
	"reflect"

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
	// link is named Name yet.
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

	// fetchNS (rollback only) brings the link back from that namespace.
	fetchNS string
}

// AddrSpec is the desired state of one address on a link.
type AddrSpec struct {
	// Link names the link (required).
	Link string
	// Prefix is the local address and prefix length, e.g. 192.0.2.1/24.
	Prefix netip.Prefix
	// Absent deletes the address if present.
	Absent bool
	// Peer is the remote address of a point-to-point address.
	Peer netip.Addr
	// Broadcast, if valid, is the IPv4 broadcast address.
	Broadcast netip.Addr
	// Label, if set, is the IPv4 label.
	Label string
	// Scope, if set, is the address scope.
	Scope *uint8
	// Metric, if set, is the prefix route's metric.
	Metric *uint32

	// flags (rollback only) are the IFA_F_* flags the address was made
	// with that change what the kernel makes of it (nodad,
	// noprefixroute, mngtmpaddr, home, autojoin), restored with it.
	flags uint32
	// exact (rollback only): the address must have exactly these flags.
	exact bool
}

// addrConfigFlags are the IFA_F_* flags an address is configured with, as
// opposed to the state the kernel reports in the same field.
const addrConfigFlags = unix.IFA_F_NODAD | unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_MANAGETEMPADDR |
	unix.IFA_F_HOMEADDRESS | unix.IFA_F_MCAUTOJOIN

// AddrSetSpec is the full set of addresses of a link: addresses not
// listed are removed, except those the kernel configures by itself
// (IPv6 link-local, loopback).
type AddrSetSpec struct {
	// Link names the link (required).
	Link string
	// Addrs are the addresses; their Link and Absent fields are ignored.
	Addrs []AddrSpec
}

// RouteHopSpec is one next hop of a multipath route.
type RouteHopSpec struct {
	// Gateway is the next hop's address.
	Gateway netip.Addr
	// Dev names the output link.
	Dev string
	// Weight is the next hop's weight (1 if zero).
	Weight int
	// Onlink marks the gateway as directly reachable on Dev.
	Onlink bool
}

// RouteSpec is the desired state of the route identified by family (of
// Dst), Table, Dst, TOS and Priority.
type RouteSpec struct {
	// Dst is the destination prefix (required; 0.0.0.0/0 for default).
	Dst netip.Prefix
	// Table is the table id; zero means main.
	Table uint32
	// TOS and Priority (the metric) complete the identity.
	TOS      uint8
	Priority uint32
	// Absent deletes the route if present.
	Absent bool
	// Type is the route type; zero means unicast.
	Type netlink.RouteType
	// Gateway is the next hop's address, if any.
	Gateway netip.Addr
	// Dev names the output link, if any.
	Dev string
	// Onlink marks the gateway as directly reachable on Dev.
	Onlink bool
	// Src, if valid, is the preferred source address.
	Src netip.Addr
	// Protocol, if not zero, is the route's protocol (boot otherwise).
	Protocol netlink.RouteProtocol
	// Scope, if set, is the route's scope.
	Scope *netlink.Scope
	// Metrics, if set, are the route's metrics.
	Metrics *netlink.RouteMetrics
	// Multipath lists the next hops of a multipath route.
	Multipath []RouteHopSpec

	// exact (rollback only): the route must have exactly these metrics,
	// protocol, source and scope; nothing of the existing route is kept.
	exact bool
}

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

// RuleSpec is the desired state of a routing policy rule. A present spec
// is identified by its selector and action (every field of Rule but
// Protocol; a zero Priority matches any priority). An absent spec selects
// as `ip rule del` does: the fields it gives must match, the fields it
// leaves zero are wildcards, so RuleSpec{Rule: netlink.Rule{Priority:
// 110}, Absent: true} removes every IPv4 rule of priority 110.
type RuleSpec struct {
	// Rule is the rule.
	Rule netlink.Rule
	// Absent deletes every rule the spec selects.
	Absent bool

	// exact (rollback only): an absent spec selects only the rule of
	// exactly this identity.
	exact bool
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

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
		info.InfoKind = specKind(s.Info)
		if req := netlink.LinkRequest(netlink.Add, &netlink.Link{Name: s.Name, Info: &info}); req.Err() != nil {
			return invalid("%s: %v", what, req.Err())
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

func (s *AddrSpec) validate(link string) error {
	if err := validName("addr", link); err != nil {
		return err
	}
	if !s.Prefix.IsValid() {
		return invalid("addr on %s: invalid prefix", link)
	}
	what := fmt.Sprintf("addr %s dev %s", s.Prefix, link)
	if s.Peer.IsValid() && s.Peer.Is4() != s.Prefix.Addr().Is4() {
		return invalid("%s: peer of another family", what)
	}
	if s.Broadcast.IsValid() && (!s.Broadcast.Is4() || !s.Prefix.Addr().Is4()) {
		return invalid("%s: broadcast needs IPv4", what)
	}
	if s.Label != "" && (!s.Prefix.Addr().Is4() || len(s.Label) > 15) {
		return invalid("%s: bad label %q", what, s.Label)
	}
	return nil
}

func (s *RouteSpec) validate() error {
	if !s.Dst.IsValid() {
		return invalid("route: invalid destination")
	}
	if s.Dst.Masked() != s.Dst {
		return invalid("route %s: host bits set", s.Dst)
	}
	if s.Absent {
		return nil
	}
	// The description is built only for an error: validation runs once
	// per spec, and a transaction may hold a million routes.
	what := func() string { return "route " + s.Dst.String() }
	v4 := s.Dst.Addr().Is4()
	if s.Src.IsValid() && s.Src.Is4() != v4 {
		return invalid("%s: src of another family", what())
	}
	if s.Gateway.IsValid() && s.Gateway.Is4() != v4 && v4 && s.Gateway.Is4() {
		return invalid("%s: gateway of another family", what())
	}
	if s.Gateway.IsValid() && !v4 && s.Gateway.Is4() {
		return invalid("%s: IPv4 gateway for an IPv6 route", what())
	}
	if s.Dev != "" {
		if err := validName("dev", s.Dev); err != nil {
			return fmt.Errorf("%s: %w", what(), err)
		}
	}
	typ := s.Type
	if typ == 0 {
		typ = netlink.RouteUnicast
	}
	switch typ {
	case netlink.RouteUnicast:
		if !s.Gateway.IsValid() && s.Dev == "" && len(s.Multipath) == 0 {
			return invalid("%s: unicast route needs a gateway, a dev or next hops", what())
		}
	case netlink.RouteBlackhole, netlink.RouteUnreachable, netlink.RouteProhibit, netlink.RouteThrow:
		if s.Gateway.IsValid() || s.Dev != "" || len(s.Multipath) > 0 {
			return invalid("%s: %s route with a next hop", what(), typ)
		}
	}
	if len(s.Multipath) > 0 && (s.Gateway.IsValid() || s.Dev != "") {
		return invalid("%s: both a next hop and multipath", what())
	}
	for i, nh := range s.Multipath {
		if !nh.Gateway.IsValid() && nh.Dev == "" {
			return invalid("%s: next hop %d needs a gateway or dev", what(), i)
		}
		if nh.Dev != "" {
			if err := validName("nexthop dev", nh.Dev); err != nil {
				return fmt.Errorf("%s: %w", what(), err)
			}
		}
		if nh.Weight < 0 || nh.Weight > 256 {
			return invalid("%s: next hop %d weight %d out of range", what(), i, nh.Weight)
		}
	}
	return nil
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

// normRule returns r with the kernel's defaults filled in, for matching.
func normRule(r netlink.Rule) netlink.Rule {
	if r.Family == 0 {
		switch {
		case r.Src.IsValid() && r.Src.Addr().Is6(), r.Dst.IsValid() && r.Dst.Addr().Is6():
			r.Family = unix.AF_INET6
		default:
			r.Family = unix.AF_INET
		}
	}
	if r.Action == 0 {
		r.Action = netlink.RuleToTable
		if r.Goto != 0 {
			r.Action = netlink.RuleGoto
		}
	}
	if r.Action == netlink.RuleToTable && r.Table == 0 {
		r.Table = unix.RT_TABLE_MAIN
	}
	if r.Mark != 0 && r.Mask == 0 {
		r.Mask = 0xffffffff
	}
	if r.UIDRange != nil && r.UIDRange.Start == 0 && r.UIDRange.End == 0xffffffff {
		r.UIDRange = nil
	}
	r.Unknown = nil
	return r
}

func (s *RuleSpec) validate() error {
	if s.Absent {
		w := s.Rule
		w.Family, w.Unknown = 0, nil
		if reflect.DeepEqual(w, netlink.Rule{}) {
			return invalid("rule: absent with nothing to select by (give at least a priority, a selector or an action)")
		}
	}
	r := normRule(s.Rule)
	if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
		return invalid("rule: family %d", r.Family)
	}
	if req := netlink.RuleRequest(netlink.Add, &r); req.Err() != nil {
		return invalid("rule %s: %v", &r, req.Err())
	}
	return nil
}

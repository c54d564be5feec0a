package txn

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// linkDataChange is one setting of an existing link's kind (or its lower
// device) that differs from what its spec asks.
type linkDataChange struct {
	attr     string // the setting as ip(8) names it: "id", "dstport", "mode"...
	old, new string
	// fixed is why the kernel cannot change it in place; empty if it can.
	fixed string
}

func (c linkDataChange) String() string { return fmt.Sprintf("%s %s -> %s", c.attr, c.old, c.new) }

// linkDataChanges compares the kind settings a spec gives with those of the
// existing link cur, setting by setting; settings the spec leaves zero
// (or nil) are kept. It returns the differences and, if all of them can
// be changed in place, the kind data of a set request that changes just
// them (nil when nothing differs).
//
// What the kernel refuses to change in place was checked against
// `ip link set ... type KIND ...` on Linux 6.18: vxlan_nl2conf refuses a
// new VNI ("Cannot change VNI"), port, limit (maxaddress), a group or
// local address of the other family, and the proxy, rsc, l2miss, l3miss,
// udpcsum and udp6zerocsum flags; macvlan_changelink refuses to enter or
// leave passthru mode; vlan_changelink cannot change the id or protocol;
// a vrf's table and a veth's peer are fixed at creation; and no kind can
// move to another lower device (IFLA_LINK). Bridge settings all change in
// place.
func (p *planner) linkDataChanges(s *LinkSpec, cur *netlink.Link) (changes []linkDataChange, set netlink.LinkData) {
	add := func(attr string, old, new any, fixed string) {
		changes = append(changes, linkDataChange{attr: attr, old: fmt.Sprint(old), new: fmt.Sprint(new), fixed: fixed})
	}
	if s.Parent != "" && cur.LinkNetNSID == nil { // a lower device in another namespace has an index there
		if idx, pending, err := p.ref(s.Parent); err == nil && (pending || idx != cur.ParentIndex) {
			add("link", p.nameOf(cur.ParentIndex), s.Parent, "the lower device of a link is fixed at creation")
		}
	}
	switch want := linkData(s.Info).(type) {
	case *netlink.Bridge:
		have, _ := linkData(cur.Info).(*netlink.Bridge)
		if !bridgeSatisfied(want, have) {
			if have == nil {
				have = &netlink.Bridge{}
			}
			bridgeChanges(want, have, add)
			set = want
		}
	case *netlink.Veth:
		if want.Peer != nil && want.Peer.Name != "" && cur.LinkNetNSID == nil {
			if peer := p.vethPeer(cur); peer == nil || peer.Name != want.Peer.Name {
				old := "(none)"
				if peer != nil {
					old = peer.Name
				}
				add("peer", old, want.Peer.Name, "a veth's peer is fixed at creation")
			}
		}
	case *netlink.Vxlan:
		have, _ := linkData(cur.Info).(*netlink.Vxlan)
		if have == nil {
			have = &netlink.Vxlan{}
		}
		in := &netlink.Vxlan{ID: have.ID}
		inPlace := false
		if want.ID != have.ID {
			add("id", have.ID, want.ID, "the kernel cannot change a vxlan's VNI")
		}
		if want.Port != 0 && want.Port != have.Port {
			add("dstport", have.Port, want.Port, "the kernel cannot change a vxlan's port")
		}
		addr := func(attr string, w, h netip.Addr, to *netip.Addr) {
			if !w.IsValid() || w == h {
				return
			}
			old := any(h)
			if !h.IsValid() {
				old = "(none)"
			}
			if h.IsValid() && h.Is4() != w.Is4() {
				add(attr, old, w, "the kernel cannot change a vxlan's address family")
				return
			}
			add(attr, old, w, "")
			*to, inPlace = w, true
		}
		addr(vxlanRemoteWord(want.Group), want.Group, have.Group, &in.Group)
		addr("local", want.Local, have.Local, &in.Local)
		if want.Link != 0 && want.Link != have.Link {
			add("dev", p.nameOf(have.Link), p.nameOf(want.Link), "")
			in.Link, inPlace = want.Link, true
		}
		if want.TTL != 0 && want.TTL != have.TTL {
			add("ttl", have.TTL, want.TTL, "")
			in.TTL, inPlace = want.TTL, true
		}
		if want.TOS != 0 && want.TOS != have.TOS {
			add("tos", have.TOS, want.TOS, "")
			in.TOS, inPlace = want.TOS, true
		}
		if want.Learning != nil && (have.Learning == nil || *have.Learning != *want.Learning) {
			add("learning", optStr(have.Learning), *want.Learning, "")
			in.Learning, inPlace = want.Learning, true
		}
		if want.Ageing != nil && (have.Ageing == nil || *have.Ageing != *want.Ageing) {
			add("ageing", optStr(have.Ageing), *want.Ageing, "")
			in.Ageing, inPlace = want.Ageing, true
		}
		if s.exactData {
			vxlanZeros(want, have, p.nameOf, add, in, &inPlace)
		}
		if want.Limit != 0 && want.Limit != have.Limit {
			add("maxaddress", have.Limit, want.Limit, "the kernel cannot change a vxlan's limit")
		}
		for _, f := range []struct {
			attr string
			w, h bool
		}{{"proxy", want.Proxy, have.Proxy}, {"rsc", want.RSC, have.RSC}, {"l2miss", want.L2Miss, have.L2Miss},
			{"l3miss", want.L3Miss, have.L3Miss}, {"udp6zerocsumtx", want.UDPZeroCsum6Tx, have.UDPZeroCsum6Tx},
			{"udp6zerocsumrx", want.UDPZeroCsum6Rx, have.UDPZeroCsum6Rx}} {
			if f.w && !f.h {
				add(f.attr, "off", "on", "the kernel cannot change this vxlan flag")
			}
		}
		if want.UDPCsum != nil && (have.UDPCsum == nil || *have.UDPCsum != *want.UDPCsum) {
			add("udpcsum", optStr(have.UDPCsum), *want.UDPCsum, "the kernel cannot change a vxlan's udpcsum")
		}
		if inPlace {
			set = in
		}
	case *netlink.Macvlan:
		have, _ := linkData(cur.Info).(*netlink.Macvlan)
		if have == nil {
			have = &netlink.Macvlan{}
		}
		hm := have.Mode
		if hm == 0 {
			hm = netlink.MacvlanVEPA
		}
		if want.Mode != 0 && want.Mode != hm {
			fixed := ""
			if (want.Mode == netlink.MacvlanPassthru) != (hm == netlink.MacvlanPassthru) {
				fixed = "the kernel cannot change a macvlan into or out of passthru mode"
			}
			add("mode", hm, want.Mode, fixed)
			set = &netlink.Macvlan{Mode: want.Mode}
		}
		if want.Flags != have.Flags && (want.Flags != 0 || s.exactData) {
			// A rollback's zero flags cannot be sent (a zero
			// IFLA_MACVLAN_FLAGS is left out): the request changes
			// nothing, and verification reports the flag left.
			add("flag", have.Flags, want.Flags, "")
			m := &netlink.Macvlan{Mode: want.Mode, Flags: want.Flags}
			set = m
		}
	case *netlink.Vlan:
		have, _ := linkData(cur.Info).(*netlink.Vlan)
		if have == nil {
			have = &netlink.Vlan{}
		}
		if want.ID != have.ID {
			add("id", have.ID, want.ID, "the kernel cannot change a vlan's id")
		}
		if want.Protocol != 0 && want.Protocol != have.Protocol {
			add("protocol", fmt.Sprintf("%#04x", have.Protocol), fmt.Sprintf("%#04x", want.Protocol), "the kernel cannot change a vlan's protocol")
		}
		if want.FlagsMask != 0 && (have.Flags&want.FlagsMask) != (want.Flags&want.FlagsMask) {
			add("flags", fmt.Sprintf("%#x", have.Flags&want.FlagsMask), fmt.Sprintf("%#x", want.Flags&want.FlagsMask), "")
			set = &netlink.Vlan{ID: have.ID, Flags: want.Flags, FlagsMask: want.FlagsMask}
		}
	case *netlink.Vrf:
		have, _ := linkData(cur.Info).(*netlink.Vrf)
		if have == nil {
			have = &netlink.Vrf{}
		}
		if want.Table != 0 && want.Table != have.Table {
			add("table", have.Table, want.Table, "a vrf's table is fixed at creation")
		}
	case *netlink.Bond:
		have, _ := linkData(cur.Info).(*netlink.Bond)
		if have == nil {
			have = &netlink.Bond{}
		}
		diff := &netlink.Bond{}
		any := false
		if want.Mode != nil && (have.Mode == nil || *have.Mode != *want.Mode) {
			add("mode", optStr(have.Mode), *want.Mode, "")
			diff.Mode, any = want.Mode, true
		}
		u32 := func(attr string, w, h *uint32, to **uint32) {
			if w != nil && (h == nil || *h != *w) {
				add(attr, optStr(h), *w, "")
				*to, any = w, true
			}
		}
		u32("miimon", want.MIIMon, have.MIIMon, &diff.MIIMon)
		u32("updelay", want.UpDelay, have.UpDelay, &diff.UpDelay)
		u32("downdelay", want.DownDelay, have.DownDelay, &diff.DownDelay)
		u32("min_links", want.MinLinks, have.MinLinks, &diff.MinLinks)
		u8 := func(attr string, w, h *uint8, to **uint8) {
			if w != nil && (h == nil || *h != *w) {
				add(attr, optStr(h), *w, "")
				*to, any = w, true
			}
		}
		u8("xmit_hash_policy", want.XmitHashPolicy, have.XmitHashPolicy, &diff.XmitHashPolicy)
		u8("lacp_rate", want.LACPRate, have.LACPRate, &diff.LACPRate)
		if any {
			set = diff
		}
	case *netlink.Tuntap:
		have, _ := linkData(cur.Info).(*netlink.Tuntap)
		if have == nil {
			have = &netlink.Tuntap{}
		}
		if want.Type != 0 && want.Type != have.Type {
			add("type", have.Type, want.Type, "a tun/tap device's type is fixed at creation")
		}
	case *netlink.Gre, *netlink.IPTun, *netlink.Vti, *netlink.Geneve:
		tunnelDataChanges(want, linkData(cur.Info), add)
	case *netlink.RawLinkData:
		have, _ := linkData(cur.Info).(*netlink.RawLinkData)
		if have == nil || string(have.Data) != string(want.Data) {
			add("data", "(kernel's)", want.String(), "raw kind data cannot be compared or changed in place")
		}
	}
	for _, c := range changes {
		if c.fixed != "" {
			return changes, nil
		}
	}
	return changes, set
}

// fixedLinkDataError describes the changes the kernel cannot make in place.
func fixedLinkDataError(name, kind string, changes []linkDataChange) error {
	var parts []string
	for _, c := range changes {
		if c.fixed != "" {
			parts = append(parts, fmt.Sprintf("%s %s -> %s (%s)", c.attr, c.old, c.new, c.fixed))
		}
	}
	return invalid("link %s: %s setting %s cannot be changed in place; remove the link first (absent: true) and create it again",
		name, kind, strings.Join(parts, ", "))
}

// vxlanZeros adds to a rollback's in-place vxlan change (in) the settings
// the pre-image had at zero and the link has now: a remote or local
// address is cleared by sending the unspecified address, which the
// kernel takes (vxlan_nl2conf); a ttl, tos or lower device of 0 cannot be
// sent (the encoder leaves zeros out), so the change is listed and the
// request changes nothing else: verification then reports it left, not
// restored.
func vxlanZeros(want, have *netlink.Vxlan, nameOf func(int) string, add func(attr string, old, new any, fixed string), in *netlink.Vxlan, inPlace *bool) {
	clear := func(attr string, h netip.Addr, to *netip.Addr) {
		if h.IsValid() {
			add(attr, h, "(none)", "")
			*to, *inPlace = netip.IPv4Unspecified(), true
			if h.Is6() {
				*to = netip.IPv6Unspecified()
			}
		}
	}
	if !want.Group.IsValid() {
		clear(vxlanRemoteWord(have.Group), have.Group, &in.Group)
	}
	if !want.Local.IsValid() {
		clear("local", have.Local, &in.Local)
	}
	if want.TTL == 0 && have.TTL != 0 {
		add("ttl", have.TTL, 0, "")
		*inPlace = true
	}
	if want.TOS == 0 && have.TOS != 0 {
		add("tos", have.TOS, 0, "")
		*inPlace = true
	}
	if want.Link == 0 && have.Link != 0 {
		add("dev", nameOf(have.Link), "(none)", "")
		*inPlace = true
	}
}

func vxlanRemoteWord(a netip.Addr) string {
	if a.IsMulticast() {
		return "group"
	}
	return "remote"
}

func optStr[T any](p *T) string {
	if p == nil {
		return "(default)"
	}
	return fmt.Sprint(*p)
}

// bridgeChanges lists the bridge settings of want that differ from have.
func bridgeChanges(want, have *netlink.Bridge, add func(attr string, old, new any, fixed string)) {
	u32 := func(attr string, w, h *uint32) {
		if w != nil && (h == nil || *h != *w) {
			add(attr, optStr(h), *w, "")
		}
	}
	u16 := func(attr string, w, h *uint16) {
		if w != nil && (h == nil || *h != *w) {
			add(attr, optStr(h), *w, "")
		}
	}
	b := func(attr string, w, h *bool) {
		if w != nil && (h == nil || *h != *w) {
			add(attr, optStr(h), *w, "")
		}
	}
	u32("forward_delay", want.ForwardDelay, have.ForwardDelay)
	u32("hello_time", want.HelloTime, have.HelloTime)
	u32("max_age", want.MaxAge, have.MaxAge)
	u32("ageing_time", want.AgeingTime, have.AgeingTime)
	u32("stp_state", want.StpState, have.StpState)
	u16("priority", want.Priority, have.Priority)
	b("vlan_filtering", want.VlanFiltering, have.VlanFiltering)
	u16("vlan_protocol", want.VlanProtocol, have.VlanProtocol)
	u16("vlan_default_pvid", want.DefaultPVID, have.DefaultPVID)
	b("mcast_snooping", want.McastSnooping, have.McastSnooping)
}

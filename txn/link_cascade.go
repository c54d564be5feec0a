package txn

import (
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// Deleting a link deletes more links in the kernel: a veth's peer
// (veth_dellink), and the links stacked on a deleted lower device, which
// go when it unregisters: macvlan and macvtap (macvlan_device_event,
// NETDEV_UNREGISTER), ipvlan and ipvtap (ipvlan_device_event), vlan
// (vlan_device_event: unregister_vlan_dev) and vxlan whose IFLA_VXLAN_LINK
// it is (vxlan_handle_lowerdev_unregister); recursively (a macvlan on the
// peer of a deleted veth goes too). Bridge ports are detached, not
// deleted. The plan names each link that goes with the one deleted, and a
// link that goes so while the transaction has a spec for it that wants it
// present is refused.

// stackedKinds are the kinds that the kernel deletes with their lower
// device (IFLA_LINK in this namespace).
var stackedKinds = []string{"macvlan", "macvtap", "ipvlan", "ipvtap", "vlan"}

// goneWith is one link the kernel deletes with another, and why.
type goneWith struct {
	link *netlink.Link
	why  string // "veth peer", "macvlan on veth1", ...
}

// deletedWith returns the links the kernel deletes with l, each once, in
// the order found (breadth first), without l.
func (p *planner) deletedWith(l *netlink.Link) []goneWith { return linksDeletedWith(p.st, l) }

// linksDeletedWith is deletedWith in any state (the rollback's pre-image
// too: what went with a deleted link is restored with it).
func linksDeletedWith(st State, l *netlink.Link) []goneWith {
	var out []goneWith
	seen := map[int]bool{l.Index: true}
	queue := []*netlink.Link{l}
	add := func(m *netlink.Link, why string) {
		if !seen[m.Index] {
			seen[m.Index] = true
			out = append(out, goneWith{m, why})
			queue = append(queue, m)
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if peer := vethPeerIn(st, d); peer != nil {
			add(peer, "veth peer of "+d.Name)
		}
		for m := range st.Links() {
			if seen[m.Index] || m.LinkNetNSID != nil {
				continue
			}
			kind := infoKind(m)
			switch {
			case slices.Contains(stackedKinds, kind) && m.ParentIndex == d.Index:
				add(m, kind+" on "+d.Name)
			case kind == "vxlan":
				if v, ok := linkData(m.Info).(*netlink.Vxlan); ok && v.Link == d.Index {
					add(m, "vxlan on "+d.Name)
				}
			}
		}
	}
	return out
}

// describeGoneWith is the plan's note of the links deleted with another:
// " (and with it: veth peer vb, macvlan mva on vb)".
func describeGoneWith(gone []goneWith) string {
	if len(gone) == 0 {
		return ""
	}
	parts := make([]string, len(gone))
	for i, g := range gone {
		if strings.HasPrefix(g.why, "veth peer") {
			parts[i] = "its veth peer " + g.link.Name
			continue
		}
		parts[i] = g.link.Name + " (" + g.why + ")"
	}
	return " (and with it " + strings.Join(parts, ", ") + ")"
}

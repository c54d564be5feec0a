package txn

import (
	"fmt"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// A `+` step of a plan lists every attribute the request sets, in ip(8)'s
// words, after the object's identity: a link's kind settings (vxlan id,
// remote, local, dstport; macvlan mode; bridge settings), txqueuelen and
// alias; a route's protocol, scope, onlink and metrics; an address's peer,
// broadcast, label, scope and metric; a neighbour's state. What the kernel
// would take as its default when the spec leaves it out is not listed.
// `~` steps list "attr old -> new" (describe.go and each kind's file).

// linkCreateAttrs lists the settings a link created from s gets beyond its
// kind, parent, MTU and address (which the step names already): the kind
// settings as linkDataChanges names them against a link that has none,
// then txqueuelen and alias.
func (p *planner) linkCreateAttrs(s *LinkSpec) string {
	var b strings.Builder
	blank := &netlink.Link{Info: &netlink.LinkInfo{InfoKind: specInfoKind(s.Info)}}
	changes, _ := p.linkDataChanges(&LinkSpec{Name: s.Name, Info: s.Info}, blank)
	listed := map[string]bool{}
	for _, c := range changes {
		if c.attr == "link" || c.attr == "peer" { // named by the step already
			continue
		}
		listed[c.attr] = true
		fmt.Fprintf(&b, " %s %s", c.attr, c.new)
	}
	// linkDataChanges compares a macvlan's mode with the kernel's default
	// (vepa), so a spec asking for vepa lists nothing there.
	if m, ok := linkData(s.Info).(*netlink.Macvlan); ok && m.Mode != 0 && !listed["mode"] {
		fmt.Fprintf(&b, " mode %s", m.Mode)
	}
	if s.TxQueueLen != nil {
		fmt.Fprintf(&b, " txqueuelen %d", *s.TxQueueLen)
	}
	if s.Alias != nil {
		fmt.Fprintf(&b, " alias %q", *s.Alias)
	}
	return b.String()
}

// createAttrs lists what a route created from s sets beyond describe's
// identity, gateway, device and source: protocol, scope, onlink, the
// metrics (a locked one as "mtu lock 1400") and the congestion control.
func (s *RouteSpec) createAttrs() string {
	var b strings.Builder
	if s.Protocol != 0 {
		b.WriteString(" proto " + s.Protocol.String())
	}
	if s.Scope != nil {
		b.WriteString(" scope " + s.Scope.String())
	}
	if s.Onlink {
		b.WriteString(" onlink")
	}
	for _, h := range s.Multipath {
		if h.Onlink {
			b.WriteString(" onlink(nexthop via " + h.Gateway.String() + ")")
		}
	}
	if m := s.Metrics; m != nil {
		for _, f := range metricFields {
			if v := *f.get(m); v != 0 {
				b.WriteString(" " + f.name + " " + metricValue(m, f.typ, v))
			}
		}
		if m.CCAlgo != "" {
			b.WriteString(" congctl " + m.CCAlgo)
		}
	}
	return b.String()
}

// createAttrs lists what an address created from s sets beyond its prefix
// and link.
func (s *AddrSpec) createAttrs() string {
	var b strings.Builder
	if s.Peer.IsValid() {
		b.WriteString(" peer " + s.Peer.String())
	}
	if s.Broadcast.IsValid() {
		b.WriteString(" broadcast " + s.Broadcast.String())
	}
	if s.Label != "" {
		b.WriteString(" label " + s.Label)
	}
	if s.Scope != nil {
		b.WriteString(" scope " + netlink.Scope(*s.Scope).String())
	}
	if s.Metric != nil {
		fmt.Fprintf(&b, " metric %d", *s.Metric)
	}
	return b.String()
}

// createAttrs lists the state a neighbour entry created from s gets
// (permanent when the spec gives none, as ip neigh add does).
func (s *NeighSpec) createAttrs() string {
	return " nud " + nudName(neighState(s))
}

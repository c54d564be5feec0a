package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// MPLS in the state file: the mpls_routes section, one entry per incoming
// label as `ip -f mpls route replace|del` takes it, and the encap of a
// route or of a route's next hop (`encap mpls 100/200 ttl 10`):
//
//	mpls_routes:
//	  - label: 100
//	    as: 200/300              # outgoing labels (RTA_NEWDST); none pops
//	    via: 192.0.2.2           # IPv4 or IPv6 (ip's via inet/inet6)
//	    dev: v0
//	    ttl_propagate: disabled  # enabled, disabled or default
//	  - label: 101
//	    nexthops: [{as: 201, via: 192.0.2.3, dev: v0}, {via: 198.51.100.3, dev: w0}]
//	  - {label: 102, absent: true}
//	routes:
//	  - dst: 203.0.113.0/24
//	    gateway: 192.0.2.2
//	    encap: {mpls: 16/17, ttl: 5}

// mplsRouteYAML is an entry of mpls_routes.
type mplsRouteYAML struct {
	Line         line          `yaml:"-"`
	Label        uint32        `yaml:"label"`
	Absent       bool          `yaml:"absent"`
	As           *labelsY      `yaml:"as"`
	Via          *addrY        `yaml:"via"`
	Dev          string        `yaml:"dev"`
	TTLPropagate string        `yaml:"ttl_propagate"`
	Protocol     string        `yaml:"protocol"`
	Nexthops     []mplsHopYAML `yaml:"nexthops"`
}

func (e *mplsRouteYAML) at(n line) { e.Line = n }

// mplsHopYAML is a next hop of a multipath MPLS route (no weight: the
// kernel has none for MPLS).
type mplsHopYAML struct {
	As  *labelsY `yaml:"as"`
	Via *addrY   `yaml:"via"`
	Dev string   `yaml:"dev"`
}

// mplsEncapYAML is a route's or a next hop's encap: mpls is the label
// stack pushed, ttl the TTL of the labels (absent or 0: the IP TTL is
// copied).
type mplsEncapYAML struct {
	MPLS *labelsY `yaml:"mpls"`
	TTL  uint8    `yaml:"ttl"`
}

// labelsY is a label stack as ip writes it, "200/300", or one label (a
// number).
type labelsY []uint32

func (l *labelsY) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return errAt(n, "want MPLS labels such as 200/300, got a %s", nodeKind(n))
	}
	var out []uint32
	for _, w := range strings.Split(n.Value, "/") {
		v, err := strconv.ParseUint(w, 10, 32)
		if err != nil || v > netlink.MPLSLabelMax {
			return errAt(n, "bad MPLS labels %q (want labels from 0 to %d joined by /, such as 200/300)", n.Value, netlink.MPLSLabelMax)
		}
		out = append(out, uint32(v))
	}
	*l = out
	return nil
}

func (l *labelsY) labels() []uint32 {
	if l == nil {
		return nil
	}
	return []uint32(*l)
}

// spec converts the entry; txn validates the rest as the kernel would.
func (r *mplsRouteYAML) spec() (txn.MPLSRouteSpec, error) {
	s := txn.MPLSRouteSpec{Label: r.Label, Absent: r.Absent, As: r.As.labels(), Dev: r.Dev}
	if r.Label == 0 {
		return s, fmt.Errorf("an MPLS route needs label (%d to %d)", netlink.MPLSLabelFirstUnreserved, netlink.MPLSLabelMax)
	}
	if r.Via != nil {
		s.Via = r.Via.Addr
	}
	switch r.TTLPropagate {
	case "", "default":
	case "enabled":
		s.TTLPropagate = netlink.MPLSTTLPropEnabled
	case "disabled":
		s.TTLPropagate = netlink.MPLSTTLPropDisabled
	default:
		return s, fmt.Errorf("ttl_propagate %q (want enabled, disabled or default)", r.TTLPropagate)
	}
	if r.Protocol != "" {
		p, err := netlink.ParseRouteProtocol(r.Protocol)
		if err != nil {
			return s, fmt.Errorf("unknown route protocol %q", r.Protocol)
		}
		s.Protocol = p
	}
	for _, nh := range r.Nexthops {
		h := txn.MPLSHopSpec{As: nh.As.labels(), Dev: nh.Dev}
		if nh.Via != nil {
			h.Via = nh.Via.Addr
		}
		s.Multipath = append(s.Multipath, h)
	}
	if r.Absent && (len(s.As) > 0 || s.Via.IsValid() || s.Dev != "" || len(s.Multipath) > 0 || s.TTLPropagate != 0) {
		return s, errors.New("an absent MPLS route is named by its label alone")
	}
	return s, nil
}

// spec converts an encap entry (nil: none).
func (e *mplsEncapYAML) spec() (*netlink.MPLSEncap, error) {
	if e == nil {
		return nil, nil
	}
	if e.MPLS == nil {
		return nil, errors.New("encap needs mpls (the labels pushed, such as 100/200)")
	}
	return &netlink.MPLSEncap{Labels: e.MPLS.labels(), TTL: e.TTL}, nil
}

// mplsRouteSpecs converts the mpls_routes section into out; an error names
// the entry's line.
func (st *stateFile) mplsRouteSpecs(out *specSet) error {
	for _, r := range st.MPLSRoutes {
		s, err := r.spec()
		if err != nil {
			return &lineError{Line: int(r.Line), Msg: err.Error()}
		}
		out.mplsRoutes = append(out.mplsRoutes, s)
		out.mplsLines = append(out.mplsLines, int(r.Line))
	}
	return nil
}

// routeList is the list a routes section's entries decode into.
func (st *stateFile) routeList(section string) sectionEntries {
	if section == "mpls_routes" {
		return entries(&st.MPLSRoutes)
	}
	return entries(&st.Routes)
}

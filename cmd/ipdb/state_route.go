package main

import (
	"errors"
	"fmt"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The routes section of the state file: one entry per route, as
// `ip route replace|del` takes it, with multipath next hops or the id of a
// nexthop object (nhid, the nexthops section: state_nexthop.go), and MPLS
// routes in their own section, mpls_routes (state_mpls.go).

type routeYAML struct {
	Line     line           `yaml:"-"`
	Dst      prefixY        `yaml:"dst"`
	Table    *tableY        `yaml:"table"`
	Metric   uint32         `yaml:"metric"`
	TOS      uint8          `yaml:"tos"`
	Absent   bool           `yaml:"absent"`
	Type     string         `yaml:"type"`
	Gateway  *addrY         `yaml:"gateway"`
	Dev      string         `yaml:"dev"`
	Onlink   bool           `yaml:"onlink"`
	Src      *addrY         `yaml:"src"`
	Protocol string         `yaml:"protocol"`
	Scope    *scopeY        `yaml:"scope"`
	MTU      uint32         `yaml:"mtu"`
	AdvMSS   uint32         `yaml:"advmss"`
	Nexthops []routeHopYAML `yaml:"nexthops"`
	NHID     uint32         `yaml:"nhid"`
	Encap    *mplsEncapYAML `yaml:"encap"`
}

func (e *routeYAML) at(n line) { e.Line = n }

type routeHopYAML struct {
	Gateway *addrY         `yaml:"gateway"`
	Dev     string         `yaml:"dev"`
	Weight  int            `yaml:"weight"`
	Onlink  bool           `yaml:"onlink"`
	Encap   *mplsEncapYAML `yaml:"encap"`
}

func (r *routeYAML) spec() (txn.RouteSpec, error) {
	s := txn.RouteSpec{Dst: r.Dst.Prefix, TOS: r.TOS, Priority: r.Metric, Absent: r.Absent, Dev: r.Dev, Onlink: r.Onlink}
	if !r.Dst.IsValid() {
		return s, errors.New("a route needs dst")
	}
	if r.Dst.Masked() != r.Dst.Prefix {
		return s, fmt.Errorf("dst %s has host bits set (did you mean %s?)", r.Dst.Prefix, r.Dst.Masked())
	}
	if r.Table != nil {
		s.Table = uint32(*r.Table)
	}
	if r.Type != "" {
		// A state file declares the types from unicast to throw.
		t, err := netlink.ParseRouteType(r.Type)
		if err != nil || t < netlink.RouteUnicast || t > netlink.RouteThrow {
			return s, fmt.Errorf("unknown route type %q", r.Type)
		}
		s.Type = t
	}
	if r.Protocol != "" {
		p, err := netlink.ParseRouteProtocol(r.Protocol)
		if err != nil {
			return s, fmt.Errorf("unknown route protocol %q", r.Protocol)
		}
		s.Protocol = p
	}
	if r.Gateway != nil {
		s.Gateway = r.Gateway.Addr
	}
	if r.Src != nil {
		s.Src = r.Src.Addr
		if s.Src.Is4() != r.Dst.Addr().Is4() {
			return s, fmt.Errorf("src %s is not of the family of dst %s", s.Src, r.Dst.Prefix)
		}
	}
	if r.Scope != nil {
		sc := netlink.Scope(*r.Scope)
		s.Scope = &sc
	}
	if r.MTU != 0 || r.AdvMSS != 0 {
		s.Metrics = &netlink.RouteMetrics{MTU: r.MTU, AdvMSS: r.AdvMSS}
	}
	for _, nh := range r.Nexthops {
		h := txn.RouteHopSpec{Dev: nh.Dev, Weight: nh.Weight, Onlink: nh.Onlink}
		if nh.Gateway != nil {
			h.Gateway = nh.Gateway.Addr
		}
		if !h.Gateway.IsValid() && h.Dev == "" {
			return s, errors.New("each next hop needs a gateway or a dev")
		}
		var err error
		if h.MPLSEncap, err = nh.Encap.spec(); err != nil {
			return s, err
		}
		if nh.Weight < 0 || nh.Weight > 256 {
			return s, fmt.Errorf("next hop weight %d out of range 1-256", nh.Weight)
		}
		s.Multipath = append(s.Multipath, h)
	}
	var err error
	if s.MPLSEncap, err = r.Encap.spec(); err != nil {
		return s, err
	}
	if len(s.Multipath) > 0 && (s.Gateway.IsValid() || s.Dev != "") {
		return s, errors.New("a route has either gateway/dev or nexthops, not both")
	}
	unicast := s.Type == 0 || s.Type == netlink.RouteUnicast
	if s.NHID = r.NHID; s.NHID != 0 {
		// The nexthop object (the nexthops section, or one that exists)
		// has the hops.
		if s.Gateway.IsValid() || s.Dev != "" || s.Onlink || len(s.Multipath) > 0 {
			return s, fmt.Errorf("nhid %d with gateway, dev, onlink or nexthops: the nexthop object has the hops", s.NHID)
		}
		// A blackhole nexthop makes a blackhole route, which may say so.
		if !unicast && s.Type != netlink.RouteBlackhole {
			return s, fmt.Errorf("a route of type %s cannot use a nexthop object (nhid)", r.Type)
		}
	}
	if !r.Absent && unicast && !s.Gateway.IsValid() && s.Dev == "" && len(s.Multipath) == 0 && s.NHID == 0 {
		return s, errors.New("a unicast route needs a gateway, a dev, nexthops or an nhid")
	}
	if g := s.Gateway; g.IsValid() && g.Is4() != r.Dst.Addr().Is4() && r.Dst.Addr().Is6() {
		return s, fmt.Errorf("gateway %s is not of the family of dst %s", g, r.Dst.Prefix)
	}
	return s, nil
}

// routeSpecs converts the routes section into out; an error names the
// entry's line.
func (st *stateFile) routeSpecs(out *specSet) error {
	for _, r := range st.Routes {
		s, err := r.spec()
		if err != nil {
			return &lineError{Line: int(r.Line), Msg: err.Error()}
		}
		out.routes = append(out.routes, s)
	}
	return st.mplsRouteSpecs(out)
}

// routesInto adds the section's specs to t, in file order, in one call (txn
// plans many routes at once).
func (s *specSet) routesInto(t *txn.Txn) {
	t.Routes(s.routes...)
	t.MPLSRoutes(s.mplsRoutes...)
}

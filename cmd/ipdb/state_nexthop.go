package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The nexthops section of the state file: one entry per nexthop object, as
// `ip nexthop replace|del` takes it, converted to txn.NexthopSpec. Routes
// use one with `nhid:` in the routes section.
//
//	nexthops:
//	  - {id: 100, gateway: 192.0.2.2, dev: v0, protocol: static}
//	  - {id: 101, dev: v0, family: inet6}
//	  - {id: 102, blackhole: true}
//	  - {id: 103, gateway: 192.0.2.4, fdb: true}
//	  - {id: 200, group: "100,3/101"}            # ip's words, or a list:
//	  - {id: 201, group: [{id: 100, weight: 3}, {id: 101}], type: resilient,
//	     buckets: 8, idle_timer: 60, unbalanced_timer: 0}  # whole seconds
//	  - {id: 104, absent: true}

type nexthopYAML struct {
	Line            line          `yaml:"-"`
	ID              uint32        `yaml:"id"`
	Absent          bool          `yaml:"absent"`
	Family          string        `yaml:"family"`
	Gateway         *addrY        `yaml:"gateway"`
	Dev             string        `yaml:"dev"`
	Onlink          bool          `yaml:"onlink"`
	Blackhole       bool          `yaml:"blackhole"`
	FDB             bool          `yaml:"fdb"`
	Protocol        string        `yaml:"protocol"`
	Group           nexthopGroupY `yaml:"group"`
	Type            string        `yaml:"type"`
	Buckets         uint16        `yaml:"buckets"`
	IdleTimer       *secondsY     `yaml:"idle_timer"`
	UnbalancedTimer *secondsY     `yaml:"unbalanced_timer"`
}

func (e *nexthopYAML) at(n line) { e.Line = n }

// nexthopGroupY is a group's members: ip's words ("100,3/101", a weight
// after a comma) or a list of {id, weight}.
type nexthopGroupY []txn.NexthopMemberSpec

func (g *nexthopGroupY) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		for _, m := range strings.Split(n.Value, "/") {
			idText, wText, hasWeight := strings.Cut(m, ",")
			id, err := strconv.ParseUint(idText, 10, 32)
			if err != nil || id == 0 {
				return errAt(n, "bad group member %q (want ID[,WEIGHT]/..., as ip nexthop takes it)", m)
			}
			ms := txn.NexthopMemberSpec{ID: uint32(id)}
			if hasWeight {
				w, err := strconv.ParseUint(wText, 10, 32)
				if err != nil || w == 0 || w > 65536 {
					return errAt(n, "bad weight %q of group member %d (want 1 to 65536)", wText, id)
				}
				ms.Weight = uint32(w)
			}
			*g = append(*g, ms)
		}
		return nil
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if item.Kind != yaml.MappingNode {
				return errAt(item, "each group member must be a mapping {id, weight}, got a %s", nodeKind(item))
			}
			for i := 0; i < len(item.Content); i += 2 {
				if k := item.Content[i]; k.Value != "id" && k.Value != "weight" {
					return errAt(k, "unknown key %q of a group member (want id, weight)", k.Value)
				}
			}
		}
		var list []struct {
			ID     uint32 `yaml:"id"`
			Weight uint32 `yaml:"weight"`
		}
		if err := n.Decode(&list); err != nil {
			return errAt(n, "bad group: %v", err)
		}
		for i, m := range list {
			if m.ID == 0 {
				return errAt(n.Content[i], "a group member needs an id")
			}
			if m.Weight > 65536 {
				return errAt(n.Content[i], "weight %d of group member %d out of range 1-65536", m.Weight, m.ID)
			}
			*g = append(*g, txn.NexthopMemberSpec{ID: m.ID, Weight: m.Weight})
		}
		return nil
	}
	return errAt(n, "want a group such as \"100,3/101\" or a list of {id, weight}, got a %s", nodeKind(n))
}

// secondsY is a duration in whole seconds, as ip takes a resilient
// group's timers (the state file has no fractional settings).
type secondsY time.Duration

func (s *secondsY) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseUint(n.Value, 10, 32)
	if n.Kind != yaml.ScalarNode || err != nil || v > math.MaxUint32/100 {
		return errAt(n, "bad timer %q (want whole seconds, 0 to %d)", n.Value, uint32(math.MaxUint32/100))
	}
	*s = secondsY(time.Duration(v) * time.Second)
	return nil
}

func (e *nexthopYAML) spec() (txn.NexthopSpec, error) {
	s := txn.NexthopSpec{ID: e.ID, Absent: e.Absent, Dev: e.Dev, Onlink: e.Onlink, Blackhole: e.Blackhole,
		FDB: e.FDB, Group: e.Group, Buckets: e.Buckets}
	if e.ID == 0 {
		return s, errors.New("a nexthop needs an id (1 to 4294967295)")
	}
	switch e.Family {
	case "":
	case "inet", "ipv4":
		s.Family = unix.AF_INET
	case "inet6", "ipv6":
		s.Family = unix.AF_INET6
	default:
		return s, fmt.Errorf("unknown family %q (want inet or inet6)", e.Family)
	}
	if e.Gateway != nil {
		s.Gateway = e.Gateway.Addr
		if s.Family != 0 && (s.Family == unix.AF_INET) != s.Gateway.Is4() {
			return s, fmt.Errorf("gateway %s is not of family %s", s.Gateway, e.Family)
		}
	}
	if e.Protocol != "" {
		p, err := netlink.ParseRouteProtocol(e.Protocol)
		if err != nil {
			return s, fmt.Errorf("unknown nexthop protocol %q", e.Protocol)
		}
		s.Protocol = p
	}
	switch e.Type {
	case "", "mpath":
	case "resilient":
		s.GroupType = netlink.GroupResilient
	default:
		return s, fmt.Errorf("unknown group type %q (want mpath or resilient)", e.Type)
	}
	if e.Type != "" && len(e.Group) == 0 {
		return s, fmt.Errorf("type %s needs a group", e.Type)
	}
	if e.IdleTimer != nil {
		d := time.Duration(*e.IdleTimer)
		s.IdleTimer = &d
	}
	if e.UnbalancedTimer != nil {
		d := time.Duration(*e.UnbalancedTimer)
		s.UnbalancedTimer = &d
	}
	if !e.Absent && !e.Blackhole && len(e.Group) == 0 && e.Gateway == nil && e.Dev == "" {
		return s, errors.New("a nexthop needs a gateway, a dev, blackhole or a group")
	}
	return s, nil
}

// nexthopSpecs converts the nexthops section into out; an error names the
// entry's line. txn checks the rest by the kernel's rules when planning
// (a blackhole with a gateway, a group with a family, ...).
func (st *stateFile) nexthopSpecs(out *specSet) error {
	for _, e := range st.Nexthops {
		s, err := e.spec()
		if err != nil {
			return &lineError{Line: int(e.Line), Msg: err.Error()}
		}
		out.nexthops = append(out.nexthops, s)
	}
	return nil
}

// nexthopsInto adds the section's specs to t, in file order (txn creates
// single nexthops before groups and both before the routes over them,
// whatever the order).
func (s *specSet) nexthopsInto(t *txn.Txn) {
	for _, n := range s.nexthops {
		t.Nexthop(n)
	}
}

package txn

import (
	"fmt"
	"net/netip"
	"reflect"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// Two specs that name the same kernel object are refused before anything
// is planned, whichever kind: the second's SpecError carries the first's
// index in Others. An object's identity is the kernel's:
//
//   - an address: its link and local address with its prefix length
//     (IPv4 keeps 192.0.2.1/24 and 192.0.2.1/25 apart; IPv6 has one
//     address per link whatever the length: ipv6_add_addr's EEXIST);
//   - an address set: its link (two sets of one link contradict);
//   - a route: family, table (0 is main), destination, tos and metric (an
//     IPv6 metric 0 is the kernel's 1024, IP6_RT_PRIO_USER);
//   - a neighbour: link and destination;
//   - a rule: all its fields once defaults are filled in (normRule; the
//     kernel refuses an exact duplicate with EEXIST: rule_exists).
//
// Links and nexthop objects are checked by their own validate (by name,
// by id), also with Others.

// duplicateErr is the error of spec i, which names the same object as
// spec first.
func duplicateErr(kind netlink.Kind, set bool, i, first int, what string) error {
	return &SpecError{Kind: kind, Set: set, Index: i, Others: []int{first},
		Err: invalid("%s: two specs", what)}
}

// checkDuplicates refuses two specs of one object in ss.
func checkDuplicates(ss *specSet) error {
	type addrKey struct {
		link string
		p    netip.Prefix
	}
	addrs := map[addrKey]int{}
	for i := range ss.addrs {
		s := &ss.addrs[i]
		k := addrKey{s.Link, s.Prefix}
		if s.Prefix.Addr().Is6() {
			k.p = netip.PrefixFrom(s.Prefix.Addr(), 128)
		}
		if first, ok := addrs[k]; ok {
			return duplicateErr(netlink.KindAddr, false, i, first, fmt.Sprintf("address %s on %s", s.Prefix, s.Link))
		}
		addrs[k] = i
	}
	sets := map[string]int{}
	for i := range ss.sets {
		if first, ok := sets[ss.sets[i].Link]; ok {
			return duplicateErr(netlink.KindAddr, true, i, first, "the addresses of "+ss.sets[i].Link)
		}
		sets[ss.sets[i].Link] = i
	}
	type routeKey struct {
		family uint8
		table  uint32
		dst    netip.Prefix
		tos    uint8
		metric uint32
	}
	routes := map[routeKey]int{}
	for i := range ss.routes {
		s := &ss.routes[i]
		k := routeKey{family: unix.AF_INET, table: s.Table, dst: s.Dst.Masked(), tos: s.TOS, metric: s.Priority}
		if s.Dst.Addr().Is6() {
			k.family = unix.AF_INET6
			if k.metric == 0 {
				k.metric = 1024
			}
		}
		if k.table == 0 {
			k.table = unix.RT_TABLE_MAIN
		}
		if first, ok := routes[k]; ok {
			return duplicateErr(netlink.KindRoute, false, i, first, "route "+s.Dst.Masked().String())
		}
		routes[k] = i
	}
	type neighKey struct {
		link string
		dst  netip.Addr
	}
	neighs := map[neighKey]int{}
	for i := range ss.neighs {
		s := &ss.neighs[i]
		k := neighKey{s.Link, s.Dst}
		if first, ok := neighs[k]; ok {
			return duplicateErr(netlink.KindNeigh, false, i, first, fmt.Sprintf("neighbour %s on %s", s.Dst, s.Link))
		}
		neighs[k] = i
	}
	// Rules: equal in every field, looked for among those of the same
	// family, priority, table and selectors' prefixes.
	type ruleKey struct {
		family   uint8
		priority uint32
		table    uint32
		src, dst netip.Prefix
		absent   bool
	}
	rules := map[ruleKey][]int{}
	for i := range ss.rules {
		a := normRule(ss.rules[i].Rule)
		k := ruleKey{a.Family, a.Priority, a.Table, a.Src, a.Dst, ss.rules[i].Absent}
		for _, j := range rules[k] {
			if reflect.DeepEqual(a, normRule(ss.rules[j].Rule)) {
				return duplicateErr(netlink.KindRule, false, i, j, fmt.Sprintf("rule %d", a.Priority))
			}
		}
		rules[k] = append(rules[k], i)
	}
	return nil
}

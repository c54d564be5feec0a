package txn

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
	"golang.org/x/sys/unix"
)

// AddrSpec is the desired state of one address on a link.
type AddrSpec struct {
	// Link names the link (required).
	Link string
	// Prefix is the local address and prefix length, e.g. 192.0.2.1/24.
	Prefix netip.Prefix
	// Absent deletes the address if present. An absent address of a
	// link that does not exist, or that the transaction deletes, holds
	// (so that a CNI DEL is idempotent: deleting a link takes its
	// addresses with it).
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

// Addr adds an address spec.
func (t *Txn) Addr(s AddrSpec) *Txn { t.specs.addrs = append(t.specs.addrs, s); t.plan = nil; return t }

// AddrSet adds the full address set of a link.
func (t *Txn) AddrSet(s AddrSetSpec) *Txn {
	t.specs.sets = append(t.specs.sets, s)
	t.plan = nil
	return t
}

// addrOps is the kindOps of addresses: AddrSpecs and AddrSetSpecs.
type addrOps struct{}

func (addrOps) count(ss *specSet) int { return len(ss.addrs) + len(ss.sets) }

// each yields the AddrSpecs, then the AddrSetSpecs.
func (addrOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.addrs {
		fn(specRef{kind: netlink.KindAddr, i: int32(i)})
	}
	for i := range ss.sets {
		fn(specRef{kind: netlink.KindAddr, set: true, i: int32(i)})
	}
}

func (addrOps) validate(ss *specSet) error {
	for i := range ss.addrs {
		if err := ss.addrs[i].validate(ss.addrs[i].Link); err != nil {
			return specErr(specRef{kind: netlink.KindAddr, i: int32(i)}, err)
		}
	}
	for i := range ss.sets {
		for j := range ss.sets[i].Addrs {
			if err := ss.sets[i].Addrs[j].validate(ss.sets[i].Link); err != nil {
				return specErr(specRef{kind: netlink.KindAddr, set: true, i: int32(i)}, err)
			}
		}
	}
	return nil
}

func addrFamily(p netip.Prefix) uint8 {
	if p.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// kernelAddr reports addresses the kernel configures by itself.
func kernelAddr(a *netlink.Addr) bool {
	ad := a.Prefix.Addr()
	return a.Proto == netlink.AddrProtoKernelLo || a.Proto == netlink.AddrProtoKernelLL ||
		a.Proto == netlink.AddrProtoKernelRA || ad.IsLoopback() || (ad.Is6() && ad.IsLinkLocalUnicast())
}

func addrSatisfied(a *netlink.Addr, s *AddrSpec) bool {
	peer := a.Peer
	if peer == a.Prefix.Addr() {
		peer = netip.Addr{}
	}
	return peer == s.Peer &&
		(!s.Broadcast.IsValid() || a.Broadcast == s.Broadcast) &&
		(s.Label == "" || a.Label == s.Label) &&
		(s.Scope == nil || a.Scope == *s.Scope) &&
		(s.Metric == nil || a.Metric == *s.Metric) &&
		(!s.exact || a.Flags&addrConfigFlags == s.flags)
}

func (addrOps) plan(p *planner, ref specRef) error {
	if ref.set {
		return p.planAddrSet(ref, &p.ss.sets[ref.i])
	}
	s := &p.ss.addrs[ref.i]
	return p.planAddrs(ref, s.Link, []AddrSpec{*s}, false)
}

// verifyIndex is nil: an address change rechecks every address spec.
func (addrOps) verifyIndex() verifyIndex { return nil }

func (p *planner) planAddrSet(ref specRef, s *AddrSetSpec) error {
	idx, pending, err := p.ref(s.Link)
	if err != nil {
		return fmt.Errorf("addresses of %s: %w", s.Link, err)
	}
	if !pending {
		for a := range p.st.AddrsOf(idx) {
			if kernelAddr(a) {
				continue
			}
			observe(p, a)
			if !slices.ContainsFunc(s.Addrs, func(w AddrSpec) bool { return w.Prefix == a.Prefix }) {
				p.addrDel(ref, s.Link, a)
			}
		}
	}
	return p.planAddrs(ref, s.Link, s.Addrs, true)
}

func (p *planner) addrDel(ref specRef, link string, a *netlink.Addr) {
	del := &netlink.Addr{Family: a.Family, Index: a.Index, Prefix: a.Prefix, Peer: a.Peer}
	p.add(&Step{Action: Remove, Kind: netlink.KindAddr, stage: stageAddrDel, spec: ref,
		desc:  func() string { return fmt.Sprintf("addr %s dev %s", del.Prefix, link) },
		build: func(*resolver) (netlink.Request, error) { return netlink.AddrRequest(netlink.Delete, del), nil }})
}

func (p *planner) planAddrs(ref specRef, link string, want []AddrSpec, inSet bool) error {
	idx, pending, err := p.ref(link)
	if err != nil {
		if !inSet && want[0].Absent {
			if pl, ok := p.links[link]; (ok && pl.gone) || (!ok && p.lookup(link) == nil) {
				return nil // the link's addresses are gone with it
			}
		}
		return fmt.Errorf("addr on %s: %w", link, err)
	}
	for i := range want {
		s := &want[i]
		var ex *netlink.Addr
		if !pending {
			for a := range p.st.AddrsOf(idx) {
				if a.Prefix == s.Prefix {
					ex = a
					break
				}
			}
			if !inSet {
				observe(p, ex)
			}
			ex = p.relabelled(link, ex)
		}
		if s.Absent && !inSet {
			if ex != nil {
				p.addrDel(ref, link, ex)
			}
			continue
		}
		if ex != nil && addrSatisfied(ex, s) {
			continue
		}
		verb, act := netlink.Add, Create
		if ex != nil {
			verb, act = netlink.Replace, Modify
			// inet6_addr_modify ignores a metric (IFA_RT_PRIORITY) of 0 and
			// flags it cannot change: such an address is removed and added
			// again, so that its kernel-made prefix route is what it was.
			//
			// A replace changes only the metric (inet_rtm_newaddr,
			// inet6_addr_modify): a new peer, broadcast, label or scope
			// needs a new address, and removing one can flush the routes
			// through the link (fib_disable_ip). A rollback does that and
			// restores the routes; a spec is refused.
			fixed := addrFixedChanges(ex, s)
			if len(fixed) > 0 && !s.exact {
				return invalid("addr %s dev %s: %s cannot be changed in place; remove the address first (absent: true) and add it again",
					s.Prefix, link, strings.Join(fixed, ", "))
			}
			if len(fixed) > 0 || (ex.Family == unix.AF_INET6 && s.Metric != nil && *s.Metric == 0 && ex.Metric != 0) ||
				(s.exact && s.flags != ex.Flags&addrConfigFlags) {
				p.addrDel(ref, link, ex)
				verb, act = netlink.Add, Create
			}
		}
		spec := *s
		var changes changeList
		if ex != nil {
			changes = addrChanges(ex, s)
		}
		extra := ""
		if act == Create {
			extra = s.createAttrs()
		}
		p.add(&Step{Action: act, Kind: netlink.KindAddr, stage: stageAddrAdd, spec: ref,
			desc: func() string { return fmt.Sprintf("addr %s dev %s%s%s", spec.Prefix, link, extra, changes) },
			build: func(r *resolver) (netlink.Request, error) {
				idx, err := r.index(link)
				if err != nil {
					return netlink.Request{}, err
				}
				a := &netlink.Addr{Family: addrFamily(spec.Prefix), Index: idx, Prefix: spec.Prefix, Peer: spec.Peer,
					Broadcast: spec.Broadcast, Label: spec.Label}
				if spec.Scope != nil {
					a.Scope = *spec.Scope
				}
				if spec.Metric != nil {
					a.Metric = *spec.Metric
				}
				a.Flags = spec.flags
				return netlink.AddrRequest(verb, a), nil
			}})
	}
	return nil
}

// relabelled returns ex, an IPv4 address of the link the plan names link,
// with the label the kernel gives it when the plan renames the link from
// its current name: inetdev_changename (net/ipv4/devinet.c) relabels the
// device's addresses, the label "old" becoming "new" and "old:x"
// becoming "new:x". Without it a rename looked like a label change to be
// made by removing and adding the address, and removing a link's last
// IPv4 address flushes its routes and its ARP entries, permanent ones
// too (fib_disable_ip, arp_ifdown).
func (p *planner) relabelled(link string, ex *netlink.Addr) *netlink.Addr {
	pl := p.links[link]
	if ex == nil || ex.Family != unix.AF_INET || pl == nil || pl.cur == nil || pl.cur.Name == link {
		return ex
	}
	old := pl.cur.Name
	label := ex.Label
	switch {
	case label == old:
		label = link
	case strings.HasPrefix(label, old+":"):
		label = link + label[len(old):]
	default:
		return ex
	}
	if len(label) > 15 {
		return ex
	}
	c := *ex
	c.Label = label
	return &c
}

// addrChanges lists what replacing have by spec s changes.
func addrChanges(have *netlink.Addr, s *AddrSpec) changeList {
	var c changeList
	peer := have.Peer
	if peer == have.Prefix.Addr() {
		peer = netip.Addr{}
	}
	if peer != s.Peer {
		c.add("peer", addrOrNone(peer), addrOrNone(s.Peer))
	}
	if s.Broadcast.IsValid() && have.Broadcast != s.Broadcast {
		c.add("broadcast", addrOrNone(have.Broadcast), s.Broadcast)
	}
	if s.Label != "" && have.Label != s.Label {
		c.add("label", strOrNone(have.Label), s.Label)
	}
	if s.Scope != nil && have.Scope != *s.Scope {
		c.add("scope", netlink.Scope(have.Scope), netlink.Scope(*s.Scope))
	}
	if s.Metric != nil && have.Metric != *s.Metric {
		c.add("metric", have.Metric, *s.Metric)
	}
	return c
}

// addrFixedChanges lists the changes from have to spec s that a replace
// request cannot make: all but the metric.
func addrFixedChanges(have *netlink.Addr, s *AddrSpec) []string {
	var fixed []string
	for _, c := range addrChanges(have, s) {
		if !strings.HasPrefix(c, "metric ") {
			fixed = append(fixed, c)
		}
	}
	return fixed
}

// restore adds the full address set of every link in scope and of every
// link an address spec names, and records those links in rs.addrLinks.
func (addrOps) restore(rs *restorer) {
	pre, ss, rb, preName := rs.pre, rs.ss, rs.rb, rs.preName
	preLinks, specNames := rs.preLinks, rs.specNames
	addrLinks := map[int]bool{}
	for idx := range preLinks {
		addrLinks[idx] = true
	}
	for i := range ss.addrs {
		if l, err := pre.LinkByName(ss.addrs[i].Link); err == nil {
			addrLinks[l.Index] = true
		}
	}
	for i := range ss.sets {
		if l, err := pre.LinkByName(ss.sets[i].Link); err == nil {
			addrLinks[l.Index] = true
		}
	}
	for idx := range addrLinks {
		name := preName(idx)
		if name == "" || (preLinks[idx] != nil && !specNames[name]) {
			continue
		}
		set := AddrSetSpec{Link: name}
		for a := range pre.AddrsOf(idx) {
			if kernelAddr(a) {
				continue
			}
			as := AddrSpec{Prefix: a.Prefix, Broadcast: a.Broadcast, Label: a.Label, Scope: ptr(a.Scope), Metric: ptr(a.Metric),
				flags: a.Flags & addrConfigFlags, exact: true}
			if a.Peer != a.Prefix.Addr() {
				as.Peer = a.Peer
			}
			set.Addrs = append(set.Addrs, as)
		}
		rb.sets = append(rb.sets, set)
	}
	rs.addrLinks = addrLinks
}

// dadWait bounds the wait for duplicate address detection after a
// rollback: one probe (dad_transmits 1) a second (RetransTimer) plus the
// random delay of up to a second before it.
const dadWait = 5 * time.Second

// awaitDAD waits until the IPv6 addresses the rollback restored on links
// that are up with a carrier are no longer tentative. The kernel adds an
// IPv6 address's local route (table local) and its prefix route only
// when duplicate address detection ends (addrconf_dad_completed), so
// until then the namespace lacks kernel-made routes the pre-image had:
// they are the kernel's to restore, but the rollback returns once they
// are back. A timeout is not an error: the addresses are restored, and
// the kernel goes on with them.
func (t *Txn) awaitDAD(ctx context.Context, rb *specSet) {
	if len(rb.sets) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, dadWait)
	defer cancel()
	_ = watch.WaitFor(wctx, t.db, func(s *ipdb.Snapshot) bool {
		for i := range rb.sets {
			l, err := s.LinkByName(rb.sets[i].Link)
			if err != nil || l.Flags&(unix.IFF_UP|unix.IFF_LOWER_UP) != unix.IFF_UP|unix.IFF_LOWER_UP {
				continue
			}
			for a := range s.AddrsOf(l.Index) {
				if a.Family == unix.AF_INET6 && a.Flags&unix.IFA_F_TENTATIVE != 0 && a.Flags&unix.IFA_F_DADFAILED == 0 {
					return false
				}
			}
		}
		return true
	})
}

// settable lists what an AddrSpec can set of address o (a *netlink.Addr):
// peer, broadcast, label, scope and metric.
func (addrOps) settable(o netlink.Object) []attr {
	a := o.(*netlink.Addr)
	return []attr{
		{"peer", a.Peer.String()}, {"broadcast", a.Broadcast.String()}, {"label", a.Label},
		{"scope", strconv.Itoa(int(a.Scope))}, {"metric", strconv.FormatUint(uint64(a.Metric), 10)},
	}
}

package main

import (
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/watch"
)

// This file renders monitor's text: one line per change, in the words
// `ip monitor` (and `bridge monitor fdb`) use, with link names where ip
// prints names:
//
//	[12] link add 5: v0@v1: <BROADCAST,MULTICAST> mtu 1500 master br0 state DOWN ...
//	[13] link change 5: v0: mtu 1500 -> 1400, state DOWN -> UP
//	[14] route delete 198.51.100.0/24 via 192.0.2.254 dev br0 proto static metric 10
//	[15] neigh add 192.0.2.7 dev br0 lladdr 02:00:00:00:00:07 PERMANENT
//	[16] nexthop change id 300 via 192.0.2.9 -> 192.0.2.7
//
// An add or delete prints the whole object; a change prints the object's
// identity (for a route also the via, dev and proto that did not change,
// so that the line names one route: fe80::/64 is on every link) and, for
// each word that changed, "word old -> new" ("none"
// where a word is absent on one side, "+word"/"-word" for a flag). A
// change in nothing ip prints (bridge timers, counters) is left out of
// the text; `-o json` shows every change.

// word is one item of ip's text: a keyword and its value ("mtu" "1500"),
// or a bare value (flags, the destination) named by key for comparison.
type word struct {
	key, val string
	bare     bool // printed without its key
	id       bool // part of the object's identity
	// ctx: printed with the identity of a change when unchanged (a
	// route's via, dev and proto: ip's words that tell routes with the
	// same identity words apart, e.g. fe80::/64 on each link).
	ctx bool
}

type words []word

func (w *words) add(key, val string)  { *w = append(*w, word{key: key, val: val}) }
func (w *words) bare(key, val string) { *w = append(*w, word{key: key, val: val, bare: true}) }
func (w *words) id(key, val string)   { *w = append(*w, word{key: key, val: val, bare: true, id: true}) }
func (w *words) flag(key string)      { *w = append(*w, word{key: key, val: key, bare: true}) }
func (w *words) ctx(key, val string)  { *w = append(*w, word{key: key, val: val, ctx: true}) }

func (w words) text() string {
	var b strings.Builder
	for i, x := range w {
		if i > 0 {
			b.WriteByte(' ')
		}
		if !x.bare {
			b.WriteString(x.key)
			b.WriteByte(' ')
		}
		b.WriteString(x.val)
	}
	return b.String()
}

// changeText describes what differs between old and new: new's identity,
// then "word old -> new" for each word whose value differs. visible is
// false when no word differs (the change is in attributes ip does not
// print, such as bridge timers): monitor's text leaves such changes out.
func changeText(old, new words) (text string, visible bool) {
	var b strings.Builder
	oldVal := map[string]string{}
	for _, x := range old {
		oldVal[x.key] = x.val
	}
	for _, x := range new {
		if o, ok := oldVal[x.key]; x.id || (x.ctx && ok && o == x.val) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			if !x.bare {
				b.WriteString(x.key)
				b.WriteByte(' ')
			}
			b.WriteString(x.val)
		}
	}
	seen := map[string]bool{}
	var diffs []string
	show := func(x word, v string) string {
		if x.bare {
			return v
		}
		return x.key + " " + v
	}
	for _, x := range new {
		seen[x.key] = true
		o, ok := oldVal[x.key]
		switch {
		case !ok:
			if x.bare && x.key == x.val {
				diffs = append(diffs, "+"+x.val)
			} else {
				diffs = append(diffs, x.key+" none -> "+x.val)
			}
		case o != x.val:
			diffs = append(diffs, show(x, o)+" -> "+x.val)
		}
	}
	for _, x := range old {
		if !seen[x.key] {
			if x.bare && x.key == x.val {
				diffs = append(diffs, "-"+x.val)
			} else {
				diffs = append(diffs, x.key+" "+x.val+" -> none")
			}
		}
	}
	if len(diffs) == 0 {
		return "", false
	}
	b.WriteString(" ")
	b.WriteString(strings.Join(diffs, ", "))
	return b.String(), true
}

// objectWords renders any object as ip's words, through the kind's row of
// the command's kind table (kinds.go).
func objectWords(o netlink.Object, names *linkNames) words {
	if o == nil {
		return nil
	}
	if k := commandKindOf(o.Kind()); k != nil {
		return k.words(o, names)
	}
	return nil
}

// writeEventText prints an event on one line.
// snap names the links (the database's snapshot at the time of writing).
func writeEventText(w io.Writer, snap *ipdb.Snapshot, ev watch.Event, links *streamLinks) error {
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strconv.FormatUint(ev.Rev, 10))
	b.WriteString("] ")
	if ev.Resync {
		*links = *newStreamLinks(snap)
		b.WriteString("resync: fell behind the change log; the current state follows\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	names := snapshotLinks(snap)
	links.note(ev.Old, ev.New)
	names.stream = links
	b.WriteString(ev.Kind.String())
	switch {
	case ev.Op == ipdb.OpAdd:
		b.WriteString(" add ")
		b.WriteString(objectWords(ev.New, names).text())
	case ev.Op == ipdb.OpDelete:
		b.WriteString(" delete ")
		b.WriteString(objectWords(ev.Old, names).text())
	default:
		ev.Old = sameDeadlines(peerResolved(ev.Old, ev.New), ev.New)
		oldNames := names
		if l, ok := ev.Old.(*netlink.Link); ok {
			// The link's own name and flags as they were.
			oldNames = newLinkNames(snap)
			oldNames.stream = links
			oldNames.add(l)
		}
		text, visible := changeText(objectWords(ev.Old, oldNames), objectWords(ev.New, names))
		if !visible {
			return nil
		}
		b.WriteString(" change ")
		b.WriteString(text)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// peerResolved hides the one change of a new veth's peer that ip monitor
// never prints: the kernel sends the peer's RTM_NEWLINK before the other
// end exists (IFLA_LINK 0, ip's "v3@NONE:") and then sets its iflink
// without a notification, which the cache's re-read finds. old is returned
// with new's IFLA_LINK when that is the only way the two differ in it.
func peerResolved(old, new netlink.Object) netlink.Object {
	ol, ok1 := old.(*netlink.Link)
	nl, ok2 := new.(*netlink.Link)
	if !ok1 || !ok2 || ol.ParentIndex != 0 || !ol.ParentPresent || nl.ParentIndex == 0 {
		return old
	}
	c := *ol
	c.ParentIndex, c.LinkNetNSID = nl.ParentIndex, nl.LinkNetNSID
	return &c
}

func linkWords(l *netlink.Link, names *linkNames) words {
	var w words
	w.id("index", strconv.Itoa(l.Index)+":")
	name := l.Name
	if l.ParentIndex != 0 {
		if l.LinkNetNSID != nil {
			name += "@if" + strconv.Itoa(l.ParentIndex)
		} else {
			name += "@" + names.name(l.ParentIndex)
		}
	} else if l.ParentPresent {
		// IFLA_LINK 0: a veth whose peer is not there yet (the first
		// RTM_NEWLINK of a new pair's peer), a tunnel bound to no device.
		name += "@NONE"
	}
	w.id("name", name+":")
	w.bare("flags", "<"+strings.Join(netlink.LinkFlagNames(l.Flags), ",")+">")
	w.add("mtu", strconv.FormatUint(uint64(l.MTU), 10))
	if l.Qdisc != "" {
		w.add("qdisc", l.Qdisc)
	}
	if l.Master != 0 {
		w.add("master", names.name(l.Master))
	}
	w.add("state", l.OperState.String())
	w.add("group", ipNames().groupName(l.Group))
	if l.TxQueueLen != 0 {
		w.add("qlen", strconv.FormatUint(uint64(l.TxQueueLen), 10))
	}
	typ := "link/" + linkTypeName(l.Type)
	if l.Address != nil {
		w.add(typ, hwAddr(l.Type, l.Address))
	} else {
		w.flag(typ)
	}
	if l.Broadcast != nil {
		w.add("brd", hwAddr(l.Type, l.Broadcast))
	}
	if l.LinkNetNSID != nil {
		w.add("link-netnsid", strconv.Itoa(int(*l.LinkNetNSID)))
	}
	if l.Info != nil && l.Info.InfoKind != "" {
		w.add("type", l.Info.InfoKind)
	}
	if l.Alias != "" {
		w.add("alias", l.Alias)
	}
	return w
}

func addrWords(a *netlink.Addr, names *linkNames) words {
	var w words
	w.id("dev", strconv.Itoa(a.Index)+": "+names.name(a.Index))
	w.id("family", familyName(a.Family))
	if a.Peer.IsValid() {
		w.id("local", a.Prefix.Addr().String())
		w.id("peer", "peer "+a.Peer.String()+"/"+strconv.Itoa(a.Prefix.Bits()))
	} else {
		w.id("local", a.Prefix.String())
	}
	if a.Metric != 0 {
		w.add("metric", strconv.FormatUint(uint64(a.Metric), 10))
	}
	if a.Broadcast.IsValid() {
		w.add("brd", a.Broadcast.String())
	}
	if a.Anycast.IsValid() {
		w.add("any", a.Anycast.String())
	}
	w.add("scope", netlink.Scope(a.Scope).String())
	for mask, name := range netlink.AddrFlagWords() {
		switch {
		case mask == unix.IFA_F_PERMANENT:
			if a.Flags&mask == 0 {
				w.flag("dynamic")
			}
		case a.Flags&mask != 0:
			if mask == unix.IFA_F_SECONDARY && a.Family == unix.AF_INET6 {
				w.flag("temporary")
			} else {
				w.flag(name)
			}
		}
	}
	if a.Label != "" {
		w.bare("label", a.Label)
	}
	valid, preferred := addrLifetimes(a)
	w.add("valid_lft", lifetime(valid))
	w.add("preferred_lft", lifetime(preferred))
	return w
}

func lifetime(v uint32) string {
	if v == 0xffffffff {
		return "forever"
	}
	return strconv.FormatUint(uint64(v), 10) + "sec"
}

func routeWords(r *netlink.Route, names *linkNames) words {
	if r.Family == unix.AF_MPLS {
		return mplsRouteWords(r, names) // render_mpls.go
	}
	var w words
	if r.Type != netlink.RouteUnicast {
		w.id("type", r.Type.String())
	}
	w.id("dst", prefixString(r.Dst))
	x := r.Extra
	if x != nil && x.Src.IsValid() && x.Src.Bits() > 0 {
		w.id("from", "from "+prefixString(x.Src))
	}
	if r.TOS != 0 {
		w.id("tos", "tos "+ipNames().dsfieldName(r.TOS))
	}
	if x != nil && x.NHID != 0 {
		w.add("nhid", strconv.FormatUint(uint64(x.NHID), 10))
	}
	if x != nil && x.MPLSEncap != nil {
		w.add("encap", mplsEncapWords(x.MPLSEncap))
	}
	if r.Gateway.IsValid() {
		if (r.Family == unix.AF_INET) != r.Gateway.Is4() {
			w.ctx("via", "inet6 "+r.Gateway.String())
		} else {
			w.ctx("via", r.Gateway.String())
		}
	}
	if r.OIF != 0 {
		w.ctx("dev", names.name(int(r.OIF)))
	}
	if r.Table != unix.RT_TABLE_MAIN && r.Table != 0 {
		w.id("table", "table "+tableName(r.Table))
	}
	if r.Protocol != netlink.ProtoBoot {
		w.ctx("proto", ipNames().protoName(uint8(r.Protocol)))
	}
	if r.Scope != netlink.ScopeUniverse {
		w.add("scope", r.Scope.String())
	}
	if r.PrefSrc.IsValid() {
		w.add("src", r.PrefSrc.String())
	}
	if r.Priority != 0 || r.Family == unix.AF_INET6 {
		w.id("metric", "metric "+strconv.FormatUint(uint64(r.Priority), 10))
	}
	for _, name := range netlink.RouteFlagNames(r.Flags) {
		w.flag(name)
	}
	if x != nil && x.Metrics != nil {
		m := x.Metrics
		for i := uint16(unix.RTAX_MTU); int(i) < len(ipMetricNames); i++ {
			v := ""
			if i == unix.RTAX_CC_ALGO {
				v = m.CCAlgo
			} else if n := metricValue(m, i); n != 0 {
				v = strconv.FormatUint(uint64(n), 10)
			}
			if v == "" {
				continue
			}
			if m.Lock&(1<<i) != 0 {
				v = "lock " + v
			}
			w.add(ipMetricNames[i], v)
		}
	}
	if x != nil && x.IIF != 0 {
		w.add("iif", names.name(int(x.IIF))) // print_route's RTA_IIF, before pref
	}
	if r.Family == unix.AF_INET6 {
		switch r.Pref {
		case netlink.PrefLow:
			w.add("pref", "low")
		case netlink.PrefHigh:
			w.add("pref", "high")
		default:
			w.add("pref", "medium")
		}
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		v := ""
		if nh.MPLSEncap != nil {
			v = "encap " + mplsEncapWords(nh.MPLSEncap) + " "
		}
		if nh.Gateway.IsValid() {
			v += "via " + nh.Gateway.String() + " "
		}
		v += "dev " + names.name(int(nh.IfIndex)) + " weight " + strconv.Itoa(nh.Weight())
		for _, name := range netlink.RouteFlagNames(uint32(nh.Flags)) {
			v += " " + name // ip's print_rt_flags of the hop: "linkdown", "dead", "onlink"
		}
		w.add("nexthop#"+strconv.Itoa(i), v)
		w[len(w)-1].val = "nexthop " + v
		w[len(w)-1].bare = true
	}
	return w
}

func neighWords(n *netlink.Neigh, names *linkNames) words {
	var w words
	w.id("dst", n.Dst.String())
	w.id("dev", "dev "+names.name(n.Index))
	if n.LLAddr != nil {
		w.add("lladdr", n.LLAddr.String())
	}
	for _, f := range []struct {
		bit  uint8
		name string
	}{{unix.NTF_ROUTER, "router"}, {unix.NTF_PROXY, "proxy"}, {unix.NTF_EXT_LEARNED, "extern_learn"}, {unix.NTF_OFFLOADED, "offload"}} {
		if n.Flags&f.bit != 0 {
			w.flag(f.name)
		}
	}
	if n.State != 0 {
		w.bare("state", strings.Join(netlink.NeighStateNames(n.State), " "))
	}
	if n.Protocol != 0 {
		w.add("proto", ipNames().protoName(n.Protocol))
	}
	return w
}

func ruleWords(r *netlink.Rule) words {
	var w words
	w.id("priority", strconv.FormatUint(uint64(r.Priority), 10)+":")
	w.id("family", familyName(r.Family))
	w.bare("rule", ruleText(r)) // a change prints it as "old -> new"
	return w
}

// deadlineSlack is how far apart two notifications' deadlines of one
// lifetime or expiry may be (the kernel reports seconds left, and each
// notification is stamped when read): the database's own slack, under
// which two versions are the same.
const deadlineSlack = 2 * time.Second

// sameDeadlines returns ev's Old with New's address lifetimes or route
// expiry when the two differ only by when each was announced: a change
// event for another reason (a new label after a rename, a route's flags)
// then shows no "valid_lft 292sec -> 291sec".
func sameDeadlines(old, new netlink.Object) netlink.Object {
	near := func(x, y time.Time) bool {
		d := x.Sub(y)
		return x.IsZero() == y.IsZero() && d < deadlineSlack && d > -deadlineSlack
	}
	switch o := old.(type) {
	case *netlink.Addr:
		n, ok := new.(*netlink.Addr)
		if !ok || !near(o.ValidUntil, n.ValidUntil) || !near(o.PreferredUntil, n.PreferredUntil) {
			return old
		}
		c := *o
		c.ValidLifetime, c.PreferredLifetime, c.ValidUntil, c.PreferredUntil = n.ValidLifetime, n.PreferredLifetime, n.ValidUntil, n.PreferredUntil
		return &c
	case *netlink.Route:
		n, ok := new.(*netlink.Route)
		if !ok || o.Extra == nil || n.Extra == nil || !near(o.Extra.ExpiresAt, n.Extra.ExpiresAt) {
			return old
		}
		x := *o.Extra
		x.CacheInfo.Expires, x.ExpiresAt = n.Extra.CacheInfo.Expires, n.Extra.ExpiresAt
		c := *o
		c.Extra = &x
		return &c
	}
	return old
}

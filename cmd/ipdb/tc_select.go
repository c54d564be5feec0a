package main

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// The selectors of `show qdisc|class|filter`, with tc's words and
// meanings (iproute2 6.1's tc_qdisc_list, tc_class_list and
// tc_filter_list, and the kernel's dumps they ask for):
//
//   - qdisc: dev NAME; one of root (parent ffff:ffff), ingress or clsact
//     (parent ffff:fff1), parent CLASSID (that parent exactly) and handle
//     QHANDLE ("10:" or "10", the qdisc's major), tc's print_qdisc filter;
//     invisible, which asks the dump for the qdiscs the kernel hides too
//     (TCA_DUMP_INVISIBLE: TCQ_F_INVISIBLE, such as mq's default
//     children), as tc_qdisc_list does;
//   - class: dev NAME, classid CLASSID (that class), root or parent
//     CLASSID: the classes of the qdisc whose handle is the parent's major
//     (tc_dump_tclass_qdisc compares TC_H_MAJ(tcm_parent) with each
//     qdisc's handle; root names ffff:, which has none to list);
//   - filter: dev NAME or block N (not both); one of root, ingress,
//     egress and parent CLASSID: the block a dump of that parent reaches
//     (filterUnder: root is ffff:ffff, which the kernel looks up as the
//     qdisc ffff:, so it lists an ingress qdisc's block, not the root
//     qdisc's; ingress is ffff:fff2, egress ffff:fff3, clsact's blocks or
//     an ingress qdisc's one; parent H is that qdisc's or class's block;
//     without any, every block of the link, where tc lists the root
//     qdisc's only); pref, prio, preference or priority N; protocol
//     PROTO; chain N; handle H, which tc 6.1 reads and leaves out of its
//     dump request, and so does ipdb (a dump lists every handle).
//
// As tc's print_filter, a filter's listing leaves out what its selectors
// fix: dev under dev, the parent under root, ingress,
// egress or parent, protocol, pref and chain under theirs, "block" under
// block. A qdisc's leaves out dev only (print_qdisc).
//
// A shared block's filters (netlink.Filter.Block) are listed for every
// link bound to the block (its qdisc's ingress_block or egress_block), as
// tc lists them for `dev X ingress|egress`, with "block": N in place of
// the parent; `block N` lists them once.

// tcSelection holds the tc selectors' values in a selection.
type tcSelection struct {
	// parentWord is the word that set parent ("root", "ingress",
	// "egress", "clsact" or "parent"), "" without one.
	parentWord string
	parent     netlink.Handle
	// handle is qdisc's handle (its major, minor 0) or class's classid;
	// handleGiven says whether it was given.
	handle      netlink.Handle
	handleGiven bool
	// block is filter's `block N`.
	block uint32
	// prio, protocol and chain are filter's, each with its flag.
	prio         uint16
	prioGiven    bool
	protocol     uint16
	protoGiven   bool
	chain        uint32
	chainGiven   bool
	filterHandle string
	// invisible is qdisc's `invisible`: the dump lists hidden qdiscs too.
	invisible bool
}

// given reports whether any tc selector was given.
func (t *tcSelection) given() bool {
	return t.parentWord != "" || t.handleGiven || t.block != 0 || t.prioGiven || t.protoGiven || t.chainGiven || t.filterHandle != "" || t.invisible
}

// tcTables are the tables whose words parseTCSelection reads.
var tcTables = map[string]bool{"qdiscs": true, "classes": true, "filters": true}

// The selector words of each tc table (its row's selectors).
var (
	qdiscSelectorWords  = []string{"dev", "root", "ingress", "clsact", "parent", "handle", "invisible"}
	classSelectorWords  = []string{"dev", "classid", "root", "parent"}
	filterSelectorWords = []string{"dev", "block", "root", "ingress", "egress", "parent", "handle", "pref", "prio", "preference", "priority", "protocol", "chain"}
)

// tcStandalone are the tc words that take no value.
var tcStandalone = map[string]bool{"root": true, "ingress": true, "egress": true, "clsact": true, "invisible": true}

// tcSelectorHelp are the help lines of the tc words that no other table
// has; the words routes share (root, protocol, priority, preference)
// get a note in their help (init).
var tcSelectorHelp = []selector{
	{word: "ingress", help: "tc: qdiscs at ffff:fff1 (ingress, clsact); filters of the ingress block (ffff:fff2)", noValue: true},
	{word: "egress", help: "tc: filters of clsact's egress block (ffff:fff3; an ingress qdisc's one block)", noValue: true},
	{word: "clsact", help: "tc: as ingress (qdiscs)", noValue: true},
	{word: "invisible", help: "tc: qdiscs the kernel hides too (TCA_DUMP_INVISIBLE: mq's default children...)", noValue: true},
	{word: "parent", value: "CLASSID", help: "tc: qdiscs with this parent; classes of its qdisc; filters of its block"},
	{word: "handle", value: "H", help: "tc: the qdisc with this handle (10: or 10); filters: read and ignored, as tc"},
	{word: "classid", value: "CLASSID", help: "tc: the class with this id"},
	{word: "block", value: "N", help: "tc: the filters of shared block N, once"},
	{word: "pref", value: "N", help: "tc: filters of this priority (also prio)"},
	{word: "prio", value: "N", help: "tc: as pref"},
	{word: "chain", value: "N", help: "tc: filters of this chain"},
}

func init() {
	for _, s := range tcSelectorHelp {
		s.parse = func(*selection, string) error { return nil } // parseTCSelection reads them
		s.complete = noValues
		selectors = append(selectors, s)
	}
	for i := range selectors {
		switch sel := &selectors[i]; sel.word {
		case "root":
			sel.help += "; tc: root qdiscs; classes of qdisc ffff: (none); filters of the block a dump of ffff:ffff reaches (an ingress qdisc's, as tc)"
		case "protocol":
			sel.help += "; tc: filters of this protocol (ip, ipv6, all, 0x0800...)"
		case "priority", "preference":
			sel.help += "; tc: as pref"
		}
	}
}

// tcWordError is tc's complaint about a selector's value, in its words.
func tcWordError(table, msg, value string) error {
	return fmt.Errorf("%s: %s %q", table, msg, value)
}

// parseTCSelection reads the words after qdisc, class or filter into s,
// as tc reads them (see above), with tc's errors for a repeated or
// conflicting word and a bad value.
func parseTCSelection(k *commandKind, s *selection, words []string) (*selection, error) {
	t := &s.tc
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !slices.Contains(k.selectors, w) {
			return nil, fmt.Errorf("%s takes no selector %q (want %s)%s", k.table, w, orList(k.selectors), didYouMean(w, k.selectors))
		}
		var v string
		if !tcStandalone[w] {
			if i+1 >= len(words) {
				sel := selectorOf(w)
				return nil, fmt.Errorf("%s needs a value (%s %s)", w, w, sel.value)
			}
			i++
			v = words[i]
		}
		if err := t.parse(k.table, s, w, v); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// parse applies one word of table with its value v.
func (t *tcSelection) parse(table string, s *selection, w, v string) error {
	switch w {
	case "dev":
		if s.dev != "" {
			return fmt.Errorf("either \"dev\" is duplicate, or %q is a garbage (%s takes one dev)", v, table)
		}
		if t.block != 0 {
			return fmt.Errorf("%s: \"dev\" cannot be used in the same time as \"block\"", table)
		}
		s.dev = v
		return nil
	case "block":
		if t.block != 0 {
			return fmt.Errorf("%s: \"block\" is given twice", table)
		}
		if s.dev != "" {
			return fmt.Errorf("%s: \"block\" cannot be used in the same time as \"dev\"", table)
		}
		n, err := strconv.ParseUint(v, 0, 32)
		if err != nil || n == 0 {
			return tcWordError(table, "invalid block index value (want a number from 1 to 4294967295)", v)
		}
		t.block = uint32(n)
		return nil
	case "invisible":
		t.invisible = true // tc takes it more than once
		return nil
	case "root", "ingress", "egress", "clsact", "parent":
		if table == "qdiscs" && t.handleGiven {
			return fmt.Errorf("%s: handle is already specified, %q is one too many (tc takes one of root, ingress, clsact, parent and handle)", table, w)
		}
		if t.parentWord != "" {
			if table == "qdiscs" {
				return fmt.Errorf("%s: parent is already specified (%s), %q is one too many (tc takes one of root, ingress, clsact, parent and handle)", table, t.parentWord, w)
			}
			return fmt.Errorf("%s: %q is duplicate parent ID (%s given before)", table, w, t.parentWord)
		}
		t.parentWord = w
		switch {
		case w == "root":
			t.parent = netlink.HandleRoot
		case w == "ingress" && table == "filters":
			t.parent = netlink.HandleIngressBlock
		case w == "egress":
			t.parent = netlink.HandleEgressBlock
		case w == "ingress" || w == "clsact":
			t.parent = netlink.HandleIngress
		default:
			h, err := netlink.ParseHandle(v)
			if err != nil || v == "ingress" || v == "clsact" {
				return tcWordError(table, "invalid parent ID (want major:minor in hexadecimal, root or none)", v)
			}
			t.parent = h
		}
		return nil
	case "handle":
		if table == "filters" {
			if t.filterHandle != "" {
				return fmt.Errorf("%s: \"handle\" is given twice", table)
			}
			t.filterHandle = v
			return nil
		}
		if t.parentWord != "" {
			return fmt.Errorf("%s: parent is already specified (%s), \"handle\" is one too many (tc takes one of root, ingress, clsact, parent and handle)", table, t.parentWord)
		}
		if t.handleGiven {
			return fmt.Errorf("%s: handle is already specified", table)
		}
		h, err := parseQdiscHandle(v)
		if err != nil {
			return tcWordError(table, "invalid handle ID (want a major in hexadecimal, as 10: or 10)", v)
		}
		t.handle, t.handleGiven = h, true
		return nil
	case "classid":
		if t.handleGiven {
			return fmt.Errorf("%s: \"classid\" is given twice", table)
		}
		h, err := netlink.ParseHandle(v)
		if err != nil || v == "ingress" || v == "clsact" || h == 0 {
			return tcWordError(table, "invalid class ID (want major:minor in hexadecimal)", v)
		}
		t.handle, t.handleGiven = h, true
		return nil
	case "pref", "prio", "preference", "priority":
		if t.prioGiven {
			return fmt.Errorf("%s: \"priority\" is given twice", table)
		}
		n, err := strconv.ParseUint(v, 0, 16)
		if err != nil {
			return tcWordError(table, "invalid preference (want a number from 0 to 65535)", v)
		}
		// tc takes pref 0 as no filter (filter_prio 0).
		t.prio, t.prioGiven = uint16(n), n != 0
		return nil
	case "protocol":
		if t.protoGiven {
			return fmt.Errorf("%s: \"protocol\" is given twice", table)
		}
		p, err := netlink.ParseTCProtocol(v)
		if err != nil {
			return tcWordError(table, "invalid protocol (want a name tc takes, in any case: all, ip, ipv6, arp, rarp, 802.1Q, 802.1ad, lldp, mpls_uc, ...; or a number from 0 to 65535)", v)
		}
		t.protocol, t.protoGiven = p, p != 0
		return nil
	case "chain":
		if t.chainGiven {
			return fmt.Errorf("%s: \"chain\" is given twice", table)
		}
		n, err := strconv.ParseUint(v, 0, 32)
		if err != nil {
			return tcWordError(table, "invalid chain index value (want a number from 0 to 4294967295)", v)
		}
		t.chain, t.chainGiven = uint32(n), true
		return nil
	}
	return fmt.Errorf("%s takes no selector %q", table, w)
}

// parseQdiscHandle is tc's get_qdisc_handle: a major in hexadecimal, with
// or without its colon ("10:", "10"), or none (0).
func parseQdiscHandle(v string) (netlink.Handle, error) {
	if v == "none" {
		return 0, nil
	}
	m := strings.TrimSuffix(v, ":")
	if m == "" || strings.Contains(m, ":") {
		return 0, fmt.Errorf("bad qdisc handle %q", v)
	}
	n, err := strconv.ParseUint(m, 16, 16)
	if err != nil {
		return 0, err
	}
	return netlink.NewHandle(uint16(n), 0), nil
}

// keepQdisc is tc qdisc show's print_qdisc filter.
func keepQdisc(q *netlink.Qdisc, s *selection) bool {
	t := &s.tc
	return (s.dev == "" || q.Index == s.devIndex) && (t.parentWord == "" || q.Parent == t.parent) &&
		(!t.handleGiven || q.Handle == t.handle)
}

// keepClass is tc class show's: the dump's parent (the qdisc whose handle
// is its major) and print_class's classid.
func keepClass(c *netlink.Class, s *selection) bool {
	t := &s.tc
	return (s.dev == "" || c.Index == s.devIndex) && (t.parentWord == "" || c.Handle.Major() == t.parent.Major()) &&
		(!t.handleGiven || c.Handle == t.handle)
}

// tcFilterRow is one filter as tc lists it for one link: a link's own
// filter, or a shared block's filter under a link bound to the block
// (bound is then where: ffff:fff2 or ffff:fff3); dev 0 for a block's
// filter listed by its block, or of a block no qdisc holds.
type tcFilterRow struct {
	dev   int
	bound netlink.Handle
	f     *netlink.Filter
}

// blockBinding is a link's qdisc bound to a shared block.
type blockBinding struct {
	dev int
	at  netlink.Handle
}

// blockBindings maps each shared block to the links whose qdiscs are
// bound to it, in the qdiscs' order.
func blockBindings(qs iter.Seq[*netlink.Qdisc]) map[uint32][]blockBinding {
	m := map[uint32][]blockBinding{}
	for q := range qs {
		if q.IngressBlock != 0 {
			m[q.IngressBlock] = append(m[q.IngressBlock], blockBinding{q.Index, netlink.HandleIngressBlock})
		}
		if q.EgressBlock != 0 {
			m[q.EgressBlock] = append(m[q.EgressBlock], blockBinding{q.Index, netlink.HandleEgressBlock})
		}
	}
	return m
}

// filterRows lists fs as tc lists them link by link: a link's own
// filters as they come, and a shared block's, where the block first
// comes, under each link bound to it in turn (or once, with dev 0, with
// none or when byBlock).
func filterRows(fs iter.Seq[*netlink.Filter], bindings map[uint32][]blockBinding, byBlock bool) []tcFilterRow {
	var order []uint32
	blocks := map[uint32][]*netlink.Filter{}
	var rows []tcFilterRow
	for f := range fs {
		if f.Block == 0 {
			rows = append(rows, tcFilterRow{dev: f.Index, f: f})
			continue
		}
		if _, ok := blocks[f.Block]; !ok {
			order = append(order, f.Block)
			// A marker where the block first comes.
			rows = append(rows, tcFilterRow{f: f, dev: -1})
		}
		blocks[f.Block] = append(blocks[f.Block], f)
	}
	out := make([]tcFilterRow, 0, len(rows))
	for _, r := range rows {
		if r.dev != -1 {
			out = append(out, r)
			continue
		}
		b := r.f.Block
		bs := bindings[b]
		if byBlock || len(bs) == 0 {
			bs = []blockBinding{{}}
		}
		for _, at := range bs {
			for _, f := range blocks[b] {
				out = append(out, tcFilterRow{dev: at.dev, bound: at.at, f: f})
			}
		}
	}
	return out
}

// keepFilterRow is tc filter show's selection of one row: the dump's
// link, block and parent (filterUnder, with ingressKind), and its
// priority, protocol and chain.
func keepFilterRow(r tcFilterRow, s *selection, ingressKind func(int) string) bool {
	t, f := &s.tc, r.f
	if t.block != 0 && f.Block != t.block {
		return false
	}
	if s.dev != "" && r.dev != s.devIndex {
		return false
	}
	if t.parentWord != "" {
		if !filterUnder(r, t.parent, ingressKind) {
			return false
		}
	}
	return (!t.prioGiven || f.Priority == t.prio) && (!t.protoGiven || f.Protocol == t.protocol) &&
		(!t.chainGiven || f.Chain == t.chain)
}

// filterUnder reports whether the row's filter is in the block a dump
// of parent p reaches on its link (net/sched/cls_api.c tc_dump_tfilter):
// the qdisc of p's major (qdisc_lookup), then its class of p's minor
// (cops->find) when the minor is not 0. For major ffff that is the
// ingress or clsact qdisc (ingressKind gives its kind): an ingress qdisc
// has one block, which every minor finds (ingress_find), so `root`
// (ffff:ffff), ingress and egress all list it, as tc does; clsact finds
// its ingress block at ffff:fff2 and its egress block at ffff:fff3 only
// (clsact_find), so `root` lists nothing there.
func filterUnder(r tcFilterRow, p netlink.Handle, ingressKind func(int) string) bool {
	if p.Major() == 0xffff {
		switch ingressKind(r.dev) {
		case "ingress":
			if r.f.Block != 0 {
				return r.bound == netlink.HandleIngressBlock
			}
			return r.f.Parent.Major() == 0xffff
		case "clsact":
			if p != netlink.HandleIngressBlock && p != netlink.HandleEgressBlock {
				return false
			}
			if r.f.Block != 0 {
				return r.bound == p
			}
			return ipdb.CanonicalFilterParent(r.f.Parent) == p
		}
		return false
	}
	return r.f.Block == 0 && ipdb.CanonicalFilterParent(r.f.Parent) == ipdb.CanonicalFilterParent(p)
}

// tcFilterOmit are the keys a filter's listing leaves out, as tc's
// print_filter does for what the dump asked for.
type tcFilterOmit struct {
	dev, block, parent, protocol, pref, chain bool
}

// filterOmit is s's tcFilterOmit (nil s: nothing left out).
func filterOmit(s *selection) tcFilterOmit {
	if s == nil {
		return tcFilterOmit{}
	}
	t := &s.tc
	return tcFilterOmit{dev: s.dev != "", block: t.block != 0, parent: t.parentWord != "",
		protocol: t.protoGiven, pref: t.prioGiven, chain: t.chainGiven}
}

// drop returns w without the words o leaves out.
func (o tcFilterOmit) drop(w words) words {
	out := w[:0:0]
	for _, x := range w {
		switch {
		case x.key == "dev" && o.dev, x.key == "block" && o.block,
			(x.key == "root" || x.key == "ingress" || x.key == "egress" || x.key == "parent") && o.parent,
			x.key == "protocol" && o.protocol, x.key == "pref" && o.pref, x.key == "chain" && o.chain:
			continue
		}
		out = append(out, x)
	}
	return out
}

// ingressKinds returns the kind of each link's qdisc of handle ffff:
// (ingress or clsact; "" for none).
func ingressKinds(qs iter.Seq[*netlink.Qdisc]) func(int) string {
	m := map[int]string{}
	for q := range qs {
		if q.Handle.Major() == 0xffff {
			m[q.Index] = q.TCKind
		}
	}
	return func(i int) string { return m[i] }
}

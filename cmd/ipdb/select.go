package main

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

const (
	afInet  = unix.AF_INET
	afMPLS  = unix.AF_MPLS
	afInet6 = unix.AF_INET6
)

// selection is what show's selectors ask for: ip's words after the object
// (`show route table 100 dev br0`) and -4/-6. Each kind's keep function
// (commandKind.keep) applies it as ip's filter does.
type selection struct {
	// family is AF_INET (-4), AF_INET6 (-6), AF_MPLS (-M) or 0.
	family uint8
	// dev names a link (`dev NAME`); devIndex is its index once resolved.
	dev      string
	devIndex int
	// table is `table ID`'s table; tableGiven is false without the word
	// or with `table all`, and tableAll true with `table all` (or 0).
	table      uint32
	tableGiven bool
	tableAll   bool
	// nud is ip neigh's filter.state of the `nud` words (0x100 stands for
	// "none", NUD_NONE, as in ip/ipneigh.c); nudGiven is false without.
	nud      uint32
	nudGiven bool
	// keep is the kind's filter (commandKind.keep).
	keep func(o netlink.Object, s *selection) bool
	// prefix is ip route's root, match and exact (select_prefix.go).
	prefix routePrefix
	// linkKind is ip link's `type KIND`.
	linkKind string
	// kindTable is the table of the kind selected (commandKind.table):
	// the words two kinds share (type, to) parse by it.
	kindTable string
	// more holds the selectors of select_more.go.
	more moreSelection
	// ip holds the selectors of select_ip.go.
	ip ipSelection
	// tc holds the selectors of the tc tables (tc_select.go).
	tc tcSelection
}

// nudNone is ip's stand-in bit for NUD_NONE (which is 0) in filter.state.
const nudNone = 0x100

// selector is one word show takes after an object, with its value.
type selector struct {
	word  string
	value string // the value's name in help
	help  string
	// noValue: the word stands alone (ip link show up).
	noValue bool
	parse   func(s *selection, v string) error
	// complete lists the values from the live namespace (or fixed words)
	// for shell completion.
	complete func(e *env) []string
}

// selectors are the selector words of every kind; a kind takes those its
// row lists (commandKind.selectors).
var selectors = []selector{
	{word: "dev", value: "NAME", help: "objects of this link (ip's dev)",
		parse:    func(s *selection, v string) error { s.dev = v; return nil },
		complete: liveLinkNames},
	{word: "table", value: "ID", help: "routes of this table: a number, main, local, default or all",
		parse:    parseTableSelector,
		complete: liveTables},
	{word: "nud", value: "STATE", help: "neighbours in this state: " + strings.Join(nudWords, ", ") + " (repeatable)",
		parse:    parseNud,
		complete: func(*env) []string { return nudWords }},
	{word: "type", value: "KIND", help: "links of this kind (ip link show type macvlan; KIND_slave: the ports of a KIND master); routes of this type (ip route show type blackhole)",
		parse: parseLinkType, complete: func(*env) []string {
			return []string{"bridge", "veth", "vxlan", "macvlan", "macvtap", "ifb", "tun", "bridge_slave"}
		}},
	{word: "root", value: "PREFIX", help: "routes to PREFIX or within it",
		parse: parseRoot, complete: noValues},
	{word: "match", value: "PREFIX", help: "routes whose destination contains PREFIX",
		parse: parseMatch, complete: noValues},
	{word: "exact", value: "PREFIX", help: "the routes to PREFIX itself (also a bare PREFIX, or to PREFIX)",
		parse: parseExact, complete: noValues},
	{word: "to", value: "PREFIX", help: "as exact",
		parse: parseExact, complete: noValues},
}

// noValues completes a value that cannot be listed (a prefix).
func noValues(*env) []string { return nil }

func selectorOf(word string) *selector {
	for i := range selectors {
		if selectors[i].word == word {
			return &selectors[i]
		}
	}
	return nil
}

func parseTableSelector(s *selection, v string) error {
	if v == "all" {
		s.table, s.tableGiven, s.tableAll = 0, false, true
		return nil
	}
	t, err := netlink.ParseTable(v)
	if err != nil {
		return fmt.Errorf("bad table %q (want a number, main, local, default or all)", v)
	}
	if t == 0 { // ip: table 0 is all tables (filter.tb 0)
		s.table, s.tableGiven, s.tableAll = 0, false, true
		return nil
	}
	s.table, s.tableGiven, s.tableAll = t, true, false
	return nil
}

// nudWords are ip neigh's state words (nud_state_a2n).
var nudWords = []string{"permanent", "reachable", "stale", "delay", "probe", "failed", "incomplete", "noarp", "none", "all"}

// parseNud adds a state to the filter as ip neigh's `nud` does: the first
// word replaces the default, later ones add to it; "all" is every state,
// "none" (NUD_NONE, 0) stands as nudNone. The words are netlink's
// (ParseNeighState); ip also takes prefixes of permanent, reachable and
// failed (matches() in nud_state_a2n).
func parseNud(s *selection, v string) error {
	st := ^uint32(0)
	if v != "all" {
		w := v
		for _, full := range []string{"permanent", "reachable", "failed"} {
			if w != "" && strings.HasPrefix(full, w) {
				w = full
				break
			}
		}
		n, err := netlink.ParseNeighState(w)
		if err != nil {
			return fmt.Errorf("bad nud state %q (want %s)", v, orList(nudWords))
		}
		if st = uint32(n); st == 0 {
			st = nudNone
		}
	}
	if !s.nudGiven {
		s.nud, s.nudGiven = 0, true
	}
	s.nud |= st
	return nil
}

// parseSelection reads the words after the object as ip does: a selector
// word and its value, or, for kinds that take one (ip link show NAME, ip
// addr show NAME), a bare link name.
func parseSelection(k *commandKind, words []string, family uint8) (*selection, error) {
	s := &selection{family: family, keep: k.keep, kindTable: k.table}
	if family != 0 && k.family == familyRefused {
		return nil, fmt.Errorf("-4 and -6 select addresses, routes, neighbours and rules, not %s", k.table)
	}
	if k.family == familyIgnored {
		s.family = 0 // as ip: ip -4 link lists every link
	}
	if tcTables[k.table] {
		return parseTCSelection(k, s, words) // tc's words (tc_select.go)
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !slices.Contains(k.selectors, w) {
			// ip route and ip neigh take any other word as a prefix
			// (get_prefix, whose error is ip's: select_more.go).
			if (k.table == "routes" || k.table == "neigh") && !notAPrefix(w) {
				if err := parseExact(s, w); err != nil {
					return nil, err
				}
				continue
			}
			if k.table == "addrs" && strings.HasPrefix(w, "-") && addrFlagFilter(s, w) {
				continue // ip addr show -secondary (get_filter)
			}
			if k.bareDev && selectorOf(w) == nil {
				if err := duplicateSelector(k, s, "dev", w); err != nil {
					return nil, err
				}
				s.dev = w
				continue
			}
			want := "no selectors"
			if len(k.selectors) > 0 {
				want = "want " + orList(k.selectors)
			}
			return nil, fmt.Errorf("%s takes no selector %q (%s)%s", k.table, w, want, didYouMean(w, k.selectors))
		}
		if sel := selectorOf(w); sel.noValue {
			if err := sel.parse(s, ""); err != nil {
				return nil, err
			}
			continue
		}
		if i+1 >= len(words) {
			return nil, fmt.Errorf("%s needs a value (%s %s)", w, w, selectorOf(w).value)
		}
		if err := duplicateSelector(k, s, w, words[i+1]); err != nil {
			return nil, err
		}
		i++
		if err := selectorOf(w).parse(s, words[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// duplicateSelector refuses a second dev, as ip link, ip addr and ip
// neigh do ("either "dev" is duplicate, or "v0" is a garbage", ip's
// duparg2 and duparg); ip route takes the last dev or table, and nud may
// repeat (each adds states), so those are accepted.
func duplicateSelector(k *commandKind, s *selection, word, value string) error {
	if word != "dev" || s.dev == "" || k.table == "routes" {
		return nil
	}
	return fmt.Errorf("either \"dev\" is duplicate, or %q is a garbage (%s takes one dev)", value, k.table)
}

// empty reports whether s selects everything.
func (s *selection) empty() bool {
	return s == nil || (s.family == 0 && s.dev == "" && !s.tableGiven && !s.nudGiven && !s.prefix.given() && s.linkKind == "" && !s.more.given() && !s.ip.given() && !s.tc.given())
}

// Per-kind filters, as ip's: each is the row's keep.

func keepLink(o netlink.Object, s *selection) bool {
	l := o.(*netlink.Link)
	return (s.dev == "" || l.Index == s.devIndex) && (s.linkKind == "" || linkKindOf(l) == s.linkKind) && s.more.keepLink(l) && s.ip.keepLink(l)
}

// keepAddr is ip addr's filter of one address; a link is listed when
// dev selects it and, with -4 or -6, only if it keeps an address
// (ipaddr_filter).
func keepAddr(o netlink.Object, s *selection) bool {
	a := o.(*netlink.Addr)
	return (s.family == 0 || a.Family == s.family) && (s.dev == "" || a.Index == s.devIndex) && s.ip.keepAddr(a)
}

// keepRoute is ip route's filter_nlmsg: the family, the table (RTA_TABLE
// or rtm_table) and the output device (RTA_OIF; a multipath route has
// none, so `dev` never selects one).
func keepRoute(o netlink.Object, s *selection) bool {
	r := o.(*netlink.Route)
	return (s.family == 0 || r.Family == s.family) &&
		(!s.tableGiven || r.Table == s.table) &&
		(s.dev == "" || int(r.OIF) == s.devIndex) && s.prefix.keep(r) && s.more.keepRoute(r) && s.ip.keepRoute(r, &s.more)
}

// keepNeigh is ip neigh's print_neigh filter: family, device, and the
// states of `nud` (an entry in none of them passes if it is a proxy or
// externally learned entry, or has no state and `nud none` was given).
func keepNeigh(o netlink.Object, s *selection) bool {
	n := o.(*netlink.Neigh)
	if s.family != 0 && n.Family != s.family {
		return false
	}
	if s.dev != "" && n.Index != s.devIndex {
		return false
	}
	if s.nudGiven && s.nud&uint32(n.State) == 0 && n.Flags&unix.NTF_PROXY == 0 &&
		n.Flags&unix.NTF_EXT_LEARNED == 0 && (n.State != 0 || s.nud&nudNone == 0) {
		return false
	}
	return s.more.keepNeigh(n)
}

func keepRule(o netlink.Object, s *selection) bool {
	return s.family == 0 || o.(*netlink.Rule).Family == s.family
}

// familySel says what -4 and -6 do to a kind's table.
type familySel uint8

const (
	// familyRefused: -4 and -6 are an error (the kind has no address
	// family ip would filter on).
	familyRefused familySel = iota
	// familyFilter: only objects of that family are shown.
	familyFilter
	// familyIgnored: accepted and ignored, as ip does (ip -4 link lists
	// every link: ip link sets the family to AF_PACKET).
	familyIgnored
)

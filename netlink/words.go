package netlink

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// This file is the one home of ip(8)'s and bridge(8)'s words for numbers:
// route types, scopes, route protocols, routing tables, rule actions,
// route flags, neighbour states and FDB states and flags, each a single
// table that both directions read (String or XxxNames out, ParseXxx in).
// The link, address and neighbour flag words are the bitName tables
// beside their types (linkFlagNames in link.go, addrFlagNames in addr.go,
// neighFlagNames and neighStateNames in neigh.go); ParseLinkFlag,
// ParseAddrFlag and ParseNeighFlag read them back. Words are iproute2's
// (lib/rt_names.c, ip/iproute.c, ip/ipaddress.c, ip/ipneigh.c,
// ip/iprule.c, bridge/fdb.c).

// routeTypeNames are rtnl_rtntype_n2a's words, indexed by RTN_*.
var routeTypeNames = [...]string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast",
	"blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"}

// String returns the ip(8) name of t ("unicast", "blackhole", ...).
func (t RouteType) String() string {
	if int(t) < len(routeTypeNames) {
		return routeTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

// ParseRouteType reads a route type as ip(8) writes it: a word String
// returns ("unicast", "blackhole", ...), or a number (decimal, 0x hex).
// Anything else is an ErrInvalid error.
func ParseRouteType(word string) (RouteType, error) {
	for i, s := range routeTypeNames {
		if s == word {
			return RouteType(i), nil
		}
	}
	if n, err := strconv.ParseUint(word, 0, 8); err == nil {
		return RouteType(n), nil
	}
	return 0, invalidf("unknown route type %q", word)
}

// scopeNames are rtnl_rtscope_n2a's words; "universe" is read as "global"
// but never written.
var scopeNames = []struct {
	scope Scope
	name  string
}{
	{ScopeUniverse, "global"}, {ScopeSite, "site"}, {ScopeLink, "link"},
	{ScopeHost, "host"}, {ScopeNowhere, "nowhere"}, {ScopeUniverse, "universe"},
}

// String returns the ip(8) name of s ("global", "link", "host", ...), or
// its number.
func (s Scope) String() string {
	for _, n := range scopeNames {
		if n.scope == s {
			return n.name
		}
	}
	return strconv.Itoa(int(s))
}

// ParseScope reads a scope as ip(8) writes it: "global" (or "universe"),
// "site", "link", "host", "nowhere", or a number from 0 to 255 (decimal,
// 0x hex). Anything else is an ErrInvalid error.
func ParseScope(word string) (Scope, error) {
	for _, n := range scopeNames {
		if n.name == word {
			return n.scope, nil
		}
	}
	if n, err := strconv.ParseUint(word, 0, 8); err == nil {
		return Scope(n), nil
	}
	return 0, invalidf("unknown scope %q", word)
}

// AddrScopeName returns the ip(8) name of an address scope: "global",
// "site", "link", "host", "nowhere", or the number.
func AddrScopeName(scope uint8) string { return Scope(scope).String() }

// protoNames are the route protocol names of iproute2's rtnl_rtprot_tab
// and its stock /etc/iproute2/rt_protos.
var protoNames = map[RouteProtocol]string{
	0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
	10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
	17: "mrouted", 18: "keepalived", 42: "babel", 84: "ovn", 99: "openr", 186: "bgp",
	187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
}

// String returns the name /etc/iproute2/rt_protos gives p, or its number.
func (p RouteProtocol) String() string {
	if s, ok := protoNames[p]; ok {
		return s
	}
	return strconv.Itoa(int(p))
}

// ParseRouteProtocol reads a route protocol: a name String returns
// ("static", "bgp", ...) or a decimal number from 0 to 255. Anything else
// is an ErrInvalid error.
func ParseRouteProtocol(word string) (RouteProtocol, error) {
	for p, s := range protoNames {
		if s == word {
			return p, nil
		}
	}
	if n, err := strconv.ParseUint(word, 10, 8); err == nil {
		return RouteProtocol(n), nil
	}
	return 0, invalidf("unknown route protocol %q", word)
}

// tableNames are the reserved routing tables of rtnl_rttable_tab.
var tableNames = []struct {
	id   uint32
	name string
}{
	{unix.RT_TABLE_LOCAL, "local"}, {unix.RT_TABLE_MAIN, "main"},
	{unix.RT_TABLE_DEFAULT, "default"}, {unix.RT_TABLE_UNSPEC, "unspec"},
}

// TableName returns "local", "main", "default" or the number of table id.
func TableName(id uint32) string {
	for _, t := range tableNames {
		if t.id == id {
			return t.name
		}
	}
	return strconv.FormatUint(uint64(id), 10)
}

// ParseTable reads a routing table id: "local", "main", "default",
// "unspec" or a decimal number. Anything else is an ErrInvalid error.
func ParseTable(word string) (uint32, error) {
	for _, t := range tableNames {
		if t.name == word {
			return t.id, nil
		}
	}
	if n, err := strconv.ParseUint(word, 10, 32); err == nil {
		return uint32(n), nil
	}
	return 0, invalidf("unknown routing table %q", word)
}

// ruleActionNames are ip rule's action words (ip/iprule.c); "table" is read
// as "lookup" but never written.
var ruleActionNames = []struct {
	action RuleAction
	name   string
}{
	{RuleToTable, "lookup"}, {RuleGoto, "goto"}, {RuleNop, "nop"},
	{RuleBlackhole, "blackhole"}, {RuleUnreachable, "unreachable"},
	{RuleProhibit, "prohibit"}, {RuleToTable, "table"},
}

// String returns ip(8)'s word for a ("lookup", "goto", "nop", "blackhole",
// "unreachable", "prohibit").
func (a RuleAction) String() string {
	for _, n := range ruleActionNames {
		if n.action == a {
			return n.name
		}
	}
	return "action" + strconv.Itoa(int(a))
}

// ParseRuleAction reads a rule action as ip rule writes it: "lookup" (or
// "table"), "goto", "nop", "blackhole", "unreachable" or "prohibit".
// Anything else is an ErrInvalid error.
func ParseRuleAction(word string) (RuleAction, error) {
	for _, n := range ruleActionNames {
		if n.name == word {
			return n.action, nil
		}
	}
	return 0, invalidf("unknown rule action %q", word)
}

// routeFlagNames are the rtm_flags and rtnh_flags words ip route prints,
// in its order (print_rt_flags in ip/iproute.c).
var routeFlagNames = []bitName{
	{unix.RTNH_F_DEAD, "dead"},
	{unix.RTNH_F_ONLINK, "onlink"},
	{unix.RTNH_F_PERVASIVE, "pervasive"},
	{unix.RTNH_F_OFFLOAD, "offload"},
	{unix.RTNH_F_TRAP, "trap"},
	{unix.RTM_F_NOTIFY, "notify"},
	{unix.RTNH_F_LINKDOWN, "linkdown"},
	{unix.RTNH_F_UNRESOLVED, "unresolved"},
	{unix.RTM_F_OFFLOAD, "rt_offload"},
	{unix.RTM_F_TRAP, "rt_trap"},
	{unix.RTM_F_OFFLOAD_FAILED, "rt_offload_failed"},
}

// RouteFlagNames returns the words ip route prints for the RTNH_F_* and
// RTM_F_* bits of a route's or next hop's flags ("onlink", "linkdown",
// "rt_offload"...), in its order; bits without a word are left out, as ip
// leaves them out.
func RouteFlagNames(flags uint32) []string {
	names, _ := appendBitNames(nil, flags, routeFlagNames)
	return names
}

// ParseRouteFlag reads one of ip route's flag words (see RouteFlagNames)
// back into its bit. Anything else is an ErrInvalid error.
func ParseRouteFlag(word string) (uint32, error) {
	return parseBitName("route flag", word, routeFlagNames)
}

// NeighStateNames returns the names ip(8) prints for the NUD_* bits of
// state ("PERMANENT", "REACHABLE"...), with "NONE" for zero and a
// hexadecimal number for unnamed bits.
func NeighStateNames(state uint16) []string {
	if state == 0 {
		return []string{"NONE"}
	}
	names, rest := appendBitNames(nil, uint32(state), neighStateNames)
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", rest))
	}
	return names
}

// ParseNeighState reads one neighbour state word as `ip neigh` takes it
// after "nud" (nud_state_a2n in ip/ipneigh.c), in either case:
// "permanent", "noarp", "reachable", "stale", "delay", "probe", "failed",
// "incomplete", or "none" for zero. Anything else is an ErrInvalid error.
func ParseNeighState(word string) (uint16, error) {
	if strings.EqualFold(word, "none") {
		return 0, nil
	}
	for _, n := range neighStateNames {
		if strings.EqualFold(n.name, word) {
			return uint16(n.bit), nil
		}
	}
	return 0, invalidf("unknown neighbour state %q", word)
}

// FDBStateName returns bridge(8)'s word for an FDB entry's NUD state
// (state_n2a in bridge/fdb.c): "permanent", "static" (NUD_NOARP), "stale",
// "" for a learned, reachable entry, or "state=0x..." otherwise.
func FDBStateName(state uint16) string {
	switch {
	case state&unix.NUD_PERMANENT != 0:
		return "permanent"
	case state&unix.NUD_NOARP != 0:
		return "static"
	case state&unix.NUD_STALE != 0:
		return "stale"
	case state&unix.NUD_REACHABLE != 0:
		return ""
	}
	return fmt.Sprintf("state=%#x", state)
}

// fdbFlagNames are the NTF_* flags bridge(8) prints, in its order
// (fdb_print_flags in bridge/fdb.c); "locked" is NTF_EXT_LOCKED of the
// extended flags and handled apart.
var fdbFlagNames = []bitName{
	{unix.NTF_SELF, "self"}, {unix.NTF_ROUTER, "router"},
	{unix.NTF_EXT_LEARNED, "extern_learn"}, {unix.NTF_OFFLOADED, "offload"},
	{unix.NTF_MASTER, "master"}, {NeighFlagSticky, "sticky"},
}

// FDBFlagNames returns the flags bridge(8) prints for an FDB entry with
// NTF_* flags and NTF_EXT_* extended flags, in its order: "self",
// "router", "extern_learn", "offload", "master", "sticky", "locked".
// Never nil.
func FDBFlagNames(flags uint8, flagsExt uint32) []string {
	out, _ := appendBitNames([]string{}, uint32(flags), fdbFlagNames)
	if flagsExt&NeighFlagExtLocked != 0 {
		out = append(out, "locked")
	}
	return out
}

// ParseLinkFlag reads one of ip link's flag words ("UP", "LOWER_UP",
// "NOARP"...; see LinkFlagNames) back into its IFF_* bit. Anything else is
// an ErrInvalid error.
func ParseLinkFlag(word string) (uint32, error) {
	return parseBitName("link flag", word, linkFlagNames)
}

// ParseAddrFlag reads one of ip address's flag words ("permanent",
// "nodad", "noprefixroute"...; see AddrFlagWords) back into its IFA_F_*
// bit; "temporary" is IFA_F_SECONDARY, as ip prints it for IPv6. Anything
// else is an ErrInvalid error.
func ParseAddrFlag(word string) (uint32, error) {
	if word == "temporary" {
		return unix.IFA_F_SECONDARY, nil
	}
	return parseBitName("address flag", word, addrFlagNames)
}

// ParseNeighFlag reads one of ip neigh's flag words ("router", "proxy",
// "extern_learn", "self"...; see NeighFlagNames) back into its NTF_* bit.
// Anything else is an ErrInvalid error.
func ParseNeighFlag(word string) (uint8, error) {
	b, err := parseBitName("neighbour flag", word, neighFlagNames)
	return uint8(b), err
}

// parseBitName returns the bit table names word.
func parseBitName(what, word string, table []bitName) (uint32, error) {
	for _, f := range table {
		if f.name == word {
			return f.bit, nil
		}
	}
	return 0, invalidf("unknown %s %q", what, word)
}

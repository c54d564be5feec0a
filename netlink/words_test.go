package netlink

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWordsRoundTrip: every word a table writes reads back to its value,
// aliases read as their value, numbers are accepted where ip(8) accepts
// them, and anything else is an ErrInvalid error.
func TestWordsRoundTrip(t *testing.T) {
	for i := range routeTypeNames {
		if v, err := ParseRouteType(RouteType(i).String()); err != nil || v != RouteType(i) {
			t.Errorf("ParseRouteType(%q) = %d, %v", RouteType(i), v, err)
		}
	}
	for s := 0; s < 256; s++ {
		if v, err := ParseScope(Scope(s).String()); err != nil || v != Scope(s) {
			t.Errorf("ParseScope(%q) = %d, %v", Scope(s), v, err)
		}
		if v, err := ParseRouteProtocol(RouteProtocol(s).String()); err != nil || v != RouteProtocol(s) {
			t.Errorf("ParseRouteProtocol(%q) = %d, %v", RouteProtocol(s), v, err)
		}
		if v, err := ParseTable(TableName(uint32(s))); err != nil || v != uint32(s) {
			t.Errorf("ParseTable(%q) = %d, %v", TableName(uint32(s)), v, err)
		}
	}
	for _, a := range []RuleAction{RuleToTable, RuleGoto, RuleNop, RuleBlackhole, RuleUnreachable, RuleProhibit} {
		if v, err := ParseRuleAction(a.String()); err != nil || v != a {
			t.Errorf("ParseRuleAction(%q) = %d, %v", a, v, err)
		}
	}
	for _, f := range neighStateNames {
		if v, err := ParseNeighState(NeighStateNames(uint16(f.bit))[0]); err != nil || v != uint16(f.bit) {
			t.Errorf("ParseNeighState(%q) = %#x, %v", f.name, v, err)
		}
	}
	for _, f := range linkFlagNames {
		if v, err := ParseLinkFlag(f.name); err != nil || v != f.bit {
			t.Errorf("ParseLinkFlag(%q) = %#x, %v", f.name, v, err)
		}
	}
	for bit, word := range AddrFlagWords() {
		if v, err := ParseAddrFlag(word); err != nil || v != bit {
			t.Errorf("ParseAddrFlag(%q) = %#x, %v", word, v, err)
		}
	}
	for _, f := range routeFlagNames {
		if v, err := ParseRouteFlag(RouteFlagNames(f.bit)[0]); err != nil || v != f.bit {
			t.Errorf("ParseRouteFlag(%q) = %#x, %v", f.name, v, err)
		}
	}
	for _, f := range neighFlagNames {
		if v, err := ParseNeighFlag(NeighFlagNames(uint8(f.bit))[0]); err != nil || uint32(v) != f.bit {
			t.Errorf("ParseNeighFlag(%q) = %#x, %v", f.name, v, err)
		}
	}

	for _, n := range macvlanModeNames {
		if v, err := ParseMacvlanMode(n.mode.String()); err != nil || v != n.mode {
			t.Errorf("ParseMacvlanMode(%q) = %d, %v", n.name, v, err)
		}
	}

	// Aliases and numbers.
	if v, _ := ParseScope("universe"); v != ScopeUniverse || ScopeUniverse.String() != "global" {
		t.Errorf("universe = %d, ScopeUniverse = %q", v, ScopeUniverse)
	}
	if v, _ := ParseRuleAction("table"); v != RuleToTable || RuleToTable.String() != "lookup" {
		t.Errorf("table = %d, RuleToTable = %q", v, RuleToTable)
	}
	if v, _ := ParseAddrFlag("temporary"); v != unix.IFA_F_SECONDARY {
		t.Errorf("temporary = %#x", v)
	}
	if v, _ := ParseNeighState("PERMANENT"); v != unix.NUD_PERMANENT {
		t.Errorf("PERMANENT = %#x", v)
	}
	if v, _ := ParseScope("0xfd"); v != ScopeLink {
		t.Errorf("0xfd = %d", v)
	}

	// Bad words.
	for name, err := range map[string]error{
		"route type":  second(ParseRouteType("bogus")),
		"route type>": second(ParseRouteType("256")),
		"scope":       second(ParseScope("planet")),
		"protocol":    second(ParseRouteProtocol("0x10")),
		"table":       second(ParseTable("-1")),
		"action":      second(ParseRuleAction("Lookup")),
		"state":       second(ParseNeighState("gone")),
		"link flag":   second(ParseLinkFlag("up")),
		"addr flag":   second(ParseAddrFlag("")),
		"neigh flag":  second(ParseNeighFlag("sticky2")),
		"route flag":  second(ParseRouteFlag("Onlink")),
		"macvlan":     second(ParseMacvlanMode("mode(1)")),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestFDBWords: bridge(8)'s words for FDB states and flags.
func TestFDBWords(t *testing.T) {
	for st, want := range map[uint16]string{
		unix.NUD_PERMANENT: "permanent", unix.NUD_NOARP: "static", unix.NUD_STALE: "stale",
		unix.NUD_REACHABLE: "", unix.NUD_DELAY: "state=0x8",
	} {
		if got := FDBStateName(st); got != want {
			t.Errorf("FDBStateName(%#x) = %q, want %q", st, got, want)
		}
	}
	got := FDBFlagNames(unix.NTF_MASTER|unix.NTF_SELF|NeighFlagSticky|unix.NTF_EXT_LEARNED, NeighFlagExtLocked)
	if want := []string{"self", "extern_learn", "master", "sticky", "locked"}; !slices.Equal(got, want) {
		t.Errorf("FDBFlagNames = %q, want %q", got, want)
	}
	if got := FDBFlagNames(0, 0); got == nil || len(got) != 0 {
		t.Errorf("FDBFlagNames(0, 0) = %#v, want empty and not nil", got)
	}
}

package netlink

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTCProtocolNamesAsTC: tc 6.1 names every ethertype of lib/ll_proto.c
// case-insensitively when reading and prints unknown ones as "[N]"
// (decimal). Found by try7: `tc filter add dev X ingress protocol rarp ...`
// then `ipdb -j show filter` prints "0x8035" where tc -j prints "rarp",
// and `ipdb show filter dev X protocol 802.1q` is refused (tc takes it).
func TestTCProtocolNamesAsTC(t *testing.T) {
	for p, want := range map[uint16]string{
		0x8035: "rarp", 0x88cc: "LLDP", 0x8137: "ipx", 0x0060: "loop", 0x0004: "802_2", 0x1234: "[4660]",
	} {
		if got := TCProtocolString(p); got != want {
			t.Errorf("TCProtocolString(%#04x) = %q, tc prints %q", p, got, want)
		}
	}
	for _, s := range []string{"802.1q", "lldp", "rarp", "IP"} {
		if _, err := ParseTCProtocol(s); err != nil {
			t.Errorf("ParseTCProtocol(%q): %v (tc takes it)", s, err)
		}
	}
}

// TestTCProtocolTable: every name reads back as its ethertype in any case,
// the first name of an ethertype is the one printed, numbers are read in
// C's notation as get_u16 does, and bad words are ErrInvalid errors.
func TestTCProtocolTable(t *testing.T) {
	first := map[uint16]string{}
	for _, n := range tcProtocolNames {
		if _, ok := first[n.p]; !ok {
			first[n.p] = n.name
		}
		for _, s := range []string{n.name, strings.ToUpper(n.name), strings.ToLower(n.name)} {
			if got, err := ParseTCProtocol(s); err != nil || got != n.p {
				t.Errorf("ParseTCProtocol(%q) = %#04x, %v; want %#04x", s, got, err, n.p)
			}
		}
	}
	for p, s := range first {
		if got := TCProtocolString(p); got != s {
			t.Errorf("TCProtocolString(%#04x) = %q, want %q", p, got, s)
		}
	}
	if got := TCProtocolString(unix.ETH_P_IP); got != "ip" {
		t.Errorf("TCProtocolString(ETH_P_IP) = %q, tc prints ip (ipv4 is read only)", got)
	}
	for s, want := range map[string]uint16{
		"0x1234": 0x1234, "0X88CC": 0x88cc, "4660": 4660, "011": 9, "0": 0, "65535": 65535, "[4660]": 4660, "[0]": 0,
	} {
		if got, err := ParseTCProtocol(s); err != nil || got != want {
			t.Errorf("ParseTCProtocol(%q) = %#04x, %v; want %#04x", s, got, err, want)
		}
	}
	for _, s := range []string{"", "ipx9", "0x", "65536", "0x10000", "-1", "+1", "0b1", "0o7", "1_0", "08", "[]", "[0x10]", "[65536]", "[-1]", "[1", "1]", " ip"} {
		if got, err := ParseTCProtocol(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseTCProtocol(%q) = %#04x, %v; want an ErrInvalid error", s, got, err)
		}
	}
	for _, p := range []uint16{0, 0x1234, 0xffff, 0x88b5} {
		s := TCProtocolString(p)
		if got, err := ParseTCProtocol(s); err != nil || got != p {
			t.Errorf("ParseTCProtocol(TCProtocolString(%#04x) = %q) = %#04x, %v", p, s, got, err)
		}
	}
}

// TestTCProtocolArg: the plan's word is tc's name, or a number tc filter
// add reads (it refuses its own "[4660]").
func TestTCProtocolArg(t *testing.T) {
	for p, want := range map[uint16]string{0x8035: "rarp", 0x88cc: "LLDP", 0x8100: "802.1Q", 0x1234: "0x1234", 0: "0x0000"} {
		if got := TCProtocolArg(p); got != want {
			t.Errorf("TCProtocolArg(%#04x) = %q, want %q", p, got, want)
		}
		if got, err := ParseTCProtocol(TCProtocolArg(p)); err != nil || got != p {
			t.Errorf("ParseTCProtocol(TCProtocolArg(%#04x)) = %#04x, %v", p, got, err)
		}
	}
}

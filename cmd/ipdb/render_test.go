package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestAppendJSONString: strings are escaped as iproute2's jsonw_puts
// escapes them, and other control characters as \u00XX, so the result is
// always valid JSON that decodes to the input.
func TestAppendJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"br0":           `"br0"`,
		"a\"b\\c":       `"a\"b\\c"`,
		"t\tn\nr\r":     `"t\tn\nr\r"`,
		"f\fb\b":        `"f\fb\b"`,
		"x\x01y":        `"x\u0001y"`,
		"ünïcode/slash": `"ünïcode/slash"`,
	} {
		got := string(appendJSONString(nil, in))
		if got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != in {
			t.Errorf("%s does not decode to %q: %v", got, in, err)
		}
	}
}

// TestRouteJSONGolden: a route with tos, locked metrics, a congestion
// algorithm and multipath renders exactly as ip 6.1 prints it, plus
// ipdb_locked.
func TestRouteJSONGolden(t *testing.T) {
	r := &netlink.Route{
		Family: unix.AF_INET, Table: 1000, Type: netlink.RouteUnicast, Protocol: netlink.ProtoStatic,
		Dst: netip.MustParsePrefix("198.51.100.0/26"), TOS: 0x10, Priority: 5,
		Extra: &netlink.RouteExtra{Metrics: &netlink.RouteMetrics{
			Lock: 1<<unix.RTAX_MTU | 1<<unix.RTAX_RTO_MIN, MTU: 1400, RTT: 800, RTOMin: 200,
			Features: unix.RTAX_FEATURE_ECN, CCAlgo: "cubic",
		}},
		Multipath: []netlink.RouteHop{
			{Gateway: netip.MustParseAddr("192.0.2.2"), IfIndex: 2, Hops: 1},
			{Gateway: netip.MustParseAddr("192.0.2.3"), IfIndex: 9, Flags: unix.RTNH_F_ONLINK},
		},
	}
	names := newLinkNames(nil)
	names.m[2] = linkRef{name: "br0"}
	var buf bytes.Buffer
	j := newJSONOut(&buf)
	writeRoute(j, r, names)
	j.flush()
	want := `{"dst":"198.51.100.0/26","tos":"0x10","table":"1000","protocol":"static","metric":5,"flags":[],` +
		`"metrics":[{"mtu":1400,"rtt":100,"ecn":null,"rto_min":200,"congestion":"cubic","ipdb_locked":["mtu","rto_min"]}],` +
		`"nexthops":[{"gateway":"192.0.2.2","dev":"br0","weight":2,"flags":[]},{"gateway":"192.0.2.3","dev":"if9","weight":1,"flags":["onlink"]}]}`
	if buf.String() != want {
		t.Errorf("route JSON\n got: %s\nwant: %s", buf.String(), want)
	}
}

// TestTableOutWidths: columns are aligned on the widths of the first
// tableChunk rows; a later, wider cell pushes only its own row.
func TestTableOutWidths(t *testing.T) {
	var buf bytes.Buffer
	tw := newTableOut(&buf)
	tw.header("A", "B")
	for i := 0; i < tableChunk-1; i++ {
		tw.cell("x")
		tw.cell("")
		tw.endRow()
	}
	tw.cell("wider")
	tw.cell("y")
	tw.endRow()
	tw.endTable()
	if err := tw.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != tableChunk+1 {
		t.Fatalf("%d lines, want %d", len(lines), tableChunk+1)
	}
	if lines[0] != "A  B" || lines[1] != "x  -" {
		t.Errorf("first rows %q, %q; want %q, %q", lines[0], lines[1], "A  B", "x  -")
	}
	if last := lines[len(lines)-1]; last != "wider  y" {
		t.Errorf("last row %q, want %q", last, "wider  y")
	}
}

// TestFwdMaskAndTimer: the bridge port forward mask string and the timer
// format are ip's.
func TestFwdMaskAndTimer(t *testing.T) {
	for m, want := range map[uint16]string{0: "0x0", 1: "stp", 0x4001: "stp,lldp", 0x8: "0x8", 0x5: "stp,lacp"} {
		if got := fwdMaskString(m); got != want {
			t.Errorf("fwdMaskString(%#x) = %q, want %q", m, got, want)
		}
	}
	var buf bytes.Buffer
	j := newJSONOut(&buf)
	j.openObject("")
	writeTimer(j, "gc_timer", 29876)
	writeTimer(j, "hold_timer", 5)
	j.closeObject()
	j.flush()
	if want := `{"gc_timer":298.76,"hold_timer":0.05}`; buf.String() != want {
		t.Errorf("timers %s, want %s", buf.String(), want)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// dropEmptyObjects removes the {} elements of every array of ip's JSON,
// keeping the keys' order: ip 6.1 opens a JSON object for each link (and
// each address) before its filters refuse it (ipaddr_list_flush_or_save's
// open_json_object before print_linkinfo, print_selected_addrinfo's
// before print_addrinfo), so `ip -j link show up` lists a {} for every
// link that is down. They are not objects; ipdb prints none. ip's
// strings hold no braces here.
func dropEmptyObjects(b []byte) []byte {
	s := string(bytes.TrimSpace(b))
	for {
		t := strings.ReplaceAll(s, ",{}", "")
		t = strings.ReplaceAll(t, "[{},", "[")
		t = strings.ReplaceAll(t, "[{}]", "[]")
		if t == s {
			return []byte(s)
		}
		s = t
	}
}

// compareSelectorWithIP compares `ipdb -j ARGS` with ip's JSON for the
// same selector (ip's {} placeholders dropped), failing when ip selects
// nothing.
func compareSelectorWithIP(t *testing.T, ns *nstest.NS, args []string, ip ...string) {
	t.Helper()
	opts := oracle.JSONOptions{Extra: ipdbExtraKeys, Tolerance: volatileKeys}
	err := nstest.Eventually(10*time.Second, func() error {
		cmd := exec.Command(ip[0], append([]string{"-n", ns.Name}, ip[1:]...)...)
		raw, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: %v", strings.Join(ip, " "), err)
		}
		want := dropEmptyObjects(raw)
		if !json.Valid(want) {
			return fmt.Errorf("%s: not JSON: %s", strings.Join(ip, " "), raw)
		}
		if string(want) == "[]" {
			return fmt.Errorf("ip selects nothing: the setup failed (%s)", raw)
		}
		code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, args...)...)
		if code != exitOK {
			return fmt.Errorf("exit %d: %s", code, errs)
		}
		return oracle.CompareJSON([]byte(out), want, opts)
	})
	if err != nil {
		t.Errorf("ipdb %s vs %s: %v", strings.Join(args, " "), strings.Join(ip, " "), err)
	}
}

// TestMoreSelectorsEqualIP: master, up, scope, label, proto, type, via,
// src and a neighbour's address select what ip's do and leave out the
// keys ip leaves out (the protocol under proto, the gateway under via,
// the prefsrc under src).
func TestMoreSelectorsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		ns.Batch(
			"addr add 192.0.2.20/24 dev br0 label br0:1",
			"link set vx0 down",
			"route add 198.51.100.192/26 via 192.0.2.254 proto dhcp",
			"route add blackhole 203.0.113.64/26",
			"route add 2001:db8:3::/48 via 2001:db8::fe proto static",
		)
		for _, c := range []struct {
			args []string
			ip   []string
		}{
			{[]string{"show", "link", "master", "br0"}, []string{"ip", "-j", "-d", "link", "show", "master", "br0"}},
			{[]string{"show", "link", "up"}, []string{"ip", "-j", "-d", "link", "show", "up"}},
			{[]string{"show", "link", "up", "master", "br0"}, []string{"ip", "-j", "-d", "link", "show", "up", "master", "br0"}},
			{[]string{"show", "addr", "scope", "link"}, []string{"ip", "-j", "addr", "show", "scope", "link"}},
			{[]string{"show", "addr", "scope", "host"}, []string{"ip", "-j", "addr", "show", "scope", "host"}},
			{[]string{"-4", "show", "addr", "scope", "global"}, []string{"ip", "-j", "-4", "addr", "show", "scope", "global"}},
			{[]string{"show", "addr", "up"}, []string{"ip", "-j", "addr", "show", "up"}},
			{[]string{"show", "addr", "master", "br0"}, []string{"ip", "-j", "addr", "show", "master", "br0"}},
			{[]string{"show", "addr", "label", "br0:1"}, []string{"ip", "-j", "addr", "show", "label", "br0:1"}},
			{[]string{"show", "addr", "label", "mv0:*"}, []string{"ip", "-j", "addr", "show", "label", "mv0:*"}},
			{[]string{"show", "route", "proto", "static"}, []string{"ip", "-j", "route", "show", "table", "all", "proto", "static"}},
			{[]string{"show", "route", "proto", "kernel"}, []string{"ip", "-j", "route", "show", "table", "all", "proto", "kernel"}},
			{[]string{"show", "route", "type", "blackhole"}, []string{"ip", "-j", "route", "show", "table", "all", "type", "blackhole"}},
			{[]string{"show", "route", "type", "local"}, []string{"ip", "-j", "route", "show", "table", "all", "type", "local"}},
			{[]string{"show", "route", "via", "192.0.2.254"}, []string{"ip", "-j", "route", "show", "table", "all", "via", "192.0.2.254"}},
			{[]string{"show", "route", "via", "192.0.2.0/24"}, []string{"ip", "-j", "route", "show", "table", "all", "via", "192.0.2.0/24"}},
			{[]string{"show", "route", "via", "2001:db8::fe"}, []string{"ip", "-j", "route", "show", "table", "all", "via", "2001:db8::fe"}},
			{[]string{"show", "route", "src", "192.0.2.1"}, []string{"ip", "-j", "route", "show", "table", "all", "src", "192.0.2.1"}},
			{[]string{"show", "route", "dev", "br0"}, []string{"ip", "-j", "route", "show", "table", "all", "dev", "br0"}},
			{[]string{"show", "route", "table", "main", "proto", "dhcp", "via", "192.0.2.254"}, []string{"ip", "-j", "route", "show", "table", "main", "proto", "dhcp", "via", "192.0.2.254"}},
			{[]string{"show", "neigh", "192.0.2.7"}, []string{"ip", "-j", "neigh", "show", "192.0.2.7"}},
			{[]string{"show", "neigh", "to", "192.0.2.0/24"}, []string{"ip", "-j", "neigh", "show", "to", "192.0.2.0/24"}},
			{[]string{"show", "neigh", "2001:db8::/64"}, []string{"ip", "-j", "neigh", "show", "nud", "all", "2001:db8::/64"}},
		} {
			t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
				compareSelectorWithIP(t, ns, c.args, c.ip...)
			})
		}
		// A selector that selects nothing here is still ip's answer.
		if code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "route", "via", "198.51.100.77"); code != exitOK || strings.TrimSpace(out) != "[]" {
			t.Errorf("via an address no route uses: exit %d, %s %s", code, out, errs)
		}
	})
}

// TestBadPrefixAsIP: a word ip route show or ip neigh show cannot read as
// a prefix gets ip's message, word for word, and ip's exit status, with
// and without -4/-6.
func TestBadPrefixAsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up")
		for _, c := range [][]string{
			{"route", "show", "192.0.2.1/33"},
			{"route", "show", "19x"}, // a word with no digit is an unknown selector (TestIPSelectorsEqualIP)
			{"-4", "route", "show", "2001:db8::/64"},
			{"-6", "route", "show", "192.0.2.0/24"},
			{"route", "show", "root", "192.0.2.0/40"},
			{"route", "show", "match", "300.1.2.3"},
			{"route", "show", "exact", "2001:db8::/129"},
			{"route", "show", "via", "192.0.2.1/33"},
			{"route", "show", "src", "nonsense"},
			{"neigh", "show", "192.0.2.1/33"},
		} {
			t.Run(strings.Join(c, "_"), func(t *testing.T) {
				cmd := exec.Command("ip", append([]string{"-n", ns.Name}, c...)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				ipCode := 0
				if ee, ok := err.(*exec.ExitError); ok {
					ipCode = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if ipCode == 0 {
					t.Fatalf("ip %s succeeded: the case proves nothing", strings.Join(c, " "))
				}
				// ipdb's words: the family flag first, show, then the
				// object and its selectors.
				var args []string
				rest := c
				if c[0] == "-4" || c[0] == "-6" {
					args, rest = append(args, c[0]), c[1:]
				}
				args = append(append(args, "-n", ns.Name, "show", rest[0]), rest[2:]...)
				code, _, errs := runCmd(t, args...)
				if code != ipCode || errs != stderr.String() {
					t.Errorf("ipdb %s: exit %d, %q; ip exits %d, %q", strings.Join(args, " "), code, errs, ipCode, stderr.String())
				}
			})
		}
	})
}

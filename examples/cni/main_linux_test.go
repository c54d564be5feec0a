package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestAddDel runs the example in two test namespaces, one as the host and
// one as the pod: add, add again (nothing to do), del, del again (nothing
// to do), each checked with ip; and bad input changes nothing.
func TestAddDel(t *testing.T) {
	nstest.Run(t, func(t *testing.T, host *nstest.NS) {
		pod := nstest.New(t)
		host.Batch("link set lo up")
		pod.Batch("link set lo up")
		base := []string{"-host-netns", host.Name, "-netns", pod.Path, "-ifname", "eth0", "-host-ifname", "veth-pod0",
			"-addr", "192.0.2.2/24", "-gw", "192.0.2.1", "-route", "198.51.100.0/26, 198.51.100.64/26"}
		cmd := func(args ...string) string {
			t.Helper()
			var out bytes.Buffer
			if err := run(&out, append(append([]string{}, base...), args...)); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out.String())
			}
			t.Logf("%v:\n%s", args, out.String())
			return out.String()
		}
		state := func() string {
			return host.IP("-o", "addr", "show") + host.IP("route", "show", "table", "all") +
				pod.IP("-o", "addr", "show") + pod.IP("route", "show", "table", "all")
		}
		before := state()

		out := cmd("-dry-run", "add")
		for _, want := range []string{"netns host:\n+ link veth-pod0 type veth peer tmp", "netns pod:\n+ link eth0 from netns host (link tmp",
			"+ route default via 192.0.2.1 dev eth0", "+ route 198.51.100.64/26 via 192.0.2.2 dev veth-pod0"} {
			if !strings.Contains(out, want) {
				t.Errorf("the plan lacks %q", want)
			}
		}
		if state() != before {
			t.Fatalf("-dry-run changed the namespaces")
		}
		out = cmd("add")
		if !strings.Contains(out, "committed") {
			t.Errorf("add did not commit")
		}
		for _, c := range []struct {
			ns   *nstest.NS
			args []string
			want string
		}{
			{pod, []string{"-o", "addr", "show", "dev", "eth0"}, "inet 192.0.2.2/24"},
			{pod, []string{"route", "show", "default"}, "default via 192.0.2.1 dev eth0"},
			{pod, []string{"-o", "link", "show", "eth0"}, "state UP"},
			{host, []string{"-o", "addr", "show", "dev", "veth-pod0"}, "inet 192.0.2.1/24"},
			{host, []string{"route", "show", "198.51.100.64/26"}, "198.51.100.64/26 via 192.0.2.2 dev veth-pod0"},
			{host, []string{"-o", "link", "show", "veth-pod0"}, "state UP"},
		} {
			if got := c.ns.IP(c.args...); !strings.Contains(got, c.want) {
				t.Errorf("ip %v: %q lacks %q", c.args, got, c.want)
			}
		}
		if got := host.IP("-o", "link", "show"); strings.Contains(got, "tmp") {
			t.Errorf("a temporary name is left in the host: %s", got)
		}
		if out := cmd("add"); !strings.Contains(out, "no changes") || strings.Contains(out, "committed") {
			t.Errorf("a second add is not empty")
		}

		// Bad input: an error, and nothing changes. The new links' IPv6
		// addresses finish their DAD first (ip -o addr shows "tentative"
		// until then; seconds in the guest).
		host.SettleDAD()
		pod.SettleDAD()
		after := state()
		for _, args := range [][]string{
			{"-gw", "198.51.100.1", "add"}, {"-addr", "192.0.2.2", "add"}, {"-ifname", "a/b", "add"},
			{"-ifname", "lo", "add"}, {"-host-ifname", "veth-pod1", "add"}, {"-netns", host.Name, "add"}, {"-route", "2001:db8::/64", "add"}, {"start"},
		} {
			var b bytes.Buffer
			err := run(&b, append(append([]string{}, base...), args...))
			if err == nil {
				t.Errorf("%v: no error", args)
			} else {
				t.Logf("%v: %v", args, err)
			}
		}
		if state() != after {
			t.Fatalf("bad input changed the namespaces")
		}

		cmd("del")
		if state() != before {
			t.Errorf("del left:\n%s\nwant\n%s", state(), before)
		}
		if out := cmd("del"); !strings.Contains(out, "no changes") {
			t.Errorf("a second del is not empty")
		}
	})
}

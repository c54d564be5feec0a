package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// tcQdiscs returns `tc -j qdisc show dev DEV` of ns.
func tcQdiscs(t *testing.T, ns *nstest.NS, dev string) []map[string]any {
	t.Helper()
	out, err := exec.Command("tc", "-n", ns.Name, "-j", "qdisc", "show", "dev", dev).Output()
	if err != nil {
		t.Fatalf("tc: %v", err)
	}
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("tc -j: %v\n%s", err, out)
	}
	return v
}

// TestShape runs the example in a test namespace on the host end of a
// veth: add (checked with tc -j: a root tbf 1: with the plugin's rate,
// burst and latency), add again (nothing to do), a new rate (one change
// of the tbf in place), del (the kernel's noqueue is back), del again;
// the pod's egress, bad input and a missing link are errors that change
// nothing.
func TestShape(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add veth-pod0 type veth peer name eth0", "link set veth-pod0 up", "link set eth0 up",
			"link add br0 type bridge")
		base := []string{"-netns", ns.Name, "-dev", "veth-pod0"}
		cmd := func(args ...string) string {
			t.Helper()
			var out bytes.Buffer
			if err := run(&out, append(append([]string{}, base...), args...)); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out.String())
			}
			t.Logf("%v:\n%s", args, out.String())
			return out.String()
		}
		noqueue := func() {
			t.Helper()
			if q := tcQdiscs(t, ns, "veth-pod0"); len(q) != 1 || q[0]["kind"] != "noqueue" {
				t.Errorf("want the kernel's noqueue alone, tc shows %v", q)
			}
		}
		noqueue()

		// 1 Mbit/s with a burst of 80000 bits (10000 bytes): the plugin's
		// buffer is 80 ms, its limit 25 ms at the rate plus the burst.
		out := cmd("-ingress-rate", "1000000", "-ingress-burst", "80000", "-dry-run", "add")
		if want := "+ qdisc tbf 1: dev veth-pod0 root rate 125000 limit 13125 buffer 80ms (replaces the kernel's default noqueue)\n"; out != want {
			t.Errorf("dry run: %q, want %q", out, want)
		}
		noqueue()
		if out := cmd("-ingress-rate", "1000000", "-ingress-burst", "80000", "add"); !strings.HasSuffix(out, "committed\n") {
			t.Errorf("add did not commit")
		}
		q := tcQdiscs(t, ns, "veth-pod0")
		if len(q) != 1 || q[0]["kind"] != "tbf" || q[0]["handle"] != "1:" || q[0]["root"] != true {
			t.Fatalf("tc shows %v, want a root tbf 1:", q)
		}
		opts := q[0]["options"].(map[string]any)
		// tc's JSON: rate in bytes per second, burst in bytes, lat in
		// microseconds.
		if opts["rate"] != 125000.0 || opts["burst"] != 10000.0 || opts["lat"] != 25000.0 {
			t.Errorf("tbf options %v, want rate 125000, burst 10000, lat 25000", opts)
		}
		if out := cmd("-ingress-rate", "1000000", "-ingress-burst", "80000", "add"); out != "no changes\n" {
			t.Errorf("a second add: %q", out)
		}
		out = cmd("-ingress-rate", "2000000", "-ingress-burst", "80000", "add")
		if !strings.HasPrefix(out, "~ qdisc tbf 1: dev veth-pod0 root rate 250000 limit 16250 buffer 40ms: rate 125000 -> 250000, limit 13125 -> 16250, buffer 80ms -> 40ms\n") {
			t.Errorf("a new rate: %q", out)
		}
		if q := tcQdiscs(t, ns, "veth-pod0"); q[0]["options"].(map[string]any)["rate"] != 250000.0 {
			t.Errorf("after the new rate: %v", q)
		}

		// Errors: nothing changes.
		before := tcQdiscs(t, ns, "veth-pod0")
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"-egress-rate", "1000000", "-egress-burst", "80000", "add"}, "mirred redirect action"},
			{[]string{"-ingress-rate", "1000000", "add"}, "go together"},
			{[]string{"add"}, "add needs"},
			{[]string{"-ingress-rate", "1000000", "-ingress-burst", "80000", "del"}, "del takes no rates"},
			{[]string{"-ingress-rate", "4", "-ingress-burst", "80000", "add"}, "less than a byte per second"},
			{[]string{"-dev", "nope0", "-ingress-rate", "1000000", "-ingress-burst", "80000", "add"}, "nope0"},
			{[]string{"-dev", "br0", "-ingress-rate", "1000000", "-ingress-burst", "80000", "add"}, "no veth"},
			{[]string{"-dev", "a/b", "add"}, "-dev"},
			{[]string{"start"}, "add or del"},
		} {
			var b bytes.Buffer
			err := run(&b, append(append([]string{}, base...), c.args...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %v, want one with %q", c.args, err, c.want)
			}
		}
		if after := tcQdiscs(t, ns, "veth-pod0"); len(after) != len(before) || after[0]["options"].(map[string]any)["rate"] != 250000.0 {
			t.Errorf("errors changed the qdiscs: %v", after)
		}

		if out := cmd("del"); !strings.HasPrefix(out, "- qdisc tbf 1: dev veth-pod0 root") {
			t.Errorf("del: %q", out)
		}
		noqueue()
		if out := cmd("del"); out != "no changes\n" {
			t.Errorf("a second del: %q", out)
		}
	})
}

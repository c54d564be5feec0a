package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/txn"
	"golang.org/x/sys/unix"
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
// bad input and a missing link are errors that change nothing.
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
		if want := "+ qdisc tbf 1: dev veth-pod0 root rate 1Mbit burst 10000b lat 25ms (replaces the kernel's default noqueue)\n"; out != want {
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
		if !strings.HasPrefix(out, "~ qdisc tbf 1: dev veth-pod0 root rate 2Mbit burst 10000b lat 25ms: rate 1Mbit -> 2Mbit, buffer 80ms -> 40ms, limit 13125b -> 16250b\n") {
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
			{[]string{"-egress-rate", "1000000", "-egress-burst", "80000", "-ifb", "veth-pod0", "add"}, "-ifb veth-pod0 is -dev"},
			{[]string{"-egress-rate", "1000000", "-egress-burst", "80000", "-ifb", "a/b", "add"}, "-ifb"},
			{[]string{"-egress-rate", "1000000", "add"}, "go together"},
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

// tcJSON returns `tc -j ARGS` of ns, nil if tc fails (a filter show of
// a qdisc that is not there).
func tcJSON(t *testing.T, ns *nstest.NS, args ...string) []map[string]any {
	t.Helper()
	out, err := exec.Command("tc", append([]string{"-n", ns.Name, "-j"}, args...)...).Output()
	if err != nil {
		return nil
	}
	var v []map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("tc -j %v: %v\n%s", args, err, out)
	}
	return v
}

// shapeState is what the example changes, as tc and ip show it: the
// qdiscs of every link, the filters of the host end's ingress, and the
// links' names, kinds, MTUs and flags.
func shapeState(t *testing.T, ns *nstest.NS) string {
	t.Helper()
	var b strings.Builder
	q, _ := json.Marshal(tcJSON(t, ns, "qdisc", "show"))
	f, _ := json.Marshal(tcJSON(t, ns, "filter", "show", "dev", "veth-pod0", "parent", "ffff:"))
	b.Write(q)
	b.WriteString("\n")
	b.Write(f)
	b.WriteString("\n")
	var links []map[string]any
	if err := json.Unmarshal([]byte(ns.IP("-j", "-d", "link", "show")), &links); err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		kind := ""
		if li, ok := l["linkinfo"].(map[string]any); ok {
			kind, _ = li["info_kind"].(string)
		}
		fmt.Fprintf(&b, "%v %s mtu %v %v\n", l["ifname"], kind, l["mtu"], l["flags"])
	}
	return b.String()
}

// TestShapeEgress shapes both ways in one transaction: the ifb link, the
// ingress qdisc of the host end with a u32 filter redirecting to the ifb
// (tc -j shows the mirred action's target by name), a tbf on the ifb and
// one on the host end. A second add has nothing to do, del removes all of
// it, and a fault at every step of add rolls everything back.
func TestShapeEgress(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add veth-pod0 type veth peer name eth0", "link set veth-pod0 mtu 1400 up", "link set eth0 up")
		ifb := ifbName("veth-pod0")
		if len(ifb) != 15 {
			t.Errorf("ifb name %q: want 15 bytes", ifb)
		}
		base := []string{"-netns", ns.Name, "-dev", "veth-pod0"}
		rates := []string{"-ingress-rate", "1000000", "-ingress-burst", "80000", "-egress-rate", "2000000", "-egress-burst", "160000"}
		run1 := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := run(&out, append(append(append([]string{}, base...), rates...), args...))
			return out.String(), err
		}
		before := shapeState(t, ns)
		plan, err := run1("-dry-run", "add")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("plan:\n%s", plan)
		for _, want := range []string{
			"+ link " + ifb + " type ifb",
			"+ qdisc ingress ffff: dev veth-pod0 ingress\n",
			"+ filter dev veth-pod0 parent ffff: protocol all pref 1 chain 0 handle 800::800 u32 match u32 0x00000000 0x00000000 at 0 action mirred egress redirect dev " + ifb + "\n",
			"+ qdisc tbf 1: dev " + ifb + " root rate 2Mbit burst 20000b lat 25ms\n",
			"+ qdisc tbf 1: dev veth-pod0 root rate 1Mbit burst 10000b lat 25ms (replaces the kernel's default noqueue)\n",
		} {
			if !strings.Contains(plan, want) {
				t.Errorf("plan lacks %q", want)
			}
		}
		if shapeState(t, ns) != before {
			t.Fatalf("-dry-run changed the namespace")
		}
		n := strings.Count(plan, "\n")
		for k := range n {
			testConfig = func(c *txn.Config) { c.FaultAt(k) }
			out, err := run1("add")
			testConfig = nil
			var ce *txn.CommitError
			if !errors.As(err, &ce) || !ce.RolledBack || !errors.Is(err, unix.ENODEV) {
				t.Errorf("fault at step %d: error %v, want a rolled back *txn.CommitError\n%s", k, err, out)
			} else {
				t.Logf("fault at step %d: %v", k, err)
			}
			if after := shapeState(t, ns); after != before {
				t.Errorf("fault at step %d (%v): not rolled back:\n%s\nwant\n%s", k, err, after, before)
			}
		}

		if out, err := run1("add"); err != nil || !strings.HasSuffix(out, "committed\n") {
			t.Fatalf("add: %v\n%s", err, out)
		}
		q := tcQdiscs(t, ns, "veth-pod0")
		kinds := map[string]map[string]any{}
		for _, x := range q {
			kinds[x["kind"].(string)] = x
		}
		if len(q) != 2 || kinds["tbf"] == nil || kinds["ingress"] == nil || kinds["tbf"]["root"] != true {
			t.Errorf("veth-pod0's qdiscs: %v", q)
		}
		qi := tcQdiscs(t, ns, ifb)
		if len(qi) != 1 || qi[0]["kind"] != "tbf" || qi[0]["options"].(map[string]any)["rate"] != 250000.0 {
			t.Errorf("%s's qdiscs: %v", ifb, qi)
		}
		f, _ := json.Marshal(tcJSON(t, ns, "filter", "show", "dev", "veth-pod0", "parent", "ffff:"))
		for _, want := range []string{`"kind":"mirred"`, `"mirred_action":"redirect"`, `"direction":"egress"`, `"to_dev":"` + ifb + `"`, `"fh":"800::800"`} {
			if !strings.Contains(string(f), want) {
				t.Errorf("tc -j filter show lacks %s:\n%s", want, f)
			}
		}
		var links []map[string]any
		if err := json.Unmarshal([]byte(ns.IP("-j", "-d", "link", "show", ifb)), &links); err != nil || len(links) != 1 {
			t.Fatalf("ip -j link show %s: %v", ifb, err)
		}
		if l := links[0]; l["mtu"] != 1400.0 || l["linkinfo"].(map[string]any)["info_kind"] != "ifb" || !strings.Contains(fmt.Sprint(l["flags"]), "UP") {
			t.Errorf("the ifb: %v", l)
		}
		if out, err := run1("add"); err != nil || out != "no changes\n" {
			t.Errorf("a second add: %v %q", err, out)
		}

		var out bytes.Buffer
		if err := run(&out, append(append([]string{}, base...), "del")); err != nil {
			t.Fatal(err)
		}
		t.Logf("del:\n%s", out.String())
		if after := shapeState(t, ns); after != before {
			t.Errorf("after del:\n%s\nwant\n%s", after, before)
		}
		out.Reset()
		if err := run(&out, append(append([]string{}, base...), "del")); err != nil || out.String() != "no changes\n" {
			t.Errorf("a second del: %v %q", err, out.String())
		}
	})
}

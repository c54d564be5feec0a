package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// tcOut runs `tc -n NS args...`, without htb's direct_packets_stat (it
// counts packets the links send by themselves: a statistic).
func tcOut(t *testing.T, ns *nstest.NS, args ...string) string {
	t.Helper()
	out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return directPacketsStat.ReplaceAllString(string(out), "")
}

var directPacketsStat = regexp.MustCompile(`direct_packets_stat \d+ `)

// TestApplyTC: a state file's qdiscs, classes and filters: --dry-run
// prints the plan in tc's words and changes nothing; apply makes what tc
// shows; applying it again has nothing to do; a second file replaces the
// root qdisc (one replace), changes a class and removes a filter; a bad
// entry is an error naming its line that changes nothing.
func TestApplyTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		dir := t.TempDir()
		write := func(name, text string) string { return writeStateFile(t, dir, name, text) }
		first := write("first.yaml", `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb, default: 10}
  - {dev: v1, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms}
  - {dev: v1, kind: clsact}
classes:
  - {dev: v0, classid: "1:1", kind: htb, rate: 10mbit}
  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 1mbit, ceil: 5mbit, prio: 1}
  - {dev: v0, classid: "1:20", parent: "1:1", kind: htb, rate: 2mbit}
filters:
  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32,
     match: ["ip dst 192.0.2.0/24", "ip dport 80 0xffff"], flowid: "1:10"}
  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf, bytecode: "1,6 0 0 0", flowid: "1:20"}
  - {dev: v1, parent: ingress, protocol: all, pref: 3, handle: 7, kind: bpf, bytecode: "1,6 0 0 65535"}
`)
		before := tcOut(t, ns, "qdisc", "show")
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", first, "--dry-run")
		if code != exitApplied {
			t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{"+ qdisc htb 1: dev v0 root default 0x10 (replaces the kernel's default noqueue)", "+ class htb 1:10 dev v0 parent 1:1 prio 1 rate 1Mbit ceil 5Mbit",
			"+ filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match ip dst 192.0.2.0/24 match ip dport 80 0xffff flowid 1:10",
			"+ qdisc clsact ffff: dev v1 ingress"} {
			if !strings.Contains(out, w) {
				t.Errorf("dry run lacks %q:\n%s", w, out)
			}
		}
		if after := tcOut(t, ns, "qdisc", "show"); after != before {
			t.Errorf("the dry run changed qdiscs:\n%s", after)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", first)
		if code != exitApplied {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
		}
		for _, c := range []struct {
			args []string
			want []string
		}{
			{[]string{"qdisc", "show"}, []string{"qdisc htb 1: dev v0 root refcnt 3 r2q 10 default 0x10",
				"qdisc tbf 1: dev v1 root refcnt 3 rate 1Mbit burst 10Kb lat 25ms", "qdisc clsact ffff: dev v1 parent ffff:fff1"}},
			{[]string{"class", "show", "dev", "v0"}, []string{"class htb 1:10 parent 1:1 prio 1 rate 1Mbit ceil 5Mbit",
				"class htb 1:1 root rate 10Mbit", "class htb 1:20 parent 1:1 prio 0 rate 2Mbit"}},
			{[]string{"filter", "show", "dev", "v0"}, []string{"fh 800::800 order 2048 key ht 800 bkt 0 *flowid 1:10", "match c0000200/ffffff00 at 16",
				"match 00000050/0000ffff at 20", "pref 2 bpf chain 0 handle 0x1 flowid 1:20", "bytecode '1,6 0 0 0'"}},
			{[]string{"filter", "show", "dev", "v1", "ingress"}, []string{"pref 3 bpf chain 0 handle 0x7", "bytecode '1,6 0 0 65535'"}},
		} {
			got := tcOut(t, ns, c.args...)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("tc %s lacks %q:\n%s", strings.Join(c.args, " "), w, got)
				}
			}
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", first)
		if code != exitApplied || !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply: exit %d, want nothing to do\n%s%s", code, out, errs)
		}

		second := write("second.yaml", `
qdiscs:
  - {dev: v0, parent: "1:10", handle: "10:", kind: pfifo, limit: 50}
  - {dev: v1, handle: "2:", kind: htb}
  - {dev: v1, kind: clsact, absent: true}
classes:
  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 3mbit, ceil: 5mbit, prio: 1}
filters:
  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf, absent: true}
`)
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", second)
		if code != exitApplied {
			t.Fatalf("apply second: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{"~ qdisc htb 2: dev v1 root: handle 1: -> 2:, kind tbf -> htb", "~ class htb 1:10 dev v0 parent 1:1 prio 1 rate 3Mbit ceil 5Mbit: rate 1Mbit -> 3Mbit",
			"- filter dev v0 parent 1: protocol all pref 2 chain 0 handle 0x1 bpf", "- qdisc clsact ffff: dev v1 ingress (the kernel removes its 1 filter with it)"} {
			if !strings.Contains(out, w) {
				t.Errorf("second apply's plan lacks %q:\n%s", w, out)
			}
		}
		if q := tcOut(t, ns, "qdisc", "show", "dev", "v0"); !strings.Contains(q, "qdisc pfifo 10: parent 1:10 limit 50p") {
			t.Errorf("v0 after the second file:\n%s", q)
		}
		q := tcOut(t, ns, "qdisc", "show", "dev", "v1")
		if !strings.Contains(q, "qdisc htb 2: root") || strings.Contains(q, "tbf") || strings.Contains(q, "clsact") {
			t.Errorf("v1 after the second file:\n%s", q)
		}
		if f := tcOut(t, ns, "filter", "show", "dev", "v0"); strings.Contains(f, "bpf") {
			t.Errorf("bpf filter left:\n%s", f)
		}
		if c := tcOut(t, ns, "class", "show", "dev", "v0"); !strings.Contains(c, "class htb 1:10 parent 1:1 leaf 10: prio 1 rate 3Mbit ceil 5Mbit") {
			t.Errorf("class 1:10 after the second file:\n%s", c)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", second)
		if code != exitApplied || !strings.Contains(out, "nothing to do") {
			t.Errorf("second file again: exit %d, want nothing to do\n%s%s", code, out, errs)
		}

		before = tcOut(t, ns, "qdisc", "show")
		for text, want := range map[string]string{
			"qdiscs:\n  - {dev: v0, handle: \"3:\", kind: tbf, rate: 1mbit}\n":                                                                     ":2: tbf needs a burst (with its rate)",
			"qdiscs:\n  - {dev: v0, handle: \"3:\", kind: tbf, burst: 10kb, latency: 50ms}\n":                                                      ":2: tbf needs a rate",
			"qdiscs:\n  - {dev: v0, handle: \"3:\", kind: pfifo, rate: 1mbit}\n":                                                                   `:2: qdisc pfifo takes no "rate" (its options: limit)`,
			"qdiscs:\n  - {dev: v0, handle: \"3:\", kind: sfq}\n":                                                                                  `:2: kind "sfq" is not one the state file takes in qdiscs`,
			"classes:\n  - {dev: v0, classid: \"1:30\", kind: htb, rate: 1furlong}\n":                                                              `:2: bad rate "1furlong": unknown unit "furlong"`,
			"filters:\n  - {dev: v0, parent: \"1:\", protocol: ip, pref: 1, handle: \"800::801\", kind: u32, match: [\"ip dst 2001:db8::/32\"]}\n": `:2: u32 match "ip dst 2001:db8::/32": ip takes an IPv4 prefix`,
			"qdiscs:\n  - {dev: v0, handle: \"1:\", kind: htb}\n  - {dev: v0, handle: \"2:\", kind: htb}\n":                                        ":3: txn: invalid spec: qdisc 2: dev v0 root: two specs want a qdisc at this parent",
			"classes:\n  - {dev: v0, classid: \"7:1\", kind: htb, rate: 1mbit}\n":                                                                  "no qdisc 7: on v0",
		} {
			f := write("bad.yaml", text)
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f)
			if code != exitError || !strings.Contains(errs, want) {
				t.Errorf("%q: exit %d, want 1 and %q\n%s%s", text, code, want, out, errs)
			}
		}
		if after := tcOut(t, ns, "qdisc", "show"); after != before {
			t.Errorf("a bad file changed qdiscs:\n%s", after)
		}
	})
}

// TestApplyTCEntryWhole: an entry is the whole qdisc, class or filter:
// an entry that leaves out the flowid or direct-action its filter has
// removes them (try11: direct-action stayed, as a spec that leaves a
// field to the kernel), a u32 filter's flowid, a class's prio and ceil,
// and htb's default as well (htb has no change operation: the qdisc is
// removed and added again, with its class); applying it again has
// nothing to do.
func TestApplyTCEntryWhole(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		dir := t.TempDir()
		write := func(name, text string) string { return writeStateFile(t, dir, name, text) }
		full := write("full.yaml", `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb, default: 10}
classes:
  - {dev: v0, classid: "1:10", kind: htb, rate: 1mbit, ceil: 5mbit, prio: 1}
filters:
  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32, match: ["ip dst 192.0.2.0/24"], flowid: "1:10"}
  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf, bytecode: "1,6 0 0 0", flowid: "1:20", direct-action: true}
`)
		bare := write("bare.yaml", `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb}
classes:
  - {dev: v0, classid: "1:10", kind: htb, rate: 1mbit}
filters:
  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32, match: ["ip dst 192.0.2.0/24"]}
  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
`)
		if code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", full); code != exitApplied {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
		}
		f := tcOut(t, ns, "filter", "show", "dev", "v0")
		for _, w := range []string{"*flowid 1:10", "handle 0x1 flowid 1:20 direct-action"} {
			if !strings.Contains(f, w) {
				t.Fatalf("tc lacks %q after the full file:\n%s", w, f)
			}
		}
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", bare)
		if code != exitApplied {
			t.Fatalf("apply bare: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{"(to add it again changed: htb has no change operation) (the kernel removes its 1 class and 2 filters with it)",
			"~ qdisc htb 1: dev v0 root: default 0x10 -> 0x0", "+ class htb 1:10 dev v0 parent 1: rate 1Mbit ceil 1Mbit\n",
			"+ filter dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match ip dst 192.0.2.0/24\n"} {
			if !strings.Contains(out, w) {
				t.Errorf("the bare file's plan lacks %q:\n%s", w, out)
			}
		}
		if q := tcOut(t, ns, "qdisc", "show", "dev", "v0"); !strings.Contains(q, "default 0 ") {
			t.Errorf("tc qdisc after the bare file:\n%s", q)
		}
		if c := tcOut(t, ns, "class", "show", "dev", "v0"); !strings.Contains(c, "class htb 1:10 root prio 0 rate 1Mbit ceil 1Mbit") {
			t.Errorf("tc class after the bare file:\n%s", c)
		}
		f = tcOut(t, ns, "filter", "show", "dev", "v0")
		if strings.Contains(f, "flowid") || strings.Contains(f, "direct-action") || !strings.Contains(f, "match c0000200/ffffff00 at 16") ||
			!strings.Contains(f, "bytecode '1,6 0 0 0'") {
			t.Errorf("tc after the bare file:\n%s", f)
		}
		if code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", bare); code != exitApplied || !strings.Contains(out, "nothing to do") {
			t.Errorf("bare file again: exit %d, want nothing to do\n%s%s", code, out, errs)
		}

		// The filters alone: changed in place (bpf) and removed and added
		// again (u32), each plan line naming what goes.
		mid := write("mid.yaml", `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb}
classes:
  - {dev: v0, classid: "1:10", kind: htb, rate: 1mbit}
filters:
  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32, match: ["ip dst 192.0.2.0/24"], flowid: "1:10"}
  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf, bytecode: "1,6 0 0 0", flowid: "1:20", direct-action: true}
`)
		if code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", mid); code != exitApplied {
			t.Fatalf("apply mid: exit %d\n%s%s", code, out, errs)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", bare)
		if code != exitApplied {
			t.Fatalf("apply bare after mid: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{"flowid 1:10 -> (none)", "flowid 1:20 -> (none)", "direct-action -> (none)"} {
			if !strings.Contains(out, w) {
				t.Errorf("the bare file's plan after mid lacks %q:\n%s", w, out)
			}
		}
		if f := tcOut(t, ns, "filter", "show", "dev", "v0"); strings.Contains(f, "flowid") || strings.Contains(f, "direct-action") {
			t.Errorf("tc after the bare file after mid:\n%s", f)
		}
	})
}

// TestApplyTCFifoDefaults: a pfifo or bfifo entry without a limit is the
// kernel's default, as `tc qdisc add ... pfifo` makes it (the link's
// queue length, in packets or in bytes of MTU plus header), not a limit
// of 0 that drops every packet (try12); an entry that drops its limit
// goes back to the default; a pfifo tc made holds such an entry.
func TestApplyTCFifoDefaults(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v4 type veth peer name v5", "link add v6 type veth peer name v7")
		const defaults = `
qdiscs:
  - {dev: v4, handle: "2:", kind: pfifo}
  - {dev: v5, handle: "2:", kind: bfifo}
`
		applyTCFile(t, ns, defaults, false)
		want := []string{"qdisc pfifo 2: dev v4 root refcnt 3 limit 1000p", "qdisc bfifo 2: dev v5 root refcnt 3 limit 1514000b"}
		check := func(when string) {
			t.Helper()
			q := tcOut(t, ns, "qdisc", "show")
			for _, w := range want {
				if !strings.Contains(q, w) {
					t.Errorf("%s: tc qdisc show lacks %q:\n%s", when, w, q)
				}
			}
		}
		check("the defaults")
		if out := applyTCFile(t, ns, defaults, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("the defaults again:\n%s", out)
		}
		applyTCFile(t, ns, `
qdiscs:
  - {dev: v4, handle: "2:", kind: pfifo, limit: 50}
  - {dev: v5, handle: "2:", kind: bfifo, limit: 10kb}
`, false)
		out := applyTCFile(t, ns, defaults, false)
		for _, w := range []string{"limit 50p -> 1000p", "limit 10Kb -> 1514000b"} {
			if !strings.Contains(out, w) {
				t.Errorf("the defaults after limits: plan lacks %q:\n%s", w, out)
			}
		}
		check("the defaults after limits")
		tcOut(t, ns, "qdisc", "add", "dev", "v6", "root", "handle", "2:", "pfifo")
		if out := applyTCFile(t, ns, "qdiscs:\n  - {dev: v6, handle: \"2:\", kind: pfifo}\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("tc's pfifo:\n%s", out)
		}
		// The default of the link as the same file leaves it (try13: the
		// old queue length was planned, and the apply timed out).
		const relinked = `
links:
  - {name: v4, txqlen: 500}
  - {name: v5, mtu: 1450}
qdiscs:
  - {dev: v4, handle: "2:", kind: pfifo}
  - {dev: v5, handle: "2:", kind: bfifo}
`
		applyTCFile(t, ns, relinked, false)
		want = []string{"qdisc pfifo 2: dev v4 root refcnt 3 limit 500p", "qdisc bfifo 2: dev v5 root refcnt 3 limit 1464000b"}
		check("the defaults of the changed links")
		if out := applyTCFile(t, ns, relinked, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("the changed links again:\n%s", out)
		}
	})
}

// TestApplyTCInnerClass: the kernel sets an htb class's prio and quantum
// only while it is a leaf (htb_change_class) and keeps them once it has
// children, so a file that drops an inner class's prio has nothing to do
// (try12: the apply waited for its timeout and rolled back).
func TestApplyTCInnerClass(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		file := func(inner string) string {
			return `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb}
classes:
  - {dev: v0, classid: "1:1", kind: htb, rate: 10mbit` + inner + `}
  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 1mbit}
`
		}
		applyTCFile(t, ns, file(", prio: 2, quantum: 3000"), false)
		if c := tcOut(t, ns, "-d", "class", "show", "dev", "v0"); !strings.Contains(c, "class htb 1:1 root rate 10Mbit ceil 10Mbit") {
			t.Errorf("tc class show:\n%s", c)
		}
		if out := applyTCFile(t, ns, file(""), false); !strings.Contains(out, "nothing to do") {
			t.Errorf("an inner class without prio and quantum:\n%s", out)
		}
	})
}

// TestApplyTCAsTcMakes: objects tc made from the same words hold an
// entry: tc's ratespecs say Ethernet (before, "linklayer 1 -> 0"), and
// tbf's limit from a latency with a peak rate is the smaller of the two
// tc computes (before, 8250 -> 13365 bytes: try12).
func TestApplyTCAsTcMakes(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		tcOut(t, ns, strings.Fields("qdisc add dev v0 root handle 1: tbf rate 1mbit burst 10kb latency 25ms peakrate 2mbit mtu 2000")...)
		tcOut(t, ns, strings.Fields("qdisc add dev v1 root handle 1: htb")...)
		tcOut(t, ns, strings.Fields("class add dev v1 parent 1: classid 1:10 htb rate 1mbit ceil 5mbit prio 1")...)
		// Buffers that tc's truncation makes a tick or a microsecond
		// shorter than the exact time (try13: "buffer 27.306624ms ->
		// 27.306688ms", "cburst 3000b -> 3001b", "mtu 1599b -> 1600b").
		tcOut(t, ns, strings.Fields("class add dev v1 parent 1: classid 1:20 htb rate 3mbit ceil 9mbit burst 10kb cburst 3001b")...)
		ns.Batch("link add v2 type veth peer name v3")
		tcOut(t, ns, strings.Fields("qdisc add dev v2 root handle 1: tbf rate 3mbit burst 10kb latency 25ms")...)
		tcOut(t, ns, strings.Fields("qdisc add dev v3 root handle 1: tbf rate 7mbit burst 64kb latency 25ms peakrate 9mbit mtu 1600")...)
		out := applyTCFile(t, ns, `
qdiscs:
  - {dev: v0, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms, peakrate: 2mbit, mtu: 2000}
  - {dev: v1, handle: "1:", kind: htb}
  - {dev: v2, handle: "1:", kind: tbf, rate: 3mbit, burst: 10kb, latency: 25ms}
  - {dev: v3, handle: "1:", kind: tbf, rate: 7mbit, burst: 64kb, latency: 25ms, peakrate: 9mbit, mtu: 1600}
classes:
  - {dev: v1, classid: "1:10", kind: htb, rate: 1mbit, ceil: 5mbit, prio: 1}
  - {dev: v1, classid: "1:20", kind: htb, rate: 3mbit, ceil: 9mbit, burst: 10kb, cburst: 3001b}
`, true)
		if !strings.Contains(out, "nothing to do") {
			t.Errorf("tc's objects do not hold the entries:\n%s", out)
		}
		// The plan prints a tbf's latency as tc does, with a peak rate
		// the larger of the two (try13: ipdb said 5.88ms, tc 25ms).
		tcOut(t, ns, strings.Fields("qdisc change dev v0 root handle 1: tbf rate 1mbit burst 10kb latency 50ms peakrate 2mbit mtu 2000")...)
		out = applyTCFile(t, ns, `
qdiscs:
  - {dev: v0, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms, peakrate: 2mbit, mtu: 2000}
`, true)
		if want := "lat 25ms: lat 50ms -> 25ms"; !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	})
}

// TestApplyTCClassRemoval: an absent class that is its qdisc's own (a
// tbf's class) is refused at plan, naming its line (try13: it passed
// --dry-run and failed at commit); an absent entry of another kind than
// the class has is none; an htb class's removal says what the kernel
// removes with it (its leaf qdisc's tree).
func TestApplyTCClassRemoval(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		tcOut(t, ns, strings.Fields("qdisc add dev v0 root handle 20: tbf rate 1mbit burst 10kb latency 25ms")...)
		f := writeStateFile(t, t.TempDir(), "own.yaml", "classes:\n  - {dev: v0, classid: \"20:1\", absent: true}\n")
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f, "--dry-run")
		if code == exitApplied || !strings.Contains(errs, "own.yaml:2: ") || !strings.Contains(errs, "the class is its tbf qdisc's own") {
			t.Errorf("a tbf's class absent: exit %d\n%s%s", code, out, errs)
		}
		if out := applyTCFile(t, ns, "classes:\n  - {dev: v0, classid: \"20:1\", kind: htb, absent: true}\n", false); !strings.Contains(out, "nothing to do") {
			t.Errorf("an absent htb class where tbf's is:\n%s", out)
		}
		tcOut(t, ns, strings.Fields("qdisc add dev v1 root handle 1: htb")...)
		tcOut(t, ns, strings.Fields("class add dev v1 parent 1: classid 1:10 htb rate 1mbit")...)
		tcOut(t, ns, strings.Fields("qdisc add dev v1 parent 1:10 handle 10: htb")...)
		tcOut(t, ns, strings.Fields("class add dev v1 parent 10: classid 10:1 htb rate 1mbit")...)
		tcOut(t, ns, strings.Fields("qdisc add dev v1 parent 10:1 handle 11: pfifo")...)
		out = applyTCFile(t, ns, "classes:\n  - {dev: v1, classid: \"1:10\", absent: true}\n", false)
		if want := "- class htb 1:10 dev v1 parent 1: rate 1Mbit ceil 1Mbit burst 1600b cburst 1600b quantum 12500 (the kernel removes its 2 qdiscs and 1 class with it)"; !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
		if q := tcOut(t, ns, "qdisc", "show", "dev", "v1"); strings.Contains(q, "10:") || strings.Contains(q, "11:") {
			t.Errorf("tc qdisc show after the class went:\n%s", q)
		}
	})
}

// TestApplyTCRefusedTrees: files the kernel would refuse at commit (try13:
// they passed --dry-run, failed with "file exists", "HTB class in use",
// or lost a qdisc silently) are refused at plan, naming the entry's line,
// and change nothing: htb classes under a root that becomes a tbf, the
// removal of a class a filter sends packets to, and a qdisc under a class
// that gets a child class, and a filter on a qdisc without a filter block
// (a pfifo: "Qdisc not classful").
func TestApplyTCRefusedTrees(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		base := `
qdiscs:
  - {dev: v0, handle: "1:", kind: htb}
classes:
  - {dev: v0, classid: "1:1", kind: htb, rate: 10mbit}
  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 1mbit}
filters:
  - {dev: v0, parent: "1:", protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0", flowid: "1:10"}
`
		applyTCFile(t, ns, base, false)
		before := tcOut(t, ns, "qdisc", "show") + tcOut(t, ns, "class", "show", "dev", "v0") + tcOut(t, ns, "filter", "show", "dev", "v0")
		for name, c := range map[string]struct{ text, want string }{
			"htb classes under a tbf": {`
qdiscs:
  - {dev: v0, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms}
classes:
  - {dev: v0, classid: "1:1", kind: htb, rate: 10mbit}
`, ".yaml:5: txn: invalid spec: class 1:1 dev v0: qdisc 1: on v0 is tbf after this transaction, which takes no htb classes"},
			"a class in use": {`
classes:
  - {dev: v0, classid: "1:10", absent: true}
`, ".yaml:3: txn: invalid spec: class 1:10 dev v0: filter dev v0 parent 1: protocol all pref 1 chain 0 handle 0x1 sends packets to it (flowid)"},
			"a filter on a classless qdisc": {`
qdiscs:
  - {dev: v0, parent: "1:10", handle: "10:", kind: pfifo}
filters:
  - {dev: v0, parent: "10:", protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
`, ".yaml:5: txn: invalid spec: filter dev v0 parent 10: protocol all pref 1 chain 0 handle 0x1: qdisc 10: of v0 is pfifo, which has no filter block"},
			"a qdisc under a class with a child": {`
classes:
  - {dev: v0, classid: "1:20", parent: "1:10", kind: htb, rate: 1mbit}
qdiscs:
  - {dev: v0, parent: "1:10", handle: "10:", kind: pfifo}
`, ".yaml:5: txn: invalid spec: qdisc 10: dev v0 parent 1:10: class 1:10 has a child class (1:20) after this transaction"},
		} {
			f := writeStateFile(t, t.TempDir(), strings.ReplaceAll(name, " ", "_")+".yaml", c.text)
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", f)
			if code == exitApplied || !strings.Contains(errs, c.want) {
				t.Errorf("%s: exit %d, want an error with %q\n%s%s", name, code, c.want, out, errs)
			}
		}
		if after := tcOut(t, ns, "qdisc", "show") + tcOut(t, ns, "class", "show", "dev", "v0") + tcOut(t, ns, "filter", "show", "dev", "v0"); after != before {
			t.Errorf("refused files changed tc's objects:\n%s\nwas\n%s", after, before)
		}
	})
}

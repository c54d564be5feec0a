package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// tcStatsKeys are the keys of tc -s that traffic changes by itself (the
// kernel's own IPv6 packets on a link that comes up), with how far two
// reads may differ; every other value must be equal.
var tcStatsKeys = map[string]float64{
	"bytes": 1e6, "packets": 1e4, "drops": 1e4, "overlimits": 1e4, "requeues": 1e4, "backlog": 1e6, "qlen": 1e4,
	"maxpacket": 1e4, "drop_overlimit": 1e4, "new_flow_count": 1e4, "ecn_mark": 1e4, "new_flows_len": 1e4, "old_flows_len": 1e4,
	"ce_mark": 1e4, "memory_used": 1e9, "gc": 1e4, "highprio": 1e4, "throttled": 1e4, "inactive": 1e4, "allot": 1e5,
	"lended": 1e4, "borrowed": 1e4, "giants": 1e4, "tokens": 1e9, "ctokens": 1e9,
	// cake's, and its tins'.
	"min_network_size": 1e5, "max_network_size": 1e5, "min_adj_size": 1e5, "max_adj_size": 1e5,
	"avg_hdr_offset": 1e5, "deficit": 1e5, "count": 1e5, "blue_prob": 1e9, "sent_bytes": 1e6, "sent_packets": 1e4,
	"backlog_bytes": 1e6, "peak_delay_us": 1e9, "avg_delay_us": 1e9, "base_delay_us": 1e9, "way_indirect_hits": 1e4,
	"way_misses": 1e4, "way_collisions": 1e4, "ack_drops": 1e4, "sparse_flows": 1e4, "bulk_flows": 1e4,
	"unresponsive_flows": 1e4, "max_pkt_len": 1e5,
}

// compareTCJSON compares `ipdb -j args...` with `tc -j tcArgs...` key for
// key, value for value, in tc's order (statistics within tcStatsKeys),
// retrying while they may still converge.
func compareTCJSON(t *testing.T, ns *nstest.NS, args []string, tcArgs ...string) {
	t.Helper()
	opts := oracle.JSONOptions{Tolerance: tcStatsKeys}
	var last error
	err := nstest.Eventually(10*time.Second, func() error {
		want := iproute2JSON(t, ns, append([]string{"tc", "-j"}, tcArgs...))
		if string(want) == "[]" {
			return fmt.Errorf("tc shows nothing: the setup failed")
		}
		code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, args...)...)
		if code != exitOK {
			return fmt.Errorf("exit %d: %s", code, errs)
		}
		last = oracle.CompareJSON([]byte(out), want, opts)
		return last
	})
	if err != nil {
		t.Errorf("ipdb %s vs tc -j %s: %v", strings.Join(args, " "), strings.Join(tcArgs, " "), err)
	}
}

// compareFilterShow compares `ipdb show filter SEL...` with `tc filter
// show SEL...`: the JSON and the table's text, plain and with -d.
func compareFilterShow(t *testing.T, ns *nstest.NS, sel ...string) {
	t.Helper()
	args := append([]string{"show", "filter"}, sel...)
	tcArgs := append([]string{"filter", "show"}, sel...)
	d := func(a []string) []string { return append([]string{"-d"}, a...) }
	compareTCJSON(t, ns, args, tcArgs...)
	compareTCJSON(t, ns, d(args), d(tcArgs)...)
	compareTCText(t, ns, "filter", false, args, tcArgs...)
	compareTCText(t, ns, "filter", false, d(args), d(tcArgs)...)
}

// tcTextLines is tc's text, one line per object (continuation lines,
// which start with a space or a tab, joined), spaces collapsed, sorted.
func tcTextLines(t *testing.T, ns *nstest.NS, args ...string) []string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(tcIn(t, ns, args...), "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += " " + strings.Join(strings.Fields(line), " ")
			continue
		}
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	sort.Strings(lines)
	return lines
}

// showTCRows is `ipdb args...`'s table as tc's lines: what (qdisc, class
// or filter) first, then the kind and handle (qdisc, class) and "dev X"
// where tc prints it, the rest after.
func showTCRows(t *testing.T, ns *nstest.NS, what string, withDev bool, args ...string) []string {
	t.Helper()
	code, out, errs := runCmd(t, append([]string{"-n", ns.Name}, args...)...)
	if code != exitOK {
		t.Fatalf("ipdb %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line) // dev kind handle rest
		var r []string
		switch {
		case what == "filter":
			r = append([]string{"filter"}, f[1:]...)
			if withDev {
				r = append([]string{"filter", "dev", f[0]}, f[1:]...)
			}
		case withDev:
			r = append([]string{what, f[1], f[2], "dev", f[0]}, f[3:]...)
		default:
			r = append([]string{what}, f[1:]...)
		}
		rows = append(rows, strings.Join(r, " "))
	}
	sort.Strings(rows)
	return rows
}

// compareTCText compares show's table with tc's text, retrying while
// statistics may move between the two reads.
func compareTCText(t *testing.T, ns *nstest.NS, what string, withDev bool, args []string, tcArgs ...string) {
	t.Helper()
	var d string
	err := nstest.Eventually(10*time.Second, func() error {
		got, want := showTCRows(t, ns, what, withDev, args...), tcTextLines(t, ns, tcArgs...)
		if d = diffLines(got, want); d != "" || len(got) == 0 {
			return fmt.Errorf("differ")
		}
		return nil
	})
	if err != nil {
		t.Errorf("ipdb %s differs from tc %s:\n%s", strings.Join(args, " "), strings.Join(tcArgs, " "), d)
	}
}

// TestTCShowDetailsStats: -d and -s print what tc -d and tc -s print, for
// qdiscs (JSON and table), classes (tc's text in the table, its keys in
// the JSON) and filters (-d); -s of another table is refused.
func TestTCShowDetailsStats(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyTC(t, ns)
		compareTCJSON(t, ns, []string{"-s", "show", "qdiscs"}, "-s", "qdisc", "show")
		compareTCJSON(t, ns, []string{"-s", "-d", "show", "qdiscs"}, "-s", "-d", "qdisc", "show")
		compareTCJSON(t, ns, []string{"-d", "-s", "show", "qdisc", "dev", "v0"}, "-d", "-s", "qdisc", "show", "dev", "v0")
		compareTCJSON(t, ns, []string{"-d", "show", "filters", "dev", "v0"}, "-d", "filter", "show", "dev", "v0")

		compareTCText(t, ns, "qdisc", true, []string{"show", "qdisc"}, "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-d", "show", "qdisc"}, "-d", "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-s", "show", "qdisc"}, "-s", "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-s", "-d", "show", "qdisc"}, "-s", "-d", "qdisc", "show")
		compareTCText(t, ns, "class", false, []string{"-d", "show", "class", "dev", "v0"}, "-d", "class", "show", "dev", "v0")
		compareTCText(t, ns, "class", false, []string{"-s", "show", "class", "dev", "v0"}, "-s", "class", "show", "dev", "v0")
		compareTCText(t, ns, "class", false, []string{"-s", "-d", "show", "class", "dev", "v0"}, "-s", "-d", "class", "show", "dev", "v0")

		// Classes' JSON: tc 6.1 prints text; the keys are its words.
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "-s", "-d", "show", "class", "dev", "v0")
		if code != exitOK {
			t.Fatalf("-s -d show class: exit %d: %s", code, errs)
		}
		var cs []map[string]any
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(regexp.QuoteMeta(`{"class":"htb","handle":"1:10","dev":"v0","root":true,"leaf":"20:","prio":0,"quantum":12500,"rate":125000,"ceil":125000,"linklayer":"ethernet","burst":1600,"mpu":0,"cburst":1600,"mpu":0,"level":0,`) +
			`"bytes":\d+,"packets":\d+,"drops":\d+,"overlimits":\d+,"requeues":\d+,"backlog":\d+,"qlen":\d+,"lended":\d+,"borrowed":\d+,"giants":\d+,"tokens":-?\d+,"ctokens":-?\d+\}`)
		if !re.MatchString(out) {
			t.Errorf("-s -d show class -j lacks %s\n%s", re, out)
		}

		// -a: every namespace's, with the statistics.
		code, out, errs = runCmd(t, "-a", "-j", "-s", "show", "qdiscs")
		if code != exitOK {
			t.Fatalf("-a -s show qdiscs: exit %d: %s", code, errs)
		}
		if re := regexp.MustCompile(`\{"netns":"` + regexp.QuoteMeta(ns.Name) + `","kind":"htb","handle":"1:","dev":"v0","root":true,"refcnt":\d+,"options":\{[^}]*\},"bytes":\d+,"packets":\d+,`); !re.MatchString(out) {
			t.Errorf("-a -j -s show qdiscs lacks %s", re)
		}

		for _, args := range [][]string{{"-s", "show", "routes"}, {"-br", "show", "qdiscs"}} {
			if code, _, errs := runCmd(t, append([]string{"-n", ns.Name}, args...)...); code != exitUsage || !strings.Contains(errs, "is for show") {
				t.Errorf("ipdb %s: exit %d %q, want a usage error", strings.Join(args, " "), code, errs)
			}
		}
	})
}

// everyFullKernelTC builds the tc kinds this host's kernel lacks and the
// guest's full kernel has (.ci/vm/run.sh): under a prio root on v0 an
// fq, a netem (random delay, loss, duplication, reordering, corruption
// and rate) and an sfq, another netem (a loss state model and slots) on
// v5 (a duplicating netem takes no other in its tree); a cake
// on v1 and another on v2; an sfq with RED on v3; filters on v0 (flower
// with gact, mirred, police and gact, matchall with a gact probability and
// a bpf action, basic with a policer, u32 with a policer and an action),
// and on v4 an fq_codel under a prio and a basic filter with an ematch.
func everyFullKernelTC(t *testing.T, ns *nstest.NS) {
	t.Helper()
	for _, k := range []string{"prio", "fq", "fq_codel", "netem", "sfq", "cake"} {
		ns.NeedTC(t, "qdisc", k)
	}
	for _, k := range []string{"flower", "matchall", "basic"} {
		ns.NeedTC(t, "filter", k, "action", "gact", "pass") // matchall and basic want one
	}
	ns.NeedTC(t, "action", "gact", "drop")
	ns.NeedTC(t, "action", "mirred", "egress", "mirror", "dev", "lo")
	ns.NeedTC(t, "action", "police", "rate", "1mbit", "burst", "10k")
	ns.NeedTC(t, "action", "bpf", "bytecode", "1,6 0 0 0")
	ns.Batch(
		"link set lo up",
		"link add v0 type veth peer name v5",
		"link add v1 type veth peer name v2",
		"link add v3 type veth peer name v4",
		"link set v0 up", "link set v1 up", "link set v2 up", "link set v3 up", "link set v4 up", "link set v5 up",
	)
	// v2's cake (autorate-ingress) sets its bandwidth from what v2 sends,
	// with no notification: with IPv6 off v2 sends nothing (no DAD, router
	// solicitation or MLD report), and the bandwidth stays "unlimited" for
	// show and tc alike.
	if err := ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/v2/disable_ipv6", []byte("1"), 0)
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"qdisc", "add", "dev", "v0", "root", "handle", "1:", "prio", "bands", "4", "priomap", "3", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1", "1", "1", "1"},
		{"qdisc", "add", "dev", "v0", "parent", "1:1", "handle", "10:", "fq", "limit", "1000", "flow_limit", "50", "quantum", "3028", "initial_quantum", "15140",
			"maxrate", "10mbit", "nopacing", "buckets", "256", "orphan_mask", "511", "refill_delay", "50ms", "ce_threshold", "5ms", "timer_slack", "20us", "horizon", "5s", "horizon_drop"},
		{"qdisc", "add", "dev", "v0", "parent", "1:2", "handle", "20:", "netem", "limit", "500", "delay", "100ms", "10ms", "25%", "loss", "1%", "30%",
			"duplicate", "2%", "reorder", "10%", "50%", "corrupt", "0.5%", "rate", "1mbit", "20", "100", "5"},
		{"qdisc", "add", "dev", "v5", "root", "handle", "9:", "netem", "delay", "10ms", "loss", "state", "1%", "10%", "slot", "1ms", "2ms", "packets", "4", "bytes", "3000"},
		{"qdisc", "add", "dev", "v0", "parent", "1:4", "handle", "40:", "sfq", "limit", "100", "quantum", "1514", "depth", "64", "headdrop", "perturb", "10", "divisor", "512"},
		{"qdisc", "add", "dev", "v1", "root", "handle", "5:", "cake", "bandwidth", "10mbit", "diffserv4", "dual-dsthost", "nat", "wash", "ack-filter",
			"split-gso", "rtt", "50ms", "atm", "overhead", "18", "mpu", "64", "memlimit", "1mb", "fwmark", "0xff"},
		{"qdisc", "add", "dev", "v2", "root", "handle", "6:", "cake", "unlimited", "besteffort", "flows", "raw", "ingress", "autorate-ingress", "ack-filter-aggressive"},
		{"qdisc", "add", "dev", "v3", "root", "handle", "7:", "sfq", "limit", "200", "redflowlimit", "100000", "min", "8000", "max", "60000",
			"probability", "0.2", "avpkt", "1000", "burst", "20", "ecn", "harddrop"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "pref", "1", "flower", "classid", "1:1", "dst_ip", "192.0.2.0/24", "src_ip", "198.51.100.1",
			"ip_proto", "tcp", "dst_port", "80", "src_mac", "02:00:00:00:00:01", "skip_hw", "action", "gact", "drop"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ipv6", "pref", "2", "flower", "dst_ip", "2001:db8::/32", "ip_proto", "udp", "src_port", "53",
			"action", "mirred", "egress", "redirect", "dev", "v5"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "802.1q", "pref", "3", "flower", "vlan_id", "100", "vlan_prio", "3", "vlan_ethtype", "ipv4",
			"dst_mac", "02:00:00:00:00:02/ff:ff:ff:00:00:00", "action", "police", "rate", "1mbit", "burst", "10k", "conform-exceed", "drop/pipe", "action", "gact", "pass"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "all", "pref", "4", "matchall", "classid", "1:2", "skip_hw",
			"action", "gact", "drop", "random", "determ", "pass", "10", "action", "bpf", "bytecode", "1,6 0 0 4294967295"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "pref", "5", "basic", "classid", "1:3", "police", "rate", "2mbit", "burst", "20k", "drop"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "pref", "6", "u32", "match", "ip", "dst", "203.0.113.0/24",
			"police", "rate", "3mbit", "burst", "30k", "continue", "action", "mirred", "ingress", "mirror", "dev", "v5", "flowid", "1:4"},
		{"qdisc", "add", "dev", "v4", "root", "handle", "8:", "prio"},
		{"qdisc", "add", "dev", "v4", "parent", "8:1", "handle", "81:", "fq_codel", "limit", "100", "flows", "64", "target", "3ms",
			"ce_threshold", "2ms", "memory_limit", "4mb", "ecn", "drop_batch", "32"},
		{"filter", "add", "dev", "v4", "parent", "8:", "protocol", "ip", "pref", "1", "basic", "match", "cmp(u8 at 0 layer link eq 1)", "classid", "8:2",
			"action", "gact", "pipe", "action", "mirred", "ingress", "mirror", "dev", "v5"},
	} {
		tcIn(t, ns, c...)
	}
}

// TestTCShowEveryKind: on a kernel with every tc kind (the guest's),
// show prints what tc prints for fq, netem, prio, sfq and cake, flower,
// matchall, basic and u32 filters and the actions gact, mirred, police
// and bpf: the JSON key for key in tc's order, with -d and -s, and the
// table's rows as tc's text. tc 6.1 writes a basic filter's ematch as
// text inside its JSON; the comparison takes that text out and checks
// it against ipdb's "ematch" key.
func TestTCShowEveryKind(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyFullKernelTC(t, ns)
		compareTCJSON(t, ns, []string{"show", "qdiscs"}, "qdisc", "show")
		compareTCJSON(t, ns, []string{"-d", "show", "qdiscs"}, "-d", "qdisc", "show")
		compareTCJSON(t, ns, []string{"-s", "show", "qdiscs"}, "-s", "qdisc", "show")
		compareTCJSON(t, ns, []string{"-s", "-d", "show", "qdisc", "dev", "v3"}, "-s", "-d", "qdisc", "show", "dev", "v3")
		// The kinds' own statistics were there to compare.
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "-s", "show", "qdiscs")
		if code != exitOK {
			t.Fatalf("-s show qdiscs: exit %d: %s", code, errs)
		}
		for _, k := range []string{`"gc":`, `"maxpacket":`, `"memory_limit":`, `"tins":[{"threshold_rate":`, `"prob_drop":`} {
			if !strings.Contains(out, k) {
				t.Errorf("-s show qdiscs lacks %s: %s", k, out)
			}
		}
		compareTCJSON(t, ns, []string{"show", "filters", "dev", "v0"}, "filter", "show", "dev", "v0")
		compareTCJSON(t, ns, []string{"-d", "show", "filters", "dev", "v0"}, "-d", "filter", "show", "dev", "v0")

		compareTCText(t, ns, "qdisc", true, []string{"show", "qdisc"}, "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-d", "show", "qdisc"}, "-d", "qdisc", "show")
		compareTCText(t, ns, "qdisc", true, []string{"-s", "show", "qdisc"}, "-s", "qdisc", "show")
		compareTCText(t, ns, "class", false, []string{"show", "class", "dev", "v0"}, "class", "show", "dev", "v0")
		compareTCText(t, ns, "class", false, []string{"-s", "show", "class", "dev", "v0"}, "-s", "class", "show", "dev", "v0")
		compareTCText(t, ns, "filter", false, []string{"show", "filter", "dev", "v0"}, "filter", "show", "dev", "v0")
		compareTCText(t, ns, "filter", false, []string{"show", "filter", "dev", "v4"}, "filter", "show", "dev", "v4")

		// The basic filter with an ematch: tc's JSON without its text
		// lines, and the text as ipdb's "ematch".
		var text []string
		var js strings.Builder
		for _, l := range strings.Split(tcIn(t, ns, "-j", "filter", "show", "dev", "v4"), "\n") {
			if s := strings.TrimSpace(l); s != "" && !strings.ContainsRune("[]{},\"", rune(s[0])) {
				text = append(text, s)
				continue
			}
			js.WriteString(l)
		}
		code, out, errs = runCmd(t, "-n", ns.Name, "-j", "show", "filters", "dev", "v4")
		if code != exitOK {
			t.Fatalf("show filters dev v4: exit %d: %s", code, errs)
		}
		if err := oracle.CompareJSON([]byte(out), []byte(js.String()), oracle.JSONOptions{Extra: []string{"ematch"}}); err != nil {
			t.Errorf("show filters dev v4 vs tc -j filter show dev v4 (its text out): %v\ntc: %s", err, js.String())
		}
		var fs []struct {
			Options struct{ Ematch string } `json:"options"`
		}
		if err := json.Unmarshal([]byte(out), &fs); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			if f.Options.Ematch != "" {
				got = append(got, f.Options.Ematch)
			}
		}
		if strings.Join(got, " ") != strings.Join(strings.Fields(strings.Join(text, " ")), " ") {
			t.Errorf("ematch %q, tc prints %q", got, text)
		}
	})
}

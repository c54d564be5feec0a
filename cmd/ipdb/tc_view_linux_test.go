package main

import (
	"encoding/json"
	"fmt"
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
	"ce_mark": 1e4, "memory_used": 1e7, "gc": 1e4, "highprio": 1e4, "throttled": 1e4, "inactive": 1e4, "allot": 1e5,
	"lended": 1e4, "borrowed": 1e4, "giants": 1e4, "tokens": 1e9, "ctokens": 1e9,
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

// tcTextLines is tc's text, one line per object (continuation lines,
// which start with a space, joined), spaces collapsed, sorted.
func tcTextLines(t *testing.T, ns *nstest.NS, args ...string) []string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(tcIn(t, ns, args...), "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, " ") && len(lines) > 0 {
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

		for _, args := range [][]string{{"-s", "show", "filters"}, {"-s", "show", "routes"}, {"-br", "show", "qdiscs"}} {
			if code, _, errs := runCmd(t, append([]string{"-n", ns.Name}, args...)...); code != exitUsage || !strings.Contains(errs, "is for show") {
				t.Errorf("ipdb %s: exit %d %q, want a usage error", strings.Join(args, " "), code, errs)
			}
		}
	})
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// tcIn runs `tc -n NS args...` and fails the test on an error.
func tcIn(t *testing.T, ns *nstest.NS, args ...string) string {
	t.Helper()
	out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// everyTC builds every tc kind this kernel has: htb with three classes,
// two tbf (one with a peak rate) and a pfifo under them, a bfifo on lo, mq with its pfifo_fast
// children and a pfifo_fast root on a two-queue veth, ingress and clsact,
// u32 filters (a hash table and key nodes) and a classic bpf filter.
func everyTC(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.Batch(
		"link set lo up",
		"link add v0 type veth peer name v1",
		"link add v2 numtxqueues 2 numrxqueues 2 type veth peer name v3 numtxqueues 2 numrxqueues 2",
		"link set v0 up", "link set v1 up", "link set v2 up", "link set v3 up",
	)
	for _, c := range [][]string{
		{"qdisc", "replace", "dev", "lo", "root", "bfifo", "limit", "30000"},
		{"qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb", "default", "10"},
		{"class", "add", "dev", "v0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit"},
		{"class", "add", "dev", "v0", "parent", "1:", "classid", "1:20", "htb", "rate", "2mbit", "ceil", "5mbit", "prio", "3"},
		{"qdisc", "add", "dev", "v0", "parent", "1:10", "handle", "20:", "tbf", "rate", "1mbit", "burst", "10k", "latency", "50ms"},
		{"qdisc", "add", "dev", "v0", "parent", "1:20", "handle", "30:", "pfifo", "limit", "30"},
		{"class", "add", "dev", "v0", "parent", "1:", "classid", "1:30", "htb", "rate", "3mbit"},
		{"qdisc", "add", "dev", "v0", "parent", "1:30", "handle", "40:", "tbf", "rate", "1mbit", "burst", "20k", "latency", "70ms", "peakrate", "2mbit", "mtu", "2000", "overhead", "10"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "192.0.2.0/24", "flowid", "1:10"},
		{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "src", "198.51.100.0/24", "match", "ip", "tos", "0x10", "0xff", "flowid", "1:20"},
		{"qdisc", "add", "dev", "v1", "clsact"},
		{"filter", "add", "dev", "v1", "ingress", "prio", "3", "bpf", "bytecode", "1,6 0 0 0,", "classid", "1:1"},
		{"qdisc", "add", "dev", "v2", "root", "handle", "5:", "mq"},
		{"qdisc", "add", "dev", "v3", "root", "pfifo_fast"},
		{"qdisc", "add", "dev", "v3", "ingress"},
	} {
		tcIn(t, ns, c...)
	}
}

// TestTCShowEqualsTC: `show qdiscs -j` is `tc -j qdisc show` (`-d show
// qdiscs -j` is `tc -j -d qdisc show`) and `show
// filters dev X -j` is `tc -j filter show dev X`, key by key, value by
// value, in tc's order; classes are `tc class show dev X`'s text, word for
// word, in the table and as the JSON's keys; serve's /v1/qdiscs,
// /v1/classes and /v1/filters return what show (-d for qdiscs and
// filters) prints (no shared block here, whose filters show repeats per
// bound link and serve lists once: TestServeTCTables), and the metric
// counts each kind.
func TestTCShowEqualsTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyTC(t, ns)
		compareArgsWithIP(t, ns, []string{"show", "qdiscs"}, []string{"tc", "-j", "qdisc", "show"})
		compareArgsWithIP(t, ns, []string{"-d", "show", "qdiscs"}, []string{"tc", "-j", "-d", "qdisc", "show"})
		compareArgsWithIP(t, ns, []string{"-d", "show", "qdisc", "dev", "v2"}, []string{"tc", "-j", "-d", "qdisc", "show", "dev", "v2"})
		compareArgsWithIP(t, ns, []string{"show", "filters", "dev", "v0"}, []string{"tc", "-j", "filter", "show", "dev", "v0"})
		compareArgsWithIP(t, ns, []string{"show", "fi", "dev", "v0"}, []string{"tc", "-j", "filter", "show", "dev", "v0"})

		// v1's filters hang in clsact's ingress block: tc asked for that
		// block prints no "ingress"; ipdb, which lists every block, does.
		var want, got []map[string]any
		if err := json.Unmarshal([]byte(tcIn(t, ns, "-j", "filter", "show", "dev", "v1", "ingress")), &want); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "filters", "dev", "v1")
		if code != exitOK {
			t.Fatalf("show filters dev v1: exit %d: %s", code, errs)
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if o["ingress"] != true {
				t.Errorf("filter of v1 without ingress: %v", o)
			}
			delete(o, "ingress")
		}
		if len(want) != 2 || !reflect.DeepEqual(got, want) {
			t.Errorf("show filters dev v1:\n%v\nwant (tc filter show dev v1 ingress)\n%v", got, want)
		}
		if !strings.Contains(out, `"bytecode":{"length":1,"insns":[{"code":6,"jt":0,"jf":0,"k":0}]}`) {
			t.Errorf("bpf filter without its bytecode: %s", out)
		}

		// The table's rows are tc's text lines: the link in its own
		// column, the rest in tc's words (u32's match lines joined).
		showRows := func(table string, args ...string) []string {
			code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "show", table}, args...)...)
			if code != exitOK {
				t.Fatalf("show %s: exit %d: %s", table, code, errs)
			}
			var rows []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
				rows = append(rows, strings.Join(strings.Fields(line), " "))
			}
			return rows
		}
		tcLines := func(args ...string) []string {
			var lines []string
			for _, line := range strings.Split(strings.TrimSpace(tcIn(t, ns, args...)), "\n") {
				if strings.HasPrefix(line, "  ") && len(lines) > 0 {
					lines[len(lines)-1] += " " + strings.Join(strings.Fields(line), " ")
					continue
				}
				lines = append(lines, strings.Join(strings.Fields(line), " "))
			}
			sort.Strings(lines)
			return lines
		}
		var qrows []string
		for _, r := range showRows("qdisc") {
			f := strings.Fields(r) // dev kind handle rest
			qrows = append(qrows, strings.Join(append([]string{"qdisc", f[1], f[2], "dev", f[0]}, f[3:]...), " "))
		}
		sort.Strings(qrows)
		if d := diffLines(qrows, tcLines("qdisc", "show")); d != "" {
			t.Errorf("show qdisc differs from tc qdisc show:\n%s", d)
		}
		var frows []string
		for _, r := range showRows("filter", "dev", "v0") {
			_, rest, _ := strings.Cut(r, " ")
			frows = append(frows, "filter "+rest)
		}
		sort.Strings(frows)
		if d := diffLines(frows, tcLines("filter", "show", "dev", "v0")); d != "" || len(frows) < 4 {
			t.Errorf("show filter dev v0 differs from tc filter show dev v0:\n%s", d)
		}

		// Classes: tc 6.1 prints text even with -j; each table row is
		// tc's line after "class", with the link in its own column.
		code, out, errs = runCmd(t, "-n", ns.Name, "show", "classes", "dev", "v0")
		if code != exitOK {
			t.Fatalf("show classes: exit %d: %s", code, errs)
		}
		var rows []string
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if i == 0 {
				if len(f) != 2 || f[0] != "DEV" || f[1] != "OBJECT" {
					t.Errorf("table header %q", line)
				}
				continue
			}
			if len(f) < 2 || f[0] != "v0" {
				t.Errorf("row %q is not v0's", line)
				continue
			}
			rows = append(rows, "class "+strings.Join(f[1:], " "))
		}
		var tcRows []string
		for _, line := range strings.Split(strings.TrimSpace(tcIn(t, ns, "class", "show", "dev", "v0")), "\n") {
			tcRows = append(tcRows, strings.Join(strings.Fields(line), " "))
		}
		// diffLines compares sorted lists.
		sort.Strings(rows)
		sort.Strings(tcRows)
		if d := diffLines(rows, tcRows); d != "" || len(rows) < 3 {
			t.Errorf("show classes differs from tc class show:\n%s\n%q", d, rows)
		}
		code, out, errs = runCmd(t, "-n", ns.Name, "-j", "show", "class")
		if code != exitOK {
			t.Fatalf("show class -j: exit %d: %s", code, errs)
		}
		for _, w := range []string{
			`{"class":"htb","handle":"1:10","dev":"v0","root":true,"leaf":"20:","prio":0,"rate":125000,"ceil":125000,"burst":1600,"cburst":1600}`,
			`{"class":"htb","handle":"1:20","dev":"v0","root":true,"leaf":"30:","prio":3,"rate":250000,"ceil":625000,`,
			`{"class":"tbf","handle":"20:1","dev":"v0","parent":"20:"}`,
			`{"class":"mq","handle":"5:1","dev":"v2","root":true}`,
		} {
			if !strings.Contains(out, w) {
				t.Errorf("show class -j lacks %s\n%s", w, out)
			}
		}

		// serve returns what show prints.
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		for _, table := range []string{"qdiscs", "classes", "filters"} {
			var last error
			err := nstest.Eventually(10*time.Second, func() error {
				// serve prints qdiscs and filters with tc -d's details.
				args := []string{"-n", ns.Name, "-j", "show", table}
				if table != "classes" {
					args = []string{"-n", ns.Name, "-j", "-d", "show", table}
				}
				code, shown, errs := runCmd(t, args...)
				if code != exitOK {
					t.Fatalf("show %s: exit %d: %s", table, code, errs)
				}
				hc, body := httpGet(t, hs.URL+"/v1/"+table)
				if hc != http.StatusOK {
					t.Fatalf("/v1/%s: %d %s", table, hc, body)
				}
				last = oracle.CompareJSON(body, []byte(shown), oracle.JSONOptions{Unordered: true, Tolerance: map[string]float64{"refcnt": 2}})
				return last
			})
			if err != nil {
				t.Errorf("/v1/%s differs from show %s: %v", table, table, err)
			}
		}
		hc, body := httpGet(t, hs.URL+"/metrics")
		if hc != http.StatusOK {
			t.Fatalf("/metrics: %d", hc)
		}
		// lo bfifo, v0 htb tbf pfifo, v1 noqueue clsact, v2 mq and two
		// pfifo_fast, v3 pfifo_fast ingress (tbf's inner bfifo is no
		// qdisc of the dump).
		var qs []json.RawMessage
		if err := json.Unmarshal([]byte(tcIn(t, ns, "-j", "qdisc", "show")), &qs); err != nil {
			t.Fatal(err)
		}
		for _, re := range []string{
			`ipdb_objects\{table="qdiscs"\} ` + strconv.Itoa(len(qs)) + "\n",
			`ipdb_objects\{table="classes"\} [1-9]\d*`,
			`ipdb_objects\{table="filters"\} [1-9]\d*`,
		} {
			if !regexp.MustCompile(re).Match(body) {
				t.Errorf("/metrics lacks %s:\n%s", re, body)
			}
		}
	})
}

// TestTCMonitor: monitor prints a line per tc change in tc monitor's
// words: kind, handle, dev and parent of a qdisc, a class's line, a
// filter's identity.
func TestTCMonitor(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor", "qdisc", "class", "filter")
		time.Sleep(300 * time.Millisecond)
		steps := []struct {
			tc   []string
			want []string
		}{
			{[]string{"qdisc", "add", "dev", "v0", "root", "handle", "1:", "htb", "default", "10"},
				[]string{`qdisc (add|change) htb 1: dev v0 root( refcnt \d+)? r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000$`}},
			{[]string{"class", "add", "dev", "v0", "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit"},
				[]string{`class add htb 1:10 dev v0 root prio 0 rate 1Mbit ceil 1Mbit burst 1600b cburst 1600b$`}},
			{[]string{"class", "change", "dev", "v0", "parent", "1:", "classid", "1:10", "htb", "rate", "2mbit"},
				[]string{`class change htb 1:10 dev v0 .*rate 1Mbit -> 2Mbit`}},
			{[]string{"qdisc", "add", "dev", "v0", "parent", "1:10", "handle", "20:", "pfifo", "limit", "7"},
				[]string{`qdisc add pfifo 20: dev v0 parent 1:10 .*limit 7p$`}},
			{[]string{"filter", "add", "dev", "v0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "192.0.2.0/24", "flowid", "1:10"},
				[]string{`filter add dev v0 parent 1: protocol ip pref 1 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 \*flowid 1:10 not_in_hw match c0000200/ffffff00 at 16$`}},
			{[]string{"qdisc", "del", "dev", "v0", "root"},
				[]string{`qdisc delete htb 1: dev v0 root`, `class delete htb 1:10 dev v0 `, `filter delete dev v0 parent 1: protocol ip pref 1 u32 chain 0 fh 800::800`}},
		}
		var text string
		for _, st := range steps {
			tcIn(t, ns, st.tc...)
			for _, w := range st.want {
				re := regexp.MustCompile(`(?m)^\[\d+\] ` + w)
				text = waitFor(t, w, out, func(s string) bool { return re.MatchString(s) })
			}
		}
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
		if m := regexp.MustCompile(`(?m)^\[\d+\] (link|addr|route|neigh) `).FindString(text); m != "" {
			t.Errorf("monitor qdisc class filter printed %q", m)
		}
	})
}

// TestTCWatch: /v1/watch?kind=qdisc streams qdisc events only, each
// object as show prints it.
func TestTCWatch(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/v1/watch?kind=qdisc", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/v1/watch?kind=qdisc: %d", resp.StatusCode)
		}
		tcIn(t, ns, "qdisc", "add", "dev", "v0", "root", "handle", "9:", "pfifo", "limit", "12")
		tcIn(t, ns, "qdisc", "add", "dev", "v1", "clsact")
		tcIn(t, ns, "filter", "add", "dev", "v1", "ingress", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", "192.0.2.0/24")
		sc := bufio.NewScanner(resp.Body)
		stopAt := time.AfterFunc(5*time.Second, cancel)
		defer stopAt.Stop()
		added, clsact := false, false
		for !(added && clsact) && sc.Scan() {
			var ev struct {
				Op, Kind string
				New      json.RawMessage
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("bad event line %q: %v", sc.Text(), err)
			}
			if ev.Kind != "qdisc" {
				t.Errorf("kind=qdisc let through %s", sc.Text())
			}
			clsact = clsact || (ev.Op == "add" && string(ev.New) == `{"kind":"clsact","handle":"ffff:","dev":"v1","parent":"ffff:fff1","options":{}}`)
			added = added || ev.Op == "add" && strings.HasPrefix(string(ev.New), `{"kind":"pfifo","handle":"9:","dev":"v0","root":true,`) &&
				strings.HasSuffix(string(ev.New), `"options":{"limit":12}}`)
		}
		if !added || !clsact {
			t.Errorf("/v1/watch?kind=qdisc: add of the pfifo 9: seen %v, of clsact %v", added, clsact)
		}
	})
}

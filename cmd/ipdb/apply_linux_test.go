package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

type showAll struct {
	Links  []map[string]any `json:"links"`
	Addrs  []map[string]any `json:"addrs"`
	Routes []map[string]any `json:"routes"`
	Neigh  []map[string]any `json:"neigh"`
	Rules  []map[string]any `json:"rules"`
}

func showJSON(t *testing.T, ns *nstest.NS) showAll {
	t.Helper()
	code, out, errs := runCmd(t, "--netns", ns.Name, "show", "-o", "json")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	var s showAll
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// find returns the first object whose fields equal want's (compared as
// JSON text).
func find(objs []map[string]any, want map[string]any) map[string]any {
	for _, o := range objs {
		ok := true
		for k, v := range want {
			ok = ok && jsonText(o[k]) == jsonText(v)
		}
		if ok {
			return o
		}
	}
	return nil
}

// TestApplySampleThenShow: applying testdata/sample.yaml makes every entry
// of the file appear in show's output; applying it again has nothing to do.
func TestApplySampleThenShow(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		file := filepath.Join("testdata", "sample.yaml")
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", file, "--dry-run")
		if code != exitApplied || !strings.Contains(out, "+ link br0") {
			t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
		}
		if links := showJSON(t, ns).Links; len(ownLinks(links)) != 1 {
			t.Fatalf("dry run changed the namespace: %v", links)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", file)
		if code != exitApplied {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		st, err := parseStateFile(data)
		if err != nil {
			t.Fatal(err)
		}
		s := showJSON(t, ns)
		for _, l := range st.Links {
			got := find(s.Links, map[string]any{"ifname": l.Name})
			if got == nil {
				t.Errorf("line %d: link %s missing", l.Line, l.Name)
				continue
			}
			if l.InfoKind != "" {
				if k := got["linkinfo"].(map[string]any)["info_kind"]; k != l.InfoKind {
					t.Errorf("link %s kind %v, want %s", l.Name, k, l.InfoKind)
				}
			}
			if l.MTU != nil && got["mtu"] != float64(*l.MTU) {
				t.Errorf("link %s mtu %v, want %d", l.Name, got["mtu"], *l.MTU)
			}
			if l.Up != nil && *l.Up && !slices.Contains(got["flags"].([]any), any("UP")) {
				t.Errorf("link %s not up: %v", l.Name, got["flags"])
			}
			if l.Master != nil && got["master"] != *l.Master {
				t.Errorf("link %s master %v, want %s", l.Name, got["master"], *l.Master)
			}
			if l.InfoKind == "vxlan" {
				d := got["linkinfo"].(map[string]any)["info_data"].(map[string]any)
				if d["id"] != float64(*l.ID) || d["remote"] != l.Remote.String() || d["port"] != float64(*l.Port) {
					t.Errorf("vxlan %s data %v", l.Name, d)
				}
			}
		}
		for _, a := range st.Addresses {
			link := find(s.Addrs, map[string]any{"ifname": a.Link})
			var infos []map[string]any
			if link != nil {
				for _, i := range link["addr_info"].([]any) {
					infos = append(infos, i.(map[string]any))
				}
			}
			if find(infos, map[string]any{"local": a.Address.Addr().String(), "prefixlen": a.Address.Bits()}) == nil {
				t.Errorf("line %d: address %s on %s missing", a.Line, a.Address.Prefix, a.Link)
			}
		}
		for _, r := range st.Routes {
			want := map[string]any{"dst": prefixString(r.Dst.Prefix)}
			if r.Table != nil {
				want["table"] = tableName(uint32(*r.Table))
			}
			if r.Gateway != nil {
				want["gateway"] = r.Gateway.String()
			}
			if r.Dev != "" {
				want["dev"] = r.Dev
			}
			if r.Metric != 0 {
				want["metric"] = r.Metric
			}
			if r.Type != "" {
				want["type"] = r.Type
			}
			if r.Protocol != "" {
				want["protocol"] = r.Protocol
			}
			if find(s.Routes, want) == nil {
				t.Errorf("line %d: route %v missing", r.Line, want)
			}
		}
		for _, n := range st.Neighbours {
			if find(s.Neigh, map[string]any{"dst": n.Dst.String(), "dev": n.Link, "lladdr": n.LLAddr.String()}) == nil {
				t.Errorf("line %d: neighbour %s missing", n.Line, n.Dst)
			}
		}
		for _, r := range st.Rules {
			want := map[string]any{"priority": r.Priority}
			if r.From != nil {
				want["src"], want["srclen"] = r.From.Addr().String(), r.From.Bits()
			}
			if r.To != nil {
				want["dst"], want["dstlen"] = r.To.Addr().String(), r.To.Bits()
			}
			if r.Action != "" && r.Action != "lookup" {
				want["action"] = r.Action
			} else {
				want["table"] = tableName(uint32(*r.Table))
			}
			if find(s.Rules, want) == nil {
				t.Errorf("line %d: rule %v missing", r.Line, want)
			}
		}
		// Again: nothing to do, a success (0), and with
		// --detailed-exitcode terraform's 0 for "no changes".
		for _, args := range [][]string{{}, {"--detailed-exitcode"}, {"--detailed-exitcode", "--dry-run"}} {
			code, out, errs = runCmd(t, append([]string{"--netns", ns.Name, "apply", "-f", file}, args...)...)
			if code != exitApplied || !strings.Contains(out, "nothing to do") {
				t.Errorf("second apply %v: exit %d, want 0\n%s%s", args, code, out, errs)
			}
		}
	})
}

// TestApplyFailureRollsBack: a file whose last route the kernel refuses
// (its gateway is unreachable) fails after the links and addresses were
// made; apply rolls everything back and says so with its exit status.
func TestApplyFailureRollsBack(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add keep0 type bridge", "link set keep0 up", "addr add 192.0.2.1/24 dev keep0", "link set lo up")
		// The link-local address's local route comes after DAD.
		ns.SettleIPv6(10 * time.Second)
		before := ipState(t, ns)
		file := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(file, []byte(`
links:
  - name: new0
    kind: bridge
    up: true
  - name: keep0
    mtu: 1400
addresses:
  - link: new0
    address: 198.51.100.1/24
routes:
  - dst: 203.0.113.0/24
    gateway: 192.0.2.254
  - dst: 203.0.113.128/25
    gateway: 2001:db8::99
    dev: new0
`), 0o644)
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", file)
		if code != exitRolledBack {
			t.Fatalf("exit %d, want %d (rolled back)\n%s%s", code, exitRolledBack, out, errs)
		}
		if !strings.Contains(errs, "rolled back") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("want one line saying it rolled back, got %q", errs)
		}
		t.Logf("apply said: %s", errs)
		// Carrier and IPv6 routes come back asynchronously after a link
		// goes up again.
		var after string
		nstest.Eventually(5*time.Second, func() error {
			if after = ipState(t, ns); after != before {
				return errors.New("differs")
			}
			return nil
		})
		if after != before {
			t.Errorf("namespace differs after rollback:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// ipState is ip's view of links, addresses, routes and rules, without the
// fields that change by themselves, once IPv6 duplicate address detection
// is over (until then the kernel has not made the local routes of the
// addresses: they are the kernel's, not an apply's).
func ipState(t *testing.T, ns *nstest.NS) string {
	ns.SettleDAD()
	var b strings.Builder
	for _, args := range [][]string{{"-o", "link"}, {"-br", "addr"}, {"route", "show", "table", "all"}, {"-6", "route", "show", "table", "all"}, {"rule"}} {
		b.WriteString(ns.IP(args...))
	}
	return b.String()
}

// TestProgressBar: the bar follows the cache while a large change lands
// and ends at 100%.
func TestProgressBar(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add pb0 type bridge", "link set pb0 up", "addr add 192.0.2.1/24 dev pb0")
		db := dbtest.Open(t, ns)
		var buf lockedBuffer
		const n = 300
		bar := startProgress(db, &buf, n)
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf("route add %s.%d/32 via 192.0.2.254", []string{"198.51.100", "203.0.113"}[i/256], i%256)
		}
		ns.Batch(lines...)
		waitFor(t, "progress", &buf, func(s string) bool { return strings.Contains(s, fmt.Sprintf("%d/%d", n-1, n)) })
		bar.stop(true)
		out := buf.String()
		if !strings.HasSuffix(out, fmt.Sprintf("100%% %d/%d\n", n, n)) || !strings.Contains(out, "\r[") {
			t.Errorf("bar output ends %q", out[max(0, len(out)-80):])
		}
		var nilBar *progressBar
		nilBar.stop(true) // no bar (not a terminal, small plan): nothing happens
	})
}

// TestApplyQuiet: -q prints nothing on success, changed or not; the exit
// status tells which (--detailed-exitcode); errors still go to stderr.
func TestApplyQuiet(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		file := filepath.Join(t.TempDir(), "state.yaml")
		os.WriteFile(file, []byte("links:\n  - name: br0\n    kind: bridge\n    up: true\naddresses:\n  - link: br0\n    address: 192.0.2.1/24\n"), 0o644)
		for i, want := range []int{exitChanges, exitApplied} {
			code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", file, "-q", "--detailed-exitcode")
			if code != want || out != "" || errs != "" {
				t.Errorf("run %d: exit %d (want %d), stdout %q, stderr %q", i, code, want, out, errs)
			}
		}
		if ns.Ifindex("br0") == 0 {
			t.Fatal("br0 not created")
		}
		os.WriteFile(file, []byte("links:\n  - name: br0\n    mtu: 1500.5\n"), 0o644)
		if code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", file, "-q"); code != exitError || out != "" || !strings.Contains(errs, ":3:") {
			t.Errorf("bad file with -q: exit %d, stdout %q, stderr %q", code, out, errs)
		}
	})
}

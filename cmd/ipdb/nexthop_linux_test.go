package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/netlink"
)

// everyNexthop builds a namespace with every nexthop shape this kernel
// has: single IPv4 and IPv6 nexthops (with a protocol), onlink, blackhole,
// device only, fdb, a group with weights, a one-member group, a resilient
// group with its parameters and an fdb group; and routes over a single
// nexthop (IPv4 and IPv6), over a one-member group and over a
// multi-member group.
func everyNexthop(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.Batch(
		"link set lo up", // blackhole nexthops need lo up
		"link add v0 type veth peer name v1",
		"link set v0 up", "link set v1 up",
		"addr add 192.0.2.1/24 dev v0",
		"addr add 2001:db8::1/64 dev v0 nodad",
		"nexthop add id 100 via 192.0.2.2 dev v0 proto static",
		"nexthop add id 101 via 192.0.2.3 dev v0",
		"nexthop add id 102 blackhole",
		"nexthop add id 103 dev v0",
		"nexthop add id 104 via 198.51.100.9 dev v0 onlink",
		"nexthop add id 105 via 2001:db8::2 dev v0 proto 99",
		"nexthop add id 106 via 192.0.2.4 fdb",
		"nexthop add id 107 via 192.0.2.5 fdb",
		"nexthop add id 200 group 100,3/101",
		"nexthop add id 201 group 101",
		"nexthop add id 202 group 100/101,7 type resilient buckets 8 idle_timer 60 unbalanced_timer 5",
		"nexthop add id 203 group 106/107 fdb",
		"route add 203.0.113.0/24 nhid 100",
		"route add 198.51.100.0/24 nhid 201",
		"route add 10.9.0.0/16 nhid 200",
		"route add 10.10.0.0/16 nhid 202 table 100",
		"route add 10.11.0.0/16 nhid 102",
	)
	ns.IP("-6", "route", "add", "2001:db8:9::/48", "nhid", "105")
}

// TestNexthopJSONEqualsIP: `show nexthops -o json` (and its aliases) is
// `ip -j -d nexthop show` and `show routes -o json` is `ip -j route show
// table all` for routes over nexthop objects, key by key, value by value,
// in ip's order; /v1/nexthops and /v1/routes serve the same objects; the
// table prints ip's words; the metric counts the nexthops.
func TestNexthopJSONEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyNexthop(t, ns)
		shown := map[string]string{}
		for _, table := range []string{"nexthops", "routes"} {
			out := compareJSONWithIP(t, ns, table, false, func() []byte {
				code, out, errs := runCmd(t, "--netns", ns.Name, "show", table, "-o", "json")
				if code != 0 {
					t.Fatalf("show %s: exit %d: %s", table, code, errs)
				}
				return []byte(out)
			})
			shown[table] = string(out)
		}
		for table, want := range map[string][]string{
			"nexthops": {
				`{"id":100,"gateway":"192.0.2.2","dev":"v0","scope":"link","protocol":"static","flags":[]}`,
				`{"id":102,"scope":"global","blackhole":null,"protocol":"unspec","flags":[]}`,
				`{"id":103,"dev":"v0","scope":"host",`,
				`"flags":["onlink"]`,
				`"gateway":"2001:db8::2","dev":"v0","scope":"link","protocol":"`,
				`{"id":106,"gateway":"192.0.2.4","scope":"link","protocol":"unspec","flags":[],"fdb":null}`,
				`"group":[{"id":100,"weight":3},{"id":101}]`,
				`{"id":201,"group":[{"id":101}]`,
				`"type":"resilient","resilient_args":{"buckets":8,"idle_timer":60,"unbalanced_timer":5,"unbalanced_time":0}`,
				`"group":[{"id":106},{"id":107}],"scope":"global","protocol":"unspec","flags":[],"fdb":null}`,
			},
			"routes": {
				`{"dst":"203.0.113.0/24","nhid":100,"gateway":"192.0.2.2","dev":"v0","flags":[]}`,
				`{"dst":"198.51.100.0/24","nhid":201,"gateway":"192.0.2.3","dev":"v0","flags":[]}`,
				`{"dst":"10.9.0.0/16","nhid":200,"flags":[],"nexthops":[{"gateway":"192.0.2.2","dev":"v0","weight":3,"flags":[]},{"gateway":"192.0.2.3","dev":"v0","weight":1,"flags":[]}]}`,
				`"dst":"2001:db8:9::/48","nhid":105,"gateway":"2001:db8::2","dev":"v0"`,
			},
		} {
			for _, w := range want {
				if !strings.Contains(shown[table], w) {
					t.Errorf("show %s -o json lacks %s\n%s", table, w, shown[table])
				}
			}
		}
		// The aliases ip takes name the same table.
		for _, alias := range []string{"nexthop", "nh"} {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", alias, "-o", "json")
			if code != 0 || out != shown["nexthops"] {
				t.Errorf("show %s: exit %d, %s\n%s\nwant\n%s", alias, code, errs, out, shown["nexthops"])
			}
		}

		// The table: each row is ip's line, the id in its own column.
		code, out, errs := runCmd(t, "--netns", ns.Name, "show", "nexthops")
		if code != 0 {
			t.Fatalf("show nexthops: exit %d: %s", code, errs)
		}
		var got []string
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if i == 0 {
				if f := strings.Fields(line); len(f) != 2 || f[0] != "ID" || f[1] != "NEXTHOP" {
					t.Errorf("table header %q", line)
				}
				continue
			}
			id, rest, _ := strings.Cut(line, " ")
			got = append(got, "id "+id+" "+strings.TrimSpace(rest))
		}
		var want []string
		for _, line := range strings.Split(strings.TrimSpace(ns.IP("nexthop", "show")), "\n") {
			want = append(want, strings.TrimSpace(line))
		}
		if d := diffLines(got, want); d != "" {
			t.Errorf("show nexthops differs from ip nexthop show:\n%s", d)
		}

		// The routes table has the nhid in its last column.
		code, out, errs = runCmd(t, "--netns", ns.Name, "show", "routes")
		if code != 0 {
			t.Fatalf("show routes: exit %d: %s", code, errs)
		}
		for dst, nhid := range map[string]string{"10.9.0.0/16": "200", "198.51.100.0/24": "201", "203.0.113.0/24": "100", "2001:db8:9::/48": "105"} {
			ok := false
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				ok = ok || (len(f) > 3 && f[2] == dst && f[len(f)-1] == nhid)
			}
			if !ok {
				t.Errorf("show routes: no row of %s ending in nhid %s:\n%s", dst, nhid, out)
			}
		}

		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		for _, table := range []string{"nexthops", "routes"} {
			compareJSONWithIP(t, ns, table, true, func() []byte {
				code, body := httpGet(t, hs.URL+"/v1/"+table)
				if code != http.StatusOK {
					t.Fatalf("/v1/%s: %d %s", table, code, body)
				}
				return body
			})
		}
		if code, body := httpGet(t, hs.URL+"/metrics"); code != http.StatusOK ||
			!strings.Contains(string(body), `ipdb_objects{table="nexthops"} 12`) {
			t.Errorf("/metrics: %d, no count of 12 nexthops:\n%s", code, body)
		}
	})
}

// TestNexthopShowAfterDelete: after `ip nexthop del`, which removes the
// routes over the nexthop without RTM_DELROUTE and shrinks its groups,
// serve's /v1/nexthops and /v1/routes still equal ip's, and
// /v1/watch?kind=nh streams the nexthop events only, as show prints them.
func TestNexthopShowAfterDelete(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyNexthop(t, ns)
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/v1/watch?kind=nh", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/v1/watch?kind=nh: %d", resp.StatusCode)
		}
		ns.Batch("nexthop del id 100", "nexthop replace id 101 via 192.0.2.6 dev v0")
		for _, table := range []string{"nexthops", "routes"} {
			body := compareJSONWithIP(t, ns, table, true, func() []byte {
				code, body := httpGet(t, hs.URL+"/v1/"+table)
				if code != http.StatusOK {
					t.Fatalf("/v1/%s: %d %s", table, code, body)
				}
				return body
			})
			if table == "routes" && (strings.Contains(string(body), `"nhid":100`) || !strings.Contains(string(body), `"nhid":200,"gateway":"192.0.2.6"`)) {
				t.Errorf("/v1/routes after deleting nexthop 100: %s", body)
			}
		}
		sc := bufio.NewScanner(resp.Body)
		stopAt := time.AfterFunc(5*time.Second, cancel)
		defer stopAt.Stop()
		var deleted, replaced bool
		for !(deleted && replaced) && sc.Scan() {
			var ev struct {
				Op, Kind string
				Old, New json.RawMessage
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("bad event line %q: %v", sc.Text(), err)
			}
			if ev.Kind != "nexthop" {
				t.Errorf("kind=nh let through %s", sc.Text())
			}
			deleted = deleted || (ev.Op == "delete" && string(ev.Old) == `{"id":100,"gateway":"192.0.2.2","dev":"v0","scope":"link","protocol":"static","flags":[]}`)
			replaced = replaced || (ev.Op == "change" && string(ev.New) == `{"id":101,"gateway":"192.0.2.6","dev":"v0","scope":"link","protocol":"unspec","flags":[]}`)
		}
		if !deleted || !replaced {
			t.Errorf("/v1/watch?kind=nh: delete of 100 seen %v, change of 101 seen %v", deleted, replaced)
		}
	})
}

// TestMonitorNexthops: monitor prints nexthop changes in `ip monitor
// nexthop`'s words (add, the change of a replace, delete, and the group a
// delete shrinks), and -o json prints the nexthop as show does.
func TestMonitorNexthops(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
			"addr add 192.0.2.1/24 dev v0")
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor")
		jout, jerrs, jstop := startCmd(t, "--netns", ns.Name, "monitor", "-o", "json")
		time.Sleep(300 * time.Millisecond)
		steps := []struct {
			cmds []string
			want []string
		}{
			{[]string{"nexthop add id 300 via 192.0.2.9 dev v0 proto static"},
				[]string{`nexthop add id 300 via 192\.0\.2\.9 dev v0 scope link proto static$`}},
			{[]string{"nexthop add id 301 via 192.0.2.8 dev v0"},
				[]string{`nexthop add id 301 via 192\.0\.2\.8 dev v0 scope link$`}},
			{[]string{"nexthop add id 302 group 300,2/301 type resilient buckets 4 idle_timer 30"},
				[]string{`nexthop add id 302 group 300,2/301 type resilient buckets 4 idle_timer 30 unbalanced_timer 0 unbalanced_time 0$`}},
			{[]string{"nexthop add id 303 blackhole"},
				[]string{`nexthop add id 303 blackhole$`}},
			{[]string{"route add 198.51.100.0/24 nhid 300"},
				[]string{`route add 198\.51\.100\.0/24 nhid 300 via 192\.0\.2\.9 dev v0$`}},
			{[]string{"nexthop replace id 300 via 192.0.2.7 dev v0 proto static"},
				[]string{`nexthop change id 300 via 192\.0\.2\.9 -> 192\.0\.2\.7$`,
					`route change 198\.51\.100\.0/24 dev v0 via 192\.0\.2\.9 -> 192\.0\.2\.7$`}},
			{[]string{"nexthop del id 301"},
				[]string{`nexthop delete id 301 via 192\.0\.2\.8 dev v0 scope link$`,
					`nexthop change id 302 group 300,2/301 -> 300,2$`}},
			{[]string{"nexthop del id 300"},
				[]string{`nexthop delete id 300 via 192\.0\.2\.7 dev v0 scope link proto static$`,
					`route delete 198\.51\.100\.0/24 nhid 300 via 192\.0\.2\.7 dev v0$`}},
		}
		var text string
		for _, st := range steps {
			ns.Batch(st.cmds...)
			for _, w := range st.want {
				re := regexp.MustCompile(`(?m)^\[\d+\] ` + w)
				text = waitFor(t, w, out, func(s string) bool { return re.MatchString(s) })
			}
		}
		if code := stop(); code != 0 {
			t.Fatalf("monitor exit %d: %s", code, errs.String())
		}
		if t.Failed() {
			t.Logf("monitor output:\n%s", text)
		}
		want := `{"id":300,"gateway":"192.0.2.9","dev":"v0","scope":"link","protocol":"static","flags":[]}`
		jtext := waitFor(t, "nexthop delete 300", jout, func(s string) bool {
			return strings.Contains(s, `"op":"delete","kind":"nexthop"`) && strings.Count(s, `"id":300,`) >= 3
		})
		if code := jstop(); code != 0 {
			t.Fatalf("monitor -o json exit %d: %s", code, jerrs.String())
		}
		found := false
		for _, line := range strings.Split(jtext, "\n") {
			var ev struct {
				Op, Kind string
				New      json.RawMessage
			}
			if json.Unmarshal([]byte(line), &ev) != nil || ev.Kind != netlink.KindNexthop.String() || ev.Op != "add" {
				continue
			}
			if string(ev.New) == want {
				found = true
			}
		}
		if !found {
			t.Errorf("monitor -o json has no nexthop add with %s:\n%s", want, jtext)
		}
	})
}

// TestLookupResolvesNexthop: a lookup whose route uses a nexthop object
// prints its nhid and the nexthop's hops (a single nexthop, onlink, a
// device only, a one-member group, a weighted group, a resilient group in
// another table, IPv6) as `ip route get ADDR fibmatch` does; after the
// nexthop is replaced it prints the new hops.
func TestLookupResolvesNexthop(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyNexthop(t, ns)
		ns.Batch("route add 10.12.0.0/16 nhid 104", "route add 10.13.0.0/16 nhid 103")
		cases := []struct {
			addr, table, text string
		}{
			{"203.0.113.5", "", "203.0.113.0/24 nhid 100 via 192.0.2.2 dev v0"},
			{"198.51.100.5", "", "198.51.100.0/24 nhid 201 via 192.0.2.3 dev v0"},
			{"10.9.1.1", "", "10.9.0.0/16 nhid 200 nexthop via 192.0.2.2 dev v0 weight 3 nexthop via 192.0.2.3 dev v0 weight 1"},
			{"10.10.1.1", "100", "10.10.0.0/16 nhid 202 table 100 nexthop via 192.0.2.2 dev v0 weight 1 nexthop via 192.0.2.3 dev v0 weight 7"},
			{"10.12.1.1", "", "10.12.0.0/16 nhid 104 via 198.51.100.9 dev v0 onlink"},
			{"10.13.1.1", "", "10.13.0.0/16 nhid 103 dev v0"},
			{"2001:db8:9::1", "", "2001:db8:9::/48 nhid 105 via 2001:db8::2 dev v0 metric 1024 pref medium"},
		}
		check := func(cases []struct{ addr, table, text string }) {
			t.Helper()
			for _, c := range cases {
				args := []string{"--netns", ns.Name, "lookup", c.addr}
				if c.table != "" {
					args = append(args, "--table", c.table)
					ns.IP("rule", "add", "to", c.addr, "lookup", c.table, "pref", "1")
				}
				code, out, errs := runCmd(t, append(args, "-o", "json")...)
				if code != 0 {
					t.Errorf("lookup %s: exit %d: %s", c.addr, code, errs)
					continue
				}
				got := lookupObject(t, out)
				want, err := oracle.RouteGetJSON(ns, c.addr, "fibmatch")
				if err != nil {
					t.Fatal(err)
				}
				if c.table != "" {
					ns.IP("rule", "del", "pref", "1")
				}
				for _, k := range []string{"type", "dst", "nhid", "gateway", "dev", "metric", "nexthops", "flags", "protocol", "scope"} {
					if g, w := jsonText(got[k]), jsonText(want[k]); g != w {
						t.Errorf("lookup %s: %s is %s, ip route get says %s\n got %s\nwant %v", c.addr, k, g, w, out, want)
					}
				}
				code, out, errs = runCmd(t, args...)
				if code != 0 || strings.TrimSpace(out) != c.text {
					t.Errorf("lookup %s: exit %d %s: %q, want %q", c.addr, code, errs, out, c.text)
				}
			}
		}
		check(cases)
		// A replaced nexthop: its routes' hops follow.
		ns.Batch("nexthop replace id 100 via 192.0.2.7 dev v0", "nexthop replace id 200 group 100/101,2")
		check([]struct{ addr, table, text string }{
			{"203.0.113.5", "", "203.0.113.0/24 nhid 100 via 192.0.2.7 dev v0"},
			{"10.9.1.1", "", "10.9.0.0/16 nhid 200 nexthop via 192.0.2.7 dev v0 weight 1 nexthop via 192.0.2.3 dev v0 weight 2"},
		})
	})
}

// TestApplyNexthops: a state file with nexthops (single, blackhole,
// groups with weights, resilient) and routes over them makes what ip
// shows; applying it again has nothing to do; a second file replaces a
// nexthop in place (its routes keep their nhid), moves a route to another
// nexthop and removes a nexthop and the route over it.
// A route over the blackhole nexthop is one the kernel reports as type
// blackhole, whether the file says so or not.
func TestApplyNexthops(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add v0 type veth peer name v1", "link set v0 up", "link set v1 up",
			"addr add 192.0.2.1/24 dev v0")
		dir := t.TempDir()
		write := func(name, text string) string { return writeStateFile(t, dir, name, text) }
		first := write("first.yaml", `
nexthops:
  - {id: 1, gateway: 192.0.2.2, dev: v0, protocol: static}
  - {id: 2, gateway: 192.0.2.3, dev: v0}
  - {id: 3, blackhole: true}
  - {id: 10, group: "1,3/2"}
  - id: 11
    group: [{id: 1}, {id: 2, weight: 2}]
    type: resilient
    buckets: 8
    idle_timer: 30
routes:
  - {dst: 198.51.100.0/24, nhid: 10}
  - {dst: 203.0.113.0/24, nhid: 1}
  - {dst: 10.7.0.0/16, nhid: 3}
  - {dst: 10.6.0.0/16, nhid: 3, type: blackhole}
  - {dst: 10.8.0.0/16, nhid: 11, table: 100}
`)
		code, out, errs := runCmd(t, "--netns", ns.Name, "apply", "-f", first)
		if code != exitApplied {
			t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
		}
		for _, w := range []string{
			"id 1 via 192.0.2.2 dev v0 scope link proto static",
			"id 2 via 192.0.2.3 dev v0 scope link",
			"id 3 blackhole",
			"id 10 group 1,3/2",
			"id 11 group 1/2,2 type resilient buckets 8 idle_timer 30 unbalanced_timer 0",
		} {
			if got := ns.IP("nexthop", "show"); !strings.Contains(got, w+" ") && !strings.HasSuffix(strings.TrimSpace(got), w) {
				t.Errorf("ip nexthop show lacks %q:\n%s", w, got)
			}
		}
		for _, w := range []string{"198.51.100.0/24 nhid 10", "203.0.113.0/24 nhid 1 via 192.0.2.2 dev v0", "blackhole 10.7.0.0/16 nhid 3", "blackhole 10.6.0.0/16 nhid 3"} {
			if got := ns.IP("route", "show"); !strings.Contains(got, w) {
				t.Errorf("ip route show lacks %q:\n%s", w, got)
			}
		}
		if got := ns.IP("route", "show", "table", "100"); !strings.Contains(got, "10.8.0.0/16 nhid 11") {
			t.Errorf("ip route show table 100 lacks the route over nexthop 11:\n%s", got)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", first)
		if code != exitApplied || !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply: exit %d, want nothing to do\n%s%s", code, out, errs)
		}

		second := write("second.yaml", `
nexthops:
  - {id: 1, gateway: 192.0.2.7, dev: v0, protocol: static}
  - {id: 2, absent: true}
  - {id: 10, group: "1"}
routes:
  - {dst: 198.51.100.0/24, nhid: 1}
`)
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", second)
		if code != exitApplied {
			t.Fatalf("apply second: exit %d\n%s%s", code, out, errs)
		}
		nh := ns.IP("nexthop", "show")
		if strings.Contains(nh, "id 2 ") || !strings.Contains(nh, "id 1 via 192.0.2.7 dev v0") || !strings.Contains(nh, "id 10 group 1 ") ||
			!strings.Contains(nh, "id 11 group 1 type resilient") {
			t.Errorf("after the second file, ip nexthop show:\n%s", nh)
		}
		rt := ns.IP("route", "show")
		if !strings.Contains(rt, "198.51.100.0/24 nhid 1 via 192.0.2.7 dev v0") || !strings.Contains(rt, "203.0.113.0/24 nhid 1 via 192.0.2.7 dev v0") {
			t.Errorf("after the second file, ip route show:\n%s", rt)
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "apply", "-f", second)
		if code != exitApplied || !strings.Contains(out, "nothing to do") {
			t.Errorf("second file again: exit %d, want nothing to do\n%s%s", code, out, errs)
		}
	})
}

// TestRouteDetailsEqualsIP: `show routes -d -o json` is `ip -j -d route
// show table all`, key by key, for a namespace with every route attribute
// (everyAttribute) plus routes over every nexthop shape (the nh_info
// object of a single nexthop, a one-member group, a weighted group, a
// resilient group, IPv6).
func TestRouteDetailsEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		everyAttribute(t, ns)
		ns.Batch(
			"nexthop add id 100 via 192.0.2.2 dev br0 proto static",
			"nexthop add id 101 via 192.0.2.3 dev br0",
			"nexthop add id 105 via 2001:db8::2 dev br0",
			"nexthop add id 200 group 100,3/101",
			"nexthop add id 201 group 101",
			"nexthop add id 202 group 100/101 type resilient buckets 8 idle_timer 60",
			"route add 10.9.0.0/16 nhid 200",
			"route add 10.10.0.0/16 nhid 201 table 100",
			"route add 10.11.0.0/16 nhid 100",
			"route add 10.12.0.0/16 nhid 202",
		)
		ns.IP("-6", "route", "add", "2001:db8:9::/48", "nhid", "105")
		opts := oracle.JSONOptions{Extra: ipdbExtraKeys, Tolerance: volatileKeys}
		var got string
		err := nstest.Eventually(10*time.Second, func() error {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", "routes", "-d", "-o", "json")
			if code != 0 {
				t.Fatalf("show routes -d: exit %d: %s", code, errs)
			}
			got = out
			want := ns.IP("-j", "-d", "route", "show", "table", "all")
			return oracle.CompareJSON([]byte(out), []byte(want), opts)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{
			`"nh_info":{"id":200,"group":[{"id":100,"weight":3},{"id":101}],"scope":"global","protocol":"unspec","flags":[]},"nexthops":[`,
			`"nh_info":{"id":201,"group":[{"id":101}]`,
			`"nh_info":{"id":100,"gateway":"192.0.2.2","dev":"br0","scope":"link","protocol":"static","flags":[]}`,
			`"pref":"medium","nh_info":{"id":105,`,
			`"type":"unicast","dst":"10.9.0.0/16","nhid":200,"table":"main","protocol":"boot","scope":"global"`,
		} {
			if !strings.Contains(got, w) {
				t.Errorf("show routes -d lacks %s", w)
			}
		}
		// -d is refused where it would not be ip -d's output.
		for _, args := range [][]string{{"show", "-d"}, {"show", "addrs", "-d"}} {
			if code, _, errs := runCmd(t, append([]string{"--netns", ns.Name}, args...)...); code != exitUsage || !strings.Contains(errs, "-d is for show routes") {
				t.Errorf("%v: exit %d, %q", args, code, errs)
			}
		}
	})
}

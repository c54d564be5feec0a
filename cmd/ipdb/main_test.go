package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runCmd runs the command in-process and returns its status and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runContext(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// linkKeys are the link fields show prints, a subset of `ip -d -j link`.
var linkKeys = []string{"ifindex", "link", "link_index", "ifname", "flags", "mtu", "qdisc", "master",
	"operstate", "linkmode", "group", "txqlen", "link_type", "address", "permaddr", "broadcast",
	"link_netnsid", "ifalias", "altnames"}

// ipTable returns what ip prints for one of show's tables, as generic
// JSON objects, each canonicalised to a string, sorted.
func ipTable(t *testing.T, ns *nstest.NS, table string, mine []map[string]any) []string {
	t.Helper()
	var objs []map[string]any
	get := func(args ...string) {
		var v []map[string]any
		ns.IPJSON(&v, args...)
		objs = append(objs, v...)
	}
	switch table {
	case "links":
		get("-d", "link", "show")
		// Keep the fields show prints; of linkinfo, the kind and the
		// kind data keys show prints for that link.
		byIndex := map[float64]map[string]any{}
		for _, m := range mine {
			byIndex[m["ifindex"].(float64)] = m
		}
		for i, o := range objs {
			keep := map[string]any{}
			for _, k := range linkKeys {
				if v, ok := o[k]; ok {
					keep[k] = v
				}
			}
			if li, ok := o["linkinfo"].(map[string]any); ok {
				info := map[string]any{}
				for _, k := range []string{"info_kind", "info_slave_kind"} {
					if v, ok := li[k]; ok {
						info[k] = v
					}
				}
				if m := byIndex[o["ifindex"].(float64)]; m != nil {
					if mli, ok := m["linkinfo"].(map[string]any); ok {
						if md, ok := mli["info_data"].(map[string]any); ok {
							ipd, _ := li["info_data"].(map[string]any)
							d := map[string]any{}
							for k := range md {
								if v, ok := ipd[k]; ok {
									d[k] = v
								}
							}
							info["info_data"] = d
						}
					}
				}
				if len(info) > 0 {
					keep["linkinfo"] = info
				}
			}
			objs[i] = keep
		}
	case "addrs":
		get("addr", "show")
	case "routes":
		get("-4", "route", "show", "table", "all")
		get("-6", "route", "show", "table", "all")
	case "neigh":
		get("neigh", "show", "nud", "all")
	case "fdb":
		objs = bridgeFDB(t, ns)
	case "rules":
		get("-4", "rule", "show")
		for _, o := range objs {
			o["family"] = "inet"
		}
		n := len(objs)
		get("-6", "rule", "show")
		for _, o := range objs[n:] {
			o["family"] = "inet6"
		}
	default:
		t.Fatalf("unknown table %s", table)
	}
	return canonical(t, objs)
}

func canonical[T any](t *testing.T, objs []T) []string {
	t.Helper()
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		b, err := json.Marshal(o) // maps marshal with sorted keys
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// compareWithIP compares fetch's JSON for table with ip's, retrying for a
// few seconds while the two may still be converging (DAD, notifications in
// flight).
func compareWithIP(t *testing.T, ns *nstest.NS, table string, fetch func() []byte) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := fetch()
		var mine []map[string]any
		if err := json.Unmarshal(body, &mine); err != nil {
			t.Fatalf("%s: bad JSON: %v\n%s", table, err, body)
		}
		want := ipTable(t, ns, table, mine)
		got := canonical(t, mine)
		if reflect.DeepEqual(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: ipdb and ip differ:\n%s", table, diffLines(got, want))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// diffLines lists the objects only one side has.
func diffLines(got, want []string) string {
	var b strings.Builder
	in := func(s string, l []string) bool {
		i := sort.SearchStrings(l, s)
		return i < len(l) && l[i] == s
	}
	for _, g := range got {
		if !in(g, want) {
			fmt.Fprintf(&b, "  ipdb only: %s\n", g)
		}
	}
	for _, w := range want {
		if !in(w, got) {
			fmt.Fprintf(&b, "  ip only:   %s\n", w)
		}
	}
	return b.String()
}

// scriptedChanges builds a namespace with every kind of object, then
// changes some of them.
func scriptedChanges(ns *nstest.NS) {
	ns.Batch(
		"link set lo up",
		"link add br0 type bridge",
		"link add v0 type veth peer name v1",
		"link set v0 master br0",
		"link add vx0 type vxlan id 42 remote 198.51.100.1 local 192.0.2.1 dstport 4789",
		"link add mv0 link v1 type macvlan mode bridge",
		"link set br0 up",
		"link set v0 up",
		"link set v1 up",
		"link set mv0 up",
		"link set v1 alias uplink",
		"addr add 192.0.2.1/24 dev br0",
		"addr add 192.0.2.9/24 dev br0",
		"addr add 198.51.100.1 peer 198.51.100.2 dev v1",
		"addr add 2001:db8::1/64 dev br0 nodad",
		"addr add 203.0.113.5/24 brd + dev mv0 label mv0:x",
		"route add 203.0.113.0/24 via 192.0.2.254 metric 10 proto static",
		"route add default via 192.0.2.254",
		"route add 2001:db8:1::/48 via 2001:db8::fe dev br0",
		"route add blackhole 198.51.100.128/25 table 100",
		"route add unreachable 198.51.100.64/26 table 100",
		"route add 198.51.100.0/26 table 1000 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3",
		"route add 203.0.113.128/25 via 192.0.2.254 mtu 1400 advmss 1300 src 192.0.2.1",
		"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
		"neigh add 2001:db8::7 lladdr 02:00:00:00:00:08 dev br0 nud reachable",
		"rule add from 192.0.2.0/24 table 100 pref 100",
		"rule add to 198.51.100.0/24 lookup 1000 pref 200",
		"rule add fwmark 0x10/0xff iif br0 blackhole pref 300",
		"rule add not from all table main pref 400",
		"rule add sport 1000-2000 dport 53 ipproto udp table 100 pref 600",
	)
	ns.IP("-6", "rule", "add", "from", "2001:db8::/32", "table", "100", "pref", "500")
	// Changes after the fact.
	ns.Batch(
		"link set vx0 mtu 1400",
		"link set mv0 down",
		"link set mv0 name mv1",
		"addr del 192.0.2.9/24 dev br0",
		"route del 203.0.113.0/24 via 192.0.2.254 metric 10",
		"neigh change 192.0.2.7 lladdr 02:00:00:00:00:17 dev br0",
		"rule del pref 200",
	)
}

// bridgeFDB returns `bridge -j fdb show` in ns.
func bridgeFDB(t *testing.T, ns *nstest.NS) []map[string]any {
	t.Helper()
	out, err := exec.Command("bridge", "-n", ns.Name, "-j", "fdb", "show").Output()
	if err != nil {
		t.Fatalf("bridge -j fdb show: %v", err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(out, &objs); err != nil {
		t.Fatalf("bridge -j fdb show: %v\n%s", err, out)
	}
	return objs
}

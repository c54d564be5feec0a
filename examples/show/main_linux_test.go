package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
)

// TestCountsAreWhatIproute2Lists: the example's counts of links,
// neighbours, rules and FDB entries are the numbers of objects ip and
// bridge list in the same namespace.
func TestCountsAreWhatIproute2Lists(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link add vx0 type vxlan id 42 dstport 4789 remote 198.51.100.1 local 192.0.2.1",
			"link set br0 up", "link set p0 up", "link set q0 up", "link set vx0 up",
			"addr add 192.0.2.1/24 dev br0",
			"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
			"neigh add proxy 192.0.2.9 dev br0",
		)
		count := func(args ...string) int {
			var v []json.RawMessage
			ns.IPJSON(&v, args...)
			return len(v)
		}
		iproute2 := func() string {
			b, err := exec.Command("bridge", "-n", ns.Name, "-j", "fdb", "show").Output()
			if err != nil {
				t.Fatal(err)
			}
			var fdb []json.RawMessage
			if err := json.Unmarshal(b, &fdb); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%d links, %d addresses, %d routes, %d neighbours, %d rules, %d FDB entries",
				count("link", "show"), countAddrs(t, ns), countRoutes(t, ns),
				count("neigh", "show", "nud", "all")+count("neigh", "show", "proxy"),
				count("-4", "rule", "show")+count("-6", "rule", "show"), len(fdb))
		}
		// The kernel adds multicast neighbours and FDB entries for a while
		// after links come up: compare runs whose namespace did not change
		// around them.
		deadline := time.Now().Add(15 * time.Second)
		for {
			before := iproute2()
			var out bytes.Buffer
			if err := run(&out, ipdb.WithNetNS(ns.Name)); err != nil {
				t.Fatal(err)
			}
			after := iproute2()
			if before == after && strings.Contains(out.String(), after+" at revision") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the example counts\n%s\nwant %q", lastLine(out.String()), after)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// countAddrs counts the addresses `ip -j addr show` lists.
func countAddrs(t *testing.T, ns *nstest.NS) int {
	var links []struct {
		AddrInfo []json.RawMessage `json:"addr_info"`
	}
	ns.IPJSON(&links, "addr", "show")
	n := 0
	for _, l := range links {
		n += len(l.AddrInfo)
	}
	return n
}

// countRoutes counts the routes `ip -j route show table all` lists for
// IPv4 and IPv6.
func countRoutes(t *testing.T, ns *nstest.NS) int {
	n := 0
	for _, fam := range []string{"-4", "-6"} {
		var v []json.RawMessage
		ns.IPJSON(&v, fam, "route", "show", "table", "all")
		n += len(v)
	}
	return n
}

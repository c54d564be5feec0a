package ipdb_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

func TestZZTCFigures(t *testing.T) {
	if os.Getenv("TCFIG") == "" {
		t.Skip()
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add t0 type veth peer name t1", "link set t0 up", "link set t1 up")
		n := 10000
		var b strings.Builder
		b.WriteString("qdisc add dev t0 root handle 1: htb\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "class add dev t0 parent 1: classid 1:%x htb rate 1mbit\n", i)
		}
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "filter add dev t0 parent 1: protocol ip prio %d u32 match ip dst 198.51.%d.%d/32 flowid 1:%x\n", 1+i/4000, i/256, i%256, i)
		}
		cmd := exec.Command("tc", "-n", ns.Name, "-batch", "-")
		cmd.Stdin = strings.NewReader(b.String())
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatal(err, string(out))
		}
		t.Logf("tc -batch of %d classes and %d filters: %v", n, n, time.Since(start))
		start = time.Now()
		exec.Command("tc", "-n", ns.Name, "class", "show", "dev", "t0").Output()
		exec.Command("tc", "-n", ns.Name, "filter", "show", "dev", "t0").Output()
		t.Logf("tc class show + tc filter show: %v", time.Since(start))
		for range 2 {
			start = time.Now()
			db := dbtest.Open(t, ns)
			st := db.Stats()
			t.Logf("cold sync: %v (classes %d filters %d)", time.Since(start), st.Objects[netlink.KindClass], st.Objects[netlink.KindFilter])
			db.Close()
		}
	})
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		var lines []string
		for i := range 1000 {
			lines = append(lines, fmt.Sprintf("link add a%d type veth peer name b%d", i, i), fmt.Sprintf("link set a%d up", i))
		}
		ns.Batch(lines...)
		for _, with := range []bool{} {
			start := time.Now()
			var db *ipdb.DB
			if with {
				db = dbtest.Open(t, ns)
			} else {
				db = dbtest.Open(t, ns, ipdb.WithKinds(netlink.KindLink, netlink.KindAddr, netlink.KindRoute, netlink.KindNeigh, netlink.KindRule, netlink.KindFDB, netlink.KindNexthop))
			}
			t.Logf("2000 links, tc kept %v: cold sync %v, qdiscs %d", with, time.Since(start), db.Stats().Objects[netlink.KindQdisc])
			db.Close()
		}
	})
}

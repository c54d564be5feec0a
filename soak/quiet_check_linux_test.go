package soak_test

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/soak"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// TestQuietPauseCheck: the quiet pause's check without the kernel. When
// ip monitor printed something, the database's events are still checked:
// each must be about an object ip monitor saw change, or the database must
// equal ip -j after them; a change without a difference always fails.
// (The quiet pause used to return as soon as ip monitor printed a line,
// checking nothing.)
func TestQuietPauseCheck(t *testing.T) {
	kernel := parseMonitor([]string{
		"[LINK]5: v0@v1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default ",
		"    link/ether 02:00:00:00:00:05 brd ff:ff:ff:ff:ff:ff link-netnsid 0",
		"[NEIGH]Deleted ff02::16 dev v0 lladdr 33:33:00:00:00:16 NOARP",
		"[ROUTE]local 192.0.2.1 dev v0 table local proto kernel scope host src 192.0.2.1 ",
		"[ADDR]5: v0    inet 192.0.2.1/24 scope global v0",
		"       valid_lft forever preferred_lft forever",
		"[RULE]100:\tfrom 203.0.113.0/24 lookup 100",
		"[NEIGH]dev br0 lladdr 02:00:00:00:00:09 PERMANENT",
		"[NETCONF]inet v0 forwarding off",
	})
	if len(kernel) != 7 || kernel[0].kind != "LINK" || !strings.Contains(kernel[0].text, "link/ether 02:00:00:00:00:05") || kernel[3].text != "5: v0    inet 192.0.2.1/24 scope global v0 valid_lft forever preferred_lft forever" {
		t.Fatalf("parseMonitor: %q", kernel)
	}
	link := &netlink.Link{Index: 5, Name: "v0", MTU: 1500}
	link2 := &netlink.Link{Index: 5, Name: "v0", MTU: 1400}
	other := &netlink.Link{Index: 6, Name: "v1", MTU: 1500}
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	hostRoute := &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("192.0.2.1/32"), Table: unix.RT_TABLE_LOCAL, Type: unix.RTN_LOCAL}
	netRoute := &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix("198.51.100.0/24"), Table: unix.RT_TABLE_MAIN, Type: unix.RTN_UNICAST}
	addr := &netlink.Addr{Family: unix.AF_INET, Index: 5, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	neigh := &netlink.Neigh{Family: unix.AF_INET6, Index: 5, Dst: netip.MustParseAddr("ff02::16"), LLAddr: mac("33:33:00:00:00:16")}
	fdb := &netlink.FDB{Family: unix.AF_BRIDGE, Index: 7, LLAddr: mac("02:00:00:00:00:09")}
	fdbOther := &netlink.FDB{Family: unix.AF_BRIDGE, Index: 7, LLAddr: mac("02:00:00:00:00:0a")}
	rule := &netlink.Rule{Family: unix.AF_INET, Priority: 100, Table: 100}
	rule2 := &netlink.Rule{Family: unix.AF_INET, Priority: 1000, Table: 100}

	ch := func(kind netlink.Kind, op ipdb.Op, old, new netlink.Object) ipdb.Change {
		return ipdb.Change{Rev: 7, Kind: kind, Op: op, Old: old, New: new}
	}
	differs := errors.New("route 198.51.100.0/24: in the database, not in ip -j")
	equal := func() error { return nil }
	for _, c := range []struct {
		name    string
		changes []ipdb.Change
		equal   func() error
		want    string // "" for no error
	}{
		{"no events", nil, func() error { t.Error("ip -j compared without events"); return nil }, ""},
		{"events about what ip monitor saw", []ipdb.Change{
			ch(netlink.KindLink, ipdb.OpChange, link, link2),
			ch(netlink.KindNeigh, ipdb.OpDelete, neigh, nil),
			ch(netlink.KindRoute, ipdb.OpAdd, nil, hostRoute),
			ch(netlink.KindAddr, ipdb.OpAdd, nil, addr),
			ch(netlink.KindRule, ipdb.OpAdd, nil, rule),
			ch(netlink.KindFDB, ipdb.OpAdd, nil, fdb),
		}, equal, ""},
		{"an event ip monitor did not see, database equal to ip -j", []ipdb.Change{ch(netlink.KindRoute, ipdb.OpAdd, nil, netRoute)}, equal, ""},
		{"an event ip monitor did not see, database differs", []ipdb.Change{ch(netlink.KindRoute, ipdb.OpAdd, nil, netRoute)}, func() error { return differs },
			"after 1 events no `ip monitor` entry explains (rev 7 add"},
		{"events ip monitor saw, database differs", []ipdb.Change{ch(netlink.KindLink, ipdb.OpChange, link, link2)}, func() error { return differs },
			"the database differs from ip -j after its events"},
		{"a change without a difference, though ip monitor saw the link", []ipdb.Change{ch(netlink.KindLink, ipdb.OpChange, link, link)}, equal,
			"a change without a difference: rev 7 change link 5"},
		{"other objects than ip monitor's, database differs", []ipdb.Change{
			ch(netlink.KindLink, ipdb.OpChange, other, other),
			ch(netlink.KindFDB, ipdb.OpAdd, nil, fdbOther),
			ch(netlink.KindRule, ipdb.OpAdd, nil, rule2),
		}, func() error { return differs }, "after 2 events no `ip monitor` entry explains"},
	} {
		err := checkPause(kernel, c.changes, c.equal)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
	// explains is about the object, not just its kind.
	for _, c := range []struct {
		c    ipdb.Change
		want bool
	}{
		{ch(netlink.KindLink, ipdb.OpAdd, nil, other), false},
		{ch(netlink.KindRoute, ipdb.OpAdd, nil, netRoute), false},
		{ch(netlink.KindFDB, ipdb.OpAdd, nil, fdbOther), false},
		{ch(netlink.KindRule, ipdb.OpAdd, nil, rule2), false},
		{ch(netlink.KindAddr, ipdb.OpAdd, nil, &netlink.Addr{Family: unix.AF_INET, Index: 6, Prefix: netip.MustParsePrefix("192.0.2.1/24")}), false},
		{ch(netlink.KindNeigh, ipdb.OpAdd, nil, &netlink.Neigh{Family: unix.AF_INET6, Index: 5, Dst: netip.MustParseAddr("ff02::1:ff00:1")}), false},
		{ch(netlink.KindRoute, ipdb.OpDelete, hostRoute, nil), true},
	} {
		got := false
		for _, e := range kernel {
			got = got || explains(e, c.c)
		}
		if got != c.want {
			t.Errorf("explains(%s) = %v, want %v", changeLine(c.c), got, c.want)
		}
	}
}

// TestQuietPauseRetries: in a namespace, a pause in which the test changes
// a link is not quiet; its events are checked, and a later pause is quiet.
// Changes that never stop make every pause fail, with a clear error.
func TestQuietPauseRetries(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge", "link set br0 addrgenmode none")
		db := dbtest.Open(t, ns)
		if _, _, err := soak.Settle(ns, db, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		churn := func(stop <-chan struct{}, every time.Duration) <-chan struct{} {
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(every):
					}
					ns.IPErr("link", "set", "br0", "mtu", fmt.Sprint(1400+i%50))
				}
			}()
			return done
		}
		// Changes during the first pause only.
		stop := make(chan struct{})
		done := churn(stop, 100*time.Millisecond)
		go func() { time.Sleep(time.Second); close(stop) }()
		var log []string
		logf := func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }
		if err := quietPause(ns, db, time.Second, 4, 500*time.Millisecond, logf); err != nil {
			t.Fatalf("%v\n%s", err, strings.Join(log, "\n"))
		}
		<-done
		if len(log) < 2 || !strings.Contains(log[0], "was not quiet, its events checked") || !strings.Contains(log[len(log)-1], "no events, ip monitor silent") {
			t.Errorf("want a pause that was not quiet, then a quiet one:\n%s", strings.Join(log, "\n"))
		}
		// Changes that go on.
		stop = make(chan struct{})
		done = churn(stop, 150*time.Millisecond)
		err := quietPause(ns, db, time.Second, 2, 100*time.Millisecond, func(string, ...any) {})
		close(stop)
		<-done
		if err == nil || !strings.Contains(err.Error(), "no quiet pause of 1s in 2 attempts") {
			t.Errorf("with changes that go on: %v", err)
		}
	})
}

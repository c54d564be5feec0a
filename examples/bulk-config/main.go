//go:build linux

// Command bulk-config builds a bridge with veth ports, addresses and 10k
// routes in one transaction, prints the plan, commits, then shows that a
// deliberately failing route (a gateway on no connected subnet) rolls the
// whole transaction back. It refuses to run in the host namespace: by
// default it creates a throwaway namespace ipdb-bulk-PID and removes it.
//
//	go run ./examples/bulk-config [-netns NAME] [-routes N]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
	"golang.org/x/sys/unix"
)

func main() {
	netns := flag.String("netns", "", "namespace to work in (default: a throwaway ipdb-bulk-PID)")
	routes := flag.Int("routes", 10000, "routes to add")
	flag.Parse()
	if err := run(*netns, *routes); err != nil {
		fmt.Fprintln(os.Stderr, "bulk-config:", err)
		os.Exit(1)
	}
}

func run(netns string, n int) error {
	if netns == "" {
		netns = fmt.Sprintf("ipdb-bulk-%d", os.Getpid())
		if out, err := exec.Command("ip", "netns", "add", netns).CombinedOutput(); err != nil {
			return fmt.Errorf("ip netns add: %v: %s", err, out)
		}
		defer exec.Command("ip", "netns", "del", netns).Run()
	}
	host, err := nsID("/proc/self/ns/net")
	if err != nil {
		return err
	}
	target, err := nsID("/run/netns/" + netns)
	if err != nil {
		return err
	}
	if target == host {
		return errors.New("refusing to run in the host namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := ipdb.Open(ctx, ipdb.WithNetNS(netns))
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := netlink.Dial(&netlink.Config{NetNS: netns})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}

	up := true
	br := "br0"
	tx := txn.New(db, c, &txn.Config{NetNS: netns})
	tx.Link(txn.LinkSpec{Name: "lo", Up: &up})
	tx.Link(txn.LinkSpec{Name: br, Info: &netlink.LinkInfo{InfoKind: "bridge"}, Up: &up})
	for i := range 2 {
		port, peer := fmt.Sprintf("p%d", i), fmt.Sprintf("p%dx", i)
		tx.Link(txn.LinkSpec{Name: port, Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: peer}}},
			Master: &br, Up: &up})
		tx.Link(txn.LinkSpec{Name: peer, Up: &up})
	}
	tx.Addr(txn.AddrSpec{Link: br, Prefix: netip.MustParsePrefix("192.0.2.1/24")})
	tx.Addr(txn.AddrSpec{Link: br, Prefix: netip.MustParsePrefix("2001:db8::1/64")})
	gw := netip.MustParseAddr("192.0.2.2")
	for i := range n {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
		tx.Route(txn.RouteSpec{Dst: dst, Gateway: gw, Dev: br, Table: 100})
	}
	plan, err := tx.Plan()
	if err != nil {
		return err
	}
	fmt.Printf("plan: %s\n", plan.Summary())
	for i, o := range plan.Steps {
		if i == 12 {
			fmt.Printf("  ... %d more\n", len(plan.Steps)-i)
			break
		}
		fmt.Println(" ", o)
	}
	start := time.Now()
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	fmt.Printf("committed %d operations in %v (%d netlink writes)\n", len(plan.Steps), time.Since(start).Round(time.Millisecond), tx.Writes())

	// A second transaction that fails at its last route: a gateway on no
	// connected subnet (ENETUNREACH). Everything else in it is undone.
	pre := db.Snapshot()
	mtu := uint32(1400)
	bad := txn.New(db, c, &txn.Config{NetNS: netns})
	bad.Link(txn.LinkSpec{Name: "p0", MTU: &mtu})
	bad.Addr(txn.AddrSpec{Link: br, Prefix: netip.MustParsePrefix("198.51.100.1/24")})
	for i := range n {
		dst := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 128 + byte(i>>16), byte(i >> 8), byte(i)}), 32)
		bad.Route(txn.RouteSpec{Dst: dst, Gateway: gw, Dev: br, Table: 100})
	}
	bad.Route(txn.RouteSpec{Dst: netip.MustParsePrefix("203.0.113.0/24"), Gateway: netip.MustParseAddr("203.0.113.254"), Table: 100})
	err = bad.Commit(ctx)
	fmt.Printf("failing transaction: %v\n", err)
	var ce *txn.CommitError
	if !errors.As(err, &ce) || !ce.RolledBack {
		return fmt.Errorf("expected a rolled-back commit error, got %v", err)
	}
	// The DB must equal the pre-image: the first transaction's specs still
	// plan to nothing, and the failing one's would do everything again.
	again, err := tx.Plan()
	if err != nil {
		return err
	}
	routesNow := 0
	for range db.Snapshot().RoutesInTable(unix.AF_INET, 100) {
		routesNow++
	}
	routesPre := 0
	for range pre.RoutesInTable(unix.AF_INET, 100) {
		routesPre++
	}
	fmt.Printf("after rollback: first transaction's plan: %s; routes in table 100: %d (before: %d)\n", again.Summary(), routesNow, routesPre)
	if !again.Empty() || routesNow != routesPre {
		return errors.New("state differs from the pre-image")
	}
	return nil
}

// nsID identifies a namespace file by device and inode.
func nsID(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil
}

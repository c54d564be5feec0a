//go:build linux

// Command cni adds or deletes a pod's interface the way a CNI plugin of
// the ptp kind does, as one transaction across two namespaces
// (txn.Multi): ADD creates a veth pair in the host namespace, moves one
// end into the pod namespace under the pod's interface name, gives the
// pod end its address and a default route via the host end, gives the
// host end the gateway address and routes to the pod's networks via the
// pod, and brings both up; DEL removes the host end's routes and address
// and deletes the pod end (which deletes the host end with it). Either
// happens whole or not at all: any failure rolls back both namespaces.
// It prints the plan, per namespace, before committing.
//
//	cni [-host-netns NS] -netns POD [-ifname eth0] [-host-ifname veth-pod0]
//	    [-addr 192.0.2.2/24] [-gw 192.0.2.1] [-route 198.51.100.0/26,...] [-dry-run] add|del
//
// A namespace is a name under /run/netns or a path (/proc/PID/ns/net).
// -host-netns defaults to the namespace the command runs in.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cni:", err)
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	cmd        string
	hostNS     string // "" is the command's own namespace
	podNS      string
	ifname     string
	hostIfname string
	addr       netip.Prefix   // the pod end's address and prefix length
	gw         netip.Addr     // the host end's address, the pod's default gateway
	routes     []netip.Prefix // the host's routes to the pod via addr
	dryRun     bool
}

func parse(w io.Writer, args []string) (*config, error) {
	fs := flag.NewFlagSet("cni", flag.ContinueOnError)
	fs.SetOutput(w)
	c := &config{}
	fs.StringVar(&c.hostNS, "host-netns", "", "the host namespace (default: this process's)")
	fs.StringVar(&c.podNS, "netns", "", "the pod namespace (required)")
	fs.StringVar(&c.ifname, "ifname", "eth0", "the interface's name in the pod")
	fs.StringVar(&c.hostIfname, "host-ifname", "veth-pod0", "the host end's name")
	addr := fs.String("addr", "192.0.2.2/24", "the pod's address and prefix length")
	gw := fs.String("gw", "192.0.2.1", "the host end's address, the pod's default gateway")
	routes := fs.String("route", "", "comma-separated prefixes the host routes via the pod's address")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the plan only")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "add" && fs.Arg(0) != "del") {
		return nil, errors.New("want one command: add or del")
	}
	c.cmd = fs.Arg(0)
	if c.podNS == "" {
		return nil, errors.New("-netns is required")
	}
	for _, n := range []string{c.ifname, c.hostIfname} {
		if err := netlink.ValidLinkName(n); err != nil {
			return nil, fmt.Errorf("interface name %q: %w", n, err)
		}
	}
	var err error
	if c.addr, err = netip.ParsePrefix(*addr); err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	if c.gw, err = netip.ParseAddr(*gw); err != nil {
		return nil, fmt.Errorf("-gw: %w", err)
	}
	if c.gw.Is4() != c.addr.Addr().Is4() || !c.addr.Masked().Contains(c.gw) || c.gw == c.addr.Addr() {
		return nil, fmt.Errorf("-gw %s must be another address of %s", c.gw, c.addr.Masked())
	}
	if *routes != "" {
		for _, r := range strings.Split(*routes, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(r))
			if err != nil {
				return nil, fmt.Errorf("-route: %w", err)
			}
			if p.Addr().Is4() != c.addr.Addr().Is4() {
				return nil, fmt.Errorf("-route %s: not of the family of %s", p, c.addr)
			}
			c.routes = append(c.routes, p.Masked())
		}
	}
	return c, nil
}

// nsPath is the path of a namespace given as a name or a path.
func nsPath(ns string) string {
	switch {
	case ns == "":
		return "/proc/self/ns/net"
	case strings.Contains(ns, "/"):
		return ns
	}
	return "/run/netns/" + ns
}

// sameNS reports whether two namespace paths are the same namespace.
func sameNS(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, fmt.Errorf("netns %s: %w", a, err)
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, fmt.Errorf("netns %s: %w", b, err)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

// side is one namespace's database and connection.
type side struct {
	db *ipdb.DB
	c  *netlink.Conn
}

func open(ctx context.Context, ns string) (*side, error) {
	var opts []ipdb.Option
	if ns != "" {
		opts = append(opts, ipdb.WithNetNS(ns))
	}
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("netns %s: %w", nsPath(ns), err)
	}
	c, err := netlink.Dial(&netlink.Config{NetNS: ns})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("netns %s: %w", nsPath(ns), err)
	}
	if err := db.WaitSynced(ctx); err != nil {
		db.Close()
		c.Close()
		return nil, err
	}
	return &side{db, c}, nil
}

func (s *side) close() { s.c.Close(); s.db.Close() }

func run(w io.Writer, args []string) error {
	c, err := parse(w, args)
	if err != nil {
		return err
	}
	same, err := sameNS(nsPath(c.hostNS), nsPath(c.podNS))
	if err != nil {
		return err
	}
	if same {
		return errors.New("the pod namespace is the host namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	host, err := open(ctx, c.hostNS)
	if err != nil {
		return err
	}
	defer host.close()
	pod, err := open(ctx, c.podNS)
	if err != nil {
		return err
	}
	defer pod.close()

	m := txn.NewMulti()
	var hostCfg *txn.Config
	if c.hostNS != "" {
		hostCfg = &txn.Config{NetNS: c.hostNS}
	}
	ht := m.Namespace("host", host.db, host.c, hostCfg)
	pt := m.Namespace("pod", pod.db, pod.c, &txn.Config{NetNS: c.podNS})
	up := true
	gwPrefix := netip.PrefixFrom(c.gw, c.addr.Bits())
	switch c.cmd {
	case "add":
		// The pod end is created under a temporary name, unique in the
		// host, and renamed as it moves into the pod.
		var b [5]byte
		rand.Read(b[:])
		tmp := "tmp" + hex.EncodeToString(b[:])
		ht.Link(txn.LinkSpec{Name: c.hostIfname, Up: &up,
			Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Name: tmp}}}})
		ht.Addr(txn.AddrSpec{Link: c.hostIfname, Prefix: gwPrefix})
		for _, r := range c.routes {
			ht.Route(txn.RouteSpec{Dst: r, Gateway: c.addr.Addr(), Dev: c.hostIfname})
		}
		m.Move(txn.Move{From: "host", Link: tmp, To: "pod", Name: c.ifname})
		pt.Link(txn.LinkSpec{Name: c.ifname, Up: &up})
		pt.Addr(txn.AddrSpec{Link: c.ifname, Prefix: c.addr})
		def := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if c.addr.Addr().Is6() {
			def = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		pt.Route(txn.RouteSpec{Dst: def, Gateway: c.gw, Dev: c.ifname})
	case "del":
		for _, r := range c.routes {
			ht.Route(txn.RouteSpec{Dst: r, Absent: true})
		}
		ht.Addr(txn.AddrSpec{Link: c.hostIfname, Prefix: gwPrefix, Absent: true})
		pt.Link(txn.LinkSpec{Name: c.ifname, Absent: true})
	}
	plan, err := m.Plan()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "plan (%s):\n%s", plan.Summary(), plan)
	if c.dryRun || plan.Empty() {
		return nil
	}
	start := time.Now()
	if err := m.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "committed in %v (%d netlink writes)\n", time.Since(start).Round(time.Millisecond), m.Writes())
	return nil
}

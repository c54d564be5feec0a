//go:build linux

// Command bandwidth shapes a pod's traffic on the host end of its veth
// the way the CNI bandwidth plugin does
// (containernetworking/plugins, plugins/meta/bandwidth), as one
// transaction. It prints the plan before committing; a failure at any
// step rolls everything back.
//
//	bandwidth [-netns NS] -dev HOST_VETH [-ifb NAME] [-ingress-rate BITS -ingress-burst BITS]
//	    [-egress-rate BITS -egress-burst BITS] [-dry-run] add|del
//
// Rates are in bits per second and bursts in bits, as the plugin's
// configuration gives them (ingressRate, ingressBurst, egressRate,
// egressBurst), turned into tbf's rate, buffer and limit (with the
// plugin's 25 ms latency) as the plugin computes them.
//
// The pod's ingress (what the host sends into the veth) is shaped by a
// tbf qdisc 1: at the root of the host end. The pod's egress (what the
// pod sends, the host end's ingress) by an ifb link: an ingress qdisc on
// the host end whose u32 filter matches every packet and redirects it to
// the ifb (`tc filter add dev HOST_VETH parent ffff: protocol all prio 1
// u32 match u32 0 0 action mirred egress redirect dev IFB`), and a tbf 1:
// at the ifb's root. The ifb, which the plugin names from the container
// id, is named by -ifb, by default "bwp" and 12 hex digits of a hash of
// the host end's name; it gets the host end's MTU. The ifb, the filter
// naming it and both tbf are made by the same transaction.
//
// add makes what its rates ask for and leaves the rest; del removes all
// of it: the tbf of the host end, its ingress qdisc (and with it the
// filter) and the ifb (and with it its tbf).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bandwidth:", err)
		os.Exit(1)
	}
}

// config is what the command line asks for.
type config struct {
	cmd                       string
	netns                     string
	dev                       string
	ifb                       string
	ingressRate, ingressBurst uint64 // bits per second, bits
	egressRate, egressBurst   uint64
	dryRun                    bool
}

func parse(w io.Writer, args []string) (*config, error) {
	fs := flag.NewFlagSet("bandwidth", flag.ContinueOnError)
	fs.SetOutput(w)
	c := &config{}
	fs.StringVar(&c.netns, "netns", "", "the host namespace (default: this process's)")
	fs.StringVar(&c.dev, "dev", "", "the host end of the pod's veth (required)")
	fs.StringVar(&c.ifb, "ifb", "", "the ifb link of the pod's egress (default: bwp and a hash of -dev)")
	fs.Uint64Var(&c.ingressRate, "ingress-rate", 0, "the pod's ingress rate, bits per second")
	fs.Uint64Var(&c.ingressBurst, "ingress-burst", 0, "the pod's ingress burst, bits")
	fs.Uint64Var(&c.egressRate, "egress-rate", 0, "the pod's egress rate, bits per second")
	fs.Uint64Var(&c.egressBurst, "egress-burst", 0, "the pod's egress burst, bits")
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the plan only")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "add" && fs.Arg(0) != "del") {
		return nil, errors.New("want one command: add or del")
	}
	c.cmd = fs.Arg(0)
	if c.dev == "" {
		return nil, errors.New("-dev is required")
	}
	if err := netlink.ValidLinkName(c.dev); err != nil {
		return nil, fmt.Errorf("-dev %q: %w", c.dev, err)
	}
	if c.ifb == "" {
		c.ifb = ifbName(c.dev)
	}
	if err := netlink.ValidLinkName(c.ifb); err != nil {
		return nil, fmt.Errorf("-ifb %q: %w", c.ifb, err)
	}
	if c.ifb == c.dev {
		return nil, fmt.Errorf("-ifb %s is -dev", c.ifb)
	}
	// The plugin's checks (bandwidth_linux.go validateRateAndBurst).
	for _, d := range []struct {
		name        string
		rate, burst uint64
	}{{"ingress", c.ingressRate, c.ingressBurst}, {"egress", c.egressRate, c.egressBurst}} {
		switch {
		case (d.rate == 0) != (d.burst == 0):
			return nil, fmt.Errorf("-%s-rate and -%s-burst go together (both or neither)", d.name, d.name)
		case d.rate != 0 && d.rate < 8:
			return nil, fmt.Errorf("-%s-rate %d: less than a byte per second", d.name, d.rate)
		case d.burst/8 > math.MaxUint32:
			return nil, fmt.Errorf("-%s-burst %d: above %d bits", d.name, d.burst, uint64(math.MaxUint32)*8)
		case d.burst != 0 && d.burst < 8:
			return nil, fmt.Errorf("-%s-burst %d: less than a byte", d.name, d.burst)
		}
	}
	if c.cmd == "add" && c.ingressRate == 0 && c.egressRate == 0 {
		return nil, errors.New("add needs -ingress-rate and -ingress-burst (or the egress pair)")
	}
	if c.cmd == "del" && (c.ingressRate != 0 || c.egressRate != 0) {
		return nil, errors.New("del takes no rates")
	}
	return c, nil
}

// Constants of the plugin's computation.
const (
	// latency is the plugin's latencyInMillis: how long a packet may wait
	// in the tbf, which bounds its queue (tbf's limit).
	latency = 25 * time.Millisecond
	// ticksPerUsec is the kernel's packet scheduler clock, 64 ns ticks
	// (PSCHED_SHIFT 6 in include/net/pkt_sched.h), which /proc/net/psched
	// reports and vishvananda/netlink's TickInUsec reads.
	ticksPerUsec = 1000.0 / 64
)

// tbf returns the tbf options the plugin makes for a rate in bits per
// second and a burst in bits (bandwidth_linux.go createTBF): rate and
// burst in bytes, the buffer as the time to send the burst at the rate
// in whole microseconds then whole ticks, and the limit as what the rate
// sends in the latency plus the burst.
func tbf(rateBits, burstBits uint64) *netlink.TBF {
	rate, burst := rateBits/8, uint32(burstBits/8)
	usec := uint32(float64(burst) * 1e6 / float64(rate))
	ticks := uint32(float64(usec) * ticksPerUsec)
	limit := uint32(float64(rate)*float64(latency/time.Microsecond)/1e6) + burst
	return &netlink.TBF{Rate: rate, Buffer: time.Duration(ticks) * 64 * time.Nanosecond, Limit: limit}
}

// ifbName is the default ifb name of the host end dev: "bwp" and the
// first 12 hex digits of its name's SHA-256, 15 bytes as IFNAMSIZ allows
// (the plugin hashes the network name and container id the same way).
func ifbName(dev string) string {
	h := sha256.Sum256([]byte(dev))
	return "bwp" + hex.EncodeToString(h[:])[:12]
}

// Handles and the filter of the pod's egress, as the plugin makes them.
var (
	root    = netlink.NewHandle(1, 0)      // the tbf's handle
	ingress = netlink.NewHandle(0xffff, 0) // the ingress qdisc's handle, the filter's parent
)

// redirectAll is the plugin's filter: u32 matching every packet ("match
// u32 0 0", one key of mask 0, terminal) with a mirred egress redirect,
// its target named by the spec (stolen: the packet leaves by the ifb).
func redirectAll() *netlink.U32 {
	return &netlink.U32{Sel: &netlink.U32Sel{Flags: 1, Keys: []netlink.U32Key{{}}}, Actions: netlink.TCActions{
		{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: netlink.TCActStolen}, Eaction: netlink.MirredEgressRedirect}}}}
}

// testConfig, in tests, changes the transaction's configuration (a fault
// at a step).
var testConfig func(*txn.Config)

// specs adds to t what c asks for on the host end l.
func specs(t *txn.Txn, c *config, l *netlink.Link) {
	switch c.cmd {
	case "add":
		if c.ingressRate != 0 {
			t.Qdisc(txn.QdiscSpec{Dev: c.dev, Handle: root, Options: tbf(c.ingressRate, c.ingressBurst)})
		}
		if c.egressRate != 0 {
			mtu := l.MTU
			t.Link(txn.LinkSpec{Name: c.ifb, Info: &netlink.LinkInfo{InfoKind: "ifb"}, MTU: &mtu, Up: ptr(true)})
			t.Qdisc(txn.QdiscSpec{Dev: c.dev, Parent: netlink.HandleIngress, Handle: ingress, Kind: "ingress"})
			t.Filter(txn.FilterSpec{Dev: c.dev, Parent: ingress, Priority: 1, Protocol: unix.ETH_P_ALL,
				Handle:  0x80000800, // 800::800, the kernel's first u32 node
				Options: redirectAll(), MirredDevs: map[int]string{0: c.ifb}})
			t.Qdisc(txn.QdiscSpec{Dev: c.ifb, Handle: root, Options: tbf(c.egressRate, c.egressBurst)})
		}
	case "del":
		t.Qdisc(txn.QdiscSpec{Dev: c.dev, Handle: root, Absent: true})
		t.Qdisc(txn.QdiscSpec{Dev: c.dev, Parent: netlink.HandleIngress, Handle: ingress, Kind: "ingress", Absent: true})
		t.Link(txn.LinkSpec{Name: c.ifb, Absent: true})
	}
}

func ptr[T any](v T) *T { return &v }

func run(w io.Writer, args []string) error {
	c, err := parse(w, args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var opts []ipdb.Option
	if c.netns != "" {
		opts = append(opts, ipdb.WithNetNS(c.netns))
	}
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := netlink.Dial(&netlink.Config{NetNS: c.netns})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	l, err := db.Snapshot().LinkByName(c.dev)
	if err != nil {
		return fmt.Errorf("-dev %s: %w", c.dev, err)
	}
	if l.Info == nil || l.Info.InfoKind != "veth" {
		return fmt.Errorf("-dev %s is no veth", c.dev)
	}
	cfg := &txn.Config{NetNS: c.netns}
	if testConfig != nil {
		testConfig(cfg)
	}
	t := txn.New(db, conn, cfg)
	specs(t, c, l)
	plan, err := t.Plan()
	if err != nil {
		return err
	}
	if plan.Empty() {
		fmt.Fprintln(w, "no changes")
		return nil
	}
	fmt.Fprint(w, plan)
	if c.dryRun {
		return nil
	}
	if err := t.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintln(w, "committed")
	return nil
}

//go:build linux

// Command bandwidth shapes a pod's traffic on the host end of its veth
// the way the CNI bandwidth plugin does
// (containernetworking/plugins, plugins/meta/bandwidth), as one
// transaction: the pod's ingress (what the host sends into the veth) by a
// tbf qdisc at the root of the host end, with the plugin's rate, burst
// and 25 ms latency turned into tbf's buffer and limit as the plugin
// computes them. It prints the plan before committing; a failure rolls
// everything back.
//
//	bandwidth [-netns NS] -dev HOST_VETH [-ingress-rate BITS -ingress-burst BITS]
//	    [-egress-rate BITS -egress-burst BITS] [-dry-run] add|del
//
// Rates are in bits per second and bursts in bits, as the plugin's
// configuration gives them (ingressRate, ingressBurst, egressRate,
// egressBurst). del removes the tbf (handle 1:) from the host end.
//
// The pod's egress (what the pod sends, the host end's ingress) is
// shaped by the plugin with an ifb link: an ingress qdisc on the host end
// whose u32 filter redirects every packet to the ifb with a mirred
// action, and a tbf on the ifb. A mirred action names its target by
// interface index (tc_mirred.ifindex), and a transaction cannot yet put
// into a filter's action the index of an ifb link it creates itself, so
// -egress-rate is refused with an error that says so, and nothing is
// changed.
package main

import (
	"context"
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

// errNoActions is the refusal of the pod's egress shaping.
var errNoActions = errors.New("shaping the pod's egress needs an ifb link and, on the host end's ingress qdisc, " +
	"a u32 filter with a mirred redirect action to it; a mirred action names its target by interface index, " +
	"which a transaction cannot yet take from an ifb link it creates itself, so nothing was changed")

func run(w io.Writer, args []string) error {
	c, err := parse(w, args)
	if err != nil {
		return err
	}
	if c.egressRate != 0 {
		return errNoActions
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
	var cfg *txn.Config
	if c.netns != "" {
		cfg = &txn.Config{NetNS: c.netns}
	}
	t := txn.New(db, conn, cfg)
	root := netlink.NewHandle(1, 0) // the plugin's handle
	switch c.cmd {
	case "add":
		t.Qdisc(txn.QdiscSpec{Dev: c.dev, Handle: root, Options: tbf(c.ingressRate, c.ingressBurst)})
	case "del":
		t.Qdisc(txn.QdiscSpec{Dev: c.dev, Handle: root, Absent: true})
	}
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

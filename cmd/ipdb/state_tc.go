package main

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The traffic control part of the state file: the sections qdiscs,
// classes and filters, one entry per tc object as `tc qdisc|class|filter
// replace|del` takes it, in tc's words and units, converted to
// txn.QdiscSpec, txn.ClassSpec and txn.FilterSpec. Options are the
// kind's, flat in the entry; an option of another kind is refused.
//
//	qdiscs:
//	  - {dev: v0, handle: "1:", kind: htb, default: 10}       # parent: root
//	  - {dev: v0, parent: "1:10", handle: "10:", kind: pfifo, limit: 50}
//	  - {dev: v1, handle: "1:", kind: tbf, rate: 1mbit, burst: 10kb, latency: 25ms}
//	  - {dev: v1, kind: clsact}                                # parent ingress
//	  - {dev: v3, kind: clsact, ingress_block: 22}             # a shared block
//	  - {dev: v2, handle: "1:", absent: true}
//	classes:
//	  - {dev: v0, classid: "1:10", parent: "1:1", kind: htb, rate: 1mbit, ceil: 5mbit, prio: 1}
//	filters:
//	  - {dev: v0, parent: "1:", protocol: ip, pref: 1, handle: "800::800", kind: u32,
//	     match: ["ip dst 192.0.2.0/24", "ip dport 80 0xffff"], flowid: "1:10"}
//	  - {dev: v0, parent: "1:", protocol: all, pref: 2, handle: 1, kind: bpf,
//	     bytecode: "1,6 0 0 0", flowid: "1:20"}
//	  - {dev: v0, parent: "ffff:", protocol: all, pref: 1, handle: "800::800", kind: u32,
//	     match: ["u32 0 0 at 0"], actions: ["mirred egress redirect dev ifb0"]}
//	  - {dev: v1, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf,
//	     bytecode: "1,6 0 0 4294967295", actions: ["mirred egress redirect dev ifb1"]}
//	  - {block: 22, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
//	  - {dev: v1, parent: egress, protocol: all, pref: 1, handle: 1, kind: bpf,
//	     object-pinned: /sys/fs/bpf/tc/cls, direct-action: true}   # state_tc_ebpf.go
//	  - {dev: v1, parent: ingress, protocol: all, pref: 3, handle: 7, absent: true}
//
// A shared block's filter is named by `block: N`, without dev and parent,
// as `tc filter add block N` does (txn.FilterSpec.Block); a link whose
// ingress or egress is bound to a shared block has no filters of its own
// there, and an entry naming it is an error pointing to the block. An
// absent entry may leave out the kind (no part of a filter's identity; a
// handle with a colon is u32's).
//
// Every entry is the whole qdisc, class or filter (txn's Exact specs):
// an option left out is tc's default, also on an object that exists; a
// filter entry without actions asks for a filter without actions, and
// apply removes those it has (the actions' words are in
// state_tc_actions.go; flower and matchall entries in
// state_tc_flower.go). u32 matches at one offset make one key, as tc
// packs them.
//
// Rates are tc's (bit, kbit, mbit, gbit, tbit, bps, kbps, mbps, ... and
// their kibit forms; a bare number is bits per second), sizes tc's (b,
// kb, mb, gb, kbit, mbit, gbit; a bare number is bytes) and times tc's
// (s, ms, us; a bare number is microseconds).

// tcOptionKeys are the option keys each kind takes, by section.
var tcOptionKeys = map[string]map[string][]string{
	"qdiscs": {
		"htb": {"r2q", "default", "direct_qlen"}, "tbf": {"rate", "burst", "latency", "limit", "peakrate", "mtu"},
		"pfifo": {"limit"}, "bfifo": {"limit"}, "pfifo_fast": nil, "mq": nil, "ingress": {"ingress_block"},
		"clsact": {"ingress_block", "egress_block"},
	},
	"classes": {"htb": {"rate", "ceil", "burst", "cburst", "prio", "quantum"}},
	"filters": {"u32": {"match", "flowid", "divisor", "skip_hw", "skip_sw", "actions"},
		"bpf":      {"bytecode", "object-pinned", "direct-action", "flowid", "skip_hw", "skip_sw", "actions"},
		"flower":   {"match", "flowid", "indev", "skip_hw", "skip_sw", "actions"}, // state_tc_flower.go
		"matchall": {"flowid", "skip_hw", "skip_sw", "actions"}},
}

// tcOpts are the option keys of the three sections; which a kind takes
// is in tcOptionKeys.
type tcOpts struct {
	Rate       string `yaml:"rate"`
	Ceil       string `yaml:"ceil"`
	Burst      string `yaml:"burst"`
	Cburst     string `yaml:"cburst"`
	Latency    string `yaml:"latency"`
	Limit      string `yaml:"limit"`
	Peakrate   string `yaml:"peakrate"`
	MTU        string `yaml:"mtu"`
	R2Q        uint32 `yaml:"r2q"`
	Default    string `yaml:"default"`
	DirectQlen uint32 `yaml:"direct_qlen"`
	// IngressBlock and EgressBlock bind ingress and clsact qdiscs to
	// shared filter blocks (txn.QdiscSpec.IngressBlock).
	IngressBlock blockY   `yaml:"ingress_block"`
	EgressBlock  blockY   `yaml:"egress_block"`
	Prio         *uint32  `yaml:"prio"`
	Quantum      uint32   `yaml:"quantum"`
	Match        []string `yaml:"match"`
	Flowid       string   `yaml:"flowid"`
	Divisor      uint32   `yaml:"divisor"`
	Bytecode     string   `yaml:"bytecode"`
	// ObjectPinned and DirectAction are tc's object-pinned and
	// direct-action: an eBPF program pinned in a BPF file system
	// (state_tc_ebpf.go).
	ObjectPinned string `yaml:"object-pinned"`
	DirectAction bool   `yaml:"direct-action"`
	// SkipHW and SkipSW are a classifier's skip_hw and skip_sw; Indev
	// is flower's indev.
	SkipHW  bool     `yaml:"skip_hw"`
	SkipSW  bool     `yaml:"skip_sw"`
	Indev   string   `yaml:"indev"`
	Actions []string `yaml:"actions"`

	set map[string]bool // the keys the entry has
}

// keys records which keys the entry gives (for the kind check).
func (o *tcOpts) keys(n *yaml.Node) {
	o.set = map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		o.set[n.Content[i].Value] = true
	}
}

// check refuses option keys that kind does not take in section.
func (o *tcOpts) check(section, kind string) error {
	opts, ok := tcOptionKeys[section][kind]
	if !ok {
		var kinds []string
		for k := range tcOptionKeys[section] {
			kinds = append(kinds, k)
		}
		return fmt.Errorf("kind %q is not one the state file takes in %s (want %s)", kind, section, orList(slices.Sorted(slices.Values(kinds))))
	}
	all := map[string]bool{}
	for _, ks := range tcOptionKeys[section] {
		for _, k := range ks {
			all[k] = true
		}
	}
	for k := range o.set {
		if all[k] && !slices.Contains(opts, k) {
			return fmt.Errorf("%s %s takes no %q (its options: %s)", strings.TrimSuffix(strings.TrimSuffix(section, "es"), "s"), kind, k, strings.Join(opts, ", "))
		}
	}
	return nil
}

type qdiscYAML struct {
	Line   line   `yaml:"-"`
	Dev    string `yaml:"dev"`
	Parent string `yaml:"parent"`
	Handle string `yaml:"handle"`
	Kind   string `yaml:"kind"`
	Absent bool   `yaml:"absent"`
	tcOpts `yaml:",inline"`
}

func (e *qdiscYAML) at(n line) { e.Line = n }

type classYAML struct {
	Line    line   `yaml:"-"`
	Dev     string `yaml:"dev"`
	ClassID string `yaml:"classid"`
	Parent  string `yaml:"parent"`
	Kind    string `yaml:"kind"`
	Absent  bool   `yaml:"absent"`
	tcOpts  `yaml:",inline"`
}

func (e *classYAML) at(n line) { e.Line = n }

type filterYAML struct {
	Line     line   `yaml:"-"`
	Dev      string `yaml:"dev"`
	Block    blockY `yaml:"block"`
	Parent   string `yaml:"parent"`
	Protocol string `yaml:"protocol"`
	Pref     uint16 `yaml:"pref"`
	Chain    uint32 `yaml:"chain"`
	Handle   string `yaml:"handle"`
	Kind     string `yaml:"kind"`
	Absent   bool   `yaml:"absent"`
	tcOpts   `yaml:",inline"`
}

func (e *filterYAML) at(n line) { e.Line = n }

// The entries record their keys while decoding.

func (e *qdiscYAML) UnmarshalYAML(n *yaml.Node) error {
	type plain qdiscYAML
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	e.keys(n)
	return nil
}

func (e *classYAML) UnmarshalYAML(n *yaml.Node) error {
	type plain classYAML
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	e.keys(n)
	return nil
}

func (e *filterYAML) UnmarshalYAML(n *yaml.Node) error {
	type plain filterYAML
	if err := n.Decode((*plain)(e)); err != nil {
		return err
	}
	e.keys(n)
	return nil
}

// tcRateUnits are tc's rate units in bits per second (iproute2
// tc/tc_util.c get_rate), matched without case.
var tcRateUnits = []struct {
	unit string
	bits float64
}{
	{"bit", 1}, {"kibit", 1024}, {"kbit", 1e3}, {"mibit", 1 << 20}, {"mbit", 1e6}, {"gibit", 1 << 30}, {"gbit", 1e9},
	{"tibit", 1 << 40}, {"tbit", 1e12}, {"bps", 8}, {"kibps", 8 * 1024}, {"kbps", 8e3}, {"mibps", 8 << 20}, {"mbps", 8e6},
	{"gibps", 8 << 30}, {"gbps", 8e9}, {"tibps", 8 << 40}, {"tbps", 8e12},
}

// parseTCRate reads a rate as tc does and returns bytes per second.
func parseTCRate(s string) (uint64, error) {
	num, unit := splitNumber(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad rate %q (want e.g. 1mbit, 100kbit, 10mbps)", s)
	}
	mult := 1.0
	if unit != "" {
		found := false
		for _, u := range tcRateUnits {
			if strings.EqualFold(unit, u.unit) {
				mult, found = u.bits, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("bad rate %q: unknown unit %q (want bit, kbit, mbit, gbit, tbit, bps, kbps, mbps, gbps, tbps)", s, unit)
		}
	}
	b := v * mult / 8
	if b < 1 || b > math.MaxUint64/2 {
		return 0, fmt.Errorf("rate %q out of range", s)
	}
	return uint64(b), nil
}

// parseTCSize reads a size as tc does (get_size) and returns bytes.
func parseTCSize(s string) (uint32, error) {
	num, unit := splitNumber(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 1600b, 10kb, 1mb)", s)
	}
	switch strings.ToLower(unit) {
	case "", "b":
	case "k", "kb":
		v *= 1024
	case "m", "mb":
		v *= 1 << 20
	case "g", "gb":
		v *= 1 << 30
	case "kbit":
		v *= 1024 / 8
	case "mbit":
		v *= (1 << 20) / 8
	case "gbit":
		v *= (1 << 30) / 8
	default:
		return 0, fmt.Errorf("bad size %q: unknown unit %q (want b, kb, mb, gb, kbit, mbit, gbit)", s, unit)
	}
	if v > math.MaxUint32 {
		return 0, fmt.Errorf("size %q out of range (at most 4gb)", s)
	}
	return uint32(v), nil
}

// parseTCTime reads a time as tc does (get_time): s, ms or us; a bare
// number is microseconds.
func parseTCTime(s string) (time.Duration, error) {
	num, unit := splitNumber(s)
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad time %q (want e.g. 25ms, 1s, 500us)", s)
	}
	var d float64
	switch strings.ToLower(unit) {
	case "s", "sec", "secs":
		d = v * 1e9
	case "ms", "msec", "msecs":
		d = v * 1e6
	case "", "us", "usec", "usecs":
		d = v * 1e3
	default:
		return 0, fmt.Errorf("bad time %q: unknown unit %q (want s, ms, us)", s, unit)
	}
	if d > float64(math.MaxInt64/2) {
		return 0, fmt.Errorf("time %q out of range", s)
	}
	return time.Duration(d), nil
}

// splitNumber splits "10.5mbit" into "10.5" and "mbit".
func splitNumber(s string) (num, unit string) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// parseTCHandle reads a handle in tc's notation ("1:", "1:10", "root",
// "ingress").
func parseTCHandle(what, s string) (netlink.Handle, error) {
	switch s {
	case "root":
		return netlink.HandleRoot, nil
	case "ingress":
		return netlink.HandleIngress, nil
	}
	h, err := netlink.ParseHandle(s)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q (want major:minor in hexadecimal, such as \"1:\" or \"1:10\")", what, s)
	}
	return h, nil
}

func (e *qdiscYAML) spec() (txn.QdiscSpec, error) {
	// The entry is the whole qdisc: an htb default left out is none, no
	// ingress_block is the qdisc's own block.
	s := txn.QdiscSpec{Dev: e.Dev, Absent: e.Absent, Kind: e.Kind, Exact: true}
	if e.Dev == "" {
		return s, errors.New("a qdisc needs a dev")
	}
	var err error
	if e.Parent != "" {
		if s.Parent, err = parseTCHandle("parent", e.Parent); err != nil {
			return s, err
		}
	} else if e.Kind == "ingress" || e.Kind == "clsact" {
		s.Parent = netlink.HandleIngress
	}
	if e.Handle != "" {
		if s.Handle, err = parseTCHandle("handle", e.Handle); err != nil {
			return s, err
		}
	}
	if e.Absent {
		if len(e.set) > 0 {
			for k := range e.set {
				if !slices.Contains([]string{"dev", "parent", "handle", "kind", "absent"}, k) {
					return s, fmt.Errorf("an absent qdisc takes no %q", k)
				}
			}
		}
		return s, nil
	}
	if e.Kind == "" {
		return s, errors.New("a qdisc needs a kind (htb, tbf, pfifo, bfifo, pfifo_fast, mq, ingress, clsact)")
	}
	if err := e.check("qdiscs", e.Kind); err != nil {
		return s, err
	}
	s.IngressBlock, s.EgressBlock = uint32(e.IngressBlock), uint32(e.EgressBlock)
	switch e.Kind {
	case "htb":
		if e.set["r2q"] && e.R2Q == 0 {
			// The kernel takes 0 as 1 (htb_init), a request's 0 is tc's
			// default 10: neither would be what the file says.
			return s, errors.New("bad r2q 0 (want 1 or more)")
		}
		o := &netlink.HTB{Rate2Quantum: e.R2Q, DirectQlen: e.DirectQlen}
		if e.Default != "" {
			// tc takes the default class's minor in hexadecimal.
			v, err := strconv.ParseUint(strings.TrimPrefix(e.Default, "0x"), 16, 32)
			if err != nil {
				return s, fmt.Errorf("bad default %q (want the default class's minor in hexadecimal)", e.Default)
			}
			o.Default = uint32(v)
		}
		s.Options = o
	case "tbf":
		o, err := e.tbf()
		if err != nil {
			return s, err
		}
		s.Options = o
	case "pfifo", "bfifo":
		if e.Limit == "" {
			// tc sends no options: the kernel's default limit (the
			// link's queue length; txn compares an existing fifo with it).
			break
		}
		o := &netlink.Fifo{Kind: e.Kind}
		if e.Kind == "pfifo" {
			v, err := strconv.ParseUint(e.Limit, 10, 32)
			if err != nil {
				return s, fmt.Errorf("bad limit %q (want a number of packets)", e.Limit)
			}
			o.Limit = uint32(v)
		} else if o.Limit, err = parseTCSize(e.Limit); err != nil {
			return s, err
		}
		s.Options = o
	}
	return s, nil
}

// tbf computes tbf's options as tc does (q_tbf.c): the bucket as the
// time to send burst at rate, and the limit from latency unless given.
func (e *qdiscYAML) tbf() (*netlink.TBF, error) {
	switch {
	case e.Rate == "" && e.Burst == "":
		return nil, errors.New("tbf needs a rate and a burst")
	case e.Rate == "":
		return nil, errors.New("tbf needs a rate")
	case e.Burst == "":
		return nil, errors.New("tbf needs a burst (with its rate)")
	}
	if (e.Latency == "") == (e.Limit == "") {
		return nil, errors.New("tbf needs a latency or a limit (one of them)")
	}
	rate, err := parseTCRate(e.Rate)
	if err != nil {
		return nil, err
	}
	burst, err := parseTCSize(e.Burst)
	if err != nil {
		return nil, err
	}
	// tc's rate tables are for Ethernet (TC_LINKLAYER_ETHERNET), which
	// the kernel reports back.
	o := &netlink.TBF{Rate: rate, Buffer: netlink.TBFBuffer(rate, burst), RateSpec: netlink.RateSpec{Linklayer: netlink.LinklayerEthernet}}
	if (e.Peakrate == "") != (e.MTU == "") {
		return nil, errors.New("tbf's peakrate needs an mtu, and mtu a peakrate")
	}
	var mtu uint32
	if e.Peakrate != "" {
		if o.Peakrate, err = parseTCRate(e.Peakrate); err != nil {
			return nil, err
		}
		if mtu, err = parseTCSize(e.MTU); err != nil {
			return nil, err
		}
		o.Mtu = netlink.TBFBuffer(o.Peakrate, mtu)
		o.PeakSpec = netlink.RateSpec{Linklayer: netlink.LinklayerEthernet}
	}
	if e.Limit != "" {
		if o.Limit, err = parseTCSize(e.Limit); err != nil {
			return nil, err
		}
		return o, nil
	}
	lat, err := parseTCTime(e.Latency)
	if err != nil {
		return nil, err
	}
	// tc's limit from a latency is what the bucket and the queue hold
	// for that long at the rate, or at the peak rate with the mtu when
	// that is less (q_tbf.c).
	o.Limit = netlink.TBFLimit(rate, burst, lat)
	if o.Peakrate != 0 {
		o.Limit = min(o.Limit, netlink.TBFLimit(o.Peakrate, mtu, lat))
	}
	return o, nil
}

func (e *classYAML) spec() (txn.ClassSpec, error) {
	// The entry is the whole class (a prio left out is 0), as the qdisc
	// and filter entries are.
	s := txn.ClassSpec{Dev: e.Dev, Absent: e.Absent, Kind: e.Kind, Exact: true}
	if e.Dev == "" {
		return s, errors.New("a class needs a dev")
	}
	if e.ClassID == "" {
		return s, errors.New("a class needs a classid (such as \"1:10\")")
	}
	var err error
	if s.ClassID, err = parseTCHandle("classid", e.ClassID); err != nil {
		return s, err
	}
	if e.Parent != "" {
		if s.Parent, err = parseTCHandle("parent", e.Parent); err != nil {
			return s, err
		}
	}
	if e.Absent {
		return s, nil
	}
	if e.Kind == "" {
		return s, errors.New("a class needs a kind (htb)")
	}
	if err := e.check("classes", e.Kind); err != nil {
		return s, err
	}
	if e.Rate == "" {
		return s, errors.New("an htb class needs a rate")
	}
	ether := netlink.RateSpec{Linklayer: netlink.LinklayerEthernet} // as tc's rate tables
	o := &netlink.HTBClass{Quantum: e.Quantum, RateSpec: ether, CeilSpec: ether}
	if o.Rate, err = parseTCRate(e.Rate); err != nil {
		return s, err
	}
	if e.Ceil != "" {
		if o.Ceil, err = parseTCRate(e.Ceil); err != nil {
			return s, err
		}
	} else {
		o.Ceil = o.Rate // tc's rule (q_htb.c): no ceil is the rate
	}
	if e.Prio != nil {
		if *e.Prio > 7 {
			return s, fmt.Errorf("prio %d out of range 0-7", *e.Prio)
		}
		o.Prio = *e.Prio
	}
	if e.Burst != "" {
		b, err := parseTCSize(e.Burst)
		if err != nil {
			return s, err
		}
		o.Buffer = netlink.HTBBuffer(o.Rate, b)
	}
	if e.Cburst != "" {
		b, err := parseTCSize(e.Cburst)
		if err != nil {
			return s, err
		}
		o.Cbuffer = netlink.HTBBuffer(max(o.Ceil, o.Rate), b)
	}
	s.Options = o
	return s, nil
}

func (e *filterYAML) spec() (txn.FilterSpec, error) {
	// The entry is the whole filter: what it leaves out (a flowid,
	// direct-action, a u32 link) is none.
	s := txn.FilterSpec{Dev: e.Dev, Block: uint32(e.Block), Absent: e.Absent, Kind: e.Kind, Priority: e.Pref, Chain: e.Chain, Exact: true}
	switch {
	case e.Block != 0 && (e.Dev != "" || e.Parent != ""):
		return s, fmt.Errorf("a filter of block %d takes no dev or parent (tc filter add block %d ...)", e.Block, e.Block)
	case e.Block == 0 && e.Dev == "":
		return s, errors.New("a filter needs a dev (or the block of a shared block's filter)")
	case e.Block == 0 && e.Parent == "":
		return s, errors.New("a filter needs a parent (the qdisc's handle, such as \"1:\", a class, ingress or egress)")
	case e.Pref == 0:
		return s, errors.New("a filter needs a pref (1 to 65535)")
	case e.Protocol == "":
		return s, errors.New("a filter needs a protocol (all, ip, ipv6, arp, 802.1Q, ...)")
	case e.Handle == "":
		return s, errors.New("a filter needs a handle (u32: such as \"800::800\"; bpf, flower, matchall: a number)")
	case e.Kind == "" && !e.Absent:
		return s, errors.New("a filter needs a kind (u32, bpf, flower, matchall)")
	}
	var err error
	switch e.Parent {
	case "":
	case "ingress":
		s.Parent = netlink.HandleIngressBlock
	case "egress":
		s.Parent = netlink.HandleEgressBlock
	default:
		if s.Parent, err = parseTCHandle("parent", e.Parent); err != nil {
			return s, err
		}
	}
	if s.Protocol, err = netlink.ParseTCProtocol(e.Protocol); err != nil {
		return s, fmt.Errorf("unknown protocol %q (want a name tc takes, in any case: all, ip, ipv6, arp, rarp, 802.1Q, 802.1ad, lldp, mpls_uc, ...; or a number from 0 to 65535)", e.Protocol)
	}
	if e.Kind == "" {
		// An absent entry may leave the kind out (it is no part of a
		// filter's identity): its handle is u32's if it has a colon.
		for k := range e.set {
			if slices.ContainsFunc(slices.Collect(maps.Values(tcOptionKeys["filters"])), func(ks []string) bool { return slices.Contains(ks, k) }) {
				return s, fmt.Errorf("an absent filter takes no %q", k)
			}
		}
	} else if err := e.check("filters", e.Kind); err != nil {
		return s, err
	}
	if e.Kind == "u32" || e.Kind == "" && strings.Contains(e.Handle, ":") {
		if s.Handle, err = netlink.ParseU32Handle(e.Handle); err != nil {
			return s, fmt.Errorf("bad u32 handle %q (want htid:hash:node in hexadecimal, such as \"800::800\")", e.Handle)
		}
	} else {
		v, err := strconv.ParseUint(e.Handle, 0, 32)
		if err != nil || v == 0 {
			return s, fmt.Errorf("bad handle %q (want a number from 1)", e.Handle)
		}
		s.Handle = uint32(v)
	}
	if e.Absent {
		if e.set["actions"] {
			return s, errors.New("an absent filter takes no actions")
		}
		return s, nil
	}
	var class netlink.Handle
	if e.Flowid != "" {
		if class, err = parseTCHandle("flowid", e.Flowid); err != nil {
			return s, err
		}
	}
	switch e.Kind {
	case "u32":
		o := &netlink.U32{ClassID: class, Divisor: e.Divisor}
		if o.Flags, err = e.clsFlags(); err != nil {
			return s, err
		}
		if e.Divisor == 0 {
			// The entry is the whole filter: no actions is none.
			if o.Actions, s.MirredDevs, err = parseTCActions(e.Actions); err != nil {
				return s, err
			}
			o.Sel = &netlink.U32Sel{}
			if class != 0 || len(o.Actions) > 0 {
				o.Sel.Flags = 1 // TC_U32_TERMINAL, as tc sets it with a flowid or an action
			}
			for _, m := range e.Match {
				k, err := parseU32Match(m)
				if err != nil {
					return s, err
				}
				if o.Sel.Keys, err = addU32Key(o.Sel.Keys, k); err != nil {
					return s, fmt.Errorf("u32 match %q: %w", m, err)
				}
			}
			if len(o.Sel.Keys) == 0 {
				return s, errors.New("a u32 filter needs a match (or a divisor for a hash table)")
			}
		} else if len(e.Match) > 0 || class != 0 || len(e.Actions) > 0 {
			return s, errors.New("a u32 hash table (divisor) takes no match, flowid or actions")
		}
		s.Options = o
	case "bpf":
		o := &netlink.BPFFilter{ClassID: class, DirectAction: e.DirectAction}
		var err error
		if o.GenFlags, err = e.clsFlags(); err != nil {
			return s, err
		}
		// The entry is the whole filter: no actions is none.
		if o.Actions, s.MirredDevs, err = parseTCActions(e.Actions); err != nil {
			return s, err
		}
		switch {
		case (e.Bytecode == "") == (e.ObjectPinned == ""):
			return s, errors.New("a bpf filter needs bytecode (as tc takes it: \"N,code jt jf k,...\") or object-pinned (the path of a pinned eBPF program), one of them")
		case e.Bytecode != "":
			if o.Ops, err = parseBytecode(e.Bytecode); err != nil {
				return s, err
			}
		default:
			fd, name, err := pinnedProgram(e.ObjectPinned)
			if err != nil {
				return s, err
			}
			o.FD, o.Name = uint32(fd), name
		}
		s.Options = o
	case "flower", "matchall":
		var o netlink.FilterOptions
		var acts netlink.TCActions
		if acts, s.MirredDevs, err = parseTCActions(e.Actions); err != nil {
			return s, err
		}
		if e.Kind == "flower" {
			f, err := e.flower(s.Protocol, class)
			if err != nil {
				return s, err
			}
			f.Actions, o = acts, f
		} else {
			m, err := e.matchall(class)
			if err != nil {
				return s, err
			}
			m.Actions, o = acts, m
		}
		s.Options = o
	}
	return s, nil
}

// parseU32Match reads one of u32's matches as tc's f_u32.c takes it:
// "ip src|dst PREFIX", "ip protocol N MASK", "ip sport|dport N MASK" (on
// an IPv4 header without options, as tc assumes), or "u32 VAL MASK at
// OFF" (numbers in C notation).
func parseU32Match(m string) (netlink.U32Key, error) {
	f := strings.Fields(m)
	bad := fmt.Errorf("bad u32 match %q (want \"ip src|dst PREFIX\", \"ip protocol N MASK\", \"ip sport|dport N MASK\" or \"u32 VAL MASK at OFF\")", m)
	num := func(s string, bits int) (uint32, error) {
		v, err := strconv.ParseUint(s, 0, bits)
		return uint32(v), err
	}
	switch {
	case len(f) == 3 && f[0] == "ip" && (f[1] == "src" || f[1] == "dst"):
		p, err := netip.ParsePrefix(f[2])
		if err != nil {
			a, aerr := netip.ParseAddr(f[2])
			if aerr != nil {
				return netlink.U32Key{}, bad
			}
			p = netip.PrefixFrom(a, 32)
		}
		if !p.Addr().Is4() {
			return netlink.U32Key{}, fmt.Errorf("u32 match %q: ip takes an IPv4 prefix", m)
		}
		mask := uint32(0)
		if p.Bits() > 0 {
			mask = ^uint32(0) << (32 - p.Bits())
		}
		a := p.Masked().Addr().As4()
		val := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		off := int32(12)
		if f[1] == "dst" {
			off = 16
		}
		return netlink.U32Key{Mask: mask, Val: val, Off: off}, nil
	case len(f) == 4 && f[0] == "ip" && f[1] == "protocol":
		v, err1 := num(f[2], 8)
		mk, err2 := num(f[3], 8)
		if err1 != nil || err2 != nil {
			return netlink.U32Key{}, bad
		}
		return netlink.U32Key{Mask: mk << 16, Val: (v & mk) << 16, Off: 8}, nil
	case len(f) == 4 && f[0] == "ip" && (f[1] == "sport" || f[1] == "dport"):
		v, err1 := num(f[2], 16)
		mk, err2 := num(f[3], 16)
		if err1 != nil || err2 != nil {
			return netlink.U32Key{}, bad
		}
		shift := uint32(16)
		if f[1] == "dport" {
			shift = 0
		}
		return netlink.U32Key{Mask: mk << shift, Val: (v & mk) << shift, Off: 20}, nil
	case len(f) == 5 && f[0] == "u32" && f[3] == "at":
		v, err1 := num(f[1], 32)
		mk, err2 := num(f[2], 32)
		off, err3 := strconv.ParseInt(f[4], 0, 32)
		if err1 != nil || err2 != nil || err3 != nil || off%4 != 0 {
			return netlink.U32Key{}, bad
		}
		return netlink.U32Key{Mask: mk, Val: v & mk, Off: int32(off)}, nil
	}
	return netlink.U32Key{}, bad
}

// addU32Key adds k to keys as tc's pack_key does (f_u32.c): into a key
// at the same offset, whose bits it must agree with (tc's "ip sport 80
// 0xffff" and "ip dport 443 0xffff" make one key at offset 20, as the
// kernel then has it).
func addU32Key(keys []netlink.U32Key, k netlink.U32Key) ([]netlink.U32Key, error) {
	for i := range keys {
		x := &keys[i]
		if x.Off == k.Off && x.OffMask == k.OffMask {
			if (x.Val^k.Val)&x.Mask&k.Mask != 0 {
				return nil, fmt.Errorf("contradicts an earlier match at offset %d", k.Off)
			}
			x.Val |= k.Val
			x.Mask |= k.Mask
			return keys, nil
		}
	}
	return append(keys, k), nil
}

// parseBytecode reads classic BPF as tc's bpf filter takes it
// ("bytecode"): the number of instructions, then "code jt jf k" for each,
// separated by commas.
func parseBytecode(s string) ([]netlink.BPFInstruction, error) {
	parts := strings.Split(strings.TrimSpace(s), ",")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n < 1 || n != len(parts)-1 {
		return nil, fmt.Errorf("bad bytecode %q (want \"N,code jt jf k,...\" with N instructions)", s)
	}
	ops := make([]netlink.BPFInstruction, n)
	for i, p := range parts[1:] {
		f := strings.Fields(p)
		if len(f) != 4 {
			return nil, fmt.Errorf("bad bytecode instruction %q (want \"code jt jf k\")", p)
		}
		code, e1 := strconv.ParseUint(f[0], 0, 16)
		jt, e2 := strconv.ParseUint(f[1], 0, 8)
		jf, e3 := strconv.ParseUint(f[2], 0, 8)
		k, e4 := strconv.ParseUint(f[3], 0, 32)
		if err := errors.Join(e1, e2, e3, e4); err != nil {
			return nil, fmt.Errorf("bad bytecode instruction %q (want \"code jt jf k\")", p)
		}
		ops[i] = netlink.BPFInstruction{Code: uint16(code), Jt: uint8(jt), Jf: uint8(jf), K: uint32(k)}
	}
	return ops, nil
}

// qdiscSpecs, classSpecs and filterSpecs convert the sections into out;
// an error names the entry's line. txn checks the rest by the kernel's
// rules when planning.
func (st *stateFile) qdiscSpecs(out *specSet) error {
	for _, e := range st.Qdiscs {
		s, err := e.spec()
		if err != nil {
			return &lineError{Line: int(e.Line), Msg: err.Error()}
		}
		out.qdiscs = append(out.qdiscs, s)
	}
	return nil
}

func (st *stateFile) classSpecs(out *specSet) error {
	for _, e := range st.Classes {
		s, err := e.spec()
		if err != nil {
			return &lineError{Line: int(e.Line), Msg: err.Error()}
		}
		out.classes = append(out.classes, s)
	}
	return nil
}

func (st *stateFile) filterSpecs(out *specSet) error {
	for _, e := range st.Filters {
		s, err := e.spec()
		if err != nil {
			return &lineError{Line: int(e.Line), Msg: err.Error()}
		}
		out.filters = append(out.filters, s)
	}
	return nil
}

// qdiscsInto, classesInto and filtersInto add the sections' specs to t,
// in file order (txn orders qdiscs, classes and filters itself).
func (s *specSet) qdiscsInto(t *txn.Txn) {
	for _, q := range s.qdiscs {
		t.Qdisc(q)
	}
}

func (s *specSet) classesInto(t *txn.Txn) {
	for _, c := range s.classes {
		t.Class(c)
	}
}

func (s *specSet) filtersInto(t *txn.Txn) {
	for _, f := range s.filters {
		t.Filter(f)
	}
}

// tcSpecLines adds the tc sections' lines to m (specLines).
func (st *stateFile) tcSpecLines(m map[netlink.Kind][]int) {
	for _, e := range st.Qdiscs {
		m[netlink.KindQdisc] = append(m[netlink.KindQdisc], int(e.Line))
	}
	for _, e := range st.Classes {
		m[netlink.KindClass] = append(m[netlink.KindClass], int(e.Line))
	}
	for _, e := range st.Filters {
		m[netlink.KindFilter] = append(m[netlink.KindFilter], int(e.Line))
	}
}

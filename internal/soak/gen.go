//go:build linux

// Package soak holds what the torture tests share: their command-line
// flags, a seeded random generator of iproute2 changes, and the check that a
// database equals `ip -j` after quiescence.
//
// The generator writes `ip -batch` and `bridge -batch` lines for a test
// namespace: links of every kind this kernel has (bridge, veth, vxlan,
// macvlan, macvtap, ifb, tap), renames, up/down, MTU, masters, IPv4 and
// IPv6 addresses (flushes that remove a link's last address included),
// qdiscs, htb classes and u32 and bpf filters (`tc -batch`),
// routes in many tables (multipath, blackhole and the other types, metrics,
// TOS, routes the kernel removes with their link or address), neighbours,
// FDB entries and rules with every selector. It keeps a rough picture of
// what exists so that most commands succeed; the ones that fail (a name
// that is taken, a gateway that is not on a connected subnet) are part of
// the game and are ignored (`-force`).
package soak

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Flags of the torture tests. Their defaults are the short run of a plain
// `go test ./...` (10 s of changes per soak run); .ci/run's bounded soak
// raises -soak.duration to 40s.
var (
	Seed     = flag.Uint64("soak.seed", 0, "seed of the random generator (0: from the clock; the seed is printed)")
	Duration = flag.Duration("soak.duration", 10*time.Second, "how long each soak run generates changes")
	Changes  = flag.Int("soak.changes", 60000, "stop a soak run after this many changes")
	MaxBurst = flag.Int("soak.maxburst", 3000, "largest burst of changes sent in one ip -batch")
	RcvBuf   = flag.Int("soak.rcvbuf", 16<<10, "receive buffer (bytes) of the small-buffer soak run; 0 skips that run")
	Leaks    = flag.Int("soak.leaks", 1000, "Open/Close cycles of the leak guard (subscribe/unsubscribe cycles: 10x)")
)

// SoakDuration is how long a soak run generates changes: -soak.duration.
func SoakDuration() time.Duration { return *Duration }

// PickSeed returns the seed flag, or one from the clock if it is 0.
func PickSeed() uint64 {
	if *Seed != 0 {
		return *Seed
	}
	return uint64(time.Now().UnixNano())
}

// linkKinds are the kinds the generator creates.
var linkKinds = []string{"bridge", "veth", "vxlan", "macvlan", "macvtap", "ifb", "tap"}

// tables are the routing tables routes go to.
var tables = []string{"main", "100", "200", "1000", "70000"}

// Gen is a seeded generator of changes for one namespace. It is not safe
// for concurrent use.
type Gen struct {
	R  *rand.Rand
	NS string

	// Skip, if set, names links the generator must leave alone (and so
	// never uses as a master, parent or device).
	Skip func(name string) bool

	// Tables, if set, replaces the routing tables routes go to (by
	// default main, 100, 200, 1000 and 70000).
	Tables []string

	links map[string]string // name -> kind, as far as the generator knows
	n     int               // names handed out
	bulk  int               // bulk routes made so far
}

// NewGen returns a generator for namespace ns seeded with seed.
func NewGen(ns string, seed uint64) *Gen {
	return &Gen{R: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), NS: ns, links: map[string]string{}}
}

// Batch is one burst of commands.
type Batch struct {
	IP     []string // for `ip -batch`
	IP6    []string // for `ip -6 -batch` (rules and flushes of IPv6)
	Bridge []string // for `bridge -batch`
	TC     []string // for `tc -batch`
}

// Len is the number of commands.
func (b *Batch) Len() int { return len(b.IP) + len(b.IP6) + len(b.Bridge) + len(b.TC) }

// String prints the batch as shell commands, for a reproduction.
func (b *Batch) String() string {
	var s strings.Builder
	for _, l := range b.IP {
		fmt.Fprintf(&s, "ip %s\n", l)
	}
	for _, l := range b.IP6 {
		fmt.Fprintf(&s, "ip -6 %s\n", l)
	}
	for _, l := range b.Bridge {
		fmt.Fprintf(&s, "bridge %s\n", l)
	}
	for _, l := range b.TC {
		fmt.Fprintf(&s, "tc %s\n", l)
	}
	return s.String()
}

// Run sends the batch to the namespace. Commands that fail are skipped
// (-force); only a failure to run the tools at all is an error.
func (b *Batch) Run(ns string) error {
	run := func(tool string, args []string, lines []string) error {
		if len(lines) == 0 {
			return nil
		}
		cmd := exec.Command(tool, append(append([]string{"-n", ns}, args...), "-force", "-batch", "-")...)
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			if _, ok := err.(*exec.ExitError); ok {
				return nil // some commands failed: expected
			}
			return fmt.Errorf("%s -batch: %v: %s", tool, err, stderr.String())
		}
		return nil
	}
	if err := run("ip", nil, b.IP); err != nil {
		return err
	}
	if err := run("ip", []string{"-6"}, b.IP6); err != nil {
		return err
	}
	if err := run("bridge", nil, b.Bridge); err != nil {
		return err
	}
	return run("tc", nil, b.TC)
}

// Refresh re-reads the namespace's links, so that the generator's picture
// follows what the kernel really did.
func (g *Gen) Refresh() error {
	out, err := exec.Command("ip", "-n", g.NS, "-j", "-d", "link", "show").Output()
	if err != nil {
		return fmt.Errorf("ip -j link: %v", err)
	}
	var links []struct {
		Name string `json:"ifname"`
		Info struct {
			Kind string `json:"info_kind"`
			Data struct {
				Type string `json:"type"`
			} `json:"info_data"`
		} `json:"linkinfo"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return err
	}
	clear(g.links)
	for _, l := range links {
		k := l.Info.Kind
		if k == "tun" {
			k = l.Info.Data.Type // tap
		}
		if l.Name == "lo" || k == "" {
			continue
		}
		g.links[l.Name] = k
	}
	return nil
}

func pick[T any](g *Gen, s []T) T { return s[g.R.IntN(len(s))] }

func (g *Gen) tables() []string {
	if len(g.Tables) > 1 {
		return g.Tables
	}
	return tables
}

func (g *Gen) pick(s []string) string { return pick(g, s) }

func (g *Gen) chance(p float64) bool { return g.R.Float64() < p }

// names returns the known links of the given kinds (all kinds if none), sorted.
func (g *Gen) names(kinds ...string) []string {
	var out []string
	for n, k := range g.links {
		if g.Skip != nil && g.Skip(n) {
			continue
		}
		if len(kinds) == 0 || slices.Contains(kinds, k) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// link returns a random known link of the given kinds, or "" if none.
func (g *Gen) link(kinds ...string) string {
	ns := g.names(kinds...)
	if len(ns) == 0 {
		return ""
	}
	return g.pick(ns)
}

func (g *Gen) newName(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%d", prefix, g.n%40)
}

func (g *Gen) mac() string {
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", g.R.IntN(4), g.R.IntN(256), g.R.IntN(8), g.R.IntN(256), g.R.IntN(256))
}

// v4 returns a documentation address: 192.0.2.0/24, 198.51.100.0/24 or
// 203.0.113.0/24, with a host part from 1 to n.
func (g *Gen) v4(n int) string {
	return fmt.Sprintf("%s.%d", g.pick([]string{"192.0.2", "198.51.100", "203.0.113"}), 1+g.R.IntN(n))
}

func (g *Gen) v6(n int) string { return fmt.Sprintf("2001:db8:%x::%x", g.R.IntN(4), 1+g.R.IntN(n)) }

// v4Prefix returns a documentation IPv4 prefix of length 24 to 32.
func (g *Gen) v4Prefix() string {
	bits := 24 + g.R.IntN(9)
	host := g.R.IntN(256) &^ (1<<(32-bits) - 1)
	return fmt.Sprintf("%s.%d/%d", g.pick([]string{"198.51.100", "203.0.113"}), host, bits)
}

func (g *Gen) v6Prefix() string {
	return fmt.Sprintf("2001:db8:%x:%x::/%s", 8+g.R.IntN(8), g.R.IntN(16), g.pick([]string{"48", "56", "64"}))
}

// Burst returns n random changes. Big bursts are mostly route adds and
// removals in bulk, as a routing daemon makes them; small ones mix every
// kind of change.
func (g *Gen) Burst(n int) *Batch {
	b := &Batch{}
	for b.Len() < n {
		if n > 200 && g.chance(0.9) {
			g.bulkRoutes(b, min(n-b.Len(), 1+g.R.IntN(n)))
			continue
		}
		g.one(b)
	}
	return b
}

// bulkRoutes adds or removes k routes in one table: IPv4 host routes of
// the documentation prefixes told apart by metric and TOS, or IPv6 ones.
func (g *Gen) bulkRoutes(b *Batch, k int) {
	table := g.pick(g.tables()[1:])
	dev := g.link("ifb", "veth", "bridge", "tap")
	if dev == "" || g.chance(0.15) {
		// No link, or on purpose: a flush of the whole table.
		if g.chance(0.5) {
			b.IP = append(b.IP, "route flush table "+table)
		} else {
			b.IP6 = append(b.IP6, "route flush table "+table)
		}
		return
	}
	base := 10 + g.R.IntN(1000)
	del := g.chance(0.3)
	v6 := g.chance(0.3)
	for i := range k {
		n := base*1000 + i
		var l string
		if v6 {
			l = fmt.Sprintf("2001:db8:f%03x:%x::/64 dev %s metric %d table %s", n%4096, n/4096%65536, dev, 1+g.R.IntN(3), table)
		} else {
			l = fmt.Sprintf("%s.%d/32 dev %s metric %d table %s", g.pick([]string{"198.51.100", "203.0.113"}), n%256, dev, n/256%4096, table)
			if g.chance(0.05) {
				l += " tos 0x10"
			}
		}
		if del {
			b.IP = append(b.IP, "route del "+l)
		} else {
			b.IP = append(b.IP, "route replace "+l)
		}
	}
	g.bulk += k
}

// one adds one random change of any kind.
func (g *Gen) one(b *Batch) {
	switch x := g.R.IntN(100); {
	case x < 22:
		g.linkChange(b)
	case x < 36:
		g.addrChange(b)
	case x < 60:
		g.routeChange(b)
	case x < 71:
		g.neighChange(b)
	case x < 78:
		g.fdbChange(b)
	case x < 85:
		g.ruleChange(b)
	case x < 92:
		g.nexthopChange(b)
	default:
		g.tcChange(b)
	}
}

// tcChange adds, replaces or deletes a qdisc (htb, tbf, pfifo, bfifo at
// the root or under an htb class; ingress, clsact), an htb class (some
// under another class, which destroys that class's leaf qdisc) or a
// filter (u32 on a qdisc or class, bpf with classic bytecode on ingress
// and egress), on veth and bridge links, or deletes a whole priority;
// ingress and clsact qdiscs bound to shared blocks 1 to 3, and filters
// on those blocks.
// Replacing a root qdisc, deleting one with classes and filters under it,
// a link coming up or going: the kernel's silent tc changes are the
// point.
func (g *Gen) tcChange(b *Batch) {
	dev := g.link("veth", "bridge")
	if dev == "" {
		return
	}
	major := 1 + g.R.IntN(3)
	class := fmt.Sprintf("%d:%d", major, 1+g.R.IntN(4))
	prio := 1 + g.R.IntN(4)
	switch x := g.R.IntN(100); {
	case x < 25:
		root := fmt.Sprintf("root handle %d:", major)
		if g.chance(0.3) {
			// A leaf qdisc of a class.
			root = fmt.Sprintf("parent %s handle %d:", class, 10+g.R.IntN(20))
		}
		var kind string
		switch g.R.IntN(4) {
		case 0:
			kind = "htb default 1"
		case 1:
			kind = fmt.Sprintf("tbf rate %dmbit burst 10k latency 50ms", 1+g.R.IntN(10))
		case 2:
			kind = fmt.Sprintf("pfifo limit %d", 10+g.R.IntN(100))
		default:
			kind = fmt.Sprintf("bfifo limit %d", 10000+g.R.IntN(10000))
		}
		b.TC = append(b.TC, fmt.Sprintf("qdisc %s dev %s %s %s", g.pick([]string{"add", "replace"}), dev, root, kind))
	case x < 32:
		b.TC = append(b.TC, "qdisc del dev "+dev+" root")
	case x < 40:
		kind := g.pick([]string{"ingress", "clsact"})
		verb := g.pick([]string{"add", "add", "del"})
		if verb == "add" && g.chance(0.4) {
			// Bound to a shared block: its filters belong to every link
			// bound to it, and the block dies with its last qdisc.
			blocks := fmt.Sprintf("ingress_block %d", 1+g.R.IntN(3))
			if kind == "clsact" && g.chance(0.5) {
				blocks += fmt.Sprintf(" egress_block %d", 1+g.R.IntN(3))
			}
			kind = blocks + " " + kind
		}
		b.TC = append(b.TC, fmt.Sprintf("qdisc %s dev %s %s", verb, dev, kind))
	case x < 45:
		block := 1 + g.R.IntN(3)
		if g.chance(0.7) {
			b.TC = append(b.TC, fmt.Sprintf("filter add block %d protocol all prio %d bpf bytecode \"1,6 0 0 %d,\"",
				block, prio, g.R.IntN(2)*65535))
		} else {
			b.TC = append(b.TC, fmt.Sprintf("filter del block %d prio %d", block, prio))
		}
	case x < 60:
		parent := fmt.Sprintf("%d:", major)
		if g.chance(0.3) {
			parent = fmt.Sprintf("%d:%d", major, 1+g.R.IntN(4))
		}
		verb := g.pick([]string{"add", "replace", "change", "del"})
		l := fmt.Sprintf("class %s dev %s parent %s classid %d:%d", verb, dev, parent, major, 1+g.R.IntN(4))
		if verb != "del" {
			l += fmt.Sprintf(" htb rate %dmbit", 1+g.R.IntN(10))
		}
		b.TC = append(b.TC, l)
	case x < 80:
		parent := fmt.Sprintf("%d:", major)
		if g.chance(0.3) {
			parent = class
		}
		b.TC = append(b.TC, fmt.Sprintf("filter add dev %s parent %s protocol ip prio %d u32 match ip dst %s/32 flowid %s",
			dev, parent, prio, g.v4(20), class))
	case x < 90:
		b.TC = append(b.TC, fmt.Sprintf("filter add dev %s %s protocol all prio %d bpf bytecode \"1,6 0 0 %d,\"",
			dev, g.pick([]string{"ingress", "egress"}), prio, g.R.IntN(2)*65535))
	default:
		parent := g.pick([]string{"ingress", "egress", fmt.Sprintf("parent %d:", major)})
		b.TC = append(b.TC, fmt.Sprintf("filter del dev %s %s prio %d", dev, parent, prio))
	}
}

// nexthopChange adds, replaces or deletes a nexthop object (ids 1 to 24:
// single IPv4 and IPv6 gateways, devices, blackholes, FDB nexthops, and
// groups of them with weights, mpath or resilient), or a route over one.
// Deleting a nexthop the kernel's routes and groups use is the point: the
// kernel removes those routes and shrinks those groups without telling.
func (g *Gen) nexthopChange(b *Batch) {
	id := 1 + g.R.IntN(24)
	dev := g.link("veth", "bridge", "vxlan", "macvlan", "tap", "ifb")
	switch x := g.R.IntN(100); {
	case x < 15:
		b.IP = append(b.IP, fmt.Sprintf("nexthop del id %d", id))
	case x < 18:
		b.IP = append(b.IP, "nexthop flush")
	case x < 30:
		// A route over a nexthop (IPv6 routes only over IPv6 or group
		// nexthops; the kernel refuses the others, which is fine).
		dst := g.v4Prefix()
		if g.chance(0.3) {
			dst = g.v6Prefix()
		}
		b.IP = append(b.IP, fmt.Sprintf("route replace %s nhid %d table %s", dst, 1+g.R.IntN(48), g.pick(g.tables())))
	case x < 60:
		if dev == "" {
			return
		}
		verb := g.pick([]string{"add", "replace"})
		var l string
		switch y := g.R.IntN(100); {
		case y < 45:
			l = fmt.Sprintf("via %s dev %s", g.v4(12), dev)
		case y < 70:
			l = fmt.Sprintf("via %s dev %s", g.v6(12), dev)
		case y < 80:
			l = "dev " + dev
		case y < 90:
			l = "blackhole"
		default:
			l = fmt.Sprintf("via %s fdb", g.v4(12))
		}
		if g.chance(0.2) {
			l += " proto " + g.pick([]string{"static", "bgp", "zebra"})
		}
		b.IP = append(b.IP, fmt.Sprintf("nexthop %s id %d %s", verb, id, l))
	default:
		members := 1 + g.R.IntN(3)
		var parts []string
		for range members {
			m := fmt.Sprint(1 + g.R.IntN(24))
			if g.chance(0.4) {
				m += fmt.Sprintf(",%d", 1+g.R.IntN(8))
			}
			parts = append(parts, m)
		}
		l := fmt.Sprintf("nexthop %s id %d group %s", g.pick([]string{"add", "replace"}), 24+id, strings.Join(parts, "/"))
		if g.chance(0.3) {
			l += fmt.Sprintf(" type resilient buckets %d", 8<<g.R.IntN(3))
		}
		b.IP = append(b.IP, l)
	}
}

func (g *Gen) linkChange(b *Batch) {
	have := g.names()
	if len(have) < 6 || (len(have) < 24 && g.chance(0.3)) {
		g.linkAdd(b)
		return
	}
	name := g.pick(have)
	switch x := g.R.IntN(100); {
	case x < 8:
		// A veth's peer goes with it; Refresh notices.
		b.IP = append(b.IP, "link del "+name)
		delete(g.links, name)
	case x < 30:
		b.IP = append(b.IP, "link set "+name+" up")
	case x < 40:
		b.IP = append(b.IP, "link set "+name+" down")
	case x < 52:
		mtu := g.pick([]string{"1280", "1400", "1500", "1500", "9000"})
		b.IP = append(b.IP, "link set "+name+" mtu "+mtu)
	case x < 66:
		if br := g.link("bridge"); br != "" && br != name && g.links[name] != "bridge" && g.chance(0.8) {
			b.IP = append(b.IP, "link set "+name+" master "+br)
		} else {
			b.IP = append(b.IP, "link set "+name+" nomaster")
		}
	case x < 76:
		// A rename needs the link down.
		to := g.newName("rn")
		b.IP = append(b.IP, "link set "+name+" down", "link set "+name+" name "+to)
		if _, taken := g.links[to]; !taken {
			g.links[to] = g.links[name]
			delete(g.links, name)
		}
	case x < 84:
		b.IP = append(b.IP, "link set "+name+" address "+g.mac())
	case x < 90:
		b.IP = append(b.IP, fmt.Sprintf("link set %s alias soak%d", name, g.R.IntN(100)))
	case x < 95:
		b.IP = append(b.IP, fmt.Sprintf("link set %s txqlen %d", name, 100+g.R.IntN(1000)))
	default:
		if br := g.link("bridge"); br != "" {
			b.IP = append(b.IP, fmt.Sprintf("link set %s type bridge ageing_time %d", br, 1000+g.R.IntN(30000)))
		}
	}
}

func (g *Gen) linkAdd(b *Batch) {
	kind := g.pick(linkKinds)
	up := ""
	if g.chance(0.7) {
		up = "up"
	}
	var name string
	switch kind {
	case "bridge":
		name = g.newName("br")
		b.IP = append(b.IP, fmt.Sprintf("link add %s type bridge forward_delay %d", name, pick(g, []int{0, 200, 1500})))
	case "veth":
		name = g.newName("va")
		peer := g.newName("vb")
		b.IP = append(b.IP, fmt.Sprintf("link add %s type veth peer name %s", name, peer))
		g.links[peer] = "veth"
		if up != "" {
			b.IP = append(b.IP, "link set "+peer+" up")
		}
	case "vxlan":
		name = g.newName("vx")
		l := fmt.Sprintf("link add %s type vxlan id %d dstport %d", name, 1+g.R.IntN(1000), pick(g, []int{4789, 8472}))
		if g.chance(0.5) {
			l += " local 192.0.2." + fmt.Sprint(1+g.R.IntN(9))
		}
		if g.chance(0.5) {
			l += " nolearning"
		}
		b.IP = append(b.IP, l)
	case "macvlan", "macvtap":
		parent := g.link("veth")
		if parent == "" {
			return
		}
		name = g.newName(map[string]string{"macvlan": "mv", "macvtap": "mt"}[kind])
		b.IP = append(b.IP, fmt.Sprintf("link add %s link %s type %s mode %s", name, parent, kind,
			g.pick([]string{"bridge", "private", "vepa", "passthru"})))
	case "ifb":
		name = g.newName("ifb")
		b.IP = append(b.IP, "link add "+name+" type ifb")
	case "tap":
		name = g.newName("tap")
		b.IP = append(b.IP, "tuntap add "+name+" mode tap")
	}
	if _, taken := g.links[name]; !taken {
		g.links[name] = kind
	}
	if up != "" {
		b.IP = append(b.IP, "link set "+name+" up")
	}
}

func (g *Gen) addrChange(b *Batch) {
	dev := g.link()
	if dev == "" {
		return
	}
	switch x := g.R.IntN(100); {
	case x < 40:
		l := fmt.Sprintf("addr add %s/24 dev %s", g.v4(12), dev)
		if g.chance(0.2) {
			l += fmt.Sprintf(" metric %d", g.R.IntN(100))
		}
		if g.chance(0.1) {
			l = fmt.Sprintf("addr add %s peer %s dev %s", g.v4(12), g.v4(12), dev)
		}
		b.IP = append(b.IP, l)
	case x < 65:
		l := fmt.Sprintf("addr add %s/64 dev %s", g.v6(12), dev)
		if g.chance(0.7) {
			l += " nodad"
		}
		b.IP = append(b.IP, l)
	case x < 80:
		b.IP = append(b.IP, fmt.Sprintf("addr del %s/24 dev %s", g.v4(12), dev))
	case x < 88:
		b.IP = append(b.IP, fmt.Sprintf("addr del %s/64 dev %s", g.v6(12), dev))
	case x < 95:
		// Removes the link's last IPv4 address: the kernel drops its
		// IPv4 routes silently.
		b.IP = append(b.IP, "addr flush dev "+dev+" scope global")
	default:
		b.IP6 = append(b.IP6, "addr flush dev "+dev+" scope global")
	}
}

func (g *Gen) routeChange(b *Batch) {
	dev := g.link()
	if dev == "" {
		return
	}
	table := g.pick(g.tables())
	v6 := g.chance(0.3)
	var dst, via string
	if v6 {
		dst, via = g.v6Prefix(), g.v6(12)
	} else {
		dst, via = g.v4Prefix(), g.v4(12)
	}
	verb := g.pick([]string{"add", "add", "replace", "append", "prepend", "del", "change"})
	var l string
	switch x := g.R.IntN(100); {
	case x < 25:
		l = fmt.Sprintf("%s dev %s", dst, dev)
	case x < 50:
		l = fmt.Sprintf("%s via %s", dst, via)
		if g.chance(0.5) {
			l += " dev " + dev
		}
	case x < 65:
		l = fmt.Sprintf("%s %s", g.pick([]string{"blackhole", "unreachable", "prohibit", "throw"}), dst)
	case x < 80:
		other := g.link()
		via2 := g.v4(12)
		if v6 {
			via2 = g.v6(12)
		}
		l = fmt.Sprintf("%s nexthop via %s dev %s weight %d nexthop via %s dev %s weight %d",
			dst, via, dev, 1+g.R.IntN(5), via2, other, 1+g.R.IntN(5))
	default:
		if g.chance(0.5) {
			b.IP = append(b.IP, "route flush table "+table)
		} else {
			b.IP6 = append(b.IP6, "route flush table "+table)
		}
		return
	}
	if g.chance(0.4) {
		l += fmt.Sprintf(" metric %d", g.R.IntN(5))
	}
	if !v6 && g.chance(0.15) {
		l += " tos 0x" + g.pick([]string{"08", "10"})
	}
	if g.chance(0.2) {
		l += fmt.Sprintf(" mtu %d advmss %d", 1280+g.R.IntN(200), 1200+g.R.IntN(60))
	}
	if g.chance(0.2) {
		l += " proto " + g.pick([]string{"static", "bgp", "boot"})
	}
	b.IP = append(b.IP, fmt.Sprintf("route %s %s table %s", verb, l, table))
}

func (g *Gen) neighChange(b *Batch) {
	dev := g.link("veth", "bridge", "vxlan", "macvlan", "tap")
	if dev == "" {
		return
	}
	dst := g.v4(12)
	if g.chance(0.35) {
		dst = g.v6(12)
	}
	switch x := g.R.IntN(100); {
	case x < 55:
		b.IP = append(b.IP, fmt.Sprintf("neigh %s %s lladdr %s dev %s nud %s", g.pick([]string{"add", "replace", "change"}),
			dst, g.mac(), dev, g.pick([]string{"permanent", "stale", "reachable", "noarp", "permanent"})))
	case x < 80:
		b.IP = append(b.IP, fmt.Sprintf("neigh del %s dev %s", dst, dev))
	case x < 90:
		b.IP = append(b.IP, fmt.Sprintf("neigh %s proxy %s dev %s", g.pick([]string{"add", "del"}), dst, dev))
	default:
		b.IP = append(b.IP, "neigh flush dev "+dev+" nud all")
	}
}

func (g *Gen) fdbChange(b *Batch) {
	if g.chance(0.4) {
		vx := g.link("vxlan")
		if vx == "" {
			return
		}
		mac := g.pick([]string{"00:00:00:00:00:00", g.mac()})
		b.Bridge = append(b.Bridge, fmt.Sprintf("fdb %s %s dev %s self dst %s", g.pick([]string{"add", "append", "del", "replace"}),
			mac, vx, g.v4(12)))
		return
	}
	port := g.link("veth", "tap", "ifb", "macvlan")
	if port == "" {
		return
	}
	verb := g.pick([]string{"add", "replace", "del"})
	switch g.R.IntN(3) {
	case 0:
		b.Bridge = append(b.Bridge, fmt.Sprintf("fdb %s %s dev %s master static", verb, g.mac(), port))
	case 1:
		b.Bridge = append(b.Bridge, fmt.Sprintf("fdb %s %s dev %s master dynamic", verb, g.mac(), port))
	default:
		b.Bridge = append(b.Bridge, fmt.Sprintf("fdb %s %s dev %s self permanent", verb, g.mac(), port))
	}
}

func (g *Gen) ruleChange(b *Batch) {
	v6 := g.chance(0.35)
	prio := 1000 + g.R.IntN(40)
	var sel []string
	add := func(s string) { sel = append(sel, s) }
	if g.chance(0.1) {
		add("not")
	}
	if g.chance(0.4) {
		if v6 {
			add("from " + g.v6Prefix())
		} else {
			add("from " + g.v4Prefix())
		}
	}
	if g.chance(0.25) {
		if v6 {
			add("to " + g.v6Prefix())
		} else {
			add("to " + g.v4Prefix())
		}
	}
	if !v6 && g.chance(0.1) {
		add("tos 0x10")
	}
	if g.chance(0.2) {
		add(fmt.Sprintf("fwmark 0x%x/0xff", g.R.IntN(16)))
	}
	if dev := g.link(); dev != "" && g.chance(0.15) {
		add("iif " + dev)
	}
	if dev := g.link(); dev != "" && g.chance(0.1) {
		add("oif " + dev)
	}
	if g.chance(0.1) {
		lo := g.R.IntN(1000)
		add(fmt.Sprintf("uidrange %d-%d", lo, lo+g.R.IntN(1000)))
	}
	if g.chance(0.15) {
		add("ipproto " + g.pick([]string{"tcp", "udp"}))
		if g.chance(0.5) {
			lo := 1 + g.R.IntN(1000)
			add(fmt.Sprintf("dport %d-%d", lo, lo+g.R.IntN(100)))
		}
		if g.chance(0.3) {
			add(fmt.Sprintf("sport %d", 1+g.R.IntN(60000)))
		}
	}
	if g.chance(0.15) {
		add("protocol " + g.pick([]string{"bgp", "static", "kernel", "boot"}))
	}
	if !v6 && g.chance(0.05) {
		add(fmt.Sprintf("realms %d", 1+g.R.IntN(10)))
	}
	if g.chance(0.05) {
		add(fmt.Sprintf("tun_id %d", 1+g.R.IntN(100)))
	}
	switch x := g.R.IntN(100); {
	case x < 60:
		add("table " + g.pick(g.tables()))
		if g.chance(0.2) {
			add(fmt.Sprintf("suppress_prefixlength %d", g.R.IntN(33)))
		}
	case x < 72:
		add(fmt.Sprintf("goto %d", 1000+g.R.IntN(40)))
	case x < 80:
		add("nop")
	default:
		add(g.pick([]string{"blackhole", "unreachable", "prohibit"}))
	}
	verb := "add"
	if g.chance(0.35) {
		verb = "del"
	}
	l := fmt.Sprintf("rule %s priority %d %s", verb, prio, strings.Join(sel, " "))
	if v6 {
		b.IP6 = append(b.IP6, l)
	} else {
		b.IP = append(b.IP, l)
	}
}

//go:build linux

package oracle

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// The option comparators print the library's decoded tc options the way
// iproute2 6.1's tc prints them (tc/q_*.c, f_*.c and m_*.c: the keys it
// prints, when it prints them, in its units) and compare the result with
// tc's own JSON key for key. Both sides are flattened to "path = value"
// pairs ("options.delay.jitter", "actions[1].control_action.type"); a
// key tc writes twice in one object (police's exceed and conform verdicts,
// u32's "match") gets "#2", "#3"... Counters and reference counts (ref,
// bind, times, statistics) are left out: they are volatile. What tc -j
// does not print, police's rates and sizes, is compared with its text
// (`tc -d actions ls action police`), which the comparator reproduces the
// same way.
//
// Covered: the qdiscs fq_codel, fq, netem, prio, sfq and cake; the filters
// flower, matchall, basic and u32 with the actions gact, mirred, police
// and bpf (classic bytecode). Other kinds are left to the identity
// comparators (CompareQdiscs, CompareFilters) and netlink's own tests.

// tcFields is a flattened set of tc keys and values.
type tcFields map[string]string

// add sets path to v, as "path#2"... when path is set already.
func (f tcFields) add(path string, v any) {
	p := path
	for n := 2; ; n++ {
		if _, dup := f[p]; !dup {
			break
		}
		p = fmt.Sprintf("%s#%d", path, n)
	}
	f[p] = tcValue(v)
}

// tcNum formats a number as both sides compare it: integers exactly,
// fractions with the six significant digits of C's %g, which tc's JSON
// writer uses for floating point values.
func tcNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func tcValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return tcNum(x)
	case int:
		return tcNum(float64(x))
	case int32:
		return tcNum(float64(x))
	case uint8:
		return tcNum(float64(x))
	case uint16:
		return tcNum(float64(x))
	case uint32:
		return tcNum(float64(x))
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	return fmt.Sprint(v)
}

// tcVolatile are the keys left out of the comparison.
// used_hw_stats appears on an action once anything lists it on its own
// (`tc actions ls`), with no notification (netlink's TCActions.stable).
var tcVolatile = map[string]bool{
	"ref": true, "bind": true, "installed": true, "last_used": true, "first_used": true,
	"expires": true, "stats": true, "rule_hit": true, "success": true, "used_hw_stats": true,
}

// dropMeasured removes from a qdisc's options what the kernel measures
// from traffic and changes without a notification: cake's bandwidth
// under autorate-ingress (sch_cake.c's cake_enqueue sets rate_bps from
// the measured ingress rate, and cake_dump reports it). A link's own
// IPv6 packets (DAD, router solicitations) are enough to move it.
func dropMeasured(f tcFields) {
	if f["options.autorate"] == "autorate-ingress" {
		delete(f, "options.bandwidth")
	}
}

// flattenTC adds tc's JSON value v under path.
func flattenTC(f tcFields, path string, v *jsonValue) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v.kind {
	case 'o':
		for i, k := range v.keys {
			if tcVolatile[k] {
				continue
			}
			flattenTC(f, join(k), v.vals[i])
		}
	case 'a':
		scalars := true
		for _, e := range v.vals {
			scalars = scalars && e.kind != 'o' && e.kind != 'a'
		}
		if scalars {
			s := make([]string, len(v.vals))
			for i, e := range v.vals {
				s[i] = tcJSONScalar(e)
			}
			f.add(path, "["+strings.Join(s, " ")+"]")
			return
		}
		for i, e := range v.vals {
			idx := strconv.Itoa(i)
			if e.kind == 'o' {
				for j, k := range e.keys {
					if k == "order" {
						idx = tcJSONScalar(e.vals[j])
					}
				}
			}
			flattenTC(f, path+"["+idx+"]", e)
		}
	default:
		f.add(path, tcJSONScalar(v))
	}
}

func tcJSONScalar(v *jsonValue) string {
	switch v.kind {
	case 's':
		return v.str
	case 'n':
		x, err := v.num.Float64()
		if err != nil {
			return v.num.String()
		}
		return tcNum(x)
	case 'b':
		return strconv.FormatBool(v.b)
	case 'z':
		return "null"
	}
	return v.String()
}

// tcFieldsDiff lists the keys whose values differ, sorted.
func tcFieldsDiff(what string, got, want tcFields) []string {
	var d []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			d = append(d, fmt.Sprintf("%s: missing %s = %s", what, k, w))
		} else if g != w {
			d = append(d, fmt.Sprintf("%s: %s = %s, tc says %s", what, k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: extra %s = %s", what, k, g))
		}
	}
	sort.Strings(d)
	return d
}

func tcDiffError(d []string) error {
	if len(d) == 0 {
		return nil
	}
	return fmt.Errorf("tc options differ from tc's:\n  %s", strings.Join(d, "\n  "))
}

// tcUint32Max is UINT32_MAX, the scale of netem's probabilities.
const tcUint32Max = float64(math.MaxUint32)

// tcTickInUsec is tc's tick_in_usec from /proc/net/psched (t2us 1000,
// us2t 64, clock_res 1000000): a tick is 64 ns.
const tcTickInUsec = 15.625

// tcTick2Time is tc_core_tick2time: whole microseconds.
func tcTick2Time(ticks uint32) uint32 { return uint32(float64(ticks) / tcTickInUsec) }

// tcXmitSize is tc_calc_xmitsize: the bytes sent at rate (bytes/s) in
// ticks.
func tcXmitSize(rate uint64, ticks uint32) uint32 {
	return uint32(float64(rate) * float64(tcTick2Time(ticks)) / 1e6)
}

// tcSizeText is sprint_size: "10Kb", "1Mb", "1500b".
func tcSizeText(sz uint32) string {
	const kilo, mega = 1024.0, 1024.0 * 1024
	t := float64(sz)
	switch {
	case t >= mega && math.Abs(mega*math.RoundToEven(t/mega)-t) < 1024:
		return strconv.FormatFloat(math.RoundToEven(t/mega), 'g', 6, 64) + "Mb"
	case t >= kilo && math.Abs(kilo*math.RoundToEven(t/kilo)-t) < 16:
		return strconv.FormatFloat(math.RoundToEven(t/kilo), 'g', 6, 64) + "Kb"
	}
	return strconv.FormatUint(uint64(sz), 10) + "b"
}

// tcRateText is print_color_rate without IEC units: bytes/s as "1Mbit".
func tcRateText(rate uint64) string {
	units := []string{"", "K", "M", "G", "T"}
	r := rate << 3
	i := 0
	for ; i < len(units)-1; i++ {
		if r < 1000 || r%1000 != 0 && r < 1000*1000 {
			break
		}
		r /= 1000
	}
	return strconv.FormatUint(r, 10) + units[i] + "bit"
}

// tcActionWord is action_n2a.
func tcActionWord(a int32) string {
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		return "goto"
	case netlink.TCActJump:
		return "jump"
	}
	switch a {
	case netlink.TCActUnspec:
		return "continue"
	case netlink.TCActOK:
		return "pass"
	case netlink.TCActShot:
		return "drop"
	case netlink.TCActReclassify:
		return "reclassify"
	case netlink.TCActPipe:
		return "pipe"
	case netlink.TCActStolen:
		return "stolen"
	case netlink.TCActTrap:
		return "trap"
	}
	return strconv.Itoa(int(a))
}

// addControl is print_action_control's JSON: control_action.type and the
// chain or jump.
func (f tcFields) addControl(path string, a int32) {
	f.add(path+".type", tcActionWord(a))
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		f.add(path+".chain", uint32(a)&0x0fffffff)
	case netlink.TCActJump:
		f.add(path+".jump", uint32(a)&0x0fffffff)
	}
}

// tcControlText is print_action_control's text: "drop", "goto chain 3".
func tcControlText(a int32) string {
	switch a &^ 0x0fffffff {
	case netlink.TCActGotoChain:
		return fmt.Sprintf("goto chain %d", uint32(a)&0x0fffffff)
	case netlink.TCActJump:
		return fmt.Sprintf("jump %d", uint32(a)&0x0fffffff)
	}
	return tcActionWord(a)
}

// --- qdiscs ------------------------------------------------------------

// qdiscOptionFields prints a qdisc's options as tc -j -d does, under
// "options."; ok is false for a kind not covered.
func qdiscOptionFields(q *netlink.Qdisc) (f tcFields, ok bool) {
	f = tcFields{}
	o := "options."
	u32p := func(k string, v *uint32) {
		if v != nil {
			f.add(o+k, *v)
		}
	}
	switch x := q.Options.(type) {
	case *netlink.FqCodel:
		u32p("limit", x.Limit)
		u32p("flows", x.Flows)
		u32p("quantum", x.Quantum)
		u32p("target", x.Target)
		u32p("ce_threshold", x.CEThreshold)
		var sel, mask uint8
		if x.CEThresholdSelector != nil {
			sel = *x.CEThresholdSelector
		}
		if x.CEThresholdMask != nil {
			mask = *x.CEThresholdMask
		}
		if sel != 0 || mask != 0 {
			f.add(o+"ce_threshold_selector", sel)
			f.add(o+"ce_threshold_mask", mask)
		}
		u32p("interval", x.Interval)
		u32p("memory_limit", x.MemoryLimit)
		if x.ECN != nil && *x.ECN != 0 {
			f.add(o+"ecn", true)
		}
		if x.DropBatchSize != nil && *x.DropBatchSize != 0 {
			f.add(o+"drop_batch", *x.DropBatchSize)
		}
	case *netlink.Fq:
		u32p("limit", x.Limit)
		u32p("flow_limit", x.FlowLimit)
		if x.BucketsLog != nil {
			f.add(o+"buckets", uint64(1)<<*x.BucketsLog)
		}
		u32p("orphan_mask", x.OrphanMask)
		if x.RateEnable != nil && *x.RateEnable == 0 {
			f.add(o+"pacing", false)
		}
		u32p("quantum", x.Quantum)
		u32p("initial_quantum", x.InitialQuantum)
		if x.FlowMaxRate != nil && *x.FlowMaxRate != math.MaxUint32 {
			f.add(o+"maxrate", *x.FlowMaxRate)
		}
		if x.FlowDefaultRate != nil && *x.FlowDefaultRate != 0 {
			f.add(o+"defrate", *x.FlowDefaultRate)
		}
		if x.LowRateThreshold != nil && *x.LowRateThreshold != 0 {
			f.add(o+"low_rate_threshold", *x.LowRateThreshold)
		}
		u32p("refill_delay", x.FlowRefillDelay)
		if x.CEThreshold != nil && *x.CEThreshold != math.MaxUint32 {
			f.add(o+"ce_threshold", *x.CEThreshold)
		}
		u32p("timer_slack", x.TimerSlack)
		u32p("horizon", x.Horizon)
		if x.HorizonDrop != nil {
			if *x.HorizonDrop == 0 {
				f.add(o+"horizon_cap", nil)
			} else {
				f.add(o+"horizon_drop", nil)
			}
		}
	case *netlink.Netem:
		netemFields(f, x)
	case *netlink.Prio:
		f.add(o+"bands", x.Bands)
		pm := make([]string, len(x.Priomap))
		for i, p := range x.Priomap {
			pm[i] = strconv.Itoa(int(p))
		}
		f.add(o+"priomap", "["+strings.Join(pm, " ")+"]")
		f.add(o+"multiqueue", x.Multiqueue)
	case *netlink.Sfq:
		f.add(o+"limit", x.Limit)
		f.add(o+"quantum", x.Quantum)
		if x.Depth != 0 {
			f.add(o+"depth", x.Depth)
		}
		if x.Headdrop != 0 {
			f.add(o+"headdrop", true)
		}
		f.add(o+"flows", x.Flows) // tc -d
		f.add(o+"divisor", x.Divisor)
		if x.PerturbPeriod != 0 {
			f.add(o+"perturb", x.PerturbPeriod)
		}
		if x.QthMin != 0 {
			f.add(o+"ewma", x.Wlog)
			f.add(o+"min", x.QthMin)
			f.add(o+"max", x.QthMax)
			f.add(o+"probability", float64(x.MaxP)/math.Pow(2, 32))
			// tc_red_print_flags: TC_RED_ECN, HARDDROP, ADAPTATIVE, NODROP.
			for i, k := range []string{"ecn", "harddrop", "adaptive", "nodrop"} {
				f.add(o+k, x.Flags&(1<<i) != 0)
			}
		}
	case *netlink.Cake:
		cakeFields(f, x)
	default:
		return nil, false
	}
	return f, true
}

func netemFields(f tcFields, x *netlink.Netem) {
	o := "options."
	f.add(o+"limit", x.Limit)
	ticks := func(d int64) uint32 { // PSCHED_NS2TICKS, capped as netem_dump does
		if d <= 0 {
			return 0
		}
		if t := d >> 6; t < math.MaxUint32 {
			return uint32(t)
		}
		return math.MaxUint32
	}
	pct := func(v uint32) float64 { return float64(v) / tcUint32Max }
	if lat := ticks(int64(x.Delay)); lat != 0 {
		f.add(o+"delay.delay", float64(tcTick2Time(lat))/1e6)
		f.add(o+"delay.jitter", float64(tcTick2Time(ticks(int64(x.Jitter))))/1e6)
		f.add(o+"delay.correlation", pct(x.DelayCorr))
	}
	if x.Loss != 0 {
		f.add(o+"loss-random.loss", pct(x.Loss))
		f.add(o+"loss-random.correlation", pct(x.LossCorr))
	}
	if g := x.LossGI; g != nil {
		for _, p := range []struct {
			k string
			v uint32
		}{{"p13", g.P13}, {"p31", g.P31}, {"p32", g.P32}, {"p23", g.P23}, {"p14", g.P14}} {
			f.add(o+"loss-state."+p.k, pct(p.v))
		}
	}
	if g := x.LossGE; g != nil {
		f.add(o+"loss-gemodel.p", pct(g.P))
		f.add(o+"loss-gemodel.r", pct(g.R))
		f.add(o+"loss-gemodel.1-h", pct(math.MaxUint32-g.H))
		f.add(o+"loss-gemodel.1-k", pct(g.K1))
	}
	if x.Duplicate != 0 {
		f.add(o+"duplicate.duplicate", pct(x.Duplicate))
		f.add(o+"duplicate.correlation", pct(x.DupCorr))
	}
	if x.Reorder != 0 {
		f.add(o+"reorder.reorder", pct(x.Reorder))
		f.add(o+"reorder.correlation", pct(x.ReorderCorr))
	}
	if x.Corrupt != 0 {
		f.add(o+"corrupt.corrupt", pct(x.Corrupt))
		f.add(o+"corrupt.correlation", pct(x.CorruptCorr))
	}
	if x.Rate != 0 {
		f.add(o+"rate.rate", x.Rate)
		f.add(o+"rate.packetoverhead", x.PacketOverhead)
		f.add(o+"rate.cellsize", x.CellSize)
		f.add(o+"rate.celloverhead", x.CellOverhead)
	}
	if s := x.Slot; s != nil {
		sec := func(d int64) float64 { return float64(d) / 1e9 }
		if s.DistJitter > 0 {
			f.add(o+"slot.distribution", sec(int64(s.DistDelay)))
			f.add(o+"slot.jitter", sec(int64(s.DistJitter)))
		} else {
			f.add(o+"slot.min-delay", sec(int64(s.MinDelay)))
			f.add(o+"slot.max-delay", sec(int64(s.MaxDelay)))
		}
		f.add(o+"slot.packets", s.MaxPackets)
		f.add(o+"slot.bytes", s.MaxBytes)
	}
	f.add(o+"ecn", x.ECN)
	f.add(o+"gap", x.Gap)
}

var (
	cakeDiffserv = []string{"diffserv3", "diffserv4", "diffserv8", "besteffort", "precedence"}
	cakeFlowMode = []string{"flowblind", "srchost", "dsthost", "hosts", "flows", "dual-srchost", "dual-dsthost", "triple-isolate"}
)

func cakeFields(f tcFields, x *netlink.Cake) {
	o := "options."
	v := func(p *uint32) uint32 {
		if p == nil {
			return 0
		}
		return *p
	}
	if x.BaseRate != nil {
		if *x.BaseRate != 0 {
			f.add(o+"bandwidth", *x.BaseRate)
		} else {
			f.add(o+"bandwidth", "unlimited")
		}
	}
	switch a := v(x.Autorate); {
	case a == 1:
		f.add(o+"autorate", "autorate-ingress")
	case a != 0:
		f.add(o+"autorate", "unknown")
	}
	mode := func(k string, p *uint32, names []string) { // cake_print_mode
		if p == nil {
			return
		}
		if int(*p) < len(names) {
			f.add(o+k, names[*p])
		} else {
			f.add(o+k, "unknown")
		}
	}
	mode("diffserv", x.DiffservMode, cakeDiffserv)
	mode("flowmode", x.FlowMode, cakeFlowMode)
	f.add(o+"nat", v(x.NAT) != 0)
	f.add(o+"wash", v(x.Wash) != 0)
	f.add(o+"ingress", v(x.Ingress) != 0)
	switch v(x.AckFilter) {
	case 2:
		f.add(o+"ack-filter", "aggressive")
	case 1:
		f.add(o+"ack-filter", "enabled")
	default:
		f.add(o+"ack-filter", "disabled")
	}
	f.add(o+"split_gso", v(x.SplitGSO) != 0)
	f.add(o+"rtt", v(x.RTT))
	raw := x.Raw != nil
	f.add(o+"raw", raw)
	switch v(x.ATM) {
	case 1:
		f.add(o+"atm", "atm")
	case 2:
		f.add(o+"atm", "ptm")
	default:
		if !raw {
			f.add(o+"atm", "noatm")
		}
	}
	var overhead int32
	if x.Overhead != nil {
		overhead = *x.Overhead
	}
	f.add(o+"overhead", overhead)
	if m := v(x.MPU); m != 0 {
		f.add(o+"mpu", m)
	}
	if m := v(x.Memory); m != 0 {
		f.add(o+"memlimit", m)
	}
	if m := v(x.Fwmark); m != 0 {
		f.add(o+"fwmark", fmt.Sprintf("%#x", m))
	} else {
		f.add(o+"fwmark", "0")
	}
}

// CompareQdiscOptions compares the options of every qdisc of a covered
// kind (fq_codel, fq, netem, prio, sfq, cake) with `tc -j -d qdisc show`
// of the namespace, key for key; the other qdiscs are checked by identity
// elsewhere (CompareQdiscs). A covered qdisc tc does not list is an
// error.
func CompareQdiscOptions(ns *nstest.NS, got []*netlink.Qdisc) error {
	out, err := iproute2(ns, "tc", "-j", "-d", "qdisc", "show")
	if err != nil {
		return err
	}
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return err
	}
	tc := map[string]tcFields{}
	if strings.TrimSpace(out) != "" {
		v, err := parseJSON([]byte(out))
		if err != nil {
			return fmt.Errorf("tc -j -d qdisc show: %v\n%s", err, out)
		}
		for _, e := range v.vals {
			all := tcFields{}
			flattenTC(all, "", e)
			h, err := netlink.ParseHandle(all["handle"])
			if err != nil {
				return fmt.Errorf("tc qdisc handle %q: %v", all["handle"], err)
			}
			parent := all["parent"]
			if all["root"] == "true" {
				parent = "root"
			}
			key := fmt.Sprintf("dev %d handle %s parent %s %s", idx[all["dev"]], h, parent, all["kind"])
			opts := tcFields{}
			for k, val := range all {
				if strings.HasPrefix(k, "options.") {
					opts[k] = val
				}
			}
			tc[key] = opts
		}
	}
	var d []string
	for _, q := range got {
		mine, ok := qdiscOptionFields(q)
		if !ok {
			continue
		}
		key := fmt.Sprintf("dev %d handle %s parent %s %s", q.Index, q.Handle, q.Parent, q.TCKind)
		want, ok := tc[key]
		if !ok {
			d = append(d, "tc lists no qdisc "+key)
			continue
		}
		dropMeasured(mine)
		dropMeasured(want)
		d = append(d, tcFieldsDiff("qdisc "+key, mine, want)...)
	}
	return tcDiffError(d)
}

// --- filters and actions -------------------------------------------------

// tcFilterEnv is what printing a filter as tc does needs: link names by
// index, and where the policers' text goes.
type tcFilterEnv struct {
	names map[int]string
	// text collects each policer's text (policeText) by index, for the
	// comparison with tc's text.
	text map[uint32]string
}

// policeText is print_police's text from "rate" to the link layer, the
// part tc -j leaves out, as `tc -d` prints it.
func policeText(p *netlink.Police) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rate %s burst %s mtu %s ", tcRateText(p.Rate), tcSizeText(tcXmitSize(p.Rate, p.Burst)), tcSizeText(p.MTU))
	if p.PeakRate != 0 {
		fmt.Fprintf(&b, "peakrate %s ", tcRateText(p.PeakRate))
	}
	if p.AvRate != 0 {
		fmt.Fprintf(&b, "avrate %s ", tcRateText(uint64(p.AvRate)))
	}
	if p.PktRate != 0 || p.PktBurst != 0 {
		fmt.Fprintf(&b, "pkts_rate %d pkts_burst %d ", p.PktRate, tcXmitSize(p.PktRate, uint32(p.PktBurst)))
	}
	b.WriteString("action " + tcControlText(p.Action))
	if p.Conform != nil {
		b.WriteString("/" + tcControlText(*p.Conform))
	}
	fmt.Fprintf(&b, " overhead %s linklayer %s", tcSizeText(uint32(p.RateSpec.Overhead)), tcLinklayer(p.RateSpec.Linklayer))
	return b.String()
}

func tcLinklayer(l uint8) string {
	switch l & 0x0f {
	case 0:
		return "unspec"
	case netlink.LinklayerEthernet:
		return "ethernet"
	case netlink.LinklayerATM:
		return "atm"
	}
	return "unknown"
}

var tcPoliceLine = regexp.MustCompile(`police 0x([0-9a-f]+) (rate .*?)\s*$`)

// policeTexts reads `tc -d actions ls action police`: each policer's
// text from "rate" on, by index, spaces collapsed.
func policeTexts(ns *nstest.NS) (map[uint32]string, error) {
	out, err := iproute2(ns, "tc", "-d", "actions", "ls", "action", "police")
	if err != nil {
		return nil, err
	}
	m := map[uint32]string{}
	for _, line := range strings.Split(out, "\n") {
		s := tcPoliceLine.FindStringSubmatch(line)
		if s == nil {
			continue
		}
		i, err := strconv.ParseUint(s[1], 16, 32)
		if err != nil {
			return nil, err
		}
		m[uint32(i)] = strings.Join(strings.Fields(s[2]), " ")
	}
	return m, nil
}

// addPolice prints a policer as print_police's JSON at path and notes its
// text for the text comparison.
func (env *tcFilterEnv) addPolice(f tcFields, path string, p *netlink.Police) {
	f.add(path+"kind", "police")
	f.add(path+"index", p.Index)
	if p.PktRate != 0 || p.PktBurst != 0 {
		f.add(path+"pkts_rate", p.PktRate)
		f.add(path+"pkts_burst", tcXmitSize(p.PktRate, uint32(p.PktBurst)))
	}
	f.addControl(path+"control_action", p.Action)
	if p.Conform != nil {
		// tc writes a second control_action object: its keys get "#2".
		f.addControl(path+"control_action", *p.Conform)
	}
	f.add(path+"overhead", p.RateSpec.Overhead)
	f.add(path+"linklayer", tcLinklayer(p.RateSpec.Linklayer))
	env.text[p.Index] = policeText(p)
}

// addActions prints an action list as tc_print_action's JSON.
func (env *tcFilterEnv) addActions(f tcFields, path string, acts netlink.TCActions) {
	for i, a := range acts {
		p := fmt.Sprintf("%sactions[%d].", path, i+1)
		f.add(p+"order", i+1)
		switch o := a.Options.(type) {
		case *netlink.Gact:
			f.add(p+"kind", "gact")
			f.addControl(p+"control_action", o.Action)
			pr := netlink.GactProb{}
			if o.Prob != nil {
				pr = *o.Prob
			}
			f.add(p+"prob.random_type", map[uint16]string{0: "none", 1: "netrand", 2: "determ"}[pr.Type])
			f.addControl(p+"prob.control_action", pr.Action)
			f.add(p+"prob.val", pr.Value)
			f.add(p+"index", o.Index)
		case *netlink.Mirred:
			f.add(p+"kind", "mirred")
			act, dir := "redirect", "egress"
			if o.Eaction == netlink.MirredEgressMirror || o.Eaction == netlink.MirredIngressMirror {
				act = "mirror"
			}
			if o.Eaction == netlink.MirredIngressRedirect || o.Eaction == netlink.MirredIngressMirror {
				dir = "ingress"
			}
			f.add(p+"mirred_action", act)
			f.add(p+"direction", dir)
			dev := "*"
			if o.Ifindex != 0 {
				if dev = env.names[int(o.Ifindex)]; dev == "" {
					dev = fmt.Sprintf("if%d", o.Ifindex)
				}
			}
			f.add(p+"to_dev", dev)
			f.addControl(p+"control_action", o.Action)
			f.add(p+"index", o.Index)
		case *netlink.Police:
			env.addPolice(f, p, o)
		case *netlink.ActBPF:
			f.add(p+"kind", "bpf")
			if o.Name != "" {
				f.add(p+"bpf_name", o.Name)
			}
			if len(o.Ops) > 0 {
				n := len(o.Ops) / 8
				f.add(p+"bytecode.length", n)
				for j := 0; j < n; j++ {
					in := o.Ops[j*8:]
					q := fmt.Sprintf("%sbytecode.insns[%d].", p, j)
					f.add(q+"code", binary.NativeEndian.Uint16(in))
					f.add(q+"jt", in[2])
					f.add(q+"jf", in[3])
					f.add(q+"k", binary.NativeEndian.Uint32(in[4:]))
				}
			}
			if o.ID == 0 && o.Tag != nil {
				f.add(p+"tag", fmt.Sprintf("%x", o.Tag))
			}
			f.addControl(p+"control_action", o.Action)
			f.add(p+"index", o.Index)
		default:
			f.add(p+"kind", a.Kind)
		}
		if a.Cookie != nil {
			f.add(p+"cookie", fmt.Sprintf("%x", a.Cookie))
		}
	}
}

// addClsFlags prints TCA_CLS_FLAGS_* as the filters do.
func addClsFlags(f tcFields, p string, flags uint32) {
	if flags&netlink.TCAClsFlagsSkipHW != 0 {
		f.add(p+"skip_hw", true)
	}
	if flags&netlink.TCAClsFlagsSkipSW != 0 {
		f.add(p+"skip_sw", true)
	}
	if flags&netlink.TCAClsFlagsInHW != 0 {
		f.add(p+"in_hw", true)
	} else if flags&netlink.TCAClsFlagsNotInHW != 0 {
		f.add(p+"not_in_hw", true)
	}
}

// maskBits is __mask_bits: the prefix length of a contiguous mask, -1 for
// another.
func maskBits(m []byte) int {
	bits, zero := 0, false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if zero {
					return -1
				}
				bits++
			} else {
				zero = true
			}
		}
	}
	return bits
}

func macText(a, m net.HardwareAddr) string {
	s := a.String()
	if len(m) == 6 {
		switch bits := maskBits(m); {
		case bits < 0:
			s += "/" + m.String()
		case bits < 48:
			s += "/" + strconv.Itoa(bits)
		}
	}
	return s
}

func prefixText(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

// flowerFields prints flower's options as flower_print_opt does.
func (env *tcFilterEnv) flowerFields(f tcFields, handle uint32, x *netlink.Flower) {
	o := "options."
	if handle != 0 {
		f.add(o+"handle", handle)
	}
	if x.ClassID != 0 {
		if m := x.ClassID.Minor(); m >= 0xffe0 && m < 0xffe0+16 {
			f.add(o+"hw_tc", m-0xffe0)
		} else {
			f.add(o+"classid", x.ClassID.String())
		}
	}
	if x.Indev != "" {
		f.add(o+"indev", x.Indev)
	}
	k := o + "keys."
	vlan := x.VlanID != nil || x.VlanPrio != nil || x.VlanEthType != 0
	if x.VlanID != nil {
		f.add(k+"vlan_id", *x.VlanID)
	}
	if x.VlanPrio != nil {
		f.add(k+"vlan_prio", *x.VlanPrio)
	}
	// The kernel reports the matched ethertype: the inner one behind a
	// VLAN tag (fl_dump_key's basic.n_proto).
	ethType := x.EthType
	if vlan && (ethType == unix.ETH_P_8021Q || ethType == unix.ETH_P_8021AD) {
		ethType = x.VlanEthType
	}
	if vlan && ethType != 0 {
		f.add(k+"vlan_ethtype", netlink.TCProtocolString(ethType))
	}
	if x.DstMAC != nil {
		f.add(k+"dst_mac", macText(x.DstMAC, x.DstMACMask))
	}
	if x.SrcMAC != nil {
		f.add(k+"src_mac", macText(x.SrcMAC, x.SrcMACMask))
	}
	if ethType != 0 {
		w := map[uint16]string{unix.ETH_P_IP: "ipv4", unix.ETH_P_IPV6: "ipv6", unix.ETH_P_ARP: "arp", unix.ETH_P_RARP: "rarp"}[ethType]
		if w == "" {
			w = fmt.Sprintf("%04x", ethType)
		}
		f.add(k+"eth_type", w)
	}
	if x.IPProto != nil {
		w := map[uint8]string{unix.IPPROTO_TCP: "tcp", unix.IPPROTO_UDP: "udp", unix.IPPROTO_SCTP: "sctp",
			unix.IPPROTO_ICMP: "icmp", unix.IPPROTO_ICMPV6: "icmpv6"}[*x.IPProto]
		if w == "" {
			w = fmt.Sprintf("%02x", *x.IPProto)
		}
		f.add(k+"ip_proto", w)
	}
	for _, a := range []struct {
		k string
		p netip.Prefix
	}{{"dst_ip", x.Dst}, {"src_ip", x.Src}} {
		if a.p.IsValid() && (a.p.Addr().Is4() && ethType == unix.ETH_P_IP || a.p.Addr().Is6() && ethType == unix.ETH_P_IPV6) {
			f.add(k+a.k, prefixText(a.p))
		}
	}
	port := func(name string, v, m *uint16) {
		if v == nil {
			return
		}
		f.add(k+name, *v)
		if m != nil && *m != 0xffff {
			f.add(k+name+"_mask", fmt.Sprintf("%x", *m))
		}
	}
	port("dst_port", x.DstPort, x.DstPortMask)
	port("src_port", x.SrcPort, x.SrcPortMask)
	addClsFlags(f, o, x.Flags)
	env.addActions(f, o, x.Actions)
}

// u32Fields prints u32's options as u32_print_opt does (tc -j: the keys as
// raw matches).
func (env *tcFilterEnv) u32Fields(f tcFields, handle uint32, x *netlink.U32) {
	o := "options."
	if handle != 0 {
		f.add(o+"fh", netlink.U32Handle(handle))
	}
	if node := handle & 0xfff; node != 0 {
		f.add(o+"order", node)
	}
	if x.Divisor != 0 {
		f.add(o+"ht_divisor", x.Divisor)
	} else if x.Hash != 0 {
		f.add(o+"key_ht", fmt.Sprintf("%x", x.Hash>>20))
		f.add(o+"bkt", fmt.Sprintf("%x", (x.Hash>>12)&0xff))
	}
	if x.ClassID != 0 {
		f.add(o+"flowid", x.ClassID.String())
	}
	if x.Link != 0 {
		f.add(o+"link", netlink.U32Handle(x.Link))
	}
	addClsFlags(f, o, x.Flags)
	if s := x.Sel; s != nil {
		for _, key := range s.Keys {
			f.add(o+"match.value", fmt.Sprintf("%x", key.Val))
			f.add(o+"match.mask", fmt.Sprintf("%x", key.Mask))
			off := ""
			if key.OffMask != 0 {
				off = "nexthdr+"
			}
			f.add(o+"match.offmask", off)
			f.add(o+"match.off", key.Off)
		}
		if s.Hmask != 0 {
			f.add(o+"hash_mask", fmt.Sprintf("%08x", s.Hmask))
			f.add(o+"hash_off", s.Hoff)
		}
	}
	if x.Police != nil {
		env.addPolice(f, o, x.Police)
	}
	if x.Indev != "" {
		f.add(o+"input_dev", x.Indev)
	}
	env.addActions(f, o, x.Actions)
}

// ematchText renders a basic filter's ematch tree as print_ematch does,
// for trees of cmp matches (em_cmp.c); other kinds as "kind N".
func ematchText(b []byte) string {
	var list []byte
	for len(b) >= 4 {
		l, t := int(binary.NativeEndian.Uint16(b)), binary.NativeEndian.Uint16(b[2:])
		if l < 4 || l > len(b) {
			break
		}
		if t&0x3fff == 2 { // TCA_EMATCH_TREE_LIST
			list = b[4:l]
		}
		b = b[(l+3)&^3:]
	}
	var parts []string
	for len(list) >= 4 {
		l := int(binary.NativeEndian.Uint16(list))
		if l < 4 || l > len(list) {
			break
		}
		m := list[4:l]
		list = list[(l+3)&^3:]
		if len(m) < 8 {
			continue
		}
		kind, flags := binary.NativeEndian.Uint16(m[2:]), binary.NativeEndian.Uint16(m[4:])
		d := m[8:]
		s := fmt.Sprintf("kind %d", kind)
		if kind == 1 && len(d) >= 12 {
			// struct tcf_em_cmp: val, mask, off, then the bit fields
			// align:4 flags:4 in one byte and layer:4 opnd:4 in the next
			// (low bits first).
			val, mask, off := binary.NativeEndian.Uint32(d), binary.NativeEndian.Uint32(d[4:]), binary.NativeEndian.Uint16(d[8:])
			align, flags, layer, opnd := d[10]&0x0f, d[10]>>4, d[11]&0x0f, d[11]>>4
			var w strings.Builder
			w.WriteString("cmp(")
			if a := map[uint8]string{1: "u8", 2: "u16", 4: "u32"}[align]; a != "" {
				w.WriteString(a + " ")
			}
			fmt.Fprintf(&w, "at %d layer %d ", off, layer)
			if mask != 0 {
				fmt.Fprintf(&w, "mask 0x%x ", mask)
			}
			if flags&1 != 0 { // TCF_EM_CMP_TRANS
				w.WriteString("trans ")
			}
			w.WriteString(map[uint8]string{0: "eq ", 1: "gt ", 2: "lt "}[opnd])
			fmt.Fprintf(&w, "%d)", val)
			s = w.String()
		}
		if flags&4 != 0 { // TCF_EM_INVERT
			s = "NOT " + s
		}
		parts = append(parts, s)
		switch flags & 3 { // TCF_EM_REL_AND, OR
		case 1:
			parts = append(parts, "AND")
		case 2:
			parts = append(parts, "OR")
		}
	}
	return strings.Join(parts, " ")
}

// basicFields prints basic's options as basic_print_opt does; its
// ematch text, which tc writes into its JSON as text, is compared as
// "ematch" (tcRepairEmatch).
func (env *tcFilterEnv) basicFields(f tcFields, handle uint32, x *netlink.Basic) {
	o := "options."
	if handle != 0 {
		f.add(o+"handle", fmt.Sprintf("%x", handle))
	}
	if x.ClassID != 0 {
		f.add(o+"flowid", x.ClassID.String())
	}
	// The kernel sends a tree header for a filter without matches too;
	// tc prints nothing for it.
	if t := ematchText(x.Ematches); t != "" {
		f.add(o+"ematch", t)
	}
	if x.Police != nil {
		env.addPolice(f, o, x.Police)
	}
	env.addActions(f, o, x.Actions)
}

// matchallFields prints matchall's options as matchall_print_opt does.
func (env *tcFilterEnv) matchallFields(f tcFields, handle uint32, x *netlink.Matchall) {
	o := "options."
	if handle != 0 {
		f.add(o+"handle", handle)
	}
	if x.ClassID != 0 {
		f.add(o+"flowid", x.ClassID.String())
	}
	addClsFlags(f, o, x.Flags)
	env.addActions(f, o, x.Actions)
}

// bpfFields prints a classic bpf filter's options as bpf_print_opt
// (tc/f_bpf.c) does: handle, flowid, name, direct-action, the flags, the
// bytecode, then the old-style policer and the actions.
func (env *tcFilterEnv) bpfFields(f tcFields, handle uint32, x *netlink.BPFFilter) {
	o := "options."
	if handle != 0 {
		f.add(o+"handle", fmt.Sprintf("%#x", handle))
	}
	if x.ClassID != 0 {
		f.add(o+"flowid", x.ClassID.String())
	}
	if x.Name != "" {
		f.add(o+"bpf_name", x.Name)
	}
	if x.DirectAction {
		f.add(o+"direct-action", true)
	}
	addClsFlags(f, o, x.GenFlags)
	if len(x.Ops) > 0 {
		f.add(o+"bytecode.length", len(x.Ops))
		for j, in := range x.Ops {
			q := fmt.Sprintf("%sbytecode.insns[%d].", o, j)
			f.add(q+"code", in.Code)
			f.add(q+"jt", in.Jt)
			f.add(q+"jf", in.Jf)
			f.add(q+"k", in.K)
		}
	}
	if x.Police != nil {
		env.addPolice(f, o, x.Police)
	}
	env.addActions(f, o, x.Actions)
}

// filterOptionFields prints a filter's options as tc -j -d filter show
// does; ok is false for a kind not covered. An eBPF filter (one with a
// program id) is not: tc looks its program up by id (bpf_dump_prog_info).
func (env *tcFilterEnv) filterOptionFields(fl *netlink.Filter) (f tcFields, ok bool) {
	f = tcFields{}
	switch x := fl.Options.(type) {
	case *netlink.Flower:
		env.flowerFields(f, fl.Handle, x)
	case *netlink.Matchall:
		env.matchallFields(f, fl.Handle, x)
	case *netlink.Basic:
		env.basicFields(f, fl.Handle, x)
	case *netlink.U32:
		env.u32Fields(f, fl.Handle, x)
	case *netlink.BPFFilter:
		if x.ID != 0 || x.Tag != nil {
			return nil, false
		}
		env.bpfFields(f, fl.Handle, x)
	default:
		return nil, false
	}
	return f, true
}

// tcRepairEmatch makes tc's filter JSON parseable: iproute2 6.1 prints a
// basic filter's ematch tree as text in the middle of its JSON
// (basic_print_opt -> print_ematch writes to the stream), on lines of
// their own. Each such line becomes an "ematch" key of the object.
func tcRepairEmatch(out string) string {
	lines := strings.Split(out, "\n")
	var b strings.Builder
	var text []string
	flush := func() {
		if len(text) > 0 {
			q, _ := json.Marshal(strings.Join(text, " "))
			b.WriteString(`,"ematch":` + string(q) + "\n")
			text = nil
		}
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if strings.ContainsRune("[]{},\"", rune(t[0])) {
			flush()
			b.WriteString(l + "\n")
			continue
		}
		text = append(text, t)
	}
	flush()
	return b.String()
}

// tcFilterKey is a filter's identity as both sides write it.
func tcFilterKey(index int, parent netlink.Handle, chain uint32, pref uint16, proto uint16, kind string, handle uint32) string {
	return fmt.Sprintf("dev %d parent %s chain %d pref %d protocol %s %s handle %#x",
		index, parent, chain, pref, netlink.TCProtocolString(proto), kind, handle)
}

// CompareFilterOptions compares the options of every filter of a covered
// kind (flower, matchall, basic, u32, classic bpf) and its actions with `tc -j -d
// filter show dev NAME ingress|egress|parent P` of every filter block of
// every link, key for key, and each policer's rates and sizes with `tc -d
// actions ls action police`. got holds filters as dumps report them (the
// block's parent; see CompareFilters). A covered filter tc does not list
// is an error; the others are checked by identity elsewhere.
func CompareFilterOptions(ns *nstest.NS, got []*netlink.Filter) error {
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return err
	}
	env := &tcFilterEnv{names: map[int]string{}, text: map[uint32]string{}}
	for n, i := range idx {
		env.names[i] = n
	}
	mine := map[string]tcFields{}
	links := map[int]bool{}
	for _, fl := range got {
		if f, ok := env.filterOptionFields(fl); ok {
			mine[tcFilterKey(fl.Index, fl.Parent, fl.Chain, fl.Priority, fl.Protocol, fl.TCKind, fl.Handle)] = f
			links[fl.Index] = true
		}
	}
	if len(mine) == 0 {
		return nil
	}
	// Only the links that hold covered filters are listed: CompareFilters
	// finds the filters got lacks.
	tc := map[string]tcFields{}
	all, err := tcAllFilterBlocks(ns, "")
	if err != nil {
		return err
	}
	for dev, i := range idx {
		if !links[i] {
			continue
		}
		for parent, words := range all[dev] {
			args := append([]string{"-j", "-d", "filter", "show", "dev", dev}, words...)
			out, err := iproute2(ns, "tc", args...)
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) == "" {
				continue
			}
			v, err := parseJSON([]byte(tcRepairEmatch(out)))
			if err != nil {
				return fmt.Errorf("tc %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			for _, e := range v.vals {
				all := tcFields{}
				flattenTC(all, "", e)
				opts := tcFields{}
				for k, val := range all {
					if strings.HasPrefix(k, "options.") {
						opts[k] = val
					}
				}
				if len(opts) == 0 {
					continue // the priority's own entry
				}
				pref, _ := strconv.ParseUint(all["pref"], 10, 16)
				chain, _ := strconv.ParseUint(all["chain"], 10, 32)
				proto, err := netlink.ParseTCProtocol(all["protocol"])
				if err != nil {
					return fmt.Errorf("tc filter protocol %q: %v", all["protocol"], err)
				}
				h, err := tcOptionsHandle(all["kind"], opts)
				if err != nil {
					return err
				}
				tc[tcFilterKey(i, parent, uint32(chain), uint16(pref), proto, all["kind"], h)] = opts
			}
		}
	}
	var d []string
	keys := make([]string, 0, len(mine))
	for k := range mine {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want, ok := tc[k]
		if !ok {
			d = append(d, "tc lists no filter "+k)
			continue
		}
		d = append(d, tcFieldsDiff("filter "+k, mine[k], want)...)
	}
	if len(env.text) > 0 {
		texts, err := policeTexts(ns)
		if err != nil {
			return err
		}
		for i, s := range env.text {
			if w, ok := texts[i]; !ok {
				d = append(d, fmt.Sprintf("police 0x%x: tc lists no such policer", i))
			} else if w != s {
				d = append(d, fmt.Sprintf("police 0x%x: %q, tc says %q", i, s, w))
			}
		}
	}
	return tcDiffError(d)
}

// tcOptionsHandle reads a filter's handle from its flattened options:
// u32's "fh", basic's hexadecimal "handle", flower's and matchall's
// decimal one, bpf's "0x..."; 0 without one.
func tcOptionsHandle(kind string, opts tcFields) (uint32, error) {
	if fh, ok := opts["options.fh"]; ok {
		return netlink.ParseU32Handle(fh)
	}
	h, ok := opts["options.handle"]
	if !ok {
		return 0, nil
	}
	base := 0
	if kind == "basic" {
		base = 16
	}
	v, err := strconv.ParseUint(h, base, 32)
	if err != nil {
		return 0, fmt.Errorf("tc filter handle %q: %v", h, err)
	}
	return uint32(v), nil
}

// tcLinkIndexes maps the namespace's link names to their indexes, as
// routeLinkIndexes does, read with the standard library's interface list
// (syscall's own RTM_GETLINK dump) on a thread inside the namespace
// instead of `ip -j link show`: the tc comparators ask for it several
// times per check, and a process costs far more than a dump under
// emulation (the full-kernel guest).
func tcLinkIndexes(ns *nstest.NS) (map[string]int, error) {
	m := map[string]int{}
	err := ns.Do(func() error {
		ifs, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, i := range ifs {
			m[i.Name] = i.Index
		}
		return nil
	})
	return m, err
}

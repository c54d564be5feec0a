package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// A u32 or bpf filter's actions in the state file: a list, one action a string
// in tc's words as `tc filter add ... action ...` takes it after the word
// "action" (which may be kept), run in list order (tc-actions(8)):
//
//	actions:
//	  - mirred egress redirect dev ifb0      # tc-mirred(8): egress|ingress redirect|mirror dev NAME [VERDICT]
//	  - gact drop                            # tc-gact(8): VERDICT [random netrand|determ VERDICT VAL]; "drop" alone is gact's
//	  - police rate 1mbit burst 10kb conform-exceed drop/pass   # tc-police(8): also mtu, peakrate, avrate
//	  - bpf bytecode '1,6 0 0 0' pipe        # tc-bpf(8)'s action: classic bytecode,
//	  - bpf object-pinned /sys/fs/bpf/act    # or an eBPF program pinned in a BPF file system
//
// The verdicts are tc's: ok (or pass), drop (or shot), pipe, reclassify,
// continue, trap, "goto chain N", "jump N"; tc's defaults apply (stolen
// for a mirred redirect, pipe for a mirror and for bpf, reclassify for
// police's exceed). A mirred target is a link by name, which may be one
// the same file creates (txn.FilterSpec.MirredDevs). A filter the file
// names is the whole filter: an entry without actions is a filter
// without actions, and apply removes the actions a filter has.

// tcVerdicts are tc's words for the verdicts (tc_util.c action_a2n).
var tcVerdicts = map[string]int32{
	"continue": netlink.TCActUnspec, "drop": netlink.TCActShot, "shot": netlink.TCActShot, "pass": netlink.TCActOK,
	"ok": netlink.TCActOK, "reclassify": netlink.TCActReclassify, "pipe": netlink.TCActPipe, "trap": netlink.TCActTrap,
}

const verdictWords = "ok, pass, drop, shot, pipe, reclassify, continue, trap, goto chain N, jump N"

// parseVerdict reads a verdict from the start of f and returns it and the
// number of words it took; ok is false if f starts with none.
func parseVerdict(f []string) (v int32, n int, ok bool, err error) {
	if len(f) == 0 {
		return 0, 0, false, nil
	}
	if v, ok := tcVerdicts[f[0]]; ok {
		return v, 1, true, nil
	}
	switch {
	case f[0] == "goto":
		if len(f) < 3 || f[1] != "chain" {
			return 0, 0, false, errors.New(`"goto" wants "chain N"`)
		}
		c, err := strconv.ParseUint(f[2], 10, 28)
		if err != nil {
			return 0, 0, false, fmt.Errorf("bad chain %q (want 0 to %d)", f[2], 1<<28-1)
		}
		return netlink.TCActGotoChain | int32(c), 3, true, nil
	case f[0] == "jump":
		if len(f) < 2 {
			return 0, 0, false, errors.New(`"jump" wants a count`)
		}
		c, err := strconv.ParseUint(f[1], 10, 28)
		if err != nil || c == 0 {
			return 0, 0, false, fmt.Errorf("bad jump %q (want a count from 1)", f[1])
		}
		return netlink.TCActJump | int32(c), 2, true, nil
	}
	return 0, 0, false, nil
}

// oneVerdict reads what follows an action's own words: nothing (def), or
// one verdict.
func oneVerdict(kind string, f []string, def int32) (int32, error) {
	if len(f) == 0 {
		return def, nil
	}
	v, n, ok, err := parseVerdict(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", kind, err)
	}
	if !ok || n != len(f) {
		return 0, fmt.Errorf("%s: unexpected %q (want a verdict: %s)", kind, strings.Join(f, " "), verdictWords)
	}
	return v, nil
}

// parseTCAction reads one action in tc's words: its netlink form, and
// for mirred the target link's name.
func parseTCAction(s string) (*netlink.TCAction, string, error) {
	f := strings.Fields(s)
	if len(f) > 0 && f[0] == "action" {
		f = f[1:]
	}
	if len(f) == 0 {
		return nil, "", errors.New("empty action (want mirred, gact, police or bpf in tc's words)")
	}
	bad := func(format string, args ...any) (*netlink.TCAction, string, error) {
		return nil, "", fmt.Errorf("action %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch f[0] {
	case "mirred":
		// mirred DIRECTION ACTION dev NAME [VERDICT]
		if len(f) < 5 || f[3] != "dev" {
			return bad("want \"mirred egress|ingress redirect|mirror dev NAME [VERDICT]\"")
		}
		eaction := map[string]int32{
			"egress redirect": netlink.MirredEgressRedirect, "egress mirror": netlink.MirredEgressMirror,
			"ingress redirect": netlink.MirredIngressRedirect, "ingress mirror": netlink.MirredIngressMirror,
		}[f[1]+" "+f[2]]
		if eaction == 0 {
			return bad("unknown %q (want egress or ingress, then redirect or mirror)", f[1]+" "+f[2])
		}
		def := netlink.TCActStolen
		if f[2] == "mirror" {
			def = netlink.TCActPipe
		}
		v, err := oneVerdict("mirred", f[5:], def)
		if err != nil {
			return bad("%v", err)
		}
		return &netlink.TCAction{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: v}, Eaction: eaction}}, f[4], nil
	case "gact":
		return parseGact(s, f[1:])
	case "police":
		o, err := parsePolice(f[1:])
		if err != nil {
			return bad("%v", err)
		}
		return &netlink.TCAction{Options: o}, "", nil
	case "bpf":
		o, err := parseBPFAction(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "action")), "bpf")))
		if err != nil {
			return bad("%v", err)
		}
		return &netlink.TCAction{Options: o}, "", nil
	}
	if _, _, ok, err := parseVerdict(f); ok || err != nil {
		return parseGact(s, f) // tc takes a verdict alone as gact's
	}
	return bad("unknown action %q (want mirred, gact or a verdict, police, bpf)", f[0])
}

// parseGact reads gact's words (tc-gact(8)): VERDICT [random
// netrand|determ VERDICT VAL].
func parseGact(s string, f []string) (*netlink.TCAction, string, error) {
	v, n, ok, err := parseVerdict(f)
	if err == nil && !ok {
		err = fmt.Errorf("gact wants a verdict (%s)", verdictWords)
	}
	if err != nil {
		return nil, "", fmt.Errorf("action %q: %w", s, err)
	}
	o := &netlink.Gact{TCActionGen: netlink.TCActionGen{Action: v}}
	rest := f[n:]
	if len(rest) > 0 {
		if rest[0] != "random" || len(rest) < 4 {
			return nil, "", fmt.Errorf("action %q: unexpected %q (want \"random netrand|determ VERDICT VAL\")", s, strings.Join(rest, " "))
		}
		typ := map[string]uint16{"netrand": netlink.GactProbNetrand, "determ": netlink.GactProbDeterm}[rest[1]]
		pv, pn, ok, err := parseVerdict(rest[2:])
		if typ == 0 || err != nil || !ok || len(rest) != 3+pn {
			return nil, "", fmt.Errorf("action %q: bad random (want \"random netrand|determ VERDICT VAL\")", s)
		}
		val, err := strconv.ParseUint(rest[2+pn], 10, 16)
		if err != nil || val == 0 {
			return nil, "", fmt.Errorf("action %q: bad random value %q (want 1 to 65535)", s, rest[2+pn])
		}
		o.Prob = &netlink.GactProb{Type: typ, Action: pv, Value: uint16(val)}
	}
	return &netlink.TCAction{Options: o}, "", nil
}

// parsePolice reads police's words as tc/m_police.c does: rate RATE burst
// SIZE, mtu SIZE, peakrate RATE, avrate RATE, conform-exceed
// EXCEED[/CONFORM], or a trailing verdict (the exceed one). The burst is
// kept as the time to send it at the rate (tc_calc_xmittime).
func parsePolice(f []string) (*netlink.Police, error) {
	o := &netlink.Police{Action: netlink.TCActReclassify}
	var burst uint32
	haveBurst := false
	for i := 0; i < len(f); i++ {
		w := f[i]
		if i+1 >= len(f) {
			if v, n, ok, err := parseVerdict(f[i:]); ok && n == 1 && err == nil {
				o.Action = v
				continue
			}
			return nil, fmt.Errorf("police: %q wants a value, or is not one of rate, burst, mtu, peakrate, avrate, conform-exceed", w)
		}
		val := f[i+1]
		var err error
		switch w {
		case "rate", "peakrate", "avrate":
			var r uint64
			if r, err = parseTCRate(val); err == nil {
				switch w {
				case "rate":
					o.Rate = r
				case "peakrate":
					o.PeakRate = r
				default:
					if r > 1<<32-1 {
						err = fmt.Errorf("avrate %q out of range", val)
					}
					o.AvRate = uint32(r)
				}
			}
		case "burst", "buffer", "maxburst":
			burst, err = parseTCSize(val)
			haveBurst = true
		case "mtu", "minburst":
			o.MTU, err = parseTCSize(val)
		case "conform-exceed":
			ex, conf, slash := strings.Cut(val, "/")
			v, _, ok, verr := parseVerdict([]string{ex})
			if verr != nil || !ok {
				return nil, fmt.Errorf("police: bad conform-exceed %q (want EXCEED[/CONFORM], verdicts %s)", val, verdictWords)
			}
			o.Action = v
			if slash {
				c, _, ok, verr := parseVerdict([]string{conf})
				if verr != nil || !ok {
					return nil, fmt.Errorf("police: bad conform-exceed %q (want EXCEED[/CONFORM], verdicts %s)", val, verdictWords)
				}
				o.Conform = &c
			}
		default:
			return nil, fmt.Errorf("police: unknown %q (want rate, burst, mtu, peakrate, avrate, conform-exceed)", w)
		}
		if err != nil {
			return nil, fmt.Errorf("police: %w", err)
		}
		i++
	}
	switch {
	case o.Rate == 0 && o.AvRate == 0:
		return nil, errors.New("police needs a rate (or an avrate)")
	case o.Rate != 0 && !haveBurst:
		return nil, errors.New("police's rate needs a burst")
	case o.PeakRate != 0 && o.MTU == 0:
		return nil, errors.New("police's peakrate needs an mtu")
	}
	if o.Rate != 0 {
		if o.Burst = netlink.TCXmitTime(o.Rate, uint64(burst)); o.Burst == 0 {
			return nil, fmt.Errorf("police's burst of %d bytes is none at that rate (want more)", burst)
		}
	}
	return o, nil
}

// parseBPFAction reads the bpf action's words (tc-bpf(8)): bytecode
// 'N,code jt jf k,...' [VERDICT] or object-pinned PATH [VERDICT], the
// verdict pipe by default.
func parseBPFAction(s string) (*netlink.ActBPF, error) {
	code, ok := strings.CutPrefix(s, "bytecode")
	if !ok {
		return parseBPFPinnedAction(s)
	}
	code = strings.TrimSpace(code)
	var rest []string
	if strings.HasPrefix(code, "'") {
		end := strings.Index(code[1:], "'")
		if end < 0 {
			return nil, errors.New("bpf: bytecode without its closing quote")
		}
		rest = strings.Fields(code[end+2:])
		code = code[1 : end+1]
	}
	ops, err := parseBytecode(code)
	if err != nil {
		return nil, err
	}
	v, err := oneVerdict("bpf", rest, netlink.TCActPipe)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 8*len(ops))
	for _, op := range ops {
		// struct sock_filter: code, jt, jf, k in host order.
		b = binary.NativeEndian.AppendUint16(b, op.Code)
		b = append(b, op.Jt, op.Jf)
		b = binary.NativeEndian.AppendUint32(b, op.K)
	}
	return &netlink.ActBPF{TCActionGen: netlink.TCActionGen{Action: v}, Ops: b}, nil
}

// parseTCActions reads an entry's actions: the list (never nil: no
// actions is an empty list, which removes a filter's actions) and the
// mirred targets by position.
func parseTCActions(list []string) (netlink.TCActions, map[int]string, error) {
	acts := netlink.TCActions{}
	var devs map[int]string
	for i, s := range list {
		a, dev, err := parseTCAction(s)
		if err != nil {
			return nil, nil, err
		}
		if dev != "" {
			if devs == nil {
				devs = map[int]string{}
			}
			devs[i] = dev
		}
		acts = append(acts, a)
	}
	if len(acts) > 32 {
		return nil, nil, fmt.Errorf("%d actions: a filter takes at most 32 (TCA_ACT_MAX_PRIO)", len(acts))
	}
	return acts, devs, nil
}

package netlink

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// htb attributes (include/uapi/linux/pkt_sched.h, TCA_HTB_*).
const (
	tcaHTBParms      = 1
	tcaHTBInit       = 2
	tcaHTBCtab       = 3
	tcaHTBRtab       = 4
	tcaHTBDirectQlen = 5
	tcaHTBRate64     = 6
	tcaHTBCeil64     = 7
	tcaHTBOffload    = 9

	htbGlobLen = 20 // sizeof(struct tc_htb_glob)
	htbOptLen  = 44 // sizeof(struct tc_htb_opt)
	// htbVersion is the version htb_init wants in requests (HTB_VER >> 16).
	htbVersion = 3
)

// HTB is the options of the htb qdisc (TCA_HTB_INIT, struct tc_htb_glob,
// and TCA_HTB_DIRECT_QLEN; net/sched/sch_htb.c htb_init, htb_dump). The
// kernel cannot change them after the qdisc is made (htb has no change
// operation): replace the qdisc instead.
type HTB struct {
	// Version is the kernel's htb version, HTB_VER (0x30011, tc's "ver
	// 3.17"); read-only: requests send 3, the only one htb_init accepts.
	Version uint32
	// Rate2Quantum divides a class's rate into its quantum when the class
	// gives none (tc's "r2q"). In requests zero means tc's default, 10.
	Rate2Quantum uint32
	// Default is the minor of the class unclassified traffic goes to; 0
	// sends it directly, bypassing the classes (tc's "default", printed
	// in hexadecimal).
	Default uint32
	// Debug is htb's debug word (unused by the kernel).
	Debug uint32
	// DirectPackets counts the packets sent directly; read-only and
	// volatile (tc's "direct_packets_stat").
	DirectPackets uint32
	// DirectQlen is the limit of the direct queue, in packets
	// (TCA_HTB_DIRECT_QLEN, tc's "direct_qlen"). The kernel reports it
	// always; in requests zero means the link's txqueuelen.
	DirectQlen uint32
	// Offload asks for hardware offload (TCA_HTB_OFFLOAD, tc's
	// "offload").
	Offload bool
	// Unknown holds the attributes not decoded above.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*HTB) TCKind() string { return "htb" }

func (o *HTB) decodeOptions(b []byte) error {
	var init bool
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaHTBInit:
			p := d.Data()
			if len(p) != htbGlobLen {
				return malformedf("htb TCA_HTB_INIT of %d bytes, want %d", len(p), htbGlobLen)
			}
			u := func(i int) uint32 { return binary.NativeEndian.Uint32(p[4*i:]) }
			o.Version, o.Rate2Quantum, o.Default, o.Debug, o.DirectPackets = u(0), u(1), u(2), u(3), u(4)
			init = true
		case tcaHTBDirectQlen:
			o.DirectQlen = d.Uint32()
		case tcaHTBOffload:
			o.Offload = true
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if !init {
		return malformedf("htb options without TCA_HTB_INIT")
	}
	return nil
}

func (o *HTB) encodeOptions(request bool) ([]byte, error) {
	g := *o
	if request {
		g.Version, g.DirectPackets = htbVersion, 0
		if g.Rate2Quantum == 0 {
			g.Rate2Quantum = 10
		}
	}
	var e attrEncoder
	p := make([]byte, 0, htbGlobLen)
	for _, v := range []uint32{g.Version, g.Rate2Quantum, g.Default, g.Debug, g.DirectPackets} {
		p = binary.NativeEndian.AppendUint32(p, v)
	}
	e.Bytes(tcaHTBInit, p)
	if !request || o.DirectQlen != 0 {
		e.Uint32(tcaHTBDirectQlen, o.DirectQlen)
	}
	if o.Offload {
		e.Bytes(tcaHTBOffload, nil)
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

func (o *HTB) validateOptions(Verb) error { return nil }

func (*HTB) qdiscOptions() {}

func (o *HTB) stableOptions() TCOptions {
	c := *o
	c.DirectPackets = 0
	return &c
}

// String returns tc's words: "r2q 10 default 0x10 direct_packets_stat 0
// direct_qlen 1000".
func (o *HTB) String() string {
	return fmt.Sprintf("r2q %d default %#x direct_packets_stat %d direct_qlen %d", o.Rate2Quantum, o.Default, o.DirectPackets, o.DirectQlen)
}

// HTBClass is the options of an htb class (TCA_HTB_PARMS, struct
// tc_htb_opt, with TCA_HTB_RATE64 and TCA_HTB_CEIL64 for rates of 2^32
// bytes per second and more; sch_htb.c htb_change_class, htb_dump_class).
type HTBClass struct {
	// Rate is the guaranteed rate and Ceil the most the class may borrow
	// up to, in bytes per second (tc's "rate" and "ceil", which tc takes in
	// bits). Rate must not be 0; a zero Ceil in requests means Rate.
	Rate, Ceil uint64
	// RateSpec and CeilSpec are the rest of the two tc_ratespecs.
	RateSpec, CeilSpec RateSpec
	// Buffer and Cbuffer are how long the class may send at full speed
	// above its rate and its ceil (the burst, as time: tc's "burst" and
	// "cburst" are Rate×Buffer and Ceil×Cbuffer bytes), kept by the kernel
	// in 64 ns ticks. In requests zero means tc's default: the time to
	// send 1600 bytes (tc's MTU) plus Rate/10^9.
	Buffer, Cbuffer time.Duration
	// Quantum is how many bytes the class sends per round when it borrows
	// (tc's "quantum"); in requests zero lets the kernel compute Rate /
	// r2q.
	Quantum uint32
	// Level is the class's depth from the leaves (0 for a leaf);
	// read-only.
	Level uint32
	// Prio is the class's priority, 0 (first) to 7 (tc's "prio").
	Prio uint32
	// Unknown holds the attributes not decoded above.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*HTBClass) TCKind() string { return "htb" }

func (o *HTBClass) decodeOptions(b []byte) error {
	var parms bool
	var rate64, ceil64 uint64
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaHTBParms:
			p := d.Data()
			if len(p) != htbOptLen {
				return malformedf("htb TCA_HTB_PARMS of %d bytes, want %d", len(p), htbOptLen)
			}
			var r, c uint32
			o.RateSpec, r = decodeRatespec(p)
			o.CeilSpec, c = decodeRatespec(p[tcRatespecLen:])
			o.Rate, o.Ceil = uint64(r), uint64(c)
			u := func(i int) uint32 { return binary.NativeEndian.Uint32(p[2*tcRatespecLen+4*i:]) }
			o.Buffer, o.Cbuffer = ticksToDuration(u(0)), ticksToDuration(u(1))
			o.Quantum, o.Level, o.Prio = u(2), u(3), u(4)
			parms = true
		case tcaHTBRate64, tcaHTBCeil64:
			if len(d.Data()) != 8 {
				return malformedf("htb 64-bit rate of %d bytes", len(d.Data()))
			}
			v := binary.NativeEndian.Uint64(d.Data())
			if d.Type() == tcaHTBRate64 {
				rate64 = v
			} else {
				ceil64 = v
			}
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if !parms {
		return malformedf("htb class options without TCA_HTB_PARMS")
	}
	if rate64 != 0 {
		o.Rate = rate64
	}
	if ceil64 != 0 {
		o.Ceil = ceil64
	}
	return nil
}

// htbDefaultBuffer is tc's default burst for a rate (q_htb.c: rate / HZ
// + mtu, with mtu 1600 and tc's get_hz(), which is 10^9 on kernels with
// high-resolution timers: /proc/net/psched's last field), as time.
func htbDefaultBuffer(rate uint64) time.Duration {
	return HTBBuffer(rate, uint32(min(rate/1e9+1600, math.MaxUint32)))
}

// HTBBuffer returns the Buffer (or Cbuffer) of an htb class that sends
// burst bytes at rate bytes per second, as tc sends it for "burst" (or
// "cburst") and the kernel keeps it (htb_change_class takes the ticks):
// TCXmitTime's ticks; 0 for rate 0.
func HTBBuffer(rate uint64, burst uint32) time.Duration {
	if rate == 0 {
		return 0
	}
	return ticksToDuration(TCXmitTime(rate, uint64(burst)))
}

func (o *HTBClass) encodeOptions(request bool) ([]byte, error) {
	c := *o
	if request {
		c.Level = 0
		if c.Ceil == 0 {
			c.Ceil, c.CeilSpec = c.Rate, c.RateSpec
		}
		if c.Buffer == 0 {
			c.Buffer = htbDefaultBuffer(c.Rate)
		}
		if c.Cbuffer == 0 {
			c.Cbuffer = htbDefaultBuffer(c.Ceil)
		}
	}
	buf, ok1 := durationToTicks(c.Buffer)
	cbuf, ok2 := durationToTicks(c.Cbuffer)
	if !ok1 || !ok2 {
		return nil, invalidf("htb class buffer %s or cbuffer %s out of range (0 to %s)", c.Buffer, c.Cbuffer, ticksToDuration(math.MaxUint32))
	}
	p := appendRatespec(make([]byte, 0, htbOptLen), c.RateSpec, c.Rate)
	p = appendRatespec(p, c.CeilSpec, c.Ceil)
	for _, v := range []uint32{buf, cbuf, c.Quantum, c.Level, c.Prio} {
		p = binary.NativeEndian.AppendUint32(p, v)
	}
	var e attrEncoder
	e.Bytes(tcaHTBParms, p)
	if c.Rate > math.MaxUint32 {
		e.Bytes(tcaHTBRate64, binary.NativeEndian.AppendUint64(nil, c.Rate))
	}
	if c.Ceil > math.MaxUint32 {
		e.Bytes(tcaHTBCeil64, binary.NativeEndian.AppendUint64(nil, c.Ceil))
	}
	for _, a := range c.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// validateOptions checks htb_change_class's rules: a rate (and a ceil,
// which defaults to it), a ceil not below the rate (tc's rule), a
// priority up to 7 (TC_HTB_MAXPRIO - 1, else the kernel clamps it).
func (o *HTBClass) validateOptions(v Verb) error {
	ceil := o.Ceil
	if ceil == 0 {
		ceil = o.Rate
	}
	switch {
	case o.Rate == 0:
		return invalidf("htb class needs a rate")
	case ceil < o.Rate:
		return invalidf("htb class ceil %d below its rate %d (bytes per second)", ceil, o.Rate)
	case o.Prio > 7:
		return invalidf("htb class prio %d above 7", o.Prio)
	case o.RateSpec.Linklayer > 2 || o.CeilSpec.Linklayer > 2:
		return invalidf("htb class linklayer %d/%d (want 0, 1 ethernet or 2 atm)", o.RateSpec.Linklayer, o.CeilSpec.Linklayer)
	}
	return nil
}

func (*HTBClass) classOptions() {}

// Burst and Cburst are the bursts in bytes that Buffer and Cbuffer stand
// for at Rate and Ceil (tc's "burst" and "cburst").
func (o *HTBClass) Burst() uint64  { return transmitSize(o.Rate, o.Buffer) }
func (o *HTBClass) Cburst() uint64 { return transmitSize(o.Ceil, o.Cbuffer) }

// String returns tc's words with rates in bytes per second: "prio 0
// quantum 12500 rate 125000Bps ceil 250000Bps burst 1600b cburst 1600b
// level 0".
func (o *HTBClass) String() string {
	return fmt.Sprintf("prio %d quantum %d rate %dBps ceil %dBps burst %db cburst %db level %d",
		o.Prio, o.Quantum, o.Rate, o.Ceil, o.Burst(), o.Cburst(), o.Level)
}

package netlink

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"

	"golang.org/x/sys/unix"
)

// Traffic control objects: qdiscs, classes and filters, all carried in
// struct tcmsg (include/uapi/linux/rtnetlink.h) with TCA_* attributes
// (net/sched/sch_api.c tc_fill_qdisc and tc_fill_tclass, net/sched/cls_api.c
// tcf_fill_node).

// Sizes and attributes of include/uapi/linux/rtnetlink.h and
// gen_stats.h that x/sys/unix does not name.
const (
	tcmsgLen = 20 // sizeof(struct tcmsg)

	tcaStatsBasic     = 1 // TCA_STATS_BASIC: struct gnet_stats_basic
	tcaStatsRateEst   = 2 // TCA_STATS_RATE_EST: struct gnet_stats_rate_est
	tcaStatsQueue     = 3 // TCA_STATS_QUEUE: struct gnet_stats_queue
	tcaStatsApp       = 4 // TCA_STATS_APP: the kind's own statistics
	tcaStatsRateEst64 = 5 // TCA_STATS_RATE_EST64: struct gnet_stats_rate_est64
	tcaStatsBasicHW   = 7 // TCA_STATS_BASIC_HW: struct gnet_stats_basic
	tcaStatsPkt64     = 8 // TCA_STATS_PKT64: u64 packets

	// tcmIfindexMagicBlock is TCM_IFINDEX_MAGIC_BLOCK: a tcm_ifindex that
	// says tcm_parent holds a shared block's index.
	tcmIfindexMagicBlock = 0xffffffff

	// tcActExtValMask is TC_ACT_EXT_VAL_MASK, the largest chain index
	// (net/sched/cls_api.c tc_new_tfilter).
	tcActExtValMask = 1<<28 - 1
)

// tcHeader is struct tcmsg.
type tcHeader struct {
	index          int32
	handle, parent uint32
	info           uint32
}

func decodeTCHeader(b []byte, what string) (tcHeader, []byte, error) {
	if len(b) < tcmsgLen {
		return tcHeader{}, nil, malformedf("%s message of %d bytes", what, len(b))
	}
	return tcHeader{
		index:  int32(binary.NativeEndian.Uint32(b[4:8])),
		handle: binary.NativeEndian.Uint32(b[8:12]),
		parent: binary.NativeEndian.Uint32(b[12:16]),
		info:   binary.NativeEndian.Uint32(b[16:20]),
	}, b[tcmsgLen:], nil
}

func (h tcHeader) append(b []byte) []byte {
	b = append(b, unix.AF_UNSPEC, 0, 0, 0)
	b = binary.NativeEndian.AppendUint32(b, uint32(h.index))
	b = binary.NativeEndian.AppendUint32(b, h.handle)
	b = binary.NativeEndian.AppendUint32(b, h.parent)
	return binary.NativeEndian.AppendUint32(b, h.info)
}

// TCStats are the statistics the kernel reports with a qdisc or a class
// (TCA_STATS2, nested gnet_stats attributes of
// include/uapi/linux/gen_stats.h, and the older TCA_STATS and TCA_XSTATS;
// net/core/gen_stats.c). They are volatile (see volatile.go): traffic
// changes them without a notification, and Stable leaves them out.
type TCStats struct {
	// Bytes and Packets count what went through (TCA_STATS_BASIC,
	// TCA_STATS_PKT64 when packets exceed 32 bits).
	Bytes, Packets uint64
	// BytesHW and PacketsHW are the part of them counted by hardware
	// offload (TCA_STATS_BASIC_HW).
	BytesHW, PacketsHW uint64
	// RateBytes and RatePackets are the rate estimator's figures, in bytes
	// and packets per second (TCA_STATS_RATE_EST, TCA_STATS_RATE_EST64);
	// zero without an estimator.
	RateBytes, RatePackets uint64
	// Qlen is the queue length in packets, Backlog in bytes; Drops,
	// Requeues and Overlimits count packets (TCA_STATS_QUEUE, struct
	// gnet_stats_queue).
	Qlen, Backlog, Drops, Requeues, Overlimits uint32
	// App is the kind's own statistics (TCA_STATS_APP, the same bytes as
	// TCA_XSTATS), raw: struct tc_htb_xstats for htb classes, for
	// example.
	App []byte
	// Attrs are TCA_STATS2, TCA_STATS and TCA_XSTATS as the kernel sent
	// them, in order, so that an object encodes again to the same bytes.
	Attrs []Attribute
}

// decodeStats2 reads the nested TCA_STATS2 attributes into s.
func (s *TCStats) decodeStats2(b []byte) error {
	d := newAttrDecoder(b)
	for d.Next() {
		p := d.Data()
		switch d.Type() {
		case tcaStatsBasic, tcaStatsBasicHW:
			// struct gnet_stats_basic { __u64 bytes; __u32 packets; }: 12
			// bytes, 16 with the padding the kernel copies.
			if len(p) < 12 {
				return malformedf("tc basic statistics of %d bytes", len(p))
			}
			bytes, pkts := binary.NativeEndian.Uint64(p), uint64(binary.NativeEndian.Uint32(p[8:]))
			if d.Type() == tcaStatsBasic {
				// TCA_STATS_PKT64 may come before or after; keep the larger.
				s.Bytes, s.Packets = bytes, max(s.Packets, pkts)
			} else {
				s.BytesHW, s.PacketsHW = bytes, pkts
			}
		case tcaStatsPkt64:
			if len(p) != 8 {
				return malformedf("tc packet count of %d bytes", len(p))
			}
			s.Packets = binary.NativeEndian.Uint64(p)
		case tcaStatsRateEst:
			if len(p) < 8 {
				return malformedf("tc rate estimate of %d bytes", len(p))
			}
			if s.RateBytes == 0 && s.RatePackets == 0 {
				s.RateBytes, s.RatePackets = uint64(binary.NativeEndian.Uint32(p)), uint64(binary.NativeEndian.Uint32(p[4:]))
			}
		case tcaStatsRateEst64:
			if len(p) < 16 {
				return malformedf("tc 64-bit rate estimate of %d bytes", len(p))
			}
			s.RateBytes, s.RatePackets = binary.NativeEndian.Uint64(p), binary.NativeEndian.Uint64(p[8:])
		case tcaStatsQueue:
			if len(p) < 20 {
				return malformedf("tc queue statistics of %d bytes", len(p))
			}
			s.Qlen = binary.NativeEndian.Uint32(p)
			s.Backlog = binary.NativeEndian.Uint32(p[4:])
			s.Drops = binary.NativeEndian.Uint32(p[8:])
			s.Requeues = binary.NativeEndian.Uint32(p[12:])
			s.Overlimits = binary.NativeEndian.Uint32(p[16:])
		case tcaStatsApp:
			s.App = d.Bytes()
		}
	}
	return d.Err()
}

// decodeStats1 reads the older struct tc_stats (TCA_STATS), used only
// when TCA_STATS2 is missing: { __u64 bytes; __u32 packets, drops,
// overlimits, bps, pps, qlen, backlog; }.
func (s *TCStats) decodeStats1(p []byte) error {
	if len(p) < 36 {
		return malformedf("tc_stats of %d bytes", len(p))
	}
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(p[8+4*i:]) }
	s.Bytes, s.Packets = binary.NativeEndian.Uint64(p), uint64(u(0))
	s.Drops, s.Overlimits = u(1), u(2)
	s.RateBytes, s.RatePackets = uint64(u(3)), uint64(u(4))
	s.Qlen, s.Backlog = u(5), u(6)
	return nil
}

// tcAttrs are the TCA_* attributes common to qdiscs, classes and filters.
type tcAttrs struct {
	kind         string
	options      []byte
	hasOptions   bool
	chain        uint32
	hasChain     bool
	ingressBlock uint32
	egressBlock  uint32
	hwOffload    bool
	warning      string
	stats        *TCStats
	unknown      []Attribute
}

// decodeTCAttrs reads the attributes after a tcmsg. Options are kept
// undecoded until the kind is known. TCA_CHAIN is decoded for filters,
// the block indexes and TCA_HW_OFFLOAD for qdiscs; for other kinds they
// are kept in unknown.
func decodeTCAttrs(b []byte, k Kind) (tcAttrs, error) {
	var a tcAttrs
	var stats1 []byte
	var have2 bool
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case unix.TCA_KIND:
			a.kind = d.String()
		case unix.TCA_OPTIONS:
			a.options, a.hasOptions = d.Bytes(), true
		case unix.TCA_CHAIN:
			if k != KindFilter {
				a.unknown = append(a.unknown, d.Attribute())
				break
			}
			a.chain, a.hasChain = d.Uint32(), true
		case unix.TCA_INGRESS_BLOCK, unix.TCA_EGRESS_BLOCK, unix.TCA_HW_OFFLOAD:
			switch {
			case k != KindQdisc:
				a.unknown = append(a.unknown, d.Attribute())
			case d.Type() == unix.TCA_INGRESS_BLOCK:
				a.ingressBlock = d.Uint32()
			case d.Type() == unix.TCA_EGRESS_BLOCK:
				a.egressBlock = d.Uint32()
			default:
				a.hwOffload = d.Uint8() != 0
			}
		case unix.TCA_EXT_WARN_MSG:
			a.warning = d.String()
		case unix.TCA_STATS, unix.TCA_STATS2, unix.TCA_XSTATS:
			if a.stats == nil {
				a.stats = new(TCStats)
			}
			a.stats.Attrs = append(a.stats.Attrs, d.Attribute())
			switch d.Type() {
			case unix.TCA_STATS2:
				have2 = true
				if err := a.stats.decodeStats2(d.Data()); err != nil {
					return a, err
				}
			case unix.TCA_STATS:
				stats1 = d.Data()
			case unix.TCA_XSTATS:
				if a.stats.App == nil {
					a.stats.App = d.Bytes()
				}
			}
		default:
			a.unknown = append(a.unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return a, err
	}
	if stats1 != nil && !have2 {
		if err := a.stats.decodeStats1(stats1); err != nil {
			return a, err
		}
	}
	return a, nil
}

// TCOptions is the kind-specific configuration of a qdisc, a class or a
// filter: the decoded TCA_OPTIONS attribute. Each kind this package knows
// has a type (listed in tc_kinds.go's tables); RawTCOptions holds the
// others, byte for byte.
type TCOptions interface {
	// TCKind returns the TCA_KIND the options belong to ("htb", "u32").
	TCKind() string
	// decodeOptions decodes the payload of TCA_OPTIONS.
	decodeOptions(b []byte) error
	// encodeOptions encodes the payload of TCA_OPTIONS as the kernel sends
	// it; request says it goes into a request (which may need more, such
	// as rate tables, or less, such as read-only values).
	encodeOptions(request bool) ([]byte, error)
	// validateOptions checks the options for a request with verb v.
	validateOptions(v Verb) error
}

// QdiscOptions are a qdisc's options (Qdisc.Options): one of the types in
// qdiscOptionTypes, or *RawTCOptions.
type QdiscOptions interface {
	TCOptions
	qdiscOptions()
}

// ClassOptions are a class's options (Class.Options): one of the types in
// classOptionTypes, or *RawTCOptions.
type ClassOptions interface {
	TCOptions
	classOptions()
}

// FilterOptions are a filter's options (Filter.Options): one of the types
// in filterOptionTypes, or *RawTCOptions.
type FilterOptions interface {
	TCOptions
	filterOptions()
}

// optionsStabler is implemented by options that hold volatile values
// (counters); stableOptions returns a copy without them.
type optionsStabler interface {
	stableOptions() TCOptions
}

// RawTCOptions are the options of a kind this package does not decode:
// the payload of TCA_OPTIONS, kept and sent again byte for byte.
type RawTCOptions struct {
	// Kind is the TCA_KIND.
	Kind string
	// Data is the payload of TCA_OPTIONS (nested attributes for most
	// kinds, a bare struct for some, such as struct tc_fifo_qopt).
	Data []byte
}

// TCKind implements TCOptions.
func (r *RawTCOptions) TCKind() string { return r.Kind }

func (r *RawTCOptions) decodeOptions(b []byte) error {
	r.Data = append([]byte(nil), b...)
	return nil
}

func (r *RawTCOptions) encodeOptions(bool) ([]byte, error) { return r.Data, nil }
func (r *RawTCOptions) validateOptions(Verb) error         { return nil }
func (*RawTCOptions) qdiscOptions()                        {}
func (*RawTCOptions) classOptions()                        {}
func (*RawTCOptions) filterOptions()                       {}

// String returns "raw" and the payload's size.
func (r *RawTCOptions) String() string { return fmt.Sprintf("raw %d bytes", len(r.Data)) }

// decodeTCOptions decodes a TCA_OPTIONS payload with the constructor the
// table gives for kind, or into RawTCOptions.
func decodeTCOptions[T TCOptions](table map[string]func() T, kind string, b []byte, raw func(*RawTCOptions) T) (T, error) {
	if f, ok := table[kind]; ok {
		o := f()
		if err := o.decodeOptions(b); err != nil {
			var zero T
			return zero, fmt.Errorf("%s options: %w", kind, err)
		}
		return o, nil
	}
	r := &RawTCOptions{Kind: kind}
	_ = r.decodeOptions(b)
	return raw(r), nil
}

// appendTCKindOptions encodes the attributes shared by the three objects in the
// kernel's order: TCA_KIND, TCA_CHAIN (filters), TCA_OPTIONS.
func appendTCKindOptions(e *attrEncoder, kind string, opts TCOptions, request bool) {
	if kind != "" {
		e.String(unix.TCA_KIND, kind)
	}
	if opts != nil && !isNilOptions(opts) {
		b, err := opts.encodeOptions(request)
		if err != nil {
			if e.err == nil {
				e.err = err
			}
			return
		}
		e.Bytes(unix.TCA_OPTIONS, b)
	}
}

// isNilOptions reports whether o is an interface holding a nil pointer.
func isNilOptions(o TCOptions) bool {
	if o == nil {
		return true
	}
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// tcKindOf returns kind, or the options' kind when kind is empty, and
// checks that they agree.
func tcKindOf(kind string, opts TCOptions) (string, error) {
	if opts == nil {
		return kind, nil
	}
	ok := opts.TCKind()
	if kind == "" {
		return ok, nil
	}
	if ok != "" && ok != kind {
		return "", invalidf("kind %q with options of kind %q", kind, ok)
	}
	return kind, nil
}

// htons converts between host and network order of a 16-bit value held
// in a native integer (tcm_info's protocol half).
func htons(v uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	return binary.BigEndian.Uint16(b[:])
}

// optionsString formats options for an object's String, if they print.
func optionsString(b *strings.Builder, o TCOptions) {
	if o == nil || isNilOptions(o) {
		return
	}
	if s, ok := o.(fmt.Stringer); ok {
		if t := s.String(); t != "" {
			b.WriteString(" " + t)
		}
	}
}

// appendStatsAttrs encodes the statistics attributes as they were sent.
func appendStatsAttrs(e *attrEncoder, s *TCStats) {
	if s == nil {
		return
	}
	for _, a := range s.Attrs {
		e.Bytes(a.Type, a.Data)
	}
}

// tcGet runs an RTM_GETQDISC, RTM_GETTCLASS or RTM_GETTFILTER request. The
// kernel answers a qdisc or class get through rtnetlink_send, which
// unicasts the answer to the asker only with NLM_F_ECHO (sch_api.c
// qdisc_notify, tclass_notify; tc sets it for `tc filter get` too), and
// also sends it to RTNLGRP_TC: a get shows up there as an RTM_NEWQDISC or
// RTM_NEWTCLASS of an unchanged object. Without the flag no answer comes.
func (c *Conn) tcGet(ctx context.Context, object string, typ uint16, body []byte, fn func(payload []byte) error) error {
	got := false
	_, msg, err := c.exchange(ctx, typ, unix.NLM_F_ECHO, body, func(_ header, p []byte) error {
		got = true
		return fn(p)
	})
	if err == nil && !got {
		err = ErrNotFound
	}
	if err != nil {
		return &OpError{Op: "get", Object: object, Err: err, Message: msg}
	}
	return nil
}

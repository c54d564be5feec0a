package netlink

import (
	"encoding/binary"
	"strings"
)

// Sizes and attributes of the prio qdisc (include/uapi/linux/pkt_sched.h).
const (
	tcPrioQoptLen   = 20 // sizeof(struct tc_prio_qopt): int bands; __u8 priomap[16]
	tcPrioMax       = 15 // TC_PRIO_MAX
	tcqPrioBands    = 16 // TCQ_PRIO_BANDS
	tcqMinPrioBands = 2  // TCQ_MIN_PRIO_BANDS
	tcaPrioMQ       = 1  // TCA_PRIO_MQ, a flag inside the compat nest
)

// DefaultPrioMap is the priomap tc and the kernel use unless told
// otherwise (tc/q_prio.c; net/sched/sch_generic.c sch_default_prio2band),
// for 3 bands.
var DefaultPrioMap = [tcPrioMax + 1]uint8{1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}

// Prio are the options of the prio qdisc (net/sched/sch_prio.c;
// tc-prio(8)): struct tc_prio_qopt as the payload of TCA_OPTIONS, and, as
// tc sends it, a nested TCA_OPTIONS after it (nla_parse_nested_compat)
// that may hold the TCA_PRIO_MQ flag. The kernel reports the struct only.
type Prio struct {
	// Bands is the number of bands, 2 to 16 (tc's default 3; a request
	// must give it).
	Bands uint32
	// Priomap maps each of the 16 logical priorities (skb->priority &
	// TC_PRIO_MAX) to a band below Bands; DefaultPrioMap is tc's.
	Priomap [tcPrioMax + 1]uint8
	// Multiqueue is TCA_PRIO_MQ (tc's "multiqueue"); current kernels
	// ignore it.
	Multiqueue bool
	// Unknown holds the other attributes of the compat nest, as received;
	// sent again.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*Prio) TCKind() string { return "prio" }
func (*Prio) qdiscOptions()  {}

func (o *Prio) decodeOptions(b []byte) error {
	if len(b) < tcPrioQoptLen {
		return malformedf("tc_prio_qopt of %d bytes, want %d", len(b), tcPrioQoptLen)
	}
	o.Bands = binary.NativeEndian.Uint32(b)
	copy(o.Priomap[:], b[4:tcPrioQoptLen])
	rest := b[tcPrioQoptLen:]
	if len(rest) == 0 {
		return nil
	}
	// The compat nest: one attribute of type TCA_OPTIONS.
	d := newAttrDecoder(rest)
	for d.Next() {
		if d.Type() != 2 {
			return malformedf("prio: attribute %d after tc_prio_qopt, want the compat nest", d.Type())
		}
		in := d.Nested()
		for in.Next() {
			if in.Type() == tcaPrioMQ {
				o.Multiqueue = true
				continue
			}
			o.Unknown = append(o.Unknown, in.Attribute())
		}
		if err := in.Err(); err != nil {
			return err
		}
	}
	return d.Err()
}

// encodeOptions writes the struct; a request adds the compat nest as tc
// does (addattr_nest_compat), the kernel's form only when it holds
// something.
func (o *Prio) encodeOptions(request bool) ([]byte, error) {
	e := attrEncoder{b: binary.NativeEndian.AppendUint32(make([]byte, 0, 32), o.Bands)}
	e.b = append(e.b, o.Priomap[:]...)
	if request || o.Multiqueue || len(o.Unknown) > 0 {
		n := e.Nest(2)
		if o.Multiqueue {
			e.Bytes(tcaPrioMQ, nil)
		}
		for _, a := range o.Unknown {
			e.Bytes(a.Type, a.Data)
		}
		e.End(n)
	}
	return e.b, e.err
}

// validateOptions applies prio_tune's rules: 2 to 16 bands, and every
// priomap entry below Bands.
func (o *Prio) validateOptions(Verb) error {
	if o.Bands < tcqMinPrioBands || o.Bands > tcqPrioBands {
		return invalidf("prio bands %d: want %d to %d", o.Bands, tcqMinPrioBands, tcqPrioBands)
	}
	for i, b := range o.Priomap {
		if uint32(b) >= o.Bands {
			return invalidf("prio priomap[%d] is band %d, not below bands %d", i, b, o.Bands)
		}
	}
	return nil
}

// String returns the options in tc's words: "bands 3 priomap 1 2 2 2 1 2
// 0 0 1 1 1 1 1 1 1 1".
func (o *Prio) String() string {
	s := []string{"bands " + itoa(o.Bands), "priomap"}
	for _, b := range o.Priomap {
		s = append(s, itoa(b))
	}
	if o.Multiqueue {
		s = append(s, "multiqueue on")
	}
	return strings.Join(s, " ")
}

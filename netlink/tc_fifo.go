package netlink

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Fifo is the options of the pfifo and bfifo qdiscs (struct tc_fifo_qopt
// of include/uapi/linux/pkt_sched.h, the bare payload of TCA_OPTIONS;
// net/sched/sch_fifo.c). A request without options (Qdisc.Options nil)
// lets the kernel choose the limit: the link's txqueuelen in packets, or
// that times its MTU in bytes.
type Fifo struct {
	// Kind is "pfifo" or "bfifo".
	Kind string
	// Limit is the queue's limit: packets for pfifo, bytes for bfifo
	// (tc's "limit"). Zero drops every packet.
	Limit uint32
}

// TCKind implements TCOptions.
func (o *Fifo) TCKind() string { return o.Kind }

func (o *Fifo) decodeOptions(b []byte) error {
	if len(b) != 4 {
		return malformedf("%s options of %d bytes, want 4 (struct tc_fifo_qopt)", o.Kind, len(b))
	}
	o.Limit = binary.NativeEndian.Uint32(b)
	return nil
}

func (o *Fifo) encodeOptions(bool) ([]byte, error) {
	return binary.NativeEndian.AppendUint32(nil, o.Limit), nil
}

func (o *Fifo) validateOptions(Verb) error {
	if o.Kind != "pfifo" && o.Kind != "bfifo" {
		return invalidf("fifo options of kind %q (want pfifo or bfifo)", o.Kind)
	}
	return nil
}

func (*Fifo) qdiscOptions() {}

// String returns tc's words: "limit 100" (pfifo's packets), "limit 3000b".
func (o *Fifo) String() string {
	if o.Kind == "bfifo" {
		return fmt.Sprintf("limit %db", o.Limit)
	}
	return fmt.Sprintf("limit %dp", o.Limit)
}

// PfifoFast is the options of the pfifo_fast qdisc (struct tc_prio_qopt,
// the bare payload of TCA_OPTIONS; net/sched/sch_generic.c
// pfifo_fast_dump). They are fixed by the kernel: read-only, and a request
// may not carry them (pfifo_fast takes none).
type PfifoFast struct {
	// Bands is the number of bands (3).
	Bands int32
	// Priomap maps each of the 16 packet priorities (TC_PRIO_*) to a band.
	Priomap [16]uint8
}

// TCKind implements TCOptions.
func (*PfifoFast) TCKind() string { return "pfifo_fast" }

func (o *PfifoFast) decodeOptions(b []byte) error {
	if len(b) != 20 {
		return malformedf("pfifo_fast options of %d bytes, want 20 (struct tc_prio_qopt)", len(b))
	}
	o.Bands = int32(binary.NativeEndian.Uint32(b))
	copy(o.Priomap[:], b[4:])
	return nil
}

func (o *PfifoFast) encodeOptions(bool) ([]byte, error) {
	return append(binary.NativeEndian.AppendUint32(nil, uint32(o.Bands)), o.Priomap[:]...), nil
}

func (*PfifoFast) validateOptions(Verb) error {
	return invalidf("pfifo_fast options are read-only: add pfifo_fast without options")
}

func (*PfifoFast) qdiscOptions() {}

// String returns tc's words: "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1".
func (o *PfifoFast) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bands %d priomap", o.Bands)
	for _, p := range o.Priomap {
		fmt.Fprintf(&b, " %d", p)
	}
	return b.String()
}

// Ingress and Clsact are the options of the ingress and clsact qdiscs:
// none. The kernel sends an empty TCA_OPTIONS (sch_ingress.c
// ingress_dump); any attribute in it is kept in Unknown. Their blocks are
// Qdisc.IngressBlock and EgressBlock.
type (
	Ingress struct{ Unknown []Attribute }
	Clsact  struct{ Unknown []Attribute }
)

// TCKind implements TCOptions.
func (*Ingress) TCKind() string { return "ingress" }

// TCKind implements TCOptions.
func (*Clsact) TCKind() string { return "clsact" }

func decodeUnknownOnly(b []byte) ([]Attribute, error) {
	var out []Attribute
	d := newAttrDecoder(b)
	for d.Next() {
		out = append(out, d.Attribute())
	}
	return out, d.Err()
}

func encodeUnknownOnly(attrs []Attribute) []byte {
	var e attrEncoder
	for _, a := range attrs {
		e.Bytes(a.Type, a.Data)
	}
	return e.b
}

func (o *Ingress) decodeOptions(b []byte) (err error) { o.Unknown, err = decodeUnknownOnly(b); return }
func (o *Clsact) decodeOptions(b []byte) (err error)  { o.Unknown, err = decodeUnknownOnly(b); return }
func (o *Ingress) encodeOptions(bool) ([]byte, error) { return encodeUnknownOnly(o.Unknown), nil }
func (o *Clsact) encodeOptions(bool) ([]byte, error)  { return encodeUnknownOnly(o.Unknown), nil }
func (*Ingress) validateOptions(Verb) error           { return nil }
func (*Clsact) validateOptions(Verb) error            { return nil }
func (*Ingress) qdiscOptions()                        {}
func (*Clsact) qdiscOptions()                         {}

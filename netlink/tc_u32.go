package netlink

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// u32 attributes (include/uapi/linux/pkt_cls.h, TCA_U32_*) and the
// classifier flags every kind shares (TCA_CLS_FLAGS_*).
const (
	tcaU32Classid = 1
	tcaU32Hash    = 2
	tcaU32Link    = 3
	tcaU32Divisor = 4
	tcaU32Sel     = 5
	tcaU32Police  = 6
	tcaU32Act     = 7
	tcaU32Indev   = 8
	tcaU32Pcnt    = 9
	tcaU32Flags   = 11

	u32SelLen = 16 // sizeof(struct tc_u32_sel) without keys
	u32KeyLen = 16 // sizeof(struct tc_u32_key)

	// TCClsFlagsSkipHW and TCClsFlagsSkipSW ask a classifier to stay out
	// of hardware or software (tc's "skip_hw", "skip_sw");
	// TCClsFlagsInHW and TCClsFlagsNotInHW report where it is (tc's
	// "in_hw", "not_in_hw"), read-only: requests send only the skip bits,
	// as the kernel refuses the others (tc_flags_valid).
	TCClsFlagsSkipHW  = 1 << 0
	TCClsFlagsSkipSW  = 1 << 1
	TCClsFlagsInHW    = 1 << 2
	TCClsFlagsNotInHW = 1 << 3
	tcClsFlagsRequest = TCClsFlagsSkipHW | TCClsFlagsSkipSW
)

// U32Key is one 32-bit match of a u32 selector (struct tc_u32_key): the
// packet's word at Off (plus the selector's offset) masked with Mask must
// equal Val. Mask and Val are the packet's bytes in network order read
// as a number (192.0.2.0 is 0xc0000200), as tc prints them.
type U32Key struct {
	Mask, Val uint32
	// Off is the byte offset from the network header (or the offset the
	// selector computed); OffMask is kept as the kernel has it.
	Off, OffMask int32
}

// U32Sel is a u32 selector (struct tc_u32_sel, TCA_U32_SEL): its keys,
// and how the classifier computes a variable offset and the hash bucket
// of a linked table. Offmask and Hmask are in the same number form as the
// keys' values.
type U32Sel struct {
	// Flags are TC_U32_TERMINAL (1), TC_U32_OFFSET (2), TC_U32_VAROFFSET
	// (4), TC_U32_EAT (8).
	Flags uint8
	// Offshift, Offmask, Off and Offoff compute the next header's offset
	// (tc's "offset at ... mask ... shift ...").
	Offshift uint8
	Offmask  uint16
	Off      uint16
	Offoff   int16
	// Hoff and Hmask select the hash key for a linked table (tc's "hashkey
	// mask ... at ...").
	Hoff  int16
	Hmask uint32
	// Keys are the matches, all of which must hold.
	Keys []U32Key
}

// U32 is the options of a u32 filter (net/sched/cls_u32.c u32_change,
// u32_dump). A u32 filter is either a hash table (the filter whose handle
// has node 0: Divisor set, nothing else) or a key node (Sel set) in a
// bucket of one. Their handles are written "htid:hash:node" in
// hexadecimal (see U32Handle).
type U32 struct {
	// ClassID is the class the filter sends matching packets to
	// (TCA_U32_CLASSID, tc's "classid" or "flowid").
	ClassID Handle
	// Hash is the hash table and bucket a key node goes into
	// (TCA_U32_HASH, a u32 handle with node 0; tc's "ht" and, in its
	// output, "key ht" and "bkt").
	Hash uint32
	// Link is the hash table the classification continues in
	// (TCA_U32_LINK, a table's u32 handle; tc's "link").
	Link uint32
	// Divisor is a hash table's number of buckets, 1 to 256, a power of
	// two (TCA_U32_DIVISOR; tc's "divisor"); 0 for a key node.
	Divisor uint32
	// Sel is a key node's selector (TCA_U32_SEL); nil for a hash table.
	Sel *U32Sel
	// Flags are TCA_CLS_FLAGS_* (TCA_U32_FLAGS).
	Flags uint32
	// Indev limits the filter to packets that came in on this device
	// (TCA_U32_INDEV, tc's "indev").
	Indev string
	// Pcnt is the kernel's hit counters (TCA_U32_PCNT, struct
	// tc_u32_pcnt, only with CONFIG_CLS_U32_PERF), raw; read-only and
	// volatile.
	Pcnt []byte
	// Actions are the actions run on a match (TCA_U32_ACT; tc's
	// "action"); a key node only.
	Actions TCActions
	// Police is a policer attached the old way (TCA_U32_POLICE: the
	// police action's attributes without an action nest; tc's "police"
	// outside an "action"), nil for none. The kernel keeps it as an
	// action of its own (tcf_exts_validate with TCA_OLD_COMPAT) and then
	// also reports its counters beside the filter's options
	// (tcf_exts_dump_stats: TCA_STATS2 and TCA_STATS in Filter.Unknown).
	Police *Police
	// Unknown holds the attributes not decoded above (marks), as the
	// kernel sent them.
	Unknown []Attribute
}

// TCKind implements TCOptions.
func (*U32) TCKind() string { return "u32" }

func (o *U32) decodeOptions(b []byte) error {
	d := newAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case tcaU32Classid:
			o.ClassID = Handle(d.Uint32())
		case tcaU32Hash:
			o.Hash = d.Uint32()
		case tcaU32Link:
			o.Link = d.Uint32()
		case tcaU32Divisor:
			o.Divisor = d.Uint32()
		case tcaU32Sel:
			s, err := decodeU32Sel(d.Data())
			if err != nil {
				return err
			}
			o.Sel = s
		case tcaU32Flags:
			o.Flags = d.Uint32()
		case tcaU32Indev:
			o.Indev = d.String()
		case tcaU32Pcnt:
			o.Pcnt = d.Bytes()
		case tcaU32Act:
			acts, err := decodeTCActions(d.Data())
			if err != nil {
				return fmt.Errorf("u32 actions: %w", err)
			}
			o.Actions = acts
		case tcaU32Police:
			p := new(Police)
			if err := p.decodeOptions(d.Data()); err != nil {
				return fmt.Errorf("u32 police: %w", err)
			}
			o.Police = p
		default:
			o.Unknown = append(o.Unknown, d.Attribute())
		}
	}
	return d.Err()
}

func decodeU32Sel(p []byte) (*U32Sel, error) {
	if len(p) < u32SelLen {
		return nil, malformedf("u32 selector of %d bytes", len(p))
	}
	n := int(p[2])
	if len(p) != u32SelLen+n*u32KeyLen {
		return nil, malformedf("u32 selector of %d bytes for %d keys", len(p), n)
	}
	s := &U32Sel{
		Flags: p[0], Offshift: p[1],
		Offmask: binary.BigEndian.Uint16(p[4:]),
		Off:     binary.NativeEndian.Uint16(p[6:]),
		Offoff:  int16(binary.NativeEndian.Uint16(p[8:])),
		Hoff:    int16(binary.NativeEndian.Uint16(p[10:])),
		Hmask:   binary.BigEndian.Uint32(p[12:]),
	}
	if n > 0 {
		s.Keys = make([]U32Key, n)
	}
	for i := range s.Keys {
		k := p[u32SelLen+i*u32KeyLen:]
		s.Keys[i] = U32Key{
			Mask:    binary.BigEndian.Uint32(k),
			Val:     binary.BigEndian.Uint32(k[4:]),
			Off:     int32(binary.NativeEndian.Uint32(k[8:])),
			OffMask: int32(binary.NativeEndian.Uint32(k[12:])),
		}
	}
	return s, nil
}

func (s *U32Sel) append(b []byte) []byte {
	b = append(b, s.Flags, s.Offshift, uint8(len(s.Keys)), 0)
	b = binary.BigEndian.AppendUint16(b, s.Offmask)
	b = binary.NativeEndian.AppendUint16(b, s.Off)
	b = binary.NativeEndian.AppendUint16(b, uint16(s.Offoff))
	b = binary.NativeEndian.AppendUint16(b, uint16(s.Hoff))
	b = binary.BigEndian.AppendUint32(b, s.Hmask)
	for _, k := range s.Keys {
		b = binary.BigEndian.AppendUint32(b, k.Mask)
		b = binary.BigEndian.AppendUint32(b, k.Val)
		b = binary.NativeEndian.AppendUint32(b, uint32(k.Off))
		b = binary.NativeEndian.AppendUint32(b, uint32(k.OffMask))
	}
	return b
}

// encodeOptions writes the attributes in u32_dump's order (the actions or
// the policer after the mark, where tcf_exts_dump puts them); a request
// leaves out the counters and the read-only flags.
func (o *U32) encodeOptions(request bool) ([]byte, error) {
	var e attrEncoder
	if o.Divisor != 0 {
		e.Uint32(tcaU32Divisor, o.Divisor)
	}
	if o.Sel != nil {
		e.Bytes(tcaU32Sel, o.Sel.append(make([]byte, 0, u32SelLen+len(o.Sel.Keys)*u32KeyLen)))
	}
	if o.Hash != 0 {
		e.Uint32(tcaU32Hash, o.Hash)
	}
	if o.ClassID != 0 {
		e.Uint32(tcaU32Classid, uint32(o.ClassID))
	}
	if o.Link != 0 {
		e.Uint32(tcaU32Link, o.Link)
	}
	flags := o.Flags
	if request {
		flags &= tcClsFlagsRequest
	}
	if flags != 0 {
		e.Uint32(tcaU32Flags, flags)
	}
	for _, a := range o.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	appendTCActions(&e, tcaU32Act, o.Actions, request)
	if o.Police != nil {
		b, err := o.Police.encodeOptions(request)
		if err != nil {
			return nil, err
		}
		e.Bytes(tcaU32Police, b) // tc's parse_police nests it without NLA_F_NESTED
	}
	if o.Indev != "" {
		e.String(tcaU32Indev, o.Indev)
	}
	if o.Pcnt != nil && !request {
		e.Bytes(tcaU32Pcnt, o.Pcnt)
	}
	return e.b, e.err
}

// validateOptions checks u32_change's rules: a hash table has a divisor of
// 1 to 256 that is a power of two and nothing else; a key node has a
// selector of at most 128 keys (TC_U32_MAXDEPTH bounds the links, nkeys
// is a u8) and no divisor; only the skip flags, not both.
func (o *U32) validateOptions(v Verb) error {
	if o.Flags&TCClsFlagsSkipHW != 0 && o.Flags&TCClsFlagsSkipSW != 0 {
		return invalidf("u32 filter with both skip_hw and skip_sw")
	}
	if o.Divisor != 0 {
		if o.Divisor > 256 || o.Divisor&(o.Divisor-1) != 0 {
			return invalidf("u32 hash table divisor %d (want a power of two up to 256)", o.Divisor)
		}
		if o.Sel != nil || o.ClassID != 0 || o.Link != 0 || o.Hash != 0 || o.Actions != nil || o.Police != nil {
			return invalidf("a u32 hash table (divisor) has no selector, classid, link, ht, actions or police")
		}
		return nil
	}
	if o.Sel == nil && (v == Add || v == Replace) {
		return invalidf("u32 key node needs a selector (or a divisor for a hash table)")
	}
	if o.Sel != nil && len(o.Sel.Keys) > 128 {
		return invalidf("u32 selector with %d keys (at most 128)", len(o.Sel.Keys))
	}
	if o.Police != nil {
		if o.Actions != nil {
			// The kernel would keep the policer and drop the actions
			// silently (tcf_exts_validate_ex).
			return invalidf("u32 filter with both police and actions: the kernel keeps only the policer")
		}
		if err := o.Police.validateOptions(v); err != nil {
			return fmt.Errorf("u32 police: %w", err)
		}
	}
	return o.Actions.validate(v)
}

func (*U32) filterOptions() {}

func (o *U32) stableOptions() TCOptions {
	c := *o
	c.Pcnt, c.Actions = nil, o.Actions.stable()
	if o.Police != nil {
		c.Police = o.Police.stableOptions().(*Police)
	}
	return &c
}

// String returns tc's words: "ht divisor 1" for a table, else "key ht 800
// bkt 0 flowid 1:10 match c0000200/ffffff00 at 16".
func (o *U32) String() string {
	var b strings.Builder
	if o.Divisor != 0 {
		fmt.Fprintf(&b, "ht divisor %d", o.Divisor)
	}
	if o.Hash != 0 {
		fmt.Fprintf(&b, " key ht %x bkt %x", o.Hash>>20, (o.Hash>>12)&0xff)
	}
	if o.ClassID != 0 {
		b.WriteString(" flowid " + o.ClassID.String())
	}
	if o.Link != 0 {
		b.WriteString(" link " + U32Handle(o.Link))
	}
	if o.Sel != nil {
		for _, k := range o.Sel.Keys {
			fmt.Fprintf(&b, " match %08x/%08x at %d", k.Val, k.Mask, k.Off)
		}
	}
	if o.Police != nil {
		b.WriteString(" police " + o.Police.String())
	}
	if len(o.Actions) > 0 {
		b.WriteString(" action " + o.Actions.String())
	}
	return strings.TrimSpace(b.String())
}

// U32Handle writes a u32 filter handle as tc does (cls_u32 handles are
// htid:hash:node, 12, 8 and 12 bits; f_u32.c sprint_u32_handle): "800:"
// for table 800, "800::800" for node 800 in its bucket 0, "1:2:3".
func U32Handle(h uint32) string {
	htid, hash, node := h>>20, (h>>12)&0xff, h&0xfff
	var b strings.Builder
	if htid != 0 {
		b.WriteString(strconv.FormatUint(uint64(htid), 16) + ":")
	}
	if hash != 0 || node != 0 {
		if hash != 0 {
			b.WriteString(strconv.FormatUint(uint64(hash), 16))
		}
		if node != 0 {
			b.WriteString(":" + strconv.FormatUint(uint64(node), 16))
		}
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}

// ParseU32Handle reads a u32 handle in tc's notation ("800:", "800::800",
// "1:2:3", f_u32.c get_u32_handle): hexadecimal table (up to fff), bucket
// (up to ff) and node (up to fff), each may be empty. Anything else is an
// ErrInvalid error.
func ParseU32Handle(s string) (uint32, error) {
	parts := strings.Split(s, ":")
	if s == "" || len(parts) > 3 {
		return 0, invalidf("u32 handle %q: want htid:hash:node in hexadecimal", s)
	}
	limits := []uint64{0xfff, 0xff, 0xfff}
	shifts := []uint{20, 12, 0}
	var h uint32
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, err := parseHex(p, 32)
		if err != nil || v > limits[i] {
			return 0, invalidf("u32 handle %q: part %q is not hexadecimal up to %x", s, p, limits[i])
		}
		h |= uint32(v) << shifts[i]
	}
	return h, nil
}

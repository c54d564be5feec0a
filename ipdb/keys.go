package ipdb

import (
	"encoding/binary"
	"net/netip"
)

// Keys are built by appending fixed-width big-endian fields, so that byte
// order is field order and a key's leading fields are a usable prefix.

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// appendAddr appends a length byte (0, 4 or 16) and the address bytes.
func appendAddr(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, 0)
	case a.Is4():
		a4 := a.As4()
		return append(append(b, 4), a4[:]...)
	default:
		a16 := a.As16()
		return append(append(b, 16), a16[:]...)
	}
}

// appendPrefix appends the masked address, then the prefix length. The
// address goes in as nibbles, one key byte per four bits: a routing table
// is dense, and in a radix tree keyed by whole bytes its inner nodes have up
// to 256 edges, each copied (4 KB) by every write transaction that inserts
// below it. With nibbles no node has more than 16 edges, and a small write
// copies a quarter as much.
func appendPrefix(b []byte, p netip.Prefix) []byte {
	return appendPrefixAsGiven(b, p.Masked())
}

// appendPrefixAsGiven appends p as appendPrefix does, but with its host
// bits: the kernel keeps a rule's addresses as given and tells rules apart
// by them (fib4_rule_compare, fib6_rule_compare), so `to 2001:db8:f:1::/48`
// and `to 2001:db8:f:b::/48` are two rules.
func appendPrefixAsGiven(b []byte, p netip.Prefix) []byte {
	if !p.IsValid() {
		return append(b, 0, 0xff)
	}
	a := p.Addr()
	if a.Is4() {
		b = append(b, 4)
		for _, x := range a.As4() {
			b = append(b, x>>4, x&0xf)
		}
	} else {
		b = append(b, 16)
		for _, x := range a.As16() {
			b = append(b, x>>4, x&0xf)
		}
	}
	return append(b, uint8(p.Bits()))
}

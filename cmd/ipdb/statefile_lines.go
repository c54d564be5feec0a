package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// specLines are the file lines of the entries, by kind in the order their
// specs are added to the transaction (each section gives one spec an entry,
// in file order), so that a txn.SpecError names the entry's line.
func (st *stateFile) specLines() map[netlink.Kind][]int {
	m := map[netlink.Kind][]int{}
	for _, e := range st.Links {
		m[netlink.KindLink] = append(m[netlink.KindLink], int(e.Line))
	}
	for _, e := range st.Addresses {
		m[netlink.KindAddr] = append(m[netlink.KindAddr], int(e.Line))
	}
	for _, e := range st.Routes {
		m[netlink.KindRoute] = append(m[netlink.KindRoute], int(e.Line))
	}
	for _, e := range st.Neighbours {
		m[netlink.KindNeigh] = append(m[netlink.KindNeigh], int(e.Line))
	}
	for _, e := range st.Rules {
		m[netlink.KindRule] = append(m[netlink.KindRule], int(e.Line))
	}
	for _, e := range st.Nexthops {
		m[netlink.KindNexthop] = append(m[netlink.KindNexthop], int(e.Line))
	}
	st.tcSpecLines(m)
	return m
}

// specLine returns the file line of the entry a txn error is about, or 0.
func (s *specSet) specLine(err error) int {
	var se *txn.SpecError
	if s == nil || !errors.As(err, &se) || se.Set {
		return 0
	}
	if se.MPLS {
		if se.Index >= 0 && se.Index < len(s.mplsLines) {
			return s.mplsLines[se.Index]
		}
		return 0
	}
	if lines := s.lines[se.Kind]; se.Index >= 0 && se.Index < len(lines) {
		return lines[se.Index]
	}
	return 0
}

// otherLines returns " (and line N)" for the other entries a txn error
// is about (SpecError.Others: the first of two entries of one object), or
// "".
func (s *specSet) otherLines(err error) string {
	var se *txn.SpecError
	if s == nil || !errors.As(err, &se) || se.Set || len(se.Others) == 0 {
		return ""
	}
	var out []string
	for _, i := range se.Others {
		if lines := s.lines[se.Kind]; i >= 0 && i < len(lines) {
			out = append(out, strconv.Itoa(lines[i]))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (and line " + strings.Join(out, ", ") + ")"
}

// intRange says which numbers a Go integer type yaml decodes into takes
// ("uint32", "*uint16"...): "a number from 0 to 4294967295".
func intRange(into string) string {
	switch strings.TrimLeft(into, "*") {
	case "uint8":
		return "a number from 0 to 255"
	case "uint16":
		return "a number from 0 to 65535"
	case "uint32", "uint":
		return "a number from 0 to 4294967295"
	case "uint64":
		return "a number from 0 to 18446744073709551615"
	case "int8":
		return "a number from -128 to 127"
	case "int16":
		return "a number from -32768 to 32767"
	case "int32":
		return "a number from -2147483648 to 2147483647"
	}
	return "a number"
}

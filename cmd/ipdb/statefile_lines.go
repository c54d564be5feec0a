package main

import (
	"errors"

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
	return m
}

// specLine returns the file line of the entry a txn error is about, or 0.
func (s *specSet) specLine(err error) int {
	var se *txn.SpecError
	if s == nil || !errors.As(err, &se) || se.Set {
		return 0
	}
	if lines := s.lines[se.Kind]; se.Index >= 0 && se.Index < len(lines) {
		return lines[se.Index]
	}
	return 0
}

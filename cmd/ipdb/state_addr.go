package main

import (
	"errors"

	"github.com/ipdb-go/ipdb/txn"
)

// The addresses section of the state file: one entry per address, as
// `ip address add|del` takes it.

type addrYAML struct {
	Line      line    `yaml:"-"`
	Link      string  `yaml:"link"`
	Address   prefixY `yaml:"address"`
	Absent    bool    `yaml:"absent"`
	Peer      *addrY  `yaml:"peer"`
	Broadcast *addrY  `yaml:"broadcast"`
	Label     string  `yaml:"label"`
	Scope     *scopeY `yaml:"scope"`
	Metric    *uint32 `yaml:"metric"`
}

func (e *addrYAML) at(n line) { e.Line = n }

func (a *addrYAML) spec() (txn.AddrSpec, error) {
	if a.Link == "" || !a.Address.IsValid() {
		return txn.AddrSpec{}, errors.New("an address needs link and address")
	}
	s := txn.AddrSpec{Link: a.Link, Prefix: a.Address.Prefix, Absent: a.Absent, Label: a.Label, Metric: a.Metric}
	if a.Peer != nil {
		s.Peer = a.Peer.Addr
	}
	if a.Broadcast != nil {
		s.Broadcast = a.Broadcast.Addr
	}
	if a.Scope != nil {
		v := uint8(*a.Scope)
		s.Scope = &v
	}
	return s, nil
}

// addrSpecs converts the addresses section into out; an error names the
// entry's line.
func (st *stateFile) addrSpecs(out *specSet) error {
	for _, a := range st.Addresses {
		s, err := a.spec()
		if err != nil {
			return &lineError{Line: int(a.Line), Msg: err.Error()}
		}
		out.addrs = append(out.addrs, s)
	}
	return nil
}

// addrsInto adds the section's specs to t, in file order.
func (s *specSet) addrsInto(t *txn.Txn) {
	for _, x := range s.addrs {
		t.Addr(x)
	}
}

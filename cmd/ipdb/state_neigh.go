package main

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// The neighbours section of the state file (also spelt neighbors): one
// ARP or NDP entry each, as `ip neigh replace|del` takes it.

type neighYAML struct {
	Line   line    `yaml:"-"`
	Link   string  `yaml:"link"`
	Dst    addrY   `yaml:"dst"`
	LLAddr hwAddrY `yaml:"lladdr"`
	State  string  `yaml:"state"`
	Absent bool    `yaml:"absent"`
}

func (e *neighYAML) at(n line) { e.Line = n }

// stateFileNeighStates are the NUD states a state file may give a neighbour.
const stateFileNeighStates = unix.NUD_PERMANENT | unix.NUD_NOARP | unix.NUD_REACHABLE | unix.NUD_STALE

func (n *neighYAML) spec() (txn.NeighSpec, error) {
	if n.Link == "" || !n.Dst.IsValid() {
		return txn.NeighSpec{}, errors.New("a neighbour needs link and dst")
	}
	if !n.Absent && len(n.LLAddr.HardwareAddr) == 0 {
		return txn.NeighSpec{}, errors.New("a neighbour needs lladdr unless absent")
	}
	s := txn.NeighSpec{Link: n.Link, Dst: n.Dst.Addr, LLAddr: n.LLAddr.HardwareAddr, Absent: n.Absent}
	if n.State != "" {
		st, err := netlink.ParseNeighState(n.State)
		if err != nil || st&stateFileNeighStates == 0 {
			return s, fmt.Errorf("bad neighbour state %q (want permanent, noarp, reachable or stale)", n.State)
		}
		s.State = st
	}
	return s, nil
}

// neighSpecs converts the neighbours section into out; an error names the
// entry's line.
func (st *stateFile) neighSpecs(out *specSet) error {
	for _, n := range st.Neighbours {
		s, err := n.spec()
		if err != nil {
			return &lineError{Line: int(n.Line), Msg: err.Error()}
		}
		out.neighs = append(out.neighs, s)
	}
	return nil
}

// neighsInto adds the section's specs to t, in file order.
func (s *specSet) neighsInto(t *txn.Txn) {
	for _, x := range s.neighs {
		t.Neigh(x)
	}
}

// neighList is the list a section's entries decode into: the section has
// two spellings, merged after parsing (parseStateFile).
func (st *stateFile) neighList(section string) sectionEntries {
	if section == "neighbors" {
		return entries(&st.Neighbors)
	}
	return entries(&st.Neighbours)
}

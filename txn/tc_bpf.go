package txn

import (
	"fmt"
	"slices"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
	"github.com/ipdb-go/ipdb/netlink"
)

// withProgram returns filter options o with each eBPF program given by
// descriptor (BPFFilter.FD, an ActBPF action's FD) also named by the id
// and tag of the program the descriptor refers to, read with bpf(2)
// (BPF_OBJ_GET_INFO_BY_FD; internal/bpfprog). The kernel reports a
// filter's or action's program by that id (TCA_BPF_ID, TCA_ACT_BPF_ID),
// never by a descriptor, so the id is what a spec and the kernel compare:
// a new program under an old name is a change. o is not modified; the
// error says which descriptor bpf(2) does not tell of (not open, not a
// BPF object).
func withProgram(o netlink.FilterOptions) (netlink.FilterOptions, error) {
	if b, ok := o.(*netlink.BPFFilter); ok && b != nil && len(b.Ops) == 0 && b.FD != 0 {
		info, err := bpfprog.ByFD(int(b.FD))
		if err != nil {
			return nil, fmt.Errorf("eBPF program fd %d: bpf(2) BPF_OBJ_GET_INFO_BY_FD: %w", b.FD, err)
		}
		c := *b
		c.ID, c.Tag = info.ID, info.Tag[:]
		o = &c
	}
	acts, _ := filterActions(o)
	var out netlink.TCActions
	for i, a := range acts {
		ab, ok := a.Options.(*netlink.ActBPF)
		if !ok || ab == nil || len(ab.Ops) > 0 || ab.FD <= 0 {
			continue
		}
		info, err := bpfprog.ByFD(ab.FD)
		if err != nil {
			return nil, fmt.Errorf("action %d: eBPF program fd %d: bpf(2) BPF_OBJ_GET_INFO_BY_FD: %w", i+1, ab.FD, err)
		}
		c := *ab
		c.ID, c.Tag = info.ID, info.Tag[:]
		out = withActionOptions(out, acts, i, &c)
	}
	if out != nil {
		o = withActions(o, out)
	}
	return o, nil
}

// withProgramFDs returns filter options o with a descriptor for each
// eBPF program named only by id (a program the kernel reported, which a
// rollback puts back), opened by r: the kernel takes a program by
// descriptor only (cls_bpf_prog_from_efd, tcf_bpf_init_from_efd). o is
// not modified.
func withProgramFDs(o netlink.FilterOptions, r *resolver) (netlink.FilterOptions, error) {
	if b, ok := o.(*netlink.BPFFilter); ok && b != nil && len(b.Ops) == 0 && b.FD == 0 && b.ID != 0 {
		fd, err := r.progFD(b.ID)
		if err != nil {
			return nil, err
		}
		c := *b
		c.FD = uint32(fd)
		o = &c
	}
	acts, _ := filterActions(o)
	var out netlink.TCActions
	for i, a := range acts {
		ab, ok := a.Options.(*netlink.ActBPF)
		if !ok || ab == nil || len(ab.Ops) > 0 || ab.FD > 0 || ab.ID == 0 {
			continue
		}
		fd, err := r.progFD(ab.ID)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i+1, err)
		}
		c := *ab
		c.FD = fd
		out = withActionOptions(out, acts, i, &c)
	}
	if out != nil {
		o = withActions(o, out)
	}
	return o, nil
}

// withActionOptions returns out, a copy of acts made on first use, with
// action i holding options o. The actions are pointers, shared with the
// spec or the database's objects: they are copied, never changed.
func withActionOptions(out, acts netlink.TCActions, i int, o netlink.ActionOptions) netlink.TCActions {
	if out == nil {
		out = slices.Clone(acts)
	}
	a := *out[i]
	a.Options = o
	out[i] = &a
	return out
}

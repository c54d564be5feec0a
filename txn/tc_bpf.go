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
	// The kernel takes a filter's program only of type sched_cls
	// (cls_bpf_prog_from_efd) and an action's only of sched_act
	// (tcf_bpf_init_from_efd): another is refused here, not at commit.
	info := func(fd int, what string, typ uint32) (bpfprog.Info, error) {
		p, err := bpfprog.ByFD(fd)
		if err != nil {
			return p, fmt.Errorf("eBPF program fd %d: bpf(2) BPF_OBJ_GET_INFO_BY_FD: %w", fd, err)
		}
		if p.Type != typ {
			return p, fmt.Errorf("eBPF program fd %d (name %s id %d) is of type %s; a %s takes %s", fd, p.Name, p.ID,
				bpfprog.TypeName(p.Type), what, bpfprog.TypeName(typ))
		}
		return p, nil
	}
	return withPrograms(o, func(b *netlink.BPFFilter) (*netlink.BPFFilter, error) {
		if b.FD == 0 {
			return nil, nil
		}
		p, err := info(int(b.FD), "bpf filter", bpfprog.TypeSchedCls)
		c := *b
		c.ID, c.Tag = p.ID, p.Tag[:]
		return &c, err
	}, func(a *netlink.ActBPF) (*netlink.ActBPF, error) {
		if a.FD <= 0 {
			return nil, nil
		}
		p, err := info(a.FD, "bpf action", bpfprog.TypeSchedAct)
		c := *a
		c.ID, c.Tag = p.ID, p.Tag[:]
		return &c, err
	})
}

// withProgramFDs returns filter options o with a descriptor for each
// eBPF program named only by id (a program the kernel reported, which a
// rollback puts back), opened by r: the kernel takes a program by
// descriptor only (cls_bpf_prog_from_efd, tcf_bpf_init_from_efd). o is
// not modified.
func withProgramFDs(o netlink.FilterOptions, r *resolver) (netlink.FilterOptions, error) {
	return withPrograms(o, func(b *netlink.BPFFilter) (*netlink.BPFFilter, error) {
		if b.FD != 0 || b.ID == 0 {
			return nil, nil
		}
		fd, err := r.progFD(b.ID)
		c := *b
		c.FD = uint32(fd)
		return &c, err
	}, func(a *netlink.ActBPF) (*netlink.ActBPF, error) {
		if a.FD > 0 || a.ID == 0 {
			return nil, nil
		}
		fd, err := r.progFD(a.ID)
		c := *a
		c.FD = fd
		return &c, err
	})
}

// withPrograms returns filter options o with the eBPF program of a bpf
// filter and of each bpf action (those without classic bytecode) put
// through filter and action, which return the options to use instead,
// or nil to keep them. o and its actions, which a spec or the database
// may share, are copied, never changed.
func withPrograms(o netlink.FilterOptions, filter func(*netlink.BPFFilter) (*netlink.BPFFilter, error),
	action func(*netlink.ActBPF) (*netlink.ActBPF, error)) (netlink.FilterOptions, error) {
	if b, ok := o.(*netlink.BPFFilter); ok && b != nil && len(b.Ops) == 0 {
		c, err := filter(b)
		if err != nil {
			return nil, err
		}
		if c != nil {
			o = c
		}
	}
	acts, _ := filterActions(o)
	var out netlink.TCActions
	for i, a := range acts {
		ab, ok := a.Options.(*netlink.ActBPF)
		if !ok || ab == nil || len(ab.Ops) > 0 {
			continue
		}
		c, err := action(ab)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i+1, err)
		}
		if c == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(acts)
		}
		x := *out[i]
		x.Options = c
		out[i] = &x
	}
	if out != nil {
		o = withActions(o, out)
	}
	return o, nil
}

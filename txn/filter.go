package txn

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// FilterSpec is the desired state of one traffic control filter on link
// Dev, or of shared filter block Block (RTM_NEWTFILTER, `tc filter` ...
// `dev ve ingress` or `block 22`). Its identity is (Dev, Parent, Chain,
// Priority, Protocol, Handle), or (Block, Chain, Priority, Protocol,
// Handle), as the database keys filters (tcf_chain_tp_find and the kind's
// get in net/sched/cls_api.c; ipdb's Snapshot.FiltersOfBlock).
//
// The filters of a qdisc bound to a shared block (its ingress_block or
// egress_block) are the block's: the kernel refuses a change named by
// the link ("This filter block is shared. Please use the block index to
// manipulate the filters", tcf_block_find), so a spec naming Dev and
// that Parent is ErrInvalid at Plan, pointing to the block. A block
// exists while a qdisc is bound to it (QdiscSpec.IngressBlock and
// EgressBlock, or tc's ingress_block); a present spec for a block no
// qdisc is bound to after the transaction is ErrInvalid. The filters go
// with the block's last binding: a spec for a block whose bound qdiscs
// all go is a creation, also when a spec binds a qdisc to it again.
//
// A filter's options change in place (`tc filter replace`), except a u32
// key node's: u32_change keeps a node's selector, so a changed u32 node
// is planned as its removal and its creation. The kernel adds what a
// priority needs by itself (the priority's entry, u32's hash table 800:)
// and removes it with the priority's last filter. Filters are created
// after qdiscs and classes and removed before them. A filter whose qdisc
// the transaction removes or replaces goes with it (the kernel's doing),
// so a present spec for it is planned as a creation.
type FilterSpec struct {
	// Dev names the link (required, unless Block is set; then empty).
	Dev string
	// Block is the index of the shared filter block that holds the
	// filter (tc's "block 22"; TCM_IFINDEX_MAGIC_BLOCK requests), 1 to
	// 2^32-1; zero for a filter of link Dev.
	Block uint32
	// Parent is the qdisc (major:0) or class whose filter block holds the
	// filter; for the ingress qdisc ffff: (or netlink.HandleIngressBlock),
	// for clsact netlink.HandleIngressBlock or netlink.HandleEgressBlock
	// (required, unless Block is set; then zero). The qdisc must be there
	// after the transaction, and of a kind with that block: egress is
	// clsact's only (the ingress qdisc would take the filter onto its
	// ingress block: ingress_find in net/sched/sch_ingress.c), ingress
	// is ingress's or clsact's, and ffff: is no clsact block.
	Parent netlink.Handle
	// Chain is the filter chain, 0 to 0x0fffffff (tc's "chain").
	Chain uint32
	// Priority is the filter's priority (tc's "pref"; required: the
	// kernel would choose one, and the spec could not find it again).
	Priority uint16
	// Protocol is the ethertype, ETH_P_* in host order (unix.ETH_P_ALL,
	// unix.ETH_P_IP, ...; required). A priority has one protocol.
	Protocol uint16
	// Handle is the filter's handle in its kind's terms: u32's
	// htid:hash:node (netlink.ParseU32Handle("800::800")), bpf's number
	// (required).
	Handle uint32
	// Kind is the filter's kind ("u32", "bpf"); it may be left empty when
	// Options says it. A priority has one kind.
	Kind string
	// Options are the filter's options (*netlink.U32, *netlink.BPFFilter);
	// required unless Absent. A field left at zero leaves the value to
	// the kernel: a new filter's default, an existing filter's own value,
	// which a change sends again (unless Exact). Their action list (U32.Actions, BPFFilter.Actions,
	// ...) is sent whole: an empty, non-nil list asks for a filter
	// without actions (a plan removes those it has); a nil one leaves the
	// filter's actions as they are: not compared, and sent again with a
	// change of the filter for another reason (the kernel keeps only the
	// actions a request sends: tcf_exts_validate in net/sched/cls_api.c).
	// The same holds for an old-style policer (U32.Police,
	// BPFFilter.Police, Basic.Police) when the spec leaves both it and
	// the action list nil.
	//
	// An eBPF program given by descriptor (BPFFilter.FD, a bpf action's
	// ActBPF.FD) counts by the id of the program it refers to, which
	// Plan reads with bpf(2) and the kernel reports (TCA_BPF_ID): the
	// same program is no change, another one under the same name is.
	// The descriptor must stay open until Commit returns; one bpf(2) does
	// not tell of is ErrInvalid at Plan. A rollback puts a removed or
	// replaced program back by its id (BPF_PROG_GET_FD_BY_ID, which needs
	// CAP_SYS_ADMIN).
	Options netlink.FilterOptions
	// MirredDevs names the target links of the options' mirred actions
	// by the action's position in the action list (0 for the first), as
	// tc's "action mirred egress redirect dev ifb0" does; the mirred
	// options (*netlink.Mirred) leave Ifindex and BlockID 0. A name
	// resolves to its link's interface index when the transaction
	// applies the filter, also for a link the same transaction creates
	// (an ifb). A name that is no link, and that the transaction does not
	// create, or a link it removes, is ErrInvalid at Plan.
	MirredDevs map[int]string
	// Absent deletes the filter if present.
	Absent bool
	// Exact makes Options the whole filter, as a state file's entry is:
	// every field counts, a zero one too (a zero ClassID is no flowid, a
	// false BPFFilter.DirectAction is none, a nil action list or policer
	// is none). Fields the kernel only reports (an eBPF program's tag,
	// u32's hit counters, the in_hw flags) or fills in when a request
	// leaves them zero (a u32 node's Hash, its table; a policer's mtu)
	// still do not count, nor do those an action leaves at zero: the
	// actions count as a list, each by the fields it sets.
	// Without Exact, a field left at zero is the filter's own: not
	// compared, and sent again with a change for another reason (the
	// kernel builds a changed filter from the request alone:
	// cls_bpf_change, fl_change, mall_change in net/sched; u32 is
	// removed and added again).
	Exact bool

	// exact (rollback only): every option and every field of every
	// action counts, zero ones too.
	exact bool
}

func (s *FilterSpec) kind() string { return tcKind(s.Kind, s.Options) }

// parent is the spec's parent as the database keys it (ipdb's
// CanonicalFilterParent: ffff:fff2 for any ingress block).
func (s *FilterSpec) parent() netlink.Handle { return ipdb.CanonicalFilterParent(s.Parent) }

func (s *FilterSpec) handleString() string {
	if s.kind() == "u32" {
		return netlink.U32Handle(s.Handle)
	}
	return fmt.Sprintf("%#x", s.Handle)
}

func (s *FilterSpec) what() string {
	// tc's words for a clsact's or ingress qdisc's blocks.
	where := fmt.Sprintf("dev %s parent %s", s.Dev, s.Parent)
	switch s.Parent {
	case netlink.HandleIngressBlock:
		where = "dev " + s.Dev + " ingress"
	case netlink.HandleEgressBlock:
		where = "dev " + s.Dev + " egress"
	}
	if s.Block != 0 {
		where = fmt.Sprintf("block %d", s.Block)
	}
	return fmt.Sprintf("filter %s protocol %s pref %d chain %d handle %s", where,
		netlink.TCProtocolArg(s.Protocol), s.Priority, s.Chain, s.handleString())
}

// u32Table reports whether s is a u32 hash table (a handle without a
// node), which a priority's nodes use.
func (s *FilterSpec) u32Table() bool { return s.kind() == "u32" && s.Handle&0xfff == 0 }

// u32Table reports whether the kernel's filter f is a u32 hash table (an
// absent spec may leave its kind out).
func u32Table(f *netlink.Filter) bool { return f.TCKind == "u32" && f.Handle&0xfff == 0 }

func (s *FilterSpec) request() *netlink.Filter {
	return &netlink.Filter{Block: s.Block, Parent: s.Parent, Chain: s.Chain, Priority: s.Priority, Protocol: s.Protocol,
		Handle: s.Handle, TCKind: s.kind(), Options: s.Options}
}

// validate checks s on its own: the rules of netlink.FilterRequest (the
// kernel's), and that the spec names one filter.
func (s *FilterSpec) validate() error {
	if s.Block != 0 {
		if s.Dev != "" || s.Parent != netlink.HandleNone {
			return invalid("%s: a shared block's filter is named by its block alone, without dev %q or parent %s", s.what(), s.Dev, s.Parent)
		}
	} else if err := validName("filter", s.Dev); err != nil {
		return err
	}
	switch {
	case s.Block == 0 && (s.Parent == netlink.HandleNone || s.Parent == netlink.HandleRoot):
		return invalid("%s: name the parent qdisc by its handle (1:) or a class", s.what())
	case s.Priority == 0:
		return invalid("%s: a priority is required (the kernel would choose one, and the spec could not find it again)", s.what())
	case s.Protocol == 0:
		return invalid("%s: a protocol is required (unix.ETH_P_ALL for all)", s.what())
	case s.Handle == 0:
		return invalid("%s: a handle is required (the kind would choose one, and the spec could not find it again)", s.what())
	}
	if s.Absent {
		return nil
	}
	if err := s.validateMirredDevs(); err != nil {
		return err
	}
	f := s.request()
	if s.Block == 0 {
		f.Index = 1
	}
	// The targets' indexes are known at commit; any index passes here.
	opts, err := withMirredTargets(s.Options, s.MirredDevs, func(string) (int, error) { return 1, nil })
	if err != nil {
		return invalid("%s: %v", s.what(), err)
	}
	f.Options = opts
	if err := netlink.FilterRequest(netlink.Add, f).Err(); err != nil {
		return draftInvalid(s.what(), err)
	}
	if isNilTC(s.Options) {
		return invalid("%s: options are required", s.what())
	}
	return nil
}

// Filter adds a tc filter spec.
func (t *Txn) Filter(s FilterSpec) *Txn {
	t.specs.filters = append(t.specs.filters, s)
	t.plan = nil
	return t
}

// filterOps is the kindOps of filters.
type filterOps struct{}

func (filterOps) count(ss *specSet) int { return len(ss.filters) }

func (filterOps) each(ss *specSet, fn func(specRef)) {
	for i := range ss.filters {
		fn(specRef{kind: netlink.KindFilter, i: int32(i)})
	}
}

// filterID is a filter's identity, as the database keys it.
type filterID struct {
	dev            string
	block          uint32
	parent         netlink.Handle
	chain          uint32
	prio, protocol uint16
	handle         uint32
}

func (s *FilterSpec) id() filterID {
	if s.Block != 0 {
		return filterID{block: s.Block, chain: s.Chain, prio: s.Priority, protocol: s.Protocol, handle: s.Handle}
	}
	return filterID{s.Dev, 0, s.parent(), s.Chain, s.Priority, s.Protocol, s.Handle}
}

// validate checks each filter spec, that no two name one filter, and
// that the present specs of one priority agree on its protocol and kind
// (tc_new_tfilter: "Filter kind and protocol must match").
func (filterOps) validate(ss *specSet) error {
	seen := map[filterID]bool{}
	type prio struct {
		dev    string
		block  uint32
		parent netlink.Handle
		chain  uint32
		prio   uint16
	}
	kinds := map[prio]*FilterSpec{}
	for i := range ss.filters {
		s := &ss.filters[i]
		ref := specRef{kind: netlink.KindFilter, i: int32(i)}
		if err := s.validate(); err != nil {
			return specErr(ref, err)
		}
		if seen[s.id()] {
			return specErr(ref, invalid("%s: two specs", s.what()))
		}
		seen[s.id()] = true
		if s.Absent {
			continue
		}
		k := prio{s.Dev, s.Block, s.parent(), s.Chain, s.Priority}
		if s.Block != 0 {
			k.parent = 0
		}
		if o := kinds[k]; o != nil && (o.Protocol != s.Protocol || o.kind() != s.kind()) {
			return specErr(ref, invalid("%s: priority %d has %s filters of protocol %s in another spec (one kind and protocol a priority)",
				s.what(), s.Priority, o.kind(), netlink.TCProtocolString(o.Protocol)))
		}
		kinds[k] = s
	}
	return nil
}

func (filterOps) plan(p *planner, ref specRef) error { return p.planFilter(ref, &p.ss.filters[ref.i]) }

// verifyIndex is nil: a filter change rechecks every filter spec.
func (filterOps) verifyIndex() verifyIndex { return nil }

// filterLevel orders filter steps within their stage: u32 hash tables
// are created before the nodes that use them and removed after them.
func filterLevel(table, remove bool) uint8 {
	if table != remove {
		return 0
	}
	return 1
}

func (p *planner) planFilter(ref specRef, s *FilterSpec) error {
	if s.Block != 0 {
		return p.planBlockFilter(ref, s)
	}
	idx, pending, err := p.ref(s.Dev)
	if err != nil {
		if s.Absent {
			return nil
		}
		return fmt.Errorf("%s: %w", s.what(), err)
	}
	var ex *netlink.Filter
	goes := false
	major := s.Parent.Major()
	if !pending {
		ex = p.stateFilter(idx, s)
		observe(p, ex)
		goes = p.qdiscGoes(s.Dev, idx, major)
	}
	if err := p.filterNotShared(s, idx, pending); err != nil {
		return err
	}
	if !s.Absent {
		if err := p.filterParentFits(s, idx, pending, major); err != nil {
			return err
		}
	}
	return p.planFilterAt(ref, s, ex, goes)
}

// planFilterAt plans spec s against ex, the kernel's filter of its
// identity (nil for none); goes says that the kernel removes ex with its
// qdisc.
func (p *planner) planFilterAt(ref specRef, s *FilterSpec, ex *netlink.Filter, goes bool) error {
	dev := s.Dev
	if s.Absent {
		if ex == nil || goes {
			return nil // none, or the kernel removes it with its qdisc
		}
		del := &netlink.Filter{Block: ex.Block, Parent: ex.Parent, Chain: ex.Chain, Priority: ex.Priority, Protocol: ex.Protocol,
			Handle: ex.Handle, TCKind: ex.TCKind}
		desc := p.describeFilter(ex, dev)
		p.add(&Step{Action: Remove, Kind: netlink.KindFilter, stage: stageFilterDel, spec: ref, level: filterLevel(u32Table(ex), true),
			desc:  func() string { return desc },
			build: filterBuild(netlink.Delete, dev, del, nil)})
		return nil
	}
	// An eBPF program given by descriptor counts, and prints, by the id
	// of the program the descriptor refers to.
	if o, err := withProgram(s.Options); err != nil {
		return invalid("%s: %v", s.what(), err)
	} else if o != s.Options {
		c := *s
		c.Options = o
		s = &c
	}
	// The mirred targets: each a link now (its index compared), or one
	// the transaction creates: a new index, which no action the kernel
	// has can name (not even 0, a target gone: tcf_mirred_dev_dereference
	// in net/sched/act_mirred.c), so the filter changes.
	var targetErr error
	wantOpts, err := withMirredTargets(s.Options, s.MirredDevs, func(name string) (int, error) {
		i, pend, err := p.ref(name)
		if err != nil {
			targetErr = err
			return 0, err
		}
		if pend {
			return pendingIfindex, nil
		}
		return i, nil
	})
	if targetErr != nil {
		return fmt.Errorf("%s: mirred target: %w", s.what(), targetErr)
	}
	if err != nil {
		return invalid("%s: %v", s.what(), err)
	}
	want := s.request()
	level := filterLevel(s.u32Table(), false)
	if ex != nil && !goes {
		changes := filterOptionsChanges(s.Protocol, s.Handle, wantOpts, ex.Stable().Options, s.Exact || s.exact)
		if ex.TCKind != s.kind() {
			changes = append(changeList{fmt.Sprintf("kind %s -> %s", ex.TCKind, s.kind())}, changes...)
		}
		wantActs, hasActs := filterActions(wantOpts)
		haveActs, _ := filterActions(ex.Options)
		if s.Exact && hasActs && wantActs == nil {
			wantActs = netlink.TCActions{} // the whole filter: none
		}
		if ex.TCKind == s.kind() && actionsDiffer(wantActs, haveActs, s.exact) {
			changes.add("actions", actionListWords(haveActs, p.mirredName(nil)), actionListWords(wantActs, p.mirredName(s.MirredDevs)))
		}
		if len(changes) == 0 {
			return nil
		}
		// A spec that leaves the actions out (nil) does not ask to
		// change them: its request carries the filter's own, or its
		// old-style policer, which the kernel would otherwise drop with
		// the change.
		// So does one that leaves other fields at zero, without Exact:
		// the request carries the filter's values (keptFields).
		shown := s
		kept, pol := keptActions(s, wantOpts, ex), keptPolice(s, wantOpts, ex)
		own := s.Options
		if !s.Exact && !s.exact && ex.TCKind == s.kind() {
			own = keptFields(s.Options, ex.Stable().Options).(netlink.FilterOptions)
		}
		if kept != nil || pol != nil || own != s.Options {
			c := *s
			c.Options = own
			if kept != nil {
				c.Options = withActions(c.Options, kept)
			}
			if pol != nil {
				c.Options = withPolice(c.Options, pol)
			}
			want.Options, shown = c.Options, &c
		}
		desc := p.describeFilterSpec(shown)
		actionsOnly := len(changes) == 1 && strings.HasPrefix(changes[0], "actions ")
		if !changesInPlace(s.kind(), actionsOnly) || ex.TCKind != s.kind() || clsFlags(want.Options) != clsFlags(ex.Options) {
			// A kind does not change in place, nor do some kinds'
			// filters (changesInPlace): remove, then add.
			del := &netlink.Filter{Block: ex.Block, Parent: ex.Parent, Chain: ex.Chain, Priority: ex.Priority, Protocol: ex.Protocol,
				Handle: ex.Handle, TCKind: ex.TCKind}
			ddesc := p.describeFilter(ex, dev) + " (to add it again changed: the kernel does not change it in place)"
			p.add(&Step{Action: Remove, Kind: netlink.KindFilter, stage: stageFilterDel, spec: ref, level: filterLevel(s.u32Table(), true),
				desc:  func() string { return ddesc },
				build: filterBuild(netlink.Delete, dev, del, nil)})
			p.add(&Step{Action: Modify, Kind: netlink.KindFilter, stage: stageFilterAdd, spec: ref, level: level,
				desc:  func() string { return desc + changes.String() },
				build: filterBuild(netlink.Add, dev, want, s.MirredDevs)})
			return nil
		}
		p.add(&Step{Action: Modify, Kind: netlink.KindFilter, stage: stageFilterAdd, spec: ref, level: level,
			desc:  func() string { return desc + changes.String() },
			build: filterBuild(netlink.Replace, dev, want, s.MirredDevs)})
		return nil
	}
	desc := p.describeFilterSpec(s)
	p.add(&Step{Action: Create, Kind: netlink.KindFilter, stage: stageFilterAdd, spec: ref, level: level,
		desc:  func() string { return desc },
		build: filterBuild(netlink.Add, dev, want, s.MirredDevs)})
	return nil
}

// clsFlags returns the flags a request sets of classifier options o
// (skip_hw, skip_sw: tcRules.mask), 0 for none. The kernel changes them
// in no filter in place: a bpf filter's replace with other flags is
// refused (EINVAL; tc filter replace too), so a change of them is the
// filter's removal and creation.
func clsFlags(o netlink.TCOptions) uint64 {
	if isNilTC(o) {
		return 0
	}
	v := reflect.ValueOf(o).Elem()
	for name, m := range rulesOf(v.Type()).mask {
		return v.FieldByName(name).Uint() & m
	}
	return 0
}

// changesInPlace reports whether the kernel replaces a filter of kind
// with a change (actionsOnly: of its actions alone) in place, keeping
// its identity: u32 keeps a node's selector on a replace but takes its
// new actions (u32_change, u32_set_parms); flower refuses a replace whose
// keys or masks differ ("fold->mask != fnew->mask", fl_check_assign_mask:
// EINVAL), so only an action change is certain to keep the mask; matchall
// refuses any replace (mall_change: EEXIST while it has a filter). bpf
// and basic build the new filter whole and swap it in.
func changesInPlace(kind string, actionsOnly bool) bool {
	switch kind {
	case "u32", "flower":
		return actionsOnly
	case "matchall":
		return false
	}
	return true
}

// pendingIfindex stands, in a plan's comparison only, for the interface
// index of a mirred target the transaction creates: as uint32 it is
// 0xffffffff, beyond any index the kernel gives (dev_index_reserve in
// net/core/dev.c takes them from 1 to INT_MAX).
const pendingIfindex = -1

// keptActions returns the actions of ex (the kernel's filter) that a
// change for spec s must send again: those of ex when s's options (want,
// with their mirred targets) have an action list left nil; nil when
// there are none to keep, or s asks for its own.
func keptActions(s *FilterSpec, want netlink.FilterOptions, ex *netlink.Filter) netlink.TCActions {
	if s.Exact || s.exact || ex.TCKind != s.kind() {
		return nil
	}
	acts, ok := filterActions(want)
	if !ok || acts != nil {
		return nil
	}
	have, _ := filterActions(ex.Stable().Options)
	if len(have) == 0 {
		return nil
	}
	return have
}

// keptPolice returns the old-style policer of ex (the kernel's filter:
// U32.Police, BPFFilter.Police, Basic.Police) that a change for spec s
// must send again: that of ex when s's options (want) leave both the
// action list and the policer nil; nil otherwise. The kernel keeps the
// policer as the filter's one action (tcf_exts_validate_ex with
// TCA_OLD_COMPAT), which a request without it drops.
func keptPolice(s *FilterSpec, want netlink.FilterOptions, ex *netlink.Filter) *netlink.Police {
	if s.Exact || s.exact || ex.TCKind != s.kind() {
		return nil
	}
	if acts, ok := filterActions(want); !ok || acts != nil {
		return nil
	}
	if p, ok := filterPolice(want); !ok || p != nil {
		return nil
	}
	p, _ := filterPolice(ex.Stable().Options)
	return p
}

// actionListWords is a plan's word for an action list: "[action ...]",
// or "(none)" for an empty one (a spec that asks for no actions).
func actionListWords(acts netlink.TCActions, names func(int, uint32) string) string {
	if len(acts) == 0 {
		return "(none)"
	}
	return "[" + actionsWords(acts, names) + "]"
}

// mirredName returns the names of mirred targets for actionsWords: those
// devs gives by position, else the link of the index in p's state.
func (p *planner) mirredName(devs map[int]string) func(int, uint32) string {
	return func(i int, ifindex uint32) string {
		if n, ok := devs[i]; ok {
			return n
		}
		if ifindex == 0 {
			return ""
		}
		return p.nameOf(int(ifindex))
	}
}

// filterBuild returns a step's build: f's request on the link dev (none
// for a shared block's filter: f.Block), with the mirred targets devs
// names resolved to their links' indexes now.
func filterBuild(v netlink.Verb, dev string, f *netlink.Filter, devs map[int]string) func(r *resolver) (netlink.Request, error) {
	return func(r *resolver) (netlink.Request, error) {
		x := *f
		if f.Block == 0 {
			idx, err := r.index(dev)
			if err != nil {
				return netlink.Request{}, err
			}
			x.Index = idx
		}
		if len(devs) > 0 {
			o, err := withMirredTargets(f.Options, devs, r.index)
			if err != nil {
				return netlink.Request{}, fmt.Errorf("mirred target: %w", err)
			}
			x.Options = o
		}
		if v != netlink.Delete && !isNilTC(x.Options) {
			o, err := withProgramFDs(x.Options, r)
			if err != nil {
				return netlink.Request{}, err
			}
			x.Options = o
		}
		return netlink.FilterRequest(v, &x), nil
	}
}

// describe prints s in tc's words (filterWords, actionsWords): "filter
// dev v0 parent 1: protocol ip pref 1 chain 0 handle 800::800 u32 match
// ip dst 192.0.2.0/24 flowid 1:10 action mirred egress redirect dev
// ifb0"; names gives the names of mirred targets (nil: their indexes,
// "#3").
func (s *FilterSpec) describe(names func(int, uint32) string) string {
	d := s.what() + " " + s.kind()
	if w := filterWords(s.Protocol, s.Handle, s.Options); w != "" {
		d += " " + w
	}
	if acts, _ := filterActions(s.Options); len(acts) > 0 {
		d += " " + actionsWords(acts, names)
	}
	return d
}

// describeFilterSpec is s.describe with the names of p's state.
func (p *planner) describeFilterSpec(s *FilterSpec) string {
	return s.describe(p.mirredName(s.MirredDevs))
}

func (p *planner) describeFilter(f *netlink.Filter, dev string) string {
	s := specOfFilter(f, dev)
	return s.describe(p.mirredName(nil))
}

// specOfFilter returns the spec that f is, exactly, on the link dev.
func specOfFilter(f *netlink.Filter, dev string) FilterSpec {
	st := f.Stable()
	return FilterSpec{Dev: dev, Block: f.Block, Parent: f.Parent, Chain: f.Chain, Priority: f.Priority, Protocol: f.Protocol,
		Handle: f.Handle, Kind: f.TCKind, Options: st.Options, exact: true}
}

// filterImplied reports whether the kernel makes and removes f by itself:
// a priority's own entry (handle 0) and u32's hash table of a priority
// (an automatic handle from 800: up, u32_init; a table the user made
// with such a handle and divisor 1 is taken for one).
func filterImplied(f *netlink.Filter) bool {
	if f.Handle == 0 {
		return true
	}
	u, ok := f.Options.(*netlink.U32)
	return ok && f.Handle&0xfffff == 0 && f.Handle>>20 >= 0x800 && u.Divisor == 1
}

// restore brings back the filters of the links in scope (tcRestoreLinks)
// and of the shared blocks in scope (tcRestoreBlocks) as they were, and
// removes those the transaction added; what the kernel makes by itself
// (filterImplied) comes and goes with them.
func (filterOps) restore(rs *restorer) {
	restoreBlockFilters(rs)
	for _, l := range tcRestoreLinks(rs) {
		was := map[filterID]bool{}
		for f := range rs.pre.FiltersOf(l.pre) {
			if filterImplied(f) || f.Block != 0 {
				continue
			}
			s := specOfFilter(f, l.name)
			was[s.id()] = true
			rs.rb.filters = append(rs.rb.filters, s)
		}
		if l.cur == 0 {
			continue
		}
		for f := range rs.cur.FiltersOf(l.cur) {
			if filterImplied(f) || f.Block != 0 {
				continue
			}
			s := specOfFilter(f, l.name)
			if !was[s.id()] {
				rs.rb.filters = append(rs.rb.filters, FilterSpec{Dev: l.name, Parent: f.Parent, Chain: f.Chain,
					Priority: f.Priority, Protocol: f.Protocol, Handle: f.Handle, Kind: f.TCKind, Absent: true})
			}
		}
	}
}

// settable lists what a FilterSpec can set of filter o (a
// *netlink.Filter): its kind, options and actions; u32's hit counters and
// the actions' counters and times are not among them.
func (filterOps) settable(o netlink.Object) []attr {
	f := o.(*netlink.Filter).Stable()
	acts, _ := filterActions(f.Options)
	return []attr{{"kind", f.TCKind}, {"options", filterWords(f.Protocol, f.Handle, f.Options)}, {"actions", actionsWords(acts, nil)}}
}

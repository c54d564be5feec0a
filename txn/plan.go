package txn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

// Action says what an operation does to its object.
type Action byte

// Actions, printed as the first character of an operation.
const (
	Create Action = '+'
	Modify Action = '~'
	Remove Action = '-'
)

// stage orders operations: removals in reverse dependency order, then
// creation and changes in dependency order. Each stage belongs to one
// kind's row of kindTable (TestKindStages).
type stage uint8

const (
	stageFilterDel stage = iota
	stageClassDel
	stageQdiscDel
	stageRuleDel
	stageNeighDel
	stageRouteDel
	stageNexthopDel
	stageAddrDel
	stageLinkDel
	stageLinkCreate
	stageLinkSet
	stageLinkMaster
	stageLinkUp
	stageAddrAdd
	stageNexthopAdd
	stageRouteAdd
	stageNeighAdd
	stageRuleAdd
	stageQdiscAdd
	stageClassAdd
	stageFilterAdd
	numStages
)

// Step is one planned operation.
type Step struct {
	// Action is Create, Modify or Remove.
	Action Action
	// Kind is the kind of object the operation changes.
	Kind netlink.Kind

	stage stage
	level uint8 // link creation: 1 if the parent is created too
	spec  specRef
	specs *specSet // the spec set the step was planned from
	desc  func() string
	// taken, if set, says what the kernel deletes with the object: the
	// line's tail.
	taken *tcTaken
	build func(r *resolver) (netlink.Request, error)
	// created is the name of the link a create operation makes appear.
	created string
	// netns is the namespace a request's NetNSFD must be opened from.
	netns string
	// reread, if set, gives the index of a link the database must re-read
	// once the step is applied: the kernel changes it without a
	// notification (DB.RereadLink).
	reread func(r *resolver) (int, error)
}

// String prints the operation: "+ route 198.51.100.0/24 via 192.0.2.2 table 300".
func (o *Step) String() string { return string(o.Action) + " " + o.desc() + o.taken.String() }

// Plan is the ordered list of operations that makes the specs true on the
// state it was computed from.
type Plan struct {
	// Steps are the operations in the order Commit applies them.
	Steps []*Step
	// Revision is the database revision the plan was computed on (0 for a
	// State that is not a database snapshot).
	Revision uint64

	state  State
	obs    []netlink.Object
	obsEnd []int32
}

// Empty reports whether there is nothing to do.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// String prints one operation a line.
func (p *Plan) String() string {
	var b strings.Builder
	for _, o := range p.Steps {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Summary counts the operations by action and kind: "+2 link, ~3 link,
// +10000 route", or "no changes".
func (p *Plan) Summary() string {
	type k struct {
		a Action
		k netlink.Kind
	}
	n := map[k]int{}
	var order []k
	for _, o := range p.Steps {
		key := k{o.Action, o.Kind}
		if n[key] == 0 {
			order = append(order, key)
		}
		n[key]++
	}
	if len(order) == 0 {
		return "no changes"
	}
	parts := make([]string, len(order))
	for i, key := range order {
		parts[i] = fmt.Sprintf("%c%d %s", key.a, n[key], key.k)
	}
	return strings.Join(parts, ", ")
}

// planner plans specs against a state: kindOps.plan appends steps. Specs
// of every kind name links, so the links' names are resolved here for all
// (ref, nameOf); the fields after scratch are the route planning's own.
type planner struct {
	st      State
	ss      *specSet
	links   map[string]*plink // the links of the link specs (prepass, link.go)
	refs    map[string]int    // resolved names of links without a spec
	delIdx  map[int]bool      // link indexes being deleted
	steps   []*Step
	record  bool
	obs     []netlink.Object
	obsEnd  []int32
	scratch []*netlink.Route
	// nhSpecs are the present nexthop specs by id (see nexthopSpecs).
	nhSpecs map[uint32]*NexthopSpec
	// nhDoomed and nhViews memoize nexthopDoomed and nexthopWillBe.
	nhDoomed map[uint32]bool
	nhViews  map[uint32]nhWill
	// routes holds the existing routes of each route spec, found at once
	// for a full plan of many specs (see routesTo).
	routes      []routeList
	indexRoutes bool
	// tc indexes the state's classes and filters and the class specs
	// (tcIndexOf, tc.go).
	tc *tcIndex
	// mplsRoutes are the MPLS routes by label, read at the first MPLS
	// route spec (mplsRouteOf).
	mplsRoutes map[uint32]*netlink.Route
}

func newPlanner(st State, ss *specSet, record bool) (*planner, error) {
	p := &planner{st: st, ss: ss, links: map[string]*plink{}, refs: map[string]int{}, delIdx: map[int]bool{}, record: record}
	return p, p.prepass()
}

func (p *planner) lookup(name string) *netlink.Link {
	l, err := p.st.LinkByName(name)
	if err != nil {
		return nil
	}
	return l
}

// ref resolves a link name at plan time: its index, or pending for a link
// that appears during the transaction.
func (p *planner) ref(name string) (idx int, pending bool, err error) {
	if pl, ok := p.links[name]; ok {
		switch {
		case pl.gone:
			return 0, false, invalid("link %s is removed by this transaction", name)
		case pl.cur != nil:
			return pl.cur.Index, false, nil
		default:
			return 0, true, nil
		}
	}
	if idx, ok := p.refs[name]; ok {
		return idx, false, nil
	}
	l := p.lookup(name)
	if l == nil {
		return 0, false, invalid("no link named %q, and the transaction creates none", name)
	}
	p.refs[name] = l.Index
	return l.Index, false, nil
}

func (p *planner) nameOf(index int) string {
	if index == 0 {
		return ""
	}
	if l, err := p.st.LinkByIndex(index); err == nil {
		return l.Name
	}
	return fmt.Sprintf("if%d", index)
}

// observe records o (if not nil) as an object the spec being planned
// looked at, for the conflict check.
func observe[T any, P interface {
	*T
	netlink.Object
}](p *planner, o P) {
	if p.record && o != nil {
		p.obs = append(p.obs, o)
	}
}

func (p *planner) endSpec() {
	if p.record {
		p.obsEnd = append(p.obsEnd, int32(len(p.obs)))
	}
}

func (p *planner) add(o *Step) { o.specs = p.ss; p.steps = append(p.steps, o) }

// plan plans every spec.
func (p *planner) plan() (*Plan, error) {
	// Planning every spec of a large set is cheaper with one pass over the
	// tables (verify's re-checks of a few specs look each one up).
	p.indexRoutes = len(p.ss.routes) >= routeIndexMin
	var err error
	p.ss.each(func(ref specRef) {
		if err == nil {
			err = specErr(ref, p.planOne(ref))
			p.endSpec()
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(p.steps, func(a, b *Step) int {
		if sa, sb := orderStage(a.stage), orderStage(b.stage); sa != sb {
			return int(sa) - int(sb)
		}
		return int(a.level) - int(b.level)
	})
	keepLastBlockDeaths(p.steps)
	return &Plan{Steps: p.steps, state: p.st, obs: p.obs, obsEnd: p.obsEnd}, nil
}

func (p *planner) planOne(ref specRef) error { return opsOf(ref.kind).plan(p, ref) }

package txn

import (
	"github.com/ipdb-go/ipdb/netlink"
)

// kindOps is one kind of spec as the engine (plan.go, commit.go,
// rollback.go, conflict.go) sees it; the engine reaches a kind only
// through it and kindTable, except for link names, which specs of every
// kind use (planner.ref, the resolver, links awaited after creation). Each
// kind's file (link.go, addr.go, nexthop.go, route.go, neigh.go, rule.go,
// qdisc.go, class.go, filter.go) holds, in
// this order: the spec type, its validate and its Txn method; the type
// implementing kindOps (count, each, validate); satisfied (what makes a
// spec need no step) and plan; describe (the plan line and the `~` list
// of attributes changed, old -> new); request (the netlink.Request a step
// sends, where plan does not build it inline); restore (rollback); and
// settable (the conflict check). Verify needs no method of its own: a
// spec holds when planning it again gives no step.
//
// Adding a kind: a new file implementing kindOps, a slice in specSet, a
// row in kindTable, and its stages in the stage list of plan.go.
type kindOps interface {
	// count returns how many specs of the kind ss holds.
	count(ss *specSet) int
	// each calls fn with a reference to every spec of the kind in ss, in
	// the order they were added.
	each(ss *specSet, fn func(specRef))
	// validate checks the kind's specs in ss on their own, before
	// anything is planned; an error wraps ErrInvalid.
	validate(ss *specSet) error
	// plan appends to p the steps that make the spec ref true on p's
	// state (none if it holds already). An error wraps ErrInvalid.
	plan(p *planner, ref specRef) error
	// verifyIndex returns an empty index from objects of the kind to the
	// pending specs their change concerns, or nil if any change of an
	// object of the kind makes verify recheck every pending spec of the
	// kind.
	verifyIndex() verifyIndex
	// restore adds to rs.rb the specs that bring back the pre-image of
	// what the kind's specs in rs.ss touched (see restorer).
	restore(rs *restorer)
	// settable lists, in a fixed order, the attributes of o (an object of
	// the kind) that the kind's specs can set, named as ip(8) names them;
	// what identifies the object is not among them.
	settable(o netlink.Object) []attr
}

// verifyIndex finds the pending specs of one kind that a changed object
// concerns (see kindOps.verifyIndex).
type verifyIndex interface {
	// add records the pending spec ref of ss.
	add(ss *specSet, ref specRef)
	// touched appends to out the recorded specs that a change of o (old or
	// new version) concerns.
	touched(o netlink.Object, out []specRef) []specRef
}

// kindRow is txn's row for one object kind.
type kindRow struct {
	kind netlink.Kind
	// add are the stages the kind's creations and changes run in, del
	// those of its removals (see stage).
	add, del []stage
	// ops is what the engine does with the kind's specs; nil for a kind
	// txn does not write.
	ops kindOps
	// rechecksAll: a change of an object of the kind can change whether
	// a spec of another kind holds (specs name links, which resolve to
	// indexes; a filter spec of a shared block holds through the qdiscs
	// bound to it, and one of a block bound again is planned as new until
	// the database has the new binding), so verify then rechecks every
	// pending spec.
	rechecksAll bool
	// readOnly says, for a kind without ops, what txn does with it.
	readOnly string
}

// kindTable has a row for every kind netlink knows (TestKindTableComplete),
// in dependency order: specs are planned and restored in this order, and
// the add stages of a row come after those of the rows above it, the del
// stages before them (TestKindStages).
var kindTable = []kindRow{
	{kind: netlink.KindLink, ops: linkOps{}, rechecksAll: true,
		add: []stage{stageLinkCreate, stageLinkSet, stageLinkMaster, stageLinkUp}, del: []stage{stageLinkDel}},
	{kind: netlink.KindAddr, ops: addrOps{}, add: []stage{stageAddrAdd}, del: []stage{stageAddrDel}},
	{kind: netlink.KindNexthop, ops: nexthopOps{}, add: []stage{stageNexthopAdd}, del: []stage{stageNexthopDel}},
	{kind: netlink.KindRoute, ops: routeOps{}, add: []stage{stageRouteAdd}, del: []stage{stageRouteDel}},
	{kind: netlink.KindNeigh, ops: neighOps{}, add: []stage{stageNeighAdd}, del: []stage{stageNeighDel}},
	{kind: netlink.KindRule, ops: ruleOps{}, add: []stage{stageRuleAdd}, del: []stage{stageRuleDel}},
	{kind: netlink.KindFDB, readOnly: "read-only: a bridge FDB entry is no spec; no plan observes one " +
		"(so no conflict involves one) and no rollback restores one"},
	{kind: netlink.KindQdisc, ops: qdiscOps{}, rechecksAll: true, add: []stage{stageQdiscAdd}, del: []stage{stageQdiscDel}},
	{kind: netlink.KindClass, ops: classOps{}, add: []stage{stageClassAdd}, del: []stage{stageClassDel}},
	{kind: netlink.KindFilter, ops: filterOps{}, add: []stage{stageFilterAdd}, del: []stage{stageFilterDel}},
}

// kindRows indexes kindTable by kind.
var kindRows = func() (rows [1 << 8]*kindRow) {
	for i := range kindTable {
		rows[kindTable[i].kind] = &kindTable[i]
	}
	return rows
}()

// opsOf returns the kindOps of kind k, or nil if txn does not write it.
func opsOf(k netlink.Kind) kindOps {
	if r := kindRows[k]; r != nil {
		return r.ops
	}
	return nil
}

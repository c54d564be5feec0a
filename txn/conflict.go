package txn

import (
	"fmt"
	"strings"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// conflict compares what two plans of the same specs looked at. Only what
// a spec can set counts (settable): counters, timers, ages and attributes
// no spec sets change without anyone acting against the transaction. The
// error names the first attribute that differs, with both values.
func conflict(old, cur *Plan) error {
	if len(old.obsEnd) != len(cur.obsEnd) {
		return fmt.Errorf("%w: specs changed", ErrConflict)
	}
	start := int32(0)
	for i, end := range old.obsEnd {
		a, b := old.obs[start:end], cur.obs[startOf(cur, i):cur.obsEnd[i]]
		start = end
		if len(a) != len(b) {
			return fmt.Errorf("%w: %s", ErrConflict, describeObs(a, b))
		}
		for j := range a {
			if d := settableDiff(a[j], b[j]); d != "" {
				return fmt.Errorf("%w: %s", ErrConflict, d)
			}
		}
	}
	return nil
}

func startOf(p *Plan, i int) int32 {
	if i == 0 {
		return 0
	}
	return p.obsEnd[i-1]
}

func describeObs(a, b []netlink.Object) string {
	str := func(os []netlink.Object) string {
		if len(os) == 0 {
			return "nothing"
		}
		var s []string
		for _, o := range os {
			s = append(s, o.Kind().String()+" "+o.String())
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("planned on %s, now %s", str(a), str(b))
}

// settableDiff describes how two versions of an object differ in what a
// spec can set: "link br0: mtu 1500 -> 1400". Empty if they do not: if
// they are equal as the database compares them (ipdb.Equal: the same key
// and state, volatile attributes left out), or differ only in what no spec
// sets.
func settableDiff(a, b netlink.Object) string {
	if ipdb.Equal(a, b) {
		return "" // the same object in the same state, as the database compares them
	}
	if a.Kind() != b.Kind() {
		return describeObs([]netlink.Object{a}, []netlink.Object{b})
	}
	x, y := settable(a), settable(b)
	for i := range x {
		if x[i].value != y[i].value {
			return fmt.Sprintf("%s %s: %s %s -> %s", a.Kind(), a, x[i].name, x[i].value, y[i].value)
		}
	}
	return ""
}

// An attr is one settable attribute of an object, named and printed as
// ip(8) does.
type attr struct{ name, value string }

// settable lists, in a fixed order per kind, the attributes of an object
// that the specs of its kind can set (kindOps.settable); what identifies
// the object is not among them. An object of a kind txn does not write
// (none is ever observed) is compared as it prints.
func settable(o netlink.Object) []attr {
	if ops := opsOf(o.Kind()); ops != nil {
		return ops.settable(o)
	}
	return []attr{{o.Kind().String(), o.String()}}
}

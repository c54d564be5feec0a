//go:build linux

package oracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// kindOracle is one row of the oracle's kind table: how iproute2 lists an
// object kind and the comparator of the library's objects of that kind
// with iproute2's. TestKindTableComplete fails for a kind of netlink.Kinds
// without a row.
type kindOracle struct {
	// list is the kind's table as `ipdb show` prints it: the iproute2
	// commands (the first word "ip" or "bridge", run with -n NS), each
	// printing a JSON array, whose elements concatenated in order are the
	// table.
	list [][]string
	// compare compares got, the library's objects of the kind, with
	// iproute2's (one of the Compare functions).
	compare func(ns *nstest.NS, got []netlink.Object) error
}

// kindOracles is the oracle's kind table.
var kindOracles = map[netlink.Kind]kindOracle{
	netlink.KindLink: {
		list:    [][]string{{"ip", "-j", "-d", "link", "show"}},
		compare: typed(CompareLinks),
	},
	netlink.KindAddr: {
		list:    [][]string{{"ip", "-j", "addr", "show"}},
		compare: typed(CompareAddrs),
	},
	netlink.KindRoute: {
		list:    [][]string{{"ip", "-j", "route", "show", "table", "all"}},
		compare: typed(CompareRoutes),
	},
	netlink.KindNeigh: {
		list:    [][]string{{"ip", "-j", "neigh", "show", "nud", "all"}},
		compare: typed(CompareIPNeighs),
	},
	netlink.KindRule: {
		list:    [][]string{{"ip", "-j", "-4", "rule", "show"}, {"ip", "-j", "-6", "rule", "show"}},
		compare: typed(CompareRules),
	},
	netlink.KindFDB: {
		list:    [][]string{{"bridge", "-j", "fdb", "show"}},
		compare: typed(CompareFDB),
	},
}

// typed adapts a Compare function of one kind to the table's signature.
// An object of another type in got is an error.
func typed[T netlink.Object](fn func(*nstest.NS, []T) error) func(*nstest.NS, []netlink.Object) error {
	return func(ns *nstest.NS, got []netlink.Object) error {
		out := make([]T, 0, len(got))
		for _, o := range got {
			v, ok := o.(T)
			if !ok {
				return fmt.Errorf("oracle: got a %T among objects of type %T", o, v)
			}
			out = append(out, v)
		}
		return fn(ns, out)
	}
}

// Compare compares got, the library's objects of kind k read from ns, with
// iproute2's, through the kind's comparator (CompareLinks, CompareAddrs,
// CompareRoutes, CompareIPNeighs, CompareRules or CompareFDB). It returns a
// readable list of every difference, or nil; an error for a kind without a
// comparator or an object of another kind in got.
func Compare(ns *nstest.NS, k netlink.Kind, got []netlink.Object) error {
	o, ok := kindOracles[k]
	if !ok {
		return fmt.Errorf("oracle: no comparator for kind %s", k)
	}
	return o.compare(ns, got)
}

// ListJSON returns iproute2's JSON array of the objects of kind k in ns, as
// `ipdb show` prints the kind's table: links `ip -j -d link show`,
// addresses `ip -j addr show` (grouped by link), routes `ip -j route show
// table all`, neighbours `ip -j neigh show nud all`, rules `ip -j -4 rule
// show` then `ip -j -6 rule show`, FDB entries `bridge -j fdb show`. An
// empty output is an empty array. It fails for a kind without a row, a
// command that fails or output that is not a JSON array.
func ListJSON(ns *nstest.NS, k netlink.Kind) ([]byte, error) {
	o, ok := kindOracles[k]
	if !ok {
		return nil, fmt.Errorf("oracle: no listing for kind %s", k)
	}
	all := []json.RawMessage{}
	for _, c := range o.list {
		out, err := iproute2(ns, c[0], c[1:]...)
		if err != nil {
			return nil, err
		}
		var part []json.RawMessage
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &part); err != nil {
				return nil, fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
			}
		}
		all = append(all, part...)
	}
	// Entries as iproute2 wrote them, compacted: no HTML escaping.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(all); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// iproute2 runs `prog -n NS args...` (prog is ip or bridge) and returns its
// output; the error has the command and its stderr.
func iproute2(ns *nstest.NS, prog string, args ...string) (string, error) {
	if prog == "ip" {
		return ns.IPErr(args...)
	}
	cmd := exec.Command(prog, append([]string{"-n", ns.Name}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

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
	// listAll, when set, replaces list for a kind iproute2 lists only
	// link by link (tc's classes and filters): the entries of every
	// link, each with its "dev".
	listAll func(ns *nstest.NS) ([]json.RawMessage, error)
	// compare compares got, the library's objects of the kind, with
	// iproute2's (one of the Compare functions).
	compare func(ns *nstest.NS, got []netlink.Object) error
	// count is the number of the kind's objects iproute2 lists, counted
	// as ipdb.Stats counts them.
	count func(ns *nstest.NS) (int, error)
}

// kindOracles is the oracle's kind table.
var kindOracles = map[netlink.Kind]kindOracle{
	netlink.KindLink: {
		list:    [][]string{{"ip", "-j", "-d", "link", "show"}},
		compare: typed(CompareLinks),
		count:   countEntries([]string{"ip", "-j", "link", "show"}),
	},
	netlink.KindAddr: {
		list:    [][]string{{"ip", "-j", "addr", "show"}},
		compare: typed(CompareAddrs),
		count:   countAddrs,
	},
	netlink.KindRoute: {
		list:    [][]string{{"ip", "-j", "route", "show", "table", "all"}},
		compare: typed(compareRoutesAll),
		count:   countEntries([]string{"ip", "-j", "-4", "route", "show", "table", "all"}, []string{"ip", "-j", "-6", "route", "show", "table", "all"}),
	},
	netlink.KindNeigh: {
		list:    [][]string{{"ip", "-j", "neigh", "show", "nud", "all"}},
		compare: typed(CompareIPNeighs),
		count:   countEntries([]string{"ip", "-j", "neigh", "show", "nud", "all"}, []string{"ip", "-j", "neigh", "show", "proxy"}),
	},
	netlink.KindRule: {
		list:    [][]string{{"ip", "-j", "-4", "rule", "show"}, {"ip", "-j", "-6", "rule", "show"}},
		compare: typed(CompareRules),
		count:   countEntries([]string{"ip", "-j", "-4", "rule", "show"}, []string{"ip", "-j", "-6", "rule", "show"}),
	},
	netlink.KindFDB: {
		list:    [][]string{{"bridge", "-j", "fdb", "show"}},
		compare: typed(CompareFDB),
		count:   countEntries([]string{"bridge", "-j", "fdb", "show"}),
	},
	netlink.KindNexthop: {
		list:    [][]string{{"ip", "-j", "-d", "nexthop", "show"}},
		compare: typed(CompareNexthops),
		count:   countEntries([]string{"ip", "-j", "nexthop", "show"}),
	},
	netlink.KindQdisc: {
		list:    [][]string{{"tc", "-j", "-d", "qdisc", "show"}},
		compare: typed(CompareQdiscs),
		count:   countEntries([]string{"tc", "-j", "qdisc", "show"}),
	},
	netlink.KindClass: {
		listAll: listClasses,
		compare: typed(CompareClasses),
		count:   countAll(listClasses),
	},
	netlink.KindFilter: {
		listAll: listFilters,
		compare: typed(CompareFilters),
		count:   countFilters,
	},
}

// countAll counts the entries of a listAll.
func countAll(list func(ns *nstest.NS) ([]json.RawMessage, error)) func(ns *nstest.NS) (int, error) {
	return func(ns *nstest.NS) (int, error) {
		v, err := list(ns)
		return len(v), err
	}
}

func listClasses(ns *nstest.NS) ([]json.RawMessage, error) {
	return tcPerLink(ns, func(dev string) ([]map[string]any, error) { return tcClassList(ns, dev) })
}

func listFilters(ns *nstest.NS) ([]json.RawMessage, error) {
	return tcPerLink(ns, func(dev string) ([]map[string]any, error) { return tcFilterList(ns, dev) })
}

// countFilters counts the filters as ipdb.Stats does: a shared block's
// once, though tc lists them under every link bound to the block.
func countFilters(ns *nstest.NS) (int, error) {
	v, err := listFilters(ns)
	if err != nil {
		return 0, err
	}
	n := 0
	seen := map[string]bool{}
	for _, raw := range v {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			return 0, err
		}
		if _, ok := o["block"]; ok {
			delete(o, "dev")
			delete(o, "parent")
			b, _ := json.Marshal(o)
			if seen[string(b)] {
				continue
			}
			seen[string(b)] = true
		}
		n++
	}
	return n, nil
}

// countEntries counts the entries of the JSON arrays the commands print.
func countEntries(cmds ...[]string) func(ns *nstest.NS) (int, error) {
	return func(ns *nstest.NS) (int, error) {
		n := 0
		for _, c := range cmds {
			var v []json.RawMessage
			if err := decodeList(ns, c, &v); err != nil {
				return 0, err
			}
			n += len(v)
		}
		return n, nil
	}
}

// countAddrs counts the addresses `ip -j addr show` lists (the addr_info
// entries of every link).
func countAddrs(ns *nstest.NS) (int, error) {
	var links []struct {
		AddrInfo []json.RawMessage `json:"addr_info"`
	}
	if err := decodeList(ns, []string{"ip", "-j", "addr", "show"}, &links); err != nil {
		return 0, err
	}
	n := 0
	for _, l := range links {
		n += len(l.AddrInfo)
	}
	return n, nil
}

// decodeList runs a command of a row and decodes the JSON array it prints
// (nothing is an empty array) into v.
func decodeList(ns *nstest.NS, c []string, v any) error {
	out, err := iproute2(ns, c[0], c[1:]...)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "" {
		out = "[]"
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
	}
	return nil
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
// CompareRoutes, CompareIPNeighs, CompareRules, CompareFDB or
// CompareNexthops). It returns a
// readable list of every difference, or nil; an error for a kind without a
// comparator or an object of another kind in got.
func Compare(ns *nstest.NS, k netlink.Kind, got []netlink.Object) error {
	o, ok := kindOracles[k]
	if !ok {
		return fmt.Errorf("oracle: no comparator for kind %s", k)
	}
	return o.compare(ns, got)
}

// Count returns the number of objects of kind k iproute2 lists in ns,
// counted as ipdb.Stats counts them: links `ip -j link show`, addresses
// the addr_info entries of `ip -j addr show`, routes `ip -j -4|-6 route
// show table all`, neighbours `ip -j neigh show nud all` and `ip -j neigh
// show proxy`, rules `ip -j -4|-6 rule show`, FDB entries `bridge -j fdb
// show`, nexthops `ip -j nexthop show`, qdiscs `tc -j qdisc show`,
// classes and filters their entries in ListJSON. It fails for a kind without a row or a command that fails.
func Count(ns *nstest.NS, k netlink.Kind) (int, error) {
	o, ok := kindOracles[k]
	if !ok {
		return 0, fmt.Errorf("oracle: no count for kind %s", k)
	}
	return o.count(ns)
}

// ListJSON returns iproute2's JSON array of the objects of kind k in ns, as
// `ipdb show` prints the kind's table: links `ip -j -d link show`,
// addresses `ip -j addr show` (grouped by link), routes `ip -j route show
// table all`, neighbours `ip -j neigh show nud all`, rules `ip -j -4 rule
// show` then `ip -j -6 rule show`, FDB entries `bridge -j fdb show`,
// qdiscs `tc -j -d qdisc show`, classes `tc -j class show dev NAME` and
// filters `tc -j filter show dev NAME ingress|egress|parent P` of every
// link (and block), each entry given "dev" (and a filter "parent"). An
// empty output is an empty array. It fails for a kind without a row, a
// command that fails or output that is not a JSON array.
func ListJSON(ns *nstest.NS, k netlink.Kind) ([]byte, error) {
	o, ok := kindOracles[k]
	if !ok {
		return nil, fmt.Errorf("oracle: no listing for kind %s", k)
	}
	all := []json.RawMessage{}
	if o.listAll != nil {
		v, err := o.listAll(ns)
		if err != nil {
			return nil, err
		}
		all = append(all, v...)
	}
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

// iproute2 runs `prog -n NS args...` (prog is ip, bridge or tc) and returns its
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

//go:build linux

package oracle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// The tc comparators compare identities, kinds and parents: the netlink
// layer keeps the options of most kinds as raw bytes, which tc's JSON
// cannot be compared with byte for byte. iproute2 6.1 prints classes as
// text even with -j (its class printer has no JSON); tcClassList reads
// either.

// tcJSON runs `tc -n NS args...` and decodes the JSON array it prints
// (nothing is an empty array).
func tcJSON(ns *nstest.NS, args ...string) ([]map[string]any, error) {
	out, err := iproute2(ns, "tc", args...)
	if err != nil {
		return nil, err
	}
	var v []map[string]any
	if strings.TrimSpace(out) == "" {
		return v, nil
	}
	out = tcRepairEmatch(out)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return nil, fmt.Errorf("tc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v, nil
}

// tcHandle parses a handle as tc prints it ("1:", "ffff:fff1", "0:",
// "root").
func tcHandle(v any) (netlink.Handle, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("handle %v is not a string", v)
	}
	return netlink.ParseHandle(s)
}

// QdiscLine is the oracle's canonical text of a qdisc: link, handle,
// parent and kind.
func QdiscLine(q *netlink.Qdisc) string {
	return fmt.Sprintf("dev %d handle %s parent %s %s", q.Index, q.Handle, q.Parent, q.TCKind)
}

// CompareQdiscs compares qdiscs with `tc -j -d qdisc show` of the
// namespace (every link's, as the kernel dumps them at once), as a set of
// QdiscLine.
func CompareQdiscs(ns *nstest.NS, got []*netlink.Qdisc) error {
	objs, err := tcJSON(ns, "-j", "-d", "qdisc", "show")
	if err != nil {
		return err
	}
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return err
	}
	var want []string
	for _, o := range objs {
		q := &netlink.Qdisc{}
		dev, _ := o["dev"].(string)
		if q.Index = idx[dev]; q.Index == 0 {
			return fmt.Errorf("tc qdisc: unknown dev %q in %v", dev, o)
		}
		if q.Handle, err = tcHandle(o["handle"]); err != nil {
			return fmt.Errorf("tc qdisc: %v in %v", err, o)
		}
		q.Parent = netlink.HandleRoot
		if p, ok := o["parent"]; ok {
			if q.Parent, err = tcHandle(p); err != nil {
				return fmt.Errorf("tc qdisc: %v in %v", err, o)
			}
		}
		q.TCKind, _ = o["kind"].(string)
		want = append(want, QdiscLine(q))
	}
	lines := make([]string, 0, len(got))
	for _, q := range got {
		lines = append(lines, QdiscLine(q))
	}
	sort.Strings(want)
	sort.Strings(lines)
	return routeDiff("qdiscs", lines, want)
}

// ClassLine is the oracle's canonical text of a class: link, class id,
// parent and kind (not the leaf qdisc, volatile: see netlink.Class.Leaf).
func ClassLine(c *netlink.Class) string {
	return fmt.Sprintf("dev %d classid %s parent %s %s", c.Index, c.Handle, c.Parent, c.TCKind)
}

// tcClassList returns the classes of one link as `tc -j class show dev
// NAME` lists them, as JSON objects: "class" (the kind), "handle",
// "parent" or "root", "leaf". Text output (iproute2 before JSON classes:
// "class htb 1:10 root leaf 10: prio 0 ...") is read into the same shape.
func tcClassList(ns *nstest.NS, dev string) ([]map[string]any, error) {
	args := []string{"-j", "class", "show", "dev", dev}
	out, err := iproute2(ns, "tc", args...)
	if err != nil {
		return nil, err
	}
	var v []map[string]any
	t := strings.TrimSpace(out)
	if t == "" {
		return v, nil
	}
	if strings.HasPrefix(t, "[") {
		if err := json.Unmarshal([]byte(t), &v); err != nil {
			return nil, fmt.Errorf("tc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return v, nil
	}
	for _, line := range strings.Split(t, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "class" {
			return nil, fmt.Errorf("tc %s: unreadable line %q", strings.Join(args, " "), line)
		}
		o := map[string]any{"class": f[1], "handle": f[2]}
		for i := 3; i < len(f); i++ {
			switch f[i] {
			case "root":
				o["root"] = true
			case "parent", "leaf":
				if i+1 < len(f) {
					o[f[i]] = f[i+1]
					i++
				}
			}
		}
		v = append(v, o)
	}
	return v, nil
}

// CompareClasses compares classes with `tc -j class show dev NAME` of
// every link of the namespace that may have classes (the kernel dumps
// classes link by link; tcClassfulLinks), as a set of ClassLine.
func CompareClasses(ns *nstest.NS, got []*netlink.Class) error {
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return err
	}
	classful, err := tcClassfulLinks(ns)
	if err != nil {
		return err
	}
	var want []string
	for dev, i := range idx {
		if !classful[dev] {
			continue
		}
		objs, err := tcClassList(ns, dev)
		if err != nil {
			return err
		}
		for _, o := range objs {
			c := &netlink.Class{Index: i}
			if c.Handle, err = tcHandle(o["handle"]); err != nil {
				return fmt.Errorf("tc class: %v in %v", err, o)
			}
			c.Parent = netlink.HandleRoot
			if p, ok := o["parent"]; ok {
				if c.Parent, err = tcHandle(p); err != nil {
					return fmt.Errorf("tc class: %v in %v", err, o)
				}
			}
			c.TCKind, _ = o["class"].(string)
			want = append(want, ClassLine(c))
		}
	}
	lines := make([]string, 0, len(got))
	for _, c := range got {
		lines = append(lines, ClassLine(c))
	}
	sort.Strings(want)
	sort.Strings(lines)
	return routeDiff("classes", lines, want)
}

// tcClassfulLinks names the links with a qdisc that may have classes,
// from one `tc -j qdisc show`: any but noqueue, ingress and clsact, whose
// class operations only find filter blocks (mq's root has handle 0 and
// classes). A full kernel's fallback tunnel devices cost no command.
func tcClassfulLinks(ns *nstest.NS) (map[string]bool, error) {
	qs, err := tcJSON(ns, "-j", "qdisc", "show")
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, q := range qs {
		switch q["kind"] {
		case "noqueue", "ingress", "clsact":
		default:
			d, _ := q["dev"].(string)
			m[d] = true
		}
	}
	return m, nil
}

// FilterLine is the oracle's canonical text of a filter: link and
// parent (or shared block), chain, priority, protocol, kind and handle.
func FilterLine(f *netlink.Filter) string {
	where := fmt.Sprintf("dev %d parent %s", f.Index, f.Parent)
	if f.Block != 0 {
		where = fmt.Sprintf("block %d", f.Block)
		if f.Index != 0 || f.Parent != 0 {
			where += fmt.Sprintf(" dev %d parent %s", f.Index, f.Parent)
		}
	}
	return fmt.Sprintf("%s chain %d pref %d protocol %s %s handle %#x",
		where, f.Chain, f.Priority, netlink.TCProtocolString(f.Protocol), f.TCKind, f.Handle)
}

// tcFilterHandle reads a filter's handle from tc's JSON options: u32's
// "fh" ("800:", "800::800", "800:1:800": hash table, bucket and node,
// iproute2's sprint_u32_handle) or another kind's "handle" (bpf "0x1",
// basic "1f" in hexadecimal, flower and matchall a number); 0 for the
// entry of a priority as a whole (no options).
func tcFilterHandle(o map[string]any) (uint32, error) {
	opts, _ := o["options"].(map[string]any)
	if opts == nil {
		return 0, nil
	}
	if fh, ok := opts["fh"].(string); ok {
		p := strings.Split(fh, ":")
		if len(p) > 3 {
			return 0, fmt.Errorf("u32 handle %q", fh)
		}
		var v [3]uint64
		for i, s := range p {
			if s == "" {
				continue
			}
			n, err := strconv.ParseUint(s, 16, 32)
			if err != nil {
				return 0, fmt.Errorf("u32 handle %q: %v", fh, err)
			}
			v[i] = n
		}
		return uint32(v[0]<<20 | v[1]<<12 | v[2]), nil
	}
	switch h := opts["handle"].(type) {
	case string:
		// bpf prints "0x1" (print_0xhex); basic prints hexadecimal without
		// a prefix (print_hex).
		base := 0
		if o["kind"] == "basic" {
			base = 16
		}
		n, err := strconv.ParseUint(h, base, 32)
		return uint32(n), err
	case float64:
		// flower and matchall print a number (print_uint).
		return uint32(h), nil
	}
	return 0, fmt.Errorf("no handle in options %v", opts)
}

// tcFilterBlocks returns the filter parents of one link as the kernel
// dumps its filters, block by block, with tc's words for them: each
// qdisc's (ingress for an ingress qdisc, ingress and egress for clsact,
// `parent HANDLE` for others with a handle) and each class's.
func tcFilterBlocks(ns *nstest.NS, dev string) (map[netlink.Handle][]string, error) {
	all, err := tcAllFilterBlocks(ns, dev)
	if err != nil {
		return nil, err
	}
	return all[dev], nil
}

// tcAllFilterBlocks returns tcFilterBlocks of every link that has a
// block, by name, from one `tc -j qdisc show` (of dev alone if given) and
// a class listing per link with a classful qdisc: a namespace with many
// links, such as the fallback tunnel devices of a full kernel, costs one
// command for the links without blocks.
func tcAllFilterBlocks(ns *nstest.NS, dev string) (map[string]map[netlink.Handle][]string, error) {
	args := []string{"-j", "qdisc", "show"}
	if dev != "" {
		args = append(args, "dev", dev)
	}
	qs, err := tcJSON(ns, args...)
	if err != nil {
		return nil, err
	}
	out := map[string]map[netlink.Handle][]string{}
	classful := map[string]bool{}
	for _, q := range qs {
		d, _ := q["dev"].(string)
		if d == "" {
			d = dev
		}
		h, err := tcHandle(q["handle"])
		if err != nil {
			return nil, err
		}
		b := out[d]
		if b == nil {
			b = map[netlink.Handle][]string{}
		}
		switch q["kind"] {
		case "ingress":
			b[netlink.HandleIngressBlock] = []string{"ingress"}
		case "clsact":
			b[netlink.HandleIngressBlock] = []string{"ingress"}
			b[netlink.HandleEgressBlock] = []string{"egress"}
		default:
			if h == 0 {
				continue
			}
			b[h] = []string{"parent", h.String()}
			classful[d] = true
		}
		out[d] = b
	}
	for d := range classful {
		cls, err := tcClassList(ns, d)
		if err != nil {
			return nil, err
		}
		for _, c := range cls {
			h, err := tcHandle(c["handle"])
			if err != nil {
				return nil, err
			}
			out[d][h] = []string{"parent", h.String()}
		}
	}
	return out, nil
}

// CompareFilters compares filters with `tc -j filter show dev NAME
// ingress|egress|parent P` of every filter block of every link (the
// kernel dumps filters block by block), as a set of FilterLine; a
// filter's parent is the block asked for (ffff:fff2 and ffff:fff3 for
// ingress and egress), as ipdb keeps it. A shared block's filters, which
// tc lists under every link bound to the block ("block": N), are one
// filter each, of that Block with no link or parent.
func CompareFilters(ns *nstest.NS, got []*netlink.Filter) error {
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return err
	}
	var want []string
	seen := map[string]bool{}
	all, err := tcAllFilterBlocks(ns, "")
	if err != nil {
		return err
	}
	for dev, i := range idx {
		for parent, words := range all[dev] {
			objs, err := tcJSON(ns, append([]string{"-j", "filter", "show", "dev", dev}, words...)...)
			if err != nil {
				return err
			}
			for _, o := range objs {
				f := &netlink.Filter{Index: i, Parent: parent}
				if b, ok := o["block"].(float64); ok {
					f = &netlink.Filter{Block: uint32(b)}
				}
				pref, _ := o["pref"].(float64)
				chain, _ := o["chain"].(float64)
				f.Priority, f.Chain = uint16(pref), uint32(chain)
				proto, _ := o["protocol"].(string)
				if f.Protocol, err = netlink.ParseTCProtocol(proto); err != nil {
					return fmt.Errorf("tc filter: %v in %v", err, o)
				}
				f.TCKind, _ = o["kind"].(string)
				if f.Handle, err = tcFilterHandle(o); err != nil {
					return fmt.Errorf("tc filter: %v in %v", err, o)
				}
				if l := FilterLine(f); !seen[l] {
					seen[l] = true
					want = append(want, l)
				}
			}
		}
	}
	lines := make([]string, 0, len(got))
	for _, f := range got {
		lines = append(lines, FilterLine(f))
	}
	sort.Strings(want)
	sort.Strings(lines)
	return routeDiff("filters", lines, want)
}

// tcPerLink lists, for every link, the JSON entries of a per-link tc
// command (`tc -j class show dev NAME`, or the filters of each of its
// blocks), each given the "dev" key that a listing of every link has.
func tcPerLink(ns *nstest.NS, list func(dev string) ([]map[string]any, error)) ([]json.RawMessage, error) {
	idx, err := tcLinkIndexes(ns)
	if err != nil {
		return nil, err
	}
	devs := make([]string, 0, len(idx))
	for d := range idx {
		devs = append(devs, d)
	}
	sort.Slice(devs, func(a, b int) bool { return idx[devs[a]] < idx[devs[b]] })
	var out []json.RawMessage
	for _, d := range devs {
		objs, err := list(d)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			o["dev"] = d
			b, err := json.Marshal(o)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// tcFilterList lists the filters of one link, block by block, each with
// its block's parent.
func tcFilterList(ns *nstest.NS, dev string) ([]map[string]any, error) {
	blocks, err := tcFilterBlocks(ns, dev)
	if err != nil {
		return nil, err
	}
	parents := make([]netlink.Handle, 0, len(blocks))
	for p := range blocks {
		parents = append(parents, p)
	}
	sort.Slice(parents, func(a, b int) bool { return parents[a] < parents[b] })
	var out []map[string]any
	for _, p := range parents {
		objs, err := tcJSON(ns, append([]string{"-j", "filter", "show", "dev", dev}, blocks[p]...)...)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if _, ok := o["block"]; !ok {
				// A shared block's filter has its block, no parent.
				o["parent"] = p.String()
			}
			out = append(out, o)
		}
	}
	return out, nil
}

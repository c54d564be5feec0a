package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ipdb-go/ipdb/netlink"
	"github.com/ipdb-go/ipdb/txn"
)

// This file reads the declarative state file of `ipdb apply`: the YAML
// document, its sections, strict decoding (unknown keys refused) and errors
// that name the file's line. Each section's entry type and its conversion to
// a txn spec live in the kind's file (state_link.go, state_addr.go,
// state_route.go, state_neigh.go, state_rule.go, state_nexthop.go,
// state_tc.go).

// stateFile is the YAML document.
type stateFile struct {
	Links      []linkYAML      `yaml:"links"`
	Addresses  []addrYAML      `yaml:"addresses"`
	Routes     []routeYAML     `yaml:"routes"`
	MPLSRoutes []mplsRouteYAML `yaml:"mpls_routes"`
	Neighbours []neighYAML     `yaml:"neighbours"`
	Neighbors  []neighYAML     `yaml:"neighbors"`
	Rules      []ruleYAML      `yaml:"rules"`
	Nexthops   []nexthopYAML   `yaml:"nexthops"`
	Qdiscs     []qdiscYAML     `yaml:"qdiscs"`
	Classes    []classYAML     `yaml:"classes"`
	Filters    []filterYAML    `yaml:"filters"`
}

// line is the line of the mapping an entry starts at.
type line int

// lineError is an error at a line of the state file.
type lineError struct {
	Line int
	Msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &lineError{Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// Scalar types that parse themselves and report their line.

type prefixY struct{ netip.Prefix }

func (p *prefixY) UnmarshalYAML(n *yaml.Node) error {
	s := n.Value
	if n.Kind != yaml.ScalarNode {
		return errAt(n, "want a prefix such as 192.0.2.0/24, got a %s", nodeKind(n))
	}
	if s == "default" {
		p.Prefix = netip.MustParsePrefix("0.0.0.0/0")
		return nil
	}
	if s == "default6" {
		p.Prefix = netip.MustParsePrefix("::/0")
		return nil
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return errAt(n, "bad prefix %q", s)
		}
		p.Prefix = netip.PrefixFrom(a, a.BitLen())
		return nil
	}
	pp, err := netip.ParsePrefix(s)
	if err != nil {
		return errAt(n, "bad prefix %q", s)
	}
	p.Prefix = pp
	return nil
}

type addrY struct{ netip.Addr }

func (a *addrY) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errAt(n, "want an IP address, got a %s", nodeKind(n))
	}
	aa, err := netip.ParseAddr(n.Value)
	if err != nil {
		return errAt(n, "bad IP address %q", n.Value)
	}
	a.Addr = aa.Unmap()
	return nil
}

type hwAddrY struct{ net.HardwareAddr }

func (h *hwAddrY) UnmarshalYAML(n *yaml.Node) error {
	hw, err := net.ParseMAC(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return errAt(n, "bad link-layer address %q (want e.g. 02:00:00:00:00:01)", n.Value)
	}
	h.HardwareAddr = hw
	return nil
}

type tableY uint32

func (t *tableY) UnmarshalYAML(n *yaml.Node) error {
	id, err := parseTable(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return errAt(n, "bad table %q (want a number from 1, main, local or default)", n.Value)
	}
	*t = tableY(id)
	return nil
}

// blockY is a shared tc block's index: tc's ingress_block, egress_block
// and "filter add block N" take 1 to 4294967295 (0 is "no block").
type blockY uint32

func (b *blockY) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseUint(n.Value, 10, 32)
	if n.Kind != yaml.ScalarNode || err != nil || v == 0 {
		return errAt(n, "bad block %s (want a shared block's index, a number from 1 to 4294967295)", n.Value)
	}
	*b = blockY(v)
	return nil
}

type scopeY uint8

func (s *scopeY) UnmarshalYAML(n *yaml.Node) error {
	if v, err := netlink.ParseScope(n.Value); err == nil {
		*s = scopeY(v)
		return nil
	}
	return errAt(n, "bad scope %q (want global, site, link, host or nowhere)", n.Value)
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parseStateFile reads a state file. The error, if any, is one line that
// starts with "line N:".
//
// yaml.v3 keeps a node of about 150 bytes for every key and value, which
// is tens of times the size of the text. A large file in the usual block
// style is therefore cut, by its lines, into pieces of at most
// chunkItems list entries, each parsed on its own (with its lines mapped
// back to the file's), so that only one piece's nodes are alive at a
// time; a file that cannot be cut safely is parsed whole.
func parseStateFile(data []byte) (*stateFile, error) {
	st := &stateFile{}
	p := &fileParser{st: st, sections: map[string]int{}}
	chunks, ok := splitStateFile(data)
	if !ok {
		chunks = []chunk{{data: data}}
	}
	for _, c := range chunks {
		if err := p.parse(c); err != nil {
			return nil, err
		}
	}
	if len(st.Neighbors) > 0 {
		st.Neighbours = append(st.Neighbours, st.Neighbors...)
		st.Neighbors = nil
	}
	return st, nil
}

// chunk is a piece of a state file: a section's header line and some of
// its lines.
type chunk struct {
	data []byte
	// header is the file's line of the piece's first line, first the
	// file's line of its second line; zero when the piece is the file.
	header, first int
	// cont says the piece continues the section of the previous one.
	cont bool
}

// fileLine maps a line of the piece to the file's.
func (c *chunk) fileLine(n int) int {
	switch {
	case c.header == 0:
		return n
	case n <= 1:
		return c.header
	}
	return c.first + n - 2
}

// chunkItems is the number of list entries parsed at a time, and
// chunkMin the size from which a file is cut into pieces.
const (
	chunkItems = 2000
	chunkMin   = 1 << 20
)

var sectionKeyRe = regexp.MustCompile(`^[A-Za-z_]+$`)

// splitStateFile cuts a large file in block style into pieces: one per
// section, or per chunkItems entries of a section's list. It reports
// false for what it cannot cut safely (documents markers, directives,
// tabs in the indentation, a section line with more than the key), which
// is then parsed whole.
func splitStateFile(data []byte) ([]chunk, bool) {
	if len(data) < chunkMin {
		return nil, false
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []chunk
	indentOf := func(l []byte) int { return len(l) - len(bytes.TrimLeft(l, " ")) }
	blank := func(l []byte) bool {
		t := bytes.TrimSpace(l)
		return len(t) == 0 || t[0] == '#'
	}
	for i := 0; i < len(lines); {
		l := lines[i]
		if blank(l) {
			i++
			continue
		}
		if l[0] == ' ' || l[0] == '\t' || l[0] == '-' || l[0] == '%' || bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("...")) {
			return nil, false
		}
		key, rest, found := bytes.Cut(bytes.TrimRight(l, "\r\n"), []byte(":"))
		if !found || !sectionKeyRe.Match(key) {
			return nil, false
		}
		if r := bytes.TrimSpace(rest); len(r) > 0 && r[0] != '#' {
			return nil, false
		}
		h := i // the section's header
		i++
		// The section's lines: up to the next line at column 0 that is not
		// an entry of an indentless list.
		end := i
		itemIndent := -1
		var starts []int
		for ; end < len(lines); end++ {
			m := lines[end]
			if blank(m) {
				continue
			}
			if m[0] == '\t' || (len(bytes.TrimLeft(m, " ")) > 0 && bytes.TrimLeft(m, " ")[0] == '\t') {
				return nil, false
			}
			ind := indentOf(m)
			if ind == 0 && m[0] != '-' {
				break
			}
			body := m[ind:]
			if itemIndent < 0 {
				if body[0] != '-' {
					return nil, false
				}
				itemIndent = ind
			}
			if ind < itemIndent {
				return nil, false
			}
			if ind == itemIndent {
				if body[0] != '-' || (len(body) > 1 && body[1] != ' ' && body[1] != '\n' && body[1] != '\r') {
					return nil, false
				}
				starts = append(starts, end)
			}
		}
		if len(starts) == 0 {
			out = append(out, chunk{data: bytes.Join(lines[h:end], nil), header: h + 1, first: h + 2})
			i = end
			continue
		}
		for k := 0; k < len(starts); k += chunkItems {
			from := starts[k]
			to := end
			if k+chunkItems < len(starts) {
				to = starts[k+chunkItems]
			}
			piece := append(append([]byte(nil), lines[h]...), bytes.Join(lines[from:to], nil)...)
			if !bytes.HasSuffix(lines[h], []byte("\n")) {
				return nil, false
			}
			out = append(out, chunk{data: piece, header: h + 1, first: from + 1, cont: k > 0})
		}
		i = end
	}
	return out, true
}

// fileParser accumulates the pieces of a file.
type fileParser struct {
	st       *stateFile
	sections map[string]int // section -> the line it starts at
}

func (p *fileParser) parse(c chunk) error {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return nil
		}
		err = syntaxError(c.data, err)
		if le, ok := err.(*lineError); ok {
			le.Line = c.fileLine(le.Line)
		}
		return err
	}
	if len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	if c.header != 0 {
		remapLines(doc, &c)
	}
	if err := checkStrict(doc); err != nil {
		return err
	}
	if doc.Kind != yaml.MappingNode {
		return errAt(doc, "the file must be a mapping with %s, got a %s", andList(stateSections()), nodeKind(doc))
	}
	st := p.st
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i], doc.Content[i+1]
		if !c.cont {
			if first, ok := p.sections[key.Value]; ok {
				return errAt(key, "%q given twice (first at line %d)", key.Value, first)
			}
			other := map[string]string{"neighbours": "neighbors", "neighbors": "neighbours"}[key.Value]
			if first, ok := p.sections[other]; ok && other != "" {
				return errAt(key, "section %s repeats %s (line %d): they are the same section", key.Value, other, first)
			}
			p.sections[key.Value] = key.Line
		}
		k := commandKindOfSection(key.Value)
		if k == nil {
			return errAt(key, "unknown section %q (want %s)", key.Value, orList(stateSections()))
		}
		list := k.stateList(st, key.Value)
		if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			continue
		}
		if val.Kind != yaml.SequenceNode {
			return errAt(val, "%s must be a list, got a %s", key.Value, nodeKind(val))
		}
		for _, item := range val.Content {
			if item.Kind != yaml.MappingNode {
				return errAt(item, "each entry of %s must be a mapping, got a %s", key.Value, nodeKind(item))
			}
			if err := list.add(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// remapLines gives every node of a piece its line in the file.
func remapLines(n *yaml.Node, c *chunk) {
	n.Line = c.fileLine(n.Line)
	for _, k := range n.Content {
		remapLines(k, c)
	}
}

// checkStrict refuses, anywhere in the document, a key given twice in one
// mapping (a section or an entry's key: YAML says keys are unique, and
// merging or picking one would hide a mistake) and a number that is not
// an integer (no setting of the file is fractional: yaml.v3 would cut
// 1500.7 to 1500 silently), and a null item of a list (yaml.v3 drops it
// from a list of strings silently: actions: [null] would mean no actions).
func checkStrict(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
				return errAt(c, "a list item is null (%q): give a value or leave the item out", c.Value)
			}
		}
	case yaml.MappingNode:
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode {
				if first, ok := seen[k.Value]; ok {
					return errAt(k, "%q given twice (first at line %d)", k.Value, first)
				}
				seen[k.Value] = k.Line
				if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag == "!!float" {
					return errAt(v, "%s: %s is not an integer", k.Value, v.Value)
				}
			}
		}
	case yaml.ScalarNode:
		if n.Tag == "!!float" {
			return errAt(n, "%s is not an integer", n.Value)
		}
	case yaml.AliasNode:
		return errAt(n, "aliases (*%s) are not supported in a state file", n.Value)
	}
	for _, c := range n.Content {
		if err := checkStrict(c); err != nil {
			return err
		}
	}
	return nil
}

// sectionEntries is the list of a stateFile the entries of one section
// decode into.
type sectionEntries interface {
	// add decodes one entry (a mapping), refusing unknown keys, and
	// appends it with its line.
	add(item *yaml.Node) error
}

// stateEntry is a section's entry type (linkYAML, ...), which records the
// line it starts at.
type stateEntry[Y any] interface {
	*Y
	at(n line)
}

// entryList is the sectionEntries of entry type Y.
type entryList[Y any, P stateEntry[Y]] struct {
	list *[]Y
	keys map[string]bool // the yaml tags of Y
}

// entries returns the sectionEntries that appends to list.
func entries[Y any, P stateEntry[Y]](list *[]Y) sectionEntries {
	keys := map[string]bool{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			k, opt, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			switch {
			case opt == "inline":
				add(t.Field(i).Type)
			case k != "" && k != "-":
				keys[k] = true
			}
		}
	}
	add(reflect.TypeFor[Y]())
	return &entryList[Y, P]{list: list, keys: keys}
}

func (e *entryList[Y, P]) add(item *yaml.Node) error {
	// Node.Decode cannot refuse unknown keys (only a Decoder can, and it
	// loses the line numbers), so check the keys here.
	for i := 0; i < len(item.Content); i += 2 {
		k := item.Content[i]
		if !e.keys[k.Value] {
			return errAt(k, "unknown key %q", k.Value)
		}
	}
	var v Y
	if err := item.Decode(&v); err != nil {
		return withKey(item, yamlError(err))
	}
	P(&v).at(line(item.Line))
	*e.list = append(*e.list, v)
	return nil
}

// withKey names the key of a value yamlError refuses ("bad value `-1`
// (...)" becomes "r2q: bad value `-1` (...)"): the key of entry item whose
// value is on the error's line and is the refused value.
func withKey(item *yaml.Node, err error) error {
	le, ok := err.(*lineError)
	if !ok || !strings.HasPrefix(le.Msg, "bad value ") {
		return err
	}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		if v.Line == le.Line && v.Kind == yaml.ScalarNode && strings.HasPrefix(le.Msg, "bad value `"+v.Value+"`") {
			return &lineError{Line: le.Line, Msg: k.Value + ": " + le.Msg}
		}
	}
	return err
}

// syntaxError reports a YAML syntax error at the line where it is. yaml.v3
// names the line where the enclosing block starts, which is often far from
// the mistake; the first line at which the file stops parsing is found by
// bisecting over line prefixes.
func syntaxError(data []byte, err error) error {
	le, ok := yamlError(err).(*lineError)
	if !ok {
		return yamlError(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	parses := func(n int) bool {
		var v yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &v)
		return err == nil
	}
	lo, hi := 0, len(lines) // lines[:lo] parses, lines[:hi] does not
	if parses(lo) && !parses(hi) {
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if parses(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		le.Line = hi
	}
	return le
}

// yamlError turns yaml.v3's errors into one "line N: ..." error.
func yamlError(err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return le
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		err = errors.New(te.Errors[0])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		text := m[2]
		if i := strings.Index(text, " into "); i >= 0 && strings.HasPrefix(text, "cannot unmarshal") {
			val := strings.TrimPrefix(text[:i], "cannot unmarshal ")
			if j := strings.Index(val, " "); j >= 0 && strings.HasPrefix(val, "!!") {
				val = val[j+1:]
			}
			want := "a value of another type"
			switch into := text[i+len(" into "):]; {
			case strings.Contains(into, "int"):
				want = intRange(into)
			case into == "bool":
				want = "true or false"
			case into == "string":
				want = "a string"
			case strings.HasPrefix(into, "[]"):
				want = "a list"
			}
			text = fmt.Sprintf("bad value %s (want %s)", val, want)
		}
		return &lineError{Line: n, Msg: text}
	}
	return errors.New(msg)
}

// specs turns the file into transaction specs; errors name the entry's
// line.
func (st *stateFile) specs() (*specSet, error) {
	out := &specSet{lines: st.specLines()}
	for i := range commandKinds {
		if k := &commandKinds[i]; k.stateSpecs != nil {
			if err := k.stateSpecs(st, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// specSet holds the specs of one file, in file order per kind.
type specSet struct {
	links  []txn.LinkSpec
	addrs  []txn.AddrSpec
	routes []txn.RouteSpec
	// mplsRoutes are the mpls_routes section's specs, mplsLines their
	// lines (txn.SpecError.MPLS).
	mplsRoutes []txn.MPLSRouteSpec
	mplsLines  []int
	neighs     []txn.NeighSpec
	rules      []txn.RuleSpec
	nexthops   []txn.NexthopSpec
	qdiscs     []txn.QdiscSpec
	classes    []txn.ClassSpec
	filters    []txn.FilterSpec
	// pendingLinks are links entries completed from the cache once it is
	// open (resolveLinks).
	pendingLinks []pendingLink
	// lines are the entries' file lines by kind, in spec order (specLine).
	lines map[netlink.Kind][]int
}

// into adds the specs to t, kind by kind in the kind table's order.
func (s *specSet) into(t *txn.Txn) *txn.Txn {
	for i := range commandKinds {
		if k := &commandKinds[i]; k.stateInto != nil {
			k.stateInto(s, t)
		}
	}
	return t
}

package oracle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// JSONOptions say how CompareJSON treats what may differ.
type JSONOptions struct {
	// Extra lists the keys the second document may add (ipdb's own keys).
	// A key is matched by its name alone or by its path (as in the
	// messages, e.g. "[].metrics[].ipdb_locked").
	Extra []string
	// Tolerance gives, per key name, how far two numbers may differ
	// (counters, timers, remaining lifetimes). For such a key a string of
	// digits counts as a number too.
	Tolerance map[string]float64
	// Unordered compares arrays of objects as multisets: each of want's
	// objects must equal one of got's, in any order. Otherwise arrays are
	// compared element by element.
	Unordered bool
}

// jsonValue is a decoded JSON value that keeps the key order of objects.
type jsonValue struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys []string
	vals []*jsonValue
	str  string
	num  json.Number
	b    bool
}

func decodeJSONValue(d *json.Decoder) (*jsonValue, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jsonValue{kind: 'o'}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				e, err := decodeJSONValue(d)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
				v.vals = append(v.vals, e)
			}
			_, err := d.Token()
			return v, err
		case '[':
			v := &jsonValue{kind: 'a'}
			for d.More() {
				e, err := decodeJSONValue(d)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, e)
			}
			_, err := d.Token()
			return v, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &jsonValue{kind: 's', str: t}, nil
	case json.Number:
		return &jsonValue{kind: 'n', num: t}, nil
	case bool:
		return &jsonValue{kind: 'b', b: t}, nil
	case nil:
		return &jsonValue{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// parseJSON decodes one JSON document keeping its objects' key order.
func parseJSON(b []byte) (*jsonValue, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeJSONValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

func (v *jsonValue) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v *jsonValue) write(b *strings.Builder) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			v.vals[i].write(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case 's':
		sb, _ := json.Marshal(v.str)
		b.Write(sb)
	case 'n':
		b.WriteString(v.num.String())
	case 'b':
		fmt.Fprint(b, v.b)
	case 'z':
		b.WriteString("null")
	}
}

// CompareJSON compares got, a JSON document ipdb printed, with want, the
// one `ip -j` printed, and returns every difference in words, or nil.
// Every key of want must be in got with the same name, the same value
// and the same type, in want's order (got may interleave the keys
// opts.Extra allows; any other extra key is a difference); arrays must
// have the same elements in the same order (or, with opts.Unordered, the
// same objects in any order). Numbers of the keys in opts.Tolerance may
// differ by that much.
func CompareJSON(got, want []byte, opts JSONOptions) error {
	g, err := parseJSON(got)
	if err != nil {
		return fmt.Errorf("ipdb's JSON: %v", err)
	}
	w, err := parseJSON(want)
	if err != nil {
		return fmt.Errorf("ip's JSON: %v", err)
	}
	c := &jsonCompare{opts: opts}
	c.value("", "", g, w)
	if len(c.diffs) == 0 {
		return nil
	}
	if len(c.diffs) > 40 {
		c.diffs = append(c.diffs[:40], fmt.Sprintf("... and %d more", len(c.diffs)-40))
	}
	return fmt.Errorf("ipdb and ip differ:\n  %s", strings.Join(c.diffs, "\n  "))
}

type jsonCompare struct {
	opts  JSONOptions
	diffs []string
}

func (c *jsonCompare) add(format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

func (c *jsonCompare) extraAllowed(path, key string) bool {
	for _, e := range c.opts.Extra {
		if e == key || e == path {
			return true
		}
	}
	return false
}

// value compares g with w at path; key is the last key on the path.
func (c *jsonCompare) value(path, key string, g, w *jsonValue) {
	if tol, ok := c.opts.Tolerance[key]; ok {
		gn, gok := numeric(g)
		wn, wok := numeric(w)
		if gok && wok && g.kind == w.kind {
			if math.Abs(gn-wn) > tol {
				c.add("%s: %s, ip: %s (tolerance %g)", path, g, w, tol)
			}
			return
		}
	}
	if g.kind != w.kind {
		c.add("%s: %s, ip: %s", path, g, w)
		return
	}
	switch w.kind {
	case 'o':
		c.object(path, g, w)
	case 'a':
		if c.opts.Unordered && len(w.vals) > 0 && w.vals[0].kind == 'o' {
			c.unordered(path, g, w)
			return
		}
		if len(g.vals) != len(w.vals) {
			c.add("%s: %d elements, ip: %d\n    ipdb: %s\n    ip:   %s", path, len(g.vals), len(w.vals), g, w)
			return
		}
		for i := range w.vals {
			c.value(fmt.Sprintf("%s[%d]", path, i), key, g.vals[i], w.vals[i])
		}
	case 's':
		if g.str != w.str {
			c.add("%s: %q, ip: %q", path, g.str, w.str)
		}
	case 'n':
		if g.num != w.num {
			c.add("%s: %s, ip: %s", path, g.num, w.num)
		}
	case 'b':
		if g.b != w.b {
			c.add("%s: %v, ip: %v", path, g.b, w.b)
		}
	}
}

func numeric(v *jsonValue) (float64, bool) {
	switch v.kind {
	case 'n':
		f, err := v.num.Float64()
		return f, err == nil
	case 's':
		var f float64
		_, err := fmt.Sscan(v.str, &f)
		return f, err == nil && v.str != ""
	}
	return 0, false
}

func (c *jsonCompare) object(path string, g, w *jsonValue) {
	gi := 0
	for wi, k := range w.keys {
		// Find k in g at or after gi; everything skipped must be allowed.
		found := -1
		for i := gi; i < len(g.keys); i++ {
			if g.keys[i] == k {
				found = i
				break
			}
		}
		if found < 0 {
			if idx := indexOf(g.keys, k); idx >= 0 {
				c.add("%s: key %q out of ip's order (ipdb: %v, ip: %v)", path, k, g.keys, w.keys)
				c.value(path+"."+k, k, g.vals[idx], w.vals[wi])
			} else {
				c.add("%s: key %q missing (ip: %s)", path, k, w.vals[wi])
			}
			continue
		}
		for i := gi; i < found; i++ {
			c.extra(path, g.keys[i], g.vals[i])
		}
		c.value(path+"."+k, k, g.vals[found], w.vals[wi])
		gi = found + 1
	}
	for i := gi; i < len(g.keys); i++ {
		if indexOf(w.keys, g.keys[i]) < 0 {
			c.extra(path, g.keys[i], g.vals[i])
		}
	}
}

func (c *jsonCompare) extra(path, key string, v *jsonValue) {
	p := genericPath(path) + "." + key
	if !c.extraAllowed(p, key) {
		c.add("%s: key %q that ip does not print: %s", path, key, v)
	}
}

// genericPath replaces array indexes with [] ("[3].metrics[0]" ->
// "[].metrics[]").
func genericPath(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			b.WriteRune(r)
			skip = true
		case r == ']':
			skip = false
			b.WriteRune(r)
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

// unordered matches each of w's elements with an equal one of g's.
func (c *jsonCompare) unordered(path string, g, w *jsonValue) {
	used := make([]bool, len(g.vals))
	var missing []string
	for _, we := range w.vals {
		match := -1
		for i, ge := range g.vals {
			if used[i] {
				continue
			}
			sub := &jsonCompare{opts: c.opts}
			sub.value(path+"[]", "", ge, we)
			if len(sub.diffs) == 0 {
				match = i
				break
			}
		}
		if match < 0 {
			missing = append(missing, we.String())
			continue
		}
		used[match] = true
	}
	var extra []string
	for i, ge := range g.vals {
		if !used[i] {
			extra = append(extra, ge.String())
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, m := range missing {
		c.add("%s: ip only:   %s", path, m)
	}
	for _, e := range extra {
		c.add("%s: ipdb only: %s", path, e)
	}
}

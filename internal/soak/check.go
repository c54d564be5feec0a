//go:build linux

package soak

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// CompareAll compares every table of s with iproute2's JSON (`ip -j`,
// `bridge -j`), kind by kind through the oracle's kind table, and returns
// the differences, or nil.
func CompareAll(ns *nstest.NS, s *ipdb.Snapshot) error {
	var errs []error
	for _, k := range netlink.Kinds() {
		if err := oracle.Compare(ns, k, slices.Collect(s.Objects(k))); err != nil {
			errs = append(errs, fmt.Errorf("%ss: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// Settle polls until the database equals `ip -j` (quiescence) or timeout
// passes, and returns the snapshot that equals it and how long it took, or
// the last difference.
func Settle(ns *nstest.NS, db *ipdb.DB, timeout time.Duration) (*ipdb.Snapshot, time.Duration, error) {
	start := time.Now()
	for {
		snap := db.Snapshot()
		err := CompareAll(ns, snap)
		if err == nil {
			return snap, time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return snap, time.Since(start), err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Trim returns the first n lines of err's text, and how many were left out:
// a minimal diff to print.
func Trim(err error, n int) string {
	if err == nil {
		return ""
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) <= n {
		return err.Error()
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n  ... and %d more lines", len(lines)-n)
}

// A ChangeSource is what Stream reads: an *ipdb.DB or an *ipdb.Replay.
type ChangeSource interface {
	ChangesSince(rev uint64, max int) ([]ipdb.Change, uint64, <-chan struct{}, error)
}

// Stream applies a database's change log to a copy of a first snapshot, a
// map keyed by each object's identity (ipdb.Key), and checks each event
// against what came before it: an add of something new, a change or delete
// of what is there (the very object the map holds), and a change that
// differs in some compared field (oracle.Line).
type Stream struct {
	src     ChangeSource
	fetched uint64 // the change log is read up to here
	applied uint64 // the model shows this revision
	pending []ipdb.Change
	objs    map[string]netlink.Object

	// Events counts the changes applied; Phantoms lists the changes whose
	// old and new versions are equal in every compared field; Errs the
	// events that do not fit the model.
	Events   int
	Phantoms []string
	// PhantomCount counts them all (Phantoms keeps the first 50).
	PhantomCount int
	Errs         []string
}

// NewStream starts a model from snapshot first of src.
func NewStream(src ChangeSource, first *ipdb.Snapshot) *Stream {
	s := &Stream{src: src, fetched: first.Revision(), applied: first.Revision(), objs: map[string]netlink.Object{}}
	for _, o := range objectsOf(first) {
		s.objs[ipdb.Key(o)] = o
	}
	return s
}

// objectsOf is every object of snap, every kind the database keeps
// (Snapshot.All).
func objectsOf(snap *ipdb.Snapshot) []netlink.Object { return slices.Collect(snap.All()) }

// Fetch reads the change log as far as it goes, so that it is not
// truncated under the model. Reading is not applying: see Check.
func (s *Stream) Fetch() error {
	for {
		ch, upTo, _, err := s.src.ChangesSince(s.fetched, 1<<16)
		if err != nil {
			return fmt.Errorf("change log after revision %d: %w", s.fetched, err)
		}
		s.pending = append(s.pending, ch...)
		if upTo == s.fetched {
			return nil
		}
		s.fetched = upTo
	}
}

// Pending returns the changes read and not applied yet.
func (s *Stream) Pending() []ipdb.Change { return s.pending }

// Check applies the events up to snap's revision and compares the model
// with snap object for object.
func (s *Stream) Check(snap *ipdb.Snapshot) error {
	if err := s.Fetch(); err != nil {
		return err
	}
	rev := snap.Revision()
	i := 0
	for ; i < len(s.pending) && s.pending[i].Rev <= rev; i++ {
		s.apply(s.pending[i])
	}
	s.pending = slices.Delete(s.pending, 0, i)
	s.applied = rev
	var diffs []string
	want := map[string]netlink.Object{}
	for _, o := range objectsOf(snap) {
		k := ipdb.Key(o)
		want[k] = o
		got, ok := s.objs[k]
		switch {
		case !ok:
			diffs = append(diffs, "events lack "+oracle.Line(o))
		case got != o:
			diffs = append(diffs, fmt.Sprintf("events hold %s\n    the database %s", oracle.Line(got), oracle.Line(o)))
		}
	}
	for k, o := range s.objs {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "events have, the database has not: "+oracle.Line(o))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("events applied to the first snapshot differ from the snapshot at revision %d:\n  %s", rev, strings.Join(diffs, "\n  "))
	}
	return nil
}

func (s *Stream) apply(c ipdb.Change) {
	s.Events++
	o := c.New
	if o == nil {
		o = c.Old
	}
	k := ipdb.Key(o)
	have, ok := s.objs[k]
	bad := func(format string, args ...any) {
		if len(s.Errs) < 50 {
			s.Errs = append(s.Errs, fmt.Sprintf("rev %d %s: ", c.Rev, c.Op)+fmt.Sprintf(format, args...))
		}
	}
	switch c.Op {
	case ipdb.OpAdd:
		if ok {
			bad("add of %s, which is there", oracle.Line(c.New))
		}
		s.objs[k] = c.New
	case ipdb.OpChange:
		if !ok {
			bad("change of %s, which is not there", oracle.Line(c.New))
		} else if have != c.Old {
			bad("change from %s, but the last event left %s", oracle.Line(c.Old), oracle.Line(have))
		}
		if c.Old != nil && oracle.Line(c.Old) == oracle.Line(c.New) {
			s.PhantomCount++
		}
		if c.Old != nil && oracle.Line(c.Old) == oracle.Line(c.New) && len(s.Phantoms) < 50 {
			line := oracle.Line(c.New)
			if len(line) > 160 {
				line = line[:160] + "..."
			}
			s.Phantoms = append(s.Phantoms, fmt.Sprintf("rev %d: differs only in %s: %s", c.Rev, FieldDiff(c.Old, c.New), line))
		}
		s.objs[k] = c.New
	case ipdb.OpDelete:
		if !ok {
			bad("delete of %s, which is not there", oracle.Line(c.Old))
		} else if have != c.Old {
			bad("delete of %s, but the last event left %s", oracle.Line(c.Old), oracle.Line(have))
		}
		delete(s.objs, k)
	}
}

// FieldDiff names the fields in which two versions of an object differ:
// struct fields by name, raw attributes (Unknown) by type number, nested
// structs by path.
func FieldDiff(a, b netlink.Object) string {
	var out []string
	fieldDiff("", reflect.ValueOf(a), reflect.ValueOf(b), &out)
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}

func fieldDiff(path string, a, b reflect.Value, out *[]string) {
	for a.Kind() == reflect.Pointer || a.Kind() == reflect.Interface {
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, path)
			}
			return
		}
		a, b = a.Elem(), b.Elem()
	}
	if a.Type() != b.Type() {
		*out = append(*out, path+"(type)")
		return
	}
	if a.Kind() == reflect.Struct {
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			fieldDiff(strings.TrimPrefix(path+"."+f.Name, "."), a.Field(i), b.Field(i), out)
		}
		return
	}
	if path == "Unknown" || strings.HasSuffix(path, ".Unknown") {
		// Raw attributes: name the types that differ.
		types := map[uint16]bool{}
		count := func(v reflect.Value, sign int) map[string]int {
			m := map[string]int{}
			for i := range v.Len() {
				at := v.Index(i)
				typ := uint16(at.FieldByName("Type").Uint())
				m[fmt.Sprintf("%d:%x", typ, at.FieldByName("Data").Bytes())] += sign
				types[typ] = true
			}
			return m
		}
		ma, mb := count(a, 1), count(b, 1)
		var diff []string
		for typ := range types {
			same := true
			for k, n := range ma {
				if strings.HasPrefix(k, fmt.Sprintf("%d:", typ)) && mb[k] != n {
					same = false
				}
			}
			for k, n := range mb {
				if strings.HasPrefix(k, fmt.Sprintf("%d:", typ)) && ma[k] != n {
					same = false
				}
			}
			if !same {
				diff = append(diff, fmt.Sprint(typ&^0xc000))
			}
		}
		slices.Sort(diff)
		if len(diff) > 0 {
			*out = append(*out, path+"[attr "+strings.Join(diff, ",")+"]")
		}
		return
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		*out = append(*out, path)
	}
}

package ipdb

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// keyIndexer indexes objects by a binary key built without fmt or
// reflection. FromArgs and PrefixFromArgs take the key bytes themselves.
type keyIndexer struct {
	key func(o netlink.Object) []byte
}

func (ix keyIndexer) FromObject(raw any) (bool, []byte, error) {
	o, ok := raw.(netlink.Object)
	if !ok {
		return false, nil, fmt.Errorf("%w: %T is not a netlink object", ErrInvalid, raw)
	}
	k := ix.key(o)
	return k != nil, k, nil
}

func (ix *idIndexer) FromObject(raw any) (bool, []byte, error) {
	if o, ok := raw.(netlink.Object); ok && o == ix.obj {
		return ix.key != nil, ix.key, nil
	}
	return ix.keyIndexer.FromObject(raw)
}

// idIndexer is a table's primary index. The applier has always built an
// object's key before it inserts or deletes it, so it hands the key over
// (prime) and FromObject does not build it a second time. One per table
// and database; the primed pair is guarded by go-memdb's writer lock,
// since only a write transaction inserts or deletes.
type idIndexer struct {
	keyIndexer
	obj netlink.Object
	key []byte
}

func (ix *idIndexer) prime(o netlink.Object, key []byte) { ix.obj, ix.key = o, key }

func (ix keyIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%w: want one key argument, got %d", ErrInvalid, len(args))
	}
	b, ok := args[0].([]byte)
	if !ok {
		return nil, fmt.Errorf("%w: key argument is %T, want []byte", ErrInvalid, args[0])
	}
	return b, nil
}

func (ix keyIndexer) PrefixFromArgs(args ...any) ([]byte, error) { return ix.FromArgs(args...) }

// newMemDB returns the database's tables and their primary indexes. It
// writes to a snapshot of a new go-memdb: a snapshot does not track the
// watch channels of the nodes it copies, which ipdb never uses (it has its
// own change log) and which make a large transaction's commit walk the
// whole tree.
func newMemDB() (*memdb.MemDB, []*idIndexer, error) {
	schema, ids := newSchema()
	mem, err := memdb.NewMemDB(schema)
	if err != nil {
		return nil, ids, fmt.Errorf("ipdb: schema: %w", err)
	}
	return mem.Snapshot(), ids, nil
}

func newSchema() (*memdb.DBSchema, []*idIndexer) {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	ids := make([]*idIndexer, len(kindDefs))
	for _, sp := range kindDefs {
		if sp == nil {
			continue
		}
		ids[sp.kind] = &idIndexer{keyIndexer: keyIndexer{key: sp.key}}
		idx := map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: ids[sp.kind]},
		}
		for name, is := range sp.indexes {
			idx[name] = is
		}
		s.Tables[sp.table] = &memdb.TableSchema{Name: sp.table, Indexes: idx}
	}
	s.Tables[routeOrderTable] = routeOrderSchema()
	return s, ids
}

// Key returns the identity the database gives o: two objects with equal
// keys are the same kernel object (a newer version replaces the older).
// It is a compact binary string, usable as a map key.
func Key(o netlink.Object) string {
	sp := defOf(o.Kind())
	if sp == nil {
		return ""
	}
	return string(append([]byte{byte(sp.kind)}, sp.key(o)...))
}

// Equal reports whether a and b are the same object in the same state, as
// the database judges it: the same kind and key (the kernel's identity of
// the object), and no difference except in volatile attributes (counters,
// timers, ages and the other attributes netlink's Stable methods drop; see
// netlink/volatile.go) or in how the same deadline was announced. Two
// objects that are Equal make no change, no event and no conflict. Nil
// objects are Equal only to nil.
func Equal(a, b netlink.Object) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a == b {
		return true
	}
	d := defOf(a.Kind())
	if d == nil || a.Kind() != b.Kind() {
		return false
	}
	return bytes.Equal(d.key(a), d.key(b)) && d.equal(a, b)
}

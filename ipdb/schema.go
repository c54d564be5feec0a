package ipdb

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// kindSpec describes how one object kind is keyed, filtered, dumped and
// compared. One is defined per kind, in that kind's file.
type kindSpec struct {
	kind  netlink.Kind
	table string
	// key is the kernel's identity of the object, as a binary key that
	// starts with the fields prefix queries need.
	key func(o netlink.Object) []byte
	// keep applies the Open filters.
	keep func(opts *options, o netlink.Object) bool
	// dump streams the kernel's objects of this kind (all of them, or
	// those matching the kernel-side filter in scope).
	dump func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error
	// equal reports whether two objects with the same key are the same.
	equal func(a, b netlink.Object) bool
	// indexes are secondary indexes besides "id".
	indexes map[string]*memdb.IndexSchema
}

// scope narrows a dump for a targeted reconcile. The zero scope is all.
type scope struct {
	family  uint8
	ifindex uint32
	table   uint32
}

var specs = [...]*kindSpec{
	netlink.KindLink:  &linkSpec,
	netlink.KindAddr:  &addrSpec,
	netlink.KindRoute: &routeSpec,
	netlink.KindNeigh: &neighSpec,
	netlink.KindRule:  &ruleSpec,
	netlink.KindFDB:   &fdbSpec,
}

func specOf(k netlink.Kind) *kindSpec {
	if int(k) >= len(specs) || specs[k] == nil {
		return nil
	}
	return specs[k]
}

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

func (ix *idIndexer) FromObject(raw any) (bool, []byte, error) {
	if o, ok := raw.(netlink.Object); ok && o == ix.obj {
		return ix.key != nil, ix.key, nil
	}
	return ix.keyIndexer.FromObject(raw)
}

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
func newMemDB() (*memdb.MemDB, [len(specs)]*idIndexer, error) {
	schema, ids := newSchema()
	mem, err := memdb.NewMemDB(schema)
	if err != nil {
		return nil, ids, fmt.Errorf("ipdb: schema: %w", err)
	}
	return mem.Snapshot(), ids, nil
}

func newSchema() (*memdb.DBSchema, [len(specs)]*idIndexer) {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	var ids [len(specs)]*idIndexer
	for _, sp := range specs {
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
	return s, ids
}

// Key returns the identity the database gives o: two objects with equal
// keys are the same kernel object (a newer version replaces the older).
// It is a compact binary string, usable as a map key.
func Key(o netlink.Object) string {
	sp := specOf(o.Kind())
	if sp == nil {
		return ""
	}
	return string(append([]byte{byte(sp.kind)}, sp.key(o)...))
}

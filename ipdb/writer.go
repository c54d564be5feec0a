package ipdb

import (
	"unsafe"

	"github.com/hashicorp/go-memdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// writer is one write transaction of the applier. It looks objects up in
// a read transaction of the committed state (base) unless this transaction
// already wrote their key: a lookup in a go-memdb write transaction clones
// its radix tree and drops the cache of nodes it already copied, so every
// later insert would copy its whole path again (about 10 KB per insert).
type writer struct {
	txn  *memdb.Txn
	base *memdb.Txn
	ids  []*idIndexer
	// dirty holds, per kind, the keys this transaction wrote. Keys are
	// never modified after they are built, so the map's strings share
	// their bytes.
	dirty []map[string]struct{}
	// reordered is set when the transaction changed the kernel's list
	// order of some objects (route_order.go) and must be committed even
	// without a change of an object.
	reordered bool
}

func (db *DB) newWriter() *writer {
	base := db.mem.Txn(false)
	return &writer{txn: db.mem.Txn(true), base: base, ids: db.ids, dirty: make([]map[string]struct{}, len(kindDefs))}
}

func keyString(key []byte) string { return unsafe.String(unsafe.SliceData(key), len(key)) }

func (w *writer) markDirty(sp *kindDef, key []byte) {
	if w.dirty[sp.kind] == nil {
		w.dirty[sp.kind] = map[string]struct{}{}
	}
	w.dirty[sp.kind][keyString(key)] = struct{}{}
}

// lookup returns the current object with key, or nil.
func (w *writer) lookup(sp *kindDef, key []byte) (netlink.Object, error) {
	t := w.base
	if _, ok := w.dirty[sp.kind][keyString(key)]; ok {
		t = w.txn
	}
	raw, err := t.First(sp.table, "id", key)
	if raw == nil || err != nil {
		return nil, err
	}
	return raw.(netlink.Object), nil
}

// put inserts or replaces o, whose key is key.
func (w *writer) put(sp *kindDef, o netlink.Object, key []byte) error {
	if sp.stored != nil {
		old, _ := w.lookup(sp, key)
		sp.stored(o, old)
	}
	w.markDirty(sp, key)
	w.ids[sp.kind].prime(o, key)
	return w.txn.Insert(sp.table, o)
}

// remove deletes o.
func (w *writer) remove(sp *kindDef, o netlink.Object) error {
	key := sp.key(o)
	if sp.removed != nil {
		sp.removed(w, o)
	}
	w.markDirty(sp, key)
	w.ids[sp.kind].prime(o, key)
	return w.txn.Delete(sp.table, o)
}

// abort ends both transactions without committing.
func (w *writer) abort() {
	w.txn.Abort()
	w.base.Abort()
}

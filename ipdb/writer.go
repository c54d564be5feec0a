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
	txn   *memdb.Txn
	base  *memdb.Txn
	dirty map[string]struct{} // kind byte + key of everything written
}

func (db *DB) newWriter() *writer {
	base := db.mem.Txn(false)
	return &writer{txn: db.mem.Txn(true), base: base, dirty: map[string]struct{}{}}
}

func dirtyKey(sp *kindSpec, key []byte) string {
	b := make([]byte, 0, 1+len(key))
	b = append(append(b, byte(sp.kind)), key...)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// lookup returns the current object with key, or nil.
func (w *writer) lookup(sp *kindSpec, key []byte) (netlink.Object, error) {
	t := w.base
	if _, ok := w.dirty[dirtyKey(sp, key)]; ok {
		t = w.txn
	}
	raw, err := t.First(sp.table, "id", key)
	if raw == nil || err != nil {
		return nil, err
	}
	return raw.(netlink.Object), nil
}

// put inserts or replaces o, whose key is key.
func (w *writer) put(sp *kindSpec, o netlink.Object, key []byte) error {
	w.dirty[dirtyKey(sp, key)] = struct{}{}
	return w.txn.Insert(sp.table, o)
}

// remove deletes o.
func (w *writer) remove(sp *kindSpec, o netlink.Object) error {
	w.dirty[dirtyKey(sp, sp.key(o))] = struct{}{}
	return w.txn.Delete(sp.table, o)
}

// abort ends both transactions without committing.
func (w *writer) abort() {
	w.txn.Abort()
	w.base.Abort()
}

package txn

import (
	"errors"

	"github.com/ipdb-go/ipdb/netlink"
)

// SpecError is an error about one spec of the transaction (it wraps
// ErrInvalid, or what planning that spec found): Kind and Index say which,
// the index in the order the specs of that kind were added (Txn.Link,
// Txn.Route...; with Set, the index among the AddrSetSpecs; with MPLS,
// among the MPLSRouteSpecs). A caller that
// read the specs from a file maps them back to its lines. Its text is the
// wrapped error's.
type SpecError struct {
	Kind  netlink.Kind
	Set   bool
	MPLS  bool
	Index int
	// Others are the indexes (of the same Kind and Set) of the other
	// specs the error is about: the first of two specs that name one
	// object (duplicate.go). Nil for most errors.
	Others []int
	Err    error
}

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// specErr wraps err (if not nil and not already a SpecError) with ref.
func specErr(ref specRef, err error) error {
	var se *SpecError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &SpecError{Kind: ref.kind, Set: ref.set, MPLS: ref.mpls, Index: int(ref.i), Err: err}
}

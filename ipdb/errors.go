package ipdb

import "errors"

// Sentinel errors.
var (
	// ErrNotSynced is returned by queries before the first full picture of
	// the kernel's state is in (see DB.Synced).
	ErrNotSynced = errors.New("ipdb: not synced yet")

	// ErrNotFound is returned by lookups that match nothing.
	ErrNotFound = errors.New("ipdb: not found")

	// ErrInvalid reports bad input to Open or to a query.
	ErrInvalid = errors.New("ipdb: invalid argument")

	// ErrClosed reports use of a closed DB.
	ErrClosed = errors.New("ipdb: closed")

	// ErrTruncated is returned by ChangesSince when the requested revision
	// has left the bounded change log: the reader must take a new snapshot.
	ErrTruncated = errors.New("ipdb: change log truncated; re-read the snapshot")
)

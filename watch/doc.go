// Package watch delivers the changes of an ipdb database to subscribers:
// typed events with the old and new object and the revision, filters by
// kind, link, family, table and operation, callbacks and channels, and
// WaitFor conditions (link up, address present, route gone...).
//
// # Delivery
//
// Every subscription reads the database's bounded change log on a
// goroutine of its own, in revision order. A slow subscriber never stalls
// the database or other subscribers: it only falls behind, and if it falls
// out of the change log it gets an explicit Resync event followed by the
// current state as Initial adds, never a silent gap. WithInitial starts a
// subscription the same way, so initial state and live changes join with
// no gap and no duplicate.
//
// # Namespaces
//
// SetWatcher does the same over an ipdb.Set: every event carries its
// namespace (Event.NS) and the set's revision, a link moved between two
// namespaces of the set is one event (Event.MovedFrom), and a namespace
// arrives as the Initial adds of its objects and leaves as their deletes.
// The Namespaces filter selects namespaces; WithInitial replays every
// namespace of the set.
//
// # Kinds
//
// Every object kind has a row in the kind table (kinds.go): its typed
// event and On method (LinkEvent and OnLink...), the link its objects
// belong to (Event.LinkName, LinkIndex), its family (Family) and table
// (Table). The replay delivers every kind the database keeps
// (ipdb.Snapshot.All). A kind without a row fails TestKindTableComplete.
//
// # Concurrency
//
// Callbacks of one subscription run one at a time; different
// subscriptions run concurrently. Objects in events are shared with the
// database and must not be modified.
package watch

package txn

import (
	"context"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
)

// Pending is a committed transaction that rolls back by itself unless
// confirmed in time (see CommitConfirm).
type Pending struct {
	t    *Txn
	pre  *ipdb.Snapshot
	done chan struct{}

	mu    sync.Mutex // guards the fields below
	timer *time.Timer
	over  bool  // confirmed or rolled back
	rbErr error // the rollback's outcome
	rbRan bool
}

// CommitConfirm commits like Commit, then rolls the transaction back by
// itself unless Confirm is called within d — for changes that may cut off
// the caller's own connectivity. If the commit fails it is rolled back at
// once and the error is returned.
func (t *Txn) CommitConfirm(ctx context.Context, d time.Duration) (*Pending, error) {
	pre, err := t.commit(ctx)
	if err != nil {
		return nil, err
	}
	p := &Pending{t: t, pre: pre, done: make(chan struct{})}
	p.mu.Lock()
	p.timer = time.AfterFunc(d, func() { _ = p.Rollback(context.Background()) })
	p.mu.Unlock()
	return p, nil
}

// Confirm keeps the changes. It returns ErrRolledBack if the rollback has
// already started.
func (p *Pending) Confirm() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.over {
		if p.rbRan {
			return ErrRolledBack
		}
		return nil
	}
	p.timer.Stop()
	p.over = true
	close(p.done)
	return nil
}

// Rollback restores the state before the commit now, unless the
// transaction was confirmed (then it returns nil and does nothing). The
// error is a *CommitError whose Err is ErrRolledBack if the rollback
// left something behind.
func (p *Pending) Rollback(ctx context.Context) error {
	p.mu.Lock()
	if p.over {
		err := p.rbErr
		p.mu.Unlock()
		return err
	}
	p.over, p.rbRan = true, true
	p.timer.Stop()
	p.mu.Unlock()

	ce := &CommitError{Err: ErrRolledBack}
	p.t.rollbackInto(ctx, p.pre, ce)
	var err error
	if !ce.RolledBack {
		err = ce
	}
	p.mu.Lock()
	p.rbErr = err
	p.mu.Unlock()
	close(p.done)
	return err
}

// Done is closed once the transaction is confirmed or rolled back.
func (p *Pending) Done() <-chan struct{} { return p.done }

// RolledBack reports whether the transaction was rolled back, and the
// rollback's error if it left something behind. Read it after Done.
func (p *Pending) RolledBack() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rbRan, p.rbErr
}

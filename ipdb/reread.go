package ipdb

import (
	"context"
	"fmt"
)

// RereadLink makes the database re-read the link of index ifindex from
// the kernel (an RTM_GETLINK dump of that link) and waits until the result
// is committed: the cache then holds the link as the kernel has it, and a
// difference is one revision of changes like any other.
//
// It is for changes the kernel makes without a notification: a changelink
// that only changes a kind's data (a vxlan's remote or local, a macvlan's
// mode; vxlan_changelink and macvlan_changelink send no RTM_NEWLINK, as
// `ip monitor link` shows on Linux 6.18) is otherwise seen at the next
// periodic refresh. The re-read runs on the database's own goroutine,
// after the notifications already queued, so it is not overtaken by older
// ones.
//
// Errors: ErrClosed when the database is closed, ctx's error when it ends
// first, ErrInvalid for an index that is not positive.
func (db *DB) RereadLink(ctx context.Context, ifindex int) error {
	if ifindex <= 0 {
		return fmt.Errorf("%w: link index %d", ErrInvalid, ifindex)
	}
	if err := db.WaitSynced(ctx); err != nil {
		return err
	}
	job := linkJob(ifindex)
	job.done = make(chan struct{})
	db.queue.pushJobs([]reconcileJob{job})
	select {
	case <-job.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-db.done:
		return ErrClosed
	}
}

// finishJobs closes the done channels of the requested re-reads among
// jobs, once they ran (or a full resync covered them).
func finishJobs(jobs []reconcileJob) {
	for _, j := range jobs {
		if j.done != nil {
			close(j.done)
		}
	}
}

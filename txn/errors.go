package txn

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ipdb-go/ipdb/netlink"
)

var (
	// ErrInvalid reports specs that were rejected before anything was
	// applied: a missing name, a bad prefix, a reference to a link that
	// neither exists nor is created by the transaction.
	ErrInvalid = errors.New("txn: invalid spec")

	// ErrConflict reports that an object the transaction touches was
	// changed by someone else between Plan and Commit. Nothing was applied.
	ErrConflict = errors.New("txn: conflict: state changed since plan")

	// ErrVerify reports that the database did not show the desired state
	// before the verification deadline.
	ErrVerify = errors.New("txn: verification failed")

	// ErrRolledBack is returned by Pending.Confirm after the automatic
	// rollback of a CommitConfirm has run.
	ErrRolledBack = errors.New("txn: already rolled back")
)

// A CommitError is the error of a Commit that failed after it started to
// apply operations. Unwrap returns the cause, so errors.Is(err,
// unix.EEXIST) and errors.As(err, **netlink.OpError) see the kernel's
// answer.
type CommitError struct {
	// Step is the operation that failed, as the plan prints it; empty when
	// the failure was the verification or the context.
	Step string
	// Err is the cause: the kernel's *netlink.OpError (errno and extended
	// ACK text), an error wrapping ErrVerify, or the context's error.
	Err error
	// RolledBack reports whether the rollback restored the pre-image and
	// the database confirmed it.
	RolledBack bool
	// RollbackErr is the rollback's own first failure, if any.
	RollbackErr error
	// Left lists what the rollback could not restore, as plan operations
	// still outstanding; empty when RolledBack is true.
	Left []string
}

// Error implements error.
func (e *CommitError) Error() string {
	var b strings.Builder
	b.WriteString("txn: commit failed")
	if e.Step != "" {
		fmt.Fprintf(&b, " at %q", e.Step)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.RolledBack {
		b.WriteString("; rolled back")
	} else {
		b.WriteString("; ROLLBACK INCOMPLETE")
		if e.RollbackErr != nil {
			fmt.Fprintf(&b, ": %v", e.RollbackErr)
		}
		if len(e.Left) > 0 {
			const show = 10
			left := e.Left
			if len(left) > show {
				left = left[:show]
			}
			fmt.Fprintf(&b, "; left (%d): %s", len(e.Left), strings.Join(left, "; "))
			if len(e.Left) > show {
				b.WriteString("; ...")
			}
		}
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CommitError) Unwrap() error { return e.Err }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// draftInvalid is the ErrInvalid of the spec named what, whose draft
// request netlink refused with err. The message gives netlink's reason
// alone ("tbf needs a rate"): the request's own description (its verb and
// a draft object with a placeholder link index) says nothing the spec's
// name does not. errors.Is still finds netlink.ErrInvalid and errors.As
// the *netlink.OpError.
func draftInvalid(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInvalid, what, netlinkReason{err})
}

// netlinkReason prints a netlink request's validation error as its reason.
type netlinkReason struct{ err error }

func (r netlinkReason) Error() string {
	err := r.err
	var oe *netlink.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return strings.TrimPrefix(err.Error(), netlink.ErrInvalid.Error()+": ")
}

func (r netlinkReason) Unwrap() error { return r.err }

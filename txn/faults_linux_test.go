package txn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// injectFunc is the type of Config.inject: it sees the i'th request of a
// commit (from 0) for step o and returns the request to send instead.
type injectFunc = func(i int, o *Step, req netlink.Request) netlink.Request

// faultSite is the step a subtest of faultEveryStep makes the kernel
// refuse: operation step (from 0) of namespace ns's plan; ns is "" for a
// single Txn.
type faultSite struct {
	ns   string
	step int
}

// String is the subtest's name: "3" for a single Txn, "pod-3" for a Multi.
func (s faultSite) String() string {
	if s.ns == "" {
		return fmt.Sprint(s.step)
	}
	return fmt.Sprintf("%s-%d", s.ns, s.step)
}

// faultCase is a "fault at every step" test: the parts that differ
// between the transactions it is run for. E is what setup makes of a
// fresh namespace (the namespaces, databases and connections of one
// commit).
type faultCase[E any] struct {
	// setup prepares the fresh namespace ns (and any other it needs):
	// the state the transaction starts from.
	setup func(t *testing.T, ns *nstest.NS) E
	// sites returns the operations of the transaction's plan on e
	// without a fault, in order, and the plan as text for messages.
	sites func(t *testing.T, e E) ([]faultSite, string)
	// commit commits the transaction on e, inject in the Config of the
	// namespace of at.
	commit func(e E, at faultSite, inject injectFunc) error
	// state is what the rollback must bring back, as iproute2 shows it
	// (ipState, nexthopState, ...).
	state func(t *testing.T, e E) string
	// oracle compares the databases with iproute2 (checkOracle, ...).
	oracle func(t *testing.T, e E)
	// minSteps is the fewest operations the plan has; fewer (or none)
	// fail the test.
	minSteps int
	// failing returns the request the kernel refuses in place of step
	// o; nil means failing.
	failing func(o *Step) netlink.Request
	// more, when not nil, checks more of a commit's error, after the
	// checks every fault gets and before the state is compared.
	more func(t *testing.T, e E, err error)
}

// faultEveryStep fails each operation of the plan of c in turn, each in
// a subtest with a fresh namespace and database: the commit must return a
// *CommitError (a *MultiCommitError for a site in a named namespace) that
// names the namespace and the step, wraps the kernel's *netlink.OpError
// and errno, and says RolledBack; then the state must be back to the
// state before (waitRestored) and the databases must agree with
// iproute2.
//
// Everything runs inside one nstest.Run: as non-root, the closure runs in
// a re-executed child, and only the child knows the plan's length.
func faultEveryStep[E any](t *testing.T, c faultCase[E]) {
	t.Helper()
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) { faultEveryStepIn(t, ns, c) })
}

// faultEveryStepIn is faultEveryStep for a test already inside
// nstest.Run: ns is a fresh namespace (nstest.New) that c.setup prepares
// to find the plan's steps; each fault then gets a namespace of its own.
func faultEveryStepIn[E any](t *testing.T, ns *nstest.NS, c faultCase[E]) {
	t.Helper()
	fail := c.failing
	if fail == nil {
		fail = failing
	}
	sites, plan := c.sites(t, c.setup(t, ns))
	if len(sites) < max(c.minSteps, 1) {
		t.Fatalf("plan of %d steps, want %d or more:\n%s", len(sites), max(c.minSteps, 1), plan)
	}
	for _, at := range sites {
		t.Run(at.String(), func(t *testing.T) {
			e := c.setup(t, nstest.New(t))
			before := c.state(t, e)
			var failed *Step
			err := c.commit(e, at, func(i int, o *Step, req netlink.Request) netlink.Request {
				if i == at.step {
					failed = o
					return fail(o)
				}
				return req
			})
			var ns, step string
			var rolledBack bool
			if at.ns == "" {
				var ce *CommitError
				if !errors.As(err, &ce) {
					t.Fatalf("op %s: error %v, want a *CommitError", at, err)
				}
				step, rolledBack = ce.Step, ce.RolledBack
			} else {
				var me *MultiCommitError
				if !errors.As(err, &me) {
					t.Fatalf("op %s: error %v, want a *MultiCommitError", at, err)
				}
				ns, step, rolledBack = me.Namespace, me.Step, me.RolledBack
			}
			if failed == nil || ns != at.ns || step != failed.String() {
				t.Errorf("error names netns %q step %q, want %q %v", ns, step, at.ns, failed)
			}
			var oe *netlink.OpError
			if !errors.As(err, &oe) {
				t.Errorf("no *netlink.OpError in %v", err)
			}
			var errno unix.Errno
			if !errors.As(err, &errno) {
				t.Errorf("no errno in %v", err)
			}
			if !rolledBack {
				t.Fatalf("op %s (%s): not rolled back: %v", at, failed, err)
			}
			if c.more != nil {
				c.more(t, e, err)
			}
			waitRestored(t, fmt.Sprintf("op %s (%s)", at, failed), before, func() string { return c.state(t, e) })
			c.oracle(t, e)
		})
	}
}

// txnEnv is one namespace with a database and a connection on it.
type txnEnv struct {
	ns *nstest.NS
	db *ipdb.DB
	c  *netlink.Conn
}

// stateFunc is what a test compares before a commit and after its
// rollback: ipState, nexthopState, tcState, mplsIPState, addrSetState.
type stateFunc func(*testing.T, *nstest.NS) string

// txnFaults is the faultCase of a single Txn: base prepares the
// namespace, txn builds the transaction (cfg nil: no fault), state and
// oracle are the test's state function and iproute2 comparison, and the
// plan has minSteps operations or more.
func txnFaults(base func(*testing.T, *nstest.NS), txn func(*ipdb.DB, *netlink.Conn, *Config) *Txn,
	state stateFunc, oracle func(*testing.T, *nstest.NS, *ipdb.DB), minSteps int) faultCase[*txnEnv] {
	return faultCase[*txnEnv]{
		setup: func(t *testing.T, ns *nstest.NS) *txnEnv {
			base(t, ns)
			db, c := setup(t, ns)
			return &txnEnv{ns: ns, db: db, c: c}
		},
		sites: func(t *testing.T, e *txnEnv) ([]faultSite, string) {
			plan, err := txn(e.db, e.c, nil).Plan()
			if err != nil {
				t.Fatal(err)
			}
			sites := make([]faultSite, len(plan.Steps))
			for k := range sites {
				sites[k] = faultSite{step: k}
			}
			return sites, plan.String()
		},
		commit: func(e *txnEnv, _ faultSite, inject injectFunc) error {
			return txn(e.db, e.c, &Config{inject: inject}).Commit(context.Background())
		},
		state:    func(t *testing.T, e *txnEnv) string { return state(t, e.ns) },
		oracle:   func(t *testing.T, e *txnEnv) { oracle(t, e.ns, e.db) },
		minSteps: minSteps,
	}
}

// cniFaults is the faultCase of the Multi specs on a cniEnv that prepare
// has changed; hostSteps says whether the host has operations of its own
// (the pod always has). Each fault must be rolled back in both
// namespaces, the pod first.
func cniFaults(prepare func(*testing.T, *cniEnv), specs func(*Multi) *Multi, hostSteps bool) faultCase[*cniEnv] {
	return faultCase[*cniEnv]{
		setup: func(t *testing.T, ns *nstest.NS) *cniEnv {
			e := newCNIEnv(t, ns)
			prepare(t, e)
			e.settle(t)
			return e
		},
		sites: func(t *testing.T, e *cniEnv) ([]faultSite, string) {
			p, err := specs(e.multi()).Plan()
			if err != nil {
				t.Fatal(err)
			}
			nHost, nPod := len(p.Of("host").Steps), len(p.Of("pod").Steps)
			if (nHost == 0) == hostSteps || nPod == 0 {
				t.Fatalf("plan without operations in a namespace:\n%s", p)
			}
			var sites []faultSite
			for k := range nHost {
				sites = append(sites, faultSite{ns: "host", step: k})
			}
			for k := range nPod {
				sites = append(sites, faultSite{ns: "pod", step: k})
			}
			return sites, fmt.Sprint(p)
		},
		commit: func(e *cniEnv, at faultSite, inject injectFunc) error {
			cfg := &Config{inject: inject}
			if at.ns == "host" {
				cfg.NetNS = e.hostCfg.NetNS
				e.hostCfg = cfg
			} else {
				cfg.NetNS = e.podCfg.NetNS
				e.podCfg = cfg
			}
			return specs(e.multi()).Commit(context.Background())
		},
		state:  func(t *testing.T, e *cniEnv) string { return e.state(t) },
		oracle: func(t *testing.T, e *cniEnv) { e.oracle(t) },
		more: func(t *testing.T, _ *cniEnv, err error) {
			var me *MultiCommitError
			if !errors.As(err, &me) || len(me.Rollbacks) != 2 || me.Rollbacks[0].Namespace != "pod" {
				t.Fatalf("not rolled back in both namespaces, pod first: %v", err)
			}
			t.Logf("%v", err)
		},
	}
}

// settle calls state every 50 ms until it returns want or d has passed,
// and returns its last answer. The kernel finishes some of a rollback's
// work after the rollback returned: carrier and operstate come from
// linkwatch (net/core/link_watch.c), up to a second later.
func settle(d time.Duration, want string, state func() string) string {
	got := state()
	for end := time.Now().Add(d); got != want && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		got = state()
	}
	return got
}

// waitRestored waits up to 3 s for state to return before again (settle)
// and reports what still differs as an error of t, what saying after what
// (empty: nothing).
func waitRestored(t *testing.T, what, before string, state func() string) {
	t.Helper()
	if after := settle(3*time.Second, before, state); after != before {
		if what != "" {
			what += ": "
		}
		t.Errorf("%snamespace differs from before:\n%s", what, diffLines(before, after))
	}
}

// checkRestored is waitRestored of ns's state as state shows it.
func checkRestored(t *testing.T, ns *nstest.NS, state stateFunc, before string) {
	t.Helper()
	waitRestored(t, "", before, func() string { return state(t, ns) })
}

// labelLines prefixes each line of s with name, so that the states of
// several namespaces make one state whose differences name their
// namespace.
func labelLines(name, s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = name + ": " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// failKind returns an inject that sends fail's request, which the
// kernel refuses, in place of every step of kind k, and every other
// request as it is.
func failKind(k netlink.Kind, fail func(o *Step) netlink.Request) injectFunc {
	return func(_ int, o *Step, req netlink.Request) netlink.Request {
		if o.Kind == k {
			return fail(o)
		}
		return req
	}
}

// linkGoneAfterRollback is a faultCase.more hook: the link name, which
// the transaction creates, must be gone after the rollback.
func linkGoneAfterRollback(name string) func(t *testing.T, e *txnEnv, _ error) {
	return func(t *testing.T, e *txnEnv, _ error) {
		if _, err := e.ns.IPErr("link", "show", name); err == nil {
			t.Errorf("%s left after the rollback", name)
		}
	}
}

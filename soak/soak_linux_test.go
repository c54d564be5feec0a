package soak_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
	"github.com/ipdb-go/ipdb/internal/soak"
	"github.com/ipdb-go/ipdb/ipdb"
)

func TestMain(m *testing.M) {
	// Remaining lifetimes are compared within a slack; the soak generates
	// no finite lifetimes, but a loaded machine is slow.
	oracle.AddrLifetimeSlack = 120
	os.Exit(m.Run())
}

// TestSoak is the differential soak: a seeded generator changes a
// namespace with ip and bridge in bursts of 1 to -soak.maxburst commands,
// with pauses, and at checkpoints, once the database has caught up, every
// table must equal ip -j, and the change log applied to the first snapshot
// must give the checkpoint's snapshot with no event that changes nothing.
// It ends with a quiet pause (bridges up, nothing changing): a pause in
// which `ip monitor` or the database saw anything has its events checked
// (about objects ip monitor saw change, or bringing the database to what
// ip -j shows of a change the kernel does not announce) and is made again,
// until one is quiet on both sides, within a bound (see quiet). One run uses
// the default receive buffer, one a small one (-soak.rcvbuf), so that
// overflows and resyncs happen.
func TestSoak(t *testing.T) {
	if err := soak.CheckFlags("soak.duration", "soak.changes", "soak.maxburst", "soak.rcvbuf"); err != nil {
		t.Fatal(err)
	}
	seed := soak.PickSeed()
	t.Logf("seed %d (rerun: go test ./soak -run 'TestSoak$' -soak.seed=%d)", seed, seed)
	t.Run("default-buffer", func(t *testing.T) {
		nstest.Run(t, func(t *testing.T, ns *nstest.NS) { soakRun(t, ns, seed, 0) })
	})
	if *soak.RcvBuf > 0 {
		t.Run("small-buffer", func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, ns *nstest.NS) { soakRun(t, ns, seed+1, *soak.RcvBuf) })
		})
	}
}

func soakRun(t *testing.T, ns *nstest.NS, seed uint64, rcvbuf int) {
	ns.IP("link", "set", "lo", "up")
	opts := []ipdb.Option{ipdb.WithNetNS(ns.Name), ipdb.WithChangeLog(1 << 21)}
	if rcvbuf > 0 {
		opts = append(opts, ipdb.WithReadBuffer(rcvbuf))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := ipdb.Open(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	stream := soak.NewStream(db, db.Snapshot())

	// Every command goes to a log, kept when the run fails.
	logPath := filepath.Join(os.TempDir(), fmt.Sprintf("ipdb-soak-%d-%d.log", seed, rcvbuf))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		logf.Close()
		if !t.Failed() {
			os.Remove(logPath)
		} else {
			t.Logf("the commands of this run are in %s", logPath)
		}
	}()

	g := soak.NewGen(ns.Name, seed)
	fail := func(checkpoint int, what string, err error) {
		t.Helper()
		st := db.Stats()
		t.Fatalf("seed %d, receive buffer %d, checkpoint %d: %s:\n%s\nstats: overflows %d, resyncs %d, reconciles %d, events %d, revision %d",
			seed, rcvbuf, checkpoint, what, soak.Trim(err, 40), st.Overflows, st.Resyncs, st.Reconciles, st.Events, st.Revision)
	}
	checkpoint := func(n int) {
		t.Helper()
		fmt.Fprintf(logf, "# checkpoint %d\n", n)
		snap, took, err := soak.Settle(ns, db, 30*time.Second)
		if err != nil {
			fail(n, "the database differs from ip -j after 30 s", err)
		}
		if err := stream.Check(snap); err != nil {
			fail(n, "event stream", err)
		}
		if len(stream.Errs) > 0 {
			fail(n, "events that do not follow from the ones before", fmt.Errorf("%s", strings.Join(stream.Errs, "\n")))
		}
		t.Logf("checkpoint %d: equal after %v at revision %d, %d events so far", n, took.Round(time.Millisecond), snap.Revision(), stream.Events)
		if err := g.Refresh(); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	changes, bursts, cp := 0, 0, 0
	for time.Since(start) < soak.SoakDuration() && changes < *soak.Changes {
		// Burst sizes are log-uniform from 1 to maxburst.
		n := int(math.Exp(g.R.Float64() * math.Log(float64(*soak.MaxBurst))))
		b := g.Burst(max(1, n))
		fmt.Fprint(logf, b.String())
		if err := b.Run(ns.Name); err != nil {
			t.Fatal(err)
		}
		changes += b.Len()
		bursts++
		if err := stream.Fetch(); err != nil {
			fail(cp, "reading the change log", err)
		}
		switch x := g.R.IntN(10); {
		case x < 2:
			time.Sleep(time.Duration(g.R.IntN(500)) * time.Millisecond)
		case x < 3:
			time.Sleep(time.Duration(g.R.IntN(30)) * time.Millisecond)
		}
		// Checkpoints come after a number of bursts, not of seconds, so
		// that a seed replays the same sequence.
		if bursts%25 == 0 {
			cp++
			checkpoint(cp)
		}
	}
	// The end: bridges up, then a checkpoint and a quiet pause.
	var up []string
	for _, br := range bridges(t, ns) {
		up = append(up, "link set "+br+" up")
	}
	(&soak.Batch{IP: up}).Run(ns.Name)
	cp++
	checkpoint(cp)
	time.Sleep(time.Second)
	quiet(t, ns, db, 3*time.Second)

	st := db.Stats()
	t.Logf("seed %d, receive buffer %d: %d changes in %d bursts over %v, %d checkpoints, %d events; overflows %d, resyncs %d, reconciles %d",
		seed, rcvbuf, changes, bursts, time.Since(start).Round(time.Second), cp, stream.Events, st.Overflows, st.Resyncs, st.Reconciles)
	if stream.PhantomCount > 0 {
		t.Errorf("seed %d, receive buffer %d: %d change events whose old and new versions are equal in every compared field, e.g.:\n  %s",
			seed, rcvbuf, stream.PhantomCount, strings.Join(stream.Phantoms[:min(10, len(stream.Phantoms))], "\n  "))
	}
}

// bridges returns the names of the namespace's bridges.
func bridges(t *testing.T, ns *nstest.NS) []string {
	var links []struct {
		Name string `json:"ifname"`
	}
	ns.IPJSON(&links, "link", "show", "type", "bridge")
	var out []string
	for _, l := range links {
		out = append(out, l.Name)
	}
	return out
}

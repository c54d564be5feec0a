package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

// fdbSetup builds a bridge with two ports, a vxlan device with remotes and
// FDB entries of every sort bridge(8) prints.
func fdbSetup(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.Batch(
		"link add br0 type bridge",
		"link add p0 type veth peer name q0",
		"link add p1 type veth peer name q1",
		"link set p0 master br0",
		"link set p1 master br0",
		"link add vx0 type vxlan id 42 dstport 4789 remote 198.51.100.1 local 192.0.2.1",
		"link add vx1 type vxlan id 43 dstport 4789 dev q1",
		"link set br0 up", "link set p0 up", "link set p1 up", "link set q0 up", "link set q1 up",
		"link set vx0 up",
		"addr add 192.0.2.1/24 dev br0",
		"neigh add 192.0.2.7 lladdr 02:00:00:00:00:07 dev br0",
		"neigh add proxy 192.0.2.9 dev br0",
	)
	for _, args := range [][]string{
		{"fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static"},
		{"fdb", "add", "02:00:00:00:00:ab", "dev", "p1", "master", "static", "sticky"},
		{"fdb", "add", "02:00:00:00:00:ac", "dev", "p1", "master", "extern_learn"},
		{"fdb", "add", "02:00:00:00:00:ad", "dev", "br0", "self", "local"},
		{"fdb", "add", "02:00:00:00:00:ae", "dev", "p0", "self"},
		{"fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "198.51.100.2"},
		{"fdb", "add", "02:00:00:00:00:b0", "dev", "vx1", "dst", "198.51.100.8", "port", "4790", "vni", "77", "via", "q0"},
	} {
		bridgeExec(t, ns, args...)
	}
}

func bridgeExec(t *testing.T, ns *nstest.NS, args ...string) string {
	t.Helper()
	out, err := exec.Command("bridge", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("bridge %v: %v: %s", args, err, out)
	}
	return string(out)
}

// rawObjects splits a JSON array into its elements, compacted, keys in the
// order they were written.
func rawObjects(t *testing.T, b []byte) []string {
	t.Helper()
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("bad JSON array: %v\n%s", err, b)
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		var c bytes.Buffer
		if err := json.Compact(&c, r); err != nil {
			t.Fatal(err)
		}
		out[i] = c.String()
	}
	return out
}

// fdbGroup is the part of an entry's place in `bridge fdb show` that the
// cache knows: its device, and among the device's entries whether it is
// one of the bridge's table on a port, a unicast or multicast one of the
// device's own, or one of the bridge's table on the bridge itself.
func fdbGroup(t *testing.T, obj string) string {
	var e struct {
		Mac    string `json:"mac"`
		Ifname string `json:"ifname"`
		Master string `json:"master"`
	}
	if err := json.Unmarshal([]byte(obj), &e); err != nil {
		t.Fatal(err)
	}
	var first byte
	fmt.Sscanf(e.Mac, "%02x", &first)
	switch {
	case e.Master != "" && e.Master != e.Ifname:
		return e.Ifname + " port"
	case e.Master != "":
		return e.Ifname + " bridge"
	case first&1 != 0:
		return e.Ifname + " own multicast"
	}
	return e.Ifname + " own unicast"
}

// compareFDB compares show fdb's JSON with `bridge -j fdb show`: the same
// objects, key for key and value for value, in the same order (checked
// first by devices and groups, fdbGroup, for a readable difference).
func compareFDB(t *testing.T, ns *nstest.NS, got []byte) error {
	t.Helper()
	want := rawObjects(t, ipJSON(t, ns, "fdb"))
	mine := rawObjects(t, got)
	groups := func(objs []string) []string {
		var g []string
		for _, o := range objs {
			if k := fdbGroup(t, o); len(g) == 0 || g[len(g)-1] != k {
				g = append(g, k)
			}
		}
		return g
	}
	if gw, gm := groups(want), groups(mine); !slices.Equal(gw, gm) {
		return fmt.Errorf("order of devices and groups differs:\nbridge: %v\nipdb:   %v", gw, gm)
	}
	a, b := slices.Clone(mine), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return fmt.Errorf("entries differ:\n%s", diffLines(a, b))
	}
	if !slices.Equal(mine, want) {
		return fmt.Errorf("same entries in another order:\nbridge:\n  %s\nipdb:\n  %s",
			strings.Join(want, "\n  "), strings.Join(mine, "\n  "))
	}
	return nil
}

// retry runs check until it returns nil, for up to 5 s.
func retry(t *testing.T, what string, check func() error) {
	t.Helper()
	if err := nstest.Eventually(5*time.Second, check); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestShowFDBMatchesBridge: `show fdb -o json` prints what `bridge -j fdb
// show` prints, object for object with the same keys in the same order,
// devices and groups in the same order; `show neigh -o json` prints
// exactly the objects of `ip -j neigh show nud all` (no FDB entry, no
// proxy entry).
func TestShowFDBMatchesBridge(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		fdbSetup(t, ns)
		retry(t, "show fdb", func() error {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", "fdb", "-o", "json")
			if code != 0 {
				t.Fatalf("show fdb: exit %d: %s", code, errs)
			}
			return compareFDB(t, ns, []byte(out))
		})
		retry(t, "show neigh", func() error {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", "neigh", "-o", "json")
			if code != 0 {
				t.Fatalf("show neigh: exit %d: %s", code, errs)
			}
			got := rawObjects(t, []byte(out))
			want := rawObjects(t, ipJSON(t, ns, "neigh"))
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				return fmt.Errorf("show neigh and ip -j neigh show nud all differ:\n%s", diffLines(got, want))
			}
			return nil
		})
		code, out, errs := runCmd(t, "--netns", ns.Name, "show", "fdb")
		if code != 0 {
			t.Fatalf("show fdb: exit %d: %s", code, errs)
		}
		// The header's columns are as wide as the longest device name:
		// the kernel's fallback tunnels (gretap0, erspan0) widen them
		// where their modules are loaded.
		if !regexp.MustCompile(`(?m)^DEV +MAC +VLAN`).MatchString(out) {
			t.Errorf("show fdb lacks its header:\n%s", out)
		}
		for _, want := range []string{"02:00:00:00:00:ab", "sticky", "198.51.100.2"} {
			if !strings.Contains(out, want) {
				t.Errorf("show fdb lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestServeFDB: /v1/fdb is show fdb's JSON, /v1/watch?kind=fdb streams FDB
// events in bridge's shape, and the metrics count the table.
func TestServeFDB(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/v1/watch?kind=fdb", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		fdbSetup(t, ns)
		retry(t, "/v1/fdb", func() error {
			code, body := httpGet(t, hs.URL+"/v1/fdb")
			if code != http.StatusOK {
				t.Fatalf("/v1/fdb: %d %s", code, body)
			}
			return compareFDB(t, ns, body)
		})
		// More entries in the lists the cache already holds: a bridge's
		// table (newest first), a vxlan entry's remotes (oldest first), a
		// device's unicast addresses (oldest first).
		for _, args := range [][]string{
			{"fdb", "add", "02:00:00:00:00:c1", "dev", "p0", "master", "static"},
			{"fdb", "add", "02:00:00:00:00:c0", "dev", "p1", "master", "static"},
			{"fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", "198.51.100.3"},
			{"fdb", "add", "02:00:00:00:00:b1", "dev", "vx1", "dst", "198.51.100.9"},
			{"fdb", "add", "02:00:00:00:00:a0", "dev", "p0", "self"},
			{"fdb", "del", "02:00:00:00:00:aa", "dev", "p0", "master"},
			{"fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static"},
			// A move keeps the entry's place in the bridge's list.
			{"fdb", "replace", "02:00:00:00:00:c1", "dev", "p1", "master", "static"},
		} {
			bridgeExec(t, ns, args...)
		}
		retry(t, "/v1/fdb after more changes", func() error {
			code, body := httpGet(t, hs.URL+"/v1/fdb")
			if code != http.StatusOK {
				t.Fatalf("/v1/fdb: %d %s", code, body)
			}
			return compareFDB(t, ns, body)
		})
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		stopAt := time.AfterFunc(5*time.Second, cancel)
		defer stopAt.Stop()
		found := false
		for !found && sc.Scan() {
			var ev struct {
				Op   string         `json:"op"`
				Kind string         `json:"kind"`
				New  map[string]any `json:"new"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("bad event line %q: %v", sc.Text(), err)
			}
			if ev.Kind != "fdb" {
				t.Errorf("kind=fdb let through %s", sc.Text())
			}
			if ev.Op == "add" && ev.New["mac"] == "02:00:00:00:00:ab" {
				if ev.New["ifname"] != "p1" || ev.New["master"] != "br0" || ev.New["state"] != "static" {
					t.Errorf("fdb event not in bridge's shape: %s", sc.Text())
				}
				found = true
			}
		}
		if !found {
			t.Errorf("no fdb add event for 02:00:00:00:00:ab (err %v)", sc.Err())
		}
		cancel()
		retry(t, "the fdb objects metric", func() error {
			code, body := httpGet(t, hs.URL+"/metrics")
			n := len(rawObjects(t, ipJSON(t, ns, "fdb")))
			if want := fmt.Sprintf(`ipdb_objects{table="fdb"} %d`, n); code != http.StatusOK || !strings.Contains(string(body), want) {
				return fmt.Errorf("metrics lack %q", want)
			}
			return nil
		})
	})
}

// TestMonitorFDBLikeBridge: monitor prints each FDB change in the words of
// `bridge monitor fdb`, running beside it.
func TestMonitorFDBLikeBridge(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add br0 type bridge",
			"link add p0 type veth peer name q0",
			"link set p0 master br0",
			"link add vx0 type vxlan id 42 dstport 4789 nolearning",
		)
		out, errs, stop := startCmd(t, "--netns", ns.Name, "monitor")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bm := exec.CommandContext(ctx, "bridge", "-n", ns.Name, "monitor", "fdb")
		bout := &lockedBuffer{}
		bm.Stdout = bout
		if err := bm.Start(); err != nil {
			t.Fatal(err)
		}
		defer bm.Wait()
		defer cancel()
		time.Sleep(300 * time.Millisecond) // both subscribed
		bridgeExec(t, ns, "fdb", "add", "02:00:00:00:00:aa", "dev", "p0", "master", "static")
		bridgeExec(t, ns, "fdb", "add", "02:00:00:00:00:bb", "dev", "vx0", "dst", "198.51.100.5", "vni", "9")
		bridgeExec(t, ns, "fdb", "del", "02:00:00:00:00:aa", "dev", "p0", "master")
		blines := waitFor(t, "bridge monitor", bout, func(s string) bool { return strings.Count(s, "02:00:00:00:00:") >= 3 })
		mine := waitFor(t, "ipdb monitor", out, func(s string) bool { return strings.Count(s, "fdb delete 02:00:00:00:00:aa") >= 1 })
		for _, l := range strings.Split(blines, "\n") {
			if !strings.Contains(l, "02:00:00:00:00:") {
				continue
			}
			want := "fdb add " + strings.TrimSpace(l)
			if rest, ok := strings.CutPrefix(l, "Deleted "); ok {
				want = "fdb delete " + strings.TrimSpace(rest)
			}
			if !strings.Contains(mine, want+"\n") {
				t.Errorf("ipdb monitor lacks %q\nipdb monitor:\n%s\nbridge monitor fdb:\n%s", want, mine, blines)
			}
		}
		if code := stop(); code != 0 {
			t.Errorf("monitor exit %d: %s", code, errs.String())
		}
	})
}

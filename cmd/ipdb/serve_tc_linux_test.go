package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// TestServeTCTables: /v1/qdiscs lists the qdiscs in tc's order (a link's
// root qdisc before its ingress or clsact qdisc) and as tc -j -d prints
// them; /v1/filters lists each filter once as /v1/watch?kind=filter&
// initial=1 sends it, a shared block's once with "block" and no "dev"
// (found by try7: /v1/qdiscs put ingress first, and /v1/filters repeated
// a block's filters under each bound link, so the watch's events could
// not be applied to it).
func TestServeTCTables(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		blockTC(t, ns)
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()

		var last error
		err := nstest.Eventually(10*time.Second, func() error {
			want := iproute2JSON(t, ns, []string{"tc", "-j", "-d", "qdisc", "show"})
			code, body := httpGet(t, hs.URL+"/v1/qdiscs")
			if code != http.StatusOK {
				t.Fatalf("/v1/qdiscs: %d %s", code, body)
			}
			last = oracle.CompareJSON(body, want, oracle.JSONOptions{Tolerance: tcStatsKeys})
			return last
		})
		if err != nil {
			t.Errorf("/v1/qdiscs differs from tc -j -d qdisc show, in order: %v", last)
		}

		code, body := httpGet(t, hs.URL+"/v1/filters")
		if code != http.StatusOK {
			t.Fatalf("/v1/filters: %d %s", code, body)
		}
		var table []map[string]any
		if err := json.Unmarshal(body, &table); err != nil {
			t.Fatal(err)
		}
		blocks := map[string]int{}
		for _, f := range table {
			if b, ok := f["block"]; ok {
				if d, ok := f["dev"]; ok {
					t.Errorf("/v1/filters: a block filter with dev %v: %v", d, f)
				}
				blocks[jsonNum(b)]++
			}
		}
		// u32: priority, hash table, rule; bpf: priority, filter.
		if blocks["22"] != 5 || blocks["23"] != 3 || len(blocks) != 2 {
			t.Errorf("/v1/filters: rows per block %v, want 5 of block 22 and 3 of block 23", blocks)
		}

		initial := watchInitial(t, hs.URL+"/v1/watch?kind=filter&initial=1")
		if err := oracle.CompareJSON(body, initial, oracle.JSONOptions{Unordered: true}); err != nil {
			t.Errorf("/v1/filters differs from the initial events of /v1/watch?kind=filter: %v", err)
		}
	})
}

// watchInitial reads a watch stream's initial events until none comes
// for a second and returns their "new" objects as a JSON array.
func watchInitial(t *testing.T, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			select {
			case lines <- append([]byte(nil), sc.Bytes()...):
			case <-ctx.Done():
				return
			}
		}
	}()
	objs := []json.RawMessage{}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("watch stream ended")
			}
			var ev struct {
				Op      string          `json:"op"`
				Initial bool            `json:"initial"`
				New     json.RawMessage `json:"new"`
			}
			if err := json.Unmarshal(l, &ev); err != nil {
				t.Fatalf("watch line %s: %v", l, err)
			}
			if !ev.Initial || ev.Op != "add" {
				t.Fatalf("watch: a line that is no initial add in a quiet namespace: %s", l)
			}
			objs = append(objs, ev.New)
		case <-time.After(time.Second):
			b, err := json.Marshal(objs)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatalf("watch: no initial events")
			}
			return b
		}
	}
}

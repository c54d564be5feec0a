package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// TestServeMatchesIP: the tables served over HTTP equal `ip -j` after live
// changes made with ip while the server runs; healthz, metrics and the
// watch stream work.
func TestServeMatchesIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 16)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()

		code, body := httpGet(t, hs.URL+"/healthz")
		if code != http.StatusOK {
			t.Fatalf("healthz: %d %s", code, body)
		}

		// A watch stream started before the changes sees them.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/v1/watch?kind=link,addr", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("watch content type %q", ct)
		}

		scriptedChanges(ns) // live, with the server up
		for _, table := range tables {
			compareWithIP(t, ns, table, func() []byte {
				code, body := httpGet(t, hs.URL+"/v1/"+table)
				if code != http.StatusOK {
					t.Fatalf("/v1/%s: %d %s", table, code, body)
				}
				return body
			})
		}

		// The stream shows the rename of mv0 as a change with old and new.
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		found := false
		deadline := time.AfterFunc(5*time.Second, cancel)
		defer deadline.Stop()
		for !found && sc.Scan() {
			var ev struct {
				Op   string         `json:"op"`
				Kind string         `json:"kind"`
				Rev  uint64         `json:"rev"`
				Old  map[string]any `json:"old"`
				New  map[string]any `json:"new"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("bad event line %q: %v", sc.Text(), err)
			}
			if ev.Kind != "link" && ev.Kind != "addr" {
				t.Errorf("kind filter let through %s", ev.Kind)
			}
			if ev.Op == "change" && ev.Kind == "link" && ev.Old["ifname"] == "mv0" && ev.New["ifname"] == "mv1" && ev.Rev > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("watch stream did not show the rename mv0 -> mv1 (err %v)", sc.Err())
		}
		cancel()

		code, body = httpGet(t, hs.URL+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("metrics: %d", code)
		}
		// As many links as ip lists: the test's six, and the kernel's
		// fallback tunnels (gre0, sit0...) where their modules are loaded.
		links := fmt.Sprintf(`ipdb_objects{table="links"} %d`, len(rawObjects(t, ipJSON(t, ns, "links"))))
		for _, want := range []string{links, "ipdb_revision ", "ipdb_events_total ", `ipdb_http_requests_total{code="200",endpoint="links"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

// TestServeBadRequests: unknown endpoints, methods and parameters get 4xx
// with a JSON error body.
func TestServeBadRequests(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 1)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		for _, c := range []struct {
			method, path string
			code         int
		}{
			{"GET", "/v1/nope", 404},
			{"GET", "/", 404},
			{"POST", "/v1/links", 405},
			{"DELETE", "/v1/watch", 405},
			{"GET", "/v1/routes?table=main", 400},
			{"GET", "/v1/watch?kind=bogus", 400},
			{"GET", "/v1/watch?initial=maybe", 400},
			{"GET", "/v1/links?%zz", 400},
			{"PUT", "/healthz", 405},
		} {
			req, _ := http.NewRequest(c.method, hs.URL+c.path, strings.NewReader("x"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e struct {
				Error string `json:"error"`
			}
			if resp.StatusCode != c.code || json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("%s %s: %d %q, want %d with a JSON error", c.method, c.path, resp.StatusCode, body, c.code)
			}
		}
		// Only one watch stream allowed: the second gets 503.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/v1/watch", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		code, body := httpGet(t, hs.URL+"/v1/watch")
		if code != http.StatusServiceUnavailable {
			t.Errorf("second watch: %d %s, want 503", code, body)
		}
	})
}

// TestServeLoad: 50 concurrent clients read the tables and 50 watch
// streams run while links change; half the streams disconnect mid-stream.
// Everything finishes in bounded time and no goroutine is left behind
// (goleak in TestMain).
func TestServeLoad(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 128)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 100}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 20 * time.Second}

		const clients, streams, rounds = 50, 50, 20
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, clients+streams)
		started := make(chan struct{}, streams)
		for i := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sctx, scancel := context.WithCancel(ctx)
				defer scancel()
				req, _ := http.NewRequestWithContext(sctx, "GET", hs.URL+"/v1/watch?initial=1", nil)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					started <- struct{}{}
					return
				}
				defer resp.Body.Close()
				started <- struct{}{}
				r := bufio.NewReader(resp.Body)
				limit := 1 << 30
				if i%2 == 0 {
					limit = 3 // disconnect mid-stream after a few events
				}
				for n := 0; n < limit; n++ {
					if _, err := r.ReadBytes('\n'); err != nil {
						return // server or test ended the stream
					}
				}
			}()
		}
		for range streams {
			<-started
		}
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					resp, err := client.Get(hs.URL + "/v1/" + tables[r%len(tables)])
					if err != nil {
						errs <- err
						return
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 {
						errs <- fmt.Errorf("status %d, %v", resp.StatusCode, err)
						return
					}
				}
			}()
		}
		for i := range 20 {
			ns.IP("link", "add", fmt.Sprintf("ld%d", i), "type", "bridge")
		}
		ns.IP("link", "set", "ld0", "up")
		time.Sleep(200 * time.Millisecond)
		cancel() // ends the remaining streams from the client side
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("clients did not finish in 20 s")
		}
		close(errs)
		for err := range errs {
			if ctx.Err() == nil || !strings.Contains(err.Error(), "context canceled") {
				t.Error(err)
			}
		}
		// The server is still healthy after the storm.
		code, _ := httpGet(t, hs.URL+"/healthz")
		if code != 200 {
			t.Errorf("healthz after load: %d", code)
		}
		// All watch handlers have ended.
		err := nstest.Eventually(5*time.Second, func() error {
			if n := len(srv.slots); n != 0 {
				return fmt.Errorf("%d watch handlers still running after their clients left", n)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
}

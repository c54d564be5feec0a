package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
)

// rawRequest sends raw bytes to addr and returns the response.
func rawRequest(t *testing.T, addr, req string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	return resp
}

// TestServeHTTPErrorsAreJSON: the errors net/http answers by itself, before
// any handler (a malformed request, headers too large, an unknown HTTP
// version), come as JSON like the server's own.
func TestServeHTTPErrorsAreJSON(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 1)
		defer srv.Close()
		hs := httptest.NewUnstartedServer(srv)
		hs.Config.MaxHeaderBytes = 4096
		hs.Listener = jsonErrorListener{Listener: hs.Listener, count: func(code int) { srv.count("other", code) }}
		hs.Start()
		defer hs.Close()
		addr := hs.Listener.Addr().String()
		for _, c := range []struct {
			name, req string
			code      int
		}{
			{"malformed request line", "GARBAGE\r\n\r\n", 400},
			{"no Host header", "GET /healthz HTTP/1.1\r\n\r\n", 400},
			{"headers too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", 431},
			{"HTTP version", "GET /healthz HTTP/9.0\r\nHost: x\r\n\r\n", 505},
			{"transfer encoding", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n", 501},
		} {
			resp := rawRequest(t, addr, c.req)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code {
				t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.code, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: content type %q", c.name, ct)
			}
			var e struct {
				Error  string `json:"error"`
				Status int    `json:"status"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Status != c.code || e.Error == "" {
				t.Errorf("%s: body %q is not {\"error\": ..., \"status\": %d}: %v", c.name, body, c.code, err)
			}
		}
		// Handlers' answers pass through untouched.
		code, body := httpGet(t, hs.URL+"/healthz")
		if code != 200 || !strings.Contains(string(body), `"status":"ok"`) {
			t.Errorf("healthz: %d %s", code, body)
		}
		_, metrics := httpGet(t, hs.URL+"/metrics")
		if !strings.Contains(string(metrics), `ipdb_http_requests_total{code="431",endpoint="other"} 1`) {
			t.Errorf("the rewritten errors are not counted:\n%s", metrics)
		}
	})
}

// TestServeWatchBye: a watch stream that the server ends (shutdown) gets a
// last line saying so.
func TestServeWatchBye(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		db := dbtest.Open(t, ns)
		srv := newServer(db, 4)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		resp, err := http.Get(hs.URL + "/v1/watch?initial=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		if !sc.Scan() {
			t.Fatalf("no initial event: %v", sc.Err())
		}
		srv.Close()
		var last string
		for sc.Scan() {
			last = sc.Text()
		}
		var bye struct {
			Op, Reason string
		}
		if err := json.Unmarshal([]byte(last), &bye); err != nil || bye.Op != "bye" || bye.Reason != "server shutting down" {
			t.Fatalf("last line %q, want a bye with the reason (%v)", last, err)
		}
	})
}

// TestServeWatchSlowReaderDropped: a client that stops reading is dropped
// after the write timeout, and its stream's slot is freed.
func TestServeWatchSlowReaderDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 30 s write timeout")
	}
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link set lo up", "link add br0 type bridge")
		db := dbtest.Open(t, ns)
		srv := newServer(db, 1)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		defer srv.Close()
		// A client that reads the headers and then nothing, with a small
		// receive buffer so that the server's writes block soon.
		c, err := net.Dial("tcp", hs.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(4096)
		fmt.Fprintf(c, "GET /v1/watch HTTP/1.1\r\nHost: x\r\n\r\n")
		// Many events: MTU changes of br0.
		start := time.Now()
		var lines []string
		for i := range 30000 {
			lines = append(lines, fmt.Sprintf("link set br0 mtu %d", 1300+i%200))
		}
		ns.Batch(lines...)
		// The only slot is taken until the stream is dropped.
		err = nstest.Eventually(watchWriteTimeout+30*time.Second, func() error {
			resp, err := http.Get(hs.URL + "/v1/watch")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("/v1/watch: %d", resp.StatusCode)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("the stalled stream was not dropped after %v: %v", time.Since(start), err)
		}
		if took := time.Since(start); took < watchWriteTimeout-time.Second {
			t.Errorf("stream dropped after %v, before the write timeout", took)
		} else {
			t.Logf("stalled stream dropped after %v", took.Round(time.Second))
		}
	})
}

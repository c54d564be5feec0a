package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// net/http answers requests it cannot parse (400 Bad Request, 431 Request
// Header Fields Too Large, 501 for an unknown transfer encoding, 505 HTTP
// Version Not Supported) itself, before any handler runs, with a plain-text
// body written straight to the connection in one write (net/http
// server.go, conn.serve). The README promises a JSON error body for every
// error, so jsonErrorListener's connections recognise that one write by its
// fixed headers and send the same status with a JSON body instead.

// httpErrorHeaders are the headers net/http writes with its own errors.
const httpErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// jsonErrorListener wraps a listener so that net/http's own error answers
// are JSON: {"error": "...", "status": N}. count, if not nil, is called
// with each such status.
type jsonErrorListener struct {
	net.Listener
	count func(code int)
}

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c, count: l.count}, nil
}

type jsonErrorConn struct {
	net.Conn
	count func(code int)
}

// Write passes everything through but net/http's own plain-text errors,
// which it rewrites as JSON.
func (c *jsonErrorConn) Write(p []byte) (int, error) {
	body, ok := rewriteHTTPError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if c.count != nil {
		code, _ := strconv.Atoi(string(p[9:12]))
		c.count(code)
	}
	if _, err := c.Conn.Write(body); err != nil {
		return 0, err
	}
	return len(p), nil
}

// rewriteHTTPError returns the JSON version of a complete plain-text error
// response written by net/http, or false if p is something else.
func rewriteHTTPError(p []byte) ([]byte, bool) {
	if len(p) < 13 || !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || p[12] != ' ' {
		return nil, false
	}
	i := bytes.Index(p, []byte(httpErrorHeaders))
	if i < 0 || bytes.IndexByte(p[:i], '\n') >= 0 {
		return nil, false // more headers than net/http's own: a handler's response
	}
	code, err := strconv.Atoi(string(p[9:12]))
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	msg := string(p[i+len(httpErrorHeaders):])
	if msg == "" {
		msg = http.StatusText(code)
	}
	js, _ := json.Marshal(map[string]any{"error": msg, "status": code})
	js = append(js, '\n')
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
		code, http.StatusText(code), len(js))
	b.Write(js)
	return b.Bytes(), true
}

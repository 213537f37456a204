package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRawConnReadsEveryBodyShape sends requests one after the other on one
// connection to answers of every framing the raw client reads; a body left
// unread would show as a garbled next answer.
func TestRawConnReadsEveryBodyShape(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/length":
			w.Write([]byte(`{"ok":true}`))
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 5000))) // beyond the buffer: chunked
			w.(http.Flusher).Flush()
			w.Write([]byte("tail"))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	base, _ := url.Parse(srv.URL)
	c := &rawConn{addr: base.Host}
	defer c.close()
	deadline := time.Now().Add(5 * time.Second)
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/length", "tok", 200}, {"/chunked", "tok", 200}, {"/empty", "tok", 204},
		{"/length", "", 401}, {"/chunked", "tok", 200}, {"/length", "tok", 200},
	} {
		u := *base
		u.Path = tt.path
		code, err := c.do(context.Background(), rawRequest(&u, tt.token), deadline)
		if err != nil || code != tt.want {
			t.Fatalf("GET %s: %d, %v; want %d", tt.path, code, err, tt.want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for keep-alive answers, want 1", n)
	}
	u := *base
	u.Path = "/close"
	for range 2 {
		if code, err := c.do(context.Background(), rawRequest(&u, "tok"), deadline); err != nil || code != 200 {
			t.Fatalf("GET /close: %d, %v", code, err)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after two Connection: close answers, want 2 (the second dials again)", n)
	}
}

func TestRawConnRefusesMalformedAnswers(t *testing.T) {
	for name, answer := range map[string]string{
		"not HTTP":           "SSH-2.0-OpenSSH\r\n",
		"bad status":         "HTTP/1.1 2x0 OK\r\n\r\n",
		"bad length":         "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
		"header without ':'": "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n",
		"bad chunk":          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"cut off":            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				bufio.NewReader(conn).ReadString('\n')
				conn.Write([]byte(answer))
			}()
			c := &rawConn{addr: ln.Addr().String()}
			u := &url.URL{Scheme: "http", Host: c.addr, Path: "/"}
			code, err := c.do(context.Background(), rawRequest(u, "t"), time.Now().Add(5*time.Second))
			if err == nil {
				t.Errorf("answer %q: status %d, no error", answer, code)
			}
			if c.c != nil {
				t.Error("the connection was kept after an error")
			}
		})
	}
}

func TestLoadKeepsConnectionsAcrossRuns(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	l := Load{URL: srv.URL + "/x", Tokens: []string{"a"}, Concurrency: 2, Conns: &Conns{}}
	defer l.Conns.Close()
	for range 3 {
		if m := l.Run(context.Background(), 50*time.Millisecond); m.Statuses[200] == 0 || len(m.Statuses) != 1 {
			t.Fatalf("statuses %v, want only 200", m.Statuses)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections over 3 runs of 2 clients, want 2", n)
	}
}

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenServer answers 200 to the bearer tokens in ok and 401 to any other,
// and counts the requests per token.
func tokenServer(t *testing.T, ok ...string) (*httptest.Server, func() map[string]int) {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		seen[tok]++
		mu.Unlock()
		for _, o := range ok {
			if tok == o {
				w.Write([]byte(`{"ok":true}`))
				return
			}
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}

func TestLoadRunCountsStatusesAndUsesEveryToken(t *testing.T) {
	for _, netHTTP := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "nethttp"}[netHTTP], func(t *testing.T) {
			testLoadRun(t, netHTTP)
		})
	}
}

func testLoadRun(t *testing.T, netHTTP bool) {
	srv, seen := tokenServer(t, "a", "b", "c")
	l := Load{URL: srv.URL, Tokens: []string{"a", "b", "c", "bad"}, Concurrency: 3, NetHTTP: netHTTP}
	m := l.Run(context.Background(), 300*time.Millisecond)
	if len(m.Latencies) == 0 {
		t.Fatal("no requests measured")
	}
	total := 0
	for _, n := range m.Statuses {
		total += n
	}
	if total != len(m.Latencies) {
		t.Errorf("%d statuses counted for %d latencies", total, len(m.Latencies))
	}
	if m.Statuses[200] == 0 || m.Statuses[401] == 0 {
		t.Errorf("statuses %v: want both 200 (good tokens) and 401 (the bad one)", m.Statuses)
	}
	for _, tok := range l.Tokens {
		if seen()[tok] == 0 {
			t.Errorf("token %q never sent (seen %v)", tok, seen())
		}
	}
	for i := 1; i < len(m.Latencies); i++ {
		if m.Latencies[i] < m.Latencies[i-1] {
			t.Fatalf("latencies not sorted at %d", i)
		}
	}
}

func TestLoadRunCountsTransportErrors(t *testing.T) {
	srv, _ := tokenServer(t, "a")
	url := srv.URL
	srv.Close()
	m := Load{URL: url, Tokens: []string{"a"}, Concurrency: 2}.Run(context.Background(), 100*time.Millisecond)
	if m.Statuses[0] == 0 || len(m.Statuses) != 1 {
		t.Errorf("statuses %v: want only transport errors (status 0)", m.Statuses)
	}
}

func TestLoadTouch(t *testing.T) {
	srv, seen := tokenServer(t, "a", "b")
	if err := (Load{URL: srv.URL, Tokens: []string{"a", "b"}, Concurrency: 2}).Touch(context.Background()); err != nil {
		t.Errorf("Touch with good tokens: %v", err)
	}
	if s := seen(); s["a"] != 1 || s["b"] != 1 {
		t.Errorf("Touch sent %v, want each token once", s)
	}
	err := Load{URL: srv.URL, Tokens: []string{"a", "x", "b"}, Concurrency: 2}.Touch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "token 2 of 3 answered 401") {
		t.Errorf("Touch with a bad token: %v, want it named", err)
	}
}

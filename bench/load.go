package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Load is a closed-loop load generator: Concurrency clients, each with its
// own keep-alive connection, send GET URL one after the other (a client
// sends its next request when the previous answer has been read) until the
// duration is over or the context is done; a request sent is read to its
// end. Run speaks HTTP/1.1 on the socket (rawConn), Touch goes through
// net/http.
type Load struct {
	// URL is requested by every client.
	URL string
	// Tokens are sent as "Authorization: Bearer <token>", round robin: client
	// i starts at token i and steps by Concurrency, so every token is used.
	Tokens []string
	// Concurrency is the number of clients.
	Concurrency int
	// Conns, when set, keeps the connections of Run from one Run to the
	// next (the caller closes them); nil: each Run opens and closes its own.
	Conns *Conns
	// NetHTTP sends Run's requests through net/http's client instead of
	// rawConn: the load generator of earlier runs, which spends about as
	// much CPU per request as the server under test.
	NetHTTP bool
}

// requestTimeout bounds one request of Run: an answer slower than that is
// a transport error.
const requestTimeout = 30 * time.Second

// Measurement is the raw outcome of one Load.Run.
type Measurement struct {
	// Latencies are the sorted latencies of every request that got an answer
	// or an error.
	Latencies []time.Duration
	// Statuses counts responses by status; 0 counts transport errors.
	Statuses map[int]int
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// newClient returns an HTTP client keeping up to n connections to loopback.
func newClient(n int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        n,
			MaxIdleConnsPerHost: n,
			MaxConnsPerHost:     n,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// Run drives the load for at most d, and until ctx is done. It never fails:
// transport errors are counted as status 0.
func (l Load) Run(ctx context.Context, d time.Duration) Measurement {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	target, err := url.Parse(l.URL)
	if err != nil || target.Host == "" {
		return Measurement{Statuses: map[int]int{0: 1}}
	}
	conns := l.Conns
	if conns == nil {
		conns = &Conns{}
		defer conns.Close()
	}
	reqs := make([][]byte, max(len(l.Tokens), 1))
	for i := range reqs {
		tok := ""
		if len(l.Tokens) > 0 {
			tok = l.Tokens[i]
		}
		reqs[i] = rawRequest(target, tok)
	}
	deadline := time.Now().Add(d + requestTimeout)
	type partial struct {
		lat      []time.Duration
		statuses map[int]int
	}
	parts := make([]partial, l.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range l.Concurrency {
		wg.Go(func() {
			p := partial{lat: make([]time.Duration, 0, 4096), statuses: map[int]int{}}
			c := conns.take(i, target.Host)
			for k := i; ctx.Err() == nil; k += l.Concurrency {
				t0 := time.Now()
				var code int
				if l.NetHTTP {
					code = get(ctx, conns.client(l.Concurrency), l.URL, tokenAt(l.Tokens, k))
				} else {
					code, _ = c.do(ctx, reqs[k%len(reqs)], deadline) // an error is status 0
				}
				if code == 0 && ctx.Err() != nil {
					break // cut off by the end of the run, not a failure
				}
				p.lat = append(p.lat, time.Since(t0))
				p.statuses[code]++
			}
			parts[i] = p
		})
	}
	wg.Wait()
	m := Measurement{Statuses: map[int]int{}, Elapsed: time.Since(start)}
	for _, p := range parts {
		m.Latencies = append(m.Latencies, p.lat...)
		for code, n := range p.statuses {
			m.Statuses[code] += n
		}
	}
	slices.Sort(m.Latencies)
	return m
}

// tokenAt is the k-th token, round robin, or "" without tokens.
func tokenAt(tokens []string, k int) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[k%len(tokens)]
}

// get sends one GET and returns its status, or 0 on a transport error.
// The body is read to the end so that the connection is reused.
func get(ctx context.Context, c *http.Client, url, token string) int {
	return send(ctx, c, http.MethodGet, url, token)
}

// send sends one request without a body and returns its status, or 0 on a
// transport error; see get.
func send(ctx context.Context, c *http.Client, method, url, token string) int {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0
	}
	return resp.StatusCode
}

// Touch sends one request per token, concurrency at a time, and returns an
// error naming the first token index that was not answered 200. It warms up
// connections and caches, and lets per-session first-use writes (the
// example's last_used_ip hook) happen before a measurement.
func (l Load) Touch(ctx context.Context) error {
	client := newClient(l.Concurrency)
	defer client.CloseIdleConnections()
	errs := make(chan error, len(l.Tokens))
	sem := make(chan struct{}, l.Concurrency)
	var wg sync.WaitGroup
	for i, tok := range l.Tokens {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if code := get(ctx, client, l.URL, tok); code != http.StatusOK {
				errs <- fmt.Errorf("warm-up: token %d of %d answered %d, want 200", i+1, len(l.Tokens), code)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

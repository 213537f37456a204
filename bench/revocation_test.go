package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/internal/pgtest"
)

// instancePair fakes instances A and B of the app over one set of
// revoked tokens: A's logout revokes the token it is called with (204);
// B answers its poll path 200 for a token not revoked and 401 for a
// revoked one, but only from the lag-th request after the revocation on
// (the notification on its way). bStatus, when set, overrides B's answer.
type instancePair struct {
	mu      sync.Mutex
	revoked map[string]int // token → B's requests since its revocation
	lag     int
	aStatus int // A's answer to a logout (0: 204)
	bStatus func(token string, revoked bool) int
	a, b    *httptest.Server
}

func newInstancePair(t *testing.T, lag int) *instancePair {
	t.Helper()
	p := &instancePair{revoked: map[string]int{}, lag: lag}
	bearer := func(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }
	p.a = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != logoutPath {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.aStatus != 0 {
			w.WriteHeader(p.aStatus)
			return
		}
		p.revoked[bearer(r)] = 0
		w.WriteHeader(http.StatusNoContent)
	}))
	p.b = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != loadPath {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		tok := bearer(r)
		p.mu.Lock()
		defer p.mu.Unlock()
		n, revoked := p.revoked[tok]
		if revoked {
			n++
			p.revoked[tok] = n
		}
		code := http.StatusOK
		if revoked && n >= p.lag {
			code = http.StatusUnauthorized
		}
		if p.bStatus != nil {
			code = p.bStatus(tok, revoked)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(p.a.Close)
	t.Cleanup(p.b.Close)
	return p
}

func TestRevokerPollsUntilRefused(t *testing.T) {
	p := newInstancePair(t, 3)
	r := newRevoker(p.a.URL, p.b.URL)
	defer r.close()
	tm, err := r.revoke(context.Background(), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if tm.Polls != 3 {
		t.Errorf("polls = %d, want 3 (B refuses at its third request after the logout)", tm.Polls)
	}
	if tm.Sent.IsZero() || tm.Answered.Before(tm.Sent) || tm.Accepted.Before(tm.Answered) || tm.Refused.Before(tm.Accepted) {
		t.Errorf("instants out of order: sent %v, answered %v, last accepted %v, refused %v", tm.Sent, tm.Answered, tm.Accepted, tm.Refused)
	}
}

func TestRevokerErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *instancePair, r *revoker)
		want  string
	}{
		{"B refuses before the logout", func(p *instancePair, r *revoker) {
			p.bStatus = func(string, bool) int { return http.StatusUnauthorized }
		}, "before the logout B answered 401, want 200"},
		{"A refuses the logout", func(p *instancePair, r *revoker) { p.aStatus = http.StatusUnauthorized },
			"logout on A answered 401, want 204"},
		{"B fails while polled", func(p *instancePair, r *revoker) {
			p.bStatus = func(_ string, revoked bool) int {
				if revoked {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			}
		}, "polling B after the logout: answered 503"},
		{"B never refuses", func(p *instancePair, r *revoker) { r.timeout = 0 }, "B still accepts the token"},
		{"A unreachable", func(p *instancePair, r *revoker) { p.a.Close() }, "logout on A answered a transport error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newInstancePair(t, 1_000_000)
			r := newRevoker(p.a.URL, p.b.URL)
			defer r.close()
			tt.setup(p, &r)
			if _, err := r.revoke(context.Background(), "tok"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("revoke: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewRevocationStats(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	times := []revocationTimes{
		{Sent: ms(0), Answered: ms(5), Refused: ms(9), Polls: 2, Accepted: ms(6), RefusingPoll: 3 * time.Millisecond, AcceptedPolls: []time.Duration{time.Millisecond}},                                    // refused 4 ms after A's answer
		{Sent: ms(100), Answered: ms(102), Refused: ms(162), Polls: 30, Accepted: ms(160), RefusingPoll: 2 * time.Millisecond, AcceptedPolls: []time.Duration{2 * time.Millisecond, 4 * time.Millisecond}}, // 60 ms: over the target
		{Sent: ms(200), Answered: ms(210), Refused: ms(260), Polls: 1, RefusingPoll: 50 * time.Millisecond},                                                                                                // 50 ms: within
	}
	notified := []time.Time{ms(4), {}, ms(203)}
	s := newRevocationStats(times, notified)
	d := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, x := range n {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	checks := []struct {
		name      string
		got, want []time.Duration
	}{
		{"Logout", s.Logout, d(2, 5, 10)},
		{"Refused", s.Refused, d(4, 50, 60)},
		{"RefusedFrom", s.RefusedFrom, d(0, 1, 58)},
		{"Total", s.Total, d(9, 60, 62)},
		{"Notified", s.Notified, d(3, 4)},
		{"BPart", s.BPart, d(5, 57)},
		{"RefusingPoll", s.RefusingPoll, d(2, 3, 50)},
		{"AcceptedPoll", s.AcceptedPoll, d(1, 2, 4)},
	}
	for _, c := range checks {
		if len(c.got) != len(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
			continue
		}
		for i := range c.want {
			if c.got[i] != c.want[i] {
				t.Errorf("%s = %v, want %v (sorted)", c.name, c.got, c.want)
				break
			}
		}
	}
	if s.Count != 3 || s.Polls != 33 || s.Within != 2 {
		t.Errorf("count %d, polls %d, within %d; want 3, 33, 2", s.Count, s.Polls, s.Within)
	}
}

func TestFormatRevocations(t *testing.T) {
	if got := FormatRevocations([]Result{{Scenario: "steady"}}); got != "" {
		t.Errorf("no revocation results: got %q, want no table", got)
	}
	ms := time.Millisecond
	s := RevocationStats{
		Count:        4,
		Logout:       []time.Duration{2 * ms, 3 * ms, 4 * ms, 5 * ms},
		Notified:     []time.Duration{3 * ms, 4 * ms, 5 * ms},
		Refused:      []time.Duration{1 * ms, 2 * ms, 3 * ms, 70 * ms},
		RefusedFrom:  []time.Duration{0, 0, ms, 60 * ms},
		Total:        []time.Duration{4 * ms, 5 * ms, 6 * ms, 75 * ms},
		BPart:        []time.Duration{500 * time.Microsecond, ms, 66 * ms},
		RefusingPoll: []time.Duration{ms, ms, ms, 12 * ms},
		Polls:        10,
		Within:       3,
	}
	got := FormatRevocations([]Result{{Scenario: "steady"}, {Scenario: "revocation", Server: "B", Rows: 10_000, Revocation: &s}})
	want := `B, 10k rows: 4 revocations; refused on B within 50 ms of A's 204: 3 (75.0 %); 2.5 polls of B per revocation; notifications seen by the bare listener: 3 of 4

| stage | p50 | p99 | max |
|---|---|---|---|
| logout on A (POST /auth/logout round trip) | 3.00 ms | 5.00 ms | 5.00 ms |
| NOTIFY at a bare listener, from the logout sent | 4.00 ms | 5.00 ms | 5.00 ms |
| **refused on B, from A's 204** | 2.00 ms | 70.0 ms | 70.0 ms |
| refused on B, from A's 204: lower bound (the last poll B answered 200 sent) | 0 µs | 60.0 ms | 60.0 ms |
| refused on B, from the logout sent | 5.00 ms | 75.0 ms | 75.0 ms |
| refused on B, from the bare listener's NOTIFY | 1.00 ms | 66.0 ms | 66.0 ms |
| the refusing poll's round trip (a cache miss: one database read) | 1.00 ms | 12.0 ms | 12.0 ms |
| the polls B still answered 200 (cache hits) | – | – | – |
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	two := FormatRevocations([]Result{{Server: "B", Rows: 10_000, Revocation: &s}, {Server: "B", Rows: 1_000_000, Revocation: &s}})
	if !strings.Contains(two, "|\n\nB, 1M rows: 4 revocations") {
		t.Errorf("two results: want the second block after a blank line:\n%s", two)
	}
}

func TestListenerTrouble(t *testing.T) {
	out := `level=INFO msg="listening"
level=WARN msg="authentify: cache listener lost its connection; the cache serves nothing until it is back"
level=WARN msg="authentify: cache listener lags; the cache serves nothing until it catches up"
level=INFO msg="authentify: cache listener caught up; the cache serves again (emptied)"`
	if got := listenerTrouble(out); got != 2 {
		t.Errorf("listenerTrouble = %d, want 2", got)
	}
	if got := listenerTrouble("level=INFO msg=listening"); got != 0 {
		t.Errorf("listenerTrouble of a quiet log = %d, want 0", got)
	}
}

// TestRevocationScenarioSmoke runs the revocation scenario end to end with
// tiny counts: the example app built and started twice on a scratch
// database of the test server, a few revocations on A refused on B. It
// checks that every revocation was measured and nothing failed, never how
// fast.
func TestRevocationScenarioSmoke(t *testing.T) {
	cfg, err := parseFlags([]string{"-db=" + pgtest.AdminURL(), "-rows=50", "-sessions=10", "-revocations=5",
		"-duration=200ms", "-warmup=0", "-concurrency=2", "-scenarios=revocation"})
	if err != nil {
		t.Fatal(err)
	}
	results, err := run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("got %d results, want the revocation scenario's one: %+v", len(results), results)
	}
	r := results[0]
	if r.Skipped != "" {
		t.Fatalf("the revocation scenario did not run (the example app of this repository has the cache): %s", r.Skipped)
	}
	if r.Failed() || r.Requests == 0 {
		t.Errorf("revocation run failed or made no requests: %+v", r)
	}
	if r.Revocation == nil || r.Revocation.Count != 5 || len(r.Revocation.Refused) != 5 {
		t.Fatalf("revocation stats %+v, want 5 revocations measured", r.Revocation)
	}
	if r.Revocation.Polls < 5 {
		t.Errorf("%d polls of B for 5 revocations, want at least one each", r.Revocation.Polls)
	}
	if table := FormatRevocations(results); !strings.Contains(table, ": 5 revocations;") {
		t.Errorf("revocation table without the 5 revocations:\n%s", table)
	}
}

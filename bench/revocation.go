package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5"
)

// RevocationTarget is the revocation latency issue 10 asks for: a token
// revoked on instance A is refused on instance B within it.
const RevocationTarget = 50 * time.Millisecond

// revocationTimeout bounds the wait for B to refuse one revoked token; a
// token B still accepts after it fails the run.
const revocationTimeout = 10 * time.Second

// logoutPath is the example app's route that revokes the session of the
// token it is called with (204).
const logoutPath = "/auth/logout"

// revocationTimes are the instants of one revocation, as the bench process
// saw them.
type revocationTimes struct {
	Sent     time.Time // the logout request to A is about to be sent
	Answered time.Time // A's 204 has been read
	Refused  time.Time // B's first 401 has been read
	Polls    int       // requests to B after A's answer, the 401 included
	// Accepted is when the last poll that B answered 200 was sent (zero
	// when the first poll got the 401): B stopped accepting the token
	// between it and Refused.
	Accepted time.Time
	// RefusingPoll is the round trip of the poll B answered 401;
	// AcceptedPolls those of the polls it answered 200.
	RefusingPoll  time.Duration
	AcceptedPolls []time.Duration
}

// revoker revokes sessions on instance A over HTTP and polls instance B
// until it refuses them; each instance gets one keep-alive connection.
type revoker struct {
	a, b     string // base URLs of the instances
	clientA  *http.Client
	clientB  *http.Client
	timeout  time.Duration // the longest wait for B's refusal
	pollPath string        // the route polled on B (loadPath)
}

func newRevoker(a, b string) revoker {
	return revoker{a: a, b: b, clientA: newClient(1), clientB: newClient(1), timeout: revocationTimeout, pollPath: loadPath}
}

// close closes the idle connections of the clients.
func (r revoker) close() {
	r.clientA.CloseIdleConnections()
	r.clientB.CloseIdleConnections()
}

// revoke checks that B accepts token (so that B has it cached: a 200 of a
// cache-on instance leaves the token in its cache), logs it out on A, and
// polls B with it, one request after the other, until B answers 401.
// Any other answer, or B still accepting the token after r.timeout, is an
// error.
func (r revoker) revoke(ctx context.Context, token string) (revocationTimes, error) {
	var t revocationTimes
	if code := get(ctx, r.clientB, r.b+r.pollPath, token); code != http.StatusOK {
		return t, fmt.Errorf("before the logout B answered %s, want 200", statusText(code))
	}
	t.Sent = time.Now()
	code := send(ctx, r.clientA, http.MethodPost, r.a+logoutPath, token)
	t.Answered = time.Now()
	if code != http.StatusNoContent {
		return t, fmt.Errorf("logout on A answered %s, want 204", statusText(code))
	}
	for {
		sent := time.Now()
		code := get(ctx, r.clientB, r.b+r.pollPath, token)
		now := time.Now()
		t.Polls++
		switch code {
		case http.StatusUnauthorized:
			t.Refused, t.RefusingPoll = now, now.Sub(sent)
			return t, nil
		case http.StatusOK:
			t.Accepted = sent
			t.AcceptedPolls = append(t.AcceptedPolls, now.Sub(sent))
			if now.Sub(t.Answered) > r.timeout {
				return t, fmt.Errorf("B still accepts the token %s after A's answer (%d polls)", r.timeout, t.Polls)
			}
		default:
			if err := ctx.Err(); err != nil {
				return t, err
			}
			return t, fmt.Errorf("polling B after the logout: answered %s, want 200 or 401", statusText(code))
		}
	}
}

// statusText names an HTTP status, 0 being a transport error.
func statusText(code int) string {
	if code == 0 {
		return "a transport error"
	}
	return strconv.Itoa(code)
}

// RevocationStats is what the revocation scenario measured: the latencies
// of each stage of every revocation, sorted.
type RevocationStats struct {
	// Count is the number of revocations.
	Count int
	// Logout is A's logout round trip: the request sent until its 204 read.
	Logout []time.Duration
	// Notified is from the logout request sent until a bare listener in
	// the bench process read the revocation's notification; it has fewer
	// than Count samples when some were not seen.
	Notified []time.Duration
	// Refused is from A's 204 read until B's first 401 read: what a client
	// of A waits, after its logout returned, for B to refuse the token.
	Refused []time.Duration
	// RefusedFrom is the lower bound of Refused that the polls' resolution
	// allows: from A's 204 read until the last poll B answered 200 was sent
	// (0 when B refused the first poll). B started refusing in between.
	RefusedFrom []time.Duration
	// Total is from the logout request sent until B's first 401 read.
	Total []time.Duration
	// BPart is from the bare listener's notification until B's first 401
	// read, for the revocations whose notification it saw: B's share (its
	// listener's connection, its scheduler, the poll's round trip).
	BPart []time.Duration
	// RefusingPoll are the round trips of the polls B answered 401 (a
	// cache miss and a database read), AcceptedPoll those it answered 200
	// after the logouts (cache hits, but for the polls that raced the
	// notification).
	RefusingPoll, AcceptedPoll []time.Duration
	// Polls counts the requests to B after the logouts (the 401s included).
	Polls int
	// Within counts the revocations with Refused at most RevocationTarget.
	Within int
}

// newRevocationStats summarizes times; notified[i], when not zero, is when
// the notification of revocation i reached the bare listener.
func newRevocationStats(times []revocationTimes, notified []time.Time) RevocationStats {
	s := RevocationStats{Count: len(times)}
	for i, t := range times {
		s.Logout = append(s.Logout, t.Answered.Sub(t.Sent))
		s.Refused = append(s.Refused, t.Refused.Sub(t.Answered))
		s.RefusedFrom = append(s.RefusedFrom, max(0, t.Accepted.Sub(t.Answered)))
		s.Total = append(s.Total, t.Refused.Sub(t.Sent))
		if i < len(notified) && !notified[i].IsZero() {
			s.Notified = append(s.Notified, notified[i].Sub(t.Sent))
			s.BPart = append(s.BPart, t.Refused.Sub(notified[i]))
		}
		s.Polls += t.Polls
		s.RefusingPoll = append(s.RefusingPoll, t.RefusingPoll)
		s.AcceptedPoll = append(s.AcceptedPoll, t.AcceptedPolls...)
		if t.Refused.Sub(t.Answered) <= RevocationTarget {
			s.Within++
		}
	}
	for _, d := range [][]time.Duration{s.Logout, s.Notified, s.Refused, s.RefusedFrom, s.Total, s.BPart, s.RefusingPoll, s.AcceptedPoll} {
		slices.Sort(d)
	}
	return s
}

// FormatRevocations renders the revocation stats of results: for each, a
// line with the counts and a Markdown table of the stages' latencies (p50,
// p99, max). It returns "" when no result has any.
func FormatRevocations(results []Result) string {
	var b strings.Builder
	for _, r := range results {
		s := r.Revocation
		if s == nil || s.Count == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s, %s rows: %d revocations; refused on B within %d ms of A's 204: %d (%.1f %%); %.1f polls of B per revocation; notifications seen by the bare listener: %d of %d\n\n",
			r.Server, fmtCount(r.Rows), s.Count, RevocationTarget.Milliseconds(), s.Within, 100*float64(s.Within)/float64(s.Count),
			float64(s.Polls)/float64(s.Count), len(s.Notified), s.Count)
		b.WriteString("| stage | p50 | p99 | max |\n|---|---|---|---|\n")
		for _, st := range []struct {
			name    string
			samples []time.Duration
		}{
			{"logout on A (POST " + logoutPath + " round trip)", s.Logout},
			{"NOTIFY at a bare listener, from the logout sent", s.Notified},
			{"**refused on B, from A's 204**", s.Refused},
			{"refused on B, from A's 204: lower bound (the last poll B answered 200 sent)", s.RefusedFrom},
			{"refused on B, from the logout sent", s.Total},
			{"refused on B, from the bare listener's NOTIFY", s.BPart},
			{"the refusing poll's round trip (a cache miss: one database read)", s.RefusingPoll},
			{"the polls B still answered 200 (cache hits)", s.AcceptedPoll},
		} {
			if len(st.samples) == 0 {
				fmt.Fprintf(&b, "| %s | – | – | – |\n", st.name)
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", st.name, fmtLatency(Percentile(st.samples, 50)),
				fmtLatency(Percentile(st.samples, 99)), fmtLatency(st.samples[len(st.samples)-1]))
		}
	}
	return b.String()
}

// notifyWatch records when the notifications on the cache's channel reach
// a listener of its own: a bare pgx connection in the bench process, which
// runs no authentify code, for the part of the latency that is PostgreSQL's.
type notifyWatch struct {
	mu     sync.Mutex
	at     map[string][]time.Time // by payload, in order of arrival
	stop   context.CancelFunc
	done   chan error
	conn   *pgx.Conn
	closed sync.Once
	err    error // close's result
}

// watchNotifications connects to dbURL and listens on the example's cache
// channel until close.
func watchNotifications(ctx context.Context, dbURL string) (*notifyWatch, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("notification watch: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{auth.CacheChannel}.Sanitize()); err != nil {
		_ = conn.Close(ctx)
		return nil, fmt.Errorf("notification watch: %w", err)
	}
	wctx, stop := context.WithCancel(ctx)
	w := &notifyWatch{at: map[string][]time.Time{}, stop: stop, done: make(chan error, 1), conn: conn}
	go func() {
		for {
			n, err := conn.WaitForNotification(wctx)
			if err != nil {
				w.done <- err
				return
			}
			now := time.Now()
			w.mu.Lock()
			w.at[n.Payload] = append(w.at[n.Payload], now)
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// arrival returns when payload first arrived at or after since.
func (w *notifyWatch) arrival(payload string, since time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.at[payload] {
		if !t.Before(since) {
			return t, true
		}
	}
	return time.Time{}, false
}

// close stops listening and closes the connection. It returns an error if
// the listener had failed before; it may be called more than once.
func (w *notifyWatch) close() error {
	w.closed.Do(func() {
		w.stop()
		err := <-w.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.conn.Close(ctx)
		if !errors.Is(err, context.Canceled) {
			w.err = fmt.Errorf("notification watch: %w", err)
		}
	})
	return w.err
}

// mintSessions adds n sessions cloned from the template row and returns
// their access tokens and row ids.
func (b *bench) mintSessions(ctx context.Context, n int) ([]string, []int64, error) {
	tokens, err := runtime.NewTokens(auth.Prefix, auth.DefaultSettings())
	if err != nil {
		return nil, nil, fmt.Errorf("mint tokens: %w", err)
	}
	raws := make([]string, n)
	hashes := make([][]byte, n)
	for i := range n {
		raw, hash, err := tokens.Mint(runtime.KindAccess)
		if err != nil {
			return nil, nil, fmt.Errorf("mint tokens: %w", err)
		}
		raws[i], hashes[i] = raw.Reveal(), hash
	}
	if err := cloneRows(ctx, b.pool, b.template, cloneSpec{Hashes: hashes}); err != nil {
		return nil, nil, err
	}
	rows, err := b.pool.Query(ctx, "SELECT access_hash, id FROM "+tokenTable+" WHERE access_hash = ANY($1)", hashes)
	if err != nil {
		return nil, nil, fmt.Errorf("ids of the new sessions: %w", err)
	}
	byHash := map[string]int64{}
	for rows.Next() {
		var h []byte
		var id int64
		if err := rows.Scan(&h, &id); err != nil {
			return nil, nil, fmt.Errorf("ids of the new sessions: %w", err)
		}
		byHash[string(h)] = id
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("ids of the new sessions: %w", err)
	}
	ids := make([]int64, n)
	for i, h := range hashes {
		id, ok := byHash[string(h)]
		if !ok {
			return nil, nil, fmt.Errorf("ids of the new sessions: session %d not found", i+1)
		}
		ids[i] = id
	}
	return raws, ids, nil
}

// listenerTrouble counts the cache listener's warnings in a server's
// output (a lost connection, a lag): while one lasts the instance's cache
// stands aside, and B then refuses a revoked token without any
// notification.
func listenerTrouble(out string) int {
	return strings.Count(out, "cache listener lost its connection") + strings.Count(out, "cache listener lags")
}

// revocation starts two instances of the app with the cache on, A and B,
// on the same database; it drives B with the load of the sessions
// scenario and meanwhile revokes -revocations other sessions on A over
// HTTP (POST /auth/logout), each cached on B beforehand, and polls B with
// each until it answers 401.
func (b *bench) revocation(ctx context.Context, rows int) error {
	const name = "app cache on: B, revoked on A"
	res := Result{Scenario: "revocation", Against: "sessions", Server: name, Rows: rows, Writes: -1}
	if !slices.Contains(runtime.SettingKeys(), "cache_size") {
		res.Skipped = cacheUnavailable
		b.results = append(b.results, res)
		return nil
	}
	n := b.cfg.revocations
	targets, ids, err := b.mintSessions(ctx, n)
	if err != nil {
		return err
	}
	a, err := startServer(ctx, "app cache on (A)", b.appBin, nil, b.appEnv(b.cacheEnv()))
	if err != nil {
		return err
	}
	defer a.stop()
	srvB, err := startServer(ctx, "app cache on (B)", b.appBin, nil, b.appEnv(b.cacheEnv()))
	if err != nil {
		return err
	}
	defer srvB.stop()
	watch, err := watchNotifications(ctx, b.dbURL)
	if err != nil {
		return err
	}
	defer watch.close()
	r := newRevoker(a.url, srvB.url)
	defer r.close()
	logf("revocation, %s rows: %d revocations on A, polled on B under load", fmtCount(rows), n)
	spec := runSpec{
		scenario: "revocation", server: name, rows: rows, tokens: b.tokens, cache: true,
		beforeMeasure: func(ctx context.Context) error {
			// A authenticates the logouts from its cache, as it would a
			// session in use; B is checked again before each logout.
			for _, base := range []string{a.url, srvB.url} {
				if err := (Load{URL: base + loadPath, Tokens: targets, Concurrency: b.cfg.concurrency}).Touch(ctx); err != nil {
					return fmt.Errorf("revocation targets: %w", err)
				}
			}
			return nil
		},
		during: func(ctx context.Context) (string, error) {
			var times []revocationTimes
			for i, tok := range targets {
				t, err := r.revoke(ctx, tok)
				if err != nil {
					if ctx.Err() != nil {
						return "", ctx.Err()
					}
					res.Problem = fmt.Sprintf("revocation %d of %d: %v", i+1, n, err)
					break
				}
				times = append(times, t)
			}
			// B may refuse a token before the bare listener has read its
			// notification: give the last ones a moment.
			notified := make([]time.Time, len(times))
			deadline := time.Now().Add(time.Second)
			for i, t := range times {
				for {
					var ok bool
					notified[i], ok = watch.arrival("t:"+strconv.FormatInt(ids[i], 10), t.Sent)
					if ok || time.Now().After(deadline) {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			stats := newRevocationStats(times, notified)
			res.Revocation = &stats
			if stats.Count == 0 {
				return "", nil
			}
			return fmt.Sprintf("%d revocations; refused on B after A's 204 p50 %s, p99 %s, max %s (revocation table)", stats.Count,
				fmtLatency(Percentile(stats.Refused, 50)), fmtLatency(Percentile(stats.Refused, 99)), fmtLatency(stats.Refused[len(stats.Refused)-1])), nil
		},
	}
	if err := b.drive(ctx, srvB, spec, &res); err != nil {
		return err
	}
	if k := listenerTrouble(srvB.out.String()) + listenerTrouble(a.out.String()); k > 0 {
		res.Note += fmt.Sprintf("; the cache listeners stood aside %d times (see the instances' logs)", k)
	}
	for _, s := range []*server{srvB, a} {
		if err := s.stop(); err != nil {
			return err
		}
	}
	if err := watch.close(); err != nil {
		return err
	}
	b.results = append(b.results, res)
	return nil
}

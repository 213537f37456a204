package auth_test

// A database outage must answer 503 with Retry-After, never 401: a 401 makes
// client apps log their users out. These tests put a TCP proxy between the
// pool and PostgreSQL and cut it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// tcpProxy forwards connections from a loopback port to target. Cut closes
// every connection and refuses new ones (accepted and closed at once) until
// Restore.
type tcpProxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64 // connections accepted, including refused ones

	mu     sync.Mutex
	cut    bool
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newTCPProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: listen: %v", err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.acceptLoop()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if !p.track(c) {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track registers c unless the proxy is cut or closed.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *tcpProxy) forward(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.untrack(client)
		return
	}
	if !p.track(server) {
		server.Close()
		p.untrack(client)
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
	p.untrack(client, server)
	<-done
}

// Cut closes every open connection and refuses new ones.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Restore accepts connections again.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Close stops the proxy and waits for its goroutines.
func (p *tcpProxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

// newProxiedService creates a database with the users table and the token
// schema (through a direct pool, returned for inspection) and a Service whose
// pool reaches PostgreSQL only through a proxy.
func newProxiedService(t *testing.T, opts ...auth.Option) (*auth.Service, *pgxpool.Pool, *tcpProxy) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	direct, err := pgxpool.New(bgCtx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	pgtest.Exec(t, direct, usersTable)
	if svc, err := auth.New(direct); err != nil {
		t.Fatal(err)
	} else if err := svc.Migrate(bgCtx); err != nil {
		t.Fatal(err)
	}

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.Addr()
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(bgCtx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // before the proxy closes (cleanups run last-in first-out)
	svc, err := auth.New(pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc, direct, proxy
}

func TestDatabaseOutageAnswers503WithRetryAfterNeverA401(t *testing.T) {
	const (
		clients   = 8
		maxPerCli = 3000
		phase     = 700 * time.Millisecond // up, cut, restored: three phases
	)
	svc, direct, proxy := newProxiedService(t, settings(func(s *runtime.Settings) {
		s.AutoRefresh = true
		s.AutoRefreshInterval = 0 // every request also writes (slides the expiry)
	}))
	var creds []*http.Request // templates: one token per client, header and cookie alternating
	for i := range clients {
		uid := addUser(t, pgDB(direct), fmt.Sprint("user", i))
		gen := svc.GenerateHeaderToken
		if i%2 == 1 {
			gen = svc.GenerateCookieToken
		}
		iss, err := gen(bgCtx, uid, auth.Context{Device: "d"})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", "/me", nil)
		if i%2 == 0 {
			r.Header.Set("Authorization", "Bearer "+iss.AccessToken.Reveal())
		} else {
			r.AddCookie(&http.Cookie{Name: "token", Value: iss.AccessToken.Reveal()})
		}
		creds = append(creds, r)
	}

	e := echo.New()
	e.Use(svc.Middleware())
	e.GET("/me", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	srv := httptest.NewServer(e)
	defer srv.Close()
	client := srv.Client()
	client.Timeout = 10 * time.Second
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = clients

	do := func(tmpl *http.Request) (int, http.Header, string, error) {
		r := tmpl.Clone(bgCtx)
		r.URL, _ = url.Parse(srv.URL + "/me")
		r.RequestURI = ""
		resp, err := client.Do(r)
		if err != nil {
			return 0, nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b), nil
	}

	// Phases: 0 = up, 1 = cut, 2 = restored; 3 counts the requests that
	// overlapped a change. step is even inside phase step/2 and odd while
	// the proxy is being cut or restored.
	var step atomic.Int32
	var counts [4]struct{ ok, unavailable atomic.Int64 }
	var firstOKAfterRestore atomic.Int64 // ns since restore
	var restoredAt atomic.Int64
	failures := make(chan string, 16)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range maxPerCli {
				select {
				case <-stop:
					return
				default:
				}
				s0 := step.Load()
				status, hdr, body, err := do(creds[i])
				ph := s0 / 2
				if s1 := step.Load(); s1 != s0 || s0%2 == 1 {
					ph = 3
				}
				switch {
				case err != nil:
					failures <- fmt.Sprintf("client %d: %v", i, err)
					return
				case status == http.StatusOK:
					counts[ph].ok.Add(1)
					if ph == 2 {
						firstOKAfterRestore.CompareAndSwap(0, time.Now().UnixNano()-restoredAt.Load())
					}
				case status == http.StatusServiceUnavailable && hdr.Get("Retry-After") != "":
					counts[ph].unavailable.Add(1)
				default:
					failures <- fmt.Sprintf("client %d, phase %d: HTTP %d %q (Retry-After %q, WWW-Authenticate %q); a failure must be 503 with Retry-After",
						i, ph, status, strings.TrimSpace(body), hdr.Get("Retry-After"), hdr.Get("WWW-Authenticate"))
					return
				}
			}
		}()
	}
	begin := time.Now()
	time.Sleep(phase)
	step.Add(1)
	proxy.Cut()
	step.Add(1)
	time.Sleep(phase)
	// Refresh and the other service calls during the outage: ErrUnavailable.
	unitDuringOutage(t, svc)
	step.Add(1)
	proxy.Restore()
	restoredAt.Store(time.Now().UnixNano())
	step.Add(1)
	time.Sleep(phase)
	close(stop)
	wg.Wait()
	elapsed := time.Since(begin)
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	total := int64(0)
	for ph := range counts {
		total += counts[ph].ok.Load() + counts[ph].unavailable.Load()
	}
	t.Logf("%d requests in %v: up %d ok / %d 503; cut %d ok / %d 503; restored %d ok / %d 503 (first success %v after restore); across a change %d ok / %d 503; proxy accepted %d connections",
		total, elapsed.Round(time.Millisecond),
		counts[0].ok.Load(), counts[0].unavailable.Load(), counts[1].ok.Load(), counts[1].unavailable.Load(),
		counts[2].ok.Load(), counts[2].unavailable.Load(), time.Duration(firstOKAfterRestore.Load()).Round(time.Microsecond),
		counts[3].ok.Load(), counts[3].unavailable.Load(), proxy.accepted.Load())
	if counts[0].ok.Load() == 0 || counts[0].unavailable.Load() != 0 {
		t.Errorf("before the cut: %d ok, %d 503; want only successes", counts[0].ok.Load(), counts[0].unavailable.Load())
	}
	if counts[1].unavailable.Load() == 0 || counts[1].ok.Load() != 0 {
		t.Errorf("while the database was cut off: %d ok, %d 503; want only 503s", counts[1].ok.Load(), counts[1].unavailable.Load())
	}
	if counts[2].ok.Load() == 0 {
		t.Error("no success after the database came back")
	}
	if t.Failed() {
		return
	}
	// After the restore the same tokens work, and the sessions are intact.
	for i, r := range creds {
		if status, _, body, err := do(r); err != nil || status != http.StatusOK {
			t.Errorf("client %d after restore: HTTP %d %q %v; want 200", i, status, body, err)
		}
	}
	if n := sqlCount(t, pgDB(direct), `SELECT count(*) FROM auth_tokens WHERE revoked_at IS NULL`); n != clients {
		t.Errorf("%d live sessions after the outage; want %d", n, clients)
	}
}

// unitDuringOutage checks the service calls while the proxy is cut: every
// one fails with an error matching runtime.ErrUnavailable, none with a
// refusal that would log the user out.
func unitDuringOutage(t *testing.T, svc *auth.Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bgCtx, 10*time.Second)
	defer cancel()
	tokens, err := runtime.NewTokens(auth.Prefix, svc.Settings())
	if err != nil {
		t.Fatal(err)
	}
	rt, _, _ := tokens.Mint(runtime.KindRefresh)
	at, _, _ := tokens.Mint(runtime.KindAccess)
	checks := map[string]error{}
	_, checks["RefreshToken"] = svc.RefreshToken(ctx, rt.Reveal())
	_, checks["VerifyToken"] = svc.VerifyToken(ctx, at.Reveal(), runtime.TransportHeader)
	_, checks["GenerateHeaderToken"] = svc.GenerateHeaderToken(ctx, 1, auth.Context{Device: "d"})
	_, _, checks["ListSessions"] = svc.ListSessions(ctx, 1, 0, runtime.SessionCursor{})
	_, checks["RevokeAllUserTokens"] = svc.RevokeAllUserTokens(ctx, 1)
	for name, err := range checks {
		if !errors.Is(err, runtime.ErrUnavailable) || runtime.ReasonOf(err) != "" || runtime.HTTPStatus(err) != http.StatusServiceUnavailable {
			t.Errorf("%s during the outage: err = %v (reason %q, HTTP %d); want runtime.ErrUnavailable, 503",
				name, err, runtime.ReasonOf(err), runtime.HTTPStatus(err))
		}
	}
}

func TestRefreshDuringOutageIsUnavailableAndTheSessionSurvives(t *testing.T) {
	svc, direct, proxy := newProxiedService(t)
	uid := addUser(t, pgDB(direct), "outage")
	iss, err := svc.GenerateHeaderToken(bgCtx, uid, auth.Context{Device: "d"})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	_, err = svc.RefreshToken(bgCtx, iss.RefreshToken.Reveal())
	if !errors.Is(err, runtime.ErrUnavailable) || runtime.ReasonOf(err) != "" {
		t.Fatalf("refresh during the outage: err = %v; want runtime.ErrUnavailable and no refusal reason", err)
	}
	if ch := runtime.ChallengeFor(err, ""); ch.Status != http.StatusServiceUnavailable || ch.Headers["Retry-After"] == "" {
		t.Errorf("refresh during the outage maps to %+v; want 503 with Retry-After", ch)
	}
	_, _, err = svc.AuthenticateRequest(bearerRequest("GET", "/", iss.AccessToken.Reveal()))
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("authenticate during the outage: err = %v; want runtime.ErrUnavailable", err)
	}
	proxy.Restore()
	// The failed refresh did not spend the refresh token.
	var next auth.Issued
	deadline := time.Now().Add(5 * time.Second)
	for {
		next, err = svc.RefreshToken(bgCtx, iss.RefreshToken.Reveal())
		if !errors.Is(err, runtime.ErrUnavailable) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("refresh after the restore: %v", err)
	}
	if next.Token.ID != iss.Token.ID {
		t.Errorf("refresh after the restore moved to session %d; want %d", next.Token.ID, iss.Token.ID)
	}
}

// A token that fails the format check (prefix, length, alphabet, checksum)
// is refused before any database query: with the database cut off it is
// still a 401, not a 503, and the proxy sees no connection at all.
func TestMalformedTokenIsRefusedWithoutTouchingTheDatabase(t *testing.T) {
	svc, _, proxy := newProxiedService(t)
	unknown := wellFormedUnknown(t, svc)
	app := newEchoApp(svc.Middleware())
	bad := map[string]*http.Request{
		"bad checksum (header)":  bearerRequest("GET", "/x", badChecksum(unknown)),
		"bad checksum (cookie)":  cookieAuthRequest("GET", "/x", "token", badChecksum(unknown)),
		"wrong prefix":           bearerRequest("GET", "/x", "acme"+unknown[len(auth.Prefix):]),
		"refresh kind as access": bearerRequest("GET", "/x", strings.Replace(unknown, "_at_", "_rt_", 1)),
		"too short":              bearerRequest("GET", "/x", unknown[:len(unknown)-1]),
		"not base62":             bearerRequest("GET", "/x", unknown[:10]+"-"+unknown[11:]),
	}
	check := func(phase string) {
		for name, r := range bad {
			w := serveEcho(app, r.Clone(bgCtx))
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s, %s: HTTP %d (WWW-Authenticate %q); want 401 invalid_token", phase, name, w.Code, w.Header().Get("WWW-Authenticate"))
			}
		}
		if _, err := svc.VerifyToken(bgCtx, badChecksum(unknown), runtime.AnyTransport); runtime.ReasonOf(err) != runtime.ReasonInvalid {
			t.Errorf("%s: VerifyToken of a bad checksum: %v; want reason invalid", phase, err)
		}
		if _, err := svc.RefreshToken(bgCtx, badChecksum(strings.Replace(unknown, "_at_", "_rt_", 1))); runtime.ReasonOf(err) != runtime.ReasonInvalid {
			t.Errorf("%s: RefreshToken of a malformed token: %v; want reason invalid", phase, err)
		}
	}
	// The pool has never connected: any query would show as an accepted connection.
	check("database reachable")
	if n := proxy.accepted.Load(); n != 0 {
		t.Errorf("malformed tokens caused %d database connections; want none", n)
	}
	proxy.Cut()
	check("database cut off")
	if n := proxy.accepted.Load(); n != 0 {
		t.Errorf("malformed tokens caused %d database connection attempts; want none", n)
	}
	// Control: a well-formed token does reach the database, so it gets a 503.
	w := serveEcho(app, bearerRequest("GET", "/x", unknown))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("well-formed unknown token with the database cut off: HTTP %d; want 503 with Retry-After", w.Code)
	}
	if proxy.accepted.Load() == 0 {
		t.Error("the control request did not reach the proxy")
	}
}

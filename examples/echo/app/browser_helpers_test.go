package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Bounds of the browser tests: the whole test, and each step of it.
const (
	browserTestTimeout = 3 * time.Minute
	browserStepTimeout = 30 * time.Second
)

// Token lifetimes of the browser tests' app; the fake clock moves by steps
// smaller or larger than the access token's TTL.
const (
	pageTokenTTL   = 10 * time.Minute
	pageRefreshTTL = 2 * time.Hour
)

// plainHost resolves to 127.0.0.1 in the test browser.
const plainHost = "app.test"

// seen is one request the site served, as the server saw it.
type seen struct {
	Method, Path string
	Status       int
	// Access and Refresh report whether the request carried the access and
	// the refresh cookie.
	Access, Refresh bool
	// FetchSite is the browser's Sec-Fetch-Site header.
	FetchSite string
}

func (s seen) String() string {
	return fmt.Sprintf("%s %s -> %d (access cookie %v, refresh cookie %v, Sec-Fetch-Site %q)",
		s.Method, s.Path, s.Status, s.Access, s.Refresh, s.FetchSite)
}

// site is the example app served over TLS on a loopback port, so that the
// browser gets the real Secure __Host- and __Secure- cookies. Its clock is
// fake (the token service and the app's own limits share it), and it records
// every request it serves.
type site struct {
	*env
	clk *clock
	srv *httptest.Server
	URL string // https://127.0.0.1:port

	mu      sync.Mutex
	reqs    []seen
	changed chan struct{} // closed and replaced when a request is recorded
}

// newSite serves a fresh app over TLS with a 10-minute access token that
// slides on every request (auto_refresh with interval 0) and a 2-hour
// refresh token.
func newSite(t *testing.T) *site {
	t.Helper()
	return startSite(t, true, nil)
}

// startSite serves a fresh app as newSite does, over TLS or plain HTTP,
// with mod applied to its configuration.
func startSite(t *testing.T, tls bool, mod func(*app.Config)) *site {
	t.Helper()
	clk := newClock()
	e := newEnv(t, func(c *app.Config) {
		c.Settings.TokenTTL = pageTokenTTL
		c.Settings.RefreshTokenTTL = pageRefreshTTL
		c.Settings.AutoRefresh, c.Settings.AutoRefreshInterval = true, 0
		if mod != nil {
			mod(c)
		}
	}, app.WithClock(clk.Now), app.WithAuthOptions(auth.WithClock(clk.Now)))
	s := &site{env: e, clk: clk, changed: make(chan struct{})}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	return s
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	access, refresh := s.cfg.CookieNames()
	_, errA := r.Cookie(access)
	_, errR := r.Cookie(refresh)
	sw := &statusWriter{ResponseWriter: w}
	s.app.Handler().ServeHTTP(sw, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, seen{
		Method: r.Method, Path: r.URL.Path, Status: sw.status,
		Access: errA == nil, Refresh: errR == nil, FetchSite: r.Header.Get("Sec-Fetch-Site"),
	})
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor waits (at most browserStepTimeout) until a request to method and
// path has been served after mark, and returns it.
func (s *site) waitFor(t *testing.T, mark int, method, path string) seen {
	t.Helper()
	deadline := time.NewTimer(browserStepTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, r := range s.reqs[mark:] {
			if r.Method == method && r.Path == path {
				s.mu.Unlock()
				return r
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s %s reached the app within %v; requests: %v", method, path, browserStepTimeout, s.since(mark))
		}
	}
}

// mark returns the number of requests served so far, to read the requests
// of one step with since.
func (s *site) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// since returns the requests served after mark, or all with mark 0.
func (s *site) since(mark int) []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs[mark:]...)
}

// liveSessions returns how many sessions of the user are live.
func (s *site) liveSessions(t *testing.T, userID int64) int {
	t.Helper()
	list, _, err := s.app.Service().ListSessions(context.Background(), userID, 0, runtime.SessionCursor{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	return len(list)
}

// browser is a headless Chromium with one tab.
type browser struct {
	t   *testing.T
	ctx context.Context // the tab

	mu         sync.Mutex
	exceptions []string // uncaught JavaScript exceptions
}

// newBrowser starts headless Chromium (Debian's chromium package; .ci/run
// installs it) with the flags a root user in a container needs. It ignores
// certificate errors, so that it accepts the httptest servers' certificate.
// When Chromium cannot start, the test fails: it never skips.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Fatalf("Chromium is required by the browser tests and was not found (%v); install Debian's chromium package (apt-get install -y chromium), as .ci/run does", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1000, 900),
		// A host name that is not a potentially trustworthy origin when
		// served over plain HTTP, unlike 127.0.0.1.
		chromedp.Flag("host-resolver-rules", "MAP "+plainHost+" 127.0.0.1"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	b := &browser{t: t, ctx: tab}
	// The first Run starts the browser; it must not carry a step timeout,
	// which would stop the whole browser (the test's timeout bounds it).
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	if err := chromedp.Listen(tab, func(ev any) {
		if ev, ok := ev.(*cdpruntime.EventExceptionThrown); ok {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.exceptions = append(b.exceptions, exceptionText(ev.ExceptionDetails))
		}
	}); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	// Every document records the Content-Security-Policy violations it
	// sees; the page must cause none.
	stepCtx, cancelStep := b.step()
	defer cancelStep()
	if _, err := chromedp.Call(stepCtx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.exceptions {
			t.Errorf("uncaught JavaScript exception: %s", e)
		}
	})
	return b
}

// exceptionText formats an uncaught exception.
func exceptionText(d *cdpruntime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// step returns a context for one step, bounded by browserStepTimeout.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, browserStepTimeout)
}

// do runs actions in the tab within one step's time, failing the test on
// error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// open loads the page and waits until it shows a state (in or out).
func (b *browser) open(url string) string {
	b.t.Helper()
	b.do(chromedp.Navigate(url))
	return b.settle(0)
}

// settle waits until the page has rendered more than n times and is not
// busy, and returns its state: "in" (logged in) or "out".
func (b *browser) settle(n int) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	expr := fmt.Sprintf(`Number(document.body.dataset.renders) > %d && document.body.dataset.state !== 'busy' && document.body.dataset.state !== 'loading' && document.body.dataset.state`, n)
	state, err := chromedp.Run(ctx, chromedp.Poll[string](expr, chromedp.WithPollingTimeout(browserStepTimeout)))
	if err != nil {
		b.t.Fatalf("browser: the page did not settle: %v (status %q)", err, b.status())
	}
	return state
}

// act runs one user action (a click, a submit) and waits until the page has
// rendered its result; it returns the page's state.
func (b *browser) act(actions ...chromedp.Action[chromedp.Void]) string {
	b.t.Helper()
	n := eval[int](b, `Number(document.body.dataset.renders)`)
	b.do(actions...)
	return b.settle(n)
}

// status returns the page's status line.
func (b *browser) status() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#status')?.textContent ?? ''`))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return s
}

// text returns the text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? '(no %s)'`, sel, sel))
}

// wantState fails unless the page is in state ("in" or "out").
func (b *browser) wantState(got, want string) {
	b.t.Helper()
	if got != want {
		b.t.Fatalf("page state = %q, want %q (status %q)", got, want, b.status())
	}
}

// login logs username in through the page's login form.
func (b *browser) login(username, device string) {
	b.t.Helper()
	form := `#login-form `
	state := b.act(
		chromedp.SetValue(chromedp.CSS(form+`[name=username]`), username),
		chromedp.SetValue(chromedp.CSS(form+`[name=password]`), testPassword),
		chromedp.SetValue(chromedp.CSS(form+`[name=device]`), device),
		chromedp.Click(chromedp.CSS(form+`button[type=submit]`)),
	)
	b.wantState(state, "in")
	if got := b.text(`#me [data-field=username]`); got != username {
		b.t.Fatalf("who am I shows %q, want %q", got, username)
	}
}

// cookies returns the browser's cookies for the site, HttpOnly ones
// included, by name.
func (b *browser) cookies(s *site) map[string]*network.Cookie {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL + "/", s.URL + app.RefreshPath}})
	if err != nil {
		b.t.Fatalf("browser: get cookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

// cookieExpiry is the expiry of a browser cookie.
func cookieExpiry(c *network.Cookie) time.Time {
	return time.Unix(0, int64(c.Expires*float64(time.Second))).UTC()
}

// responses collects the browser's view of the responses to urlPrefix, from
// the moment it is called until stop.
func (b *browser) responses(urlPrefix string) (stop func() []*network.Response) {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	var (
		mu  sync.Mutex
		got []*network.Response
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventResponseReceived); ok && strings.HasPrefix(ev.Response.URL, urlPrefix) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev.Response)
		}
	}); err != nil {
		cancel()
		b.t.Fatalf("listen to responses: %v", err)
	}
	return func() []*network.Response {
		cancel()
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

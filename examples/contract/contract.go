// Package contract is the HTTP contract of the authentify example apps as a
// test suite: every example (examples/echo, examples/nethttp,
// examples/echo5) runs it over real HTTP, each test against its own server
// and its own database, so that the examples are proven to answer the same
// routes with the same bodies, status codes, headers and cookies, and to read
// the same environment variables.
//
// An example's test calls Run with a Starter that starts the example the way
// its main does (configuration from the environment of the Setup) on a
// loopback listener:
//
//	func TestContract(t *testing.T) { contract.Run(t, start) }
//
// The suite knows nothing of the example's code: only its HTTP answers.
package contract

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authentify-go/authentify/internal/pgtest"
)

// Setup is what a test asks of the example it starts.
type Setup struct {
	// Env is the example's environment, as NAME → value. Run fills in
	// DATABASE_URL (a fresh database for the test), ADDR (127.0.0.1:0) and
	// AUTH_RATE_LIMIT=0 unless the test sets them.
	Env map[string]string
	// Now is the clock of the token service and of the app's own limits;
	// tests move it to expire tokens. Never nil.
	Now func() time.Time
}

// Environ returns Env as NAME=value entries, as os.Environ returns them.
func (s Setup) Environ() []string {
	out := make([]string, 0, len(s.Env))
	for k, v := range s.Env {
		out = append(out, k+"="+v)
	}
	return out
}

// Server is a started example.
type Server struct {
	// URL is the base URL of the example, such as http://127.0.0.1:41234.
	URL string
	// StopDatabase makes the example's database unreachable (for instance by
	// closing its connection pool), to check the answers to an outage.
	StopDatabase func()
}

// Starter starts an example for one test and stops it when the test ends
// (t.Cleanup). It fails the test if the example does not start.
type Starter func(t *testing.T, s Setup) Server

// Run runs the contract suite against the example started by start. Its
// tests run in parallel, each with its own server and database.
func Run(t *testing.T, start Starter) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, start)
		})
	}
}

// tests is the suite: one entry per topic.
var tests = []struct {
	name string
	run  func(*testing.T, Starter)
}{
	{"Register", testRegister},
	{"Login", testLogin},
	{"CookieFlow", testCookieFlow},
	{"CookieNames", testCookieNames},
	{"RefreshFollowsSessionTransport", testRefreshFollowsSessionTransport},
	{"RefreshTransportRestriction", testRefreshTransportRestriction},
	{"RefreshRunsTheCSRFCheck", testRefreshRunsTheCSRFCheck},
	{"Refresh", testRefresh},
	{"RefreshExpired", testRefreshExpired},
	{"Logout", testLogout},
	{"LogoutAll", testLogoutAll},
	{"Sessions", testSessions},
	{"SessionsPages", testSessionsPages},
	{"SessionCap", testSessionCap},
	{"Me", testMe},
	{"Premium", testPremium},
	{"Healthz", testHealthz},
	{"DatabaseDown", testDatabaseDown},
	{"RateLimit", testRateLimit},
	{"ErrorsAreJSON", testErrorsAreJSON},
	{"EnvOverrides", testEnvOverrides},
	{"Page", testPage},
}

// Password is the password of every test user.
const Password = "correct horse battery"

// Clock is a fake clock; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at the current time, truncated to the second.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// client talks to one started example.
type client struct {
	t    testing.TB
	srv  Server
	env  map[string]string
	http *http.Client
}

// start starts an example with env (over the defaults) and clock now (nil:
// a clock at the current time that never moves by itself).
func start(t *testing.T, st Starter, env map[string]string, now func() time.Time) *client {
	t.Helper()
	full := map[string]string{
		"DATABASE_URL":    pgtest.NewDatabase(t),
		"ADDR":            "127.0.0.1:0",
		"AUTH_RATE_LIMIT": "0",
	}
	maps.Copy(full, env)
	if now == nil {
		now = NewClock().Now
	}
	srv := st(t, Setup{Env: full, Now: now})
	hc := &http.Client{
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(hc.CloseIdleConnections)
	return &client{t: t, srv: srv, env: full, http: hc}
}

// insecure reports whether the example runs under COOKIE_INSECURE.
func (c *client) insecure() bool { return c.env["COOKIE_INSECURE"] == "true" }

// cookieNames returns the names of the access and refresh cookies the
// example must use.
func (c *client) cookieNames() (access, refresh string) {
	if c.insecure() {
		return "token", "refresh_token"
	}
	return "__Host-token", "__Secure-refresh_token"
}

// reqOpt adjusts a request.
type reqOpt func(*http.Request)

// bearer authenticates with an access token in the Authorization header.
func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

// withCookies sends cookies (name and value only, as a browser does).
func withCookies(cs ...*http.Cookie) reqOpt {
	return func(r *http.Request) {
		for _, c := range cs {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}

// header sets a request header.
func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// sameOrigin marks the request as a same-origin browser request.
var sameOrigin = header("Sec-Fetch-Site", "same-origin")

// response is an answer, its body read.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
	resp   *http.Response
}

// Cookies returns the cookies the response sets.
func (r *response) Cookies() []*http.Cookie { return r.resp.Cookies() }

// String returns the body.
func (r *response) String() string { return string(r.Body) }

// do sends one request. body is nil (no body), a string (sent as is) or a
// value marshalled to JSON; a body is sent as application/json.
func (c *client) do(method, path string, body any, opts ...reqOpt) *response {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("marshal body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, r)
	if err != nil {
		c.t.Fatalf("request %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{Code: resp.StatusCode, Header: resp.Header, Body: data, resp: resp}
}

// decodeBody decodes the JSON body of r into a T.
func decodeBody[T any](t testing.TB, r *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
	return v
}

// wantStatus fails unless r has status; an error status must come with a
// JSON {"error": "..."} body, the one error shape of every example.
func wantStatus(t testing.TB, r *response, status int) {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status = %d, want %d; body %s", r.Code, status, r.Body)
	}
	if status >= 400 {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("error Content-Type = %q, want application/json", ct)
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("error body %q is not JSON: %v", r.Body, err)
		}
		if msg, ok := body["error"].(string); !ok || msg == "" || len(body) != 1 {
			t.Errorf("error body = %s, want {\"error\": \"...\"}", r.Body)
		}
	}
}

// errorOf returns the message of an error body.
func errorOf(t testing.TB, r *response) string {
	t.Helper()
	return decodeBody[map[string]string](t, r)["error"]
}

// tokens is the body of a header login or refresh.
type tokens struct {
	AccessToken  string     `json:"access_token"`
	RefreshToken *string    `json:"refresh_token"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RefreshUntil *time.Time `json:"refresh_until"`
	SessionID    int64      `json:"session_id"`
}

// refresh returns the refresh token or fails.
func (tk tokens) refresh(t testing.TB) string {
	t.Helper()
	if tk.RefreshToken == nil {
		t.Fatal("no refresh token")
	}
	return *tk.RefreshToken
}

// register creates a user and returns its id.
func (c *client) register(username string, beta bool) int64 {
	c.t.Helper()
	r := c.do("POST", "/auth/register", map[string]any{"username": username, "password": Password, "beta": beta})
	wantStatus(c.t, r, http.StatusCreated)
	return int64(decodeBody[map[string]any](c.t, r)["id"].(float64))
}

// login logs username in with a header token from device.
func (c *client) login(username, device string, opts ...reqOpt) tokens {
	c.t.Helper()
	r := c.do("POST", "/auth/login", map[string]any{"username": username, "password": Password, "device": device}, opts...)
	wantStatus(c.t, r, http.StatusOK)
	return decodeBody[tokens](c.t, r)
}

// cookieLogin logs username in with cookies and returns the access and
// refresh cookies.
func (c *client) cookieLogin(username, device string) (access, refresh *http.Cookie) {
	c.t.Helper()
	r := c.do("POST", "/auth/login/cookie", map[string]any{"username": username, "password": Password, "device": device})
	wantStatus(c.t, r, http.StatusNoContent)
	return c.cookiesOf(c.t, r)
}

// cookiesOf returns the token cookies set by r (both must be set).
func (c *client) cookiesOf(t testing.TB, r *response) (access, refresh *http.Cookie) {
	t.Helper()
	accessName, refreshName := c.cookieNames()
	for _, ck := range r.Cookies() {
		switch ck.Name {
		case accessName:
			access = ck
		case refreshName:
			refresh = ck
		}
	}
	if access == nil || refresh == nil {
		t.Fatalf("cookies %v: want both %s and %s", r.Cookies(), accessName, refreshName)
	}
	return access, refresh
}

// me calls GET /me with opts and returns the status.
func (c *client) me(opts ...reqOpt) int {
	c.t.Helper()
	return c.do("GET", "/me", nil, opts...).Code
}

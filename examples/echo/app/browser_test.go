package app_test

import (
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/app"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests drive the page at "/" in headless Chromium against the
// app on a loopback TLS port, so that the real Secure, __Host- and
// __Secure- cookies are set and sent by a real browser.

// TestBrowserCookieSession: register and log in through the page; the
// HttpOnly cookies are invisible to the page's script while /me works; the
// refresh cookie reaches only the refresh path; the session outlives its
// first expiry by auto-refresh slides (the browser takes the re-sent cookie);
// an expired access token is renewed with the refresh cookie on a 401; log
// out clears the cookies.
func TestBrowserCookieSession(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t)
	accessName, refreshName := s.cfg.CookieNames()

	b.wantState(b.open(s.URL+"/"), "out")
	if got := b.status(); got != "" {
		t.Errorf("first visit shows status %q, want none", got)
	}
	// The page works under its Content-Security-Policy: its own script
	// ran (it set the state) and its style sheet applied.
	if !eval[bool](b, `document.styleSheets.length === 1 && document.styleSheets[0].cssRules.length > 0`) {
		t.Error("the page's style sheet did not load")
	}
	if got := eval[[]string](b, `window.cspViolations`); len(got) != 0 {
		t.Errorf("Content-Security-Policy violations on load: %q", got)
	}

	form := `#register-form `
	state := b.act(
		chromedp.SetValue(chromedp.CSS(form+`[name=username]`), "alice"),
		chromedp.SetValue(chromedp.CSS(form+`[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(form+`button[type=submit]`)),
	)
	b.wantState(state, "out")
	if got := b.status(); !strings.Contains(got, "Registered alice") {
		t.Fatalf("after registering, status = %q", got)
	}
	var userID int64
	if u, err := s.app.Users().ByUsername(t.Context(), "alice"); err != nil {
		t.Fatalf("the registered user: %v", err)
	} else {
		userID = u.ID
	}
	b.login("alice", "Chromium")

	t.Run("HttpOnly cookies are invisible to the page", func(t *testing.T) {
		if got := eval[string](b, `document.cookie`); got != "" {
			t.Errorf("document.cookie = %q, want empty (every token cookie is HttpOnly)", got)
		}
		if got := eval[int](b, `fetch('/me').then((r) => r.status)`); got != http.StatusOK {
			t.Errorf("the page's fetch('/me') = %d, want 200 (the browser sends the cookie)", got)
		}
		jar := b.cookies(s)
		access, refresh := jar[accessName], jar[refreshName]
		if access == nil || refresh == nil || len(jar) != 2 {
			t.Fatalf("browser cookies = %v, want exactly %s and %s", slices.Sorted(maps.Keys(jar)), accessName, refreshName)
		}
		for _, c := range []struct {
			ck   *network.Cookie
			path string
		}{{access, "/"}, {refresh, app.RefreshPath}} {
			if !c.ck.HTTPOnly || !c.ck.Secure || c.ck.Path != c.path || c.ck.SameSite != network.CookieSameSiteStrict {
				t.Errorf("browser cookie %s: HttpOnly %v, Secure %v, Path %q, SameSite %q; want HttpOnly, Secure, Path %q, Strict",
					c.ck.Name, c.ck.HTTPOnly, c.ck.Secure, c.ck.Path, c.ck.SameSite, c.path)
			}
		}
	})

	t.Run("auto-refresh slides the session past its first expiry", func(t *testing.T) {
		firstExpiry := cookieExpiry(b.cookies(s)[accessName])
		if want := s.clk.Now().Add(pageTokenTTL); !sameSecond(firstExpiry, want) {
			t.Fatalf("access cookie expires %v, want %v", firstExpiry, want)
		}
		mark := s.mark()
		for i := 1; i <= 3; i++ {
			s.clk.Advance(pageTokenTTL * 6 / 10) // each request is within the TTL of the previous one
			b.wantState(b.act(chromedp.Click(chromedp.ID("reload"))), "in")
			want := s.clk.Now().Add(pageTokenTTL)
			if got := cookieExpiry(b.cookies(s)[accessName]); !sameSecond(got, want) {
				t.Fatalf("slide %d: the browser's access cookie expires %v, want the slid expiry %v (the re-sent cookie was not taken)", i, got, want)
			}
			if got := eval[string](b, `document.querySelector('#me [data-field=expires_at] time').dateTime`); !sameSecond(parseTime(t, got), want) {
				t.Errorf("slide %d: the page shows expiry %s, want %v", i, got, want)
			}
		}
		if !s.clk.Now().After(firstExpiry) {
			t.Fatalf("the clock %v is not past the first expiry %v", s.clk.Now(), firstExpiry)
		}
		for _, r := range s.since(mark) {
			if r.Status != http.StatusOK || r.Path == app.RefreshPath {
				t.Errorf("while sliding: %v; want only 200s and no refresh", r)
			}
		}
	})

	t.Run("a 401 is answered with one cookie refresh", func(t *testing.T) {
		before := b.cookies(s)
		s.clk.Advance(pageTokenTTL + time.Minute) // the access token has expired
		mark := s.mark()
		b.wantState(b.act(chromedp.Click(chromedp.ID("reload"))), "in")
		got := s.since(mark)
		want := []string{"GET /me 401", "POST " + app.RefreshPath + " 204", "GET /me 200", "GET /auth/sessions 200"}
		if !slices.Equal(summaries(got), want) {
			t.Fatalf("requests = %v, want %v", got, want)
		}
		after := b.cookies(s)
		for _, name := range []string{accessName, refreshName} {
			if after[name] == nil || after[name].Value == before[name].Value {
				t.Errorf("cookie %s was not replaced by the refresh", name)
			}
		}
	})

	t.Run("the refresh cookie is sent only to the refresh path", func(t *testing.T) {
		refreshes := 0
		for _, r := range s.since(0) {
			switch {
			case r.Path == app.RefreshPath && r.Refresh:
				refreshes++
			case r.Refresh:
				t.Errorf("%v: the refresh cookie was sent outside %s", r, app.RefreshPath)
			}
		}
		if refreshes == 0 {
			t.Errorf("no request to %s carried the refresh cookie; requests: %v", app.RefreshPath, s.since(0))
		}
	})

	t.Run("the page's policy blocks inline script", func(t *testing.T) {
		if got := eval[[]string](b, `window.cspViolations`); len(got) != 0 {
			t.Fatalf("Content-Security-Policy violations by the page: %q", got)
		}
		got := eval[[]string](b, `new Promise((resolve) => {
			const el = document.createElement('script');
			el.textContent = 'window.inlineRan = true';
			document.head.append(el);
			setTimeout(() => resolve(window.inlineRan ? ['ran'] : window.cspViolations), 0);
		})`)
		if len(got) != 1 || !strings.HasPrefix(got[0], "script-src") {
			t.Errorf("an injected inline script: %q, want one script-src violation", got)
		}
	})

	t.Run("log out", func(t *testing.T) {
		b.wantState(b.act(chromedp.Click(chromedp.ID("logout"))), "out")
		if got := b.status(); got != "Logged out." {
			t.Errorf("status = %q", got)
		}
		if jar := b.cookies(s); len(jar) != 0 {
			t.Errorf("cookies after logout: %v", slices.Sorted(maps.Keys(jar)))
		}
		if n := s.liveSessions(t, userID); n != 0 {
			t.Errorf("%d live sessions after logout, want 0", n)
		}
		b.wantState(b.open(s.URL+"/"), "out")
	})
}

// TestBrowserSessions: the page lists the user's sessions, revokes another
// one and its own, logs out everywhere, and shows the logged-out state when
// the session was revoked elsewhere and the refresh fails too.
func TestBrowserSessions(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t)
	userID := s.register("alice", false)
	cli := s.login("alice", "cli")
	b.wantState(b.open(s.URL+"/"), "out")
	b.login("alice", "Chromium")

	rows := func() []string {
		return eval[[]string](b, `[...document.querySelectorAll('#sessions tbody tr')].map((tr) => tr.cells[1].textContent)`)
	}
	if got, want := rows(), []string{"Chromium (this browser)", "cli"}; !sameSet(got, want) {
		t.Fatalf("sessions shown = %q, want %q", got, want)
	}

	// Revoke the cli session with its button.
	b.wantState(b.act(chromedp.Click(chromedp.CSS(fmt.Sprintf(`button.revoke[data-id="%d"]`, cli.SessionID)))), "in")
	if got, want := rows(), []string{"Chromium (this browser)"}; !slices.Equal(got, want) {
		t.Errorf("after revoke, sessions shown = %q, want %q", got, want)
	}
	if got := s.me(bearer(cli.AccessToken)); got != http.StatusUnauthorized {
		t.Errorf("/me with the revoked cli token = %d, want 401", got)
	}

	// Log out everywhere.
	cli2 := s.login("alice", "cli2")
	b.wantState(b.act(chromedp.Click(chromedp.ID("reload"))), "in")
	if got := len(rows()); got != 2 {
		t.Fatalf("%d sessions shown, want 2", got)
	}
	b.wantState(b.act(chromedp.Click(chromedp.ID("logout-all"))), "out")
	if n := s.liveSessions(t, userID); n != 0 {
		t.Errorf("%d live sessions after log out everywhere, want 0", n)
	}
	if got := s.me(bearer(cli2.AccessToken)); got != http.StatusUnauthorized {
		t.Errorf("/me with cli2 after log out everywhere = %d, want 401", got)
	}
	if jar := b.cookies(s); len(jar) != 0 {
		t.Errorf("cookies after log out everywhere: %v", slices.Sorted(maps.Keys(jar)))
	}

	// Revoking this browser's own session logs it out.
	b.login("alice", "Chromium")
	current := eval[string](b, `document.querySelector('#sessions tr.current').dataset.id`)
	b.wantState(b.act(chromedp.Click(chromedp.CSS(`button.revoke[data-id="`+current+`"]`))), "out")
	if got := b.status(); got != "This browser's session was revoked." {
		t.Errorf("status = %q", got)
	}
	if jar := b.cookies(s); len(jar) != 0 {
		t.Errorf("cookies after revoking this session: %v", slices.Sorted(maps.Keys(jar)))
	}

	// Revoked elsewhere: the 401 gets one refresh, which fails, and the
	// page shows the logged-out state.
	b.login("alice", "Chromium")
	if _, err := s.app.Service().RevokeAllUserTokens(t.Context(), userID); err != nil {
		t.Fatal(err)
	}
	mark := s.mark()
	b.wantState(b.act(chromedp.Click(chromedp.ID("reload"))), "out")
	if got, want := summaries(s.since(mark)), []string{"GET /me 401", "POST " + app.RefreshPath + " 401"}; !slices.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
	if got := b.status(); !strings.Contains(got, "log in again") {
		t.Errorf("status = %q, want it to ask to log in again", got)
	}
	if b.text(`#me [data-field=username]`) != "" || len(rows()) != 0 {
		t.Error("the logged-out page still shows the user's data")
	}
}

// TestBrowserCrossOriginRefused: a page on another origin of the same site
// (another loopback port) posts forms to the app, or fetches it, with the
// browser's SameSite=Strict cookies. The app refuses each with 403 before
// any state changes: the sessions stay live, the cookies stay the same, and
// no one is logged in.
func TestBrowserCrossOriginRefused(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t)
	userID := s.register("alice", false)
	malloryID := s.register("mallory", false)
	s.login("alice", "cli")
	b.wantState(b.open(s.URL+"/"), "out")
	b.login("alice", "Chromium")

	// autoForm posts a form to the app as soon as it loads.
	autoForm := func(path string, fields map[string]string) string {
		var inputs strings.Builder
		for k, v := range fields {
			fmt.Fprintf(&inputs, `<input name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
		}
		return fmt.Sprintf(`<!doctype html><title>evil</title><form method="post" action="%s">%s</form><script>document.forms[0].submit()</script>`,
			html.EscapeString(s.URL+path), inputs.String())
	}
	// noCORS sends a credentialed no-cors POST, the other way a page can
	// reach another origin without a preflight.
	noCORS := func(path string) string {
		return fmt.Sprintf(`<!doctype html><title>evil</title><script>fetch(%q, {method: 'POST', mode: 'no-cors', credentials: 'include'})</script>`, s.URL+path)
	}
	tests := []struct {
		name, path, page string
		navigates        bool // the browser shows the app's answer
		cookie           func(seen) bool
	}{
		{"form: log out everywhere", "/auth/logout-all", autoForm("/auth/logout-all", nil), true, func(r seen) bool { return r.Access }},
		{"form: log out", "/auth/logout", autoForm("/auth/logout", nil), true, func(r seen) bool { return r.Access }},
		{"form: log in as mallory", "/auth/login/cookie", autoForm("/auth/login/cookie",
			map[string]string{"username": "mallory", "password": testPassword, "device": "evil"}), true, func(r seen) bool { return r.Access }},
		{"no-cors fetch: refresh", app.RefreshPath, noCORS(app.RefreshPath), false, func(r seen) bool { return r.Refresh }},
	}
	evilMux := http.NewServeMux()
	for i, tt := range tests {
		evilMux.HandleFunc(fmt.Sprintf("/%d", i), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, tt.page)
		})
	}
	evil := httptest.NewUnstartedServer(evilMux)
	evil.StartTLS()
	t.Cleanup(evil.Close)
	if evil.URL == s.URL || !strings.HasPrefix(evil.URL, "https://127.0.0.1:") {
		t.Fatalf("the other origin %s must be another port of the app's site %s", evil.URL, s.URL)
	}

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.cookies(s)
			mark := s.mark()
			stop := b.responses(s.URL + tt.path)
			b.do(chromedp.Navigate(fmt.Sprintf("%s/%d", evil.URL, i)))
			r := s.waitFor(t, mark, http.MethodPost, tt.path)
			if r.Status != http.StatusForbidden {
				t.Errorf("%v: want 403", r)
			}
			// The browser did send its cookie: SameSite=Strict lets a
			// same-site request carry it, so the app's check of the
			// origin is what refuses the request.
			if !tt.cookie(r) || r.FetchSite != "same-site" {
				t.Errorf("%v: want the cookie sent and Sec-Fetch-Site same-site", r)
			}
			if tt.navigates && r.Status == http.StatusForbidden { // a 204 leaves the tab where it is
				b.settleOn(s.URL + tt.path)
				if got := eval[string](b, `document.body.innerText`); !strings.Contains(got, "cross-origin request refused") {
					t.Errorf("the browser shows %q", got)
				}
			}
			// The browser's own view of the answer.
			if resp := stop(); tt.navigates && (len(resp) != 1 || resp[0].Status != http.StatusForbidden) {
				t.Errorf("the browser saw %d responses from %s, want one 403", len(resp), tt.path)
			}

			if n := s.liveSessions(t, userID); n != 2 {
				t.Errorf("alice has %d live sessions, want 2", n)
			}
			if n := s.liveSessions(t, malloryID); n != 0 {
				t.Errorf("mallory has %d live sessions, want 0", n)
			}
			after := b.cookies(s)
			for name, c := range before {
				if after[name] == nil || after[name].Value != c.Value {
					t.Errorf("cookie %s changed", name)
				}
			}
			b.wantState(b.open(s.URL+"/"), "in")
			if got := b.text(`#me [data-field=username]`); got != "alice" {
				t.Errorf("who am I = %q, want alice", got)
			}
		})
	}
}

// settleOn waits until the tab shows a loaded document at url.
func (b *browser) settleOn(url string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	expr := fmt.Sprintf(`location.href === %q && document.readyState === 'complete'`, url)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(browserStepTimeout))); err != nil {
		b.t.Fatalf("browser: %s did not load: %v", url, err)
	}
}

// summaries writes requests as "METHOD path status".
func summaries(reqs []seen) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	return out
}

// sameSecond reports whether a and b are within two seconds: cookie
// expiries have whole seconds, and the browser rebases them on the
// response's Date header (whole seconds too).
func sameSecond(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -2*time.Second && d < 2*time.Second
}

// sameSet reports whether a and b hold the same strings in any order.
func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// parseTime parses an RFC 3339 time shown by the page.
func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("page time %q: %v", s, err)
	}
	return v
}

// TestBrowserPlainHTTP: over plain HTTP, Chromium keeps the Secure cookies
// of 127.0.0.1 (a potentially trustworthy origin, so `go run ./examples/echo`
// works as is), refuses them from another host name, where the page says
// what to do, and COOKIE_INSECURE makes that host work.
func TestBrowserPlainHTTP(t *testing.T) {
	b := newBrowser(t)
	tests := []struct {
		name     string
		host     string // replaces 127.0.0.1 in the site's URL
		insecure bool   // COOKIE_INSECURE
		want     string // the page's state after logging in
	}{
		{"secure cookies on 127.0.0.1", "", false, "in"},
		{"secure cookies on another host", plainHost, false, "out"},
		{"COOKIE_INSECURE on another host", plainHost, true, "in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSite(t, false, func(c *app.Config) { c.CookieInsecure = tt.insecure })
			url := s.URL
			if tt.host != "" {
				url = strings.Replace(url, "127.0.0.1", tt.host, 1)
			}
			s.register("alice", false)
			b.wantState(b.open(url+"/"), "out")
			form := `#login-form `
			state := b.act(
				chromedp.SetValue(chromedp.CSS(form+`[name=username]`), "alice"),
				chromedp.SetValue(chromedp.CSS(form+`[name=password]`), testPassword),
				chromedp.Click(chromedp.CSS(form+`button[type=submit]`)),
			)
			b.wantState(state, tt.want)
			if tt.want == "out" {
				if got := b.status(); !strings.Contains(got, "COOKIE_INSECURE=true") {
					t.Errorf("status = %q, want it to explain the refused cookies", got)
				}
				return
			}
			// Log out, so that the next row starts with no cookie.
			b.wantState(b.act(chromedp.Click(chromedp.ID("logout"))), "out")
		})
	}
}

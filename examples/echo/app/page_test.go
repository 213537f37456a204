package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/app"
)

// TestPageAssets: the page and its assets are served with their types and
// the strict Content-Security-Policy, and the page loads nothing but them.
func TestPageAssets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tests := []struct{ path, contentType, has string }{
		{"/", "text/html; charset=utf-8", `<script src="/page.js" defer></script>`},
		{"/page.js", "text/javascript; charset=utf-8", "'/auth/refresh'"},
		{"/page.css", "text/css; charset=utf-8", "font-family"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := e.do("GET", tt.path, nil)
			wantStatus(t, rec, http.StatusOK)
			h := rec.Header()
			for k, want := range map[string]string{
				"Content-Type":            tt.contentType,
				"Content-Security-Policy": app.PageCSP,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !strings.Contains(rec.Body.String(), tt.has) {
				t.Errorf("body lacks %q", tt.has)
			}
		})
	}
	for _, directive := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "connect-src 'self';", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(app.PageCSP+";", directive) {
			t.Errorf("PageCSP %q lacks %q", app.PageCSP, directive)
		}
	}
	if strings.Contains(app.PageCSP, "unsafe") {
		t.Errorf("PageCSP %q allows unsafe sources", app.PageCSP)
	}
	// Every src and href of the page is one of the page's own routes.
	html := e.do("GET", "/", nil).Body.String()
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if m[1] != "/page.js" && m[1] != "/page.css" {
			t.Errorf("the page loads %q, want only /page.js and /page.css", m[1])
		}
	}
}

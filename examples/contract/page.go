package contract

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// testPage: GET / serves the page and its assets with their types and a
// strict Content-Security-Policy, and the page loads nothing but them.
func testPage(t *testing.T, st Starter) {
	c := start(t, st, nil, nil)
	tests := []struct{ path, contentType, has string }{
		{"/", "text/html; charset=utf-8", `<script src="/page.js" defer></script>`},
		{"/page.js", "text/javascript; charset=utf-8", "'/auth/refresh'"},
		{"/page.css", "text/css; charset=utf-8", "font-family"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := c.do("GET", tt.path, nil)
			wantStatus(t, r, http.StatusOK)
			for k, want := range map[string]string{
				"Content-Type":           tt.contentType,
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := r.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			csp := r.Header.Get("Content-Security-Policy") + ";"
			for _, directive := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "connect-src 'self';", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, directive) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
			if !strings.Contains(r.String(), tt.has) {
				t.Errorf("body lacks %q", tt.has)
			}
		})
	}
	// Every src and href of the page is one of the page's own routes.
	html := c.do("GET", "/", nil).String()
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if m[1] != "/page.js" && m[1] != "/page.css" {
			t.Errorf("the page loads %q, want only /page.js and /page.css", m[1])
		}
	}
}

package runtime

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewCSRFOrigins(t *testing.T) {
	valid := []string{"https://app.example.com", "http://localhost:3000", "https://[::1]:8443", "https://xn--bcher-kva.example"}
	if _, err := NewCSRF(valid); err != nil {
		t.Fatalf("NewCSRF(%q) = %v", valid, err)
	}
	if _, err := NewCSRF(nil); err != nil {
		t.Fatalf("NewCSRF(nil) = %v", err)
	}
	invalid := []struct {
		origin  string
		wantMsg string
	}{
		{"", "is empty"},
		{"https://*.example.com", "wildcards"},
		{"*", "wildcards"},
		{" https://a.example", "whitespace"},
		{"app.example.com", "must start with https://"},
		{"ftp://app.example.com", "must start with https://"},
		{"HTTPS://app.example.com", "must start with https://"},
		{"https:app.example.com", "must start with https://"},
		{"https://", "no host"},
		{"https://user@app.example.com", "user information"},
		{"https://app.example.com/", "trailing slash"},
		{"https://app.example.com/path", "path"},
		{"https://app.example.com?x=1", "query"},
		{"https://app.example.com?", "query"},
		{"https://app.example.com#", "fragment"},
		{"https://App.Example.com", "lowercase"},
		{"https://app.example.com:443", "default port"},
		{"http://app.example.com:80", "default port"},
		{"https://app.example.com:", "empty port"},
		{"https://app.example.com:abc", "does not parse"},
	}
	for _, tt := range invalid {
		_, err := NewCSRF([]string{"https://ok.example", tt.origin})
		if err == nil {
			t.Errorf("NewCSRF(%q) succeeded", tt.origin)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "trusted origin") {
			t.Errorf("NewCSRF(%q) = %q, want it to mention %q", tt.origin, err, tt.wantMsg)
		}
	}
}

func TestNewCSRFProtects(t *testing.T) {
	p, err := NewCSRF([]string{"https://trusted.example"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, site, origin string
		ok                   bool
	}{
		{"GET", "cross-site", "https://evil.example", true},
		{"POST", "same-origin", "", true},
		{"POST", "cross-site", "https://evil.example", false},
		{"POST", "", "https://evil.example", false},
		{"DELETE", "cross-site", "https://evil.example", false},
		{"POST", "cross-site", "https://trusted.example", true},
		{"POST", "", "", true}, // not a browser
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "https://api.example/x", nil)
		if tt.site != "" {
			r.Header.Set("Sec-Fetch-Site", tt.site)
		}
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if err := p.Check(r); (err == nil) != tt.ok {
			t.Errorf("%s site=%q origin=%q: Check = %v, want ok=%v", tt.method, tt.site, tt.origin, err, tt.ok)
		}
	}
}

func TestUnsafeMethod(t *testing.T) {
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
		if UnsafeMethod(m) {
			t.Errorf("UnsafeMethod(%s) = true", m)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodConnect, http.MethodTrace, "PROPFIND", "get", ""} {
		if !UnsafeMethod(m) {
			t.Errorf("UnsafeMethod(%q) = false", m)
		}
	}
}

func TestDropCrossOriginCookies(t *testing.T) {
	cop, err := NewCSRF(nil)
	if err != nil {
		t.Fatal(err)
	}
	header := Credential{Raw: "h", Transport: TransportHeader, Source: "Authorization"}
	cookie := Credential{Raw: "c", Transport: TransportCookie, Source: "token"}
	for _, tc := range []struct {
		name    string
		method  string
		site    string
		cop     *http.CrossOriginProtection
		creds   []Credential
		want    []Credential
		wantErr bool
	}{
		{"same-origin keeps all", http.MethodPost, "same-origin", cop, []Credential{header, cookie}, []Credential{header, cookie}, false},
		{"cross-site GET keeps all", http.MethodGet, "cross-site", cop, []Credential{cookie}, []Credential{cookie}, false},
		{"cross-site POST keeps the header", http.MethodPost, "cross-site", cop, []Credential{header, cookie}, []Credential{header}, false},
		{"cross-site POST with only a cookie", http.MethodPost, "cross-site", cop, []Credential{cookie}, nil, true},
		{"cross-site POST without credentials", http.MethodPost, "cross-site", cop, nil, nil, false},
		{"nil protection checks nothing", http.MethodPost, "cross-site", nil, []Credential{cookie}, []Credential{cookie}, false},
	} {
		r := httptest.NewRequest(tc.method, "https://api.example.com/x", nil)
		r.Header.Set("Sec-Fetch-Site", tc.site)
		got, err := DropCrossOriginCookies(r, tc.creds, tc.cop)
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrCrossOrigin)) {
			t.Errorf("%s: err = %v, want ErrCrossOrigin: %v", tc.name, err, tc.wantErr)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: kept %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: kept %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

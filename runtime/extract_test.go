package runtime

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	prefixes := []string{"Bearer", "Token"}
	tests := []struct {
		name    string
		value   string
		raw     string
		ok      bool
		reason  Reason // "" means no error
		missing bool   // not attempted
	}{
		{name: "bearer", value: "Bearer abc", raw: "abc", ok: true},
		{name: "second prefix", value: "Token abc", raw: "abc", ok: true},
		{name: "lowercase scheme", value: "bearer abc", raw: "abc", ok: true},
		{name: "uppercase scheme", value: "BEARER abc", raw: "abc", ok: true},
		{name: "mixed case scheme", value: "tOkEn abc", raw: "abc", ok: true},
		{name: "tab", value: "Bearer\tabc", raw: "abc", ok: true},
		{name: "several spaces", value: "Bearer    abc", raw: "abc", ok: true},
		{name: "spaces and tabs around", value: " \tBearer \t abc\t ", raw: "abc", ok: true},
		{name: "token case kept", value: "Bearer AbC", raw: "AbC", ok: true},
		{name: "empty", value: "", missing: true},
		{name: "whitespace only", value: " \t  ", missing: true},
		{name: "basic", value: "Basic dXNlcjpwYXNz", missing: true},
		{name: "digest", value: `Digest username="u", realm="r"`, missing: true},
		{name: "unknown scheme", value: "Foo a b c", missing: true},
		{name: "scheme prefix of ours", value: "Bear abc", missing: true},
		{name: "scheme with ours as prefix", value: "Bearerx abc", missing: true},
		{name: "no space after scheme", value: "Bearer,abc", missing: true},
		{name: "non-breaking space is not a separator", value: "Bearer\u00a0abc", missing: true},
		{name: "scheme alone", value: "Bearer", reason: ReasonMalformed},
		{name: "scheme and spaces", value: "Bearer   ", reason: ReasonMalformed},
		{name: "two words", value: "Bearer a b", reason: ReasonMalformed},
		{name: "two words with tab", value: "token a\tb", reason: ReasonMalformed},
		{name: "too long", value: "Bearer " + strings.Repeat("a", MaxCredentialLength), reason: ReasonMalformed},
		{name: "too long foreign is not attempted", value: "Basic " + strings.Repeat("a", MaxCredentialLength), missing: true},
		{name: "too long foreign scheme word", value: strings.Repeat("X", 2*MaxCredentialLength) + " abc", missing: true},
		{name: "Kelvin sign is not k", value: "To\u212Aen abc", missing: true},
		{name: "Kelvin sign upper case", value: "TO\u212AEN abc", missing: true},
		{name: "max length", value: "Bearer " + strings.Repeat("a", MaxCredentialLength-7), raw: strings.Repeat("a", MaxCredentialLength-7), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, ok, err := ParseAuthorization(tt.value, prefixes)
			if got := ReasonOf(err); got != tt.reason || (err != nil) != (tt.reason != "") {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
			if raw != tt.raw || ok != tt.ok {
				t.Errorf("= %q, %v; want %q, %v", raw, ok, tt.raw, tt.ok)
			}
			if tt.missing && (ok || err != nil) {
				t.Errorf("want not attempted, got ok=%v err=%v", ok, err)
			}
		})
	}
}

func TestParseAuthorizationCustomPrefixes(t *testing.T) {
	if raw, ok, err := ParseAuthorization("acme-Key x", []string{"ACME-key"}); raw != "x" || !ok || err != nil {
		t.Errorf("= %q, %v, %v", raw, ok, err)
	}
	if _, ok, err := ParseAuthorization("Bearer x", nil); ok || err != nil {
		t.Errorf("no prefixes: ok=%v err=%v, want not attempted", ok, err)
	}
}

func newCookieRequest(authz string, cookies ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if len(cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	return r
}

func TestExtract(t *testing.T) {
	s := DefaultSettings()
	s.CookieNames = []string{"token", "legacy_token"}
	hdr := func(raw string) Credential {
		return Credential{Raw: raw, Transport: TransportHeader, Source: "Authorization"}
	}
	ck := func(name, raw string) Credential {
		return Credential{Raw: raw, Transport: TransportCookie, Source: name}
	}
	tests := []struct {
		name    string
		req     *http.Request
		want    []Credential
		wantErr Reason
	}{
		{name: "nothing", req: newCookieRequest("")},
		{name: "header only", req: newCookieRequest("Bearer h1"), want: []Credential{hdr("h1")}},
		{name: "foreign header, cookie", req: newCookieRequest("Basic xyz", "token=c1"), want: []Credential{ck("token", "c1")}},
		{name: "header first, then cookies in configured order",
			req:  newCookieRequest("token h1", "legacy_token=l1", "other=o", "token=c1"),
			want: []Credential{hdr("h1"), ck("token", "c1"), ck("legacy_token", "l1")}},
		{name: "duplicate cookies all tried, empty skipped",
			req:  newCookieRequest("", "token=c1", "token=", "token=c2", "legacy_token=l1"),
			want: []Credential{ck("token", "c1"), ck("token", "c2"), ck("legacy_token", "l1")}},
		{name: "cookie names are case-sensitive",
			req: newCookieRequest("", "Token=c1", "TOKEN=c2")},
		{name: "at most MaxCookieCredentials cookies",
			req:  newCookieRequest("Bearer h1", "token=1", "token=2", "token=3", "legacy_token=4", "legacy_token=5", "token=6"),
			want: []Credential{hdr("h1"), ck("token", "1"), ck("token", "2"), ck("token", "3"), ck("token", "6")}},
		{name: "oversized cookie skipped",
			req:  newCookieRequest("", "token="+strings.Repeat("a", MaxCredentialLength+1), "legacy_token=l1"),
			want: []Credential{ck("legacy_token", "l1")}},
		{name: "malformed header is an error even with cookies",
			req: newCookieRequest("Bearer a b", "token=c1"), wantErr: ReasonMalformed},
		{name: "scheme without token",
			req: newCookieRequest("Bearer"), wantErr: ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(tt.req, &s)
			if ReasonOf(err) != tt.wantErr || (err != nil) != (tt.wantErr != "") {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestExtractSeveralAuthorizationHeaders(t *testing.T) {
	s := DefaultSettings()
	r := newCookieRequest("")
	r.Header.Add("Authorization", "Basic xyz")
	r.Header.Add("Authorization", "Bearer h1")
	got, err := Extract(r, &s)
	if err != nil || len(got) != 1 || got[0].Raw != "h1" {
		t.Errorf("Basic + Bearer: %+v, %v; want the Bearer token", got, err)
	}
	r.Header.Add("Authorization", "Token h2")
	if _, err := Extract(r, &s); ReasonOf(err) != ReasonMalformed {
		t.Errorf("two of our schemes: err = %v, want ReasonMalformed", err)
	}
}

func TestExtractNilSettings(t *testing.T) {
	got, err := Extract(newCookieRequest("bearer h1", "token=c1"), nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("= %+v, %v; want the default header and cookie", got, err)
	}
}

func TestCredentialNeverPrinted(t *testing.T) {
	c := Credential{Raw: testRawToken, Transport: TransportCookie, Source: "token"}
	secretPart := testRawToken[len("acme_at_"):]
	var buf bytes.Buffer
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&buf, f+"\n", c)
		fmt.Fprintf(&buf, f+"\n", []Credential{c})
	}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cred", c)
	if out := buf.String(); strings.Contains(out, secretPart) || !strings.Contains(out, "token") {
		t.Errorf("credential printed unredacted or without its source:\n%s", out)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer\tabc", "Basic x", "", " ", "Bearer", "Bearer a b", "token  x "} {
		f.Add(s)
	}
	prefixes := []string{"Bearer", "Token"}
	f.Fuzz(func(t *testing.T, value string) {
		raw, ok, err := ParseAuthorization(value, prefixes)
		switch {
		case err != nil:
			if ok || raw != "" || ReasonOf(err) != ReasonMalformed {
				t.Fatalf("error %v with raw=%q ok=%v", err, raw, ok)
			}
		case ok:
			if raw == "" || strings.ContainsAny(raw, " \t") || !strings.Contains(value, raw) {
				t.Fatalf("raw %q from %q", raw, value)
			}
			// The same credential, written canonically, parses the same.
			fields := strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' })
			if len(fields) != 2 || fields[1] != raw {
				t.Fatalf("%q gave %q; words %q", value, raw, fields)
			}
			// Same scheme: "Bearer" is one byte longer than "Token", so a
			// credential at the length limit would not fit behind it.
			if again, ok2, err2 := ParseAuthorization(fields[0]+" "+raw, prefixes); again != raw || !ok2 || err2 != nil {
				t.Fatalf("canonical form of %q does not round-trip", value)
			}
		default:
			if raw != "" {
				t.Fatalf("not attempted but raw = %q", raw)
			}
		}
		if len(value) > MaxCredentialLength && ok {
			t.Fatalf("oversized value accepted")
		}
	})
}

func FuzzExtractCookies(f *testing.F) {
	for _, s := range []string{"token=abc", "token=a; token=b; legacy=c", `token="quoted"`, "token=; =x; ;;", "a=b"} {
		f.Add(s, "Bearer x")
	}
	s := DefaultSettings()
	s.CookieNames = []string{"token", "legacy"}
	f.Fuzz(func(t *testing.T, cookie, authz string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = []string{cookie}
		r.Header["Authorization"] = []string{authz}
		creds, err := Extract(r, &s)
		if err != nil {
			if ReasonOf(err) != ReasonMalformed || creds != nil {
				t.Fatalf("err %v with creds %v", err, creds)
			}
			if _, _, herr := ParseAuthorization(authz, s.HeaderPrefixes); herr == nil {
				t.Fatalf("error %v although the header parses", err)
			}
			return
		}
		cookies := 0
		for i, c := range creds {
			switch c.Transport {
			case TransportHeader:
				if i != 0 || c.Source != "Authorization" {
					t.Fatalf("header credential at %d: %+v", i, c)
				}
			case TransportCookie:
				cookies++
				if !slices.Contains(s.CookieNames, c.Source) || c.Raw == "" || len(c.Raw) > MaxCredentialLength {
					t.Fatalf("bad cookie credential %+v", c)
				}
				if !strings.Contains(cookie, c.Raw) {
					t.Fatalf("cookie value %q not in header %q", c.Raw, cookie)
				}
			default:
				t.Fatalf("transport %q", c.Transport)
			}
		}
		if cookies > MaxCookieCredentials {
			t.Fatalf("%d cookie credentials", cookies)
		}
	})
}

// FuzzNextWord compares nextWord with its definition through the strings
// package (what it was before it became byte loops).
func FuzzNextWord(f *testing.F) {
	for _, s := range []string{"", " ", "\t\t", "Bearer abc", "  Bearer\tabc  def", "a", "a ", " a", "\u00a0x y", "x\ny z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref := strings.TrimLeft(s, " \t")
		wantWord, wantRest := ref, ""
		if i := strings.IndexAny(ref, " \t"); i >= 0 {
			wantWord, wantRest = ref[:i], ref[i:]
		}
		if word, rest := nextWord(s); word != wantWord || rest != wantRest {
			t.Errorf("nextWord(%q) = %q, %q; want %q, %q", s, word, rest, wantWord, wantRest)
		}
	})
}

package auth_test

// Issue 8 item 7: New logs the settings in force once, redacted, and warns
// about weak choices; the middleware warns when its CSRF check is off.

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/internal/pgtest"
	"github.com/authentify-go/authentify/runtime"
)

type logRecord struct {
	Level    string         `json:"level"`
	Msg      string         `json:"msg"`
	Settings map[string]any `json:"settings"`
}

func logRecords(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var recs []logRecord
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestNewLogsTheSettingsInForce(t *testing.T) {
	const key = "startup-log-secret-key-0123456789abcdef"
	pool := pgtest.NewPool(t)
	tests := []struct {
		name     string
		mod      func(*runtime.Settings)
		warnings []string // substrings, in order
	}{
		{"defaults", nil, nil},
		{"weak", func(s *runtime.Settings) {
			s.TokenTTL, s.AutoRefreshMaxTTL, s.EnableAuthRestriction = runtime.Never, runtime.Never, false
			s.SecretKey = []byte(key)
		}, []string{"token_ttl is none", "auto_refresh_max_ttl is none", "enable_auth_restriction is false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			svc, err := auth.New(pool, auth.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))), settings(tt.mod))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), key) {
				t.Fatalf("the log shows the secret key: %s", buf.String())
			}
			recs := logRecords(t, &buf)
			if len(recs) != 1+len(tt.warnings) {
				t.Fatalf("%d log records, want 1 + %d warnings:\n%s", len(recs), len(tt.warnings), buf.String())
			}
			info := recs[0]
			if info.Level != "INFO" || info.Msg != "authentify: settings" || len(info.Settings) != len(runtime.SettingKeys())+1 {
				t.Errorf("settings record %+v", info)
			}
			if got, want := info.Settings["token_ttl"], map[bool]string{true: "none", false: "24h0m0s"}[tt.mod != nil]; got != want {
				t.Errorf("token_ttl logged as %v, want %v", got, want)
			}
			if want := map[bool]string{true: "[redacted]", false: ""}[tt.mod != nil]; info.Settings["secret_key"] != want {
				t.Errorf("secret_key logged as %v, want %q", info.Settings["secret_key"], want)
			}
			for i, w := range tt.warnings {
				if r := recs[1+i]; r.Level != "WARN" || !strings.Contains(r.Msg, w) {
					t.Errorf("warning %d = %s %q, want one about %q", i, r.Level, r.Msg, w)
				}
			}

			// The middleware warns when its CSRF check is turned off.
			buf.Reset()
			if _, err := svc.MiddlewareWithConfig(auth.MiddlewareConfig{DisableCSRF: true}); err != nil {
				t.Fatal(err)
			}
			if recs := logRecords(t, &buf); len(recs) != 1 || recs[0].Level != "WARN" || !strings.Contains(recs[0].Msg, "CSRF") {
				t.Errorf("DisableCSRF logged %s", buf.String())
			}
			buf.Reset()
			_ = svc.Middleware()
			if buf.Len() != 0 {
				t.Errorf("the default middleware logged %s", buf.String())
			}
		})
	}
}

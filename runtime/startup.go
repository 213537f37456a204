package runtime

import (
	"context"
	"log/slog"
)

// Warnings returns the weak choices in s, one sentence each, in a fixed
// order: lifetimes without a bound and the transport restriction turned
// off. LogSettings logs each as a warning.
func (s Settings) Warnings() []string {
	var w []string
	if s.TokenTTL == Never {
		w = append(w, "token_ttl is none: access tokens never expire; a leaked token works until it is revoked")
	}
	if s.AutoRefreshMaxTTL == Never {
		w = append(w, "auto_refresh_max_ttl is none: sessions have no absolute lifetime; refreshing keeps one alive forever")
	}
	if !s.EnableAuthRestriction {
		w = append(w, "enable_auth_restriction is false: cookie tokens are accepted in the Authorization header and header tokens in cookies and refresh requests")
	}
	return w
}

// CSRFOffWarning is what a generated middleware logs when it is built with
// its cross-origin (CSRF) check turned off.
const CSRFOffWarning = "the CSRF check of cookie-authenticated unsafe requests is off (DisableCSRF): only safe if the app protects itself otherwise"

// LogSettings logs the settings in force once through l (slog.Default()
// when nil): an Info record "authentify: settings" with every setting,
// secret_key redacted (whether one is set shows as "[redacted]" or ""), and
// a Warn record for each of s.Warnings(). pkg names the generated package.
func LogSettings(ctx context.Context, l *slog.Logger, pkg string, s Settings) {
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(ctx, slog.LevelInfo, "authentify: settings", slog.String("package", pkg), slog.Any("settings", s))
	for _, w := range s.Warnings() {
		l.LogAttrs(ctx, slog.LevelWarn, "authentify: "+w, slog.String("package", pkg))
	}
}

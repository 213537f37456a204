package runtime

import (
	"fmt"
	"time"
)

// IssueOptions override settings for one issued or refreshed token.
type IssueOptions struct {
	// AccessTTL overrides Settings.TokenTTL when non-zero (Never allowed).
	AccessTTL time.Duration
	// RefreshTTL overrides Settings.RefreshTokenTTL when non-zero (Never:
	// no refresh token).
	RefreshTTL time.Duration
}

// State returns "" when the record authenticates at now, else why not:
// ReasonRevoked or ReasonExpired. Revocation never depends on expires_at.
func (r Record) State(now time.Time) Reason {
	switch {
	case r.RevokedAt != nil:
		return ReasonRevoked
	case r.ExpiresAt != nil && !now.Before(*r.ExpiresAt):
		return ReasonExpired
	}
	return ""
}

// IsActive reports whether the record authenticates at now.
func (r Record) IsActive(now time.Time) bool { return r.State(now) == "" }

// refreshState returns "" when the record's refresh token can be redeemed at
// now, else why not.
func (r Record) refreshState(now time.Time) Reason {
	switch {
	case r.RevokedAt != nil:
		return ReasonRevoked
	case r.RefreshUntil == nil:
		return ReasonInvalid
	case !now.Before(*r.RefreshUntil):
		return ReasonExpired
	}
	return ""
}

// sessionLimit is the absolute end of a session created at created, or nil
// when AutoRefreshMaxTTL is Never.
func sessionLimit(s Settings, created time.Time) *time.Time {
	if s.AutoRefreshMaxTTL == Never {
		return nil
	}
	t := created.Add(s.AutoRefreshMaxTTL)
	return &t
}

func earliest(t time.Time, limit *time.Time) time.Time {
	if limit != nil && limit.Before(t) {
		return *limit
	}
	return t
}

func checkTTL(name string, d time.Duration) error {
	if d != 0 && d != Never && d < 0 {
		return fmt.Errorf("authentify: %s must be positive or runtime.Never, got %s", name, d)
	}
	return nil
}

// sessionTTLs returns the access and refresh TTLs of a session: the
// per-call overrides o, else the session's own stored TTLs (own, zero when
// the row predates them), else the settings. A refresh TTL that is not set
// explicitly does not apply to an access token that never expires.
func sessionTTLs(s Settings, own Record, o IssueOptions) (ttl, rttl time.Duration) {
	ttl, rttl = s.TokenTTL, s.RefreshTokenTTL
	if own.AccessTTL != 0 {
		ttl = own.AccessTTL
	}
	if own.RefreshTTL != 0 {
		rttl = own.RefreshTTL
	}
	if o.AccessTTL != 0 {
		ttl = o.AccessTTL
	}
	if o.RefreshTTL != 0 {
		rttl = o.RefreshTTL
	} else if ttl == Never {
		// An access token that never expires needs no refresh token: the
		// refresh_token_ttl setting applies to expiring tokens only (else
		// token_ttl none would make every issue fail). An explicit per-call
		// refresh TTL with a never-expiring access token is still an error.
		rttl = Never
	}
	return ttl, rttl
}

// windowTimes computes the access expiry and refresh window of a session
// (re)issued at now and created at created, with the TTLs of sessionTTLs
// (own: the session's stored TTLs, zero Record for a new one), capping
// both at the session's absolute lifetime. keep holds the session's own
// TTLs to store from now on: the overrides of this call, else those it
// already had (zero: none, the settings apply).
func windowTimes(s Settings, own Record, created, now time.Time, o IssueOptions) (exp, until *time.Time, keep IssueOptions, err error) {
	if err := checkTTL("access TTL", o.AccessTTL); err != nil {
		return nil, nil, keep, err
	}
	if err := checkTTL("refresh TTL", o.RefreshTTL); err != nil {
		return nil, nil, keep, err
	}
	keep = IssueOptions{AccessTTL: own.AccessTTL, RefreshTTL: own.RefreshTTL}
	if o.AccessTTL != 0 {
		keep.AccessTTL = o.AccessTTL
	}
	if o.RefreshTTL != 0 {
		keep.RefreshTTL = o.RefreshTTL
	}
	ttl, rttl := sessionTTLs(s, own, o)
	limit := sessionLimit(s, created)
	if limit != nil && !now.Before(*limit) {
		return nil, nil, keep, refused(ReasonExpired)
	}
	if ttl != Never {
		t := earliest(now.Add(ttl), limit)
		exp = &t
	} else if limit != nil {
		exp = limit
	}
	if rttl != Never {
		if ttl == Never || rttl < ttl {
			return nil, nil, keep, fmt.Errorf("authentify: refresh TTL (%s) must not end before the access token (TTL %s)", formatTTL(rttl), formatTTL(ttl))
		}
		t := earliest(now.Add(rttl), limit)
		until = &t
	}
	return exp, until, keep, nil
}

// slideTimes decides whether an auto-refresh is due for r at now and to what
// expiry. It slides only expiring tokens, at most once per interval, by the
// session's own TTLs (the settings' for rows that predate them), caps the
// new expiry at the session's absolute lifetime and never shortens a token.
func slideTimes(s Settings, r Record, now time.Time) (exp, until *time.Time, due bool) {
	ttl, rttl := sessionTTLs(s, r, IssueOptions{})
	if !s.AutoRefresh || ttl == Never || r.ExpiresAt == nil {
		return nil, nil, false
	}
	if now.Sub(r.LastRefreshedAt) < s.AutoRefreshInterval {
		return nil, nil, false
	}
	limit := sessionLimit(s, r.CreatedAt)
	next := earliest(now.Add(ttl), limit)
	if !next.After(*r.ExpiresAt) {
		return nil, nil, false
	}
	until = r.RefreshUntil
	if r.RefreshUntil != nil && rttl != Never {
		u := earliest(now.Add(rttl), limit)
		if u.After(*r.RefreshUntil) {
			until = &u
		}
	}
	return &next, until, true
}

// inGrace reports whether a rotation at rotatedAt is recent enough at now for
// a replay of the previous refresh token to count as a benign race.
func inGrace(s Settings, rotatedAt *time.Time, now time.Time) bool {
	return rotatedAt != nil && now.Sub(*rotatedAt) <= s.RefreshGracePeriod
}

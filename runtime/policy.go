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

// windowTimes computes the access expiry and refresh window of a session
// (re)issued at now and created at created, applying per-call overrides and
// capping both at the session's absolute lifetime.
func windowTimes(s Settings, created, now time.Time, o IssueOptions) (exp, until *time.Time, err error) {
	if err := checkTTL("access TTL", o.AccessTTL); err != nil {
		return nil, nil, err
	}
	if err := checkTTL("refresh TTL", o.RefreshTTL); err != nil {
		return nil, nil, err
	}
	ttl, rttl := s.TokenTTL, s.RefreshTokenTTL
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
	limit := sessionLimit(s, created)
	if limit != nil && !now.Before(*limit) {
		return nil, nil, refused(ReasonExpired)
	}
	if ttl != Never {
		t := earliest(now.Add(ttl), limit)
		exp = &t
	} else if limit != nil {
		exp = limit
	}
	if rttl != Never {
		if ttl == Never || rttl < ttl {
			return nil, nil, fmt.Errorf("authentify: refresh TTL (%s) must not end before the access token (TTL %s)", formatTTL(rttl), formatTTL(ttl))
		}
		t := earliest(now.Add(rttl), limit)
		until = &t
	}
	return exp, until, nil
}

// slideTimes decides whether an auto-refresh is due for r at now and to what
// expiry. It slides only expiring tokens, at most once per interval, caps the
// new expiry at the session's absolute lifetime and never shortens a token.
func slideTimes(s Settings, r Record, now time.Time) (exp, until *time.Time, due bool) {
	if !s.AutoRefresh || s.TokenTTL == Never || r.ExpiresAt == nil {
		return nil, nil, false
	}
	if now.Sub(r.LastRefreshedAt) < s.AutoRefreshInterval {
		return nil, nil, false
	}
	limit := sessionLimit(s, r.CreatedAt)
	next := earliest(now.Add(s.TokenTTL), limit)
	if !next.After(*r.ExpiresAt) {
		return nil, nil, false
	}
	until = r.RefreshUntil
	if r.RefreshUntil != nil && s.RefreshTokenTTL != Never {
		u := earliest(now.Add(s.RefreshTokenTTL), limit)
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

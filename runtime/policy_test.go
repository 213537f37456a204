package runtime

import (
	"math/rand/v2"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func tp(d time.Duration) *time.Time { t := epoch.Add(d); return &t }

func TestRecordState(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
		now  time.Duration
		want Reason
	}{
		{"active", Record{ExpiresAt: tp(time.Hour)}, 0, ""},
		{"never expires", Record{}, 1000 * time.Hour, ""},
		{"expired at the instant", Record{ExpiresAt: tp(time.Hour)}, time.Hour, ReasonExpired},
		{"revoked wins over a future expiry", Record{ExpiresAt: tp(1000 * time.Hour), RevokedAt: tp(0)}, 0, ReasonRevoked},
		{"revoked without expiry", Record{RevokedAt: tp(0)}, 0, ReasonRevoked},
	} {
		if got := tc.rec.State(epoch.Add(tc.now)); got != tc.want {
			t.Errorf("%s: State = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSlideTimes(t *testing.T) {
	base := DefaultSettings()
	base.AutoRefresh = true
	base.TokenTTL = time.Hour
	base.RefreshTokenTTL = 2 * time.Hour
	base.AutoRefreshInterval = 10 * time.Minute
	base.AutoRefreshMaxTTL = 3 * time.Hour
	rec := Record{CreatedAt: epoch, LastRefreshedAt: epoch, ExpiresAt: tp(time.Hour), RefreshUntil: tp(2 * time.Hour)}
	for _, tc := range []struct {
		name      string
		mod       func(*Settings, *Record)
		now       time.Duration
		due       bool
		exp, till *time.Time
	}{
		{"off", func(s *Settings, _ *Record) { s.AutoRefresh = false }, 30 * time.Minute, false, nil, nil},
		{"throttled", nil, 5 * time.Minute, false, nil, nil},
		{"slides both", nil, 30 * time.Minute, true, tp(90 * time.Minute), tp(150 * time.Minute)},
		{"interval zero slides at once", func(s *Settings, _ *Record) { s.AutoRefreshInterval = 0 }, time.Second, true, tp(time.Hour + time.Second), tp(2*time.Hour + time.Second)},
		{"capped at max", nil, 150 * time.Minute, true, tp(3 * time.Hour), tp(3 * time.Hour)},
		{"never shortens a long token", func(_ *Settings, r *Record) { r.ExpiresAt = tp(5 * time.Hour) }, 30 * time.Minute, false, nil, nil},
		{"never touches a never-expiring token", func(_ *Settings, r *Record) { r.ExpiresAt = nil }, 30 * time.Minute, false, nil, nil},
		{"no refresh window stays none", func(_ *Settings, r *Record) { r.RefreshUntil = nil }, 30 * time.Minute, true, tp(90 * time.Minute), nil},
		// A session's own TTLs win over the settings (issued with
		// WithAccessTTL / WithRefreshTTL).
		{"own TTLs", func(_ *Settings, r *Record) {
			r.AccessTTL, r.RefreshTTL = 5*time.Minute, 100*time.Minute
			r.ExpiresAt = tp(5 * time.Minute)
		}, 4 * time.Minute, false, nil, nil},
		{"own TTLs slide by their own length", func(s *Settings, r *Record) {
			s.AutoRefreshInterval = time.Minute
			r.AccessTTL, r.RefreshTTL = 5*time.Minute, 100*time.Minute
			r.ExpiresAt, r.RefreshUntil = tp(5*time.Minute), tp(100*time.Minute)
		}, 4 * time.Minute, true, tp(9 * time.Minute), tp(104 * time.Minute)},
		{"own access TTL never does not slide", func(_ *Settings, r *Record) { r.AccessTTL, r.RefreshTTL = Never, Never }, 30 * time.Minute, false, nil, nil},
		{"own TTLs still capped at max", func(s *Settings, r *Record) {
			r.AccessTTL, r.RefreshTTL = 10*time.Hour, 20*time.Hour
		}, 30 * time.Minute, true, tp(3 * time.Hour), tp(3 * time.Hour)},
	} {
		s, r := base, rec
		if tc.mod != nil {
			tc.mod(&s, &r)
		}
		exp, till, due := slideTimes(s, r, epoch.Add(tc.now))
		if due != tc.due || !timeEq(exp, tc.exp) || !timeEq(till, tc.till) {
			t.Errorf("%s: slideTimes = (%v, %v, %v), want (%v, %v, %v)", tc.name, exp, till, due, tc.exp, tc.till, tc.due)
		}
	}
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// TestWindowTimesNeverPassTheSessionLimit is a property test: whatever the
// settings, overrides and moment of (re)issue, no expiry lies past
// created + AutoRefreshMaxTTL, and the refresh window never ends before the
// access token.
func TestWindowTimesNeverPassTheSessionLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ttl := func() time.Duration {
		if r.IntN(6) == 0 {
			return Never
		}
		return time.Duration(1+r.IntN(500)) * time.Minute
	}
	for i := 0; i < 5000; i++ {
		s := DefaultSettings()
		s.TokenTTL, s.RefreshTokenTTL, s.AutoRefreshMaxTTL = ttl(), ttl(), ttl()
		o := IssueOptions{}
		if r.IntN(2) == 0 {
			o.AccessTTL, o.RefreshTTL = ttl(), ttl()
		}
		now := epoch.Add(time.Duration(r.IntN(1000)) * time.Minute)
		var own Record
		if r.IntN(2) == 0 {
			own.AccessTTL, own.RefreshTTL = ttl(), ttl()
		}
		exp, till, _, err := windowTimes(s, own, epoch, now, o)
		if err != nil {
			continue
		}
		if s.AutoRefreshMaxTTL != Never {
			limit := epoch.Add(s.AutoRefreshMaxTTL)
			for _, x := range []*time.Time{exp, till} {
				if x != nil && x.After(limit) {
					t.Fatalf("case %d: %v past the limit %v (settings %+v, options %+v)", i, x, limit, s, o)
				}
			}
			if exp == nil {
				t.Fatalf("case %d: unbounded access token under a session limit", i)
			}
		}
		if till != nil && (exp == nil || till.Before(*exp)) {
			t.Fatalf("case %d: refresh window %v ends before the access token %v", i, till, exp)
		}
	}
}

func TestWindowTimesUseTheSessionsOwnTTLs(t *testing.T) {
	s := DefaultSettings() // 24h access, 168h refresh, 720h max
	now := epoch.Add(time.Hour)
	for _, tc := range []struct {
		name                 string
		own                  Record
		o                    IssueOptions
		wantKeep             IssueOptions
		wantExp, wantRefresh *time.Time
	}{
		{"no own TTLs: the settings", Record{}, IssueOptions{}, IssueOptions{}, tp(25 * time.Hour), tp(169 * time.Hour)},
		{"own TTLs", Record{AccessTTL: 5 * time.Minute, RefreshTTL: time.Hour}, IssueOptions{}, IssueOptions{AccessTTL: 5 * time.Minute, RefreshTTL: time.Hour}, tp(time.Hour + 5*time.Minute), tp(2 * time.Hour)},
		{"only an own access TTL", Record{AccessTTL: 5 * time.Minute}, IssueOptions{}, IssueOptions{AccessTTL: 5 * time.Minute}, tp(time.Hour + 5*time.Minute), tp(169 * time.Hour)},
		{"per-call override wins and is kept", Record{AccessTTL: 5 * time.Minute, RefreshTTL: time.Hour}, IssueOptions{AccessTTL: 10 * time.Minute}, IssueOptions{AccessTTL: 10 * time.Minute, RefreshTTL: time.Hour}, tp(time.Hour + 10*time.Minute), tp(2 * time.Hour)},
		{"own never", Record{AccessTTL: Never, RefreshTTL: Never}, IssueOptions{}, IssueOptions{AccessTTL: Never, RefreshTTL: Never}, tp(720 * time.Hour), nil},
		{"capped at max", Record{AccessTTL: 1000 * time.Hour, RefreshTTL: 2000 * time.Hour}, IssueOptions{}, IssueOptions{AccessTTL: 1000 * time.Hour, RefreshTTL: 2000 * time.Hour}, tp(720 * time.Hour), tp(720 * time.Hour)},
	} {
		exp, till, keep, err := windowTimes(s, tc.own, epoch, now, tc.o)
		if err != nil || keep != tc.wantKeep || !timeEq(exp, tc.wantExp) || !timeEq(till, tc.wantRefresh) {
			t.Errorf("%s: windowTimes = %v, %v, %+v, %v; want %v, %v, %+v", tc.name, exp, till, keep, err, tc.wantExp, tc.wantRefresh, tc.wantKeep)
		}
	}
}

func TestInGrace(t *testing.T) {
	s := DefaultSettings()
	s.RefreshGracePeriod = 10 * time.Second
	for _, tc := range []struct {
		rotated *time.Time
		now     time.Duration
		want    bool
	}{
		{nil, 0, false},
		{tp(0), 10 * time.Second, true},
		{tp(0), 10*time.Second + time.Microsecond, false},
	} {
		if got := inGrace(s, tc.rotated, epoch.Add(tc.now)); got != tc.want {
			t.Errorf("inGrace(%v, +%v) = %v, want %v", tc.rotated, tc.now, got, tc.want)
		}
	}
}

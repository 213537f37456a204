package auth_test

// The typed context: round trip and strictness.

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
)

// ---------------------------------------------------------------- context

// TestContextRoundTrip: the typed Context survives the jsonb column —
// netip addresses (v4 and v6), strings, bools, and omitted zero fields —
// through issue, verify, refresh, authenticate and ListSessions.
func TestContextRoundTrip(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		clk := newClock(t0)
		svc, pool := newEngineService(t, e, auth.WithClock(clk.Now))
		user := newUser(t, pool, "alice")
		tests := []struct {
			c    auth.Context
			json map[string]any
		}{
			{auth.Context{Device: "iPhone", IPAddress: netip.MustParseAddr("2001:db8::1"), AppVersion: "2.1", BetaFeatures: true},
				map[string]any{"device": "iPhone", "ip_address": "2001:db8::1", "app_version": "2.1", "beta_features": true}},
			{auth.Context{Device: "Chrome", IPAddress: netip.MustParseAddr("192.0.2.44")},
				map[string]any{"device": "Chrome", "ip_address": "192.0.2.44"}},
			{auth.Context{Device: "mapped", IPAddress: netip.MustParseAddr("::ffff:192.0.2.1")},
				map[string]any{"device": "mapped", "ip_address": "::ffff:192.0.2.1"}},
			{auth.Context{Device: "ünïcode \"quoted\" 📱"}, map[string]any{"device": "ünïcode \"quoted\" 📱"}},
		}
		var ids []int64
		for _, tc := range tests {
			clk.Advance(time.Second)
			iss, err := svc.GenerateHeaderToken(t.Context(), user, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			ids = append([]int64{iss.Token.ID}, ids...)
			var raw []byte
			if err := pool.QueryRow(t.Context(), `SELECT context FROM auth_tokens WHERE id = $1`, iss.Token.ID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var stored map[string]any
			if err := json.Unmarshal(raw, &stored); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(stored, tc.json) {
				t.Errorf("stored context %s, want %v", raw, tc.json)
			}
			got := []auth.Context{iss.Token.Context, mustVerify(t, svc, iss).Context}
			tok, _, err := svc.AuthenticateRequest(headerRequest("Bearer", iss.AccessToken.Reveal()))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := svc.RefreshToken(t.Context(), iss.RefreshToken.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tok.Context, ref.Token.Context)
			for i, c := range got {
				if c != tc.c {
					t.Errorf("path %d: context %+v, want %+v", i, c, tc.c)
				}
			}
		}
		sessions, _, err := svc.ListSessions(t.Context(), user, 0, runtime.SessionCursor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sessions) != len(tests) {
			t.Fatalf("%d sessions, want %d", len(sessions), len(tests))
		}
		for i, s := range sessions {
			want := tests[len(tests)-1-i].c
			if s.ID != ids[i] || s.Context != want {
				t.Errorf("session %d = %d %+v, want %d %+v", i, s.ID, s.Context, ids[i], want)
			}
		}
	})
}

// TestContextIsStrict: the example spec's context is strict: Context has
// exactly the declared fields with their Go types, so an undeclared key is a
// compile error (drf-authentify's context_obj answered None or raised at
// run time, §a.5).
func TestContextIsStrict(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		t.Parallel()
		want := map[string]reflect.Type{
			"Device":       reflect.TypeFor[string](),
			"IPAddress":    reflect.TypeFor[netip.Addr](),
			"AppVersion":   reflect.TypeFor[string](),
			"BetaFeatures": reflect.TypeFor[bool](),
		}
		ct := reflect.TypeFor[auth.Context]()
		if ct.NumField() != len(want) {
			t.Errorf("Context has %d fields, want %d", ct.NumField(), len(want))
		}
		for i := range ct.NumField() {
			f := ct.Field(i)
			if want[f.Name] != f.Type {
				t.Errorf("Context.%s is %v, want %v", f.Name, f.Type, want[f.Name])
			}
		}
		if _, ok := ct.FieldByName("Extra"); ok {
			t.Error("a strict Context has a catch-all field")
		}
	})
}

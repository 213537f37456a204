package runtime

import (
	"slices"
	"strings"
	"testing"
)

func TestParseInvalidation(t *testing.T) {
	flush := Invalidation{Scope: InvalidateAll}
	tests := []struct {
		payload string
		want    Invalidation
		wantErr string // substring of the error; "" for none
	}{
		{"*", flush, ""},
		{"t:1", Invalidation{Scope: InvalidateTokens, IDs: []int64{1}}, ""},
		{"t:0", Invalidation{Scope: InvalidateTokens, IDs: []int64{0}}, ""},
		{"t:9223372036854775807", Invalidation{Scope: InvalidateTokens, IDs: []int64{1<<63 - 1}}, ""},
		{"t:-5", Invalidation{Scope: InvalidateTokens, IDs: []int64{-5}}, ""},
		{"t:1,22,333", Invalidation{Scope: InvalidateTokens, IDs: []int64{1, 22, 333}}, ""},
		{"u:42", Invalidation{Scope: InvalidateUser, User: "42"}, ""},
		{"u:3f2a0c1e-8b7d-4c2a-9e1f-0a1b2c3d4e5f", Invalidation{Scope: InvalidateUser, User: "3f2a0c1e-8b7d-4c2a-9e1f-0a1b2c3d4e5f"}, ""},
		{"u:a,b:c *", Invalidation{Scope: InvalidateUser, User: "a,b:c *"}, ""},
		{"p:", Invalidation{Scope: InvalidatePing}, ""},
		{"p:instance-1 42", Invalidation{Scope: InvalidatePing, Ping: "instance-1 42"}, ""},
		// Garbled: a flush, with an error saying where.
		{"", flush, "byte 0: want"},
		{"**", flush, "byte 0: want"},
		{"T:1", flush, "byte 0: want"},
		{"P:1", flush, "byte 0: want"},
		{"x:1", flush, "byte 0: want"},
		{"t", flush, "byte 0: want"},
		{"u:", flush, "byte 2: empty user key"},
		{"t:", flush, `byte 2: token id ""`},
		{"t:1,", flush, `byte 4: token id ""`},
		{"t:,1", flush, `byte 2: token id ""`},
		{"t:1,,2", flush, `byte 4: token id ""`},
		{"t:01", flush, `byte 2: token id "01"`},
		{"t:+1", flush, `byte 2: token id "+1"`},
		{"t:-0", flush, `byte 2: token id "-0"`},
		{"t: 1", flush, `byte 2: token id " 1"`},
		{"t:1,x", flush, `byte 4: token id "x"`},
		{"t:9223372036854775808", flush, "byte 2: token id"},
		{"t:" + strings.Repeat("9", 10000), flush, "…"},
	}
	for _, tt := range tests {
		t.Run(truncate(tt.payload, 40), func(t *testing.T) {
			got, err := ParseInvalidation(tt.payload)
			if got.Scope != tt.want.Scope || got.User != tt.want.User || got.Ping != tt.want.Ping || !slices.Equal(got.IDs, tt.want.IDs) {
				t.Errorf("ParseInvalidation(%q) = %+v, want %+v", tt.payload, got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			case err != nil && len(err.Error()) > 250:
				t.Errorf("error too long (%d bytes): %v", len(err.Error()), err)
			}
			if err == nil && got.String() != tt.payload {
				t.Errorf("String() = %q, want the payload back", got.String())
			}
		})
	}
}

func TestInvalidationString(t *testing.T) {
	tests := []struct {
		inv  Invalidation
		want string
	}{
		{Invalidation{}, "*"},
		{Invalidation{Scope: InvalidateTokens, IDs: []int64{7}}, "t:7"},
		{Invalidation{Scope: InvalidateTokens, IDs: []int64{7, -1, 0}}, "t:7,-1,0"},
		{Invalidation{Scope: InvalidateUser, User: "bob"}, "u:bob"},
		{Invalidation{Scope: InvalidatePing, Ping: "x"}, "p:x"},
	}
	for _, tt := range tests {
		if got := tt.inv.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.inv, got, tt.want)
		}
	}
}

// FuzzParseInvalidation: any payload parses without panicking; a refused one
// is a flush; an accepted one is canonical (it prints back to itself) and
// complete (a token list is never empty, a user key never empty).
func FuzzParseInvalidation(f *testing.F) {
	for _, s := range []string{"*", "t:1", "t:1,2,3", "t:-9", "u:42", "u:a,b", "p:", "p:x", "", "t:", "t:01", "u:", "t:1,,2", "x", "P:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		inv, err := ParseInvalidation(payload)
		if err != nil {
			if inv.Scope != InvalidateAll {
				t.Fatalf("refused %q (%v) but scope %d, not a flush", payload, err, inv.Scope)
			}
			return
		}
		if got := inv.String(); got != payload {
			t.Fatalf("accepted %q as %+v, which prints as %q", payload, inv, got)
		}
		if (inv.Scope == InvalidateTokens && len(inv.IDs) == 0) || (inv.Scope == InvalidateUser && inv.User == "") {
			t.Fatalf("accepted %q as an empty invalidation %+v", payload, inv)
		}
	})
}

package textdist

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	long := strings.Repeat("a", maxLen+1)
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"token_ttl", "token_ttl", 0},
		{"token_tll", "token_ttl", 1},
		{"kitten", "sitting", 3},
		{long, long, maxLen + 1},
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	keys := []string{"token_ttl", "refresh_token_ttl", "auto_refresh"}
	for _, c := range []struct {
		s     string
		limit int
		want  string
	}{
		{"token_tll", 3, "token_ttl"},
		{"auto_refesh", 3, "auto_refresh"},
		{"something_else", 3, ""},
		{"token_tll", 1, ""},
	} {
		if got := Nearest(c.s, keys, c.limit); got != c.want {
			t.Errorf("Nearest(%q, limit %d) = %q, want %q", c.s, c.limit, got, c.want)
		}
	}
}

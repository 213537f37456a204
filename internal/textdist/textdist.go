// Package textdist finds the likely intended word behind a typo, for "did
// you mean" hints in error messages. It is shared by the spec loader and by
// runtime's environment overrides.
package textdist

// maxLen bounds the words compared: longer ones are never close, and the
// bound keeps a hostile input from costing quadratic time.
const maxLen = 64

// Distance is the Levenshtein distance between a and b in bytes; words
// longer than 64 bytes are reported as far apart (maxLen + 1).
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return maxLen + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Nearest returns the candidate closest to s whose distance is below limit,
// or "" when none is (the first of equally close candidates wins).
func Nearest(s string, candidates []string, limit int) string {
	best, bestD := "", limit
	for _, c := range candidates {
		if d := Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

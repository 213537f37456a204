package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 100 is the 50th", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(hundred...), 99, 99 * time.Millisecond},
		{"p99.9 of 100 rounds up to the 100th", ms(hundred...), 99.9, 100 * time.Millisecond},
		{"p1 of 100 is the first", ms(hundred...), 1, time.Millisecond},
		{"p50 of 4 is the 2nd", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p51 of 4 is the 3rd", ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{"p99 of 3 is the max", ms(1, 2, 30), 99, 30 * time.Millisecond},
		{"p0 is the min", ms(5, 6), 0, 5 * time.Millisecond},
		{"p100 is the max", ms(5, 6), 100, 6 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestStatusSummary(t *testing.T) {
	tests := []struct {
		in   map[int]int
		want string
	}{
		{map[int]int{}, ""},
		{map[int]int{200: 5}, "200×5"},
		{map[int]int{503: 1, 0: 2, 200: 9, 401: 3}, "200×9 401×3 503×1 err×2"},
		{map[int]int{200: 0, 401: 1}, "401×1"},
	}
	for _, tt := range tests {
		if got := StatusSummary(tt.in); got != tt.want {
			t.Errorf("StatusSummary(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResultFailed(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want bool
	}{
		{"all 200", Result{Statuses: map[int]int{200: 10}}, false},
		{"one 401", Result{Statuses: map[int]int{200: 10, 401: 1}}, true},
		{"transport error", Result{Statuses: map[int]int{200: 10, 0: 1}}, true},
		{"problem", Result{Statuses: map[int]int{200: 10}, Problem: "too many writes"}, true},
	}
	for _, tt := range tests {
		if got := tt.r.Failed(); got != tt.want {
			t.Errorf("%s: Failed() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFormatTable(t *testing.T) {
	results := []Result{
		{Scenario: "steady", Server: BaselineName, Rows: 10_000, Requests: 20_000, Elapsed: 10 * time.Second,
			P50: 900 * time.Microsecond, P99: 4200 * time.Microsecond, Statuses: map[int]int{200: 20_000},
			CPU: &CPUShare{Server: 20_000 * 90 * time.Microsecond, Database: 20_000 * 50 * time.Microsecond, Load: 20_000 * 60 * time.Microsecond}},
		{Scenario: "steady", Server: "app cache off", Rows: 10_000, Requests: 18_000, Elapsed: 10 * time.Second,
			P50: time.Millisecond, P99: 12500 * time.Microsecond, Statuses: map[int]int{200: 17_990, 401: 10}, Writes: 3},
		{Scenario: "steady", Server: "app cache on", Rows: 10_000, Skipped: cacheUnavailable},
		{Scenario: "steady", Server: BaselineName, Rows: 1_000_000, Requests: 10_000, Elapsed: 10 * time.Second,
			Statuses: map[int]int{200: 10_000}},
		{Scenario: "autorefresh", Against: "steady", Server: "app cache off", Rows: 1_000_000, Requests: 5_000, Elapsed: 10 * time.Second,
			Statuses: map[int]int{200: 5_000}, Writes: -1, Note: "n slid"},
		{Scenario: "other", Server: "app cache off", Rows: 10_000, Requests: 5, Elapsed: time.Second,
			Statuses: map[int]int{200: 5}, Problem: "too many writes"},
	}
	got := FormatTable(results)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 2+len(results) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), 2+len(results), got)
	}
	for i, l := range lines {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("line %d is %d runes wide, the header %d: columns not aligned:\n%s", i, len([]rune(l)), len([]rune(lines[0])), got)
		}
	}
	cells := func(line string) []string {
		var out []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			out = append(out, strings.TrimSpace(c))
		}
		return out
	}
	want := [][]string{
		{"steady", "baseline", "10k", "2000", "900 µs", "4.20 ms", "1.00", "90 + 50 + 60 = 200", "0", "200×20000"},
		{"steady", "app cache off", "10k", "1800", "1.00 ms", "12.5 ms", "0.90", "–", "3", "FAILED: 200×17990 401×10"},
		{"steady", "app cache on", "10k", "–", "–", "–", "–", "–", "–", cacheUnavailable},
		{"steady", "baseline", "1M", "1000", "0 µs", "0 µs", "1.00", "–", "0", "200×10000"},
		{"autorefresh", "app cache off", "1M", "500", "0 µs", "0 µs", "0.50", "–", "–", "200×5000; n slid"},
		{"other", "app cache off", "10k", "5", "0 µs", "0 µs", "–", "–", "0", "FAILED: 200×5; too many writes"},
	}
	for i, w := range want {
		c := cells(lines[i+2])
		if strings.Join(c, "|") != strings.Join(w, "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, c, w)
		}
	}
	if h := cells(lines[0]); h[6] != "× baseline" {
		t.Errorf("header %q: want the ratio column 7th", h)
	}
	if !strings.HasPrefix(lines[1], "|--") {
		t.Errorf("second line %q is not a Markdown separator", lines[1])
	}
}

func TestFmtCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{10_000, "10k"}, {1_000_000, "1M"}, {12_345, "12345"}, {999, "999"}, {2_500_000, "2500k"}}
	for _, tt := range tests {
		if got := fmtCount(tt.n); got != tt.want {
			t.Errorf("fmtCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-rows=1000000,10000,10000", "-scenarios=steady, cleanup", "-duration=2s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.rows) != 2 || cfg.rows[0] != 10_000 || cfg.rows[1] != 1_000_000 {
		t.Errorf("rows = %v, want [10000 1000000] (sorted, deduplicated)", cfg.rows)
	}
	if strings.Join(cfg.scenarios, ",") != "steady,cleanup" {
		t.Errorf("scenarios = %v", cfg.scenarios)
	}
	if cfg.revocations != 1000 {
		t.Errorf("revocations = %d, want the default 1000", cfg.revocations)
	}
	if cfg, err := parseFlags([]string{"-scenarios=revocation", "-revocations=20"}); err != nil || cfg.revocations != 20 || cfg.scenarios[0] != "revocation" {
		t.Errorf("-scenarios=revocation -revocations=20: %+v, %v", cfg, err)
	}
	bad := map[string][]string{
		"not a positive count": {"-rows=10k"},
		"unknown scenario":     {"-scenarios=steady,fast"},
		"-concurrency":         {"-concurrency=0"},
		"-revocations":         {"-revocations=0"},
		"fewer than the 1000":  {"-rows=500,10000"},
		"unexpected argument":  {"extra"},
		"neither raw nor":      {"-client=curl"},
	}
	for want, args := range bad {
		if _, err := parseFlags(args); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", args, err, want)
		}
	}
}

func TestMedian(t *testing.T) {
	run := func(requests int, statuses map[int]int) Result {
		return Result{Server: "s", Requests: requests, Elapsed: time.Second, Statuses: statuses}
	}
	ok := map[int]int{200: 1}
	t.Run("middle of three", func(t *testing.T) {
		got := Median([]Result{run(300, ok), run(100, ok), run(200, ok)})
		if got.Requests != 200 || got.Note != "median of 3 runs (100–300 req/s)" {
			t.Errorf("got %d requests, note %q; want 200 and the range", got.Requests, got.Note)
		}
	})
	t.Run("lower middle of two", func(t *testing.T) {
		if got := Median([]Result{run(300, ok), run(100, ok)}); got.Requests != 100 {
			t.Errorf("got %d requests, want 100", got.Requests)
		}
	})
	t.Run("one run unchanged", func(t *testing.T) {
		if got := Median([]Result{run(5, ok)}); got.Requests != 5 || got.Note != "" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("a failed run wins", func(t *testing.T) {
		got := Median([]Result{run(300, ok), run(100, map[int]int{200: 1, 503: 2}), run(200, ok)})
		if !got.Failed() {
			t.Errorf("got %+v, want the failed run", got)
		}
	})
	t.Run("skipped", func(t *testing.T) {
		if got := Median([]Result{{Skipped: cacheUnavailable}}); got.Skipped != cacheUnavailable {
			t.Errorf("got %+v", got)
		}
	})
}

func TestPairedRatio(t *testing.T) {
	run := func(requests int) Result {
		return Result{Server: "s", Requests: requests, Elapsed: time.Second, Statuses: map[int]int{200: requests}}
	}
	failed := Result{Requests: 10, Elapsed: time.Second, Statuses: map[int]int{503: 10}}
	tests := []struct {
		name        string
		base, runs  []Result
		med, lo, hi float64
		ok          bool
	}{
		// The medians of the two series (200 and 180) give 0.90; the rounds,
		// which drift together, give 0.95 each time.
		{"drift cancels", []Result{run(100), run(200), run(400)}, []Result{run(95), run(190), run(380)}, 0.95, 0.95, 0.95, true},
		{"median of three rounds", []Result{run(100), run(100), run(100)}, []Result{run(80), run(95), run(110)}, 0.95, 0.80, 1.10, true},
		{"lower middle of two", []Result{run(100), run(100)}, []Result{run(90), run(96)}, 0.90, 0.90, 0.96, true},
		{"a failed round is left out", []Result{run(100), failed, run(100)}, []Result{run(90), run(50), run(94)}, 0.90, 0.90, 0.94, true},
		{"skipped", []Result{run(100)}, []Result{{Skipped: cacheUnavailable}}, 0, 0, 0, false},
		{"no rounds", nil, nil, 0, 0, 0, false},
	}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			med, lo, hi, ok := PairedRatio(tt.base, tt.runs)
			if ok != tt.ok || !near(med, tt.med) || !near(lo, tt.lo) || !near(hi, tt.hi) {
				t.Errorf("PairedRatio = %.3f (%.3f–%.3f) %v, want %.3f (%.3f–%.3f) %v", med, lo, hi, ok, tt.med, tt.lo, tt.hi, tt.ok)
			}
		})
	}
}

func TestFormatTableShowsPairedRatio(t *testing.T) {
	base := Result{Scenario: "steady", Server: BaselineName, Rows: 10, Requests: 200, Elapsed: time.Second, Statuses: map[int]int{200: 200}, Writes: -1}
	app := Result{Scenario: "steady", Server: "app cache off", Rows: 10, Requests: 180, Elapsed: time.Second, Statuses: map[int]int{200: 180}, Writes: -1}
	if got := FormatTable([]Result{base, app}); !strings.Contains(got, "| 0.90 ") {
		t.Errorf("without a paired ratio, want the ratio of req/s 0.90:\n%s", got)
	}
	app.Ratio = 0.95
	if got := FormatTable([]Result{base, app}); !strings.Contains(got, "| 0.95 ") || strings.Contains(got, "| 0.90 ") {
		t.Errorf("with a paired ratio, want 0.95 instead of 0.90:\n%s", got)
	}
}

func TestSliceRatios(t *testing.T) {
	rate := func(n ...int) []sliceRate {
		out := make([]sliceRate, len(n))
		for i, r := range n {
			out[i] = sliceRate{requests: r, elapsed: time.Second}
		}
		return out
	}
	// The machine halves its speed in the third cycle: the cycle's ratio
	// does not move.
	med, q1, q3, ok := sliceRatios(rate(100, 100, 50, 100, 100), rate(90, 92, 45, 94, 0))
	if !ok || med != 0.90 || q1 != 0.90 || q3 != 0.92 {
		t.Errorf("sliceRatios = %.2f (%.2f–%.2f) %v, want 0.90 (0.90–0.92) true", med, q1, q3, ok)
	}
	if _, _, _, ok := sliceRatios(rate(100), rate(0)); ok {
		t.Error("sliceRatios without requests: ok")
	}
}

func TestPermutations(t *testing.T) {
	a, b, c := &slot{}, &slot{}, &slot{}
	perms := permutations([]*slot{a, b, c})
	if len(perms) != 6 {
		t.Fatalf("%d orders of 3, want 6", len(perms))
	}
	// Every server follows every other one in some cycle (the last of one
	// cycle is followed by the first of the next).
	follows := map[[2]*slot]int{}
	var prev *slot
	for range 2 {
		for _, p := range perms {
			for _, s := range p {
				if prev != nil && prev != s {
					follows[[2]*slot{prev, s}]++
				}
				prev = s
			}
		}
	}
	for _, x := range []*slot{a, b, c} {
		for _, y := range []*slot{a, b, c} {
			if x != y && follows[[2]*slot{x, y}] == 0 {
				t.Errorf("a server never follows another one")
			}
		}
	}
	if got := permutations([]*slot{a}); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("permutations of one = %v", got)
	}
}

package main

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is what one load run measured against one server.
type Result struct {
	// Scenario names the scenario, e.g. "steady" or "sessions".
	Scenario string
	// Server names the server, e.g. "baseline" or "app cache off".
	Server string
	// Rows is the number of live rows in the token table.
	Rows int
	// Against names the scenario whose baseline run of the same Rows the
	// ratio compares with; empty means Scenario.
	Against string
	// Requests is the number of requests completed in the measured window.
	Requests int
	// Elapsed is the measured window.
	Elapsed time.Duration
	// P50 and P99 are latency percentiles of the measured requests.
	P50, P99 time.Duration
	// Statuses counts responses by HTTP status; 0 counts transport errors.
	Statuses map[int]int
	// Writes is the n_tup_upd delta of the token table during the run, or
	// -1 when not measured.
	Writes int64
	// Skipped is set when the run could not take place (the reason).
	Skipped string
	// Problem, when set, fails the run whatever the statuses (e.g. too
	// many writes).
	Problem string
	// Note is free text shown in the last column.
	Note string
	// Ratio, when positive, is the ratio to the baseline measured in
	// pairs: the median over the rounds of this server's req/s divided by
	// the baseline's of the same round (PairedRatio). FormatTable shows it
	// instead of the ratio of the two medians.
	Ratio float64
	// CPU is the CPU time the measured window cost, by process (nil when
	// it could not be read).
	CPU *CPUShare
	// Revocation holds the revocation scenario's latencies (nil otherwise).
	Revocation *RevocationStats
}

// RPS returns the requests per second of r.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Failed reports whether a response other than 200 (or a transport error)
// was seen, or a Problem recorded.
func (r Result) Failed() bool {
	if r.Problem != "" {
		return true
	}
	for code, n := range r.Statuses {
		if code != 200 && n > 0 {
			return true
		}
	}
	return false
}

// Median returns the run of runs with the median req/s (the lower middle
// one of an even count) and notes the range of req/s when there are
// several. A skipped run is returned as it is; a failed one wins, so that no
// failure is hidden by the choice.
func Median(runs []Result) Result {
	if len(runs) == 0 {
		return Result{}
	}
	for _, r := range runs {
		if r.Skipped != "" || r.Failed() {
			return r
		}
	}
	if len(runs) == 1 {
		return runs[0]
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Result) int { return cmp.Compare(a.RPS(), b.RPS()) })
	m := sorted[(len(sorted)-1)/2]
	note := fmt.Sprintf("median of %d runs (%.0f–%.0f req/s)", len(runs), sorted[0].RPS(), sorted[len(sorted)-1].RPS())
	if m.Note != "" {
		note = m.Note + "; " + note
	}
	m.Note = note
	return m
}

// PairedRatio returns the median, the lowest and the highest of the
// per-round ratios runs[k].RPS() / base[k].RPS(). Rounds in which either
// run was skipped, failed or made no request are left out; ok is false
// when none is left. Pairing the runs of one round cancels the drift of
// the machine between rounds (another tenant, a CPU frequency change),
// which a ratio of the two medians, taken from different rounds, keeps.
func PairedRatio(base, runs []Result) (median, lo, hi float64, ok bool) {
	var ratios []float64
	for k := range min(len(base), len(runs)) {
		b, r := base[k], runs[k]
		if b.Skipped != "" || r.Skipped != "" || b.Failed() || r.Failed() || b.RPS() == 0 || r.RPS() == 0 {
			continue
		}
		ratios = append(ratios, r.RPS()/b.RPS())
	}
	if len(ratios) == 0 {
		return 0, 0, 0, false
	}
	slices.Sort(ratios)
	return ratios[(len(ratios)-1)/2], ratios[0], ratios[len(ratios)-1], true
}

// StatusSummary lists the counts by status, e.g. "200×9000 401×3 err×1",
// in ascending status order with transport errors last.
func StatusSummary(statuses map[int]int) string {
	var parts []string
	codes := slices.Sorted(maps.Keys(statuses))
	for _, code := range codes {
		if code == 0 || statuses[code] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d×%d", code, statuses[code]))
	}
	if n := statuses[0]; n > 0 {
		parts = append(parts, fmt.Sprintf("err×%d", n))
	}
	return strings.Join(parts, " ")
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p percent of
// the samples are at or below it. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[len(sorted)-1]
	}
	// rank = ceil(p/100 * n), 1-based; computed in integers where possible
	// so that e.g. p50 of 100 samples is the 50th, not the 51st.
	n := len(sorted)
	rank := int(p * float64(n) / 100)
	if float64(rank)*100 < p*float64(n) {
		rank++
	}
	return sorted[max(rank, 1)-1]
}

// FormatTable renders results as a Markdown table. The ratio column
// compares req/s with the baseline result of the same scenario (or of
// Against) and row count: "1.00" for the baseline itself, "–" when there is
// none; a result with a Ratio (measured in pairs) shows that instead.
func FormatTable(results []Result) string {
	base := map[string]float64{}
	key := func(r Result) string { return r.Scenario + "\x00" + strconv.Itoa(r.Rows) }
	for _, r := range results {
		if r.Server == BaselineName && r.Skipped == "" && r.Requests > 0 {
			base[key(r)] = r.RPS()
		}
	}
	header := []string{"scenario", "server", "rows", "req/s", "p50", "p99", "× baseline", "CPU µs/req: server + db + load", "writes", "statuses / notes"}
	rows := [][]string{header}
	for _, r := range results {
		if r.Skipped != "" {
			rows = append(rows, []string{r.Scenario, r.Server, fmtCount(r.Rows), "–", "–", "–", "–", "–", "–", r.Skipped})
			continue
		}
		ratio := "–"
		against := r
		if r.Against != "" {
			against.Scenario = r.Against
		}
		if b, ok := base[key(against)]; ok && b > 0 {
			ratio = fmt.Sprintf("%.2f", r.RPS()/b)
		}
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		writes := "–"
		if r.Writes >= 0 {
			writes = strconv.FormatInt(r.Writes, 10)
		}
		notes := StatusSummary(r.Statuses)
		if r.Problem != "" {
			notes += "; " + r.Problem
		}
		if r.Failed() {
			notes = "FAILED: " + notes
		}
		if r.Note != "" {
			notes += "; " + r.Note
		}
		rows = append(rows, []string{
			r.Scenario, r.Server, fmtCount(r.Rows), fmt.Sprintf("%.0f", r.RPS()),
			fmtLatency(r.P50), fmtLatency(r.P99), ratio, fmtCPUPerRequest(r.CPU, r.Requests), writes, notes,
		})
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	line := func(row []string) {
		b.WriteString("|")
		for i, cell := range row {
			b.WriteString(" ")
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(cell))))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	line(rows[0])
	b.WriteString("|")
	for _, w := range widths {
		b.WriteString(strings.Repeat("-", w+2))
		b.WriteString("|")
	}
	b.WriteString("\n")
	for _, row := range rows[1:] {
		line(row)
	}
	return b.String()
}

// fmtLatency prints d in µs below 10 ms and in ms above, with three
// significant digits at most.
func fmtLatency(d time.Duration) string {
	us := float64(d) / float64(time.Microsecond)
	switch {
	case us < 1000:
		return fmt.Sprintf("%.0f µs", us)
	case us < 10_000:
		return fmt.Sprintf("%.2f ms", us/1000)
	default:
		return fmt.Sprintf("%.1f ms", us/1000)
	}
}

// fmtCount prints n with k and M suffixes when it is a round multiple:
// 10000 → "10k", 1000000 → "1M", 12345 → "12345".
func fmtCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	default:
		return strconv.Itoa(n)
	}
}

// FlatTolerance is how far (a fraction) a p99 may move between the
// smallest and the largest row count and still count as flat.
const FlatTolerance = 0.10

// FormatScaling renders, for every scenario and server measured at two row
// counts or more, its p50 and p99 at each count side by side, the change of
// p99 from the smallest count to the largest, and whether that change is
// within ±FlatTolerance ("flat"). The last column is the same change for
// the baseline of the scenario: when the baseline moves as much, the
// database or the machine moved, not the lookup. Cleanup and failed or
// skipped runs are left out. It returns "" when no run qualifies.
func FormatScaling(results []Result) string {
	type key struct{ scenario, server string }
	byKey := map[key][]Result{}
	var order []key
	for _, r := range results {
		if r.Skipped != "" || r.Requests == 0 || r.Failed() || r.Scenario == "cleanup" {
			continue
		}
		k := key{r.Scenario, r.Server}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	change := func(runs []Result) (float64, bool) {
		if len(runs) < 2 || runs[0].P99 <= 0 {
			return 0, false
		}
		return float64(runs[len(runs)-1].P99-runs[0].P99) / float64(runs[0].P99), true
	}
	var b strings.Builder
	for _, k := range order {
		runs := byKey[k]
		slices.SortFunc(runs, func(x, y Result) int { return cmp.Compare(x.Rows, y.Rows) })
		d, ok := change(runs)
		if !ok || runs[0].Rows == runs[len(runs)-1].Rows {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("| scenario | server | p50 / p99 by rows | p99 change | lookup p99 | baseline p99 change |\n|---|---|---|---|---|---|\n")
		}
		var cells []string
		for _, r := range runs {
			cells = append(cells, fmt.Sprintf("%s: %s / %s", fmtCount(r.Rows), fmtLatency(r.P50), fmtLatency(r.P99)))
		}
		verdict := "flat"
		if math.Abs(d) > FlatTolerance {
			verdict = "not flat"
		}
		baseline := "–"
		if bd, ok := change(byKey[key{k.scenario, BaselineName}]); ok && k.server != BaselineName {
			baseline = fmt.Sprintf("%+.0f %%", 100*bd)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %+.0f %% | %s | %s |\n", k.scenario, k.server, strings.Join(cells, ", "), 100*d, verdict, baseline)
	}
	return b.String()
}

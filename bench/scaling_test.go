package main

import (
	"strings"
	"testing"
	"time"
)

func TestFormatScaling(t *testing.T) {
	run := func(scenario, server string, rows int, p50, p99 time.Duration) Result {
		return Result{Scenario: scenario, Server: server, Rows: rows, Requests: 100, Elapsed: time.Second,
			P50: p50, P99: p99, Statuses: map[int]int{200: 100}}
	}
	ms := time.Millisecond
	results := []Result{
		run("steady", BaselineName, 10_000, ms, 4*ms),
		run("steady", "app cache off", 10_000, ms, 5*ms),
		run("steady", "app cache on", 10_000, ms, 2*ms),
		run("sessions", "app cache off", 10_000, ms, 5*ms), // only one size: left out
		run("steady", BaselineName, 1_000_000, ms, 6*ms),
		run("steady", "app cache off", 1_000_000, 2*ms, 5400*time.Microsecond),
		run("steady", "app cache on", 1_000_000, ms, 3*ms),
		run("cleanup", "app cache off", 10_000, ms, ms),
		run("cleanup", "app cache off", 1_000_000, ms, 9*ms),
	}
	got := FormatScaling(results)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	want := []string{
		"| steady | baseline | 10k: 1.00 ms / 4.00 ms, 1M: 1.00 ms / 6.00 ms | +50 % | not flat | – |",
		"| steady | app cache off | 10k: 1.00 ms / 5.00 ms, 1M: 2.00 ms / 5.40 ms | +8 % | flat | +50 % |",
		"| steady | app cache on | 10k: 1.00 ms / 2.00 ms, 1M: 1.00 ms / 3.00 ms | +50 % | not flat | +50 % |",
	}
	if len(lines) != 2+len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), 2+len(want), got)
	}
	for i, w := range want {
		if lines[i+2] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, lines[i+2], w)
		}
	}
	if FormatScaling(results[:4]) != "" {
		t.Error("one row count only: want no table")
	}
}

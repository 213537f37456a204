package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPUShare is the CPU time a run cost, split by who spent it: the server
// under test, the PostgreSQL processes, and this process (the load
// generator). The shares come from /proc on Linux; elsewhere they are
// unknown.
type CPUShare struct {
	Server, Database, Load time.Duration
}

// cpuSample is a reading of the CPU counters at one moment.
type cpuSample struct {
	server, database, load time.Duration
	ok                     bool
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// sampleCPU reads the CPU time spent so far by pid, by every process whose
// command is "postgres" (their own time and that of their exited children,
// which is where a closed connection's backend ends up), and by this
// process. ok is false when /proc cannot be read.
func sampleCPU(pid int) cpuSample {
	server, err := procCPU(filepath.Join("/proc", strconv.Itoa(pid), "stat"), false)
	if err != nil {
		return cpuSample{}
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var database time.Duration
	for _, path := range stats {
		d, err := procCPU(path, true)
		if err == nil {
			database += d
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}
	}
	load := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpuSample{server: server, database: database, load: load, ok: true}
}

// errNotPostgres marks a process that is not PostgreSQL's.
var errNotPostgres = errors.New("not a postgres process")

// procCPU returns the utime+stime of the process of a /proc/<pid>/stat
// file; with postgresOnly, only of a process whose command is "postgres",
// and including its exited children's cutime+cstime.
func procCPU(path string, postgresOnly bool) (time.Duration, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid …: comm may hold spaces and parentheses, so
	// the fields start after the last ')'.
	open, end := bytes.IndexByte(raw, '('), bytes.LastIndexByte(raw, ')')
	if open < 0 || end < open {
		return 0, fmt.Errorf("%s: unexpected format", path)
	}
	if postgresOnly && string(raw[open+1:end]) != "postgres" {
		return 0, errNotPostgres
	}
	fields := bytes.Fields(raw[end+1:])
	// fields[0] is the state (field 3); utime, stime, cutime, cstime are
	// fields 14–17.
	const utime = 14 - 3
	if len(fields) < utime+4 {
		return 0, fmt.Errorf("%s: too few fields", path)
	}
	n := 2
	if postgresOnly {
		n = 4
	}
	var ticks int64
	for _, f := range fields[utime : utime+n] {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * clockTick, nil
}

// since returns the CPU spent between s and a later sample now, or nil
// when either could not be read.
func (s cpuSample) since(earlier cpuSample) *CPUShare {
	if !s.ok || !earlier.ok {
		return nil
	}
	return &CPUShare{
		Server:   s.server - earlier.server,
		Database: max(s.database-earlier.database, 0),
		Load:     s.load - earlier.load,
	}
}

// fmtCPUPerRequest prints the shares of c per request in µs, as
// "server + database + load = total".
func fmtCPUPerRequest(c *CPUShare, requests int) string {
	if c == nil || requests == 0 {
		return "–"
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(requests) }
	return fmt.Sprintf("%.0f + %.0f + %.0f = %.0f", us(c.Server), us(c.Database), us(c.Load), us(c.Server+c.Database+c.Load))
}

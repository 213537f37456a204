package main

import (
	"context"
	"fmt"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

// slot is one server of an interleaved comparison and what it measured so
// far.
type slot struct {
	spec   runSpec
	srv    *server
	load   Load
	m      Measurement
	cpu    CPUShare
	cpuOK  bool
	slices []sliceRate
}

// sliceRate is what one slice of an interleaved run measured.
type sliceRate struct {
	requests int
	elapsed  time.Duration
}

func (r sliceRate) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// compareInterleaved is compare with the servers up at once: the load
// switches from one to the next every -interleave, in cycles, until each
// has had -duration × -repeat of load. The cycles go through every order of
// the servers in turn, so that each follows each other as often: a slice
// can leave work behind (PostgreSQL's, the kernel's) for the next one. Every server sees the machine in the same state within a cycle, so
// the drift of a shared machine (another tenant, steal time) that makes
// runs minutes apart incomparable cancels in the ratio. Each server's
// row shows its req/s over all its slices; its ratio to the baseline is
// the ratio of those req/s, and the note gives the median and the
// interquartile range of the ratios cycle by cycle.
func (b *bench) compareInterleaved(ctx context.Context, scenario string, rows int, tokens []string) error {
	specs := []runSpec{
		{server: BaselineName},
		{server: "app cache off"},
		{server: "app cache on", env: b.cacheEnv(), cache: true},
	}
	var slots []*slot
	var skipped []Result
	defer func() {
		for _, s := range slots {
			s.srv.stop()
		}
	}()
	for _, spec := range specs {
		spec.scenario, spec.rows, spec.tokens = scenario, rows, tokens
		res := Result{Scenario: scenario, Server: spec.server, Rows: rows, Writes: -1}
		srv, err := b.start(ctx, spec, &res)
		if err != nil {
			return err
		}
		if srv == nil {
			skipped = append(skipped, res)
			continue
		}
		s := &slot{spec: spec, srv: srv, load: Load{URL: srv.url + loadPath, Tokens: tokens, Concurrency: b.cfg.concurrency, NetHTTP: b.cfg.netHTTP}, cpuOK: true}
		s.load.Conns = &Conns{}
		defer s.load.Conns.Close()
		slots = append(slots, s)
		if err := s.load.Touch(ctx); err != nil {
			return fmt.Errorf("%s %s: %w\n%s", scenario, spec.server, err, srv.out)
		}
	}
	if len(slots) == 0 || slots[0].spec.server != BaselineName {
		return fmt.Errorf("%s, %s rows: the baseline did not start", scenario, fmtCount(rows))
	}
	for _, s := range slots {
		if b.cfg.warmup > 0 {
			s.load.Run(ctx, b.cfg.warmup)
		}
	}
	logf("%s, %s rows: %s interleaved every %s", scenario, fmtCount(rows), strings.Join(slotNames(slots), ", "), b.cfg.interleave)
	before, err := updates(ctx, b.pool)
	if err != nil {
		return err
	}
	total := b.cfg.duration * time.Duration(b.cfg.repeat)
	orders := permutations(slots)
	for cycle := 0; ctx.Err() == nil && slots[0].m.Elapsed < total; cycle++ {
		for _, s := range orders[cycle%len(orders)] {
			// A slice starts from a collected heap in this process: the
			// garbage of the previous slice (of a faster server, many more
			// requests) must not be paid for during the next one.
			goruntime.GC()
			s.runSlice(ctx, b.cfg.interleave)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	after, err := updates(ctx, b.pool)
	if err != nil {
		return err
	}
	for _, s := range slots {
		if err := s.srv.stop(); err != nil {
			return err
		}
		r := s.result(scenario, rows, after-before)
		if s != slots[0] {
			if med, lo, hi, ok := sliceRatios(slots[0].slices, s.slices); ok {
				r.Ratio = r.RPS() / slots[0].result(scenario, rows, 0).RPS()
				r.Note = fmt.Sprintf("× baseline cycle by cycle: median %.2f, middle half %.2f–%.2f", med, lo, hi)
			}
		}
		b.results = append(b.results, r)
	}
	b.results = append(b.results, skipped...)
	return nil
}

// start starts the server of spec and returns it, or nil with res.Skipped
// set when the run cannot take place (a cache the app does not have).
func (b *bench) start(ctx context.Context, spec runSpec, res *Result) (*server, error) {
	if spec.cache && !slices.Contains(runtime.SettingKeys(), "cache_size") {
		res.Skipped = cacheUnavailable
		return nil, nil
	}
	var srv *server
	var err error
	if spec.server == BaselineName {
		srv, err = startServer(ctx, BaselineName, b.selfBin, []string{"serve-baseline"}, map[string]string{"DATABASE_URL": b.dbURL})
	} else {
		srv, err = startServer(ctx, spec.server, b.appBin, nil, b.appEnv(spec.env))
	}
	if err != nil {
		if spec.cache && strings.Contains(err.Error(), "AUTHENTIFY_CACHE") {
			res.Skipped = cacheUnavailable
			return nil, nil
		}
		return nil, err
	}
	return srv, nil
}

// runSlice drives s for d and adds what it measured.
func (s *slot) runSlice(ctx context.Context, d time.Duration) {
	before := sampleCPU(s.srv.cmd.Process.Pid)
	m := s.load.Run(ctx, d)
	if c := sampleCPU(s.srv.cmd.Process.Pid).since(before); c != nil {
		s.cpu.Server += c.Server
		s.cpu.Database += c.Database
		s.cpu.Load += c.Load
	} else {
		s.cpuOK = false
	}
	s.slices = append(s.slices, sliceRate{requests: len(m.Latencies), elapsed: m.Elapsed})
	s.m.Latencies = append(s.m.Latencies, m.Latencies...)
	s.m.Elapsed += m.Elapsed
	if s.m.Statuses == nil {
		s.m.Statuses = map[int]int{}
	}
	for code, n := range m.Statuses {
		s.m.Statuses[code] += n
	}
}

// result is s's measurement as a Result; writes are those of the token
// table during the whole interleaved run, all servers together.
func (s *slot) result(scenario string, rows int, writes int64) Result {
	lat := slices.Clone(s.m.Latencies)
	slices.Sort(lat)
	r := Result{
		Scenario: scenario, Server: s.spec.server, Rows: rows,
		Requests: len(lat), Elapsed: s.m.Elapsed, Statuses: s.m.Statuses, Writes: writes,
		P50: Percentile(lat, 50), P99: Percentile(lat, 99),
	}
	if s.cpuOK {
		cpu := s.cpu
		r.CPU = &cpu
	}
	return r
}

// sliceRatios returns the median and the interquartile range of the ratios
// of runs' req/s to base's, slice by slice (the i-th slice of each is from
// the same cycle). Slices without requests are left out.
func sliceRatios(base, runs []sliceRate) (median, q1, q3 float64, ok bool) {
	var ratios []float64
	for i := range min(len(base), len(runs)) {
		b, r := base[i].rps(), runs[i].rps()
		if b > 0 && r > 0 {
			ratios = append(ratios, r/b)
		}
	}
	if len(ratios) == 0 {
		return 0, 0, 0, false
	}
	slices.Sort(ratios)
	at := func(p float64) float64 { return ratios[int(p*float64(len(ratios)-1))] }
	return at(0.5), at(0.25), at(0.75), true
}

// permutations returns every order of slots, in a fixed sequence.
func permutations(slots []*slot) [][]*slot {
	if len(slots) <= 1 {
		return [][]*slot{slices.Clone(slots)}
	}
	var out [][]*slot
	for i, first := range slots {
		rest := slices.Concat(slots[:i], slots[i+1:])
		for _, p := range permutations(rest) {
			out = append(out, append([]*slot{first}, p...))
		}
	}
	return out
}

// slotNames lists the servers of slots.
func slotNames(slots []*slot) []string {
	var out []string
	for _, s := range slots {
		out = append(out, s.spec.server)
	}
	return out
}

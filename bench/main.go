// Command bench measures the example app's authentication hot path against
// a baseline, in one run on one machine:
//
//	go run ./bench                        # 10k and 1M rows, every scenario (takes a while)
//	go run ./bench -rows=10000 -duration=5s -cleanup-rows=10000
//
// It creates a scratch database authentify_bench_<random> on the server of
// -db (dropped at the end, also on Ctrl-C), builds the example app
// (examples/echo) once with go build, and starts every server under test as
// a child process on a free loopback port:
//
//   - baseline: bare Echo v4 + pgxpool, one SELECT … FROM auth_tokens
//     WHERE access_hash = $1 per request (the SHA-256 of the bearer token),
//     answering a small JSON;
//   - app cache off / app cache on: the example app (AUTH_RATE_LIMIT=0,
//     LOGIN_FAILURE_LIMIT=0, batched lookups as the app's default unless
//     -lookup-batch-size sets AUTHENTIFY_LOOKUP_BATCH_SIZE, 0 turning them
//     off; cache on sets AUTHENTIFY_CACHE_SIZE and
//     AUTHENTIFY_CACHE_MAX_AGE, and is reported as "cache: not available in
//     this build" when the app has no such settings).
//
// Every server is driven on GET /premium (in the app: the authentication
// middleware and a handler without a query of its own) by the same
// closed-loop load generator: -concurrency keep-alive clients, each
// sending its next request when the previous answer is read, for
// -duration after a warm-up (one request per token, then -warmup of load).
// A user is registered and logged in through the app's HTTP API; its
// session is the template of every other row: -sessions-1 more sessions
// with tokens minted by runtime (prefix and hash of the example spec), and
// filler up to each -rows count (random hashes no token matches).
//
// Scenarios (-scenarios, comma-separated):
//
//   - steady: one token; baseline, app cache off, app cache on. By
//     default the three run at once and the load switches from one to the
//     next every -interleave (every other cycle in the reverse order) until
//     each has had -duration × -repeat: on a shared machine, whose speed
//     drifts from minute to minute, only servers measured side by side
//     compare. The ratio is that of the req/s over all slices; the note
//     gives the median and middle half of the cycles' ratios. With
//     -interleave=0 the servers run one after the other, -repeat rounds
//     (every other round in the reverse order), showing each server's
//     median round and the median of the rounds' ratios;
//   - sessions: the -sessions distinct tokens at once; the same servers;
//   - autorefresh: the app with AUTHENTIFY_AUTO_REFRESH=true and
//     AUTHENTIFY_AUTO_REFRESH_INTERVAL=1m over the -sessions tokens, whose
//     last refresh is set 2 minutes back before the run, so that each may
//     slide once: the writes column (n_tup_upd delta of the token table)
//     must not exceed the number of tokens;
//   - revocation (once, at the largest -rows): two instances of the app
//     with the cache on, A and B, on the same database (each its own
//     listener); B gets the load of the sessions scenario while -revocations
//     other sessions, each cached on A and B, are revoked one after the
//     other by POST /auth/logout on A, and B is polled with each revoked
//     token (GET /premium, one request after the other) until it answers
//     401. A second table shows, as p50 / p99 / max, A's logout, the arrival
//     of the notification at a bare LISTEN connection in the bench process,
//     B's first 401 after A's 204 and after the logout was sent, B's share
//     (after the bare listener's arrival), and how many revocations B
//     refused within 50 ms of A's 204;
//   - cleanup (once, at the largest -rows): -cleanup-rows expired rows are
//     added, the app (cache off) is measured without, then while they are
//     deleted in batches of -cleanup-batch the way RevokeExpiredTokens does;
//     the load lasts at least -duration and until the deletion ends.
//
// It prints a Markdown table: req/s, p50, p99, the ratio of req/s to the
// baseline of the same scenario and rows (autorefresh compares with the
// sessions baseline, cleanup with the steady one), the writes to the token table
// during the run, and the responses by status. Any answer other than 200
// fails the run (shown as FAILED with the counts) and makes the command
// exit with status 1. Numbers depend on the machine and on what else runs
// on it; the load generator shares the CPU with the servers and PostgreSQL.
//
// The subcommand "serve-baseline" is the baseline server itself (run by
// bench as a child; it reads DATABASE_URL and ADDR).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authentify-go/authentify/examples/echo/auth"
	"github.com/authentify-go/authentify/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
)

// appPackage is the example app built and measured.
const appPackage = "github.com/authentify-go/authentify/examples/echo"

// cacheUnavailable is the note of a cache-on run the app cannot do.
const cacheUnavailable = "cache: not available in this build"

// config holds the command-line flags.
type config struct {
	db           string
	rows         []int
	duration     time.Duration
	warmup       time.Duration
	concurrency  int
	sessions     int
	scenarios    []string
	cleanupRows  int
	cleanupBatch int
	repeat       int
	interleave   time.Duration
	netHTTP      bool
	cacheSize    int
	cacheMaxAge  time.Duration
	lookupBatch  int
	revocations  int
}

var allScenarios = []string{"steady", "sessions", "autorefresh", "revocation", "cleanup"}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-baseline" {
		if err := serveBaseline(); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, cfg)
	if len(results) > 0 {
		fmt.Println()
		fmt.Print(FormatTable(results))
		if t := FormatScaling(results); t != "" {
			fmt.Printf("\nLookup latency by table size (flat: p99 within ±%.0f %% from the smallest to the largest):\n\n%s", 100*FlatTolerance, t)
		}
		if t := FormatRevocations(results); t != "" {
			fmt.Printf("\nRevocation latency, instance A to instance B (B under the load of the table above):\n\n%s", t)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	for _, r := range results {
		if r.Failed() {
			fmt.Fprintln(os.Stderr, "error: some runs got answers other than 200 (FAILED above)")
			os.Exit(1)
		}
	}
}

// parseFlags parses and checks the command line.
func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./bench [flags]\n\nMeasures the example app against a bare Echo+pgx baseline (see the package documentation).\n\nFlags:")
		fs.PrintDefaults()
	}
	var cfg config
	rows := fs.String("rows", "10000,1000000", "comma-separated live row counts of the token table to measure at")
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios: "+strings.Join(allScenarios, ", "))
	fs.StringVar(&cfg.db, "db", "postgres://postgres@127.0.0.1:5432/postgres", "PostgreSQL server URL (a scratch database is created on it)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured load per run")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "load before each measurement, not counted")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "concurrent keep-alive clients")
	fs.IntVar(&cfg.sessions, "sessions", 1000, "distinct sessions of the sessions and autorefresh scenarios")
	fs.IntVar(&cfg.cleanupRows, "cleanup-rows", 1_000_000, "expired rows deleted during the cleanup scenario")
	fs.IntVar(&cfg.cleanupBatch, "cleanup-batch", 1000, "rows per DELETE in the cleanup scenario")
	fs.IntVar(&cfg.repeat, "repeat", 1, "rounds of the steady and sessions comparisons (servers in turn); each server's median round is shown; interleaved: each server gets -duration × -repeat of load")
	client := fs.String("client", "raw", "load generator's HTTP client: raw (HTTP/1.1 on the socket, like wrk) or nethttp (net/http's client, as in earlier runs)")
	fs.DurationVar(&cfg.interleave, "interleave", 500*time.Millisecond, "steady and sessions: run the three servers at once and switch the load between them this often (0: one after the other, in rounds)")
	fs.IntVar(&cfg.cacheSize, "cache-size", 100_000, "AUTHENTIFY_CACHE_SIZE of the cache-on runs")
	fs.DurationVar(&cfg.cacheMaxAge, "cache-max-age", time.Minute, "AUTHENTIFY_CACHE_MAX_AGE of the cache-on runs")
	fs.IntVar(&cfg.lookupBatch, "lookup-batch-size", -1, "AUTHENTIFY_LOOKUP_BATCH_SIZE of every app run (0: one SELECT per request, as before batched lookups); -1 leaves the app's default")
	fs.IntVar(&cfg.revocations, "revocations", 1000, "sessions revoked on instance A in the revocation scenario")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, f := range strings.Split(*rows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("-rows: %q is not a positive count", f)
		}
		cfg.rows = append(cfg.rows, n)
	}
	cfg.netHTTP = *client == "nethttp"
	slices.Sort(cfg.rows)
	cfg.rows = slices.Compact(cfg.rows)
	for _, s := range strings.Split(*scen, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(allScenarios, s) {
			return cfg, fmt.Errorf("-scenarios: unknown scenario %q; known: %s", s, strings.Join(allScenarios, ", "))
		}
		cfg.scenarios = append(cfg.scenarios, s)
	}
	switch {
	case *client != "raw" && *client != "nethttp":
		return cfg, fmt.Errorf("-client: %q is neither raw nor nethttp", *client)
	case cfg.interleave < 0:
		return cfg, errors.New("-interleave must not be negative")
	case cfg.duration <= 0 || cfg.warmup < 0:
		return cfg, errors.New("-duration must be positive and -warmup not negative")
	case cfg.concurrency < 1:
		return cfg, errors.New("-concurrency must be at least 1")
	case cfg.repeat < 1:
		return cfg, errors.New("-repeat must be at least 1")
	case cfg.sessions < 1:
		return cfg, errors.New("-sessions must be at least 1")
	case cfg.revocations < 1:
		return cfg, errors.New("-revocations must be at least 1")
	case cfg.cleanupRows < 1 || cfg.cleanupBatch < 1:
		return cfg, errors.New("-cleanup-rows and -cleanup-batch must be at least 1")
	case cfg.rows[0] < cfg.sessions:
		return cfg, fmt.Errorf("-rows: %d is fewer than the %d sessions", cfg.rows[0], cfg.sessions)
	}
	return cfg, nil
}

// bench is one run of the suite.
type bench struct {
	cfg      config
	dbURL    string
	pool     *pgxpool.Pool
	appBin   string
	selfBin  string
	template int64    // the session logged in through the API
	tokens   []string // the access tokens of the sessions, template first
	results  []Result
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// run sets up, runs every scenario and tears down; it returns the results
// so far also when it fails.
func run(ctx context.Context, cfg config) (results []Result, err error) {
	b := &bench{cfg: cfg}
	if b.selfBin, err = os.Executable(); err != nil {
		return nil, fmt.Errorf("own executable (for the baseline server): %w", err)
	}
	dir, err := os.MkdirTemp("", "authentify-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	logf("building %s", appPackage)
	if b.appBin, err = buildApp(ctx, dir); err != nil {
		return nil, err
	}
	dbURL, drop, err := scratchDB(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	defer func() {
		if derr := drop(); derr != nil {
			err = errors.Join(err, derr)
		} else {
			logf("dropped the scratch database")
		}
	}()
	b.dbURL = dbURL
	if b.pool, err = pgxpool.New(ctx, dbURL); err != nil {
		return nil, fmt.Errorf("scratch database: %w", err)
	}
	defer b.pool.Close()
	if err := b.setup(ctx); err != nil {
		return b.results, err
	}
	for _, rows := range cfg.rows {
		logf("filling the token table to %d live rows", rows)
		if err := fillTo(ctx, b.pool, b.template, rows, logf); err != nil {
			return b.results, err
		}
		for _, s := range cfg.scenarios {
			var err error
			switch s {
			case "steady":
				err = b.comparison(ctx, "steady", rows, b.tokens[:1])
			case "sessions":
				err = b.comparison(ctx, "sessions", rows, b.tokens)
			case "autorefresh":
				err = b.autoRefresh(ctx, rows)
			}
			if err != nil {
				return b.results, err
			}
		}
	}
	if slices.Contains(cfg.scenarios, "revocation") {
		if err := b.revocation(ctx, cfg.rows[len(cfg.rows)-1]); err != nil {
			return b.results, err
		}
	}
	if slices.Contains(cfg.scenarios, "cleanup") {
		if err := b.cleanup(ctx, cfg.rows[len(cfg.rows)-1]); err != nil {
			return b.results, err
		}
	}
	return b.results, nil
}

// appEnv returns the example app's environment for a run: the scratch
// database, no rate or failure limits, and extra AUTHENTIFY_* settings.
func (b *bench) appEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_URL":        b.dbURL,
		"AUTH_RATE_LIMIT":     "0",
		"LOGIN_FAILURE_LIMIT": "0",
	}
	if b.cfg.lookupBatch >= 0 {
		env["AUTHENTIFY_LOOKUP_BATCH_SIZE"] = strconv.Itoa(b.cfg.lookupBatch)
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// cacheEnv is the environment that turns the token cache on.
func (b *bench) cacheEnv() map[string]string {
	return map[string]string{
		"AUTHENTIFY_CACHE_SIZE":    strconv.Itoa(b.cfg.cacheSize),
		"AUTHENTIFY_CACHE_MAX_AGE": b.cfg.cacheMaxAge.String(),
	}
}

// setup starts the app once so that it creates its tables, registers a
// beta user and logs it in through the HTTP API, and adds the other
// sessions with tokens minted by runtime.
func (b *bench) setup(ctx context.Context) error {
	srv, err := startServer(ctx, "app (setup)", b.appBin, nil, b.appEnv(nil))
	if err != nil {
		return err
	}
	defer srv.stop()
	tok, id, err := registerAndLogin(ctx, srv.url)
	if err != nil {
		return err
	}
	b.template, b.tokens = id, []string{tok}
	tokens, err := runtime.NewTokens(auth.Prefix, auth.DefaultSettings())
	if err != nil {
		return fmt.Errorf("mint tokens: %w", err)
	}
	var hashes [][]byte
	for range b.cfg.sessions - 1 {
		raw, hash, err := tokens.Mint(runtime.KindAccess)
		if err != nil {
			return fmt.Errorf("mint tokens: %w", err)
		}
		b.tokens = append(b.tokens, raw.Reveal())
		hashes = append(hashes, hash)
	}
	if len(hashes) > 0 {
		if err := cloneRows(ctx, b.pool, id, cloneSpec{Hashes: hashes}); err != nil {
			return err
		}
	}
	return srv.stop()
}

// runSpec is one server under one load.
type runSpec struct {
	scenario string
	against  string // see Result.Against
	server   string // BaselineName or a name of the app's configuration
	rows     int
	tokens   []string
	env      map[string]string // AUTHENTIFY_* of the app
	cache    bool              // env turns the cache on
	// beforeMeasure runs after the warm-up, before the writes are counted.
	beforeMeasure func(context.Context) error
	// during runs alongside the measured load, which lasts at least
	// -duration and until during returns; its note goes into the result.
	during func(context.Context) (note string, err error)
}

// measure starts the server of spec, drives it and returns its result.
func (b *bench) measure(ctx context.Context, spec runSpec) (Result, error) {
	res := Result{Scenario: spec.scenario, Against: spec.against, Server: spec.server, Rows: spec.rows, Writes: -1}
	srv, err := b.start(ctx, spec, &res)
	if err != nil || srv == nil {
		return res, err
	}
	defer srv.stop()
	logf("%s, %s rows: %s", spec.scenario, fmtCount(spec.rows), spec.server)
	if err := b.drive(ctx, srv, spec, &res); err != nil {
		return res, err
	}
	if err := srv.stop(); err != nil {
		return res, err
	}
	return res, nil
}

// drive runs the load of spec against the running server srv (warm-up,
// spec's hooks, the measured load) and fills res with what it measured.
func (b *bench) drive(ctx context.Context, srv *server, spec runSpec, res *Result) error {
	load := Load{URL: srv.url + loadPath, Tokens: spec.tokens, Concurrency: b.cfg.concurrency, NetHTTP: b.cfg.netHTTP}
	if err := load.Touch(ctx); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", spec.scenario, spec.server, err, srv.out)
	}
	if b.cfg.warmup > 0 {
		load.Run(ctx, b.cfg.warmup)
	}
	if spec.beforeMeasure != nil {
		if err := spec.beforeMeasure(ctx); err != nil {
			return err
		}
	}
	before, err := updates(ctx, b.pool)
	if err != nil {
		return err
	}
	cpuBefore := sampleCPU(srv.cmd.Process.Pid)
	var m Measurement
	if spec.during == nil {
		m = load.Run(ctx, b.cfg.duration)
	} else {
		loadCtx, stopLoad := context.WithCancel(ctx)
		type outcome struct {
			note string
			err  error
		}
		done := make(chan outcome, 1)
		minEnd := time.Now().Add(b.cfg.duration)
		go func() {
			note, err := spec.during(ctx)
			done <- outcome{note, err}
			time.Sleep(time.Until(minEnd))
			stopLoad()
		}()
		m = load.Run(loadCtx, 24*time.Hour)
		stopLoad()
		o := <-done
		if o.err != nil {
			return o.err
		}
		res.Note = o.note
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	res.CPU = sampleCPU(srv.cmd.Process.Pid).since(cpuBefore)
	after, err := updates(ctx, b.pool)
	if err != nil {
		return err
	}
	res.Requests, res.Elapsed, res.Statuses = len(m.Latencies), m.Elapsed, m.Statuses
	res.P50, res.P99 = Percentile(m.Latencies, 50), Percentile(m.Latencies, 99)
	res.Writes = after - before
	return nil
}

// add measures spec and records the result.
func (b *bench) add(ctx context.Context, spec runSpec) (Result, error) {
	r, err := b.measure(ctx, spec)
	if err == nil {
		b.results = append(b.results, r)
	}
	return r, err
}

// comparison runs the baseline and the app with the cache off and on over
// tokens: interleaved (compareInterleaved), or one after the other in
// rounds (compare) with -interleave=0.
func (b *bench) comparison(ctx context.Context, scenario string, rows int, tokens []string) error {
	if b.cfg.interleave > 0 {
		return b.compareInterleaved(ctx, scenario, rows, tokens)
	}
	return b.compare(ctx, scenario, rows, tokens)
}

// compare runs the baseline, the app with the cache off and with it on,
// on the same tokens, -repeat rounds of the three in turn, and records for
// each server its median run by req/s.
func (b *bench) compare(ctx context.Context, scenario string, rows int, tokens []string) error {
	specs := []runSpec{
		{server: BaselineName},
		{server: "app cache off"},
		{server: "app cache on", env: b.cacheEnv(), cache: true},
	}
	runs := make([][]Result, len(specs))
	for round := range b.cfg.repeat {
		for j := range specs {
			// Every other round runs the servers in the reverse order, so
			// that none is always the first (or last) after a change.
			i := j
			if round%2 == 1 {
				i = len(specs) - 1 - j
			}
			s := specs[i]
			s.scenario, s.rows, s.tokens = scenario, rows, tokens
			r, err := b.measure(ctx, s)
			if err != nil {
				return err
			}
			runs[i] = append(runs[i], r)
		}
	}
	for i, rs := range runs {
		m := Median(rs)
		if i > 0 && b.cfg.repeat > 1 {
			if ratio, lo, hi, ok := PairedRatio(runs[0], rs); ok {
				m.Ratio = ratio
				m.Note += fmt.Sprintf("; × baseline by round: median %.2f (%.2f–%.2f)", ratio, lo, hi)
			}
		}
		b.results = append(b.results, m)
	}
	return nil
}

// autoRefresh runs the app with auto-refresh on over every session, after
// setting their last refresh 2 minutes back: each may then slide once, and
// the run fails if the token table saw more updates than sessions.
func (b *bench) autoRefresh(ctx context.Context, rows int) error {
	env := map[string]string{"AUTHENTIFY_AUTO_REFRESH": "true", "AUTHENTIFY_AUTO_REFRESH_INTERVAL": "1m"}
	backdate := func(ctx context.Context) error {
		_, err := b.pool.Exec(ctx, "UPDATE "+tokenTable+" SET last_refreshed_at = now() - interval '2 minutes' WHERE access_hash = ANY($1)", b.hashes())
		if err != nil {
			return fmt.Errorf("backdate sessions: %w", err)
		}
		return nil
	}
	for _, cache := range []bool{false, true} {
		spec := runSpec{scenario: "autorefresh", against: "sessions", server: "app cache off", rows: rows, tokens: b.tokens, env: env, beforeMeasure: backdate}
		if cache {
			spec.server, spec.cache, spec.env = "app cache on", true, b.cacheEnv()
			for k, v := range env {
				spec.env[k] = v
			}
		}
		r, err := b.measure(ctx, spec)
		if err != nil {
			return err
		}
		if r.Skipped == "" {
			var slid int
			if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM "+tokenTable+" WHERE access_hash = ANY($1) AND last_refreshed_at > now() - interval '1 minute'", b.hashes()).Scan(&slid); err != nil {
				return fmt.Errorf("count slid sessions: %w", err)
			}
			r.Note = fmt.Sprintf("%d of %d sessions slid; at most one write each expected", slid, len(b.tokens))
			if r.Writes > int64(len(b.tokens)) {
				r.Problem = fmt.Sprintf("%d writes for %d sessions", r.Writes, len(b.tokens))
			}
		}
		b.results = append(b.results, r)
	}
	return nil
}

// hashes returns the access hashes of the sessions.
func (b *bench) hashes() [][]byte {
	tokens, _ := runtime.NewTokens(auth.Prefix, auth.DefaultSettings())
	out := make([][]byte, len(b.tokens))
	for i, t := range b.tokens {
		out[i] = tokens.Hash(t)
	}
	return out
}

// cleanup adds the expired rows and measures the app (cache off, one
// token) without and during their batched deletion.
func (b *bench) cleanup(ctx context.Context, rows int) error {
	logf("adding %d expired rows", b.cfg.cleanupRows)
	for left := b.cfg.cleanupRows; left > 0; {
		n := min(left, 100_000)
		if err := cloneRows(ctx, b.pool, b.template, cloneSpec{Count: n, Expired: true}); err != nil {
			return err
		}
		left -= n
	}
	if err := vacuum(ctx, b.pool); err != nil {
		return err
	}
	base := runSpec{scenario: "cleanup", against: "steady", rows: rows, tokens: b.tokens[:1]}
	without := base
	without.server = "app cache off, idle"
	r, err := b.add(ctx, without)
	if err != nil {
		return err
	}
	with := base
	with.server = "app cache off, deleting"
	with.during = func(ctx context.Context) (string, error) {
		start := time.Now()
		n, batches, err := deleteExpired(ctx, b.pool, b.cfg.cleanupBatch)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("deleted %d expired rows in %d batches in %s; p99 idle %s", n, batches,
			time.Since(start).Round(100*time.Millisecond), fmtLatency(r.P99)), nil
	}
	_, err = b.add(ctx, with)
	return err
}

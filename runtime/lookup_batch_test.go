package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The batcher's rules, one per test: a lookup runs alone while a read slot is
// free; lookups that find every slot taken queue and are read together, each
// distinct hash once, by a statement that starts after they queued; a
// lookup leaves the queue when its context ends; one client giving up does
// not fail the others; a failed or panicking read answers every lookup.
// The generated store's statement is tested against PostgreSQL in
// examples/echo/auth (batch_test.go).

// gatedReads is a pair of read functions over a fixed table of rows whose
// single reads block until released, and which record every statement.
type gatedReads struct {
	rows map[string]string // hash -> row; a missing hash is ErrNotFound

	mu      sync.Mutex
	singles []string   // hashes read one at a time, in order
	batches [][]string // hashes of every batched read, in order
	started chan string
	release chan struct{}
	manyErr error
}

func newGatedReads(rows map[string]string) *gatedReads {
	return &gatedReads{rows: rows, started: make(chan string, 100), release: make(chan struct{})}
}

func (g *gatedReads) one(ctx context.Context, hash []byte) (string, error) {
	g.mu.Lock()
	g.singles = append(g.singles, string(hash))
	g.mu.Unlock()
	g.started <- string(hash)
	select {
	case <-g.release:
	case <-ctx.Done():
		return "", Unavailable(ctx.Err())
	}
	if r, ok := g.rows[string(hash)]; ok {
		return r, nil
	}
	return "", ErrNotFound
}

func (g *gatedReads) many(ctx context.Context, hashes [][]byte) ([]string, []error, error) {
	var names []string
	for _, h := range hashes {
		names = append(names, string(h))
	}
	g.mu.Lock()
	g.batches = append(g.batches, names)
	err := g.manyErr
	g.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, Unavailable(err)
	}
	rows, errs := make([]string, len(hashes)), make([]error, len(hashes))
	for i, h := range hashes {
		if r, ok := g.rows[string(h)]; ok {
			rows[i] = r
		} else {
			errs[i] = ErrNotFound
		}
	}
	return rows, errs, nil
}

// queued waits until n lookups wait in b's queue.
func queued[T any](t *testing.T, b *lookupBatcher[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		got := len(b.queue)
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lookups queued, want %d", got, n)
		}
	}
}

// enqueue queues a lookup of hash as get would, without a goroutine
// waiting for it: the test plays its part (the batch's leader).
func enqueue(b *lookupBatcher[string], ctx context.Context, hash string) *lookupCall[string] {
	c := &lookupCall[string]{ctx: ctx, hash: []byte(hash), ready: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	return c
}

type answer struct {
	hash, row string
	err       error
}

// lookupAll starts a lookup of each hash and returns a function that
// waits for their answers, in the order of hashes.
func lookupAll(ctx context.Context, b *lookupBatcher[string], hashes ...string) func() []answer {
	out := make([]answer, len(hashes))
	var wg sync.WaitGroup
	for i, h := range hashes {
		wg.Go(func() {
			row, err := b.get(ctx, []byte(h))
			out[i] = answer{h, row, err}
		})
	}
	return func() []answer { wg.Wait(); return out }
}

func TestLookupBatcherOff(t *testing.T) {
	g := newGatedReads(nil)
	for _, c := range []struct{ limit, max int }{{0, 100}, {4, 0}, {4, 1}} {
		if b := newLookupBatcher(g.one, g.many, c.limit, c.max); b != nil {
			t.Errorf("limit %d, max %d: batching is on, want off", c.limit, c.max)
		}
	}
	if b := newLookupBatcher(g.one, nil, 4, 100); b != nil {
		t.Error("a store without ByAccessHashes: batching is on, want off")
	}
}

func TestLookupBatcherQueuesOnlyWhenEverySlotReads(t *testing.T) {
	g := newGatedReads(map[string]string{"a": "row a", "b": "row b", "c": "row c"})
	b := newLookupBatcher(g.one, g.many, 2, 100)
	first := lookupAll(t.Context(), b, "a", "b")
	<-g.started
	<-g.started // both slots read, each its own statement
	waiting := lookupAll(t.Context(), b, "a", "c", "a", "missing")
	queued(t, b, 4)
	close(g.release)
	for _, got := range append(first(), waiting()...) {
		want := map[string]answer{"a": {"a", "row a", nil}, "b": {"b", "row b", nil}, "c": {"c", "row c", nil}}[got.hash]
		if got.hash == "missing" {
			if !errors.Is(got.err, ErrNotFound) {
				t.Errorf("missing: %v, want ErrNotFound", got.err)
			}
			continue
		}
		if got != want {
			t.Errorf("lookup %s = %+v, want %+v", got.hash, got, want)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.singles) != 2 {
		t.Errorf("single reads %v, want the two that found a free slot", g.singles)
	}
	// The four queued lookups: one statement, each distinct hash once.
	if len(g.batches) != 1 || !slices.Equal(slices.Sorted(slices.Values(g.batches[0])), []string{"a", "c", "missing"}) {
		t.Errorf("batched reads %v, want one of [a c missing]", g.batches)
	}
	if b.running != 0 || len(b.queue) != 0 {
		t.Errorf("after the reads: %d running, %d queued; want none", b.running, len(b.queue))
	}
}

func TestLookupBatcherSplitsLongQueues(t *testing.T) {
	g := newGatedReads(map[string]string{})
	b := newLookupBatcher(g.one, g.many, 1, 3)
	first := lookupAll(t.Context(), b, "h0")
	<-g.started
	var hashes []string
	for i := range 7 {
		hashes = append(hashes, fmt.Sprintf("q%d", i))
	}
	// Queue them one by one so that the queue's order is known.
	var waits []func() []answer
	for i, h := range hashes {
		waits = append(waits, lookupAll(t.Context(), b, h))
		queued(t, b, i+1)
	}
	close(g.release)
	first()
	for _, w := range waits {
		w()
	}
	want := [][]string{{"q0", "q1", "q2"}, {"q3", "q4", "q5"}, {"q6"}}
	if !slices.EqualFunc(g.batches, want, slices.Equal) {
		t.Errorf("batches %v, want %v (at most max each, in arrival order)", g.batches, want)
	}
}

func TestLookupBatcherCancelledWhileQueued(t *testing.T) {
	g := newGatedReads(map[string]string{"a": "row a", "b": "row b"})
	b := newLookupBatcher(g.one, g.many, 1, 100)
	first := lookupAll(t.Context(), b, "a")
	<-g.started
	ctx, cancel := context.WithCancel(t.Context())
	gone := lookupAll(ctx, b, "gone")
	queued(t, b, 1)
	stays := lookupAll(t.Context(), b, "b")
	queued(t, b, 2)
	cancel()
	got := gone()[0]
	if !errors.Is(got.err, ErrUnavailable) || !errors.Is(got.err, context.Canceled) {
		t.Errorf("cancelled lookup: %v, want ErrUnavailable wrapping context.Canceled", got.err)
	}
	queued(t, b, 1) // it left the queue
	close(g.release)
	first()
	if got := stays()[0]; got.row != "row b" || got.err != nil {
		t.Errorf("the other lookup: %+v, want row b", got)
	}
	if len(g.batches) != 1 || !slices.Equal(g.batches[0], []string{"b"}) {
		t.Errorf("batches %v, want [[b]]: the cancelled hash is not read", g.batches)
	}
}

func TestLookupBatcherLeaderGivingUpStillAnswersTheOthers(t *testing.T) {
	// The batch's first lookup leads it; its client hangs up as the batch
	// starts. The statement must still run for the others, on a context
	// that ends only when all of them have given up.
	g := newGatedReads(map[string]string{"a": "row a", "b": "row b"})
	b := newLookupBatcher(g.one, g.many, 1, 100)
	first := lookupAll(t.Context(), b, "a")
	<-g.started
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // already gone when the batch is formed
	leader := enqueue(b, ctx, "a")
	other := lookupAll(t.Context(), b, "b")
	queued(t, b, 2)
	close(g.release)
	first()
	<-leader.ready
	if leader.lead == nil {
		t.Fatal("the first queued lookup was not made the batch's leader")
	}
	b.read(leader.lead)
	if got := other()[0]; got.row != "row b" || got.err != nil {
		t.Errorf("the other lookup: %+v, want row b", got)
	}
}

func TestLookupBatcherStatementFailureAnswersEveryLookup(t *testing.T) {
	g := newGatedReads(map[string]string{"a": "row a"})
	g.manyErr = Unavailable(errors.New("connection refused"))
	b := newLookupBatcher(g.one, g.many, 1, 100)
	first := lookupAll(t.Context(), b, "a")
	<-g.started
	waiting := lookupAll(t.Context(), b, "a", "b", "c")
	queued(t, b, 3)
	close(g.release)
	first()
	for _, got := range waiting() {
		if !errors.Is(got.err, ErrUnavailable) {
			t.Errorf("lookup %s: %v, want the statement's ErrUnavailable", got.hash, got.err)
		}
	}
}

func TestLookupBatcherPanickingReadAnswersTheOthers(t *testing.T) {
	g := newGatedReads(nil)
	many := func(context.Context, [][]byte) ([]string, []error, error) { panic("driver bug") }
	b := newLookupBatcher(g.one, many, 1, 100)
	first := lookupAll(t.Context(), b, "a")
	<-g.started
	leader := enqueue(b, t.Context(), "x")
	others := lookupAll(t.Context(), b, "y", "z")
	queued(t, b, 3)
	close(g.release)
	first()
	<-leader.ready
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "driver bug") {
				t.Errorf("recovered %v, want the read's panic to go on", r)
			}
		}()
		b.read(leader.lead)
	}()
	for _, got := range others() {
		if !errors.Is(got.err, errLookupAbandoned) {
			t.Errorf("lookup %s: %v, want errLookupAbandoned", got.hash, got.err)
		}
	}
	if b.running != 0 {
		t.Errorf("%d slots still taken after the panic, want 0", b.running)
	}
}

package runtime

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// BatchReader is implemented by a Store that can read many rows by access
// hash in one statement. An Engine over such a store batches its lookups
// under load (Settings.LookupBatchSize, Config.LookupConcurrency).
type BatchReader[T any] interface {
	// ByAccessHashes reads the rows of hashes (distinct) in one statement.
	// rows[i] and errs[i] answer hashes[i]: its row, or ErrNotFound, or the
	// error of converting that row alone. err is a failure of the whole
	// statement, reported like ByAccessHash's.
	ByAccessHashes(ctx context.Context, hashes [][]byte) (rows []T, errs []error, err error)
}

// errLookupAbandoned answers the lookups of a batch whose read panicked.
var errLookupAbandoned = errors.New("authentify: batched token lookup did not complete")

// lookupBatcher runs an Engine's reads by access hash. Up to limit of them
// run at once, each as its own statement (ByAccessHash), so a lookup never
// waits while a database connection is free for it. A lookup that finds
// limit reads running queues instead; when a read ends and lookups are
// queued, the first of them becomes the leader of a batch of up to max
// queued lookups and reads all their hashes in one statement
// (ByAccessHashes), each distinct hash once.
//
// Batching never serves a stale row: every lookup is answered by a
// statement that started after the lookup was queued, so it sees every
// change committed before the request asked (a revocation included),
// exactly as its own statement would.
//
// A lookup whose context ends while it is queued leaves the queue at once.
// A batch's statement runs on a context that keeps the values of the
// leader's and ends only when every lookup of the batch has given up, so
// one client that hangs up never fails the others. Requests whose tokens
// are the same share one row: callers must treat it as immutable, as they
// do the cache's.
type lookupBatcher[T any] struct {
	one   func(ctx context.Context, hash []byte) (T, error)
	many  func(ctx context.Context, hashes [][]byte) ([]T, []error, error)
	limit int // statements running at once
	max   int // lookups per batch

	mu      sync.Mutex
	running int // statements running, batches included
	queue   []*lookupCall[T]
}

// lookupCall is one queued lookup.
type lookupCall[T any] struct {
	ctx  context.Context
	hash []byte
	// ready is closed when val and err are set, or when lead is.
	ready chan struct{}
	val   T
	err   error
	// lead is the batch this call must read, set under mu when the call is
	// taken from the queue as a batch's leader.
	lead []*lookupCall[T]
}

// newLookupBatcher returns a batcher over one and many; nil when limit or
// max turns batching off (limit < 1 or max < 2).
func newLookupBatcher[T any](one func(context.Context, []byte) (T, error), many func(context.Context, [][]byte) ([]T, []error, error), limit, max int) *lookupBatcher[T] {
	if limit < 1 || max < 2 || many == nil {
		return nil
	}
	return &lookupBatcher[T]{one: one, many: many, limit: limit, max: max}
}

// get returns the row of hash: read at once when fewer than limit reads
// are running, else in the next batch.
func (b *lookupBatcher[T]) get(ctx context.Context, hash []byte) (T, error) {
	b.mu.Lock()
	if b.running < b.limit {
		b.running++
		b.mu.Unlock()
		defer b.done()
		return b.one(ctx, hash)
	}
	c := &lookupCall[T]{ctx: ctx, hash: hash, ready: make(chan struct{})}
	b.queue = append(b.queue, c)
	b.mu.Unlock()
	select {
	case <-c.ready:
	case <-ctx.Done():
		b.mu.Lock()
		if i := slices.Index(b.queue, c); i >= 0 {
			b.queue = slices.Delete(b.queue, i, i+1)
			b.mu.Unlock()
			var zero T
			return zero, Unavailable(ctx.Err())
		}
		lead := c.lead != nil
		b.mu.Unlock()
		if !lead {
			// In a batch another lookup leads: its answer is no longer wanted.
			var zero T
			return zero, Unavailable(ctx.Err())
		}
		<-c.ready // closed before lead is read by anyone but c
	}
	if c.lead != nil {
		b.read(c.lead)
	}
	return c.val, c.err
}

// done ends a running read: it hands its slot to the next batch, if any
// lookup is queued, else frees it.
func (b *lookupBatcher[T]) done() {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	n := min(len(b.queue), b.max)
	batch := slices.Clone(b.queue[:n])
	b.queue = slices.Delete(b.queue, 0, n)
	batch[0].lead = batch
	b.mu.Unlock()
	close(batch[0].ready)
}

// read runs batch (led by batch[0], on whose goroutine it runs) as one
// statement and answers every call of it, then ends the read (done).
func (b *lookupBatcher[T]) read(batch []*lookupCall[T]) {
	defer b.done()
	answered := false
	defer func() {
		if answered {
			return
		}
		// The read panicked: answer the others before the panic goes on.
		for _, c := range batch[1:] {
			c.err = errLookupAbandoned
			close(c.ready)
		}
	}()

	// The statement's context: the leader's values, cancelled once every
	// lookup of the batch has given up.
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	defer cancel()
	var waiting atomic.Int64
	waiting.Store(int64(len(batch)))
	for _, c := range batch {
		stop := context.AfterFunc(c.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}

	index := make(map[string]int, len(batch))
	hashes := make([][]byte, 0, len(batch))
	for _, c := range batch {
		if _, ok := index[string(c.hash)]; !ok {
			index[string(c.hash)] = len(hashes)
			hashes = append(hashes, c.hash)
		}
	}
	rows, errs, err := b.many(ctx, hashes)
	if err == nil && (len(rows) != len(hashes) || len(errs) != len(hashes)) {
		err = errors.New("authentify: ByAccessHashes returned a result per hash that does not match the hashes")
	}
	for _, c := range batch {
		switch i := index[string(c.hash)]; {
		case err != nil:
			c.err = err
		case errs[i] != nil:
			c.err = errs[i]
		default:
			c.val = rows[i]
		}
	}
	answered = true
	for _, c := range batch[1:] {
		close(c.ready)
	}
}

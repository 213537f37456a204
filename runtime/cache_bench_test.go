package runtime

import (
	"container/list"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchRows is the number of cached tokens in the benchmarks. The caches
// are twice as large: shards fill unevenly, so a full sharded cache holds a
// little less than its size.
const benchRows = 10000

func benchCache(b *testing.B, size int) (*Cache[cacheTok], [][]byte) {
	b.Helper()
	c := newTestCache(b, size, time.Hour)
	hashes := make([][]byte, benchRows)
	for i := range hashes {
		hashes[i] = cacheHash(int64(i))
		c.Put(c.Ticket(cacheT0), hashes[i], "u", cacheRow(int64(i), "u", nil))
	}
	return c, hashes
}

// BenchmarkCacheGetHit: parallel hits on 10k cached tokens; 0 allocs/op.
func BenchmarkCacheGetHit(b *testing.B) {
	c, hashes := benchCache(b, 2*benchRows)
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			i++
			if _, ok := c.Get(hashes[i%benchRows], cacheT0); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkCacheGetHitOneToken: every goroutine hits the same token (one
// shard, one entry): the worst case for lock and cache-line contention.
func BenchmarkCacheGetHitOneToken(b *testing.B) {
	c, hashes := benchCache(b, 2*benchRows)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.Get(hashes[0], cacheT0); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkCacheGetMiss: parallel misses (hashes never put).
func BenchmarkCacheGetMiss(b *testing.B) {
	c, _ := benchCache(b, 2*benchRows)
	other := make([][]byte, 1024)
	for i := range other {
		other[i] = cacheHash(int64(benchRows + i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, ok := c.Get(other[i%len(other)], cacheT0); ok {
				b.Fatal("hit")
			}
		}
	})
}

// BenchmarkCacheGetDisabled: the cost of a cache that is off (nil).
func BenchmarkCacheGetDisabled(b *testing.B) {
	var c *Cache[cacheTok]
	h := cacheHash(1)
	b.ReportAllocs()
	for b.Loop() {
		c.Get(h, cacheT0)
	}
}

// BenchmarkCachePut: ticket and put into a full cache (every put evicts),
// parallel.
func BenchmarkCachePut(b *testing.B) {
	c, _ := benchCache(b, benchRows/2)
	hashes := make([][]byte, benchRows)
	for i := range hashes {
		hashes[i] = cacheHash(int64(i))
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			i++
			row := cacheRow(int64(i%benchRows), "u", nil)
			c.Put(c.Ticket(cacheT0), hashes[i%benchRows], "u", row)
		}
	})
}

// BenchmarkCacheInvalidateToken: one "t:<id>" notification (every shard is
// visited).
func BenchmarkCacheInvalidateToken(b *testing.B) {
	c, _ := benchCache(b, 2*benchRows)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c.InvalidateToken(int64(i % benchRows))
	}
}

// lockedLRU is the textbook alternative the benchmarks compare against: one
// mutex, a map and a move-to-front list (a hit is a write).
type lockedLRU struct {
	mu sync.Mutex
	m  map[string]*list.Element
	l  *list.List
}

func (c *lockedLRU) get(k []byte) (cacheTok, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(k)]
	if !ok {
		return cacheTok{}, false
	}
	c.l.MoveToFront(e)
	return e.Value.(cacheTok), true
}

// BenchmarkLockedLRUGetHit is BenchmarkCacheGetHit on lockedLRU, for
// comparison.
func BenchmarkLockedLRUGetHit(b *testing.B) {
	c := &lockedLRU{m: map[string]*list.Element{}, l: list.New()}
	hashes := make([][]byte, benchRows)
	for i := range hashes {
		hashes[i] = cacheHash(int64(i))
		c.m[string(hashes[i])] = c.l.PushFront(cacheRow(int64(i), "u", nil))
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			i++
			if _, ok := c.get(hashes[i%benchRows]); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkCacheLookupHit: the Engine's call on a hit, parallel.
func BenchmarkCacheLookupHit(b *testing.B) {
	c, hashes := benchCache(b, 2*benchRows)
	user := func(v cacheTok) string { return v.User }
	read := func(context.Context, []byte) (cacheTok, error) { b.Fatal("read on a hit"); return cacheTok{}, nil }
	ctx := context.Background()
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			i++
			if _, ok, _ := c.Lookup(ctx, hashes[i%benchRows], cacheT0, user, read); !ok {
				b.Fatal("miss")
			}
		}
	})
}

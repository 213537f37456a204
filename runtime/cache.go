package runtime

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is an in-process, size-bounded cache of verified tokens, keyed by
// the token hash (never the raw token). The database stays the source of
// truth: the cache only ever holds a copy of a row that was active when it
// was read, drops it at its expires_at or after the maximum age, and forgets
// it as soon as an invalidation (a PostgreSQL notification, or a local
// write) concerns it. A nil *Cache is a valid, disabled cache: every method
// is a cheap no-op and every lookup misses, so an Engine can hold a nil
// cache when cache_size is 0.
//
// # Correctness
//
// An entry is served only while all of these hold:
//
//   - The cache is serving: a listener connection is up and the cache was
//     emptied after it (re)connected ([Cache.Resume]); [Cache.Suspend]
//     stops serving the moment the listener drops or lags, because
//     notifications may have been lost.
//   - now is before min(expires_at, read time + max age). The read time is
//     that of the [Ticket], taken before the database read, so the age is
//     never under-counted.
//   - No invalidation concerning it was handled since it was put: every
//     invalidation removes its entries from every shard (an atomic store
//     each, under the shard locks) before returning, so a Get that starts
//     after the invalidation returned cannot see them.
//
// The remaining race is the stale put: a reader reads the row, a revocation
// commits and its notification is handled (removing nothing, the entry is
// not there yet), then the reader puts the stale row. Generations close it.
// Every invalidation increments a generation counter and records itself, with
// its new generation, in a small ring of recent invalidations. A reader takes
// a Ticket (the current generation) before its database read and offers the
// row with it; [Cache.Put] refuses the row when an invalidation recorded
// after the ticket concerns it (same row id, same user, or a flush), or when
// so many invalidations happened since the ticket that the ring no longer
// holds them all. PostgreSQL delivers a notification only once its
// transaction is visible to other sessions, so an invalidation handled
// before the ticket was taken belongs to a change the read already sees;
// one handled after it is in the ring, and Put sees it. (This needs the
// read to see every commit the listener has been told about: read from the
// primary the notifications come from, never from a lagging replica.) Put
// checks and
// inserts under the shard lock, and an invalidation records itself before it
// sweeps the shards, so an invalidation recorded after Put's check sweeps
// after Put's insert and removes the entry. Per-row and per-user
// invalidations therefore refuse only the puts they concern: unrelated
// readers keep filling the cache during a stream of revocations.
//
// # Eviction and concurrency
//
// The cache is split into up to 64 shards by the first bytes of the hash
// (already uniform: it is a cryptographic hash). Readers take no lock: each
// shard's index is an open-addressing table of atomic pointers to immutable
// entries, so a hit is a few loads, a key comparison and, at most once per
// clock turn, the store of a reference bit; it allocates nothing. Writers
// (puts, invalidations) serialize on the shard's mutex. Each shard evicts by
// CLOCK, a second-chance approximation of LRU: a put into a full shard
// evicts the first entry, from the clock hand on, that is expired or was not
// hit since the hand last passed. Each shard holds its share of the size, so
// a full cache holds at most size entries, and a little fewer when the
// hashes fill the shards unevenly.
//
// # Engine integration
//
// The intended use on the hot path (Verify), with now the Engine's clock,
// is [Cache.Lookup] in place of store.ByAccessHash, which spells out:
//
//	if tok, ok := cache.Get(hash, now); ok {
//		return tok // then the usual checks: State(now), transport
//	}
//	ticket := cache.Ticket(now)             // BEFORE the read
//	tok, err := store.ByAccessHash(ctx, hash)
//	cache.Put(ticket, hash, userKey(tok), tok) // refuses rows not active
//
// Auto-refresh: the cached value is the whole row, including
// last_refreshed_at, and the Engine makes the slide decision (slideTimes) on
// a hit exactly as on a database row, so a hit never hides a due slide. The
// write stays the conditional UPDATE (it matches last_refreshed_at), so
// instances racing on one token write at most once per interval. After a
// successful slide the Engine calls InvalidateToken(id) (its own
// notification follows; the next request reads the slid row); after a lost
// slide (ErrNotFound) it must re-read from the store, not from the cache.
// Every local write that ends or alters rows (revoke, rotate, slide,
// UpdateColumns) also applies the matching invalidation locally when the
// store call returns, so the writing instance never serves its own stale
// entry, whatever the notification's delay.
//
// Cached values are shared between requests: callers must treat them as
// immutable (copy before changing a map or slice inside one).
type Cache[V Recorded] struct {
	shards []cacheShard[V]
	mask   uint64
	maxAge time.Duration

	serving atomic.Bool
	health  sync.Mutex // serializes Suspend and Resume

	// gen is the generation: the number of invalidations so far. It is
	// written only under mu, after the invalidation is in log.
	gen atomic.Uint64
	mu  sync.RWMutex
	log [invalidationLog]Invalidation // the invalidation of generation g is at log[g%invalidationLog]
}

// invalidationLog is the number of recent invalidations a Put can check its
// ticket against. A read that outlives more invalidations than this is not
// cached (a refused put costs one more database read later, never
// correctness).
const invalidationLog = 256

// maxCacheShards bounds the shard count; minShardEntries keeps small caches
// in few shards so that the size bound stays close to exact LRU behaviour.
const (
	maxCacheShards  = 64
	minShardEntries = 128
)

// Ticket is a reader's generation snapshot, taken with [Cache.Ticket]
// before the database read and handed back to [Cache.Put]. The zero Ticket
// (from a disabled cache) makes every Put refuse.
type Ticket struct {
	gen uint64
	at  time.Time
}

// NewCache returns a cache of at most size entries, each served for at most
// maxAge after it was read. size 0 returns a nil (disabled) cache; a
// negative size or, for an enabled cache, a non-positive maxAge is an
// error. The cache starts suspended: it serves nothing until the listener
// has started listening and calls [Cache.Resume].
func NewCache[V Recorded](size int, maxAge time.Duration) (*Cache[V], error) {
	switch {
	case size < 0:
		return nil, fmt.Errorf("authentify: cache size must be 0 (off) or positive, got %d", size)
	case size == 0:
		return nil, nil
	case maxAge <= 0:
		return nil, fmt.Errorf("authentify: cache max age must be positive, got %s", maxAge)
	}
	n := 1
	for n < maxCacheShards && 2*n*minShardEntries <= size {
		n *= 2
	}
	c := &Cache[V]{shards: make([]cacheShard[V], n), mask: uint64(n - 1), maxAge: maxAge}
	for i := range c.shards {
		capacity := size / n
		if i < size%n {
			capacity++
		}
		c.shards[i].init(capacity)
	}
	return c, nil
}

// Serving reports whether the cache currently serves entries: it is enabled
// and was resumed after its listener (re)connected.
func (c *Cache[V]) Serving() bool { return c != nil && c.serving.Load() }

// Len returns the number of entries held (served or not).
func (c *Cache[V]) Len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}

// shard returns the shard of hash and the bits that place it in the
// shard's table. Token hashes are cryptographic (at least 32 bytes), so
// their bytes are already uniform: the first eight choose the shard, the
// next eight the slot.
func (c *Cache[V]) shard(hash []byte) (*cacheShard[V], uint64) {
	var sh, sl uint64
	if len(hash) >= 16 {
		sh, sl = binary.LittleEndian.Uint64(hash), binary.LittleEndian.Uint64(hash[8:])
	} else {
		for _, b := range hash {
			sh = sh<<8 | uint64(b)
		}
		sl = sh * 0x9e3779b97f4a7c15 >> 7
	}
	return &c.shards[sh&c.mask], sl
}

// Get returns the cached token for hash if it may be served at now: the
// cache is serving, the entry exists, and now is before both its token's
// expires_at and its read time plus the maximum age. A hit allocates
// nothing. A miss says nothing about the token: read the database.
func (c *Cache[V]) Get(hash []byte, now time.Time) (V, bool) {
	var zero V
	if c == nil || !c.serving.Load() {
		return zero, false
	}
	s, bits := c.shard(hash)
	// Lock-free: writers publish an entry, fully built, with an atomic
	// store, and never change it afterwards (a replacement is a new entry).
	// A probe racing with a removal may miss an entry that is still there
	// (a miss is always safe), never find one that is gone.
	for i, n := bits&s.tmask, 0; n < len(s.table); i, n = (i+1)&s.tmask, n+1 {
		e := s.table[i].Load()
		if e == nil {
			break
		}
		if e.key != string(hash) {
			continue
		}
		if now.UnixNano() >= e.deadline {
			break
		}
		if e.ref.Load() == 0 {
			e.ref.Store(1)
		}
		return e.val, true
	}
	return zero, false
}

// Ticket returns the generation snapshot a reader must take at now, before
// its database read, and hand to [Cache.Put] with the row it read. now is
// also the entry's read time for the maximum age.
func (c *Cache[V]) Ticket(now time.Time) Ticket {
	if c == nil {
		return Ticket{}
	}
	return Ticket{gen: c.gen.Load(), at: now}
}

// Put offers v, read from the database after t was taken, as the token with
// hash, belonging to the user with key user (the text form of the user id,
// as PostgreSQL prints user_id::text, so that a "u:" notification finds it).
// It reports whether v was cached. It refuses when the cache is disabled or
// not serving, when v is revoked or is already over at the ticket's time,
// and when an invalidation handled since t was taken concerns v (its row id,
// its user, or everything) or cannot be ruled out. Put replaces an entry
// with the same hash and evicts another one when the shard is full.
func (c *Cache[V]) Put(t Ticket, hash []byte, user string, v V) bool {
	if c == nil || t.gen == 0 || !c.serving.Load() {
		return false
	}
	rec := v.record()
	if rec.RevokedAt != nil {
		return false
	}
	deadline := t.at.Add(c.maxAge)
	if rec.ExpiresAt != nil && rec.ExpiresAt.Before(deadline) {
		deadline = *rec.ExpiresAt
	}
	if !deadline.After(t.at) {
		return false
	}
	s, bits := c.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked under the shard lock: an invalidation not yet recorded now
	// sweeps this shard after our insert (see the type's doc comment).
	if g := c.gen.Load(); g != t.gen && c.invalidatedSince(t.gen, rec.ID, user) {
		return false
	}
	if old := s.find(hash, bits); old != nil {
		s.remove(old)
	}
	e := &cacheEntry[V]{key: string(hash), val: v, id: rec.ID, user: user, deadline: deadline.UnixNano(), bits: bits}
	e.slot = s.slot(t.at.UnixNano())
	s.insert(e)
	return true
}

// Lookup returns the token for hash: from the cache when it may be served
// at now, else from read (the store's ByAccessHash), offering the row to the
// cache with a ticket taken before the read, so the ordering rule of the
// type's doc comment cannot be got wrong. user returns the row's user key
// (see Put). cached reports a hit. On a nil cache Lookup is read. Errors of
// read are returned as they are and never cached; neither are rows that
// are not active.
func (c *Cache[V]) Lookup(ctx context.Context, hash []byte, now time.Time, user func(V) string, read func(context.Context, []byte) (V, error)) (v V, cached bool, err error) {
	if v, ok := c.Get(hash, now); ok {
		return v, true, nil
	}
	ticket := c.Ticket(now)
	if v, err = read(ctx, hash); err != nil || c == nil {
		return v, false, err
	}
	c.Put(ticket, hash, user(v), v)
	return v, false, nil
}

// invalidatedSince reports whether an invalidation recorded after generation
// gen concerns the row id of user, or may have (the log has wrapped).
func (c *Cache[V]) invalidatedSince(gen uint64, id int64, user string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cur := c.gen.Load()
	if cur < gen || cur-gen > invalidationLog {
		return true
	}
	for g := gen + 1; g <= cur; g++ {
		if c.log[g%invalidationLog].concerns(id, user) {
			return true
		}
	}
	return false
}

// Apply records inv, so that no put with an older ticket that inv concerns
// succeeds, and removes the entries it concerns. When Apply returns, no Get
// serves them. Apply keeps a copy of inv.IDs: the caller may reuse it. A
// ping changes nothing.
func (c *Cache[V]) Apply(inv Invalidation) {
	if c == nil || inv.Scope == InvalidatePing {
		return
	}
	inv.IDs = slices.Clone(inv.IDs)
	c.mu.Lock()
	g := c.gen.Load() + 1
	c.log[g%invalidationLog] = inv
	c.gen.Store(g)
	c.mu.Unlock()
	for i := range c.shards {
		c.shards[i].apply(inv)
	}
}

// InvalidateToken forgets every entry of the token row id (a revoke, a
// refresh rotation, a slide or a column update of that row).
func (c *Cache[V]) InvalidateToken(id int64) {
	c.Apply(Invalidation{Scope: InvalidateTokens, IDs: []int64{id}})
}

// InvalidateUser forgets every entry of the user with key user (logout
// everywhere, single login, a bulk change of that user's rows).
func (c *Cache[V]) InvalidateUser(user string) {
	c.Apply(Invalidation{Scope: InvalidateUser, User: user})
}

// Flush forgets every entry, and refuses every put whose ticket was taken
// before it.
func (c *Cache[V]) Flush() { c.Apply(Invalidation{Scope: InvalidateAll}) }

// Suspend stops serving and caching at once. The listener calls it when its
// connection drops or lags: notifications may be lost from then on, so no
// entry can be trusted until [Cache.Resume]. A listener can measure its lag
// by sending itself "p:" heartbeats (see [Invalidation]) and timing their
// arrival.
func (c *Cache[V]) Suspend() {
	if c == nil {
		return
	}
	c.health.Lock()
	c.serving.Store(false)
	c.health.Unlock()
}

// Resume empties the cache and then serves again, in that order. The
// listener calls it once its LISTEN is (again) in effect, so that every
// change committed from then on is notified. The flush also refuses every
// put whose ticket was taken before it, so a read in flight during the
// outage cannot insert a row that a lost notification should have stopped;
// reads that start after the flush see every change the lost notifications
// were about. Without a listener, Resume makes the cache trust that every
// change goes through this process's own local invalidations: only right
// for a single instance with no other writer (no cleanup job elsewhere, no
// manual SQL).
func (c *Cache[V]) Resume() {
	if c == nil {
		return
	}
	c.health.Lock()
	defer c.health.Unlock()
	c.Flush()
	c.serving.Store(true)
}

type cacheEntry[V any] struct {
	key      string
	val      V
	id       int64
	user     string
	deadline int64  // unix nanoseconds: min(expires_at, read time + max age)
	bits     uint64 // the slot bits of the hash: the entry's home is bits&tmask
	ref      atomic.Uint32
	slot     int
	nextID   *cacheEntry[V] // the next entry of the same row id in this shard
	prevUser *cacheEntry[V] // the user's entries in this shard, doubly linked
	nextUser *cacheEntry[V]
}

// cacheShard is one lock's worth of the cache: an open-addressing table by
// hash that readers probe without locking, indexes by row id and by user for
// invalidation, and a CLOCK ring for eviction. Everything but the readers'
// probes happens under mu.
type cacheShard[V any] struct {
	mu       sync.Mutex
	table    []atomic.Pointer[cacheEntry[V]] // linear probing; at most half full
	tmask    uint64
	n        int
	ids      map[int64]*cacheEntry[V]
	users    map[string]*cacheEntry[V]
	slots    []*cacheEntry[V] // the clock; nil: a free slot (listed in free)
	free     []int
	hand     int
	capacity int
	_        [64]byte // keeps neighbouring shards' locks off one cache line
}

func (s *cacheShard[V]) init(capacity int) {
	s.capacity = capacity
	size := 2
	for size < 2*capacity {
		size *= 2
	}
	s.table = make([]atomic.Pointer[cacheEntry[V]], size)
	s.tmask = uint64(size - 1)
	s.ids = make(map[int64]*cacheEntry[V])
	s.users = make(map[string]*cacheEntry[V])
}

// slot returns a free slot index for a new entry, evicting one if the shard
// is full. Called with mu held.
func (s *cacheShard[V]) slot(now int64) int {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if len(s.slots) < s.capacity {
		s.slots = append(s.slots, nil)
		return len(s.slots) - 1
	}
	// Full, and no free slot: every slot holds an entry. One sweep clears
	// every reference bit, so this ends within two turns of the clock.
	for {
		if s.hand >= len(s.slots) {
			s.hand = 0
		}
		e := s.slots[s.hand]
		s.hand++
		if e.deadline > now && e.ref.Load() != 0 {
			e.ref.Store(0)
			continue
		}
		s.unlink(e)
		return e.slot
	}
}

// insert adds e, whose slot is reserved, to the shard. Called with mu held.
func (s *cacheShard[V]) insert(e *cacheEntry[V]) {
	s.slots[e.slot] = e
	i := e.bits & s.tmask
	for s.table[i].Load() != nil {
		i = (i + 1) & s.tmask
	}
	s.table[i].Store(e)
	s.n++
	e.nextID = s.ids[e.id]
	s.ids[e.id] = e
	if head := s.users[e.user]; head != nil {
		head.prevUser = e
		e.nextUser = head
	}
	s.users[e.user] = e
}

// unlink removes e from the maps, the indexes and the clock, without
// freeing its slot. Called with mu held.
func (s *cacheShard[V]) unlink(e *cacheEntry[V]) {
	s.tableDelete(e)
	s.n--
	s.slots[e.slot] = nil
	if head := s.ids[e.id]; head == e {
		if e.nextID == nil {
			delete(s.ids, e.id)
		} else {
			s.ids[e.id] = e.nextID
		}
	} else {
		for p := head; p != nil; p = p.nextID {
			if p.nextID == e {
				p.nextID = e.nextID
				break
			}
		}
	}
	if e.prevUser != nil {
		e.prevUser.nextUser = e.nextUser
	} else if e.nextUser != nil {
		s.users[e.user] = e.nextUser
	} else {
		delete(s.users, e.user)
	}
	if e.nextUser != nil {
		e.nextUser.prevUser = e.prevUser
	}
	e.nextID, e.prevUser, e.nextUser = nil, nil, nil
}

// find returns the entry of hash, or nil. Called with mu held.
func (s *cacheShard[V]) find(hash []byte, bits uint64) *cacheEntry[V] {
	for i := bits & s.tmask; ; i = (i + 1) & s.tmask {
		e := s.table[i].Load()
		if e == nil || e.key == string(hash) {
			return e
		}
	}
}

// tableDelete takes e out of the table by backward shifting (Knuth's
// algorithm R): the entries after it in its run move up into the hole when
// their home allows, so no tombstones pile up. A moved entry is briefly in
// two slots, which readers tolerate; e itself disappears with the first
// store. Called with mu held.
func (s *cacheShard[V]) tableDelete(e *cacheEntry[V]) {
	hole := e.bits & s.tmask
	for s.table[hole].Load() != e {
		hole = (hole + 1) & s.tmask
	}
	for j := hole; ; {
		j = (j + 1) & s.tmask
		next := s.table[j].Load()
		if next == nil {
			s.table[hole].Store(nil)
			return
		}
		// next stays when its home lies cyclically in (hole, j].
		home := next.bits & s.tmask
		if (hole <= j && hole < home && home <= j) || (hole > j && (hole < home || home <= j)) {
			continue
		}
		s.table[hole].Store(next)
		hole = j
	}
}

// remove unlinks e and frees its slot. Called with mu held.
func (s *cacheShard[V]) remove(e *cacheEntry[V]) {
	s.unlink(e)
	s.free = append(s.free, e.slot)
}

// apply removes the entries inv concerns.
func (s *cacheShard[V]) apply(inv Invalidation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch inv.Scope {
	case InvalidateTokens:
		for _, id := range inv.IDs {
			for e := s.ids[id]; e != nil; e = s.ids[id] {
				s.remove(e)
			}
		}
	case InvalidateUser:
		for e := s.users[inv.User]; e != nil; e = s.users[inv.User] {
			s.remove(e)
		}
	default:
		for i := range s.table {
			s.table[i].Store(nil)
		}
		s.n = 0
		clear(s.ids)
		clear(s.users)
		clear(s.slots)
		s.slots = s.slots[:0]
		s.free = s.free[:0]
		s.hand = 0
	}
}

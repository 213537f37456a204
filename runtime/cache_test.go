package runtime

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// cacheTok is the cached value in the cache tests: a row plus the user key
// and a version, so a test can tell a stale copy from a fresh one.
type cacheTok struct {
	Record
	User    string
	Version int
}

var cacheT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// cacheHash is the token hash the tests key row id by.
func cacheHash(id int64) []byte {
	h := sha256.Sum256([]byte("token " + strconv.FormatInt(id, 10)))
	return h[:]
}

// cacheRow is an active row of user, expiring at exp (nil: never).
func cacheRow(id int64, user string, exp *time.Time) cacheTok {
	return cacheTok{Record: Record{ID: id, CreatedAt: cacheT0, LastRefreshedAt: cacheT0, ExpiresAt: exp}, User: user}
}

// newTestCache returns a resumed (serving) cache.
func newTestCache(t testing.TB, size int, maxAge time.Duration) *Cache[cacheTok] {
	t.Helper()
	c, err := NewCache[cacheTok](size, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	c.Resume()
	return c
}

// put caches v under its own id's hash with a ticket taken at now.
func put(c *Cache[cacheTok], v cacheTok, now time.Time) bool {
	return c.Put(c.Ticket(now), cacheHash(v.ID), v.User, v)
}

func hit(c *Cache[cacheTok], id int64, now time.Time) bool {
	_, ok := c.Get(cacheHash(id), now)
	return ok
}

func TestNewCache(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		maxAge  time.Duration
		wantNil bool
		wantErr bool
	}{
		{"off", 0, 0, true, false},
		{"off ignores max age", 0, -time.Second, true, false},
		{"negative size", -1, time.Minute, true, true},
		{"zero max age", 10, 0, true, true},
		{"negative max age", 10, -time.Minute, true, true},
		{"one entry", 1, time.Minute, false, false},
		{"large", 1 << 20, time.Minute, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCache[cacheTok](tt.size, tt.maxAge)
			if (err != nil) != tt.wantErr || (c == nil) != tt.wantNil {
				t.Fatalf("NewCache(%d, %s) = %v, %v; want nil %v, error %v", tt.size, tt.maxAge, c, err, tt.wantNil, tt.wantErr)
			}
		})
	}
}

func TestCacheDisabledIsNoop(t *testing.T) {
	var c *Cache[cacheTok] // what NewCache(0, …) returns
	c.Resume()
	if put(c, cacheRow(1, "u", nil), cacheT0) {
		t.Error("a disabled cache accepted a put")
	}
	if hit(c, 1, cacheT0) || c.Serving() || c.Len() != 0 {
		t.Error("a disabled cache serves")
	}
	c.InvalidateToken(1)
	c.InvalidateUser("u")
	c.Flush()
	c.Suspend()
	if err := c.Notify("garbage"); err == nil {
		t.Error("Notify on a disabled cache hid the parse error")
	}
}

func TestCacheGetReturnsWhatWasPut(t *testing.T) {
	c := newTestCache(t, 100, time.Minute)
	v := cacheRow(7, "alice", nil)
	v.Version = 3
	if !put(c, v, cacheT0) {
		t.Fatal("put refused")
	}
	got, ok := c.Get(cacheHash(7), cacheT0.Add(time.Second))
	if !ok || got.ID != 7 || got.User != "alice" || got.Version != 3 {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
	if hit(c, 8, cacheT0) {
		t.Error("hit for a hash never put")
	}
}

func TestCacheNeverServesAfterExpiryOrMaxAge(t *testing.T) {
	exp := func(d time.Duration) *time.Time { t := cacheT0.Add(d); return &t }
	revokedAt := cacheT0.Add(-time.Second)
	tests := []struct {
		name     string
		row      cacheTok
		maxAge   time.Duration
		wantPut  bool
		lastGood time.Duration // served at cacheT0 + lastGood - 1µs, not at cacheT0 + lastGood
	}{
		{"expires before max age", cacheRow(1, "u", exp(10*time.Second)), time.Minute, true, 10 * time.Second},
		{"max age before expiry", cacheRow(1, "u", exp(time.Hour)), time.Minute, true, time.Minute},
		{"never expires", cacheRow(1, "u", nil), time.Minute, true, time.Minute},
		{"already expired", cacheRow(1, "u", exp(0)), time.Minute, false, 0},
		{"revoked", cacheTok{Record: Record{ID: 1, RevokedAt: &revokedAt}}, time.Minute, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, 10, tt.maxAge)
			if got := put(c, tt.row, cacheT0); got != tt.wantPut {
				t.Fatalf("put = %v, want %v", got, tt.wantPut)
			}
			if !tt.wantPut {
				return
			}
			if !hit(c, 1, cacheT0.Add(tt.lastGood-time.Microsecond)) {
				t.Error("not served just before the deadline")
			}
			if hit(c, 1, cacheT0.Add(tt.lastGood)) {
				t.Error("served at the deadline")
			}
			if hit(c, 1, cacheT0.Add(tt.lastGood+time.Hour)) {
				t.Error("served after the deadline")
			}
		})
	}
}

func TestCacheMaxAgeCountsFromTicket(t *testing.T) {
	c := newTestCache(t, 10, time.Minute)
	ticket := c.Ticket(cacheT0)
	// The database read took 30 s: the entry still ages from the ticket.
	if !c.Put(ticket, cacheHash(1), "u", cacheRow(1, "u", nil)) {
		t.Fatal("put refused")
	}
	if hit(c, 1, cacheT0.Add(time.Minute)) {
		t.Error("served a minute after the ticket")
	}
}

func TestCacheIsBoundedBySize(t *testing.T) {
	for _, size := range []int{1, 3, 255, 256, 1000, 5000} {
		c := newTestCache(t, size, time.Hour)
		for id := int64(0); id < int64(3*size+10); id++ {
			if !put(c, cacheRow(id, "u", nil), cacheT0) {
				t.Fatalf("size %d: put %d refused", size, id)
			}
			if n := c.Len(); n > size {
				t.Fatalf("size %d: %d entries after put %d", size, n, id)
			}
		}
		if n := c.Len(); n != size {
			t.Errorf("size %d: %d entries when full", size, n)
		}
	}
}

func TestCacheEvictsUnusedBeforeUsed(t *testing.T) {
	c := newTestCache(t, 4, time.Hour) // one shard: exact CLOCK behaviour
	for id := int64(1); id <= 4; id++ {
		put(c, cacheRow(id, "u", nil), cacheT0)
	}
	for _, id := range []int64{1, 2, 4} {
		hit(c, id, cacheT0)
	}
	put(c, cacheRow(5, "u", nil), cacheT0)
	for id, want := range map[int64]bool{1: true, 2: true, 3: false, 4: true, 5: true} {
		if got := hit(c, id, cacheT0); got != want {
			t.Errorf("entry %d cached = %v, want %v", id, got, want)
		}
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	c := newTestCache(t, 3, time.Hour)
	soon := cacheT0.Add(time.Second)
	put(c, cacheRow(1, "u", nil), cacheT0)
	put(c, cacheRow(2, "u", &soon), cacheT0)
	put(c, cacheRow(3, "u", nil), cacheT0)
	for id := int64(1); id <= 3; id++ {
		hit(c, id, cacheT0) // all referenced
	}
	later := cacheT0.Add(time.Minute)
	c.Put(c.Ticket(later), cacheHash(4), "u", cacheRow(4, "u", nil))
	for id, want := range map[int64]bool{1: true, 3: true, 4: true} {
		if got := hit(c, id, later); got != want {
			t.Errorf("entry %d cached = %v, want %v", id, got, want)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
}

func TestCachePutReplacesSameHash(t *testing.T) {
	c := newTestCache(t, 10, time.Hour)
	v := cacheRow(1, "u", nil)
	put(c, v, cacheT0)
	v.Version = 2
	put(c, v, cacheT0)
	got, ok := c.Get(cacheHash(1), cacheT0)
	if !ok || got.Version != 2 || c.Len() != 1 {
		t.Fatalf("Get = %+v, %v; Len %d", got, ok, c.Len())
	}
	c.InvalidateToken(1)
	if c.Len() != 0 {
		t.Errorf("Len after invalidating the only row = %d", c.Len())
	}
}

func TestCacheInvalidation(t *testing.T) {
	// Rows 1, 2 (alice, two hashes for row 2: before and after a rotation),
	// 3 (bob), spread over shards by a large size.
	tests := []struct {
		name string
		inv  func(c *Cache[cacheTok])
		gone []int64 // hash ids gone afterwards; the others stay
	}{
		{"token", func(c *Cache[cacheTok]) { c.InvalidateToken(2) }, []int64{2, 102}},
		{"token list", func(c *Cache[cacheTok]) { c.Apply(Invalidation{Scope: InvalidateTokens, IDs: []int64{1, 3}}) }, []int64{1, 3}},
		{"unknown token", func(c *Cache[cacheTok]) { c.InvalidateToken(99) }, nil},
		{"user", func(c *Cache[cacheTok]) { c.InvalidateUser("alice") }, []int64{1, 2, 102}},
		{"other user", func(c *Cache[cacheTok]) { c.InvalidateUser("carol") }, nil},
		{"flush", func(c *Cache[cacheTok]) { c.Flush() }, []int64{1, 2, 102, 3}},
		{"notify user", func(c *Cache[cacheTok]) { _ = c.Notify("u:bob") }, []int64{3}},
		{"notify ping", func(c *Cache[cacheTok]) { _ = c.Notify("p:1") }, nil},
		{"notify garbage flushes", func(c *Cache[cacheTok]) { _ = c.Notify("x") }, []int64{1, 2, 102, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, 10000, time.Hour)
			rows := map[int64]cacheTok{1: cacheRow(1, "alice", nil), 2: cacheRow(2, "alice", nil), 102: cacheRow(2, "alice", nil), 3: cacheRow(3, "bob", nil)}
			for h, v := range rows {
				if !c.Put(c.Ticket(cacheT0), cacheHash(h), v.User, v) {
					t.Fatalf("put %d refused", h)
				}
			}
			tt.inv(c)
			gone := map[int64]bool{}
			for _, h := range tt.gone {
				gone[h] = true
			}
			for h := range rows {
				if hit(c, h, cacheT0) == gone[h] {
					t.Errorf("hash %d: cached = %v, want %v", h, !gone[h], !gone[h])
				}
			}
			if c.Len() != len(rows)-len(tt.gone) {
				t.Errorf("Len = %d, want %d", c.Len(), len(rows)-len(tt.gone))
			}
		})
	}
}

func TestCachePutRefusedOnlyByConcerningInvalidation(t *testing.T) {
	tests := []struct {
		name   string
		inv    Invalidation
		refuse bool // the put of row 1 of alice
	}{
		{"same row", Invalidation{Scope: InvalidateTokens, IDs: []int64{1}}, true},
		{"row in a list", Invalidation{Scope: InvalidateTokens, IDs: []int64{5, 1}}, true},
		{"other row", Invalidation{Scope: InvalidateTokens, IDs: []int64{2}}, false},
		{"same user", Invalidation{Scope: InvalidateUser, User: "alice"}, true},
		{"other user", Invalidation{Scope: InvalidateUser, User: "bob"}, false},
		{"flush", Invalidation{Scope: InvalidateAll}, true},
		{"ping", Invalidation{Scope: InvalidatePing, Ping: "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, 100, time.Hour)
			ticket := c.Ticket(cacheT0)
			c.Apply(Invalidation{Scope: InvalidateTokens, IDs: []int64{42}}) // unrelated, before
			c.Apply(tt.inv)
			c.InvalidateUser("zed") // unrelated, after
			if got := c.Put(ticket, cacheHash(1), "alice", cacheRow(1, "alice", nil)); got == tt.refuse {
				t.Errorf("put accepted = %v, want %v", got, !tt.refuse)
			}
		})
	}
}

func TestCachePutRefusedWhenLogWrapped(t *testing.T) {
	c := newTestCache(t, 100, time.Hour)
	ticket := c.Ticket(cacheT0)
	for i := range invalidationLog {
		c.InvalidateToken(int64(1000 + i)) // unrelated, but many
	}
	if !c.Put(ticket, cacheHash(1), "u", cacheRow(1, "u", nil)) {
		t.Fatal("put refused with the log exactly full of unrelated invalidations")
	}
	ticket = c.Ticket(cacheT0)
	for i := range invalidationLog + 1 {
		c.InvalidateToken(int64(1000 + i))
	}
	if c.Put(ticket, cacheHash(2), "u", cacheRow(2, "u", nil)) {
		t.Error("put accepted although the log no longer holds every invalidation since its ticket")
	}
}

func TestCacheTicketBeforeInvalidationWithoutConcernIsAccepted(t *testing.T) {
	c := newTestCache(t, 100, time.Hour)
	ticket := c.Ticket(cacheT0)
	if !c.Put(ticket, cacheHash(1), "u", cacheRow(1, "u", nil)) {
		t.Fatal("put refused with no invalidation at all")
	}
	if c.Put(Ticket{}, cacheHash(2), "u", cacheRow(2, "u", nil)) {
		t.Error("put accepted with the zero ticket")
	}
}

func TestCacheHealth(t *testing.T) {
	c, err := NewCache[cacheTok](100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A new cache serves nothing until its listener resumes it.
	if c.Serving() || put(c, cacheRow(1, "u", nil), cacheT0) {
		t.Fatal("a new cache serves before Resume")
	}
	c.Resume()
	if !put(c, cacheRow(1, "u", nil), cacheT0) || !hit(c, 1, cacheT0) {
		t.Fatal("a resumed cache does not serve")
	}
	inFlight := c.Ticket(cacheT0) // a read that started before the outage

	c.Suspend() // the listener dropped
	if c.Serving() || hit(c, 1, cacheT0) {
		t.Error("serves while suspended")
	}
	during := c.Ticket(cacheT0) // a read that started during the outage
	if put(c, cacheRow(2, "u", nil), cacheT0) {
		t.Error("put accepted while suspended")
	}

	c.Resume() // the listener is back: flush, then serve
	if !c.Serving() {
		t.Fatal("not serving after Resume")
	}
	if hit(c, 1, cacheT0) {
		t.Error("an entry from before the outage survived Resume")
	}
	if c.Put(inFlight, cacheHash(3), "u", cacheRow(3, "u", nil)) {
		t.Error("a read from before the outage was cached after Resume")
	}
	if c.Put(during, cacheHash(4), "u", cacheRow(4, "u", nil)) {
		t.Error("a read from during the outage was cached after Resume")
	}
	if !put(c, cacheRow(5, "u", nil), cacheT0) || !hit(c, 5, cacheT0) {
		t.Error("a read after Resume is not cached")
	}
}

// TestCacheHitKeepsSlideDue checks the auto-refresh contract: a hit carries
// the row's last_refreshed_at, so the Engine's slide decision on a cached
// token is the one it would make on the database row.
func TestCacheHitKeepsSlideDue(t *testing.T) {
	s := DefaultSettings()
	s.AutoRefresh, s.AutoRefreshInterval, s.TokenTTL, s.AutoRefreshMaxTTL = true, time.Minute, time.Hour, Never
	exp := cacheT0.Add(time.Hour)
	c := newTestCache(t, 10, 10*time.Minute) // max age longer than the interval
	put(c, cacheRow(1, "u", &exp), cacheT0)
	for _, tt := range []struct {
		at  time.Duration
		due bool
	}{{30 * time.Second, false}, {time.Minute, true}, {5 * time.Minute, true}} {
		now := cacheT0.Add(tt.at)
		v, ok := c.Get(cacheHash(1), now)
		if !ok {
			t.Fatalf("miss at +%s", tt.at)
		}
		if _, _, due := slideTimes(s, v.Record, now); due != tt.due {
			t.Errorf("slide due at +%s on a hit = %v, want %v", tt.at, due, tt.due)
		}
	}
}

func TestCacheApplyKeepsItsOwnIDs(t *testing.T) {
	c := newTestCache(t, 100, time.Hour)
	ticket := c.Ticket(cacheT0)
	ids := []int64{1}
	c.Apply(Invalidation{Scope: InvalidateTokens, IDs: ids})
	ids[0] = 2 // the listener reuses its buffer
	if c.Put(ticket, cacheHash(1), "u", cacheRow(1, "u", nil)) {
		t.Error("a put of row 1 was accepted after row 1 was invalidated")
	}
}

// TestCacheTableChurn puts and invalidates tokens whose hashes crowd into a
// few home slots of one shard's table (and wrap around its end), checking
// after every step that exactly the live tokens are found: removal from a
// probe run must not lose the entries behind it.
func TestCacheTableChurn(t *testing.T) {
	const keys = 60
	c := newTestCache(t, 64, time.Hour) // one shard, a 128-slot table
	hash := func(id int64) []byte {
		h := cacheHash(id)
		homes := []uint64{0, 1, 2, 126, 127}
		binary.LittleEndian.PutUint64(h[8:], homes[id%int64(len(homes))]+128*uint64(id))
		return h
	}
	live := map[int64]bool{}
	rng := rand.New(rand.NewPCG(4, 0))
	for step := range 5000 {
		id := rng.Int64N(keys)
		if rng.IntN(2) == 0 {
			if !c.Put(c.Ticket(cacheT0), hash(id), "u", cacheRow(id, "u", nil)) {
				t.Fatalf("step %d: put %d refused", step, id)
			}
			live[id] = true
		} else {
			c.InvalidateToken(id)
			delete(live, id)
		}
		for k := range int64(keys) {
			if _, ok := c.Get(hash(k), cacheT0); ok != live[k] {
				t.Fatalf("step %d: token %d found = %v, want %v", step, k, ok, live[k])
			}
		}
		if c.Len() != len(live) {
			t.Fatalf("step %d: Len %d, want %d", step, c.Len(), len(live))
		}
	}
}

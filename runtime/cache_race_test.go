package runtime

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// versionDB models the token table for the race tests: every committed
// change of a row bumps its version, and revoked rows are never cached.
type versionDB struct {
	mu   sync.Mutex
	seq  uint64 // commit sequence
	rows map[int64]*versionRow
}

type versionRow struct {
	user    string
	version int
	revoked bool
}

func newVersionDB(rows, users int) *versionDB {
	db := &versionDB{rows: map[int64]*versionRow{}}
	for id := range int64(rows) {
		db.rows[id] = &versionRow{user: "u" + strconv.Itoa(int(id)%users), version: 1}
	}
	return db
}

// read returns the row as the store would: a token (revoked or not).
func (db *versionDB) read(id int64) cacheTok {
	db.mu.Lock()
	defer db.mu.Unlock()
	r := db.rows[id]
	v := cacheRow(id, r.user, nil)
	v.Version = r.version
	if r.revoked {
		at := cacheT0
		v.RevokedAt = &at
	}
	return v
}

// change commits one change of the rows ids (revoking or reinstating them)
// and returns the commit sequence and the rows' new versions.
func (db *versionDB) change(ids []int64, revoke bool) (uint64, map[int64]int) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.seq++
	versions := make(map[int64]int, len(ids))
	for _, id := range ids {
		r := db.rows[id]
		r.version++
		r.revoked = revoke
		versions[id] = r.version
	}
	return db.seq, versions
}

// snapshot returns the commit sequence and every row's version.
func (db *versionDB) snapshot() (uint64, map[int64]int) {
	db.mu.Lock()
	defer db.mu.Unlock()
	versions := make(map[int64]int, len(db.rows))
	for id, r := range db.rows {
		versions[id] = r.version
	}
	return db.seq, versions
}

// reader is the Engine's hot path over the cache: Get, or ticket, read and
// put an active row. between runs between the read and the put.
func reader(c *Cache[cacheTok], db *versionDB, id int64, between func()) (cacheTok, bool) {
	if v, ok := c.Get(cacheHash(id), cacheT0); ok {
		return v, true
	}
	ticket := c.Ticket(cacheT0)
	v := db.read(id)
	between()
	if v.RevokedAt == nil {
		c.Put(ticket, cacheHash(id), v.User, v)
	}
	return v, false
}

// TestCacheStalePutRace plays the revoke-vs-read race step by step: a
// request reads a row, the row is revoked (or changed) and the notification
// handled, and only then does the request offer the row it read. The put
// must be refused, and nothing stale served afterwards. The control cases
// show the put is not refused for an unrelated change, and that a
// notification handled after the put removes the entry.
func TestCacheStalePutRace(t *testing.T) {
	tests := []struct {
		name       string
		change     []int64 // rows changed while the read is in flight (row 1 is alice's, row 2 bob's)
		revoke     bool
		payload    string // the notification of that change
		afterPut   bool   // the notification arrives only after the put
		wantCached bool
	}{
		{"revoke row, notified before put", []int64{1}, true, "t:1", false, false},
		{"rotate row, notified before put", []int64{1}, false, "t:1", false, false},
		{"logout all, notified before put", []int64{1}, true, "u:u1", false, false},
		{"cleanup flush, notified before put", []int64{1}, true, "*", false, false},
		{"garbled notification before put", []int64{1}, true, "?", false, false},
		{"revoke row, notified after put", []int64{1}, true, "t:1", true, false},
		{"other row revoked before put", []int64{2}, true, "t:2", false, true},
		{"other user logged out before put", []int64{2}, true, "u:u2", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newVersionDB(4, 4)
			c := newTestCache(t, 100, time.Hour)
			notify := func() {
				db.change(tt.change, tt.revoke)
				_ = c.Notify(tt.payload)
			}
			between := notify
			if tt.afterPut {
				between = func() { db.change(tt.change, tt.revoke) }
			}
			read, _ := reader(c, db, 1, between)
			if tt.afterPut {
				_ = c.Notify(tt.payload)
			}
			got, cached := c.Get(cacheHash(1), cacheT0)
			if cached != tt.wantCached {
				t.Fatalf("row 1 cached = %v, want %v", cached, tt.wantCached)
			}
			if cached && (got.Version != read.Version || db.read(1).Version != got.Version) {
				t.Fatalf("cached version %d, database %d", got.Version, db.read(1).Version)
			}
		})
	}
}

// notice is a committed change's notification in the stress test.
type notice struct {
	seq      uint64
	payload  string
	versions map[int64]int // the changed rows' versions at commit
}

// TestCacheStressNoStaleEntry runs readers, writers and a listener at once
// (run it with -race). Writers commit changes to a versioned table and send
// their notification after the commit, one per change: single rows, lists,
// whole users, flushes and garbled payloads. The listener applies them,
// drops its connection now and then (notifications lost until it is back,
// then Resume), and publishes, per row, the version its handled
// notifications guarantee. Readers check that the cache never serves a
// version older than that: no stale entry survives a handled invalidation.
// At the end every cached entry must equal the database row.
func TestCacheStressNoStaleEntry(t *testing.T) {
	const (
		rows, users = 16, 4
		writers     = 2
		writes      = 1500
		readers     = 4
		reads       = 4000
	)
	db := newVersionDB(rows, users)
	c := newTestCache(t, 12, time.Hour) // smaller than the table: eviction runs too
	var handled [rows]atomic.Int64
	for i := range handled {
		handled[i].Store(1)
	}
	publish := func(versions map[int64]int) {
		for id, v := range versions {
			for {
				cur := handled[id].Load()
				if int64(v) <= cur || handled[id].CompareAndSwap(cur, int64(v)) {
					break
				}
			}
		}
	}

	notices := make(chan notice, 16) // writers keep pace with the listener
	// handledTick is closed and replaced each time the listener has handled
	// a notice; readers sometimes wait for it between their read and their
	// put, so the stale-put interleaving happens often.
	var tickMu sync.Mutex
	handledTick := make(chan struct{})
	tick := func() <-chan struct{} {
		tickMu.Lock()
		defer tickMu.Unlock()
		return handledTick
	}
	writersDone := make(chan struct{})
	var listenerDone sync.WaitGroup
	listenerDone.Add(1)
	go func() { // the listener
		defer listenerDone.Done()
		rng := rand.New(rand.NewPCG(1, 0))
		var lostUpTo uint64 // notifications committed up to this sequence were lost
		down := 0           // notifications still to lose while down
		for n := range notices {
			if down > 0 {
				down--
				if down == 0 { // back: LISTEN is in effect again, then Resume
					seq, versions := db.snapshot()
					lostUpTo = seq
					c.Resume()
					publish(versions)
				}
				continue
			}
			if n.seq <= lostUpTo {
				continue // committed before the reconnect: lost
			}
			if err := c.Notify(n.payload); err != nil && n.payload[0] != '?' {
				t.Errorf("notification %q: %v", n.payload, err)
			}
			publish(n.versions)
			tickMu.Lock()
			close(handledTick)
			handledTick = make(chan struct{})
			tickMu.Unlock()
			if rng.IntN(200) == 0 {
				c.Suspend()
				down = 1 + rng.IntN(20)
			}
		}
		if down > 0 {
			c.Resume()
		}
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(2, uint64(w)))
			for range writes {
				var ids []int64
				var payload string
				switch k := rng.IntN(100); {
				case k < 60: // one row
					id := rng.Int64N(rows)
					ids, payload = []int64{id}, "t:"+strconv.FormatInt(id, 10)
				case k < 80: // a few rows
					inv := Invalidation{Scope: InvalidateTokens}
					for range 1 + rng.IntN(4) {
						inv.IDs = append(inv.IDs, rng.Int64N(rows))
					}
					ids, payload = inv.IDs, inv.String()
				case k < 95: // all rows of one user
					u := rng.IntN(users)
					for id := int64(u); id < rows; id += users {
						ids = append(ids, id)
					}
					payload = "u:u" + strconv.Itoa(u)
				case k < 98: // a bulk change: flush
					for range 10 {
						ids = append(ids, rng.Int64N(rows))
					}
					payload = "*"
				default: // garbled
					ids, payload = []int64{rng.Int64N(rows)}, "?garbled"
				}
				seq, versions := db.change(ids, rng.IntN(2) == 0)
				notices <- notice{seq: seq, payload: payload, versions: versions}
			}
		}()
	}
	var stale atomic.Int64
	var readersDone sync.WaitGroup
	for r := range readers {
		readersDone.Add(1)
		go func() {
			defer readersDone.Done()
			rng := rand.New(rand.NewPCG(3, uint64(r)))
			for range reads {
				id := rng.Int64N(rows)
				floor := handled[id].Load()
				between := runtime.Gosched
				if rng.IntN(4) == 0 {
					between = func() {
						select {
						case <-tick():
						case <-writersDone:
						}
					}
				}
				v, cached := reader(c, db, id, between)
				if !cached { // look again right after our own put
					floor = handled[id].Load()
					v, cached = c.Get(cacheHash(id), cacheT0)
				}
				if cached && v.ID != id {
					t.Errorf("asked for row %d, served row %d", id, v.ID)
				}
				if cached && int64(v.Version) < floor {
					if stale.Add(1) <= 5 {
						t.Errorf("row %d: served version %d after the invalidation of version %d was handled", id, v.Version, floor)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(writersDone)
	close(notices)
	listenerDone.Wait()
	readersDone.Wait()
	if n := stale.Load(); n > 0 {
		t.Errorf("%d stale reads in all", n)
	}
	if !c.Serving() {
		t.Fatal("the listener left the cache suspended")
	}
	for id := range int64(rows) {
		want := db.read(id)
		if got, ok := c.Get(cacheHash(id), cacheT0); ok && (got.Version != want.Version || want.RevokedAt != nil) {
			t.Errorf("row %d: cached version %d, database version %d (revoked %v)", id, got.Version, want.Version, want.RevokedAt != nil)
		}
	}
}

// TestCacheLookup checks Lookup, the form of the hot path the Engine uses:
// a miss reads and caches, a hit does not read, errors and inactive rows are
// not cached, and a change notified while the read is in flight (the hook
// runs inside the read) keeps the row out of the cache.
func TestCacheLookup(t *testing.T) {
	errDown := errors.New("database down")
	tests := []struct {
		name       string
		revoked    bool
		err        error
		duringRead string // notification handled while the read is in flight
		wantCached bool
	}{
		{"active row", false, nil, "", true},
		{"revoked row", true, nil, "", false},
		{"read error", false, errDown, "", false},
		{"row revoked during the read", false, nil, "t:1", false},
		{"user logged out during the read", false, nil, "u:u1", false},
		{"other row revoked during the read", false, nil, "t:2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, 100, time.Hour)
			reads := 0
			read := func(_ context.Context, hash []byte) (cacheTok, error) {
				reads++
				v := cacheRow(1, "u1", nil)
				if tt.revoked {
					v.RevokedAt = &cacheT0
				}
				if tt.duringRead != "" {
					_ = c.Notify(tt.duringRead)
				}
				return v, tt.err
			}
			user := func(v cacheTok) string { return v.User }
			_, cached, err := c.Lookup(context.Background(), cacheHash(1), cacheT0, user, read)
			if cached || !errors.Is(err, tt.err) || reads != 1 {
				t.Fatalf("first Lookup: cached %v, err %v, reads %d", cached, err, reads)
			}
			v, cached, err := c.Lookup(context.Background(), cacheHash(1), cacheT0, user, read)
			if cached != tt.wantCached || !errors.Is(err, tt.err) {
				t.Fatalf("second Lookup: cached %v, err %v; want cached %v", cached, err, tt.wantCached)
			}
			if cached && (reads != 1 || v.ID != 1) {
				t.Errorf("hit read the store (%d reads) or returned row %d", reads, v.ID)
			}
		})
	}
	var off *Cache[cacheTok]
	v, cached, err := off.Lookup(context.Background(), cacheHash(1), cacheT0, func(cacheTok) string { return "" },
		func(context.Context, []byte) (cacheTok, error) { return cacheRow(1, "u", nil), nil })
	if v.ID != 1 || cached || err != nil {
		t.Errorf("Lookup on a disabled cache = %+v, %v, %v", v, cached, err)
	}
}

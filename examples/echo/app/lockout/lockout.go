// Package lockout limits failed attempts per key (a username) across all
// clients: after Limit failures within Window, the key is locked until the
// oldest of them is Window old, whatever the client and whether the next
// attempt would succeed.
//
// Keys are stored as SHA-256 digests, so a long key costs no more memory than
// a short one, and at most MaxKeys keys are tracked: the key whose last
// attempt is oldest is forgotten first. Memory is bounded by MaxKeys keys of
// at most Limit timestamps each.
package lockout

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// Config configures a Limiter.
type Config struct {
	// Limit is the number of failures within Window that locks a key (≥ 1).
	Limit int
	// Window is how long a failure counts (> 0).
	Window time.Duration
	// MaxKeys is the number of keys tracked at once (≥ 1).
	MaxKeys int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Limiter counts failed attempts per key. It is safe for concurrent use.
type Limiter struct {
	cfg Config

	mu    sync.Mutex
	keys  map[[sha256.Size]byte]*list.Element // of *entry
	order *list.List                          // least recently attempted first
}

// entry is the failures of one key within the window, oldest first.
type entry struct {
	key   [sha256.Size]byte
	fails []time.Time
}

// New returns a Limiter, or an error when cfg is invalid.
func New(cfg Config) (*Limiter, error) {
	switch {
	case cfg.Limit < 1:
		return nil, errors.New("lockout: limit must be at least 1")
	case cfg.Window <= 0:
		return nil, errors.New("lockout: window must be positive")
	case cfg.MaxKeys < 1:
		return nil, errors.New("lockout: max keys must be at least 1")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, keys: make(map[[sha256.Size]byte]*list.Element), order: list.New()}, nil
}

// Attempt is an attempt reserved by Acquire. It counts as a failure unless
// Cancel is called.
type Attempt struct {
	l   *Limiter
	key [sha256.Size]byte
	at  time.Time
}

// Acquire reserves an attempt for key. When key has Limit failures within
// the window it reserves nothing and reports false with the time until an
// attempt is allowed again. Otherwise the reserved attempt counts as a
// failure at once, until it is cancelled, so that concurrent attempts never
// exceed the limit.
func (l *Limiter) Acquire(key string) (Attempt, time.Duration, bool) {
	k := sha256.Sum256([]byte(key))
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	el, ok := l.keys[k]
	if !ok {
		if l.order.Len() >= l.cfg.MaxKeys {
			old := l.order.Front()
			l.order.Remove(old)
			delete(l.keys, old.Value.(*entry).key)
		}
		el = l.order.PushBack(&entry{key: k})
		l.keys[k] = el
	}
	e := el.Value.(*entry)
	e.prune(now, l.cfg.Window)
	if n := len(e.fails); n >= l.cfg.Limit {
		return Attempt{}, e.fails[n-l.cfg.Limit].Add(l.cfg.Window).Sub(now), false
	}
	e.fails = append(e.fails, now)
	l.order.MoveToBack(el)
	return Attempt{l: l, key: k, at: now}, 0, true
}

// Cancel withdraws the attempt: it did not fail (e.g. the password was
// right, or could not be checked). Cancelling the zero Attempt, or twice,
// does nothing more.
func (a *Attempt) Cancel() {
	l := a.l
	if l == nil {
		return
	}
	a.l = nil
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[a.key]
	if !ok {
		return
	}
	e := el.Value.(*entry)
	for i := len(e.fails) - 1; i >= 0; i-- {
		if e.fails[i].Equal(a.at) {
			e.fails = append(e.fails[:i], e.fails[i+1:]...)
			break
		}
	}
	if len(e.fails) == 0 {
		l.order.Remove(el)
		delete(l.keys, a.key)
	}
}

// Len returns the number of keys tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// expire forgets the least recently attempted keys whose failures are all
// older than the window.
func (l *Limiter) expire(now time.Time) {
	for el := l.order.Front(); el != nil; el = l.order.Front() {
		e := el.Value.(*entry)
		if n := len(e.fails); n > 0 && now.Sub(e.fails[n-1]) < l.cfg.Window {
			return
		}
		l.order.Remove(el)
		delete(l.keys, e.key)
	}
}

// prune drops the failures older than the window.
func (e *entry) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(e.fails) && now.Sub(e.fails[i]) >= window {
		i++
	}
	if i > 0 {
		e.fails = append(e.fails[:0], e.fails[i:]...)
	}
}

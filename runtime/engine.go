package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Hooks are optional callbacks of an Engine. They must be safe for
// concurrent use.
type Hooks[T any] struct {
	// OnRevoke runs after every revocation that touched at least one row.
	OnRevoke func(ctx context.Context, ev RevokeEvent)
	// OnReuseDetected runs when a rotated refresh token is replayed after
	// the grace window; the session has already been revoked.
	OnReuseDetected func(ctx context.Context, tok T)
}

// RevokeEvent describes a revocation.
type RevokeEvent struct {
	Scope   Scope
	TokenID int64 // the target row for ScopeToken, ScopeSession and ScopeUserOthers (the kept one)
	Reason  string
	Soft    bool  // revoked_at set (KeepExpiredTokens) rather than deleted
	Count   int64 // rows touched
}

// AuthHooks run during Authenticate, after the token was found active.
// Either may replace the token or refuse it with an error, which becomes an
// *AuthError with ReasonRejected (unless it already is an *AuthError).
type AuthHooks[T any] struct {
	PostAutoRefresh func(ctx context.Context, tok T) (T, error) // only when an auto-refresh happened
	PostAuth        func(ctx context.Context, tok T) (T, error) // on every success
}

// Config configures an Engine.
type Config[T any] struct {
	Prefix   string
	Settings Settings
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now   func() time.Time
	Hooks Hooks[T]
	// UserKey returns the cache key of a token's user: CacheUserKey of its
	// user id. Required when Settings.CacheSize is positive.
	UserKey func(T) string
	// LookupConcurrency is how many reads by access hash may run at once
	// before further ones queue and share a statement
	// (Settings.LookupBatchSize), when the store is a BatchReader: the
	// number of database connections lookups may take. 0 turns batching
	// off. The generated Service sets the MaxConns of its *pgxpool.Pool.
	LookupConcurrency int
}

// Issued is the result of issuing or refreshing a token: the raw tokens,
// shown to the client once, and the stored token.
type Issued[T any] struct {
	AccessToken  Secret
	RefreshToken Secret // zero when refresh tokens are disabled
	Token        T
}

// Engine runs every token flow over a Store. It is safe for concurrent use.
type Engine[T Recorded, U any, P any] struct {
	store  Store[T, U, P]
	tokens *Tokens
	s      Settings
	now    func() time.Time
	hooks  Hooks[T]
	// cache holds verified tokens when CacheSize > 0 (nil: off); userKey
	// files them under their user.
	cache   *Cache[T]
	userKey func(T) string
	// lookup reads a row by access hash: the store's ByAccessHash, or a
	// lookupBatcher over it.
	lookup func(ctx context.Context, hash []byte) (T, error)
}

// NewEngine validates cfg and returns an Engine over store.
func NewEngine[T Recorded, U any, P any](store Store[T, U, P], cfg Config[T]) (*Engine[T, U, P], error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, err
	}
	tokens, err := NewTokens(cfg.Prefix, cfg.Settings)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	cache, err := NewCache[T](cfg.Settings.CacheSize, cfg.Settings.CacheMaxAge)
	if err != nil {
		return nil, err
	}
	if cache != nil && cfg.UserKey == nil {
		return nil, errors.New("authentify: NewEngine: cache_size is set but Config.UserKey is nil")
	}
	lookup := store.ByAccessHash
	if br, ok := store.(BatchReader[T]); ok {
		if b := newLookupBatcher(store.ByAccessHash, br.ByAccessHashes, cfg.LookupConcurrency, cfg.Settings.LookupBatchSize); b != nil {
			lookup = b.get
		}
	}
	return &Engine[T, U, P]{
		store: store, tokens: tokens, s: cfg.Settings.Clone(), now: now, hooks: cfg.Hooks,
		cache: cache, userKey: cfg.UserKey, lookup: lookup,
	}, nil
}

// Cache returns the engine's token cache: nil (a valid, disabled cache)
// when cache_size is 0. The generated listener feeds it notifications
// ([Cache.Notify], [Cache.Suspend], [Cache.Resume]); a generated write
// that bypasses the Engine (UpdateColumns) calls [Cache.InvalidateToken]
// when it returns.
func (e *Engine[T, U, P]) Cache() *Cache[T] { return e.cache }

// Settings returns a copy of the engine's settings.
func (e *Engine[T, U, P]) Settings() Settings { return e.s.Clone() }

// Now returns the engine's clock reading, in UTC at PostgreSQL's
// microsecond precision.
func (e *Engine[T, U, P]) Now() time.Time { return e.now().UTC().Truncate(time.Microsecond) }

// Extract returns the credentials of r under the engine's settings (header
// prefixes, cookie names); see the package-level Extract.
func (e *Engine[T, U, P]) Extract(r *http.Request) ([]Credential, error) {
	return Extract(r, &e.s)
}

// Tokens returns the token minter/parser of the engine.
func (e *Engine[T, U, P]) Tokens() *Tokens { return e.tokens }

// Issue mints a new session for userID over transport t. Under
// EnforceSingleLogin the user's other sessions are revoked in the same
// transaction, serialized per user.
func (e *Engine[T, U, P]) Issue(ctx context.Context, userID U, t Transport, payload P, o IssueOptions) (Issued[T], error) {
	var zero Issued[T]
	if !t.Valid() {
		return zero, fmt.Errorf("authentify: issue: invalid transport %q", t)
	}
	now := e.Now()
	exp, until, own, err := windowTimes(e.s, Record{}, now, now, o)
	if err != nil {
		return zero, err
	}
	access, accessHash, err := e.tokens.Mint(KindAccess)
	if err != nil {
		return zero, err
	}
	in := Insert[U, P]{
		UserID: userID, Transport: t, AccessHash: accessHash,
		CreatedAt: now, ExpiresAt: exp, RefreshUntil: until, AccessTTL: own.AccessTTL, RefreshTTL: own.RefreshTTL, Payload: payload,
	}
	var refresh Secret
	if until != nil {
		if refresh, in.RefreshHash, err = e.tokens.Mint(KindRefresh); err != nil {
			return zero, err
		}
	}
	switch {
	case e.s.EnforceSingleLogin:
		in.SingleLogin = &Revocation{At: now, Reason: RevokedSingleLogin, Soft: e.s.KeepExpiredTokens}
	case e.s.MaxSessionsPerUser > 0:
		in.SessionCap = &SessionCap{
			Keep:       int32(min(e.s.MaxSessionsPerUser-1, 1<<31-1)),
			Revocation: Revocation{At: now, Reason: RevokedSessionLimit, Soft: e.s.KeepExpiredTokens},
		}
	}
	type inserted struct {
		tok     T
		revoked int64
	}
	res, err := RetryWrite(ctx, func() (inserted, error) {
		tok, n, err := e.store.Insert(ctx, in)
		return inserted{tok, n}, err
	})
	tok, revoked := res.tok, res.revoked
	if in.SingleLogin != nil || in.SessionCap != nil {
		// Even on error: the transaction may have committed.
		e.cache.InvalidateUser(CacheUserKey(userID))
	}
	if err != nil {
		return zero, fmt.Errorf("authentify: issue token: %w", err)
	}
	switch {
	case in.SingleLogin != nil:
		e.notifyRevoke(ctx, RevokeEvent{Scope: ScopeUserOthers, TokenID: tok.record().ID, Reason: RevokedSingleLogin, Soft: in.SingleLogin.Soft, Count: revoked})
	case in.SessionCap != nil:
		e.notifyRevoke(ctx, RevokeEvent{Scope: ScopeSessionLimit, TokenID: tok.record().ID, Reason: RevokedSessionLimit, Soft: in.SessionCap.Revocation.Soft, Count: revoked})
	}
	return Issued[T]{AccessToken: access, RefreshToken: refresh, Token: tok}, nil
}

// Verify returns the active token for raw presented over t (AnyTransport
// skips the transport check). It never writes and runs no hooks.
func (e *Engine[T, U, P]) Verify(ctx context.Context, raw string, t Transport) (T, error) {
	var zero T
	if err := e.tokens.Parse(raw, KindAccess); err != nil {
		return zero, err
	}
	hash := e.tokens.Hash(raw)
	// Through the cache: a hit skips the read; a miss takes its ticket
	// before the read, so a revocation handled meanwhile refuses the put.
	tok, err := RetryRead(ctx, func() (T, error) {
		v, _, err := e.cache.Lookup(ctx, hash, e.Now(), e.userKey, e.lookup)
		return v, err
	})
	if errors.Is(err, ErrNotFound) {
		return zero, refused(ReasonInvalid)
	}
	if err != nil {
		return zero, err
	}
	rec := tok.record()
	if r := rec.State(e.Now()); r != "" {
		return zero, refused(r)
	}
	if t != AnyTransport && e.s.EnableAuthRestriction && rec.Transport != t {
		return zero, refused(ReasonWrongTransport)
	}
	return tok, nil
}

// Authenticate verifies raw presented over t, slides its expiry when an
// auto-refresh is due, and runs the hooks. A row revoked or deleted
// concurrently never authenticates and never causes an internal error.
func (e *Engine[T, U, P]) Authenticate(ctx context.Context, raw string, t Transport, h AuthHooks[T]) (T, error) {
	tok, _, err := e.authenticate(ctx, raw, t, h)
	return tok, err
}

// authenticate is Authenticate that also returns the ID of the token whose
// expiry an auto-refresh slid, even when a hook then refused it, or -1.
func (e *Engine[T, U, P]) authenticate(ctx context.Context, raw string, t Transport, h AuthHooks[T]) (T, int64, error) {
	var zero T
	slidID := int64(-1)
	tok, err := e.Verify(ctx, raw, t)
	if err != nil {
		return zero, slidID, err
	}
	refreshed := false
	// Two attempts: if the conditional UPDATE loses a race (another request
	// slid the row, or it was revoked), re-read and decide again. The
	// decision is made on the row whether it came from the cache or not
	// (the cached row carries last_refreshed_at), so a hit never hides a
	// due slide; the UPDATE matches last_refreshed_at, so instances racing
	// on one token write at most once per interval.
	for attempt := 0; attempt < 2; attempt++ {
		rec := tok.record()
		now := e.Now()
		exp, until, due := slideTimes(e.s, rec, now)
		if !due {
			break
		}
		// Idempotent: once applied, a repeat finds LastRefreshedAt changed.
		sl := Slide{
			ID: rec.ID, AccessHash: e.tokens.Hash(raw), SeenRefreshedAt: rec.LastRefreshedAt,
			Now: now, ExpiresAt: exp, RefreshUntil: until,
		}
		slid, err := RetryRead(ctx, func() (T, error) { return e.store.Slide(ctx, sl) })
		// The row changed (we slid it, or someone else did, or it is gone):
		// forget it locally, so the re-read below and the next request go
		// to the database.
		e.cache.InvalidateToken(rec.ID)
		if err == nil {
			tok, refreshed = slid, true
			break
		}
		if !errors.Is(err, ErrNotFound) {
			return zero, slidID, err
		}
		if tok, err = e.Verify(ctx, raw, t); err != nil {
			return zero, slidID, err
		}
	}
	if refreshed {
		slidID = tok.record().ID
	}
	if refreshed && h.PostAutoRefresh != nil {
		if tok, err = runHook(ctx, h.PostAutoRefresh, tok); err != nil {
			return zero, slidID, err
		}
	}
	if h.PostAuth != nil {
		if tok, err = runHook(ctx, h.PostAuth, tok); err != nil {
			return zero, slidID, err
		}
	}
	return tok, slidID, nil
}

func runHook[T any](ctx context.Context, hook func(context.Context, T) (T, error), tok T) (T, error) {
	out, err := hook(ctx, tok)
	if err == nil {
		return out, nil
	}
	var ae *AuthError
	if errors.As(err, &ae) || errors.Is(err, ErrUnavailable) {
		return out, err
	}
	return out, &AuthError{Reason: ReasonRejected, Err: err}
}

// AuthenticateAny tries each credential in order and returns the first that
// authenticates. When none does, the error is that of the first credential
// (a refused header is more telling than a stale cookie); a store outage
// wins over any refusal. No credentials is ReasonMissing.
func (e *Engine[T, U, P]) AuthenticateAny(ctx context.Context, creds []Credential, h AuthHooks[T]) (T, Credential, error) {
	tok, c, _, err := e.authenticateAny(ctx, creds, h)
	return tok, c, err
}

// authenticateAny is AuthenticateAny that also returns the ID of the last
// token whose expiry an auto-refresh slid during the call, or -1.
func (e *Engine[T, U, P]) authenticateAny(ctx context.Context, creds []Credential, h AuthHooks[T]) (T, Credential, int64, error) {
	var zero T
	slidID := int64(-1)
	if len(creds) == 0 {
		return zero, Credential{}, slidID, refused(ReasonMissing)
	}
	var first error
	for _, c := range creds {
		tok, id, err := e.authenticate(ctx, c.Raw, c.Transport, h)
		if id != -1 {
			slidID = id
		}
		if err == nil {
			return tok, c, slidID, nil
		}
		if errors.Is(err, ErrUnavailable) {
			return zero, c, slidID, err
		}
		if first == nil {
			first = err
		}
	}
	return zero, Credential{}, slidID, first
}

// authenticateRequest is AuthenticateRequest for an Engine: the same steps
// with direct calls, so that the credentials and the hooks stay on the
// stack (AuthenticateRequest's calls through Authenticator allocate them).
func (e *Engine[T, U, P]) authenticateRequest(r *http.Request, csrf *http.CrossOriginProtection, hooks RequestHooks[T]) (T, Credential, bool, error) {
	var buf [2]Credential
	creds, err := extractInto(buf[:0], r, &e.s)
	if err == nil {
		creds, err = DropCrossOriginCookies(r, creds, csrf)
	}
	if err != nil {
		var zero T
		return zero, Credential{}, false, err
	}
	tok, cred, slidID, err := e.authenticateAny(r.Context(), creds, hooks.onRequest(r))
	return tok, cred, err == nil && slidID == tok.record().ID, err
}

// Refresh redeems a refresh token: it rotates both tokens inside the same
// row (session id, context and created_at kept) with one conditional UPDATE,
// so exactly one concurrent caller wins. A caller that lost the race inside
// the grace window receives the same new pair when a SecretKey is set, and
// a ReasonRefreshRace refusal otherwise; a replay after the window revokes
// the whole session (ReasonRefreshReused) and runs OnReuseDetected.
func (e *Engine[T, U, P]) Refresh(ctx context.Context, raw string, o IssueOptions) (Issued[T], error) {
	return e.RefreshOver(ctx, raw, AnyTransport, o)
}

// RefreshOver is Refresh for a refresh token that arrived over transport t
// (TransportHeader: in a request body, the header flow; TransportCookie: in
// the refresh cookie). Under EnableAuthRestriction a session's refresh token
// is redeemed only over the session's own transport: otherwise it is refused
// with ReasonWrongTransport (401) and nothing changes. AnyTransport skips
// the check, as Refresh does.
func (e *Engine[T, U, P]) RefreshOver(ctx context.Context, raw string, t Transport, o IssueOptions) (Issued[T], error) {
	var zero Issued[T]
	if err := e.tokens.Parse(raw, KindRefresh); err != nil {
		return zero, err
	}
	oldHash := e.tokens.Hash(raw)
	tok, err := RetryRead(ctx, func() (T, error) { return e.store.ByRefreshHash(ctx, oldHash) })
	switch {
	case err == nil:
		if !e.transportOK(tok.record(), t) {
			return zero, refused(ReasonWrongTransport)
		}
		issued, err := e.rotate(ctx, tok, raw, oldHash, o)
		if !errors.Is(err, ErrNotFound) {
			return issued, err
		}
		// Someone rotated the row between our read and our update.
	case !errors.Is(err, ErrNotFound):
		return zero, err
	}
	return e.replay(ctx, raw, oldHash, t)
}

// transportOK reports whether a credential of the session rec presented over
// t passes the transport restriction.
func (e *Engine[T, U, P]) transportOK(rec Record, t Transport) bool {
	return t == AnyTransport || !e.s.EnableAuthRestriction || rec.Transport == t
}

func (e *Engine[T, U, P]) successor(raw string, salt []byte, k Kind) (Secret, []byte, error) {
	if s, h, ok := e.tokens.Successor(raw, salt, k); ok {
		return s, h, nil
	}
	return e.tokens.Mint(k)
}

func (e *Engine[T, U, P]) rotate(ctx context.Context, tok T, raw string, oldHash []byte, o IssueOptions) (Issued[T], error) {
	var zero Issued[T]
	rec := tok.record()
	now := e.Now()
	if r := rec.refreshState(now); r != "" {
		return zero, refused(r)
	}
	exp, until, own, err := windowTimes(e.s, rec, rec.CreatedAt, now, o)
	if err != nil {
		return zero, err
	}
	// A fresh salt per rotation: the secret key and this refresh token are
	// not enough to derive the successors; racers read it from the row.
	var salt []byte
	if e.tokens.HasSecretKey() {
		if salt, err = NewSalt(); err != nil {
			return zero, err
		}
	}
	access, accessHash, err := e.successor(raw, salt, KindAccess)
	if err != nil {
		return zero, err
	}
	rot := Rotation{
		ID: rec.ID, OldRefreshHash: oldHash, AccessHash: accessHash, Now: now, ExpiresAt: exp, RefreshUntil: until,
		AccessTTL: own.AccessTTL, RefreshTTL: own.RefreshTTL, Salt: salt,
	}
	var refresh Secret
	if until != nil {
		if refresh, rot.RefreshHash, err = e.successor(raw, salt, KindRefresh); err != nil {
			return zero, err
		}
	}
	rotated, err := RetryWrite(ctx, func() (T, error) { return e.store.Rotate(ctx, rot) }) // ErrNotFound: lost the race
	e.cache.InvalidateToken(rec.ID)
	if err != nil {
		return zero, err
	}
	return Issued[T]{AccessToken: access, RefreshToken: refresh, Token: rotated}, nil
}

// replay handles a refresh token that is no longer current: the previous
// token of a session inside the grace window is a race; it or any older
// retired token (the last 32 generations) after that is theft.
func (e *Engine[T, U, P]) replay(ctx context.Context, raw string, oldHash []byte, t Transport) (Issued[T], error) {
	var zero Issued[T]
	tok, err := RetryRead(ctx, func() (T, error) { return e.store.ByPrevRefreshHash(ctx, oldHash) })
	latest := err == nil
	if errors.Is(err, ErrNotFound) {
		// Older than the previous token: never a benign race.
		tok, err = RetryRead(ctx, func() (T, error) { return e.store.ByRetiredRefreshHash(ctx, oldHash) })
	}
	if errors.Is(err, ErrNotFound) {
		return zero, refused(ReasonInvalid)
	}
	if err != nil {
		return zero, err
	}
	rec := tok.record()
	if rec.RevokedAt != nil {
		return zero, refused(ReasonRevoked)
	}
	now := e.Now()
	if latest && inGrace(e.s, rec.RotatedAt, now) {
		if !e.transportOK(rec, t) {
			return zero, refused(ReasonWrongTransport)
		}
		return e.rejoin(ctx, raw, oldHash, rec.ID)
	}
	n, err := RetryWrite(ctx, func() (int64, error) {
		return e.store.Revoke(ctx, Target[U]{Scope: ScopeToken, ID: rec.ID},
			Revocation{At: now, Reason: RevokedRefreshReuse, Soft: e.s.KeepExpiredTokens})
	})
	e.cache.InvalidateToken(rec.ID)
	if err != nil {
		return zero, err
	}
	e.notifyRevoke(ctx, RevokeEvent{Scope: ScopeToken, TokenID: rec.ID, Reason: RevokedRefreshReuse, Soft: e.s.KeepExpiredTokens, Count: n})
	if e.hooks.OnReuseDetected != nil {
		e.hooks.OnReuseDetected(ctx, tok)
	}
	return zero, refused(ReasonRefreshReused)
}

// rejoin answers a caller that lost a refresh race inside the grace window.
// With a SecretKey the winner's successors were derived from the same
// presented token, so the loser can be handed the very same pair, after
// checking that the row really holds it. Without a key it cannot.
func (e *Engine[T, U, P]) rejoin(ctx context.Context, raw string, oldHash []byte, id int64) (Issued[T], error) {
	var zero Issued[T]
	if !e.tokens.HasSecretKey() {
		return zero, refused(ReasonRefreshRace)
	}
	salt, err := RetryRead(ctx, func() ([]byte, error) { return e.store.RotationSalt(ctx, id, oldHash) })
	if errors.Is(err, ErrNotFound) {
		return zero, refused(ReasonRefreshRace) // rotated again meanwhile
	}
	if err != nil {
		return zero, err
	}
	access, accessHash, _ := e.tokens.Successor(raw, salt, KindAccess)
	cur, err := RetryRead(ctx, func() (T, error) { return e.store.ByAccessHash(ctx, accessHash) })
	if errors.Is(err, ErrNotFound) {
		return zero, refused(ReasonRefreshRace)
	}
	if err != nil {
		return zero, err
	}
	rec := cur.record()
	if rec.ID != id || rec.RevokedAt != nil {
		return zero, refused(ReasonRefreshRace)
	}
	issued := Issued[T]{AccessToken: access, Token: cur}
	if rec.RefreshUntil != nil {
		issued.RefreshToken, _, _ = e.tokens.Successor(raw, salt, KindRefresh)
	}
	return issued, nil
}

// Revoke revokes the rows selected by target with reason: soft (revoked_at
// and revoke_reason set) when KeepExpiredTokens, else deleted — the same
// rule on every path. ScopeExpired runs in batches until done. It returns
// the number of rows touched; ScopeToken and ScopeSession return ErrNotFound
// when nothing matched.
func (e *Engine[T, U, P]) Revoke(ctx context.Context, target Target[U], reason string) (int64, error) {
	rv := Revocation{At: e.Now(), Reason: reason, Soft: e.s.KeepExpiredTokens, Limit: revokeBatch}
	total, err := e.revokeBatches(ctx, target, rv)
	e.invalidate(target)
	if err != nil {
		return total, err
	}
	if total > 0 {
		e.notifyRevoke(ctx, RevokeEvent{Scope: target.Scope, TokenID: target.ID, Reason: reason, Soft: rv.Soft, Count: total})
	}
	if total == 0 && (target.Scope == ScopeToken || target.Scope == ScopeSession) {
		return 0, ErrNotFound
	}
	return total, nil
}

// Purge deletes, in batches, every row revoked before `before` or whose
// session was over before it, whatever KeepExpiredTokens says: the
// retention job for the audit rows that soft revocation keeps. It runs no
// hooks and returns the number of rows deleted.
func (e *Engine[T, U, P]) Purge(ctx context.Context, before time.Time) (int64, error) {
	rv := Revocation{At: before.UTC().Truncate(time.Microsecond), Limit: revokeBatch}
	return e.revokeBatches(ctx, Target[U]{Scope: ScopePurge}, rv)
}

// invalidate forgets, in the engine's own cache, the entries a revocation
// of target may have ended, whatever the store answered (a failed
// statement may have committed). Other instances learn it from the
// trigger's notification. ScopeExpired and ScopePurge end only rows the
// cache can no longer serve (expired or already revoked).
func (e *Engine[T, U, P]) invalidate(target Target[U]) {
	switch target.Scope {
	case ScopeToken, ScopeSession:
		e.cache.InvalidateToken(target.ID)
	case ScopeUser, ScopeUserOthers, ScopeUserExpired:
		e.cache.InvalidateUser(CacheUserKey(target.UserID))
	}
}

// revokeBatches applies rv to target, repeating the statement while the
// cleanup scopes (ScopeExpired, ScopePurge) still fill whole batches.
func (e *Engine[T, U, P]) revokeBatches(ctx context.Context, target Target[U], rv Revocation) (int64, error) {
	batched := target.Scope == ScopeExpired || target.Scope == ScopePurge
	var total int64
	for {
		n, err := RetryWrite(ctx, func() (int64, error) { return e.store.Revoke(ctx, target, rv) })
		total += n
		if err != nil || !batched || n < int64(rv.Limit) {
			return total, err
		}
	}
}

// revokeBatch is the number of rows one cleanup statement touches.
const revokeBatch = 1000

func (e *Engine[T, U, P]) notifyRevoke(ctx context.Context, ev RevokeEvent) {
	if e.hooks.OnRevoke != nil && ev.Count > 0 {
		e.hooks.OnRevoke(ctx, ev)
	}
}

// Sessions lists the user's live sessions, newest first: at most limit of
// them (0: all) after the cursor (zero: from the newest). next is the
// cursor of the following page, zero when there is none.
func (e *Engine[T, U, P]) Sessions(ctx context.Context, userID U, limit int, after SessionCursor) (page []T, next SessionCursor, err error) {
	if limit < 0 {
		return nil, SessionCursor{}, fmt.Errorf("authentify: list sessions: negative limit %d", limit)
	}
	p := SessionPage{After: after}
	if limit > 0 {
		p.Limit = int32(min(limit, 1<<31-2)) + 1 // one more tells whether a next page exists
	}
	now := e.Now()
	toks, err := RetryRead(ctx, func() ([]T, error) { return e.store.Sessions(ctx, userID, now, p) })
	if err != nil {
		return nil, SessionCursor{}, err
	}
	if limit > 0 && len(toks) > limit {
		toks = toks[:limit]
		next = CursorOf(toks[limit-1].record())
	}
	return toks, next, nil
}

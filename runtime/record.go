package runtime

import (
	"context"
	"time"
)

// Record is the lifecycle part of a stored token row: everything the
// algorithms in this package need, and nothing secret (no hashes). Generated
// Token types embed it, so tok.ID, tok.ExpiresAt… are promoted.
type Record struct {
	ID              int64      `json:"id"`
	Transport       Transport  `json:"auth_type"`
	CreatedAt       time.Time  `json:"created_at"`
	LastRefreshedAt time.Time  `json:"last_refreshed_at"`
	ExpiresAt       *time.Time `json:"expires_at"`    // nil: never expires
	RefreshUntil    *time.Time `json:"refresh_until"` // nil: no refresh token
	RotatedAt       *time.Time `json:"rotated_at,omitempty"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	RevokeReason    string     `json:"revoke_reason,omitempty"`
	// AccessTTL and RefreshTTL are the session's own lifetimes (Never
	// allowed), set by per-call overrides (WithAccessTTL, WithRefreshTTL)
	// when it was issued or refreshed and used for every later slide and
	// refresh. 0: none set (or a row from before they were stored): the
	// settings apply, including after they change.
	AccessTTL  time.Duration `json:"-"`
	RefreshTTL time.Duration `json:"-"`
}

// record lets the Engine read the Record of a generated Token type that
// embeds Record; it cannot be implemented any other way.
func (r Record) record() Record { return r }

// Recorded is satisfied by every type that embeds Record.
type Recorded interface{ record() Record }

// RevokeReason values written to the revoke_reason column.
const (
	RevokedLogout       = "logout"        // RevokeToken / RevokeSession
	RevokedLogoutAll    = "logout_all"    // RevokeAllUserTokens / RevokeOtherSessions
	RevokedSingleLogin  = "single_login"  // a new login under EnforceSingleLogin
	RevokedExpired      = "expired"       // RevokeAllExpiredUserTokens / RevokeExpiredTokens
	RevokedRefreshReuse = "refresh_reuse" // a rotated refresh token was replayed
	RevokedSessionLimit = "session_limit" // a login beyond MaxSessionsPerUser revoked the oldest sessions
)

// Insert is a new row for Store.Insert. P carries the generated payload
// (user id, context, custom columns).
type Insert[U any, P any] struct {
	UserID       U
	Transport    Transport
	AccessHash   []byte
	RefreshHash  []byte // nil: no refresh token
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	RefreshUntil *time.Time
	// AccessTTL and RefreshTTL are the session's own lifetimes, stored
	// with it (see Record); 0 is stored as NULL.
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Payload    P
	// SingleLogin, when non-nil, asks the store to serialize on the user
	// (per-user advisory lock) and apply this revocation to the user's other
	// rows in the same transaction before inserting.
	SingleLogin *Revocation
	// SessionCap, when non-nil (and SingleLogin is nil), asks the store to
	// serialize on the user with the same lock and apply its Revocation to
	// the user's live sessions beyond the newest Keep (by created_at, then
	// id), in the same transaction before inserting, so that concurrent
	// logins never leave more than Keep+1 live sessions.
	SessionCap *SessionCap
}

// SessionCap limits a user's live sessions at login (MaxSessionsPerUser).
type SessionCap struct {
	Keep       int32 // live sessions kept besides the new one
	Revocation Revocation
}

// Slide is a conditional auto-refresh UPDATE. The store must apply it only
// if the row still has ID, AccessHash and LastRefreshedAt == SeenRefreshedAt,
// is not revoked and has not expired at Now; otherwise ErrNotFound.
type Slide struct {
	ID              int64
	AccessHash      []byte
	SeenRefreshedAt time.Time
	Now             time.Time
	ExpiresAt       *time.Time
	RefreshUntil    *time.Time
}

// Rotation is a conditional refresh UPDATE. The store must apply it only if
// the row ID still has refresh_hash == OldRefreshHash, is not revoked and
// refresh_until > Now; it moves the previous prev_refresh_hash into the
// retired history, sets prev_refresh_hash = OldRefreshHash,
// rotated_at = last_refreshed_at = Now, the new hashes, expiries and TTLs,
// and the rotation's Salt (nil without a secret key); otherwise ErrNotFound.
type Rotation struct {
	ID             int64
	OldRefreshHash []byte
	AccessHash     []byte
	RefreshHash    []byte
	Now            time.Time
	ExpiresAt      *time.Time
	RefreshUntil   *time.Time
	AccessTTL      time.Duration
	RefreshTTL     time.Duration
	Salt           []byte
}

// SessionPage selects a page of a user's live sessions, newest first.
type SessionPage struct {
	// Limit is the most sessions returned; 0 means all.
	Limit int32
	// After, unless zero, starts the page after this position.
	After SessionCursor
}

// Scope selects the rows a revocation applies to.
type Scope int

// The revocation scopes.
const (
	ScopeToken       Scope = iota // the row Target.ID
	ScopeSession                  // the row Target.ID, only if it belongs to Target.UserID
	ScopeUser                     // every row of Target.UserID
	ScopeUserOthers               // every row of Target.UserID except Target.ID; ErrNotFound, touching nothing, unless Target.ID is the user's
	ScopeUserExpired              // every expired row of Target.UserID
	ScopeExpired                  // up to Revocation.Limit expired rows of any user
	ScopePurge                    // up to Revocation.Limit rows revoked or over before Revocation.At; always deleted
	// ScopeSessionLimit appears only in RevokeEvents: the user's oldest
	// live sessions revoked at login by MaxSessionsPerUser (TokenID is
	// the new session).
	ScopeSessionLimit
)

// Target says which rows to revoke.
type Target[U any] struct {
	Scope  Scope
	ID     int64
	UserID U
}

// Revocation says how to revoke: soft (set revoked_at = At and
// revoke_reason = Reason on rows not yet revoked) or hard (delete them).
// "Expired" scopes select rows whose session is over at At: the access token
// has expired and there is no live refresh window.
type Revocation struct {
	At     time.Time
	Reason string
	Soft   bool
	Limit  int32 // ScopeExpired only: the batch size
}

// Store is the atomic SQL behind an Engine. Generated packages implement it
// with sqlc queries; every method is one statement (Insert with SingleLogin:
// one transaction). Methods return ErrNotFound when no row matched, wrap
// connection failures (the database is unreachable or shutting down) with
// Unavailable, and return other errors (a constraint violation, a bug) as
// they are.
type Store[T Recorded, U any, P any] interface {
	// Insert returns the new row and the number of rows revoked by SingleLogin.
	Insert(ctx context.Context, in Insert[U, P]) (T, int64, error)
	ByAccessHash(ctx context.Context, hash []byte) (T, error)
	ByRefreshHash(ctx context.Context, hash []byte) (T, error)
	// ByPrevRefreshHash finds the row whose previous refresh token has hash.
	ByPrevRefreshHash(ctx context.Context, hash []byte) (T, error)
	// ByRetiredRefreshHash finds the row that retired a refresh token with
	// hash more than one rotation ago (a bounded history).
	ByRetiredRefreshHash(ctx context.Context, hash []byte) (T, error)
	// RotationSalt returns the salt of the rotation of row id that retired
	// the refresh token with hash prevHash (its prev_refresh_hash), nil if
	// that rotation had none; ErrNotFound if prevHash is not the row's
	// previous refresh token.
	RotationSalt(ctx context.Context, id int64, prevHash []byte) ([]byte, error)
	Slide(ctx context.Context, s Slide) (T, error)
	Rotate(ctx context.Context, r Rotation) (T, error)
	Revoke(ctx context.Context, t Target[U], r Revocation) (int64, error)
	// Sessions lists the user's live sessions at now (not revoked, access
	// token or refresh window still valid), newest first (created_at, then
	// id, descending), the page p of them.
	Sessions(ctx context.Context, userID U, now time.Time, p SessionPage) ([]T, error)
}

// StoredTTL converts a stored TTL column (nanoseconds, -1 for Never, NULL
// for none) to a Record TTL (0 for NULL).
func StoredTTL(ns *int64) time.Duration {
	if ns == nil {
		return 0
	}
	return time.Duration(*ns)
}

// TTLColumn converts a session TTL to its column value: nil (NULL) for 0.
func TTLColumn(d time.Duration) *int64 {
	if d == 0 {
		return nil
	}
	n := int64(d)
	return &n
}

package runtime

import (
	"slices"
	"time"
)

// Never, used as a TTL, means "no limit": an access token that never
// expires (TokenTTL), no refresh tokens at all (RefreshTokenTTL), or sessions
// without an absolute lifetime (AutoRefreshMaxTTL). It is written `none` in
// authentify.yaml and in AUTHENTIFY_* environment variables. A zero TTL is
// invalid, so a forgotten field can never silently mean "forever".
const Never time.Duration = -1

// Settings are the knobs of a generated Service. Their defaults come from
// authentify.yaml; each can be overridden at run time. Field comments give the
// snake_case key used in authentify.yaml and in AUTHENTIFY_<KEY> variables.
// Every field has a row in SettingsTable, which says how it is written.
type Settings struct {
	// TokenTTL (token_ttl) is the lifetime of an access token, or Never.
	TokenTTL time.Duration
	// RefreshTokenTTL (refresh_token_ttl) is the lifetime of the refresh
	// window, or Never to issue no refresh tokens. It must exceed TokenTTL;
	// it does not apply when TokenTTL is Never (no refresh tokens then).
	RefreshTokenTTL time.Duration
	// AutoRefresh (auto_refresh) slides the access token's expiry while it is
	// used, at most once per AutoRefreshInterval, capped at the session's
	// absolute lifetime (AutoRefreshMaxTTL after its creation).
	AutoRefresh bool
	// AutoRefreshInterval (auto_refresh_interval) throttles auto-refresh;
	// 0 slides on every request.
	AutoRefreshInterval time.Duration
	// AutoRefreshMaxTTL (auto_refresh_max_ttl) is the absolute lifetime of a
	// session counted from its creation: no refresh or auto-refresh extends a
	// session past it. Never means unbounded.
	AutoRefreshMaxTTL time.Duration
	// EnforceSingleLogin (enforce_single_login) revokes a user's other
	// sessions (both transports) when a new token is issued.
	EnforceSingleLogin bool
	// EnableAuthRestriction (enable_auth_restriction) refuses cookie tokens
	// sent in a header and header tokens sent in a cookie.
	EnableAuthRestriction bool
	// HashAlgorithm (hash_algorithm) hashes tokens before storage: one of
	// HashAlgorithms. Changing it invalidates every stored token.
	HashAlgorithm string
	// HeaderPrefixes (header_prefixes) are the accepted Authorization schemes,
	// matched case-insensitively.
	HeaderPrefixes []string
	// CookieNames (cookie_names) are the cookies searched for an access
	// token, in order; every one is tried.
	CookieNames []string
	// KeepExpiredTokens (keep_expired_tokens) makes every revocation soft
	// (revoked_at and revoke_reason are set, the row is kept for audit)
	// instead of deleting the row.
	KeepExpiredTokens bool
	// RefreshGracePeriod (refresh_grace_period) is how long after a rotation
	// the previous refresh token is treated as a benign race rather than as
	// theft. At most MaxRefreshGracePeriod.
	RefreshGracePeriod time.Duration
	// MaxSessionsPerUser (max_sessions_per_user) caps a user's live
	// sessions: a login that would exceed it revokes the user's oldest live
	// sessions (reason session_limit), serialized per user like
	// EnforceSingleLogin. 0 means unlimited.
	MaxSessionsPerUser int
	// CacheSize (cache_size) is the number of verified tokens each instance
	// keeps in memory (see Cache); 0, the default, turns the cache off.
	// With the cache on, instances learn every change of the token table
	// through PostgreSQL notifications: start the generated Service's
	// listener (ListenCache), or the cache serves nothing.
	CacheSize int
	// CacheMaxAge (cache_max_age) is how long a cached token may be served
	// before it is read again from the database; it must be positive when
	// the cache is on.
	CacheMaxAge time.Duration
	// LookupBatchSize (lookup_batch_size) lets token lookups share a
	// statement under load: when every database connection the Engine may
	// use for lookups (Config.LookupConcurrency) is already reading a token,
	// the lookups that arrive meanwhile wait and are read together, up to
	// this many in one statement, as soon as one of those reads ends. Each
	// is still answered by a read that began after it arrived. 0 turns
	// batching off (one statement per lookup, however many wait); 1 is not
	// allowed, as a batch of one is no batch.
	LookupBatchSize int
	// SecretKey (secret_key; environment only, never in authentify.yaml) is
	// an optional key of at least 32 bytes. When set, token hashes are HMACs
	// (a leaked table cannot be checked against guessed tokens) and refresh
	// successors are derived from the presented token and a random value
	// stored in the row at each rotation, so that concurrent refreshes inside
	// the grace window all receive the same new pair while the key and an old
	// refresh token are not enough to compute later tokens. Settings never
	// print it (fmt, slog and encoding/json show "[redacted]").
	SecretKey []byte
}

// DefaultLookupBatchSize is the default LookupBatchSize.
const DefaultLookupBatchSize = 100

// MaxRefreshGracePeriod is the longest RefreshGracePeriod Validate accepts:
// a longer window would let a stolen refresh token be replayed as a "race"
// and make reuse detection a formality.
const MaxRefreshGracePeriod = 60 * time.Second

// DefaultSettings returns the built-in defaults, used for every key that
// authentify.yaml leaves out.
func DefaultSettings() Settings {
	return Settings{
		TokenTTL:              24 * time.Hour,
		RefreshTokenTTL:       7 * 24 * time.Hour,
		AutoRefresh:           false,
		AutoRefreshInterval:   time.Hour,
		AutoRefreshMaxTTL:     30 * 24 * time.Hour,
		EnforceSingleLogin:    false,
		EnableAuthRestriction: true,
		HashAlgorithm:         "sha256",
		HeaderPrefixes:        []string{"Bearer", "Token"},
		CookieNames:           []string{"token"},
		KeepExpiredTokens:     false,
		RefreshGracePeriod:    10 * time.Second,
		CacheMaxAge:           time.Minute,
		LookupBatchSize:       DefaultLookupBatchSize,
	}
}

// SettingKeys returns every settings key of authentify.yaml in
// documentation order: the keys of SettingsTable but the secret key,
// which is accepted only at run time.
func SettingKeys() []string {
	var keys []string
	for _, info := range SettingsTable() {
		if info.Kind != KindSecret {
			keys = append(keys, info.Key)
		}
	}
	return keys
}

// Clone returns a deep copy of s, so that a caller changing a slice of one
// cannot change the other.
func (s Settings) Clone() Settings {
	s.HeaderPrefixes = slices.Clone(s.HeaderPrefixes)
	s.CookieNames = slices.Clone(s.CookieNames)
	s.SecretKey = slices.Clone(s.SecretKey)
	return s
}

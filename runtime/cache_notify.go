package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// InvalidationScope says which cache entries an [Invalidation] concerns.
type InvalidationScope uint8

// The invalidation scopes. The zero value is InvalidateAll, so that a zero
// or garbled Invalidation errs on the safe side.
const (
	InvalidateAll    InvalidationScope = iota // every entry (a flush)
	InvalidateTokens                          // the entries of the token rows Invalidation.IDs
	InvalidateUser                            // every entry of the user Invalidation.User
	InvalidatePing                            // no entry: a heartbeat carrying Invalidation.Ping
)

// Invalidation is one cache invalidation: what a notification payload
// means, and what [Cache.Apply] takes.
//
// On the wire (the payload of a PostgreSQL NOTIFY, at most 7999 bytes) it
// is one of:
//
//	"*"               every entry (a flush)
//	"t:<id>[,<id>…]"  the token rows with these ids (canonical decimal int64)
//	"u:<user key>"    every token of one user; the key is the rest of the
//	                  payload verbatim: user_id::text
//	"p:<text>"        nothing: a heartbeat, which a listener can send itself
//	                  to measure its lag (the text is free)
//
// A bulk change sends one notification, not one per row: a few rows as one
// "t:" list, all rows of one user as "u:", anything larger as "*". A flush
// costs every instance one database read per active token, never
// correctness. Rows the cache can no longer serve need no notification at
// all: a revoked row is never cached, and an entry is never served after
// its token's expires_at. So a statement-level trigger can notify only for
// the old rows with revoked_at IS NULL AND (expires_at IS NULL OR expires_at
// > now() - <clock skew margin>), and a cleanup of expired rows then sends
// nothing.
type Invalidation struct {
	Scope InvalidationScope
	IDs   []int64 // InvalidateTokens: at least one
	User  string  // InvalidateUser: not empty
	Ping  string  // InvalidatePing: the heartbeat's text
}

// concerns reports whether inv concerns an entry of row id and user.
func (inv *Invalidation) concerns(id int64, user string) bool {
	switch inv.Scope {
	case InvalidateTokens:
		for _, x := range inv.IDs {
			if x == id {
				return true
			}
		}
		return false
	case InvalidateUser:
		return inv.User == user
	case InvalidatePing:
		return false
	default:
		return true
	}
}

// String returns the notification payload of inv, which
// [ParseInvalidation] reads back.
func (inv Invalidation) String() string {
	switch inv.Scope {
	case InvalidateTokens:
		b := make([]byte, 0, 2+len(inv.IDs)*8)
		b = append(b, "t:"...)
		for i, id := range inv.IDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		return string(b)
	case InvalidateUser:
		return "u:" + inv.User
	case InvalidatePing:
		return "p:" + inv.Ping
	default:
		return "*"
	}
}

// ParseInvalidation reads a notification payload (see [Invalidation]). A
// payload it does not understand yields a flush (InvalidateAll) together
// with an error that says what is wrong and where, so that a listener can
// log the error and still apply the result: an unknown payload must never
// leave a stale entry behind.
func ParseInvalidation(payload string) (Invalidation, error) {
	flush := Invalidation{Scope: InvalidateAll}
	switch {
	case payload == "*":
		return flush, nil
	case strings.HasPrefix(payload, "u:"):
		if len(payload) == 2 {
			return flush, payloadError(payload, 2, "empty user key")
		}
		return Invalidation{Scope: InvalidateUser, User: payload[2:]}, nil
	case strings.HasPrefix(payload, "p:"):
		return Invalidation{Scope: InvalidatePing, Ping: payload[2:]}, nil
	case strings.HasPrefix(payload, "t:"):
		ids := make([]int64, 0, 1+strings.Count(payload, ","))
		pos := 2
		for {
			end := strings.IndexByte(payload[pos:], ',')
			if end < 0 {
				end = len(payload)
			} else {
				end += pos
			}
			field := payload[pos:end]
			id, err := strconv.ParseInt(field, 10, 64)
			if err != nil || strconv.FormatInt(id, 10) != field {
				return flush, payloadError(payload, pos, fmt.Sprintf("token id %q is not a canonical decimal int64", truncate(field, 40)))
			}
			ids = append(ids, id)
			if end == len(payload) {
				return Invalidation{Scope: InvalidateTokens, IDs: ids}, nil
			}
			pos = end + 1
		}
	default:
		return flush, payloadError(payload, 0, `want "*", "t:<id>[,<id>…]", "u:<user key>" or "p:<text>"`)
	}
}

// Notify applies the notification payload to the cache (see
// [ParseInvalidation]). It returns the parse error, if any, after flushing
// the cache, so the listener only has to log it.
func (c *Cache[V]) Notify(payload string) error {
	inv, err := ParseInvalidation(payload)
	c.Apply(inv)
	return err
}

func payloadError(payload string, pos int, msg string) error {
	return fmt.Errorf("authentify: cache notification %q: byte %d: %s (flushing the cache)", truncate(payload, 40), pos, msg)
}

package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SessionCursor is a position in a user's session list, which is ordered
// newest first: the sessions after it are the older ones. The zero value is
// the start of the list (as a returned next cursor: there is no next page).
// It holds the created_at and id of the last session of a page, so it stays
// valid while sessions come and go.
type SessionCursor struct {
	CreatedAt time.Time
	ID        int64
}

// IsZero reports whether c is the start of the list.
func (c SessionCursor) IsZero() bool { return c.ID == 0 && c.CreatedAt.IsZero() }

// CursorOf returns the cursor just after r.
func CursorOf(r Record) SessionCursor { return SessionCursor{CreatedAt: r.CreatedAt, ID: r.ID} }

// String encodes c for a URL query: "<unix microseconds>_<id>", or "" for
// the zero cursor. ParseSessionCursor reads it back.
func (c SessionCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseSessionCursor reads a cursor written by SessionCursor.String; "" is
// the zero cursor.
func ParseSessionCursor(s string) (SessionCursor, error) {
	if s == "" {
		return SessionCursor{}, nil
	}
	at, id, ok := strings.Cut(s, "_")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return SessionCursor{}, fmt.Errorf("authentify: invalid session cursor %q: want the cursor of a previous page", s)
	}
	return SessionCursor{CreatedAt: time.UnixMicro(us).UTC(), ID: n}, nil
}

package runtime

import (
	"fmt"
	"strconv"
)

// CacheUserKey returns the key under which the cache files a token of user
// id, for [Cache.Put]: the text PostgreSQL prints for user_id::text, which
// is what a "u:" notification carries. It covers every id_type (int64,
// int32, uuid as [UUID], text as string); another type falls back to
// fmt.Sprint, which must then print it as PostgreSQL does.
func CacheUserKey[U any](id U) string {
	switch v := any(id).(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case string:
		return v
	case UUID:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

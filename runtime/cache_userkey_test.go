package runtime

import "testing"

func TestCacheUserKey(t *testing.T) {
	u, err := ParseUUID("3F2A0C1E-8B7D-4C2A-9E1F-0A1B2C3D4E5F")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  string
		want string // as PostgreSQL prints user_id::text
	}{
		{"int64", CacheUserKey(int64(-9223372036854775808)), "-9223372036854775808"},
		{"int64 small", CacheUserKey(int64(42)), "42"},
		{"int32", CacheUserKey(int32(2147483647)), "2147483647"},
		{"uuid", CacheUserKey(u), "3f2a0c1e-8b7d-4c2a-9e1f-0a1b2c3d4e5f"},
		{"text", CacheUserKey("Alice:1,2"), "Alice:1,2"},
		{"other", CacheUserKey(uint8(7)), "7"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: CacheUserKey = %q, want %q", tt.name, tt.got, tt.want)
		}
		// The key round-trips through a notification.
		if inv, err := ParseInvalidation("u:" + tt.got); err != nil || inv.User != tt.want {
			t.Errorf("%s: u:%s parses as %+v, %v", tt.name, tt.got, inv, err)
		}
	}
}

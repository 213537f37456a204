package runtime

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"errors"
	"hash"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

var testSecretKey = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

func newTestTokens(t testing.TB, prefix string, key []byte) *Tokens {
	t.Helper()
	s := DefaultSettings()
	s.SecretKey = key
	tk, err := NewTokens(prefix, s)
	if err != nil {
		t.Fatalf("NewTokens(%q): %v", prefix, err)
	}
	return tk
}

func isReasonInvalid(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae) && ae.Reason == ReasonInvalid
}

func TestValidPrefix(t *testing.T) {
	tests := []struct {
		prefix  string
		ok      bool
		wantMsg string
	}{
		{"a", true, ""},
		{"acme", true, ""},
		{"a1b2", true, ""},
		{"abcdefghijklmnop", true, ""}, // 16
		{"", false, "empty"},
		{"abcdefghijklmnopq", false, "at most 16"},
		{"1acme", false, "start with a lowercase letter"},
		{"Acme", false, "start with a lowercase letter"},
		{"acMe", false, "'M'"},
		{"ac_me", false, "'_'"},
		{"ac-me", false, "'-'"},
		{"acmé", false, "only lowercase letters"},
	}
	for _, tt := range tests {
		err := ValidPrefix(tt.prefix)
		if (err == nil) != tt.ok {
			t.Errorf("ValidPrefix(%q) = %v, want ok=%v", tt.prefix, err, tt.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
			t.Errorf("ValidPrefix(%q) = %q, want it to mention %q", tt.prefix, err, tt.wantMsg)
		}
	}
}

func TestHashAlgorithms(t *testing.T) {
	want := []string{"sha256", "sha384", "sha512", "sha512_256", "sha3_256"}
	got := HashAlgorithms()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("HashAlgorithms() = %v, want %v", got, want)
	}
	got[0] = "md5" // the caller's copy must not alias package state
	if HashAlgorithms()[0] != "sha256" {
		t.Fatal("HashAlgorithms returns a shared slice")
	}
	for _, a := range want {
		if WeakHashAlgorithm(a) {
			t.Errorf("WeakHashAlgorithm(%q) = true for a supported algorithm", a)
		}
	}
	for _, a := range []string{"md5", "MD5", "sha1", "SHA-1", "sha224", "md5-sha1", "ripemd160", "shake_128", "shake_256", "sha3_224", "sha512_224", "blake2s", "blake2s256"} {
		if !WeakHashAlgorithm(a) {
			t.Errorf("WeakHashAlgorithm(%q) = false, want true", a)
		}
	}
	for _, a := range []string{"", "foo", "blake2b"} {
		if WeakHashAlgorithm(a) {
			t.Errorf("WeakHashAlgorithm(%q) = true, want false", a)
		}
	}
}

func TestNewTokensErrors(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		algo    string
		key     []byte
		wantMsg string
	}{
		{"bad prefix", "Acme", "sha256", nil, "lowercase letter"},
		{"weak algorithm", "acme", "md5", nil, "md5 is too weak"},
		{"unknown algorithm", "acme", "whirlpool", nil, "unknown algorithm"},
		{"case mismatch", "acme", "SHA256", nil, "did you mean sha256?"},
		{"blake2b", "acme", "blake2b_256", nil, "not in the Go standard library"},
		{"empty algorithm", "acme", "", nil, "must be set"},
		{"short key", "acme", "sha256", []byte("short"), "at least 32 bytes"},
		{"31-byte key", "acme", "sha256", testSecretKey[:31], "got 31 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSettings()
			s.HashAlgorithm = tt.algo
			s.SecretKey = tt.key
			tk, err := NewTokens(tt.prefix, s)
			if err == nil {
				t.Fatalf("NewTokens = %v, nil; want an error", tk)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if tt.key != nil && strings.Contains(err.Error(), string(tt.key)) {
				t.Errorf("error %q reveals the secret key", err)
			}
		})
	}
	for _, a := range HashAlgorithms() {
		s := DefaultSettings()
		s.HashAlgorithm = a
		if _, err := NewTokens("acme", s); err != nil {
			t.Errorf("NewTokens with %s: %v", a, err)
		}
	}
}

func TestMintParseRoundTrip(t *testing.T) {
	for _, prefix := range []string{"a", "acme", "abcdefghijklmnop"} {
		for _, key := range [][]byte{nil, testSecretKey} {
			tk := newTestTokens(t, prefix, key)
			for _, k := range []Kind{KindAccess, KindRefresh} {
				raw, h, err := tk.Mint(k)
				if err != nil {
					t.Fatalf("Mint(%s): %v", k, err)
				}
				s := raw.Reveal()
				if want := prefix + "_" + string(k) + "_"; !strings.HasPrefix(s, want) {
					t.Errorf("token %q does not start with %q", s, want)
				}
				if len(s) != len(prefix)+4+43+6 || len(s) != tk.Len() {
					t.Errorf("len(token) = %d, want %d", len(s), len(prefix)+53)
				}
				body := s[:len(s)-6]
				if got, want := s[len(s)-6:], base62Checksum(crc32.ChecksumIEEE([]byte(body))); got != want {
					t.Errorf("checksum %q, want %q", got, want)
				}
				if err := tk.Parse(s, k); err != nil {
					t.Errorf("Parse(minted %s token) = %v", k, err)
				}
				other := KindRefresh
				if k == KindRefresh {
					other = KindAccess
				}
				if err := tk.Parse(s, other); !isReasonInvalid(err) {
					t.Errorf("Parse(%s token as %s) = %v, want ReasonInvalid", k, other, err)
				}
				if !hmac.Equal(h, tk.Hash(s)) {
					t.Error("Mint's hash differs from Hash(raw)")
				}
			}
		}
	}
}

// base62Checksum is an independent encoding of a CRC32 as 6 base62 digits.
func base62Checksum(c uint32) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := []byte("000000")
	for i := 5; c > 0; i-- {
		out[i] = alphabet[c%62]
		c /= 62
	}
	return string(out)
}

func TestMintIsRandomAndUniform(t *testing.T) {
	tk := newTestTokens(t, "acme", nil)
	seen := map[string]bool{}
	counts := map[byte]int{}
	const n = 2000
	for range n {
		raw, _, err := tk.Mint(KindAccess)
		if err != nil {
			t.Fatal(err)
		}
		s := raw.Reveal()
		if seen[s] {
			t.Fatalf("Mint returned %s twice", raw)
		}
		seen[s] = true
		for i := 8; i < 8+43; i++ {
			counts[s[i]]++
		}
	}
	// Every base62 character must occur, about equally often.
	if len(counts) != 62 {
		t.Fatalf("secrets use %d distinct characters, want 62", len(counts))
	}
	// ±15% is more than 5 standard deviations, yet catches modulo bias
	// (b%62 over all 256 byte values favours 8 characters by 25%).
	const expected = n * 43 / 62
	for c, k := range counts {
		if k < expected*85/100 || k > expected*115/100 {
			t.Errorf("character %q occurs %d times, want about %d", c, k, expected)
		}
	}
}

func TestMintInvalidKind(t *testing.T) {
	tk := newTestTokens(t, "acme", nil)
	if _, _, err := tk.Mint("xx"); err == nil {
		t.Fatal("Mint(\"xx\") succeeded")
	}
}

func TestParseRejects(t *testing.T) {
	tk := newTestTokens(t, "acme", nil)
	raw, _, err := tk.Mint(KindAccess)
	if err != nil {
		t.Fatal(err)
	}
	good := raw.Reveal()
	body := good[:len(good)-6]
	withChecksum := func(b string) string { return b + base62Checksum(crc32.ChecksumIEEE([]byte(b))) }
	secret := good[8 : 8+43]

	tests := []struct {
		name string
		raw  string
		kind Kind
	}{
		{"empty", "", KindAccess},
		{"wrong prefix, valid checksum", withChecksum("acmf_at_" + secret), KindAccess},
		{"other prefix longer", withChecksum("acmex_at_" + secret[1:]), KindAccess},
		{"wrong kind", good, KindRefresh},
		{"unknown kind in token", withChecksum("acme_xt_" + secret), KindAccess},
		{"invalid kind argument", good, Kind("xt")},
		{"missing separator", withChecksum("acme-at_" + secret), KindAccess},
		{"one char short", good[:len(good)-1], KindAccess},
		{"one char long", good + "0", KindAccess},
		{"secret too short, valid checksum", withChecksum("acme_at_" + secret[1:]), KindAccess},
		{"secret too long, valid checksum", withChecksum("acme_at_" + secret + "A"), KindAccess},
		{"bad alphabet '-'", withChecksum("acme_at_-" + secret[1:]), KindAccess},
		{"bad alphabet '_'", withChecksum("acme_at_" + secret[:42] + "_"), KindAccess},
		{"bad alphabet non-ASCII", withChecksum("acme_at_é" + secret[2:]), KindAccess},
		{"bad alphabet in checksum", body + "00000-", KindAccess},
		{"bad checksum", body + flipLast(good[len(good)-6:]), KindAccess},
		{"changed secret", flipAt(body, 20) + good[len(good)-6:], KindAccess},
		{"non-canonical checksum", body + "zzzzzz", KindAccess},
		{"uppercase prefix", strings.ToUpper(good[:4]) + good[4:], KindAccess},
		{"huge", strings.Repeat("a", 1<<20), KindAccess},
		{"huge with valid start", good + strings.Repeat("0", 1<<20), KindAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tk.Parse(tt.raw, tt.kind); !isReasonInvalid(err) {
				t.Errorf("Parse = %v, want *AuthError with ReasonInvalid", err)
			}
		})
	}
}

func flipLast(s string) string { return flipAt(s, len(s)-1) }

// flipAt replaces the base62 character at i by another base62 character.
func flipAt(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestParseHugeInputIsFast(t *testing.T) {
	tk := newTestTokens(t, "acme", nil)
	huge := strings.Repeat("acme_at_", 1<<20) // 8 MiB
	const n = 1000
	start := time.Now()
	for range n {
		if err := tk.Parse(huge, KindAccess); !isReasonInvalid(err) {
			t.Fatalf("Parse(huge) = %v", err)
		}
	}
	// A length check takes nanoseconds; reading 8 MiB takes milliseconds,
	// so 1000 calls that looked at the contents would take seconds.
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("%d Parse calls on an 8 MiB string took %v; it must be rejected by its length alone", n, d)
	}
}

func TestHashPerAlgorithm(t *testing.T) {
	for _, raw := range []string{"acme_at_example", strings.Repeat("x", 200)} {
		testHashPerAlgorithm(t, raw)
	}
}

// TestHashAllocations pins the default hash's single allocation (the
// digest); a hash.Hash per call would add two.
func TestHashAllocations(t *testing.T) {
	tk := newTestTokens(t, "acme", nil)
	raw, _, err := tk.Mint(KindAccess)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { tk.Hash(string(raw)) }); n > 1 {
		t.Errorf("Hash allocates %v times, want 1", n)
	}
}

func testHashPerAlgorithm(t *testing.T, raw string) {
	plain := map[string]func([]byte) []byte{
		"sha256":     func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"sha384":     func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
		"sha512":     func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
		"sha512_256": func(b []byte) []byte { s := sha512.Sum512_256(b); return s[:] },
		"sha3_256":   func(b []byte) []byte { s := sha3.Sum256(b); return s[:] },
	}
	ctor := map[string]func() hash.Hash{
		"sha256":     sha256.New,
		"sha384":     sha512.New384,
		"sha512":     sha512.New,
		"sha512_256": sha512.New512_256,
		"sha3_256":   func() hash.Hash { return sha3.New256() },
	}
	if len(plain) != len(HashAlgorithms()) {
		t.Fatalf("test covers %d algorithms, HashAlgorithms has %d", len(plain), len(HashAlgorithms()))
	}
	// The subkey, computed independently.
	m := hmac.New(sha256.New, testSecretKey)
	m.Write([]byte("authentify/hash/v1"))
	subkey := m.Sum(nil)

	for _, algo := range HashAlgorithms() {
		t.Run(algo, func(t *testing.T) {
			s := DefaultSettings()
			s.HashAlgorithm = algo
			tk, err := NewTokens("acme", s)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tk.Hash(raw), plain[algo]([]byte(raw)); !hmac.Equal(got, want) {
				t.Errorf("Hash = %x, want %x", got, want)
			}

			s.SecretKey = testSecretKey
			keyed, err := NewTokens("acme", s)
			if err != nil {
				t.Fatal(err)
			}
			mac := hmac.New(ctor[algo], subkey)
			mac.Write([]byte(raw))
			if got, want := keyed.Hash(raw), mac.Sum(nil); !hmac.Equal(got, want) {
				t.Errorf("keyed Hash = %x, want HMAC %x", got, want)
			}
			if hmac.Equal(keyed.Hash(raw), tk.Hash(raw)) {
				t.Error("keyed and plain hashes are equal")
			}
			plainKey := hmac.New(ctor[algo], testSecretKey)
			plainKey.Write([]byte(raw))
			if hmac.Equal(keyed.Hash(raw), plainKey.Sum(nil)) {
				t.Error("HMAC uses the secret key directly, not a derived subkey")
			}
		})
	}
}

func TestHashDependsOnKey(t *testing.T) {
	a := newTestTokens(t, "acme", testSecretKey)
	other := []byte(strings.Repeat("k", 32))
	b := newTestTokens(t, "acme", other)
	if hmac.Equal(a.Hash("x"), b.Hash("x")) {
		t.Error("different secret keys give the same hash")
	}
	if !a.HasSecretKey() || newTestTokens(t, "acme", nil).HasSecretKey() {
		t.Error("HasSecretKey is wrong")
	}
}

func TestSuccessor(t *testing.T) {
	keyed := newTestTokens(t, "acme", testSecretKey)
	salt1, salt2 := []byte(strings.Repeat("s", SaltLen)), []byte(strings.Repeat("t", SaltLen))
	r1, _, _ := keyed.Mint(KindRefresh)
	r2, _, _ := keyed.Mint(KindRefresh)
	p1, p2 := r1.Reveal(), r2.Reveal()

	a1, ah1, ok := keyed.Successor(p1, salt1, KindAccess)
	if !ok {
		t.Fatal("Successor with a secret key: ok = false")
	}
	a1again, ah1again, _ := keyed.Successor(p1, salt1, KindAccess)
	if a1.Reveal() != a1again.Reveal() || !hmac.Equal(ah1, ah1again) {
		t.Error("Successor is not deterministic")
	}
	rs1, rh1, _ := keyed.Successor(p1, salt1, KindRefresh)
	a2, _, _ := keyed.Successor(p2, salt1, KindAccess)

	if err := keyed.Parse(a1.Reveal(), KindAccess); err != nil {
		t.Errorf("access successor %q does not parse: %v", a1.Reveal(), err)
	}
	if err := keyed.Parse(rs1.Reveal(), KindRefresh); err != nil {
		t.Errorf("refresh successor %q does not parse: %v", rs1.Reveal(), err)
	}
	if a1.Reveal()[8:] == rs1.Reveal()[8:] {
		t.Error("access and refresh successors share a secret")
	}
	if a1.Reveal() == a2.Reveal() {
		t.Error("different presented tokens give the same successor")
	}
	if rs1.Reveal() == p1 {
		t.Error("refresh successor equals the presented token")
	}
	if !hmac.Equal(ah1, keyed.Hash(a1.Reveal())) || !hmac.Equal(rh1, keyed.Hash(rs1.Reveal())) {
		t.Error("Successor's hash differs from Hash(raw)")
	}

	// The key and the presented token are not enough: another rotation's
	// salt gives another successor.
	if o, _, _ := keyed.Successor(p1, salt2, KindAccess); o.Reveal() == a1.Reveal() {
		t.Error("successor does not depend on the rotation's salt")
	}
	if o, _, _ := keyed.Successor(p1, nil, KindAccess); o.Reveal() == a1.Reveal() {
		t.Error("successor without a salt equals the salted one")
	}

	otherKey := newTestTokens(t, "acme", []byte(strings.Repeat("z", 32)))
	if o, _, _ := otherKey.Successor(p1, salt1, KindAccess); o.Reveal() == a1.Reveal() {
		t.Error("successor does not depend on the secret key")
	}

	plain := newTestTokens(t, "acme", nil)
	if raw, h, ok := plain.Successor(p1, salt1, KindAccess); ok || !raw.IsZero() || h != nil {
		t.Errorf("Successor without a secret key = %v, %x, %v; want zero, nil, false", raw, h, ok)
	}
	if _, _, ok := keyed.Successor(p1, salt1, "xx"); ok {
		t.Error("Successor with an invalid kind: ok = true")
	}
}

func TestSuccessorWellFormedForManyInputs(t *testing.T) {
	keyed := newTestTokens(t, "z9", testSecretKey)
	salt1 := []byte("salt")
	seen := map[string]bool{}
	for i := range 500 {
		in := strings.Repeat("x", i)
		for _, k := range []Kind{KindAccess, KindRefresh} {
			raw, _, ok := keyed.Successor(in, salt1, k)
			if !ok {
				t.Fatal("ok = false")
			}
			if err := keyed.Parse(raw.Reveal(), k); err != nil {
				t.Fatalf("successor of %d x's (%s) does not parse: %v", i, k, err)
			}
			if seen[raw.Reveal()] {
				t.Fatalf("duplicate successor for input %d", i)
			}
			seen[raw.Reveal()] = true
		}
	}
}

func TestTokensConcurrentUse(t *testing.T) {
	tk := newTestTokens(t, "acme", testSecretKey)
	done := make(chan error)
	for range 8 {
		go func() {
			for range 200 {
				raw, h, err := tk.Mint(KindAccess)
				if err != nil {
					done <- err
					return
				}
				if err := tk.Parse(raw.Reveal(), KindAccess); err != nil {
					done <- err
					return
				}
				if !hmac.Equal(h, tk.Hash(raw.Reveal())) {
					done <- errors.New("hash mismatch")
					return
				}
				tk.Successor(raw.Reveal(), nil, KindRefresh)
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	tk := newTestTokens(f, "acme", nil)
	raw, _, _ := tk.Mint(KindAccess)
	f.Add(raw.Reveal(), true)
	f.Add("", false)
	f.Add("acme_at_", true)
	f.Add("Bearer acme_at_x", false)
	f.Fuzz(func(t *testing.T, s string, access bool) {
		k := KindRefresh
		if access {
			k = KindAccess
		}
		err := tk.Parse(s, k)
		if err != nil {
			if !isReasonInvalid(err) {
				t.Fatalf("Parse error %v is not ReasonInvalid", err)
			}
			return
		}
		// Accepted: exact form, and it re-serializes to itself.
		if len(s) != tk.Len() || !strings.HasPrefix(s, "acme_"+string(k)+"_") {
			t.Fatalf("Parse accepted %q", s)
		}
		body := s[:len(s)-6]
		if body+base62Checksum(crc32.ChecksumIEEE([]byte(body))) != s {
			t.Fatalf("Parse accepted %q with a non-canonical checksum", s)
		}
		if got := tk.assemble(k, []byte(s[8:8+43])); got != s {
			t.Fatalf("re-serialized %q as %q", s, got)
		}
	})
}

func BenchmarkMint(b *testing.B) {
	tk := newTestTokens(b, "acme", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tk.Mint(KindAccess); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	tk := newTestTokens(b, "acme", nil)
	raw, _, _ := tk.Mint(KindAccess)
	s := raw.Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if err := tk.Parse(s, KindAccess); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for _, bc := range []struct {
		name string
		key  []byte
	}{{"sha256", nil}, {"sha256_hmac", testSecretKey}} {
		b.Run(bc.name, func(b *testing.B) {
			tk := newTestTokens(b, "acme", bc.key)
			raw, _, _ := tk.Mint(KindAccess)
			s := raw.Reveal()
			b.ReportAllocs()
			for b.Loop() {
				tk.Hash(s)
			}
		})
	}
}

package runtime

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
)

// Kind says whether a token is an access token or a refresh token. It is the
// middle part of the token string: acme_at_… or acme_rt_….
type Kind string

// The token kinds.
const (
	KindAccess  Kind = "at"
	KindRefresh Kind = "rt"
)

func (k Kind) valid() bool { return k == KindAccess || k == KindRefresh }

const (
	// base62 is the alphabet of secrets and checksums.
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// secretLen base62 characters carry 43·log2(62) ≈ 256.03 bits.
	secretLen = 43
	// checksumLen base62 characters hold any CRC32 (62^6 > 2^32).
	checksumLen = 6
	// maxPrefixLen is the longest prefix ValidPrefix accepts.
	maxPrefixLen = 16
	// tokenOverhead is everything but the prefix: "_at_", secret, checksum.
	tokenOverhead = 1 + 2 + 1 + secretLen + checksumLen
	// base62Limit is the largest multiple of 62 that fits in a byte: bytes
	// at or above it are rejected so that b%62 is uniform.
	base62Limit = 62 * 4
)

// Domain-separation labels for the subkeys derived from Settings.SecretKey.
const (
	hashKeyLabel      = "authentify/hash/v1"
	successorKeyLabel = "authentify/successor/v2"
)

// base62Index maps a byte to its value in base62, or -1.
var base62Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base62); i++ {
		t[base62[i]] = int8(i)
	}
	return t
}()

// ValidPrefix reports whether p can be used as a token prefix: a lowercase
// letter followed by at most 15 lowercase letters or digits
// (^[a-z][a-z0-9]{0,15}$). The error says what is wrong.
func ValidPrefix(p string) error {
	if p == "" {
		return errors.New("token prefix must not be empty; use a short lowercase name such as \"acme\"")
	}
	if len(p) > maxPrefixLen {
		return fmt.Errorf("token prefix %q is %d bytes long; at most %d lowercase letters and digits are allowed", p, len(p), maxPrefixLen)
	}
	if c := p[0]; c < 'a' || c > 'z' {
		return fmt.Errorf("token prefix %q must start with a lowercase letter a-z", p)
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return fmt.Errorf("token prefix %q has %q at byte %d; only lowercase letters a-z and digits 0-9 are allowed", p, c, i)
		}
	}
	return nil
}

// hashAlgorithms maps every supported hash_algorithm to its constructor, in
// the order HashAlgorithms lists them.
var hashAlgorithms = []struct {
	name string
	new  func() hash.Hash
}{
	{"sha256", sha256.New},
	{"sha384", sha512.New384},
	{"sha512", sha512.New},
	{"sha512_256", sha512.New512_256},
	{"sha3_256", func() hash.Hash { return sha3.New256() }},
}

// HashAlgorithms returns the names accepted by the hash_algorithm setting,
// the default (sha256) first. Names are exact and lowercase.
func HashAlgorithms() []string {
	names := make([]string, len(hashAlgorithms))
	for i, a := range hashAlgorithms {
		names[i] = a.name
	}
	return names
}

func hashConstructor(name string) func() hash.Hash {
	for _, a := range hashAlgorithms {
		if a.name == name {
			return a.new
		}
	}
	return nil
}

// weakHashAlgorithms are hash names (normalized by normalizeHashName) that
// other ecosystems accept but that are too weak, or unusable, for token
// hashes.
var weakHashAlgorithms = map[string]bool{
	"md4": true, "md5": true, "md5sha1": true, "sha1": true, "sha224": true,
	"sha512224": true, "sha3224": true, "ripemd160": true, "shake128": true,
	"shake256": true, "blake2s": true, "blake2s256": true, "mdc2": true,
}

// normalizeHashName lowercases name and drops '-' and '_' so that SHA-1,
// sha_1 and sha1 compare equal.
func normalizeHashName(name string) string {
	name = strings.ToLower(name)
	return strings.NewReplacer("-", "", "_", "").Replace(name)
}

// WeakHashAlgorithm reports whether name (compared case-insensitively,
// ignoring '-' and '_') is a hash that hashlib or other libraries offer but
// that authentify refuses as too weak or unusable for token hashes: md5,
// sha1, sha224, md5-sha1, ripemd160, shake_128, shake_256, sha3_224,
// sha512_224, blake2s and the like. It is used to word error messages.
func WeakHashAlgorithm(name string) bool {
	return weakHashAlgorithms[normalizeHashName(name)]
}

// hashAlgorithmProblem returns why name is not an accepted hash_algorithm,
// or "" if it is.
func hashAlgorithmProblem(name string) string {
	if hashConstructor(name) != nil {
		return ""
	}
	use := "use one of " + strings.Join(HashAlgorithms(), ", ")
	norm := normalizeHashName(name)
	for _, a := range hashAlgorithms {
		if normalizeHashName(a.name) == norm {
			return fmt.Sprintf("unknown algorithm %q; names are exact and lowercase: did you mean %s?", name, a.name)
		}
	}
	switch {
	case name == "":
		return "must be set; " + use
	case strings.HasPrefix(norm, "shake"):
		return fmt.Sprintf("%s is an extendable-output function without a fixed digest size; %s", name, use)
	case WeakHashAlgorithm(name):
		return fmt.Sprintf("%s is too weak; %s", name, use)
	case strings.HasPrefix(norm, "blake2b"):
		return fmt.Sprintf("%s is not in the Go standard library; %s", name, use)
	default:
		return fmt.Sprintf("unknown algorithm %q; %s", name, use)
	}
}

// Tokens mints, parses and hashes the tokens of one prefix. It is immutable
// and safe for concurrent use.
type Tokens struct {
	prefix  string
	newHash func() hash.Hash
	sha256  bool // hash_algorithm is sha256 (Hash takes a shortcut)
	// hashKey and successorKey are subkeys derived from Settings.SecretKey;
	// both are nil when no secret key is configured.
	hashKey      []byte
	successorKey []byte
}

// NewTokens returns the Tokens for prefix, hashing with s.HashAlgorithm and
// keyed by s.SecretKey if set. It fails if the prefix is invalid (see
// ValidPrefix), the algorithm is not one of HashAlgorithms, or the secret key
// is shorter than 32 bytes. Only SecretKey and HashAlgorithm of s are used.
func NewTokens(prefix string, s Settings) (*Tokens, error) {
	if err := ValidPrefix(prefix); err != nil {
		return nil, fmt.Errorf("authentify: %w", err)
	}
	if p := hashAlgorithmProblem(s.HashAlgorithm); p != "" {
		return nil, fmt.Errorf("authentify: hash_algorithm: %s", p)
	}
	if p := secretKeyProblem(s.SecretKey); p != "" {
		return nil, fmt.Errorf("authentify: secret_key: %s", p)
	}
	t := &Tokens{prefix: prefix, newHash: hashConstructor(s.HashAlgorithm), sha256: s.HashAlgorithm == "sha256"}
	if len(s.SecretKey) > 0 {
		t.hashKey = deriveKey(s.SecretKey, hashKeyLabel)
		t.successorKey = deriveKey(s.SecretKey, successorKeyLabel)
	}
	return t, nil
}

// minSecretKeyLen is the shortest accepted Settings.SecretKey.
const minSecretKeyLen = 32

// secretKeyProblem returns why key is not an acceptable secret_key, or "".
// It never includes the key itself.
func secretKeyProblem(key []byte) string {
	if len(key) > 0 && len(key) < minSecretKeyLen {
		return fmt.Sprintf("must be empty or at least %d bytes long (got %d bytes)", minSecretKeyLen, len(key))
	}
	return ""
}

// deriveKey returns HMAC-SHA256(key, label): a subkey for one purpose.
func deriveKey(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Prefix returns the token prefix, e.g. "acme".
func (t *Tokens) Prefix() string { return t.prefix }

// HasSecretKey reports whether a secret key is configured, i.e. whether
// hashes are HMACs and Successor is available.
func (t *Tokens) HasSecretKey() bool { return t.successorKey != nil }

// Len returns the exact length of every token of this prefix.
func (t *Tokens) Len() int { return len(t.prefix) + tokenOverhead }

// Mint returns a new random token of kind k and its hash. The raw token is
// handed to the client once; only the hash is stored.
func (t *Tokens) Mint(k Kind) (raw Secret, hash []byte, err error) {
	if !k.valid() {
		return "", nil, fmt.Errorf("authentify: cannot mint a token of kind %q; use KindAccess or KindRefresh", string(k))
	}
	var secret [secretLen]byte
	var buf [64]byte
	n := 0
	for n < secretLen {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", nil, fmt.Errorf("authentify: reading random bytes: %w", err)
		}
		n = fillBase62(secret[:], n, buf[:])
	}
	s := t.assemble(k, secret[:])
	return Secret(s), t.Hash(s), nil
}

// fillBase62 maps the bytes of src into base62 characters by rejection
// sampling, writing dst[n:] until it is full or src is used up, and returns
// the new number of characters in dst.
func fillBase62(dst []byte, n int, src []byte) int {
	for _, b := range src {
		if n == len(dst) {
			break
		}
		if b < base62Limit {
			dst[n] = base62[b%62]
			n++
		}
	}
	return n
}

// assemble returns prefix_kind_secret followed by its checksum.
func (t *Tokens) assemble(k Kind, secret []byte) string {
	b := make([]byte, 0, t.Len())
	b = append(b, t.prefix...)
	b = append(b, '_')
	b = append(b, k...)
	b = append(b, '_')
	b = append(b, secret...)
	b = appendChecksum(b, crc32.ChecksumIEEE(b))
	return string(b)
}

// crcTable is the IEEE CRC32 table, for crc32String.
var crcTable = crc32.MakeTable(crc32.IEEE)

// crc32String is crc32.ChecksumIEEE for a string, without copying it to a
// byte slice (which would allocate on the Parse hot path).
func crc32String(s string) uint32 {
	c := ^uint32(0)
	for i := 0; i < len(s); i++ {
		c = crcTable[byte(c)^s[i]] ^ c>>8
	}
	return ^c
}

// appendChecksum appends c in base62, left-padded with '0' to checksumLen.
func appendChecksum(b []byte, c uint32) []byte {
	var digits [checksumLen]byte
	v := uint64(c)
	for i := checksumLen - 1; i >= 0; i-- {
		digits[i] = base62[v%62]
		v /= 62
	}
	return append(b, digits[:]...)
}

// Parse checks that raw is a well-formed token of kind k for this prefix:
// exact length, prefix, kind, base62 alphabet and checksum. It returns nil
// or an *AuthError with ReasonInvalid. It does no hashing and runs in time
// bounded by the fixed token length: anything of another length is refused
// before its contents are looked at.
func (t *Tokens) Parse(raw string, k Kind) error {
	if len(raw) != t.Len() || !k.valid() {
		return refused(ReasonInvalid)
	}
	p := len(t.prefix)
	if raw[:p] != t.prefix || raw[p] != '_' || raw[p+1:p+3] != string(k) || raw[p+3] != '_' {
		return refused(ReasonInvalid)
	}
	for i := p + 4; i < len(raw); i++ {
		if base62Index[raw[i]] < 0 {
			return refused(ReasonInvalid)
		}
	}
	body := len(raw) - checksumLen
	var want [checksumLen]byte
	appendChecksum(want[:0], crc32String(raw[:body]))
	if raw[body:] != string(want[:]) {
		return refused(ReasonInvalid)
	}
	return nil
}

// Hash returns the digest stored for raw: the configured hash_algorithm of
// raw, or, when a secret key is set, its HMAC under a subkey derived from
// the secret key (HMAC-SHA256(secret_key, "authentify/hash/v1")).
func (t *Tokens) Hash(raw string) []byte {
	if t.hashKey == nil && t.sha256 {
		// The default, without a hash.Hash: one allocation (the digest)
		// instead of three. A token fits buf; a longer raw still hashes.
		var buf [128]byte
		sum := sha256.Sum256(append(buf[:0], raw...))
		return sum[:]
	}
	var h hash.Hash
	if t.hashKey != nil {
		h = hmac.New(t.newHash, t.hashKey)
	} else {
		h = t.newHash()
	}
	h.Write([]byte(raw))
	return h.Sum(nil)
}

// SaltLen is the length of the random salt drawn at each rotation and
// mixed into Successor.
const SaltLen = 32

// NewSalt returns SaltLen random bytes for one rotation.
func NewSalt() ([]byte, error) {
	b := make([]byte, SaltLen)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("authentify: read random salt: %w", err)
	}
	return b, nil
}

// Successor returns the token of kind k that replaces the presented refresh
// token on a rotation whose random salt is salt, and its hash. It is
// deterministic: the same presented token and salt always yield the same
// successor of each kind, so that concurrent refreshes racing inside the
// grace window, which read the winner's salt from the row, all receive the
// same new pair. The salt is drawn afresh at every rotation and stored only
// in the row, so the secret key and an old refresh token are not enough to
// compute later tokens. The secret is HMAC-SHA256 under a subkey derived
// from the secret key ("authentify/successor/v2") of
// counter‖kind‖"|"‖len(salt)‖salt‖presented, in counter mode, mapped to
// base62 by rejection sampling; the result is a well-formed token that
// Parse accepts. ok is false when no secret key is configured (or k is not
// a valid Kind): the caller must then mint random tokens.
func (t *Tokens) Successor(presentedRefresh string, salt []byte, k Kind) (raw Secret, hash []byte, ok bool) {
	if t.successorKey == nil || !k.valid() {
		return "", nil, false
	}
	var secret [secretLen]byte
	var ctr, n32 [4]byte
	binary.BigEndian.PutUint32(n32[:], uint32(len(salt)))
	n := 0
	m := hmac.New(sha256.New, t.successorKey)
	for i := uint32(0); n < secretLen; i++ {
		binary.BigEndian.PutUint32(ctr[:], i)
		m.Reset()
		m.Write(ctr[:])
		m.Write([]byte(k))
		m.Write([]byte{'|'})
		m.Write(n32[:])
		m.Write(salt)
		m.Write([]byte(presentedRefresh))
		n = fillBase62(secret[:], n, m.Sum(nil))
	}
	s := t.assemble(k, secret[:])
	return Secret(s), t.Hash(s), true
}

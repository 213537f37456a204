package runtime

// Transport is how a token travels: in the Authorization header or in a
// cookie. It is stored per token (the auth_type column).
type Transport string

// The transports. AnyTransport is accepted by VerifyToken to skip the
// transport check.
const (
	TransportHeader Transport = "header"
	TransportCookie Transport = "cookie"
	AnyTransport    Transport = ""
)

// Valid reports whether t is header or cookie.
func (t Transport) Valid() bool { return t == TransportHeader || t == TransportCookie }

package gen

import (
	"github.com/dave/jennifer/jen"
)

// emitMiddleware renders middleware.go: the Echo v4 middleware, the typed
// accessor, context-based permissions and cookie helpers.
func (m *goModel) emitMiddleware(f *jen.File) {
	rt := func(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
	echoCtx := func() *jen.Statement { return jen.Qual(echoPath, "Context") }
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }

	f.Comment("tokenKey is the echo.Context key of the authenticated Token.")
	f.Const().Id("tokenKey").Op("=").Lit("authentify." + m.spec.Package + ".token")
	f.Line()

	f.Comment("MiddlewareConfig configures the Echo middleware, following Echo's own middleware.")
	f.Type().Id("MiddlewareConfig").Struct(
		jen.Comment("Skipper skips authentication for a request when it returns true."),
		jen.Id("Skipper").Qual(echoMWPath, "Skipper"),
		jen.Comment("Optional lets requests without any credential through without a token;"),
		jen.Comment("a presented but invalid credential is still refused."),
		jen.Id("Optional").Bool(),
		jen.Comment("ErrorHandler, if set, answers a failed authentication instead of the default"),
		jen.Comment("(an *echo.HTTPError with the RFC 6750 status and WWW-Authenticate header)."),
		jen.Id("ErrorHandler").Func().Params(echoCtx(), jen.Error()).Error(),
		jen.Comment(`Realm is the realm of the WWW-Authenticate challenge (default "api").`),
		jen.Id("Realm").String(),
		jen.Comment("TrustedOrigins may send cookie-authenticated unsafe requests cross-origin"),
		jen.Comment(`(e.g. "https://app.example.com").`),
		jen.Id("TrustedOrigins").Index().String(),
		jen.Comment("DisableCSRF turns off the cross-origin check of cookie-authenticated unsafe"),
		jen.Comment("requests. Only for apps that protect themselves otherwise."),
		jen.Id("DisableCSRF").Bool(),
		jen.Comment("Cookies shape the access cookie the middleware re-sends when an auto-refresh"),
		jen.Comment("slid a cookie token's expiry, so the browser keeps it as long as the server does;"),
		jen.Comment("use the options given to SetTokenCookies."),
		jen.Id("Cookies").Id("CookieOptions"),
	)
	f.Line()

	f.Comment("Middleware authenticates every request by header or cookie with the default config.")
	recv().Id("Middleware").Params().Qual(echoPath, "MiddlewareFunc").Block(
		jen.List(jen.Id("mw"), jen.Err()).Op(":=").Id("s").Dot("MiddlewareWithConfig").Call(jen.Id("MiddlewareConfig").Values()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())).Comment("unreachable: the default config is valid"),
		jen.Return(jen.Id("mw")),
	)
	f.Line()

	f.Comment("MiddlewareWithConfig returns the authentication middleware. A missing credential is")
	f.Comment("a 401 (unless Optional), a bad one a 401 invalid_token, a malformed header a 400, a")
	f.Comment("cross-origin cookie-authenticated unsafe request a 403, and a database outage a 503")
	f.Comment("with Retry-After — never a 401. The token is available through TokenFrom.")
	recv().Id("MiddlewareWithConfig").Params(jen.Id("cfg").Id("MiddlewareConfig")).Params(jen.Qual(echoPath, "MiddlewareFunc"), jen.Error()).Block(
		jen.List(jen.Id("csrf"), jen.Err()).Op(":=").Qual(runtimePath, "NewCSRF").Call(jen.Id("cfg").Dot("TrustedOrigins")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.If(jen.Id("cfg").Dot("DisableCSRF")).Block(
			jen.Id("csrf").Op("=").Nil(),
			jen.Id("s").Dot("opts").Dot("logger").Dot("Warn").Call(jen.Lit("authentify: ").Op("+").Qual(runtimePath, "CSRFOffWarning"), jen.Lit("package"), jen.Id("Prefix")),
		),
		jen.Id("fail").Op(":=").Func().Params(jen.Id("c").Add(echoCtx()), jen.Err().Error()).Error().Block(
			jen.If(jen.Id("cfg").Dot("ErrorHandler").Op("!=").Nil()).Block(jen.Return(jen.Id("cfg").Dot("ErrorHandler").Call(jen.Id("c"), jen.Err()))),
			jen.Return(jen.Id("HTTPError").Call(jen.Id("c"), jen.Id("cfg").Dot("Realm"), jen.Err())),
		),
		jen.Return(jen.Func().Params(jen.Id("next").Qual(echoPath, "HandlerFunc")).Qual(echoPath, "HandlerFunc").Block(
			jen.Return(jen.Func().Params(jen.Id("c").Add(echoCtx())).Error().Block(
				jen.If(jen.Id("cfg").Dot("Skipper").Op("!=").Nil().Op("&&").Id("cfg").Dot("Skipper").Call(jen.Id("c"))).Block(jen.Return(jen.Id("next").Call(jen.Id("c")))),
				jen.List(jen.Id("tok"), jen.Id("cred"), jen.Id("slid"), jen.Err()).Op(":=").Id("s").Dot("authenticate").Call(jen.Id("c").Dot("Request").Call(), jen.Id("csrf")),
				jen.If(jen.Err().Op("!=").Nil()).Block(
					jen.If(jen.Id("cfg").Dot("Optional").Op("&&").Qual(runtimePath, "ReasonOf").Call(jen.Err()).Op("==").Add(rt("ReasonMissing"))).Block(
						jen.Return(jen.Id("next").Call(jen.Id("c")))),
					jen.Return(jen.Id("fail").Call(jen.Id("c"), jen.Err())),
				),
				jen.If(jen.Id("slid").Op("&&").Id("cred").Dot("Transport").Op("==").Add(rt("TransportCookie"))).Block(
					jen.Id("o").Op(":=").Id("s").Dot("cookieDefaults").Call(jen.Id("cfg").Dot("Cookies")),
					jen.Id("c").Dot("SetCookie").Call(jen.Id("o").Dot("cookie").Call(jen.Id("cred").Dot("Source"), jen.Id("cred").Dot("Raw"), jen.Lit("/"),
						jen.Qual(runtimePath, "CookieExpiry").Call(jen.Id("tok").Dot("ExpiresAt"))))),
				jen.Id("c").Dot("Set").Call(jen.Id("tokenKey"), jen.Id("tok")),
				jen.Return(jen.Id("next").Call(jen.Id("c"))),
			)),
		), jen.Nil()),
	)
	f.Line()

	f.Comment("HTTPError turns an authentication error into the *echo.HTTPError the middleware")
	f.Comment("returns: RFC 6750 status, message and WWW-Authenticate / Retry-After headers.")
	f.Comment("A 500 (an error that is neither a refusal nor an outage) is logged with its cause.")
	f.Func().Id("HTTPError").Params(jen.Id("c").Add(echoCtx()), jen.Id("realm").String(), jen.Err().Error()).Error().Block(
		jen.Id("ch").Op(":=").Qual(runtimePath, "ChallengeFor").Call(jen.Err(), jen.Id("realm")),
		jen.For(jen.List(jen.Id("k"), jen.Id("v")).Op(":=").Range().Id("ch").Dot("Headers")).Block(
			jen.Id("c").Dot("Response").Call().Dot("Header").Call().Dot("Set").Call(jen.Id("k"), jen.Id("v"))),
		jen.If(jen.Id("ch").Dot("Status").Op("==").Qual("net/http", "StatusInternalServerError")).Block(
			jen.Comment("Never silent: the cause (no token material) goes to the log."),
			jen.Qual("log/slog", "ErrorContext").Call(jen.Id("c").Dot("Request").Call().Dot("Context").Call(), jen.Lit("authentify: internal error"),
				jen.Qual("log/slog", "String").Call(jen.Lit("method"), jen.Id("c").Dot("Request").Call().Dot("Method")),
				jen.Qual("log/slog", "String").Call(jen.Lit("path"), jen.Id("c").Dot("Path").Call()),
				jen.Qual("log/slog", "String").Call(jen.Lit("err"), jen.Err().Dot("Error").Call())),
		),
		jen.Return(jen.Qual(echoPath, "NewHTTPError").Call(jen.Id("ch").Dot("Status"), jen.Id("ch").Dot("Message")).Dot("SetInternal").Call(jen.Err())),
	)
	f.Line()

	f.Comment("TokenFrom returns the token the middleware authenticated, if any.")
	f.Func().Id("TokenFrom").Params(jen.Id("c").Add(echoCtx())).Params(jen.Id("Token"), jen.Bool()).Block(
		jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("c").Dot("Get").Call(jen.Id("tokenKey")).Assert(jen.Id("Token")),
		jen.Return(jen.Id("t"), jen.Id("ok")),
	)
	f.Line()

	f.Comment("Require allows a request only when it is authenticated (else 401) and allow")
	f.Comment("accepts its token (else 403): context-based permissions, e.g.")
	f.Comment("Require(func(t *Token) bool { return t.Context.BetaFeatures }).")
	f.Func().Id("Require").Params(jen.Id("allow").Func().Params(jen.Op("*").Id("Token")).Bool()).Qual(echoPath, "MiddlewareFunc").Block(
		jen.Return(jen.Func().Params(jen.Id("next").Qual(echoPath, "HandlerFunc")).Qual(echoPath, "HandlerFunc").Block(
			jen.Return(jen.Func().Params(jen.Id("c").Add(echoCtx())).Error().Block(
				jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("TokenFrom").Call(jen.Id("c")),
				jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id("HTTPError").Call(jen.Id("c"), jen.Lit(""), jen.Op("&").Add(rt("AuthError")).Values(jen.Dict{jen.Id("Reason"): rt("ReasonMissing")})))),
				jen.If(jen.Op("!").Id("allow").Call(jen.Op("&").Id("t"))).Block(jen.Return(jen.Qual(echoPath, "NewHTTPError").Call(jen.Qual("net/http", "StatusForbidden"), jen.Lit("forbidden")))),
				jen.Return(jen.Id("next").Call(jen.Id("c"))),
			)),
		)),
	)
	f.Line()

	f.Comment("CookieOptions shape the cookies set by SetTokenCookies.")
	f.Type().Id("CookieOptions").Struct(
		jen.Comment("AccessName is the access cookie (default: the first of cookie_names)."),
		jen.Id("AccessName").String(),
		jen.Comment(`RefreshName is the refresh cookie (default "refresh_token").`),
		jen.Id("RefreshName").String(),
		jen.Comment(`RefreshPath scopes the refresh cookie to the refresh endpoint (default "/auth/refresh").`),
		jen.Id("RefreshPath").String(),
		jen.Comment("Domain of both cookies (default: host-only)."),
		jen.Id("Domain").String(),
		jen.Comment("Insecure drops the Secure attribute; only for plain-HTTP development."),
		jen.Id("Insecure").Bool(),
		jen.Comment("SameSite (default http.SameSiteStrictMode)."),
		jen.Id("SameSite").Qual("net/http", "SameSite"),
	)
	f.Line()
	f.Func().Params(jen.Id("s").Op("*").Id("Service")).Id("cookieDefaults").Params(jen.Id("o").Id("CookieOptions")).Id("CookieOptions").Block(
		jen.If(jen.Id("o").Dot("AccessName").Op("==").Lit("")).Block(jen.Id("o").Dot("AccessName").Op("=").Id("s").Dot("Settings").Call().Dot("CookieNames").Index(jen.Lit(0))),
		jen.If(jen.Id("o").Dot("RefreshName").Op("==").Lit("")).Block(jen.Id("o").Dot("RefreshName").Op("=").Lit("refresh_token")),
		jen.If(jen.Id("o").Dot("RefreshPath").Op("==").Lit("")).Block(jen.Id("o").Dot("RefreshPath").Op("=").Lit("/auth/refresh")),
		jen.If(jen.Id("o").Dot("SameSite").Op("==").Lit(0)).Block(jen.Id("o").Dot("SameSite").Op("=").Qual("net/http", "SameSiteStrictMode")),
		jen.Return(jen.Id("o")),
	)
	f.Line()
	f.Comment("cookie builds an HttpOnly token cookie shaped by o.")
	f.Func().Params(jen.Id("o").Id("CookieOptions")).Id("cookie").Params(jen.List(jen.Id("name"), jen.Id("value"), jen.Id("path")).String(), jen.Id("expires").Qual("time", "Time")).Op("*").Qual("net/http", "Cookie").Block(
		jen.Return(jen.Op("&").Qual("net/http", "Cookie").Values(jen.Dict{
			jen.Id("Name"): jen.Id("name"), jen.Id("Value"): jen.Id("value"), jen.Id("Path"): jen.Id("path"), jen.Id("Domain"): jen.Id("o").Dot("Domain"),
			jen.Id("Expires"): jen.Id("expires"), jen.Id("HttpOnly"): jen.True(), jen.Id("Secure"): jen.Op("!").Id("o").Dot("Insecure"),
			jen.Id("SameSite"): jen.Id("o").Dot("SameSite"),
		})),
	)
	f.Line()
	cookie := func(name, value, path, expires jen.Code) jen.Code {
		return jen.Id("o").Dot("cookie").Call(name, value, path, expires)
	}
	expiry := func(field string) jen.Code {
		return jen.Qual(runtimePath, "CookieExpiry").Call(jen.Id("iss").Dot("Token").Dot(field))
	}
	f.Comment("SetTokenCookies sets the access cookie (Path=/) and, when there is one, the refresh")
	f.Comment("cookie scoped to RefreshPath; both HttpOnly, Secure and SameSite=Strict by default.")
	recv().Id("SetTokenCookies").Params(jen.Id("c").Add(echoCtx()), jen.Id("iss").Id("Issued"), jen.Id("o").Id("CookieOptions")).Block(
		jen.Id("o").Op("=").Id("s").Dot("cookieDefaults").Call(jen.Id("o")),
		jen.Id("c").Dot("SetCookie").Call(cookie(jen.Id("o").Dot("AccessName"), jen.Id("iss").Dot("AccessToken").Dot("Reveal").Call(), jen.Lit("/"), expiry("ExpiresAt"))),
		jen.If(jen.Op("!").Id("iss").Dot("RefreshToken").Dot("IsZero").Call()).Block(
			jen.Id("c").Dot("SetCookie").Call(cookie(jen.Id("o").Dot("RefreshName"), jen.Id("iss").Dot("RefreshToken").Dot("Reveal").Call(), jen.Id("o").Dot("RefreshPath"), expiry("RefreshUntil")))),
	)
	f.Line()
	f.Comment("ClearTokenCookies expires both cookies (logout).")
	recv().Id("ClearTokenCookies").Params(jen.Id("c").Add(echoCtx()), jen.Id("o").Id("CookieOptions")).Block(
		jen.Id("o").Op("=").Id("s").Dot("cookieDefaults").Call(jen.Id("o")),
		jen.For(jen.List(jen.Id("_"), jen.Id("ck")).Op(":=").Range().Index().Op("*").Qual("net/http", "Cookie").Values(
			cookie(jen.Id("o").Dot("AccessName"), jen.Lit(""), jen.Lit("/"), jen.Qual("time", "Unix").Call(jen.Lit(0), jen.Lit(0))),
			cookie(jen.Id("o").Dot("RefreshName"), jen.Lit(""), jen.Id("o").Dot("RefreshPath"), jen.Qual("time", "Unix").Call(jen.Lit(0), jen.Lit(0))),
		)).Block(
			jen.Id("ck").Dot("MaxAge").Op("=").Lit(-1),
			jen.Id("c").Dot("SetCookie").Call(jen.Id("ck")),
		),
	)
	f.Line()
}

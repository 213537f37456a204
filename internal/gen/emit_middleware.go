package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/internal/spec"
)

// adapterFile is the generated file of each HTTP adapter. Echo v4 keeps
// middleware.go, its name from before the `http` key existed.
var adapterFile = map[spec.Adapter]string{
	spec.AdapterNetHTTP: "middleware_nethttp.go",
	spec.AdapterEcho4:   "middleware.go",
	spec.AdapterEcho5:   "middleware_echo5.go",
}

// echoFlavor is what differs between the Echo v4 and v5 adapters.
type echoFlavor struct {
	adapter spec.Adapter
	path    string // import path of echo
	mwPath  string // import path of echo's middleware package
	pointer bool   // the handler's context is *echo.Context (v5), not echo.Context (v4)
}

var (
	echo4Flavor = echoFlavor{adapter: spec.AdapterEcho4, path: echoPath, mwPath: echoMWPath}
	echo5Flavor = echoFlavor{adapter: spec.AdapterEcho5, path: echo5Path, mwPath: echo5MWPath, pointer: true}
)

// httpConfig renders the runtime.HTTPConfig built from an adapter's config.
func httpConfig() jen.Code {
	return jen.Qual(runtimePath, "HTTPConfig").Types(jen.Id("Token")).Values(jen.Dict{
		jen.Id("Optional"):       jen.Id("cfg").Dot("Optional"),
		jen.Id("Realm"):          jen.Id("cfg").Dot("Realm"),
		jen.Id("TrustedOrigins"): jen.Id("cfg").Dot("TrustedOrigins"),
		jen.Id("DisableCSRF"):    jen.Id("cfg").Dot("DisableCSRF"),
		jen.Id("Cookies"):        jen.Id("cfg").Dot("Cookies"),
	})
}

// configFields are the framework-free fields of every adapter's config.
func configFields() []jen.Code {
	return []jen.Code{
		jen.Comment("Optional lets requests without any credential through without a token;"),
		jen.Comment("a presented but invalid credential is still refused."),
		jen.Id("Optional").Bool(),
	}
}

// commonConfigTail are the config fields after ErrorHandler.
func commonConfigTail(setter string) []jen.Code {
	return []jen.Code{
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
		jen.Comment("use the options given to " + setter + "."),
		jen.Id("Cookies").Id("CookieOptions"),
	}
}

// emitEcho renders the Echo adapter of flavor e (middleware.go for v4,
// middleware_echo5.go for v5): the middleware, the typed accessor,
// context-based permissions and cookie helpers.
func (m *goModel) emitEcho(f *jen.File, e echoFlavor) {
	n := func(base string) string { return m.spec.AdapterName(e.adapter, base) }
	echoCtx := func() *jen.Statement {
		if e.pointer {
			return jen.Op("*").Qual(e.path, "Context")
		}
		return jen.Qual(e.path, "Context")
	}
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }
	errFn := "echo4Error"
	if e.pointer {
		errFn = "echo5Error"
	}
	cfgT, mw, mwc, httpErr, tokenFrom, require := n("MiddlewareConfig"), n("Middleware"), n("MiddlewareWithConfig"), n("HTTPError"), n("TokenFrom"), n("Require")
	setCookies, clearCookies := n("SetTokenCookies"), n("ClearTokenCookies")
	req := func() *jen.Statement { return jen.Id("c").Dot("Request").Call() }

	f.Comment(cfgT + " configures the Echo middleware, following Echo's own middleware.")
	f.Type().Id(cfgT).Struct(append(append(append([]jen.Code{
		jen.Comment("Skipper skips authentication for a request when it returns true."),
		jen.Id("Skipper").Qual(e.mwPath, "Skipper"),
	}, configFields()...),
		jen.Comment("ErrorHandler, if set, answers a failed authentication instead of the default"),
		jen.Comment("(an *echo.HTTPError with the RFC 6750 status and WWW-Authenticate header)."),
		jen.Id("ErrorHandler").Func().Params(echoCtx(), jen.Error()).Error(),
	), commonConfigTail(setCookies)...)...)
	f.Line()

	f.Comment(mw + " authenticates every request by header or cookie with the default config.")
	recv().Id(mw).Params().Qual(e.path, "MiddlewareFunc").Block(
		jen.List(jen.Id("mw"), jen.Err()).Op(":=").Id("s").Dot(mwc).Call(jen.Id(cfgT).Values()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())).Comment("unreachable: the default config is valid"),
		jen.Return(jen.Id("mw")),
	)
	f.Line()

	f.Comment(mwc + " returns the authentication middleware. A missing credential is")
	f.Comment("a 401 (unless Optional), a bad one a 401 invalid_token, a malformed header a 400, a")
	f.Comment("cross-origin cookie-authenticated unsafe request a 403, and a database outage a 503")
	f.Comment("with Retry-After — never a 401; a 500 is logged with its cause through the")
	f.Comment("Service's logger. The token is available through " + tokenFrom + ", and through FromContext")
	f.Comment("on the request's context (for net/http handlers mounted with echo.WrapHandler).")
	recv().Id(mwc).Params(jen.Id("cfg").Id(cfgT)).Params(jen.Qual(e.path, "MiddlewareFunc"), jen.Error()).Block(
		jen.List(jen.Id("a"), jen.Err()).Op(":=").Id("s").Dot("httpAuth").Call(httpConfig()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Func().Params(jen.Id("next").Qual(e.path, "HandlerFunc")).Qual(e.path, "HandlerFunc").Block(
			jen.Return(jen.Func().Params(jen.Id("c").Add(echoCtx())).Error().Block(
				jen.If(jen.Id("cfg").Dot("Skipper").Op("!=").Nil().Op("&&").Id("cfg").Dot("Skipper").Call(jen.Id("c"))).Block(jen.Return(jen.Id("next").Call(jen.Id("c")))),
				jen.List(jen.Id("tok"), jen.Id("ok"), jen.Err()).Op(":=").Id("a").Dot("Authenticate").Call(jen.Id("c").Dot("Response").Call(), req()),
				jen.If(jen.Err().Op("!=").Nil()).Block(
					jen.If(jen.Id("cfg").Dot("ErrorHandler").Op("!=").Nil()).Block(jen.Return(jen.Id("cfg").Dot("ErrorHandler").Call(jen.Id("c"), jen.Err()))),
					jen.Return(jen.Id(errFn).Call(jen.Id("c"), jen.Id("a").Dot("Challenge").Call(req(), jen.Err()), jen.Err())),
				),
				jen.Comment("The request's context is the token's one home: "+tokenFrom+" reads it there."),
				jen.If(jen.Id("ok")).Block(
					jen.Id("c").Dot("SetRequest").Call(req().Dot("WithContext").Call(jen.Id("NewContext").Call(req().Dot("Context").Call(), jen.Id("tok")))),
				),
				jen.Return(jen.Id("next").Call(jen.Id("c"))),
			)),
		), jen.Nil()),
	)
	f.Line()

	f.Comment(httpErr + " turns an authentication error into the *echo.HTTPError the middleware")
	f.Comment("returns: RFC 6750 status, message and WWW-Authenticate / Retry-After headers.")
	f.Comment("A 500 (an error that is neither a refusal nor an outage) is logged with its cause")
	f.Comment("through slog.Default() (the middleware logs through the Service's logger).")
	f.Func().Id(httpErr).Params(jen.Id("c").Add(echoCtx()), jen.Id("realm").String(), jen.Err().Error()).Error().Block(
		jen.Return(jen.Id(errFn).Call(jen.Id("c"), jen.Qual(runtimePath, "ChallengeLogged").Call(req(), jen.Id("realm"), jen.Err(), jen.Nil()), jen.Err())),
	)
	f.Line()

	f.Comment(errFn + " sets the headers of ch and returns it as an *echo.HTTPError wrapping err.")
	var wrapped jen.Code
	if e.pointer {
		wrapped = jen.Qual(e.path, "NewHTTPError").Call(jen.Id("ch").Dot("Status"), jen.Id("ch").Dot("Message")).Dot("Wrap").Call(jen.Err())
	} else {
		wrapped = jen.Qual(e.path, "NewHTTPError").Call(jen.Id("ch").Dot("Status"), jen.Id("ch").Dot("Message")).Dot("SetInternal").Call(jen.Err())
	}
	f.Func().Id(errFn).Params(jen.Id("c").Add(echoCtx()), jen.Id("ch").Qual(runtimePath, "Challenge"), jen.Err().Error()).Error().Block(
		jen.Id("ch").Dot("SetHeaders").Call(jen.Id("c").Dot("Response").Call().Dot("Header").Call()),
		jen.Return(wrapped),
	)
	f.Line()

	f.Comment(tokenFrom + " returns the token the middleware authenticated, if any: the one in the")
	f.Comment("request's context, where every middleware of this package stores it (FromContext).")
	f.Func().Id(tokenFrom).Params(jen.Id("c").Add(echoCtx())).Params(jen.Id("Token"), jen.Bool()).Block(
		jen.Return(jen.Id("FromContext").Call(req().Dot("Context").Call())),
	)
	f.Line()

	f.Comment(require + " allows a request only when it is authenticated (else 401) and allow")
	f.Comment("accepts its token (else 403): context-based permissions. allow reads the request's")
	f.Comment("own token and must not modify it, e.g.")
	f.Comment(require + "(func(t *Token) bool { return t.Context.BetaFeatures }).")
	f.Func().Id(require).Params(jen.Id("allow").Func().Params(jen.Op("*").Id("Token")).Bool()).Qual(e.path, "MiddlewareFunc").Block(
		jen.Return(jen.Func().Params(jen.Id("next").Qual(e.path, "HandlerFunc")).Qual(e.path, "HandlerFunc").Block(
			jen.Return(jen.Func().Params(jen.Id("c").Add(echoCtx())).Error().Block(
				jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("tokenFromContext").Call(req().Dot("Context").Call()),
				jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id(httpErr).Call(jen.Id("c"), jen.Lit(""), jen.Op("&").Qual(runtimePath, "AuthError").Values(jen.Dict{jen.Id("Reason"): jen.Qual(runtimePath, "ReasonMissing")})))),
				jen.If(jen.Op("!").Id("allow").Call(jen.Id("t"))).Block(jen.Return(jen.Qual(e.path, "NewHTTPError").Call(jen.Qual("net/http", "StatusForbidden"), jen.Lit("forbidden")))),
				jen.Return(jen.Id("next").Call(jen.Id("c"))),
			)),
		)),
	)
	f.Line()

	f.Comment(setCookies + " sets the access cookie (Path=/) and, when there is one, the refresh")
	f.Comment("cookie scoped to RefreshPath; both HttpOnly, Secure and SameSite=Strict by default.")
	recv().Id(setCookies).Params(jen.Id("c").Add(echoCtx()), jen.Id("iss").Id("Issued"), jen.Id("o").Id("CookieOptions")).Block(
		jen.Qual(runtimePath, "WriteTokenCookies").Call(jen.Id("c").Dot("Response").Call(), jen.Id("s").Dot("cookieOptions").Call(jen.Id("o")), jen.Id("iss")),
	)
	f.Line()
	f.Comment(clearCookies + " expires both cookies (logout).")
	recv().Id(clearCookies).Params(jen.Id("c").Add(echoCtx()), jen.Id("o").Id("CookieOptions")).Block(
		jen.Qual(runtimePath, "WriteClearCookies").Call(jen.Id("c").Dot("Response").Call(), jen.Id("s").Dot("cookieOptions").Call(jen.Id("o"))),
	)
	f.Line()
}

// emitNetHTTP renders middleware_nethttp.go: the net/http middleware,
// context-based permissions, error answers and cookie helpers.
func (m *goModel) emitNetHTTP(f *jen.File) {
	n := func(base string) string { return m.spec.AdapterName(spec.AdapterNetHTTP, base) }
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }
	h := func(name string) *jen.Statement { return jen.Qual("net/http", name) }
	mwT := func() *jen.Statement { return jen.Func().Params(h("Handler")).Add(h("Handler")) }
	cfgT, handler, hwc, require, writeErr := n("HandlerConfig"), n("Handler"), n("HandlerWithConfig"), n("Require"), n("WriteError")
	setCookies, clearCookies := n("WriteTokenCookies"), n("WriteClearTokenCookies")
	wr := func() []jen.Code {
		return []jen.Code{jen.Id("w").Add(h("ResponseWriter")), jen.Id("r").Op("*").Add(h("Request"))}
	}

	f.Comment(cfgT + " configures the net/http middleware.")
	f.Type().Id(cfgT).Struct(append(append(append([]jen.Code{
		jen.Comment("Skipper skips authentication for a request when it returns true."),
		jen.Id("Skipper").Func().Params(jen.Op("*").Add(h("Request"))).Bool(),
	}, configFields()...),
		jen.Comment("ErrorHandler, if set, answers a failed authentication instead of the default"),
		jen.Comment("("+writeErr+": the RFC 6750 status and headers, and a JSON body {\"message\": \"...\"})."),
		jen.Id("ErrorHandler").Func().Params(h("ResponseWriter"), jen.Op("*").Add(h("Request")), jen.Error()),
	), commonConfigTail(setCookies)...)...)
	f.Line()

	f.Comment(handler + " authenticates every request to next by header or cookie with the default")
	f.Comment("config, e.g. mux.Handle(\"GET /me\", svc." + handler + "(me)).")
	recv().Id(handler).Params(jen.Id("next").Add(h("Handler"))).Add(h("Handler")).Block(
		jen.List(jen.Id("mw"), jen.Err()).Op(":=").Id("s").Dot(hwc).Call(jen.Id(cfgT).Values()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Panic(jen.Err())).Comment("unreachable: the default config is valid"),
		jen.Return(jen.Id("mw").Call(jen.Id("next"))),
	)
	f.Line()

	f.Comment(hwc + " returns the authentication middleware, a func(http.Handler) http.Handler")
	f.Comment("as chi, gorilla and most routers take. A missing credential is a 401 (unless")
	f.Comment("Optional), a bad one a 401 invalid_token, a malformed header a 400, a cross-origin")
	f.Comment("cookie-authenticated unsafe request a 403, and a database outage a 503 with")
	f.Comment("Retry-After — never a 401; a 500 is logged with its cause through the Service's")
	f.Comment("logger. The token is available through FromContext(r.Context()).")
	recv().Id(hwc).Params(jen.Id("cfg").Id(cfgT)).Params(mwT(), jen.Error()).Block(
		jen.List(jen.Id("a"), jen.Err()).Op(":=").Id("s").Dot("httpAuth").Call(httpConfig()),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Return(jen.Func().Params(jen.Id("next").Add(h("Handler"))).Add(h("Handler")).Block(
			jen.Return(h("HandlerFunc").Call(jen.Func().Params(wr()...).Block(
				jen.If(jen.Id("cfg").Dot("Skipper").Op("!=").Nil().Op("&&").Id("cfg").Dot("Skipper").Call(jen.Id("r"))).Block(
					jen.Id("next").Dot("ServeHTTP").Call(jen.Id("w"), jen.Id("r")), jen.Return()),
				jen.List(jen.Id("tok"), jen.Id("ok"), jen.Err()).Op(":=").Id("a").Dot("Authenticate").Call(jen.Id("w"), jen.Id("r")),
				jen.If(jen.Err().Op("!=").Nil()).Block(
					jen.If(jen.Id("cfg").Dot("ErrorHandler").Op("!=").Nil()).Block(
						jen.Id("cfg").Dot("ErrorHandler").Call(jen.Id("w"), jen.Id("r"), jen.Err()), jen.Return()),
					jen.Id("a").Dot("WriteError").Call(jen.Id("w"), jen.Id("r"), jen.Err()),
					jen.Return(),
				),
				jen.If(jen.Id("ok")).Block(
					jen.Id("r").Op("=").Id("r").Dot("WithContext").Call(jen.Id("NewContext").Call(jen.Id("r").Dot("Context").Call(), jen.Id("tok")))),
				jen.Id("next").Dot("ServeHTTP").Call(jen.Id("w"), jen.Id("r")),
			))),
		), jen.Nil()),
	)
	f.Line()

	f.Comment(writeErr + " answers an authentication error on w as the middleware does: the RFC 6750")
	f.Comment("status, WWW-Authenticate / Retry-After headers and a JSON body {\"message\": \"...\"}")
	f.Comment("(the shape of Echo's default error handler). A 500 (an error that is neither a")
	f.Comment("refusal nor an outage) is logged with its cause through slog.Default() (the")
	f.Comment("middleware logs through the Service's logger).")
	f.Func().Id(writeErr).Params(append(wr(), jen.Id("realm").String(), jen.Err().Error())...).Block(
		jen.Qual(runtimePath, "WriteChallenge").Call(jen.Id("w"), jen.Qual(runtimePath, "ChallengeLogged").Call(jen.Id("r"), jen.Id("realm"), jen.Err(), jen.Nil())),
	)
	f.Line()

	f.Comment(require + " allows a request only when it is authenticated (else 401) and allow")
	f.Comment("accepts its token (else 403): context-based permissions. allow reads the request's")
	f.Comment("own token and must not modify it, e.g.")
	f.Comment("svc.Handler(" + require + "(func(t *Token) bool { return t.Context.BetaFeatures })(h)).")
	f.Func().Id(require).Params(jen.Id("allow").Func().Params(jen.Op("*").Id("Token")).Bool()).Add(mwT()).Block(
		jen.Return(jen.Func().Params(jen.Id("next").Add(h("Handler"))).Add(h("Handler")).Block(
			jen.Return(h("HandlerFunc").Call(jen.Func().Params(wr()...).Block(
				jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("tokenFromContext").Call(jen.Id("r").Dot("Context").Call()),
				jen.If(jen.Op("!").Id("ok")).Block(
					jen.Id(writeErr).Call(jen.Id("w"), jen.Id("r"), jen.Lit(""), jen.Op("&").Qual(runtimePath, "AuthError").Values(jen.Dict{jen.Id("Reason"): jen.Qual(runtimePath, "ReasonMissing")})),
					jen.Return()),
				jen.If(jen.Op("!").Id("allow").Call(jen.Id("t"))).Block(
					jen.Qual(runtimePath, "WriteChallenge").Call(jen.Id("w"), jen.Qual(runtimePath, "Forbidden").Call()),
					jen.Return()),
				jen.Id("next").Dot("ServeHTTP").Call(jen.Id("w"), jen.Id("r")),
			))),
		)),
	)
	f.Line()

	f.Comment(setCookies + " sets the access cookie (Path=/) and, when there is one, the refresh")
	f.Comment("cookie scoped to RefreshPath; both HttpOnly, Secure and SameSite=Strict by default.")
	recv().Id(setCookies).Params(jen.Id("w").Add(h("ResponseWriter")), jen.Id("iss").Id("Issued"), jen.Id("o").Id("CookieOptions")).Block(
		jen.Qual(runtimePath, "WriteTokenCookies").Call(jen.Id("w"), jen.Id("s").Dot("cookieOptions").Call(jen.Id("o")), jen.Id("iss")),
	)
	f.Line()
	f.Comment(clearCookies + " expires both cookies (logout).")
	recv().Id(clearCookies).Params(jen.Id("w").Add(h("ResponseWriter")), jen.Id("o").Id("CookieOptions")).Block(
		jen.Qual(runtimePath, "WriteClearCookies").Call(jen.Id("w"), jen.Id("s").Dot("cookieOptions").Call(jen.Id("o"))),
	)
	f.Line()
}

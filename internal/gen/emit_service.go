package gen

import (
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/runtime"
)

// durationCode renders a settings duration: runtime.Never or a literal.
func durationCode(d time.Duration) jen.Code {
	if d == runtime.Never {
		return jen.Qual(runtimePath, "Never")
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}} {
		if d%u.unit == 0 {
			return jen.Lit(int(d/u.unit)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Qual("time", "Duration").Call(jen.Lit(int64(d)))
}

func stringsCode(ss []string) jen.Code {
	vals := make([]jen.Code, len(ss))
	for i, s := range ss {
		vals[i] = jen.Lit(s)
	}
	return jen.Index().String().Values(vals...)
}

// emitService renders service.go: the typed façade over runtime.Engine.
func (m *goModel) emitService(f *jen.File) {
	s := m.spec
	rt := func(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }
	eng := func() *jen.Statement { return jen.Id("s").Dot("eng") }
	st := s.Settings

	f.Comment("Prefix starts every token of this package: " + s.Token.Prefix + "_at_… and " + s.Token.Prefix + "_rt_….")
	f.Const().Id("Prefix").Op("=").Lit(s.Token.Prefix)
	f.Line()
	f.Comment("DefaultSettings returns the settings of " + m.source + "; override them with WithSettings.")
	f.Func().Id("DefaultSettings").Params().Add(rt("Settings")).Block(
		jen.Return(rt("Settings").Values(settingsDict(st))),
	)
	f.Line()

	if m.pg {
		f.Comment("DB is what the Service needs from PostgreSQL: *pgxpool.Pool and *pgx.Conn satisfy it.")
		f.Type().Id("DB").Interface(
			jen.Qual(m.dbPath, "DBTX"),
			jen.Id("Begin").Params(jen.Qual("context", "Context")).Params(jen.Qual(pgxPath, "Tx"), jen.Error()),
		)
		f.Line()
	}

	f.Comment("PostAuthFunc is a hook that runs after a request authenticated. It may return")
	f.Comment("an enriched or replaced token, or an error to refuse the request (401).")
	f.Type().Id("PostAuthFunc").Func().Params(jen.Id("r").Op("*").Qual("net/http", "Request"), jen.Id("tok").Id("Token")).Params(jen.Id("Token"), jen.Error())
	f.Line()

	f.Comment("Issued is the result of issuing or refreshing a token. AccessToken and")
	f.Comment("RefreshToken are runtime.Secret values: call Reveal to send them to the client;")
	f.Comment("they never print.")
	f.Type().Id("Issued").Op("=").Add(rt("Issued")).Types(jen.Id("Token"))
	f.Line()

	f.Type().Id("options").Struct(
		jen.Id("settings").Add(rt("Settings")),
		jen.Id("now").Func().Params().Qual("time", "Time"),
		jen.Id("postAuth").Id("PostAuthFunc"),
		jen.Id("postAutoRefresh").Id("PostAuthFunc"),
		jen.Id("hooks").Add(rt("Hooks")).Types(jen.Id("Token")),
		jen.Id("logger").Op("*").Qual("log/slog", "Logger"),
	)
	f.Line()
	f.Comment("Option configures a Service.")
	f.Type().Id("Option").Func().Params(jen.Op("*").Id("options"))
	f.Line()
	option := func(doc, name string, params []jen.Code, body jen.Code) {
		comment(f, doc)
		f.Func().Id(name).Params(params...).Id("Option").Block(
			jen.Return(jen.Func().Params(jen.Id("o").Op("*").Id("options")).Block(body)))
		f.Line()
	}
	option("WithSettings replaces the settings (start from DefaultSettings()).", "WithSettings",
		[]jen.Code{jen.Id("v").Add(rt("Settings"))}, jen.Id("o").Dot("settings").Op("=").Id("v"))
	option("WithClock sets the clock used for every expiry decision (tests).", "WithClock",
		[]jen.Code{jen.Id("now").Func().Params().Qual("time", "Time")}, jen.Id("o").Dot("now").Op("=").Id("now"))
	option("WithLogger sets the logger of the Service (default slog.Default()): New logs the settings\n// in force through it once (secret_key redacted) and warns about weak choices.", "WithLogger",
		[]jen.Code{jen.Id("l").Op("*").Qual("log/slog", "Logger")}, jen.Id("o").Dot("logger").Op("=").Id("l"))
	option("WithPostAuth runs f after every successful request authentication.", "WithPostAuth",
		[]jen.Code{jen.Id("f").Id("PostAuthFunc")}, jen.Id("o").Dot("postAuth").Op("=").Id("f"))
	option("WithPostAutoRefresh runs f after an auto-refresh slid a token's expiry, before PostAuth.", "WithPostAutoRefresh",
		[]jen.Code{jen.Id("f").Id("PostAuthFunc")}, jen.Id("o").Dot("postAutoRefresh").Op("=").Id("f"))
	option("WithOnRevoke runs f after every revocation that touched rows.", "WithOnRevoke",
		[]jen.Code{jen.Id("f").Func().Params(jen.Qual("context", "Context"), rt("RevokeEvent"))}, jen.Id("o").Dot("hooks").Dot("OnRevoke").Op("=").Id("f"))
	option("WithOnReuseDetected runs f when a rotated refresh token is replayed after the\n// grace window (likely theft); the session is already revoked.", "WithOnReuseDetected",
		[]jen.Code{jen.Id("f").Func().Params(jen.Qual("context", "Context"), jen.Id("Token"))}, jen.Id("o").Dot("hooks").Dot("OnReuseDetected").Op("=").Id("f"))

	f.Comment("IssueOption adjusts one issued or refreshed token.")
	f.Type().Id("IssueOption").Func().Params(jen.Op("*").Id("issueOptions"))
	f.Type().Id("issueOptions").Struct(
		jen.Id("ttl").Add(rt("IssueOptions")),
		jen.Id("columns").Id("Columns"),
	)
	f.Line()
	issueOpt := func(doc, name string, param jen.Code, body jen.Code) {
		comment(f, doc)
		f.Func().Id(name).Params(param).Id("IssueOption").Block(
			jen.Return(jen.Func().Params(jen.Id("o").Op("*").Id("issueOptions")).Block(body)))
		f.Line()
	}
	issueOpt("WithAccessTTL overrides token_ttl for one token (runtime.Never: no expiry of its own;\n// auto_refresh_max_ttl still ends the session).", "WithAccessTTL",
		jen.Id("d").Qual("time", "Duration"), jen.Id("o").Dot("ttl").Dot("AccessTTL").Op("=").Id("d"))
	issueOpt("WithRefreshTTL overrides refresh_token_ttl for one token (runtime.Never: no refresh token).", "WithRefreshTTL",
		jen.Id("d").Qual("time", "Duration"), jen.Id("o").Dot("ttl").Dot("RefreshTTL").Op("=").Id("d"))
	issueOpt("WithColumns sets custom columns of an issued token.", "WithColumns",
		jen.Id("c").Id("Columns"), jen.Id("o").Dot("columns").Op("=").Id("c"))

	f.Comment("Service issues, verifies, refreshes and revokes tokens. It is safe for concurrent use.")
	svcFields := []jen.Code{
		jen.Id("eng").Op("*").Add(rt("Engine")).Types(jen.Id("Token"), jen.Id("UserID"), jen.Id("payload")),
	}
	if m.pg {
		svcFields = append(svcFields, jen.Id("db").Id("DB"), jen.Id("q").Op("*").Qual(m.dbPath, "Queries"))
	}
	svcFields = append(svcFields, jen.Id("opts").Id("options"))
	if m.lite {
		doc := "lite is the SQLite store of a Service made by NewSQLite."
		if m.pg {
			doc = "lite is the SQLite store of a Service made by NewSQLite (db and q are nil then)."
		}
		svcFields = append(svcFields, jen.Comment(doc), jen.Id("lite").Op("*").Id("liteStore"))
	}
	f.Type().Id("Service").Struct(svcFields...)
	f.Line()
	m.emitNewService(f)
	if m.pg {
		m.emitNew(f)
	}
	f.Comment("Settings returns the validated settings in force.")
	recv().Id("Settings").Params().Add(rt("Settings")).Block(jen.Return(eng().Dot("Settings").Call()))
	f.Line()
	m.emitListenCache(f)
	m.emitServiceFlows(f)
}

// emitNew emits New, the constructor over PostgreSQL.
func (m *goModel) emitNew(f *jen.File) {
	f.Comment("New returns a Service over pool. Settings are validated; an invalid setting is an error.")
	f.Comment("It logs the settings in force once (see WithLogger), warning about weak choices.")
	f.Comment("New does not touch the database: call Migrate (or CheckSchema) at start-up.")
	f.Func().Id("New").Params(jen.Id("pool").Id("DB"), jen.Id("opts").Op("...").Id("Option")).Params(jen.Op("*").Id("Service"), jen.Error()).Block(
		jen.If(jen.Qual(runtimePath, "IsNil").Call(jen.Id("pool"))).Block(jen.Return(jen.Nil(), jen.Qual("errors", "New").Call(jen.Lit("authentify: New: nil database pool (check the error of pgxpool.New)")))),
		// The queries reuse pgx's scan plans across calls (see runtime/pgxrow).
		jen.Id("q").Op(":=").Qual(m.dbPath, "New").Call(jen.Qual(runtimePath+"/pgxrow", "CachePlans").Call(jen.Id("pool"))),
		jen.List(jen.Id("svc"), jen.Err()).Op(":=").Id("newService").Call(
			jen.Op("&").Id("store").Values(jen.Dict{jen.Id("db"): jen.Id("pool"), jen.Id("q"): jen.Id("q")}),
			jen.Id("newOptions").Call(jen.Id("opts")), jen.Id("lookupConcurrency").Call(jen.Id("pool"))),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.List(jen.Id("svc").Dot("db"), jen.Id("svc").Dot("q")).Op("=").List(jen.Id("pool"), jen.Id("q")),
		jen.Return(jen.Id("svc"), jen.Nil()),
	)
	f.Line()
	f.Comment("lookupConcurrency is how many token lookups may run at once before further ones")
	f.Comment("wait and share one statement (lookup_batch_size): the MaxConns of a *pgxpool.Pool.")
	f.Comment("Over any other DB (a single *pgx.Conn…) every lookup runs its own statement.")
	f.Func().Id("lookupConcurrency").Params(jen.Id("d").Id("DB")).Int().Block(
		jen.If(jen.List(jen.Id("p"), jen.Id("ok")).Op(":=").Id("d").Assert(jen.Interface(jen.Id("Config").Params().Op("*").Qual("github.com/jackc/pgx/v5/pgxpool", "Config"))), jen.Id("ok")).Block(
			jen.Return(jen.Int().Call(jen.Id("p").Dot("Config").Call().Dot("MaxConns")))),
		jen.Return(jen.Lit(0)),
	)
	f.Line()
}

// emitNewService emits newOptions and newService, what every constructor
// (New, NewSQLite) shares.
func (m *goModel) emitNewService(f *jen.File) {
	rt := func(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
	f.Comment("newOptions applies opts to the defaults.")
	f.Func().Id("newOptions").Params(jen.Id("opts").Index().Id("Option")).Id("options").Block(
		jen.Id("o").Op(":=").Id("options").Values(jen.Dict{jen.Id("settings"): jen.Id("DefaultSettings").Call()}),
		jen.For(jen.List(jen.Id("_"), jen.Id("opt")).Op(":=").Range().Id("opts")).Block(jen.Id("opt").Call(jen.Op("&").Id("o"))),
		jen.Return(jen.Id("o")),
	)
	f.Line()
	f.Comment("newService returns a Service whose engine runs over st (its settings validated),")
	f.Comment("and logs the settings in force once. lookups is how many token lookups may run at")
	f.Comment("once before further ones share a statement (0: no batching).")
	f.Func().Id("newService").Params(jen.Id("st").Add(rt("Store")).Types(jen.Id("Token"), jen.Id("UserID"), jen.Id("payload")), jen.Id("o").Id("options"), jen.Id("lookups").Int()).Params(jen.Op("*").Id("Service"), jen.Error()).Block(
		jen.List(jen.Id("eng"), jen.Err()).Op(":=").Add(rt("NewEngine")).Types(jen.Id("Token"), jen.Id("UserID"), jen.Id("payload")).Call(
			jen.Id("st"),
			rt("Config").Types(jen.Id("Token")).Values(jen.Dict{
				jen.Id("Prefix"): jen.Id("Prefix"), jen.Id("Settings"): jen.Id("o").Dot("settings"),
				jen.Id("Now"): jen.Id("o").Dot("now"), jen.Id("Hooks"): jen.Id("o").Dot("hooks"),
				jen.Id("UserKey"): jen.Func().Params(jen.Id("t").Id("Token")).String().Block(
					jen.Return(rt("CacheUserKey").Call(jen.Id("t").Dot("UserID")))),
				jen.Id("LookupConcurrency"): jen.Id("lookups"),
			})),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.If(jen.Id("o").Dot("logger").Op("==").Nil()).Block(jen.Id("o").Dot("logger").Op("=").Qual("log/slog", "Default").Call()),
		rt("LogSettings").Call(jen.Qual("context", "Background").Call(), jen.Id("o").Dot("logger"), jen.Id("Prefix"), jen.Id("eng").Dot("Settings").Call()),
		jen.Return(jen.Op("&").Id("Service").Values(jen.Dict{jen.Id("eng"): jen.Id("eng"), jen.Id("opts"): jen.Id("o")}), jen.Nil()),
	)
	f.Line()
}

// emitServiceFlows emits the Service's methods over the engine.
func (m *goModel) emitServiceFlows(f *jen.File) {
	s := m.spec
	rt := func(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
	ctx := func() *jen.Statement { return jen.Id("ctx").Qual("context", "Context") }
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }
	eng := func() *jen.Statement { return jen.Id("s").Dot("eng") }

	issue := func(name, transport, doc string) {
		comment(f, doc)
		recv().Id(name).Params(ctx(), jen.Id("userID").Id("UserID"), jen.Id("c").Id("Context"), jen.Id("opts").Op("...").Id("IssueOption")).Params(jen.Id("Issued"), jen.Error()).Block(
			jen.Return(jen.Id("s").Dot("issue").Call(jen.Id("ctx"), jen.Id("userID"), rt(transport), jen.Id("c"), jen.Id("opts"))))
		f.Line()
	}
	issue("GenerateHeaderToken", "TransportHeader", "GenerateHeaderToken issues a session for the Authorization header: an access token,\n// a refresh token (unless refresh tokens are disabled) and the stored Token. The\n// context is completed with its defaults and validated (required fields).")
	issue("GenerateCookieToken", "TransportCookie", "GenerateCookieToken issues a session for cookies; see GenerateHeaderToken.")
	recv().Id("issue").Params(ctx(), jen.Id("userID").Id("UserID"), jen.Id("t").Add(rt("Transport")), jen.Id("c").Id("Context"), jen.Id("opts").Index().Id("IssueOption")).Params(jen.Id("Issued"), jen.Error()).Block(
		jen.Var().Id("o").Id("issueOptions"),
		jen.For(jen.List(jen.Id("_"), jen.Id("opt")).Op(":=").Range().Id("opts")).Block(jen.Id("opt").Call(jen.Op("&").Id("o"))),
		jen.Id("c").Op("=").Id("c").Dot("WithDefaults").Call(),
		jen.If(jen.Err().Op(":=").Id("c").Dot("Validate").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Issued").Values(), jen.Err())),
		jen.Return(eng().Dot("Issue").Call(jen.Id("ctx"), jen.Id("userID"), jen.Id("t"),
			jen.Id("payload").Values(jen.Dict{jen.Id("context"): jen.Id("c"), jen.Id("columns"): jen.Id("o").Dot("columns")}), jen.Id("o").Dot("ttl"))),
	)
	f.Line()

	f.Comment("VerifyToken returns the active token for raw presented over t (runtime.AnyTransport")
	f.Comment("skips the transport check). It never writes and runs no hooks. A refused token is a")
	f.Comment("*runtime.AuthError; a database failure matches runtime.ErrUnavailable.")
	recv().Id("VerifyToken").Params(ctx(), jen.Id("raw").String(), jen.Id("t").Add(rt("Transport"))).Params(jen.Id("Token"), jen.Error()).Block(
		jen.Return(eng().Dot("Verify").Call(jen.Id("ctx"), jen.Id("raw"), jen.Id("t"))))
	f.Line()

	f.Comment("AuthenticateRequest extracts every credential of r (Authorization header, then each")
	f.Comment("configured cookie), authenticates the first valid one, slides its expiry when an")
	f.Comment("auto-refresh is due and runs the hooks. It returns the token and the credential used.")
	recv().Id("AuthenticateRequest").Params(jen.Id("r").Op("*").Qual("net/http", "Request")).Params(jen.Id("Token"), rt("Credential"), jen.Error()).Block(
		jen.List(jen.Id("tok"), jen.Id("cred"), jen.Id("_"), jen.Err()).Op(":=").Qual(runtimePath, "AuthenticateRequest").Call(eng(), jen.Id("r"), jen.Nil(), jen.Id("s").Dot("requestHooks").Call()),
		jen.Return(jen.Id("tok"), jen.Id("cred"), jen.Err()),
	)
	f.Line()
	f.Comment("requestHooks are the PostAuth and PostAutoRefresh hooks of every request authentication.")
	recv().Id("requestHooks").Params().Add(rt("RequestHooks")).Types(jen.Id("Token")).Block(
		jen.Return(rt("RequestHooks").Types(jen.Id("Token")).Values(jen.Dict{
			jen.Id("PostAuth"):        jen.Id("s").Dot("opts").Dot("postAuth"),
			jen.Id("PostAutoRefresh"): jen.Id("s").Dot("opts").Dot("postAutoRefresh"),
		})),
	)
	f.Line()
	f.Comment("httpAuth returns the framework-free request authentication every HTTP adapter")
	f.Comment("runs: runtime.HTTPAuth over this Service's engine, hooks and logger.")
	recv().Id("httpAuth").Params(jen.Id("cfg").Add(rt("HTTPConfig")).Types(jen.Id("Token"))).Params(jen.Op("*").Add(rt("HTTPAuth")).Types(jen.Id("Token")), jen.Error()).Block(
		jen.Id("cfg").Dot("Cookies").Op("=").Id("s").Dot("cookieOptions").Call(jen.Id("cfg").Dot("Cookies")),
		jen.Id("cfg").Dot("Hooks").Op("=").Id("s").Dot("requestHooks").Call(),
		jen.Id("cfg").Dot("Logger").Op("=").Id("s").Dot("opts").Dot("logger"),
		jen.Id("cfg").Dot("Prefix").Op("=").Id("Prefix"),
		jen.Return(rt("NewHTTPAuth").Call(eng(), jen.Id("cfg"))),
	)
	f.Line()
	f.Comment("CookieOptions shape the token cookies set by the cookie helpers of every HTTP")
	f.Comment("adapter and re-sent by its middleware after an auto-refresh.")
	f.Type().Id("CookieOptions").Op("=").Add(rt("CookieOptions"))
	f.Line()
	f.Comment("cookieOptions returns o with its defaults under the Service's settings.")
	recv().Id("cookieOptions").Params(jen.Id("o").Id("CookieOptions")).Id("CookieOptions").Block(
		jen.Id("st").Op(":=").Add(eng()).Dot("Settings").Call(),
		jen.Return(jen.Id("o").Dot("WithDefaults").Call(jen.Op("&").Id("st"))),
	)
	f.Line()

	f.Comment("RefreshToken redeems a refresh token: both tokens rotate inside the same session")
	f.Comment("(id, context and creation time kept) and the old pair stops working. Exactly one")
	f.Comment("of several concurrent calls rotates; see runtime.Engine.Refresh for the grace")
	f.Comment("window and reuse detection.")
	f.Comment("It does not know how the token arrived, so it skips the transport restriction;")
	f.Comment("HTTP handlers should use RefreshTokenFrom.")
	recv().Id("RefreshToken").Params(ctx(), jen.Id("raw").String(), jen.Id("opts").Op("...").Id("IssueOption")).Params(jen.Id("Issued"), jen.Error()).Block(
		jen.Return(jen.Id("s").Dot("RefreshTokenFrom").Call(jen.Id("ctx"), jen.Id("raw"), rt("AnyTransport"), jen.Id("opts").Op("..."))),
	)
	f.Line()
	f.Comment("RefreshTokenFrom is RefreshToken for a refresh token that arrived over t:")
	f.Comment("runtime.TransportHeader for a request body (the header flow), runtime.TransportCookie")
	f.Comment("for the refresh cookie. With enable_auth_restriction a session's refresh token is")
	f.Comment("redeemed only over its own transport; otherwise it is refused (401, reason")
	f.Comment("wrong_transport) and the session is left as it was.")
	recv().Id("RefreshTokenFrom").Params(ctx(), jen.Id("raw").String(), jen.Id("t").Add(rt("Transport")), jen.Id("opts").Op("...").Id("IssueOption")).Params(jen.Id("Issued"), jen.Error()).Block(
		jen.Var().Id("o").Id("issueOptions"),
		jen.For(jen.List(jen.Id("_"), jen.Id("opt")).Op(":=").Range().Id("opts")).Block(jen.Id("opt").Call(jen.Op("&").Id("o"))),
		jen.Return(eng().Dot("RefreshOver").Call(jen.Id("ctx"), jen.Id("raw"), jen.Id("t"), jen.Id("o").Dot("ttl"))),
	)
	f.Line()

	revoke := func(doc, name string, params []jen.Code, target jen.Dict, reason string, countOnly bool) {
		comment(f, doc)
		ret := jen.Params(jen.Int64(), jen.Error())
		call := eng().Dot("Revoke").Call(jen.Id("ctx"), rt("Target").Types(jen.Id("UserID")).Values(target), rt(reason))
		var body []jen.Code
		if countOnly {
			body = []jen.Code{jen.Return(call)}
		} else {
			ret = jen.Error()
			body = []jen.Code{jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Return(jen.Err())}
		}
		recv().Id(name).Params(append([]jen.Code{ctx()}, params...)...).Add(ret).Block(body...)
		f.Line()
	}
	uid := jen.Id("userID").Id("UserID")
	revoke("RevokeToken revokes one token (logout). Per keep_expired_tokens the row is kept with\n// revoked_at set, or deleted. It returns runtime.ErrNotFound if the token is gone.",
		"RevokeToken", []jen.Code{jen.Id("tok").Id("Token")},
		jen.Dict{jen.Id("Scope"): rt("ScopeToken"), jen.Id("ID"): jen.Id("tok").Dot("ID")}, "RevokedLogout", false)
	revoke("RevokeAllUserTokens revokes every token of the user (logout everywhere) and returns how many.",
		"RevokeAllUserTokens", []jen.Code{uid},
		jen.Dict{jen.Id("Scope"): rt("ScopeUser"), jen.Id("UserID"): jen.Id("userID")}, "RevokedLogoutAll", true)
	revoke("RevokeAllExpiredUserTokens revokes the user's sessions that are over (access token\n// expired and no open refresh window) and returns how many.",
		"RevokeAllExpiredUserTokens", []jen.Code{uid.Clone()},
		jen.Dict{jen.Id("Scope"): rt("ScopeUserExpired"), jen.Id("UserID"): jen.Id("userID")}, "RevokedExpired", true)
	revoke("RevokeExpiredTokens revokes every session that is over, in batches, and returns how\n// many. Run it from a scheduled job, never on the request path.",
		"RevokeExpiredTokens", nil,
		jen.Dict{jen.Id("Scope"): rt("ScopeExpired")}, "RevokedExpired", true)
	revoke("RevokeSession revokes the user's session id. It returns runtime.ErrNotFound when the\n// session does not exist or is not the user's.",
		"RevokeSession", []jen.Code{uid.Clone(), jen.Id("id").Int64()},
		jen.Dict{jen.Id("Scope"): rt("ScopeSession"), jen.Id("ID"): jen.Id("id"), jen.Id("UserID"): jen.Id("userID")}, "RevokedLogout", false)
	revoke("RevokeOtherSessions revokes every session of the user except keepID and returns how many.\n// When keepID is not one of the user's sessions it revokes nothing and returns\n// runtime.ErrNotFound (one statement).",
		"RevokeOtherSessions", []jen.Code{uid.Clone(), jen.Id("keepID").Int64()},
		jen.Dict{jen.Id("Scope"): rt("ScopeUserOthers"), jen.Id("ID"): jen.Id("keepID"), jen.Id("UserID"): jen.Id("userID")}, "RevokedLogoutAll", true)

	f.Comment("PurgeTokens deletes, in batches, the rows revoked or whose session was over more")
	f.Comment("than olderThan ago, whatever keep_expired_tokens says: the retention job for audit")
	f.Comment("rows. It returns how many rows it deleted.")
	recv().Id("PurgeTokens").Params(ctx(), jen.Id("olderThan").Qual("time", "Duration")).Params(jen.Int64(), jen.Error()).Block(
		jen.Return(eng().Dot("Purge").Call(jen.Id("ctx"), eng().Dot("Now").Call().Dot("Add").Call(jen.Op("-").Id("olderThan")))))
	f.Line()

	f.Comment("ListSessions returns a page of the user's live sessions, newest first: at most limit")
	f.Comment("(0: all) after the cursor (the zero runtime.SessionCursor: from the newest). next is")
	f.Comment("the cursor of the following page, zero when there is none; it survives in a URL as")
	f.Comment("next.String(), read back with runtime.ParseSessionCursor.")
	recv().Id("ListSessions").Params(ctx(), uid.Clone(), jen.Id("limit").Int(), jen.Id("after").Add(rt("SessionCursor"))).Params(jen.Id("page").Index().Id("Token"), jen.Id("next").Add(rt("SessionCursor")), jen.Err().Error()).Block(
		jen.Return(eng().Dot("Sessions").Call(jen.Id("ctx"), jen.Id("userID"), jen.Id("limit"), jen.Id("after"))))
	f.Line()

	if len(s.Fields) > 0 {
		d := jen.Dict{jen.Id("ID"): jen.Id("id")}
		pre := []jen.Code{}
		for _, fl := range s.Fields {
			v := jen.Id("c").Dot(fl.GoName)
			if fl.Type == "enum" {
				name := "v" + fl.GoName
				pre = append(pre, jen.Var().Id(name).Op("*").String(),
					jen.If(v.Clone().Op("!=").Nil()).Block(
						jen.Id("x").Op(":=").String().Call(jen.Op("*").Add(v.Clone())),
						jen.Id(name).Op("=").Op("&").Id("x")))
				d[jen.Id(fl.GoName)] = jen.Id(name)
				continue
			}
			if selfNullable(fl.Type) {
				// A nil slice means "leave unchanged".
				d[jen.Id(fl.GoName)] = v
				continue
			}
			d[jen.Id(fl.GoName)] = v
		}
		var body []jen.Code
		if m.lite {
			lite := jen.Return(jen.Id("s").Dot("lite").Dot("updateColumns").Call(jen.Id("ctx"), jen.Id("id"), jen.Id("c")))
			if m.pg {
				lite = jen.If(jen.Id("s").Dot("lite").Op("!=").Nil()).Block(lite)
			}
			body = append(body, lite)
		}
		if m.pg {
			body = append(body, pre...)
			body = append(body,
				jen.List(jen.Id("row"), jen.Err()).Op(":=").Id("s").Dot("q").Dot("UpdateTokenColumns").Call(jen.Id("ctx"), jen.Qual(m.dbPath, "UpdateTokenColumnsParams").Values(d)),
				jen.Comment("The row changed: this instance's cache forgets it now (even on error: the"),
				jen.Comment("statement may have committed); the others learn it from the trigger."),
				eng().Dot("Cache").Call().Dot("InvalidateToken").Call(jen.Id("id")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Id("storeErr").Call(jen.Err()))),
				jen.Return(jen.Id("tokenFromRow").Call(jen.Id("tokenRow").Call(jen.Id("row")))),
			)
		}
		f.Comment("UpdateColumns sets the non-nil custom columns of a live token and returns it")
		f.Comment("(runtime.ErrNotFound when the token is gone or revoked). Use it from hooks, e.g.")
		f.Comment("to record the last IP a token was used from.")
		recv().Id("UpdateColumns").Params(ctx(), jen.Id("id").Int64(), jen.Id("c").Id("Columns")).Params(jen.Id("Token"), jen.Error()).Block(body...)
		f.Line()
	}
}

// emitListenCache emits Service.ListenCache, which runs runtime.ListenCache
// over a dedicated pgx connection, and its connection adapter.
func (m *goModel) emitListenCache(f *jen.File) {
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("Service")) }
	cache := func() *jen.Statement { return jen.Id("s").Dot("eng").Dot("Cache").Call() }
	pgxID := func(n string) *jen.Statement { return jen.Qual("github.com/jackc/pgx/v5", n) }
	f.Comment("Cache returns the Service's token cache: nil (a valid, disabled cache) when")
	f.Comment("cache_size is 0. Its Serving and Len report its state; ListenCache feeds it.")
	recv().Id("Cache").Params().Op("*").Add(jen.Qual(runtimePath, "Cache")).Types(jen.Id("Token")).Block(jen.Return(cache()))
	f.Line()
	if !m.pg {
		return // the cache needs PostgreSQL's LISTEN/NOTIFY
	}
	f.Comment("ListenCache keeps this Service's token cache (cache_size) in step with every change")
	f.Comment("of the token table, from every instance and path (manual SQL included), until ctx")
	f.Comment("is done; it then returns ctx's error. It listens on CacheChannel over a dedicated")
	f.Comment("connection opened with the configuration of the Service's *pgxpool.Pool or")
	f.Comment("*pgx.Conn. Run it in its own goroutine at start-up: the cache serves nothing until")
	f.Comment("the listener listens, and whenever its connection is lost the cache stands aside")
	f.Comment("(every request reads the database) until it is back and the cache was emptied.")
	f.Comment("Over a pool it also pings itself every second and stands aside the same way while")
	f.Comment("a ping takes longer than 3s to come back (a lagging listener).")
	f.Comment("Each connection also checks that the table's cache triggers exist and are enabled;")
	f.Comment("without them (dropped by hand) the cache keeps standing aside and the listener logs")
	f.Comment("the *runtime.SchemaError naming the trigger and its migration at every retry.")
	f.Comment("With the cache off it returns nil at once. New never starts it: New does not")
	f.Comment("touch the database.")
	recv().Id("ListenCache").Params(jen.Id("ctx").Qual("context", "Context")).Error().Block(
		jen.If(cache().Op("==").Nil()).Block(jen.Return(jen.Nil())),
		jen.Var().Id("cfg").Op("*").Add(pgxID("ConnConfig")),
		jen.Var().Id("hb").Op("*").Qual(runtimePath, "Heartbeat"),
		jen.Switch(jen.Id("source").Op(":=").Id("s").Dot("db").Assert(jen.Type())).Block(
			jen.Case(jen.Interface(jen.Id("Config").Params().Op("*").Qual("github.com/jackc/pgx/v5/pgxpool", "Config"))).Block(
				jen.Id("cfg").Op("=").Id("source").Dot("Config").Call().Dot("ConnConfig"),
				jen.Comment("Lag detection pings through the pool (a single *pgx.Conn is not shared)."),
				jen.Id("hb").Op("=").Op("&").Qual(runtimePath, "Heartbeat").Values(jen.Dict{
					jen.Id("Send"): jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("payload").String()).Error().Block(
						jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("s").Dot("db").Dot("Exec").Call(jen.Id("ctx"), jen.Lit("SELECT pg_notify($1, $2)"), jen.Id("CacheChannel"), jen.Id("payload")),
						jen.Return(jen.Err())),
					jen.Id("Every"):  jen.Qual("time", "Second"),
					jen.Id("MaxLag"): jen.Lit(3).Op("*").Qual("time", "Second"),
				})),
			jen.Case(jen.Interface(jen.Id("Config").Params().Op("*").Add(pgxID("ConnConfig")))).Block(
				jen.Id("cfg").Op("=").Id("source").Dot("Config").Call()),
			jen.Default().Block(jen.Return(jen.Qual("errors", "New").Call(jen.Lit("authentify: ListenCache: the Service's DB is neither a *pgxpool.Pool nor a *pgx.Conn, so there is no configuration to open the listener's connection with")))),
		),
		jen.Return(jen.Qual(runtimePath, "ListenCache").Call(jen.Id("ctx"), cache(),
			jen.Func().Params(jen.Id("ctx").Qual("context", "Context")).Params(jen.Qual(runtimePath, "ListenConn"), jen.Error()).Block(
				jen.List(jen.Id("conn"), jen.Err()).Op(":=").Add(pgxID("ConnectConfig")).Call(jen.Id("ctx"), jen.Id("cfg").Dot("Copy").Call()),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.If(jen.Err().Op(":=").Id("checkCacheTriggers").Call(jen.Id("ctx"), jen.Id("conn")), jen.Err().Op("!=").Nil()).Block(
					jen.Id("_").Op("=").Id("conn").Dot("Close").Call(jen.Id("ctx")),
					jen.Return(jen.Nil(), jen.Err())),
				jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("conn").Dot("Exec").Call(jen.Id("ctx"),
					jen.Lit("LISTEN ").Op("+").Add(pgxID("Identifier")).Values(jen.Id("CacheChannel")).Dot("Sanitize").Call()), jen.Err().Op("!=").Nil()).Block(
					jen.Id("_").Op("=").Id("conn").Dot("Close").Call(jen.Id("ctx")),
					jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("cacheListenConn").Values(jen.Id("conn")), jen.Nil()),
			), jen.Id("s").Dot("opts").Dot("logger"), jen.Id("hb"))),
	)
	f.Line()
	f.Comment("cacheListenConn adapts the listener's pgx connection to runtime.ListenConn.")
	f.Type().Id("cacheListenConn").Struct(jen.Op("*").Add(pgxID("Conn")))
	f.Line()
	f.Comment("WaitForNotification returns the payload of the next notification.")
	f.Func().Params(jen.Id("c").Id("cacheListenConn")).Id("WaitForNotification").Params(jen.Id("ctx").Qual("context", "Context")).Params(jen.String(), jen.Error()).Block(
		jen.List(jen.Id("n"), jen.Err()).Op(":=").Id("c").Dot("Conn").Dot("WaitForNotification").Call(jen.Id("ctx")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Lit(""), jen.Err())),
		jen.Return(jen.Id("n").Dot("Payload"), jen.Nil()),
	)
	f.Line()
}

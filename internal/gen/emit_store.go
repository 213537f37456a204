package gen

import (
	"github.com/dave/jennifer/jen"
)

// emitStore renders store.go: the runtime.Store implementation over the
// sqlc queries. It only converts types and runs one statement per method
// (Insert under single-login: one transaction).
func (m *goModel) emitStore(f *jen.File) {
	db := func(name string) *jen.Statement { return jen.Qual(m.dbPath, name) }
	rt := func(name string) *jen.Statement { return jen.Qual(runtimePath, name) }
	ctx := jen.Id("ctx").Qual("context", "Context")
	one := func(call jen.Code) []jen.Code {
		return []jen.Code{
			jen.List(jen.Id("row"), jen.Err()).Op(":=").Add(call),
			jen.Return(jen.Id("s").Dot("token").Call(jen.Id("tokenRow").Call(jen.Id("row")), jen.Err())),
		}
	}
	recv := func() *jen.Statement { return f.Func().Params(jen.Id("s").Op("*").Id("store")) }

	f.Comment("store implements runtime.Store with the generated sqlc queries.")
	f.Type().Id("store").Struct(
		jen.Id("db").Id("DB"),
		jen.Id("q").Op("*").Add(db("Queries")),
	)
	f.Line()
	f.Func().Id("storeErr").Params(jen.Err().Error()).Error().Block(
		jen.Return(rt("StoreError").Call(jen.Err(), jen.Qual(pgxPath, "ErrNoRows"))),
	)
	f.Line()
	recv().Id("token").Params(jen.Id("row").Id("tokenRow"), jen.Err().Error()).Params(jen.Id("Token"), jen.Error()).Block(
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Id("storeErr").Call(jen.Err()))),
		jen.Return(jen.Id("tokenFromRow").Call(jen.Id("row"))),
	)
	f.Line()

	// Insert.
	f.Comment("Insert stores a new row; under single-login or a session cap it first locks")
	f.Comment("the user and revokes the user's other (or oldest) rows, in one transaction.")
	recv().Id("Insert").Params(ctx, jen.Id("in").Add(rt("Insert")).Types(jen.Id("UserID"), jen.Id("payload"))).Params(jen.Id("Token"), jen.Int64(), jen.Error()).Block(
		jen.List(jen.Id("ctxJSON"), jen.Err()).Op(":=").Qual("encoding/json", "Marshal").Call(jen.Id("in").Dot("Payload").Dot("context")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Qual("fmt", "Errorf").Call(jen.Lit("authentify: encode context: %w"), jen.Err()))),
		jen.Id("p").Op(":=").Add(db("InsertTokenParams")).Values(jen.Dict{
			jen.Id("UserID"):       jen.Id("in").Dot("UserID"),
			jen.Id("AuthType"):     jen.String().Call(jen.Id("in").Dot("Transport")),
			jen.Id("AccessHash"):   jen.Id("in").Dot("AccessHash"),
			jen.Id("RefreshHash"):  jen.Id("in").Dot("RefreshHash"),
			jen.Id("Context"):      jen.Id("ctxJSON"),
			jen.Id("CreatedAt"):    jen.Id("in").Dot("CreatedAt"),
			jen.Id("ExpiresAt"):    jen.Id("in").Dot("ExpiresAt"),
			jen.Id("RefreshUntil"): jen.Id("in").Dot("RefreshUntil"),
			jen.Id("AccessTtlNs"):  jen.Qual(runtimePath, "TTLColumn").Call(jen.Id("in").Dot("AccessTTL")),
			jen.Id("RefreshTtlNs"): jen.Qual(runtimePath, "TTLColumn").Call(jen.Id("in").Dot("RefreshTTL")),
		}),
		jen.Id("insertColumns").Call(jen.Op("&").Id("p"), jen.Id("in").Dot("Payload").Dot("columns")),
		jen.If(jen.Id("in").Dot("SingleLogin").Op("==").Nil().Op("&&").Id("in").Dot("SessionCap").Op("==").Nil()).Block(
			jen.List(jen.Id("row"), jen.Err()).Op(":=").Id("s").Dot("q").Dot("InsertToken").Call(jen.Id("ctx"), jen.Id("p")),
			jen.List(jen.Id("t"), jen.Err()).Op(":=").Id("s").Dot("token").Call(jen.Id("tokenRow").Call(jen.Id("row")), jen.Err()),
			jen.Return(jen.Id("t"), jen.Lit(0), jen.Err()),
		),
		jen.List(jen.Id("tx"), jen.Err()).Op(":=").Id("s").Dot("db").Dot("Begin").Call(jen.Id("ctx")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Id("storeErr").Call(jen.Err()))),
		jen.Defer().Id("tx").Dot("Rollback").Call(jen.Qual("context", "WithoutCancel").Call(jen.Id("ctx"))),
		jen.Id("q").Op(":=").Id("s").Dot("q").Dot("WithTx").Call(jen.Id("tx")),
		jen.If(jen.Err().Op(":=").Id("q").Dot("LockUser").Call(jen.Id("ctx"), jen.Id("lockKey").Call(jen.Id("in").Dot("UserID"))), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Id("storeErr").Call(jen.Err()))),
		jen.Var().Id("revoked").Int64(),
		jen.Switch().Block(
			jen.Case(jen.Id("in").Dot("SingleLogin").Op("!=").Nil().Op("&&").Id("in").Dot("SingleLogin").Dot("Soft")).Block(
				jen.List(jen.Id("revoked"), jen.Err()).Op("=").Id("q").Dot("RevokeUserTokens").Call(jen.Id("ctx"), db("RevokeUserTokensParams").Values(jen.Dict{
					jen.Id("At"): jen.Id("in").Dot("SingleLogin").Dot("At"), jen.Id("Reason"): jen.Id("in").Dot("SingleLogin").Dot("Reason"), jen.Id("UserID"): jen.Id("in").Dot("UserID"),
				}))),
			jen.Case(jen.Id("in").Dot("SingleLogin").Op("!=").Nil()).Block(
				jen.List(jen.Id("revoked"), jen.Err()).Op("=").Id("q").Dot("DeleteUserTokens").Call(jen.Id("ctx"), jen.Id("in").Dot("UserID"))),
			jen.Case(jen.Id("in").Dot("SessionCap").Dot("Revocation").Dot("Soft")).Block(
				jen.List(jen.Id("revoked"), jen.Err()).Op("=").Id("q").Dot("RevokeSessionsBeyond").Call(jen.Id("ctx"), db("RevokeSessionsBeyondParams").Values(jen.Dict{
					jen.Id("At"): jen.Id("in").Dot("SessionCap").Dot("Revocation").Dot("At"), jen.Id("Reason"): jen.Id("in").Dot("SessionCap").Dot("Revocation").Dot("Reason"),
					jen.Id("UserID"): jen.Id("in").Dot("UserID"), jen.Id("Keep"): jen.Id("in").Dot("SessionCap").Dot("Keep"),
				}))),
			jen.Default().Block(
				jen.List(jen.Id("revoked"), jen.Err()).Op("=").Id("q").Dot("DeleteSessionsBeyond").Call(jen.Id("ctx"), db("DeleteSessionsBeyondParams").Values(jen.Dict{
					jen.Id("At"):     jen.Id("in").Dot("SessionCap").Dot("Revocation").Dot("At"),
					jen.Id("UserID"): jen.Id("in").Dot("UserID"), jen.Id("Keep"): jen.Id("in").Dot("SessionCap").Dot("Keep"),
				}))),
		),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Id("storeErr").Call(jen.Err()))),
		jen.List(jen.Id("row"), jen.Err()).Op(":=").Id("q").Dot("InsertToken").Call(jen.Id("ctx"), jen.Id("p")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Id("storeErr").Call(jen.Err()))),
		jen.If(jen.Err().Op(":=").Id("tx").Dot("Commit").Call(jen.Id("ctx")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("Token").Values(), jen.Lit(0), jen.Id("storeErr").Call(jen.Err()))),
		jen.List(jen.Id("t"), jen.Err()).Op(":=").Id("tokenFromRow").Call(jen.Id("tokenRow").Call(jen.Id("row"))),
		jen.Return(jen.Id("t"), jen.Id("revoked"), jen.Err()),
	)
	f.Line()
	f.Comment("lockKey names the per-user advisory lock that serializes single-login and the session cap.")
	f.Func().Id("lockKey").Params(jen.Id("id").Id("UserID")).String().Block(
		jen.Return(jen.Qual("fmt", "Sprint").Call(jen.Lit(m.spec.Table+":"), jen.Id("id"))),
	)
	f.Line()

	for _, q := range []string{"ByAccessHash", "ByRefreshHash", "ByPrevRefreshHash", "ByRetiredRefreshHash"} {
		f.Commentf("%s returns the row with that hash, whatever its state.", q)
		recv().Id(q).Params(ctx, jen.Id("hash").Index().Byte()).Params(jen.Id("Token"), jen.Error()).Block(
			one(jen.Id("s").Dot("q").Dot("Token"+q).Call(jen.Id("ctx"), jen.Id("hash")))...)
		f.Line()
	}
	m.emitByAccessHashes(f)
	f.Comment("RotationSalt returns the salt of the rotation that retired the refresh token prevHash.")
	recv().Id("RotationSalt").Params(ctx, jen.Id("id").Int64(), jen.Id("prevHash").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(jen.Id("salt"), jen.Err()).Op(":=").Id("s").Dot("q").Dot("RotationSalt").Call(jen.Id("ctx"), db("RotationSaltParams").Values(jen.Dict{
			jen.Id("ID"): jen.Id("id"), jen.Id("PrevHash"): jen.Id("prevHash"),
		})),
		jen.Return(jen.Id("salt"), jen.Id("storeErr").Call(jen.Err())),
	)
	f.Line()
	f.Comment("Slide applies an auto-refresh if the row is still live and unchanged.")
	recv().Id("Slide").Params(ctx, jen.Id("a").Add(rt("Slide"))).Params(jen.Id("Token"), jen.Error()).Block(
		one(jen.Id("s").Dot("q").Dot("SlideToken").Call(jen.Id("ctx"), db("SlideTokenParams").Values(jen.Dict{
			jen.Id("ID"): jen.Id("a").Dot("ID"), jen.Id("AccessHash"): jen.Id("a").Dot("AccessHash"),
			jen.Id("SeenRefreshedAt"): jen.Id("a").Dot("SeenRefreshedAt"), jen.Id("Now"): jen.Id("a").Dot("Now"),
			jen.Id("ExpiresAt"): jen.Id("a").Dot("ExpiresAt"), jen.Id("RefreshUntil"): jen.Id("a").Dot("RefreshUntil"),
		})))...)
	f.Line()
	f.Comment("Rotate swaps the token hashes if the presented refresh hash is still current.")
	recv().Id("Rotate").Params(ctx, jen.Id("a").Add(rt("Rotation"))).Params(jen.Id("Token"), jen.Error()).Block(
		one(jen.Id("s").Dot("q").Dot("RotateToken").Call(jen.Id("ctx"), db("RotateTokenParams").Values(jen.Dict{
			jen.Id("ID"): jen.Id("a").Dot("ID"), jen.Id("OldRefreshHash"): jen.Id("a").Dot("OldRefreshHash"),
			jen.Id("AccessHash"): jen.Id("a").Dot("AccessHash"), jen.Id("RefreshHash"): jen.Id("a").Dot("RefreshHash"),
			jen.Id("Now"): jen.Id("a").Dot("Now"), jen.Id("ExpiresAt"): jen.Id("a").Dot("ExpiresAt"),
			jen.Id("RefreshUntil"): jen.Id("a").Dot("RefreshUntil"),
			jen.Id("AccessTtlNs"):  jen.Qual(runtimePath, "TTLColumn").Call(jen.Id("a").Dot("AccessTTL")),
			jen.Id("RefreshTtlNs"): jen.Qual(runtimePath, "TTLColumn").Call(jen.Id("a").Dot("RefreshTTL")),
			jen.Id("Salt"):         jen.Id("a").Dot("Salt"),
		})))...)
	f.Line()

	// Revoke.
	soft := func(query string, d jen.Dict) jen.Code {
		d[jen.Id("At")] = jen.Id("r").Dot("At")
		d[jen.Id("Reason")] = jen.Id("r").Dot("Reason")
		return jen.List(jen.Id("n"), jen.Err()).Op("=").Id("s").Dot("q").Dot(query).Call(jen.Id("ctx"), db(query+"Params").Values(d))
	}
	hard := func(query string, arg jen.Code) jen.Code {
		return jen.List(jen.Id("n"), jen.Err()).Op("=").Id("s").Dot("q").Dot(query).Call(jen.Id("ctx"), arg)
	}
	tid, tuser := jen.Id("t").Dot("ID"), jen.Id("t").Dot("UserID")
	scope := func(name, softQ string, softD jen.Dict, hardQ string, hardArg jen.Code) jen.Code {
		return jen.Case(rt(name)).Block(
			jen.If(jen.Id("r").Dot("Soft")).Block(soft(softQ, softD)).Else().Block(hard(hardQ, hardArg)))
	}
	f.Comment("Revoke soft-revokes or deletes the rows selected by t.")
	recv().Id("Revoke").Params(ctx, jen.Id("t").Add(rt("Target")).Types(jen.Id("UserID")), jen.Id("r").Add(rt("Revocation"))).Params(jen.Int64(), jen.Error()).Block(
		jen.Var().Id("n").Int64(),
		jen.Var().Err().Error(),
		jen.Switch(jen.Id("t").Dot("Scope")).Block(
			scope("ScopeToken", "RevokeToken", jen.Dict{jen.Id("ID"): tid.Clone()}, "DeleteToken", tid.Clone()),
			scope("ScopeSession", "RevokeSession", jen.Dict{jen.Id("ID"): tid.Clone(), jen.Id("UserID"): tuser.Clone()},
				"DeleteSession", db("DeleteSessionParams").Values(jen.Dict{jen.Id("ID"): tid.Clone(), jen.Id("UserID"): tuser.Clone()})),
			scope("ScopeUser", "RevokeUserTokens", jen.Dict{jen.Id("UserID"): tuser.Clone()}, "DeleteUserTokens", tuser.Clone()),
			jen.Case(rt("ScopeUserOthers")).Block(
				jen.Var().Id("kept").Bool(),
				jen.If(jen.Id("r").Dot("Soft")).Block(
					jen.List(jen.Id("row"), jen.Id("e")).Op(":=").Id("s").Dot("q").Dot("RevokeOtherUserTokens").Call(jen.Id("ctx"), db("RevokeOtherUserTokensParams").Values(jen.Dict{
						jen.Id("At"): jen.Id("r").Dot("At"), jen.Id("Reason"): jen.Id("r").Dot("Reason"), jen.Id("UserID"): tuser.Clone(), jen.Id("KeepID"): tid.Clone(),
					})),
					jen.List(jen.Id("kept"), jen.Id("n"), jen.Err()).Op("=").List(jen.Id("row").Dot("Kept"), jen.Id("row").Dot("Revoked"), jen.Id("e")),
				).Else().Block(
					jen.List(jen.Id("row"), jen.Id("e")).Op(":=").Id("s").Dot("q").Dot("DeleteOtherUserTokens").Call(jen.Id("ctx"), db("DeleteOtherUserTokensParams").Values(jen.Dict{
						jen.Id("UserID"): tuser.Clone(), jen.Id("KeepID"): tid.Clone(),
					})),
					jen.List(jen.Id("kept"), jen.Id("n"), jen.Err()).Op("=").List(jen.Id("row").Dot("Kept"), jen.Id("row").Dot("Revoked"), jen.Id("e")),
				),
				jen.If(jen.Err().Op("==").Nil().Op("&&").Op("!").Id("kept")).Block(
					jen.Return(jen.Lit(0), rt("ErrNotFound"))),
			),
			scope("ScopeUserExpired", "RevokeExpiredUserTokens", jen.Dict{jen.Id("UserID"): tuser.Clone()},
				"DeleteExpiredUserTokens", db("DeleteExpiredUserTokensParams").Values(jen.Dict{jen.Id("UserID"): tuser.Clone(), jen.Id("At"): jen.Id("r").Dot("At")})),
			scope("ScopeExpired", "RevokeExpiredTokens", jen.Dict{jen.Id("Batch"): jen.Id("r").Dot("Limit")},
				"DeleteExpiredTokens", db("DeleteExpiredTokensParams").Values(jen.Dict{jen.Id("At"): jen.Id("r").Dot("At"), jen.Id("Batch"): jen.Id("r").Dot("Limit")})),
			jen.Case(rt("ScopePurge")).Block(hard("PurgeTokens", db("PurgeTokensParams").Values(jen.Dict{jen.Id("At"): jen.Id("r").Dot("At"), jen.Id("Batch"): jen.Id("r").Dot("Limit")}))),
			jen.Default().Block(jen.Return(jen.Lit(0), jen.Qual("fmt", "Errorf").Call(jen.Lit("authentify: unknown revocation scope %d"), jen.Id("t").Dot("Scope")))),
		),
		jen.Return(jen.Id("n"), jen.Id("storeErr").Call(jen.Err())),
	)
	f.Line()

	f.Comment("Sessions lists a page of the user's live sessions at now, newest first.")
	recv().Id("Sessions").Params(ctx, jen.Id("userID").Id("UserID"), jen.Id("now").Qual("time", "Time"), jen.Id("p").Add(rt("SessionPage"))).Params(jen.Index().Id("Token"), jen.Error()).Block(
		jen.Id("arg").Op(":=").Add(db("UserSessionsParams")).Values(jen.Dict{
			jen.Id("UserID"): jen.Id("userID"), jen.Id("Now"): jen.Id("now"), jen.Id("AfterID"): jen.Id("p").Dot("After").Dot("ID"),
		}),
		jen.If(jen.Op("!").Id("p").Dot("After").Dot("IsZero").Call()).Block(jen.Id("arg").Dot("AfterCreatedAt").Op("=").Op("&").Id("p").Dot("After").Dot("CreatedAt")),
		jen.If(jen.Id("p").Dot("Limit").Op(">").Lit(0)).Block(jen.Id("arg").Dot("MaxRows").Op("=").Op("&").Id("p").Dot("Limit")),
		jen.List(jen.Id("rows"), jen.Err()).Op(":=").Id("s").Dot("q").Dot("UserSessions").Call(jen.Id("ctx"), jen.Id("arg")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id("storeErr").Call(jen.Err()))),
		jen.Id("out").Op(":=").Make(jen.Index().Id("Token"), jen.Lit(0), jen.Len(jen.Id("rows"))),
		jen.For(jen.List(jen.Id("_"), jen.Id("row")).Op(":=").Range().Id("rows")).Block(
			jen.List(jen.Id("t"), jen.Err()).Op(":=").Id("tokenFromRow").Call(jen.Id("tokenRow").Call(jen.Id("row"))),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("t")),
		),
		jen.Return(jen.Id("out"), jen.Nil()),
	)
	f.Line()
}

// tokenRowFields are the Go names of the fields of sqlc's token rows (the
// columns of tokenColumns, in order): the built-in columns but the hashes,
// then the custom columns.
func (m *goModel) tokenRowFields() []string {
	fields := []string{"ID", "UserID", "AuthType", "RotatedAt", "Context", "CreatedAt", "LastRefreshedAt",
		"ExpiresAt", "RefreshUntil", "RevokedAt", "RevokeReason", "AccessTtlNs", "RefreshTtlNs"}
	for _, fl := range m.spec.Fields {
		fields = append(fields, fl.GoName)
	}
	return fields
}

// emitByAccessHashes renders the store's runtime.BatchReader: the lookups
// the engine batches under load, read in one statement.
func (m *goModel) emitByAccessHashes(f *jen.File) {
	conv := jen.Dict{}
	for _, name := range m.tokenRowFields() {
		conv[jen.Id(name)] = jen.Id("r").Dot(name)
	}
	f.Comment("ByAccessHashes reads the rows of many access hashes in one statement: the")
	f.Comment("engine's batched lookups (runtime.BatchReader, lookup_batch_size).")
	f.Func().Params(jen.Id("s").Op("*").Id("store")).Id("ByAccessHashes").Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("hashes").Index().Index().Byte()).Params(jen.Index().Id("Token"), jen.Index().Error(), jen.Error()).Block(
		jen.List(jen.Id("rows"), jen.Err()).Op(":=").Id("s").Dot("q").Dot("TokensByAccessHashes").Call(jen.Id("ctx"), jen.Id("hashes")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Id("storeErr").Call(jen.Err()))),
		jen.List(jen.Id("toks"), jen.Id("errs")).Op(":=").List(jen.Make(jen.Index().Id("Token"), jen.Len(jen.Id("hashes"))), jen.Make(jen.Index().Error(), jen.Len(jen.Id("hashes")))),
		jen.For(jen.Id("i").Op(":=").Range().Id("errs")).Block(jen.Id("errs").Index(jen.Id("i")).Op("=").Qual(runtimePath, "ErrNotFound")),
		jen.For(jen.List(jen.Id("_"), jen.Id("r")).Op(":=").Range().Id("rows")).Block(
			jen.If(jen.Id("i").Op(":=").Int().Call(jen.Id("r").Dot("LookupPosition")).Op("-").Lit(1), jen.Id("i").Op(">=").Lit(0).Op("&&").Id("i").Op("<").Len(jen.Id("hashes"))).Block(
				jen.List(jen.Id("toks").Index(jen.Id("i")), jen.Id("errs").Index(jen.Id("i"))).Op("=").Id("tokenFromRow").Call(jen.Id("tokenRow").Values(conv)),
			),
		),
		jen.Return(jen.Id("toks"), jen.Id("errs"), jen.Nil()),
	)
	f.Line()
}

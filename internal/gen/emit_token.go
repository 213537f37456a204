package gen

import (
	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/internal/spec"
)

// emitToken renders token.go: Token, Columns and the row conversion.
func (m *goModel) emitToken(f *jen.File) error {
	s := m.spec
	fields := []jen.Code{
		jen.Qual(runtimePath, "Record"),
		jen.Id("UserID").Id("UserID").Tag(jsonTag("user_id", false)),
		jen.Id("Context").Id("Context").Tag(jsonTag("context", false)),
	}
	for _, fl := range s.Fields {
		fields = append(fields, jen.Id(fl.GoName).Add(m.fieldType("fields", fl)).Tag(jsonTag(fl.Name, false)))
	}
	f.Comment("Token is one stored token: one login (a session) with its lifecycle record")
	f.Comment("(ID, CreatedAt, ExpiresAt… promoted from runtime.Record), its owner, its typed")
	f.Comment("context and its custom columns. It holds no secret: hashes never leave the store.")
	f.Type().Id("Token").Struct(fields...)
	f.Line()

	f.Commentf("UserID is the type of user ids (%s).", s.User.IDType)
	f.Type().Id("UserID").Op("=").Add(m.userIDType())
	f.Line()

	// Enums of custom columns.
	for _, fl := range s.Fields {
		if fl.Type == spec.TypeEnum {
			m.emitEnum(f, fl)
		}
	}

	// Columns.
	cols := []jen.Code{}
	for _, fl := range s.Fields {
		t := m.baseType("fields", fl)
		if !selfNullable(fl.Type) {
			t = jen.Op("*").Add(t)
		}
		cols = append(cols, jen.Id(fl.GoName).Add(t))
	}
	f.Comment("Columns sets custom token columns. A nil field takes the spec default when a")
	f.Comment("token is issued, and is left unchanged by UpdateColumns.")
	f.Type().Id("Columns").Struct(cols...)
	f.Line()

	f.Comment("payload is what a new row carries besides its lifecycle fields.")
	f.Type().Id("payload").Struct(
		jen.Id("context").Id("Context"),
		jen.Id("columns").Id("Columns"),
	)
	f.Line()
	if m.pg {
		f.Comment("tokenRow is the row of every query that returns a token: each selects the same")
		f.Comment("columns (every column but the hashes, which never leave the database on a read),")
		f.Comment("so sqlc's row types of those queries convert to this one.")
		f.Type().Id("tokenRow").Op("=").Qual(m.dbPath, "TokenByAccessHashRow")
		f.Line()
		m.emitTokenFromRow(f, "tokenFromRow", "", jen.Id("tokenRow"), pgRowConv)
		if err := m.emitInsertColumns(f, "insertColumns", jen.Qual(m.dbPath, "InsertTokenParams"), pgColumnConv); err != nil {
			return err
		}
	}
	if m.lite {
		m.emitTokenFromRow(f, "tokenFromLiteRow", " (SQLite)", jen.Qual(m.litePath, rowStruct(s)), liteRowConv)
		if err := m.emitInsertColumns(f, "insertLiteColumns", jen.Qual(m.litePath, "InsertTokenParams"), liteColumnConv); err != nil {
			return err
		}
		m.emitLiteColumnsUpdate(f)
	}
	m.emitTokenContext(f)
	return nil
}

// emitTokenContext renders the framework-free context accessors of Token.
func (m *goModel) emitTokenContext(f *jen.File) {
	ctx := func() *jen.Statement { return jen.Qual("context", "Context") }
	f.Comment("tokenContextKey is the context.Context key of the authenticated Token.")
	f.Type().Id("tokenContextKey").Struct()
	f.Line()
	f.Comment("NewContext returns a copy of ctx that carries tok. Every HTTP middleware of this")
	f.Comment("package stores the token it authenticated in the request's context this way.")
	f.Func().Id("NewContext").Params(jen.Id("ctx").Add(ctx()), jen.Id("tok").Id("Token")).Add(ctx()).Block(
		jen.Return(jen.Op("&").Id("tokenContext").Values(jen.Dict{jen.Id("Context"): jen.Id("ctx"), jen.Id("tok"): jen.Id("tok")})),
	)
	f.Line()
	f.Comment("tokenContext is a context carrying a Token: the context and the token in one")
	f.Comment("allocation (context.WithValue would take two on every authenticated request).")
	f.Type().Id("tokenContext").Struct(
		jen.Qual("context", "Context"),
		jen.Id("tok").Id("Token"),
	)
	f.Line()
	f.Comment("Value returns the token for tokenContextKey and asks the parent for any other key.")
	f.Func().Params(jen.Id("c").Op("*").Id("tokenContext")).Id("Value").Params(jen.Id("key").Any()).Any().Block(
		jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Id("key").Assert(jen.Id("tokenContextKey")), jen.Id("ok")).Block(
			jen.Return(jen.Op("&").Id("c").Dot("tok"))),
		jen.Return(jen.Id("c").Dot("Context").Dot("Value").Call(jen.Id("key"))),
	)
	f.Line()
	f.Comment("tokenFromContext returns the token stored in ctx by NewContext, not a copy.")
	f.Func().Id("tokenFromContext").Params(jen.Id("ctx").Add(ctx())).Params(jen.Op("*").Id("Token"), jen.Bool()).Block(
		jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("ctx").Dot("Value").Call(jen.Id("tokenContextKey").Values()).Assert(jen.Op("*").Id("Token")),
		jen.Return(jen.Id("t"), jen.Id("ok").Op("&&").Id("t").Op("!=").Nil()),
	)
	f.Line()
	f.Comment("FromContext returns the token stored in ctx by NewContext (every HTTP middleware")
	f.Comment("of this package does), e.g. auth.FromContext(r.Context()) in a net/http handler,")
	f.Comment("also one mounted in Echo with echo.WrapHandler.")
	f.Func().Id("FromContext").Params(jen.Id("ctx").Add(ctx())).Params(jen.Id("Token"), jen.Bool()).Block(
		jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("tokenFromContext").Call(jen.Id("ctx")),
		jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id("Token").Values(), jen.False())),
		jen.Return(jen.Op("*").Id("t"), jen.True()),
	)
	f.Line()
}

// rowConv converts a row field (v, of the engine's row type) of a column to
// its Token type: a built-in time column when fl is nil.
type rowConv func(m *goModel, fl *spec.Field, nullable bool, v *jen.Statement) jen.Code

// pgRowConv converts the fields of tokenRow (pgx): only enums and JSON
// need a conversion.
func pgRowConv(m *goModel, fl *spec.Field, nullable bool, v *jen.Statement) jen.Code {
	switch {
	case fl == nil:
		return v
	case fl.Type == spec.TypeEnum && nullable:
		return jen.Parens(jen.Op("*").Id(fl.EnumType)).Call(v)
	case fl.Type == spec.TypeEnum:
		return jen.Id(fl.EnumType).Call(v)
	case fl.Type == spec.TypeJSON:
		return jen.Qual("encoding/json", "RawMessage").Call(v)
	}
	return v
}

// liteRowConv converts the fields of sqlite.TokenRow, whose runtime.Lite*
// types are defined over the Token's types: free type conversions.
func liteRowConv(m *goModel, fl *spec.Field, nullable bool, v *jen.Statement) jen.Code {
	goType := func(pkg, name string) jen.Code {
		if nullable {
			return jen.Parens(jen.Op("*").Qual(pkg, name)).Call(v)
		}
		return jen.Qual(pkg, name).Call(v)
	}
	if fl == nil {
		return goType("time", "Time")
	}
	switch fl.Type {
	case spec.TypeTime:
		return goType("time", "Time")
	case spec.TypeIP:
		return goType("net/netip", "Addr")
	case spec.TypeStringList:
		return jen.Index().String().Call(v)
	}
	return pgRowConv(m, fl, nullable, v)
}

// emitTokenFromRow emits name, which converts a row of an engine's sqlc
// package to a Token.
func (m *goModel) emitTokenFromRow(f *jen.File, name, engine string, row jen.Code, conv rowConv) {
	s := m.spec
	r := func(field string) *jen.Statement { return jen.Id("r").Dot(field) }
	rec := jen.Dict{
		jen.Id("ID"):              r("ID"),
		jen.Id("Transport"):       jen.Qual(runtimePath, "Transport").Call(r("AuthType")),
		jen.Id("CreatedAt"):       conv(m, nil, false, r("CreatedAt")),
		jen.Id("LastRefreshedAt"): conv(m, nil, false, r("LastRefreshedAt")),
		jen.Id("ExpiresAt"):       conv(m, nil, true, r("ExpiresAt")),
		jen.Id("RefreshUntil"):    conv(m, nil, true, r("RefreshUntil")),
		jen.Id("RotatedAt"):       conv(m, nil, true, r("RotatedAt")),
		jen.Id("RevokedAt"):       conv(m, nil, true, r("RevokedAt")),
		jen.Id("AccessTTL"):       jen.Qual(runtimePath, "StoredTTL").Call(r("AccessTtlNs")),
		jen.Id("RefreshTTL"):      jen.Qual(runtimePath, "StoredTTL").Call(r("RefreshTtlNs")),
	}
	tok := jen.Dict{
		jen.Id("Record"): jen.Qual(runtimePath, "Record").Values(rec),
		jen.Id("UserID"): r("UserID"),
	}
	for i := range s.Fields {
		fl := &s.Fields[i]
		tok[jen.Id(fl.GoName)] = conv(m, fl, fl.Nullable && !selfNullable(fl.Type), r(fl.GoName))
	}
	var raw jen.Code = r("Context")
	if m.lite && name == "tokenFromLiteRow" {
		raw = jen.Index().Byte().Call(r("Context"))
	}
	f.Commentf("%s converts a stored row%s to a Token.", name, engine)
	f.Func().Id(name).Params(jen.Id("r").Add(row)).Params(jen.Id("Token"), jen.Error()).Block(
		jen.Id("t").Op(":=").Id("Token").Values(tok),
		jen.If(r("RevokeReason").Op("!=").Nil()).Block(
			jen.Id("t").Dot("RevokeReason").Op("=").Op("*").Add(r("RevokeReason"))),
		jen.Comment("A context stored under an earlier spec still decodes; see runtime.DecodeContext."),
		jen.List(jen.Id("dropped"), jen.Err()).Op(":=").Id("decodeContext").Call(raw, jen.Op("&").Id("t").Dot("Context")),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("Token").Values(), jen.Qual("fmt", "Errorf").Call(jen.Lit("authentify: decode context of token %d: %w"), r("ID"), jen.Err())),
		),
		jen.If(jen.Len(jen.Id("dropped")).Op(">").Lit(0)).Block(
			jen.Id("t").Dot("Context").Op("=").Id("t").Dot("Context").Dot("WithDefaults").Call(),
		),
		jen.Return(jen.Id("t"), jen.Nil()),
	)
	f.Line()
}

// columnConv converts a Columns value (v, of the field's base type) to the
// type of the engine's parameter; ptr: v is a pointer to it.
type columnConv func(fl spec.Field, ptr bool, v jen.Code) jen.Code

// pgColumnConv converts enums to their text (pgx binds the rest as is).
func pgColumnConv(fl spec.Field, ptr bool, v jen.Code) jen.Code {
	if fl.Type == spec.TypeEnum && !ptr {
		return jen.String().Call(v)
	}
	return v
}

// liteColumnConv converts to the runtime.Lite* types of db/sqlite.
func liteColumnConv(fl spec.Field, ptr bool, v jen.Code) jen.Code {
	to := func(pkg, name string) jen.Code {
		t := jen.Id(name)
		if pkg != "" {
			t = jen.Qual(pkg, name)
		}
		if ptr {
			return jen.Parens(jen.Op("*").Add(t)).Call(v)
		}
		return t.Call(v)
	}
	switch fl.Type {
	case spec.TypeEnum:
		return to("", "string")
	case spec.TypeTime:
		return to(runtimePath, "LiteTime")
	case spec.TypeIP:
		return to(runtimePath, "LiteAddr")
	case spec.TypeJSON:
		return jen.Qual(runtimePath, "LiteJSONText").Call(v)
	case spec.TypeStringList:
		return jen.Qual(runtimePath, "LiteStrings").Call(v)
	}
	return v
}

// emitInsertColumns emits name, which fills the custom columns of an
// engine's InsertTokenParams from Columns, applying the spec defaults.
func (m *goModel) emitInsertColumns(f *jen.File, name string, params jen.Code, conv columnConv) error {
	s := m.spec
	body := []jen.Code{}
	for _, fl := range s.Fields {
		dst := jen.Id("p").Dot(fl.GoName)
		src := jen.Id("c").Dot(fl.GoName)
		if fl.Nullable {
			if selfNullable(fl.Type) {
				if fl.Default != nil {
					def, err := m.defaultValue("fields", fl)
					if err != nil {
						return err
					}
					body = append(body, jen.If(src.Clone().Op("==").Nil()).Block(src.Clone().Op("=").Add(def)))
				}
				body = append(body, dst.Clone().Op("=").Add(conv(fl, false, src.Clone())))
				continue
			}
			if fl.Default != nil {
				def, err := m.defaultValue("fields", fl)
				if err != nil {
					return err
				}
				body = append(body, jen.If(src.Clone().Op("==").Nil()).Block(
					jen.Id("v").Op(":=").Add(m.baseType("fields", fl)).Parens(def),
					src.Clone().Op("=").Op("&").Id("v")))
			}
			if fl.Type == spec.TypeEnum && name == "insertColumns" {
				body = append(body, jen.If(src.Clone().Op("!=").Nil()).Block(
					jen.Id("v").Op(":=").String().Call(jen.Op("*").Add(src.Clone())),
					dst.Clone().Op("=").Op("&").Id("v")))
			} else {
				body = append(body, dst.Clone().Op("=").Add(conv(fl, true, src.Clone())))
			}
			continue
		}
		// NOT NULL: the spec guarantees a default.
		var def jen.Code = jen.Op("*").New(m.baseType("fields", fl))
		if fl.Default != nil {
			d, err := m.defaultValue("fields", fl)
			if err != nil {
				return err
			}
			def = d
		}
		if selfNullable(fl.Type) {
			body = append(body, dst.Clone().Op("=").Add(conv(fl, false, src.Clone())),
				jen.If(src.Clone().Op("==").Nil()).Block(dst.Clone().Op("=").Add(conv(fl, false, def))))
			continue
		}
		body = append(body, dst.Clone().Op("=").Add(conv(fl, false, def)),
			jen.If(src.Clone().Op("!=").Nil()).Block(dst.Clone().Op("=").Add(conv(fl, false, jen.Op("*").Add(src.Clone())))))
	}
	f.Commentf("%s fills the custom columns of p from c, applying the spec defaults.", name)
	args := []jen.Code{jen.Id("_").Op("*").Add(params), jen.Id("_").Id("Columns")}
	if len(s.Fields) > 0 {
		args = []jen.Code{jen.Id("p").Op("*").Add(params), jen.Id("c").Id("Columns")}
	}
	f.Func().Id(name).Params(args...).Block(body...)
	f.Line()
	return nil
}

// emitLiteColumnsUpdate emits liteColumnsUpdate, the parameters of the
// SQLite UpdateTokenColumns: a nil field is NULL, which keeps the column.
func (m *goModel) emitLiteColumnsUpdate(f *jen.File) {
	s := m.spec
	if len(s.Fields) == 0 {
		return
	}
	d := jen.Dict{jen.Id("ID"): jen.Id("id")}
	for _, fl := range s.Fields {
		v := jen.Id("c").Dot(fl.GoName)
		d[jen.Id(fl.GoName)] = liteColumnConv(fl, !selfNullable(fl.Type), v)
	}
	f.Comment("liteColumnsUpdate returns the parameters of the SQLite UpdateTokenColumns: a nil")
	f.Comment("field is NULL, which keeps the column as it is.")
	f.Func().Id("liteColumnsUpdate").Params(jen.Id("id").Int64(), jen.Id("c").Id("Columns")).Qual(m.litePath, "UpdateTokenColumnsParams").Block(
		jen.Return(jen.Qual(m.litePath, "UpdateTokenColumnsParams").Values(d)),
	)
	f.Line()
}

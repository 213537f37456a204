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

	// tokenFromRow.
	rec := jen.Dict{
		jen.Id("ID"):              jen.Id("r").Dot("ID"),
		jen.Id("Transport"):       jen.Qual(runtimePath, "Transport").Call(jen.Id("r").Dot("AuthType")),
		jen.Id("CreatedAt"):       jen.Id("r").Dot("CreatedAt"),
		jen.Id("LastRefreshedAt"): jen.Id("r").Dot("LastRefreshedAt"),
		jen.Id("ExpiresAt"):       jen.Id("r").Dot("ExpiresAt"),
		jen.Id("RefreshUntil"):    jen.Id("r").Dot("RefreshUntil"),
		jen.Id("RotatedAt"):       jen.Id("r").Dot("RotatedAt"),
		jen.Id("RevokedAt"):       jen.Id("r").Dot("RevokedAt"),
		jen.Id("AccessTTL"):       jen.Qual(runtimePath, "StoredTTL").Call(jen.Id("r").Dot("AccessTtlNs")),
		jen.Id("RefreshTTL"):      jen.Qual(runtimePath, "StoredTTL").Call(jen.Id("r").Dot("RefreshTtlNs")),
	}
	tok := jen.Dict{
		jen.Id("Record"): jen.Qual(runtimePath, "Record").Values(rec),
		jen.Id("UserID"): jen.Id("r").Dot("UserID"),
	}
	for _, fl := range s.Fields {
		v := jen.Id("r").Dot(fl.GoName)
		switch {
		case fl.Type == spec.TypeEnum && fl.Nullable:
			v = jen.Parens(jen.Op("*").Id(fl.EnumType)).Call(v)
		case fl.Type == spec.TypeEnum:
			v = jen.Id(fl.EnumType).Call(v)
		case fl.Type == spec.TypeJSON:
			v = jen.Qual("encoding/json", "RawMessage").Call(v)
		}
		tok[jen.Id(fl.GoName)] = v
	}
	f.Func().Id("tokenFromRow").Params(jen.Id("r").Qual(m.dbPath, rowStruct(s))).Params(jen.Id("Token"), jen.Error()).Block(
		jen.Id("t").Op(":=").Id("Token").Values(tok),
		jen.If(jen.Id("r").Dot("RevokeReason").Op("!=").Nil()).Block(
			jen.Id("t").Dot("RevokeReason").Op("=").Op("*").Id("r").Dot("RevokeReason")),
		jen.Comment("A context stored under an earlier spec still decodes; see runtime.DecodeContext."),
		jen.List(jen.Id("dropped"), jen.Err()).Op(":=").Id("decodeContext").Call(jen.Id("r").Dot("Context"), jen.Op("&").Id("t").Dot("Context")),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Id("Token").Values(), jen.Qual("fmt", "Errorf").Call(jen.Lit("authentify: decode context of token %d: %w"), jen.Id("r").Dot("ID"), jen.Err())),
		),
		jen.If(jen.Len(jen.Id("dropped")).Op(">").Lit(0)).Block(
			jen.Id("t").Dot("Context").Op("=").Id("t").Dot("Context").Dot("WithDefaults").Call(),
		),
		jen.Return(jen.Id("t"), jen.Nil()),
	)
	f.Line()

	// insertValues fills the custom columns of an insert.
	body := []jen.Code{}
	for _, fl := range s.Fields {
		dst := jen.Id("p").Dot(fl.GoName)
		src := jen.Id("c").Dot(fl.GoName)
		conv := func(v jen.Code) jen.Code { return v }
		if fl.Type == spec.TypeEnum {
			conv = func(v jen.Code) jen.Code { return jen.String().Call(v) }
		}
		if fl.Nullable {
			if selfNullable(fl.Type) {
				if fl.Default != nil {
					def, err := m.defaultValue("fields", fl)
					if err != nil {
						return err
					}
					body = append(body, jen.If(src.Clone().Op("==").Nil()).Block(src.Clone().Op("=").Add(def)))
				}
				body = append(body, dst.Clone().Op("=").Add(src.Clone()))
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
			if fl.Type == spec.TypeEnum {
				body = append(body, jen.If(src.Clone().Op("!=").Nil()).Block(
					jen.Id("v").Op(":=").String().Call(jen.Op("*").Add(src.Clone())),
					dst.Clone().Op("=").Op("&").Id("v")))
			} else {
				body = append(body, dst.Clone().Op("=").Add(src.Clone()))
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
			body = append(body, dst.Clone().Op("=").Add(src.Clone()),
				jen.If(src.Clone().Op("==").Nil()).Block(dst.Clone().Op("=").Add(def)))
			continue
		}
		body = append(body, dst.Clone().Op("=").Add(conv(def)),
			jen.If(src.Clone().Op("!=").Nil()).Block(dst.Clone().Op("=").Add(conv(jen.Op("*").Add(src.Clone())))))
	}
	f.Comment("insertColumns fills the custom columns of p from c, applying the spec defaults.")
	params := []jen.Code{jen.Id("_").Op("*").Qual(m.dbPath, "InsertTokenParams"), jen.Id("_").Id("Columns")}
	if len(s.Fields) > 0 {
		params = []jen.Code{jen.Id("p").Op("*").Qual(m.dbPath, "InsertTokenParams"), jen.Id("c").Id("Columns")}
	}
	f.Func().Id("insertColumns").Params(params...).Block(body...)
	f.Line()
	m.emitTokenContext(f)
	return nil
}

// emitTokenContext renders the framework-free context accessors of Token.
func (m *goModel) emitTokenContext(f *jen.File) {
	ctx := func() *jen.Statement { return jen.Qual("context", "Context") }
	f.Comment("tokenKey is the key of the authenticated Token in an Echo context.")
	f.Const().Id("tokenKey").Op("=").Lit("authentify." + m.spec.Package + ".token")
	f.Line()
	f.Comment("tokenContextKey is the context.Context key of the authenticated Token.")
	f.Type().Id("tokenContextKey").Struct()
	f.Line()
	f.Comment("NewContext returns a copy of ctx that carries tok. Every HTTP middleware of this")
	f.Comment("package stores the token it authenticated in the request's context this way.")
	f.Func().Id("NewContext").Params(jen.Id("ctx").Add(ctx()), jen.Id("tok").Id("Token")).Add(ctx()).Block(
		jen.Return(jen.Qual("context", "WithValue").Call(jen.Id("ctx"), jen.Id("tokenContextKey").Values(), jen.Op("&").Id("tok"))),
	)
	f.Line()
	f.Comment("FromContext returns the token stored in ctx by NewContext (every HTTP middleware")
	f.Comment("of this package does), e.g. auth.FromContext(r.Context()) in a net/http handler,")
	f.Comment("also one mounted in Echo with echo.WrapHandler.")
	f.Func().Id("FromContext").Params(jen.Id("ctx").Add(ctx())).Params(jen.Id("Token"), jen.Bool()).Block(
		jen.List(jen.Id("t"), jen.Id("ok")).Op(":=").Id("ctx").Dot("Value").Call(jen.Id("tokenContextKey").Values()).Assert(jen.Op("*").Id("Token")),
		jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id("Token").Values(), jen.False())),
		jen.Return(jen.Op("*").Id("t"), jen.True()),
	)
	f.Line()
}

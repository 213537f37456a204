package gen

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/internal/spec"
)

// emitContext renders context.go: the typed Context, its enums, Validate
// and WithDefaults, and (lenient mode) the preserved extra keys.
func (m *goModel) emitContext(f *jen.File) error {
	s := m.spec
	strict := s.Context.Strict
	doc := "Context is the typed per-token context (drf-authentify's context_obj). "
	if strict {
		doc += "It is strict: only the fields declared in " + m.source + " exist, so an undeclared key is a compile error."
	} else {
		doc += "It is lenient: keys not declared in " + m.source + " are kept in Extra and read with ContextValue."
	}
	fields := []jen.Code{}
	for _, fl := range s.Context.Fields {
		fields = append(fields, jen.Id(fl.GoName).Add(m.fieldType("context", fl)).Tag(jsonTag(fl.Name, !fl.Required)))
	}
	if !strict {
		fields = append(fields, jen.Line().Comment("Extra holds keys that the spec does not declare."),
			jen.Id("Extra").Map(jen.String()).Qual("encoding/json", "RawMessage").Tag(map[string]string{"json": "-"}))
	}
	f.Comment(doc)
	f.Type().Id("Context").Struct(fields...)
	f.Line()

	for _, fl := range s.Context.Fields {
		if fl.Type == spec.TypeEnum {
			m.emitEnum(f, fl)
		}
	}

	// Validate.
	checks := []jen.Code{jen.Var().Id("errs").Index().Error()}
	for _, fl := range s.Context.Fields {
		sel := jen.Id("c").Dot(fl.GoName)
		if fl.Required {
			checks = append(checks, jen.If(zeroCheck(fl, jen.Id("c").Dot(fl.GoName))).Block(
				jen.Id("errs").Op("=").Append(jen.Id("errs"), jen.Qual("errors", "New").Call(jen.Lit(fl.Name+" is required"))),
			))
		}
		if fl.Type == spec.TypeEnum {
			val := sel.Clone()
			cond := jen.Op("!").Add(val.Clone()).Dot("Valid").Call()
			if fl.Nullable {
				cond = jen.Add(sel.Clone()).Op("!=").Nil().Op("&&").Op("!").Add(sel.Clone()).Dot("Valid").Call()
			} else if !fl.Required {
				cond = jen.Add(sel.Clone()).Op("!=").Lit("").Op("&&").Op("!").Add(sel.Clone()).Dot("Valid").Call()
			}
			checks = append(checks, jen.If(cond).Block(
				jen.Id("errs").Op("=").Append(jen.Id("errs"), jen.Qual("fmt", "Errorf").Call(jen.Lit(fl.Name+": %w"), jen.Add(sel.Clone()).Dot("check").Call())),
			))
		}
	}
	checks = append(checks,
		jen.If(jen.Id("err").Op(":=").Qual("errors", "Join").Call(jen.Id("errs").Op("...")), jen.Id("err").Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("authentify: invalid context: %w"), jen.Id("err"))),
		),
		jen.Return(jen.Nil()))
	f.Comment("Validate reports every missing required field and invalid enum value.")
	f.Func().Params(jen.Id("c").Id("Context")).Id("Validate").Params().Error().Block(checks...)
	f.Line()

	// WithDefaults.
	body := []jen.Code{}
	for _, fl := range s.Context.Fields {
		if fl.Default == nil {
			continue
		}
		def, err := m.defaultValue("context", fl)
		if err != nil {
			return err
		}
		sel := jen.Id("c").Dot(fl.GoName)
		if fl.Nullable && !selfNullable(fl.Type) {
			body = append(body, jen.If(sel.Clone().Op("==").Nil()).Block(
				jen.Id("v").Op(":=").Add(m.baseType("context", fl)).Parens(def),
				sel.Clone().Op("=").Op("&").Id("v")))
		} else {
			body = append(body, jen.If(zeroCheck(fl, sel.Clone())).Block(sel.Clone().Op("=").Add(def)))
		}
	}
	body = append(body, jen.Return(jen.Id("c")))
	f.Comment("WithDefaults returns c with the spec's defaults filled into unset fields.")
	f.Func().Params(jen.Id("c").Id("Context")).Id("WithDefaults").Params().Id("Context").Block(body...)
	f.Line()

	m.emitDecodeContext(f)

	if !strict {
		known := []jen.Code{}
		for _, fl := range s.Context.Fields {
			known = append(known, jen.Lit(fl.Name))
		}
		f.Comment("contextKeys are the declared keys of Context.")
		f.Var().Id("contextKeys").Op("=").Index().String().Values(known...)
		f.Line()
		f.Comment("MarshalJSON writes the declared fields and the extra keys. An extra key that")
		f.Comment("equals a declared key, even only under case folding, is refused.")
		f.Func().Params(jen.Id("c").Id("Context")).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Type().Id("plain").Id("Context"),
			jen.Return(jen.Qual(runtimePath, "MarshalWithExtra").Call(jen.Id("plain").Call(jen.Id("c")), jen.Id("c").Dot("Extra"), jen.Id("contextKeys").Op("..."))),
		)
		f.Line()
		f.Comment("UnmarshalJSON reads the declared fields from their exact keys and keeps every")
		f.Comment("other key in Extra, except keys that case-fold to a declared key (ignored).")
		f.Func().Params(jen.Id("c").Op("*").Id("Context")).Id("UnmarshalJSON").Params(jen.Id("data").Index().Byte()).Error().Block(
			jen.Type().Id("plain").Id("Context"),
			jen.Var().Id("p").Id("plain"),
			jen.List(jen.Id("extra"), jen.Err()).Op(":=").Qual(runtimePath, "UnmarshalWithExtra").Call(
				jen.Id("data"), jen.Op("&").Id("p"), jen.Id("contextKeys")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
			jen.Id("p").Dot("Extra").Op("=").Id("extra"),
			jen.Op("*").Id("c").Op("=").Id("Context").Call(jen.Id("p")),
			jen.Return(jen.Nil()),
		)
		f.Line()
		f.Comment("ContextValue decodes the undeclared context key into T. It reports false when the key is absent.")
		f.Func().Id("ContextValue").Types(jen.Id("T").Any()).Params(jen.Id("c").Id("Context"), jen.Id("key").String()).Params(jen.Id("T"), jen.Bool(), jen.Error()).Block(
			jen.Return(jen.Qual(runtimePath, "GetExtra").Types(jen.Id("T")).Call(jen.Id("c").Dot("Extra"), jen.Id("key"))),
		)
		f.Line()
	}
	return nil
}

// emitEnum renders a string enum type with its constants, Valid, and a
// validating UnmarshalText.
func (m *goModel) emitEnum(f *jen.File, fl spec.Field) {
	name := fl.EnumType
	consts := []jen.Code{}
	cases := []jen.Code{}
	for i, v := range fl.Values {
		consts = append(consts, jen.Id(fl.EnumConsts[i]).Id(name).Op("=").Lit(v))
		cases = append(cases, jen.Id(fl.EnumConsts[i]))
	}
	f.Commentf("%s is the enum of %s: one of %v.", name, fl.Name, fl.Values)
	f.Type().Id(name).String()
	f.Line()
	f.Commentf("The values of %s.", name)
	f.Const().Defs(consts...)
	f.Line()
	f.Comment("Valid reports whether v is one of the declared values.")
	f.Func().Params(jen.Id("v").Id(name)).Id("Valid").Params().Bool().Block(
		jen.Switch(jen.Id("v")).Block(jen.Case(cases...).Block(jen.Return(jen.True()))),
		jen.Return(jen.False()),
	)
	f.Line()
	f.Func().Params(jen.Id("v").Id(name)).Id("check").Params().Error().Block(
		jen.If(jen.Id("v").Dot("Valid").Call()).Block(jen.Return(jen.Nil())),
		jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("%q is not one of "+strings.Join(fl.Values, ", ")), jen.String().Call(jen.Id("v")))),
	)
	f.Line()
	f.Comment("UnmarshalText accepts only the declared values.")
	f.Func().Params(jen.Id("v").Op("*").Id(name)).Id("UnmarshalText").Params(jen.Id("b").Index().Byte()).Error().Block(
		jen.Id("x").Op(":=").Id(name).Call(jen.Id("b")),
		jen.If(jen.Err().Op(":=").Id("x").Dot("check").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		jen.Op("*").Id("v").Op("=").Id("x"),
		jen.Return(jen.Nil()),
	)
	f.Line()
}

// emitDecodeContext renders decodeContext, which tokenFromRow (and any
// other store) calls with the stored JSON of a context. For a strict
// Context it drives runtime.ContextDecoder with a switch over the declared
// keys, each field read by the reader of its type, and leaves the input
// the reader does not handle exactly to runtime.DecodeContext. A lenient
// Context (Extra) always goes through runtime.DecodeContext.
func (m *goModel) emitDecodeContext(f *jen.File) {
	s := m.spec
	fallback := []jen.Code{
		jen.Var().Id("c").Id("Context"),
		jen.List(jen.Id("dropped"), jen.Err()).Op("=").Qual(runtimePath, "DecodeContext").Call(jen.Lit(s.Table), jen.Id("raw"), jen.Op("&").Id("c")),
		jen.Op("*").Id("dst").Op("=").Id("c"),
		jen.Return(jen.Id("dropped"), jen.Err()),
	}
	doc := func() {
		f.Comment("decodeContext decodes raw, the stored JSON of a token's context, into *dst")
		f.Comment("(overwritten). It returns what runtime.DecodeContext returns: the declared keys")
		f.Comment("whose values do not fit their fields (dropped: the fields stay zero and the caller")
		f.Comment("applies WithDefaults), or an error when raw is not a JSON object or null.")
	}
	params := jen.Params(jen.Id("raw").Index().Byte(), jen.Id("dst").Op("*").Id("Context"))
	results := jen.Params(jen.Id("dropped").Index().String(), jen.Err().Error())
	if !s.Context.Strict {
		body := append([]jen.Code{jen.Comment("A lenient Context keeps undeclared keys: encoding/json reads it.")}, fallback...)
		doc()
		f.Func().Id("decodeContext").Add(params, results).Block(body...)
		f.Line()
		return
	}
	keys := []jen.Code{jen.Lit(s.Table)}
	cases := []jen.Code{}
	for i, fl := range s.Context.Fields {
		keys = append(keys, jen.Lit(fl.Name))
		cases = append(cases, jen.Case(jen.Lit(i)).Block(append([]jen.Code{jen.Comment(fl.Name)}, m.decodeField(fl)...)...))
	}
	cases = append(cases, jen.Default().Block(jen.Id("d").Dot("Skip").Call()))
	f.Comment("contextFields are the declared keys of Context, in the order of readContext's switch.")
	f.Var().Id("contextFields").Op("=").Qual(runtimePath, "NewContextFields").Call(keys...)
	f.Line()
	body := []jen.Code{
		jen.If(jen.List(jen.Id("dropped"), jen.Id("ok")).Op(":=").Id("readContext").Call(jen.Id("raw"), jen.Id("dst")), jen.Id("ok")).Block(
			jen.Return(jen.Id("dropped"), jen.Nil())),
		jen.Comment("Input that the reader leaves to encoding/json (see runtime.ContextDecoder)."),
	}
	body = append(body, fallback...)
	doc()
	f.Func().Id("decodeContext").Add(params, results).Block(body...)
	f.Line()
	f.Comment("readContext is decodeContext without reflection: it reports false for input")
	f.Comment("that it leaves to runtime.DecodeContext.")
	f.Func().Id("readContext").Params(jen.Id("raw").Index().Byte(), jen.Id("dst").Op("*").Id("Context")).Params(jen.Index().String(), jen.Bool()).Block(
		jen.Op("*").Id("dst").Op("=").Id("Context").Values(),
		jen.Id("d").Op(":=").Id("contextFields").Dot("Decoder").Call(jen.Id("raw")),
		jen.For(jen.Id("d").Dot("Next").Call()).Block(jen.Switch(jen.Id("d").Dot("Field").Call()).Block(cases...)),
		jen.Return(jen.Id("d").Dot("Done").Call()),
	)
	f.Line()
}

// decodeField renders the statements of decodeContext that read the current
// value into the context field fl.
func (m *goModel) decodeField(fl spec.Field) []jen.Code {
	d := jen.Id("d")
	dst := jen.Id("dst").Dot(fl.GoName)
	reader := map[spec.FieldType]string{
		spec.TypeString: "String", spec.TypeBool: "Bool", spec.TypeInt32: "Int32",
		spec.TypeInt64: "Int64", spec.TypeFloat64: "Float64",
	}
	if r, ok := reader[fl.Type]; ok {
		if fl.Nullable {
			r += "Ptr"
		}
		return []jen.Code{d.Dot(r).Call(jen.Op("&").Add(dst))}
	}
	switch fl.Type {
	case spec.TypeStringList:
		return []jen.Code{d.Dot("StringList").Call(jen.Op("&").Add(dst))}
	case spec.TypeJSON:
		return []jen.Code{d.Dot("Raw").Call(jen.Op("&").Add(dst))}
	}
	// Types with their own decoding method, called on a zero value that is
	// stored only when it succeeds.
	val := jen.Id("v")
	if fl.Nullable {
		val = jen.Op("&").Id("v")
	}
	decode := func(call jen.Code) []jen.Code {
		return []jen.Code{
			jen.Var().Id("v").Add(m.baseType("context", fl)),
			jen.If(d.Clone().Dot("Check").Call(call)).Block(dst.Clone().Op("=").Add(val)),
		}
	}
	if fl.Type == spec.TypeTime {
		// time.Time decodes JSON itself (null included).
		stmts := decode(jen.Id("v").Dot("UnmarshalJSON").Call(d.Clone().Dot("Value").Call()))
		if fl.Nullable {
			return []jen.Code{jen.If(jen.Op("!").Add(d.Clone()).Dot("Null").Call()).Block(stmts...)}
		}
		return stmts
	}
	// enum, uuid, ip: a JSON string through UnmarshalText.
	return []jen.Code{jen.If(jen.List(jen.Id("b"), jen.Id("ok")).Op(":=").Add(d.Clone()).Dot("Text").Call(), jen.Id("ok")).Block(
		decode(jen.Id("v").Dot("UnmarshalText").Call(jen.Id("b")))...)}
}

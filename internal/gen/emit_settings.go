package gen

import (
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/authentify-go/authentify/runtime"
)

// settingsDict renders st as the fields of a runtime.Settings literal: one
// per row of runtime.SettingsTable but secrets, which exist only at run
// time.
func settingsDict(st runtime.Settings) jen.Dict {
	d := jen.Dict{}
	for _, info := range runtime.SettingsTable() {
		var v jen.Code
		switch p := info.Ptr(&st).(type) {
		case *time.Duration:
			v = durationCode(*p)
		case *bool:
			v = jen.Lit(*p)
		case *int:
			v = jen.Lit(*p)
		case *string:
			v = jen.Lit(*p)
		case *[]string:
			v = stringsCode(*p)
		default:
			continue // a secret is never generated
		}
		d[jen.Id(info.Field)] = v
	}
	return d
}

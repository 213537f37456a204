// Package templates holds the text/template sources of the SQL schema, the
// sqlc-annotated queries and the sqlc configuration that authentify-gen
// renders for a spec.
package templates

import "embed"

// FS holds schema.sql.tmpl, queries.sql.tmpl, queries_sqlite.sql.tmpl,
// sqlc.yaml.tmpl, migrate.go.tmpl (the generated Migrate and CheckSchema)
// and store_sqlite.go.tmpl (the SQLite store over sqlc's db/sqlite).
//
//go:embed *.tmpl
var FS embed.FS

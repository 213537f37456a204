package gen

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/authentify-go/authentify/internal/spec"
)

// TestTokenReadsSkipHashes checks the PostgreSQL queries that return a
// token: each selects exactly the token columns (the custom ones
// included), so that their sqlc row types convert to tokenRow, and none
// returns a hash or the rotation salt, which stay in the database.
func TestTokenReadsSkipHashes(t *testing.T) {
	s, err := spec.Load("authentify.yaml", []byte("version: 1\npackage: auth\nfields:\n  plan: { type: string, default: x }\n  seen_from: { type: ip, nullable: true }\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := renderSQL(s, "authentify.yaml", sqlPaths{Schema: "schema.sql", Queries: "queries.sql", Out: "db"})
	if err != nil {
		t.Fatal(err)
	}
	want := tokenColumns(s)
	for _, c := range []string{`"plan"`, `"seen_from"`, `"id"`, `"context"`, `"revoke_reason"`} {
		if !strings.Contains(want, c) {
			t.Errorf("token columns %s lack %s", want, c)
		}
	}
	// Every query: "-- name: X :kind" followed by its statement, up to the
	// next query; sqlc's row types come from the :one and :many ones.
	blocks := regexp.MustCompile(`(?m)^-- name: (\w+) :(\w+)\n`).FindAllStringSubmatchIndex(string(files["queries.sql"]), -1)
	sql := string(files["queries.sql"])
	tokenQueries := []string{
		"InsertToken", "TokenByAccessHash", "TokenByRefreshHash", "TokenByPrevRefreshHash",
		"TokenByRetiredRefreshHash", "SlideToken", "RotateToken", "UserSessions", "UpdateTokenColumns",
	}
	var seen []string
	for i, b := range blocks {
		name := sql[b[2]:b[3]]
		end := len(sql)
		if i+1 < len(blocks) {
			end = blocks[i+1][0]
		}
		var lines []string
		for _, l := range strings.Split(sql[b[1]:end], "\n") {
			if !strings.HasPrefix(l, "--") {
				lines = append(lines, l)
			}
		}
		stmt := strings.Join(strings.Fields(strings.Join(lines, "\n")), " ")
		kind := sql[b[4]:b[5]]
		list, ok := resultList(stmt)
		if !ok || (kind != "one" && kind != "many") || !slices.Contains(tokenQueries, name) {
			continue
		}
		seen = append(seen, name)
		if list != want {
			t.Errorf("%s returns %s, want the token columns %s", name, list, want)
		}
		for _, h := range hashColumns {
			if strings.Contains(list, `"`+h+`"`) {
				t.Errorf("%s returns the hash column %s", name, h)
			}
		}
	}
	slices.Sort(seen)
	slices.Sort(tokenQueries)
	if !slices.Equal(seen, tokenQueries) {
		t.Errorf("token queries found %v, want %v", seen, tokenQueries)
	}
}

// resultList returns the select list of a SELECT statement or the RETURNING
// list of a write (stmt without comments, its whitespace collapsed).
func resultList(stmt string) (string, bool) {
	if i := strings.LastIndex(stmt, "RETURNING "); i >= 0 {
		return strings.TrimSuffix(strings.TrimSpace(stmt[i+len("RETURNING "):]), ";"), true
	}
	list, ok := strings.CutPrefix(stmt, "SELECT ")
	if !ok {
		return "", false
	}
	if i := strings.Index(list, " FROM "); i >= 0 {
		return list[:i], true
	}
	return "", false
}

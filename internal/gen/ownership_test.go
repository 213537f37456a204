package gen

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The manifest decides ownership: these tests start from a directory that a
// previous Write left, with files of other tools and hand-written files
// around it.

// userFiles are files authentify-gen never wrote, in the package folder and
// in db/: they must survive every Write and never be called stale.
var userFiles = disk{
	"helper.go":                 handMade,
	"kind_string.go":            otherGen, // stringer
	"users.sql.go":              sqlcGen,  // the user's own sqlc output, beside ours
	"db/user_extra.go":          "package db\n",
	"db/reports.sql.go":         sqlcGen,
	"sql/notes.sql":             "-- my notes\n",
	"sql/migrations/0001_x.sql": SQLHeader + "\n", // a directory the set never wrote
}

func TestWriteOwnership(t *testing.T) {
	v1 := map[string]string{
		"context.go":     goGen,
		"old.go":         goGen + "// v1 only\n",
		"db/models.go":   sqlcGen,
		"db/old.sql.go":  sqlcGen + "// v1 only\n", // sqlc output we wrote: owned through the manifest
		"sql/schema.sql": SQLHeader + "\n",
		"edited.go":      goGen + "// v1 only, edited below\n",
	}
	v2 := map[string]string{
		"context.go":                goGen + "// v2\n",
		"db/models.go":              sqlcGen + "// v2\n",
		"sql/schema.sql":            SQLHeader + "\n",
		"sql/migrations/0002_y.sql": SQLHeader + "\n-- v2\n",
	}
	dir := t.TempDir()
	if _, err := Write(dir, fileSet(v1)); err != nil {
		t.Fatal(err)
	}
	makeDisk(t, dir, userFiles)
	makeDisk(t, dir, disk{"edited.go": goGen + "// v1 only, edited by hand\n"})

	rep, err := Check(dir, fileSet(v2))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"db/old.sql.go", "old.go"}; !reflect.DeepEqual(rep.Stale, want) {
		t.Errorf("Check: stale = %v, want %v (never a user's file)", rep.Stale, want)
	}

	res, err := Write(dir, fileSet(v2))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Written:   []string{mf, "context.go", "db/models.go", "sql/migrations/0002_y.sql"},
		Deleted:   []string{"db/old.sql.go", "old.go"},
		Unchanged: []string{"sql/schema.sql"},
		Kept:      []string{"edited.go"},
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Write = %+v\nwant    %+v", res, want)
	}
	checkDisk(t, dir, userFiles)
	checkDisk(t, dir, disk{"old.go": absentMrk, "db/old.sql.go": absentMrk, "edited.go": goGen + "// v1 only, edited by hand\n"})
	checkDisk(t, dir, disk{mf: manifestOf(t, v2)})

	// The kept file is the user's now: no longer stale, never deleted.
	rep, err = Check(dir, fileSet(v2))
	if err != nil || !rep.OK() {
		t.Errorf("Check after Write: %v\n%s", err, rep)
	}
	if res, err := Write(dir, fileSet(map[string]string{"context.go": goGen})); err != nil {
		t.Fatal(err)
	} else if want := []string{"db/models.go", "sql/migrations/0002_y.sql", "sql/schema.sql"}; !reflect.DeepEqual(res.Deleted, want) {
		t.Errorf("Deleted = %v, want %v", res.Deleted, want)
	}
	checkDisk(t, dir, userFiles)
	checkDisk(t, dir, disk{"edited.go": goGen + "// v1 only, edited by hand\n"})
}

func TestWriteRefusesForeignOrEditedFiles(t *testing.T) {
	gen := map[string]string{"context.go": goGen, "db/models.go": sqlcGen}
	tests := []struct {
		name   string
		before disk
		reason string // in the error, for the path
		path   string
	}{{
		name:   "edited since written",
		before: disk{mf: manifestOf(t, gen), "context.go": goGen + "// my fix\n", "db/models.go": sqlcGen},
		path:   "context.go",
		reason: "edited since authentify-gen wrote it",
	}, {
		name:   "not listed in the manifest",
		before: disk{mf: manifestOf(t, map[string]string{"context.go": goGen}), "context.go": goGen, "db/models.go": sqlcGen + "// mine\n"},
		path:   "db/models.go",
		reason: "not written by authentify-gen (" + ManifestFile + " does not list it)",
	}, {
		name:   "no manifest, no header",
		before: disk{"context.go": handMade},
		path:   "context.go",
		reason: "no " + ManifestFile + " and no generated header",
	}, {
		name:   "no manifest, another tool's header",
		before: disk{"context.go": otherGen},
		path:   "context.go",
		reason: "no " + ManifestFile + " and no generated header",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			makeDisk(t, dir, tc.before)
			before := listDisk(t, dir)
			_, err := Write(dir, fileSet(map[string]string{"context.go": goGen + "// v2\n", "db/models.go": sqlcGen + "// v2\n"}))
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("Write error = %v, want a *ConflictError", err)
			}
			if len(ce.Conflicts) != 1 || ce.Conflicts[0].Path != tc.path || !strings.Contains(ce.Conflicts[0].Reason, tc.reason) {
				t.Errorf("conflicts = %+v, want %s: …%s…", ce.Conflicts, tc.path, tc.reason)
			}
			if !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("error does not say nothing was written: %v", err)
			}
			checkDisk(t, dir, tc.before)
			if after := listDisk(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("files changed despite the error: %v → %v", before, after)
			}
		})
	}
}

func TestWriteMalformedManifest(t *testing.T) {
	for _, bad := range []string{
		"deadbeef  context.go\n",
		strings.Repeat("0", 64) + "  ../escape.go\n",
		strings.Repeat("0", 64) + " context.go\n",
		strings.Repeat("0", 64) + "  " + ManifestFile + "\n",
	} {
		dir := t.TempDir()
		makeDisk(t, dir, disk{mf: bad, "context.go": goGen})
		_, err := Write(dir, fileSet(map[string]string{"context.go": goGen + "// v2\n"}))
		if err == nil || !strings.Contains(err.Error(), ManifestFile+":1: malformed line") {
			t.Errorf("manifest %q: Write error = %v", bad, err)
		}
		if _, err := Check(dir, fileSet(map[string]string{"context.go": goGen})); err == nil {
			t.Errorf("manifest %q: Check accepted it", bad)
		}
		checkDisk(t, dir, disk{"context.go": goGen})
	}
}

func TestManifestIsSha256sumFormat(t *testing.T) {
	got := manifestOf(t, map[string]string{"b/x.sql": "x\n", "a.go": ""})
	want := manifestIntro +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.go\n" +
		"73cb3858a687a8494ca3323053016282f3dad39d42cf62ca4e79dda2aac7d9ac  b/x.sql\n"
	if got != want {
		t.Errorf("manifest =\n%s\nwant\n%s", got, want)
	}
	if !strings.HasPrefix(got, "# "+HeaderText+"\n") {
		t.Errorf("manifest does not start with the generated header")
	}
}

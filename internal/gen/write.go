package gen

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// Result lists what Write did. Paths are slash-separated and relative to the
// output directory, sorted.
type Result struct {
	Written   []string // created or replaced because the bytes changed
	Deleted   []string // stale generated files removed
	Unchanged []string // already identical on disk, not touched
	// Kept lists files that authentify-gen wrote and no longer generates,
	// but which were edited since: they are left in place and dropped from
	// the manifest, so from now on they are the user's.
	Kept []string
}

// Report is the outcome of Check. Paths are slash-separated and relative to
// the output directory, sorted.
type Report struct {
	Changed []string // on disk, but with different content
	Missing []string // not on disk
	Stale   []string // generated files on disk that the file set no longer has
	Diff    string   // unified diff (disk → generated) of every changed file
}

// OK reports whether the directory is up to date.
func (r Report) OK() bool {
	return len(r.Changed) == 0 && len(r.Missing) == 0 && len(r.Stale) == 0
}

// String lists the changed, missing and stale files, followed by the unified
// diff of each changed file.
func (r Report) String() string {
	if r.OK() {
		return "up to date\n"
	}
	var b strings.Builder
	for _, l := range []struct {
		label string
		paths []string
	}{{"changed", r.Changed}, {"missing", r.Missing}, {"stale", r.Stale}} {
		for _, p := range l.paths {
			fmt.Fprintf(&b, "%-8s %s\n", l.label+":", p)
		}
	}
	if r.Diff != "" {
		b.WriteString("\n")
		b.WriteString(r.Diff)
	}
	return b.String()
}

// ConflictError is returned by Write when a path of the file set holds a
// file that authentify-gen may not replace. Nothing was written.
type ConflictError struct {
	Dir       string
	Conflicts []Conflict // sorted by path
}

// Conflict is one file Write refused to replace.
type Conflict struct {
	Path   string // slash-separated, relative to the output directory
	Reason string
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to overwrite %d file(s) in %s that authentify-gen did not write or that were edited since; nothing was written:", len(e.Conflicts), e.Dir)
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, "\n\t%s: %s", c.Path, c.Reason)
	}
	b.WriteString("\nmove your changes out of these files (generated code is changed through authentify.yaml), or delete them, and run authentify-gen again")
	return b.String()
}

// Write makes dir hold files, plus the manifest [ManifestFile] that lists
// them. It is the only place generated output reaches the disk.
//
// Ownership: the manifest written by the previous run says which files
// authentify-gen wrote, with their SHA-256.
//
//   - A file is written only when its bytes differ from what is on disk, so
//     unchanged files keep their modification time. Writes are atomic (a
//     temporary file in the same directory, then a rename); a replaced file
//     keeps its permission bits, a new one gets 0644 (less umask).
//   - An existing file is replaced only if the manifest lists it with its
//     current content. One that was edited since, or that the manifest does
//     not list, is a [ConflictError] and nothing is written. A directory
//     without a manifest (written by an authentify-gen older than the
//     manifest) lets a file at a generated path be replaced when it carries
//     the authentify-gen or sqlc "Code generated … DO NOT EDIT." header.
//   - A file that the manifest lists and the file set no longer has is stale
//     and deleted if its content still matches; if it was edited it is kept
//     (Result.Kept) and dropped from the manifest. Without a manifest, a file
//     with exactly the authentify-gen header in a directory that receives a
//     file of the set is stale. No other file is ever deleted: another
//     tool's output (sqlc, stringer, mockgen…) and hand-written files are
//     never touched, whatever their header says.
//   - Missing directories are created.
//   - Nothing is written if any path is absolute, unclean or escapes dir.
//     All access goes through an [os.Root], so symlinks cannot lead outside
//     dir either.
func Write(dir string, files FileSet) (Result, error) {
	var res Result
	if err := files.validate(); err != nil {
		return res, err
	}
	files, err := files.withManifest()
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return res, err
	}
	defer root.Close()

	// Decide everything before touching the disk.
	pl, err := planWrite(root, files)
	if err != nil {
		return res, err
	}
	if len(pl.conflicts) > 0 {
		return res, &ConflictError{Dir: dir, Conflicts: pl.conflicts}
	}
	res.Unchanged, res.Kept = pl.unchanged, pl.kept

	// The manifest goes last: if anything fails before, the old one still
	// describes what is on disk (a file already rewritten equals the new
	// content and counts as unchanged next time).
	write := func(p string) error {
		mode, ok := pl.modes[p]
		if !ok {
			mode = 0o644
		}
		if err := writeAtomic(root, p, files[p], mode, ok); err != nil {
			return err
		}
		res.Written = append(res.Written, p)
		return nil
	}
	manifestChanged := false
	for _, p := range pl.toWrite {
		if p == ManifestFile {
			manifestChanged = true
			continue
		}
		if err := write(p); err != nil {
			return res, err
		}
	}
	for _, p := range pl.stale {
		if err := root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
		res.Deleted = append(res.Deleted, p)
	}
	if manifestChanged {
		if err := write(ManifestFile); err != nil {
			return res, err
		}
		sort.Strings(res.Written)
	}
	return res, nil
}

// writePlan is what Write would do.
type writePlan struct {
	toWrite   []string               // sorted
	modes     map[string]fs.FileMode // permission bits of files being replaced
	unchanged []string               // sorted
	stale     []string               // sorted; owned files to delete
	kept      []string               // sorted; stale but edited, left alone
	conflicts []Conflict             // sorted by path
}

// planWrite compares root with files (which include the manifest).
func planWrite(root *os.Root, files FileSet) (writePlan, error) {
	pl := writePlan{modes: map[string]fs.FileMode{}}
	old, err := readManifest(root)
	if err != nil {
		return pl, err
	}
	for _, p := range files.Paths() {
		cur, mode, err := readRegular(root, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			pl.toWrite = append(pl.toWrite, p)
			continue
		case err != nil:
			return pl, err
		case bytes.Equal(cur, files[p]):
			pl.unchanged = append(pl.unchanged, p)
			continue
		}
		_, listed := old[p]
		reason := ""
		switch {
		case p == ManifestFile, old.owns(p, cur):
		case listed:
			reason = "edited since authentify-gen wrote it (its content no longer matches " + ManifestFile + ")"
		case old != nil:
			reason = "not written by authentify-gen (" + ManifestFile + " does not list it)"
		case !isOwned(cur):
			reason = "not written by authentify-gen (no " + ManifestFile + " and no generated header)"
		}
		if reason != "" {
			pl.conflicts = append(pl.conflicts, Conflict{Path: p, Reason: reason})
			continue
		}
		pl.toWrite = append(pl.toWrite, p)
		pl.modes[p] = mode
	}

	if old == nil {
		pl.stale, err = findLegacyStale(root, files)
		return pl, err
	}
	for _, p := range slices.Sorted(maps.Keys(old)) {
		if _, ok := files[p]; ok {
			continue
		}
		cur, _, err := readRegular(root, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return pl, err
		case old.owns(p, cur):
			pl.stale = append(pl.stale, p)
		default:
			pl.kept = append(pl.kept, p)
		}
	}
	return pl, nil
}

// Check compares dir with files (and the manifest that lists them) without
// changing anything. A directory that does not exist counts as empty. Stale
// files are those Write would delete.
func Check(dir string, files FileSet) (Report, error) {
	var rep Report
	if err := files.validate(); err != nil {
		return rep, err
	}
	files, err := files.withManifest()
	if err != nil {
		return rep, err
	}
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		rep.Missing = files.Paths()
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer root.Close()

	var diff strings.Builder
	for _, p := range files.Paths() {
		old, _, err := readRegular(root, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			rep.Missing = append(rep.Missing, p)
		case err != nil:
			return rep, err
		case !bytes.Equal(old, files[p]):
			rep.Changed = append(rep.Changed, p)
			diff.WriteString(unifiedDiff("a/"+p, "b/"+p, old, files[p]))
		}
	}
	rep.Diff = diff.String()
	pl, err := planWrite(root, files)
	rep.Stale = pl.stale
	return rep, err
}

// readRegular reads the file at p in root. A missing file, or a missing
// parent directory, yields fs.ErrNotExist; anything but a regular file is an
// error.
func readRegular(root *os.Root, p string) ([]byte, fs.FileMode, error) {
	fi, err := root.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil, 0, fs.ErrNotExist
		}
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s: exists and is not a regular file", path.Join(root.Name(), p))
	}
	b, err := root.ReadFile(p)
	return b, fi.Mode().Perm(), err
}

// isNotDir reports whether err says that a path component is a file, not a
// directory. Write turns that into a mkdir error later, Check into "missing".
func isNotDir(err error) bool {
	return errors.Is(err, syscall.ENOTDIR)
}

// findLegacyStale is stale-file detection for a directory without a
// manifest: the regular files in the directories that files writes into that
// are not part of files and carry exactly the authentify-gen header.
func findLegacyStale(root *os.Root, files FileSet) ([]string, error) {
	var stale []string
	for _, d := range files.dirs() {
		f, err := root.Open(d)
		if errors.Is(err, fs.ErrNotExist) || (err != nil && isNotDir(err)) {
			continue
		}
		if err != nil {
			return nil, err
		}
		entries, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			p := path.Join(d, e.Name())
			if _, ok := files[p]; ok || !e.Type().IsRegular() {
				continue
			}
			head, err := readHead(root, p)
			if err != nil {
				return nil, err
			}
			if matchHeader(head, ourRE) {
				stale = append(stale, p)
			}
		}
	}
	sort.Strings(stale)
	return stale, nil
}

// readHead reads enough of the file at p to look for a header.
func readHead(root *os.Root, p string) ([]byte, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 16*1024))
}

// writeAtomic writes data to p via a temporary file in the same directory
// and a rename.
func writeAtomic(root *os.Root, p string, data []byte, mode fs.FileMode, chmod bool) (err error) {
	if d := path.Dir(p); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+"."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			root.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if chmod {
		if err := root.Chmod(tmp, mode); err != nil {
			return err
		}
	}
	return root.Rename(tmp, p)
}

// ---- unified diff ----

// diffContext is the number of unchanged lines around each hunk.
const diffContext = 3

// maxEditDistance bounds the Myers search (its memory grows with the square
// of the edit distance). Beyond it the differing middle is shown as one
// replacement, which is still a correct diff.
const maxEditDistance = 1000

type opKind byte

const (
	opEq  opKind = ' '
	opDel opKind = '-'
	opIns opKind = '+'
)

type diffOp struct {
	kind   opKind
	ai, bi int // position in a and b before this op
}

// splitLines splits s into lines, each keeping its "\n" (the last one may
// lack it).
func splitLines(s []byte) []string {
	var lines []string
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, string(s))
			break
		}
		lines = append(lines, string(s[:i+1]))
		s = s[i+1:]
	}
	return lines
}

// unifiedDiff returns the unified diff from old to new, "" if equal.
func unifiedDiff(oldName, newName string, old, new []byte) string {
	a, b := splitLines(old), splitLines(new)
	ops := diffLines(a, b)

	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	hunks := 0
	for i := 0; i < len(ops); {
		// Find the next change.
		for i < len(ops) && ops[i].kind == opEq {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-diffContext, 0)
		// Extend over changes separated by at most 2*diffContext equal lines.
		end := i
		for {
			for end < len(ops) && ops[end].kind != opEq {
				end++
			}
			next := end
			for next < len(ops) && ops[next].kind == opEq {
				next++
			}
			if next == len(ops) || next-end > 2*diffContext {
				break
			}
			end = next
		}
		end = min(end+diffContext, len(ops))
		writeHunk(&out, a, b, ops[start:end])
		hunks++
		i = end
	}
	if hunks == 0 {
		return ""
	}
	return out.String()
}

func writeHunk(out *strings.Builder, a, b []string, ops []diffOp) {
	na, nb := 0, 0
	for _, op := range ops {
		if op.kind != opIns {
			na++
		}
		if op.kind != opDel {
			nb++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(ops[0].ai, na), hunkRange(ops[0].bi, nb))
	for _, op := range ops {
		var line string
		if op.kind == opIns {
			line = b[op.bi]
		} else {
			line = a[op.ai]
		}
		out.WriteByte(byte(op.kind))
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// diffLines returns an edit script from a to b: common prefix and suffix
// trimmed, the middle by Myers' O(ND) algorithm.
func diffLines(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{opEq, i, i})
	}
	for _, op := range myers(a[pre:len(a)-suf], b[pre:len(b)-suf]) {
		ops = append(ops, diffOp{op.kind, op.ai + pre, op.bi + pre})
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, diffOp{opEq, len(a) - suf + i, len(b) - suf + i})
	}
	return ops
}

// myers computes a shortest edit script from a to b.
func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	// vs[d][k+d] is the furthest x reached on diagonal k (x-y) with d edits.
	var vs [][]int
	found := false
	for d := 0; d <= n+m && d <= maxEditDistance && !found; d++ {
		cur := make([]int, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			switch {
			case d == 0:
				x = 0
			case k == -d || (k != d && vs[d-1][k-1+d-1] < vs[d-1][k+1+d-1]):
				x = vs[d-1][k+1+d-1] // step down: insert b[y]
			default:
				x = vs[d-1][k-1+d-1] + 1 // step right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			cur[k+d] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
		vs = append(vs, cur)
	}
	if !found {
		// Too different: replace everything.
		ops := make([]diffOp, 0, n+m)
		for i := range n {
			ops = append(ops, diffOp{opDel, i, 0})
		}
		for j := range m {
			ops = append(ops, diffOp{opIns, n, j})
		}
		return ops
	}

	// Backtrack from (n, m).
	var rev []diffOp
	x, y := n, m
	for d := len(vs) - 1; d > 0; d-- {
		k := x - y
		prev := vs[d-1]
		var pk int
		if k == -d || (k != d && prev[k-1+d-1] < prev[k+1+d-1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := prev[pk+d-1]
		py := px - pk
		// Snake back to the point right after the edit.
		sx := px
		if pk == k-1 {
			sx = px + 1
		}
		for x > sx {
			x--
			y--
			rev = append(rev, diffOp{opEq, x, y})
		}
		if pk == k+1 {
			rev = append(rev, diffOp{opIns, px, py})
		} else {
			rev = append(rev, diffOp{opDel, px, py})
		}
		x, y = px, py
	}
	for x > 0 {
		x--
		y--
		rev = append(rev, diffOp{opEq, x, y})
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

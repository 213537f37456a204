package gen

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ManifestFile is the file, in the output directory, that lists every file
// authentify-gen wrote there with its SHA-256. It is how the generator knows
// which files are its own: only files it lists, still holding the bytes it
// wrote, are ever replaced or deleted. Its lines read like sha256sum's
// output ("<hex>  <path>"), so `sha256sum -c authentify-gen.sum` verifies a
// directory.
const ManifestFile = "authentify-gen.sum"

// manifestIntro is the comment at the top of the manifest.
const manifestIntro = "# " + HeaderText + `
# Every file authentify-gen wrote in this directory, with its SHA-256.
# authentify-gen replaces or deletes only files listed here whose content
# still matches; a file edited since is refused or kept, never overwritten.
`

// manifest maps a slash-separated path (relative to the output directory)
// to the SHA-256 of the content authentify-gen wrote there.
type manifest map[string][sha256.Size]byte

// withManifest returns a copy of files with the manifest that lists them.
func (files FileSet) withManifest() (FileSet, error) {
	if _, ok := files[ManifestFile]; ok {
		return nil, fmt.Errorf("invalid output path: %q is reserved for the manifest", ManifestFile)
	}
	var b strings.Builder
	b.WriteString(manifestIntro)
	out := make(FileSet, len(files)+1)
	for _, p := range files.Paths() {
		sum := sha256.Sum256(files[p])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), p)
		out[p] = files[p]
	}
	out[ManifestFile] = []byte(b.String())
	return out, nil
}

// readManifest reads the manifest in root. It returns nil, nil when there is
// none: a directory written by an authentify-gen older than the manifest,
// or never written.
func readManifest(root *os.Root) (manifest, error) {
	data, _, err := readRegular(root, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := manifest{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, p, ok := strings.Cut(line, "  ")
		raw, herr := hex.DecodeString(sum)
		if !ok || herr != nil || len(raw) != sha256.Size || checkPath(p) != nil || p == ManifestFile {
			return nil, fmt.Errorf("%s:%d: malformed line %q (want \"<sha256 hex>  <path>\"): restore the file from version control, or delete it to let authentify-gen fall back to recognising its own header", ManifestFile, n, line)
		}
		m[p] = [sha256.Size]byte(raw)
	}
	return m, sc.Err()
}

// owns reports whether the manifest lists p with exactly content.
func (m manifest) owns(p string, content []byte) bool {
	sum, ok := m[p]
	return ok && sum == sha256.Sum256(content)
}

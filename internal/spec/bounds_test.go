package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// boundCases are inputs just beyond each bound of the loader, each with the
// start of the error it must give and where. goccy/go-yaml took 49 s to
// reject the first one (64 KiB of "[") before the bounds existed.
var boundCases = []struct {
	name, src, want string
}{
	{"size", "version: 1\npackage: auth\n#" + strings.Repeat("x", MaxFileSize), "authentify.yaml:1:1: the file is 65562 bytes long; authentify.yaml is limited to 64 KiB"},
	{"tokens", strings.Repeat("[", MaxFileSize-1), fmt.Sprintf("authentify.yaml:1:%d: the file has %d YAML tokens", MaxTokens+1, MaxFileSize-1)},
	{"flow depth", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), fmt.Sprintf("authentify.yaml:1:%d: mappings and lists nest more than %d levels deep", MaxDepth+1, MaxDepth)},
	{"flow mapping depth", "a: " + strings.Repeat("{a: ", MaxDepth) + "1" + strings.Repeat("}", MaxDepth), "authentify.yaml:1:128: mappings and lists nest more than 32 levels deep"},
	{"block list depth", strings.Repeat("- ", MaxDepth+1) + "a\n", "authentify.yaml:1:65: mappings and lists nest more than 32 levels deep"},
	{"block mapping depth", blockNest(MaxDepth + 1), "authentify.yaml:33:34: mappings and lists nest more than 32 levels deep"},
	{"flow entries", "version: 1\npackage: auth\nx: {" + flowEntries(MaxFlowEntries) + "}\n", "authentify.yaml:3:2197: a [ … ] or { … } collection has more than 256 entries"},
	{"aliases", "a: &a x\nb: [" + strings.Repeat("*a, ", MaxAliases+1) + "]\n", "authentify.yaml:2:69: more than 16 YAML aliases (*name)"},
	{"documents", strings.Repeat("---\na: 1\n", MaxDocuments+1), "authentify.yaml:33:1: more than 16 `---` document markers"},
}

func blockNest(depth int) string {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
	}
	return b.String()
}

func flowEntries(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v, ", i)
	}
	return b.String()
}

// TestLoadBounds checks that an input beyond each bound is refused with a
// clear, positioned error, and that the same shape within the bound is not
// refused for its size.
func TestLoadBounds(t *testing.T) {
	for _, tc := range boundCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("authentify.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("Load accepted it")
			}
			checkErrors(t, err)
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error =\n%.300s\nwant it to start with\n%s", err, tc.want)
			}
		})
	}
	within := map[string]string{
		"depth":        blockNest(MaxDepth),
		"flow depth":   "a: " + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1),
		"flow entries": "x: {" + flowEntries(MaxFlowEntries-1) + "}\n",
		"aliases":      "a: &a x\nb: [" + strings.Repeat("*a, ", MaxAliases) + "]\n",
		"tokens":       strings.Repeat("#\n", MaxTokens),
	}
	for name, src := range within {
		t.Run("within/"+name, func(t *testing.T) {
			_, err := Load("authentify.yaml", []byte(src))
			if err == nil {
				t.Fatal("Load accepted a spec without version and package")
			}
			for _, w := range []string{"YAML tokens", "nest more than", "entries", "aliases (*name)", "document markers"} {
				if strings.Contains(err.Error(), w) && !strings.Contains(err.Error(), "YAML aliases (*name) are not supported") {
					t.Errorf("refused by a bound it stays within:\n%.300s", err)
				}
			}
		})
	}
}

// TestFuzzSeedsBounds checks that the inputs that made the parser crawl are
// kept as FuzzLoad seeds.
func TestFuzzSeedsBounds(t *testing.T) {
	for _, name := range []string{"crawl_deep_flow", "crawl_flow_entries", "crawl_block_depth"} {
		data, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(data), "\n", 2)
		if lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a fuzz corpus file", name)
		}
		src, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[1]), "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := Load("authentify.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "the bound keeps loading fast") {
			t.Errorf("%s: not refused by a bound: %v", name, err)
		}
	}
}

// BenchmarkLoadBounds measures Load on the inputs just beyond each bound
// and on the largest shapes within them (go test -bench LoadBounds
// ./internal/spec): every one returns in milliseconds.
func BenchmarkLoadBounds(b *testing.B) {
	inputs := map[string]string{
		"within/flow entries": "x: {" + flowEntries(MaxFlowEntries-1) + "}\n",
		"within/depth":        blockNest(MaxDepth),
		"within/tokens":       strings.Repeat("k: v\n", MaxTokens/3-1),
	}
	for _, tc := range boundCases {
		inputs["beyond/"+tc.name] = tc.src
	}
	for name, src := range inputs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Load("authentify.yaml", []byte(src))
			}
		})
	}
}

package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/authentify-go/authentify/runtime"
)

// Minimal returns the smallest valid spec. It describes the repository's
// stock token model (schema/, queries/).
func Minimal() []byte {
	return []byte("version: 1\npackage: auth\n")
}

// Starter returns a commented authentify.yaml showing every key with its
// default, for package auth.
func Starter() []byte { return StarterFor("auth") }

// InitPackage returns the package name `authentify-gen init` writes for a
// spec in the folder named dir: the folder's name made into a valid
// package name (lower case, - and . as _), or "auth" if that is not
// possible. ok reports whether the folder's name was used.
func InitPackage(dir string) (pkg string, ok bool) {
	p := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == '-' || r == '.' || r == ' ':
			return '_'
		}
		return -1
	}, dir)
	if packageProblem(p) != "" {
		return "auth", false
	}
	return p, true
}

// StarterFor returns a commented authentify.yaml for package pkg (a valid
// package name, see InitPackage) showing every key with its default, for
// `authentify-gen init`. Its first line points editors that use the
// yaml-language-server (VS Code's YAML extension, …) to the JSON Schema.
func StarterFor(pkg string) []byte {
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=" + SchemaURL + "\n")
	line := func(indent int, text, comment string) {
		s := strings.Repeat("  ", indent) + text
		if comment != "" {
			s = fmt.Sprintf("%-34s # %s", s, comment)
		}
		b.WriteString(strings.TrimRight(s, " ") + "\n")
	}
	b.WriteString("# authentify.yaml: the spec of a typed token-authentication package.\n")
	b.WriteString("# Run `go generate` after each change. Every key shows its default.\n")
	line(0, "version: 1", "format of this file; must be 1")
	line(0, "package: "+pkg, "Go package of the generated code (this folder's name)")
	line(0, "table: "+DefaultTable, "the table holding one row per session")
	line(0, "# engines: [postgresql]", "postgresql | sqlite; list both to serve either")
	line(0, "# http: [echo4]", "middleware generated: nethttp | echo4 | echo5")
	line(0, "user:", "the owner of tokens")
	line(1, "id_type: "+string(DefaultIDType), "int64 | int32 | uuid | string")
	line(1, "# references: users(id)", "optional foreign key: table(column) or schema.table(column)")
	line(0, "token:", "tokens read <prefix>_at_… (access) and <prefix>_rt_… (refresh)")
	if ValidPrefix(pkg) {
		line(1, "# prefix: "+pkg, "a-z, then up to 15 of a-z0-9; default: the package name")
	} else {
		line(1, "prefix: "+prefixHint(pkg), "a-z, then up to 15 of a-z0-9 (the package name is not one)")
	}
	line(0, "context:", "the typed per-token context, stored as jsonb")
	line(1, "strict: true", "false: keys not declared below are kept too")
	line(1, "fields:", "name: { type, required, nullable, default, values }")
	line(2, "# device: { type: string, required: true }", "")
	line(2, "# tier:   { type: enum, values: [free, premium], default: free }", "")
	line(0, "fields:", "custom token columns, name: { type, nullable, default, values }")
	line(1, "# last_used_ip: { type: ip, nullable: true }", "")
	line(1, "# two_factor_verified: { type: bool, default: false }", "")
	b.WriteString("# Types: " + typeNames() + ".\n")
	b.WriteString("# A custom column is NOT NULL unless `nullable: true`, so it needs a default.\n")
	line(0, "settings:", "defaults of the generated Service; each can be overridden at run time")
	def := runtime.DefaultSettings()
	var secrets []runtime.SettingInfo
	for _, info := range runtime.SettingsTable() {
		if info.Kind == runtime.KindSecret {
			secrets = append(secrets, info)
			continue
		}
		line(1, info.Key+": "+settingYAML(info.Ptr(&def)), info.Doc)
	}
	for _, info := range secrets {
		b.WriteString("  # " + info.Key + " never goes here: " + runTimeOnly(info) + ".\n")
	}
	return []byte(b.String())
}

// settingYAML renders a setting's value as written in authentify.yaml.
func settingYAML(v any) string {
	switch v := v.(type) {
	case *time.Duration:
		return formatDuration(*v)
	case *bool:
		return strconv.FormatBool(*v)
	case *int:
		return strconv.Itoa(*v)
	case *string:
		return yamlString(*v)
	case *[]string:
		items := make([]string, len(*v))
		for i, s := range *v {
			items[i] = yamlString(s)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// formatDuration writes d as authentify.yaml does: none, 0, or the largest
// whole unit (24h, 90m, 10s), else Go's form.
func formatDuration(d time.Duration) string {
	switch {
	case d == runtime.Never:
		return "none"
	case d == 0:
		return "0"
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

var plainYAML = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// yamlString writes s plainly when that is unambiguous, else double-quoted.
func yamlString(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "none", "y", "n", "~":
		return strconv.Quote(s)
	}
	if plainYAML.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

package auth

// The files of this package that carry a "Code generated" header are written
// by authentify-gen from authentify.yaml; this file is not. Regenerate with
// `go generate ./examples/...`; CI runs `authentify-gen --check` on it.

//go:generate go tool authentify-gen

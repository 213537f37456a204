package app

import (
	"embed"
	"fmt"
	"net/http"
)

// web holds the page served at "/": plain HTML, CSS and JavaScript, embedded
// in the binary, with no build step and no external assets.
//
//go:embed web
var web embed.FS

// PageCSP is the Content-Security-Policy of the page and its assets: scripts,
// styles and fetches from the app's own origin only, no inline script or
// style, no plugins, no framing, forms posted only to the app itself.
const PageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// pageFiles maps each route of the page to its embedded file and type.
var pageFiles = []struct{ route, file, contentType string }{
	{"/", "web/index.html", "text/html; charset=utf-8"},
	{"/page.js", "web/page.js", "text/javascript; charset=utf-8"},
	{"/page.css", "web/page.css", "text/css; charset=utf-8"},
}

// pageFile serves one file of the page.
type pageFile struct {
	route, contentType string
	body               []byte
}

// ServeHTTP writes the file with the page's security headers.
func (f pageFile) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", f.contentType)
	_, _ = w.Write(f.body) // the client is gone; nothing to do
}

// loadPage reads the page's files: GET / and its script and style sheet.
func loadPage() ([]pageFile, error) {
	out := make([]pageFile, 0, len(pageFiles))
	for _, f := range pageFiles {
		body, err := web.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("page: %w", err)
		}
		out = append(out, pageFile{route: f.route, contentType: f.contentType, body: body})
	}
	return out, nil
}

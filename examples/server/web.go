package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// webFS holds the web UI: index.html (the agents' single-page app),
// widget.html (the customers' chat page) and static/ (scripts, styles).
// There is no build step; the files are served as they are.
//
//go:embed web
var webFS embed.FS

// webContentSecurityPolicy lets pages load scripts, styles, images and
// connections (fetch and the WebSocket) from the server itself only, and
// nothing may frame them. The UI has no inline scripts or styles.
const webContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// webType returns the content type of a UI file by its extension; files
// with other extensions are not served.
func webType(ext string) (string, bool) {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8", true
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	case ".svg":
		return "image/svg+xml", true
	case ".png":
		return "image/png", true
	case ".ico":
		return "image/x-icon", true
	}
	return "", false
}

// webFile is one embedded file ready to serve.
type webFile struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

// newWebFile returns a file to serve, its ETag a hash of body.
func newWebFile(name string, body []byte, ctype string) *webFile {
	sum := sha256.Sum256(body)
	return &webFile{name: name, body: body, ctype: ctype,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// The meta tag of index.html that tells the agents' app whether the server
// seeded demo data (server.demo): only then does it show the demo logins
// and the mock systems' switches. index.html says "off"; a demo server
// serves a copy that says "on". No API route is needed, and the page
// knows before its first request.
const (
	webDemoOff = `<meta name="icc-demo" content="off">`
	webDemoOn  = `<meta name="icc-demo" content="on">`
)

// webUIPath reports whether a route pattern's path belongs to the web UI
// rather than to the API, which the OpenAPI document describes.
func webUIPath(p string) bool {
	return p == "/{$}" || p == "/widget" || strings.HasPrefix(p, "/static/")
}

// webRoutes registers the web UI: GET / (the agents' app, whose
// icc-demo meta tag follows s.demo), GET /widget (the customers' chat
// page) and GET /static/... (its scripts and styles).
// Every answer carries an ETag (a hash of the content) and is revalidated
// on each use, so a new binary's files are picked up at once.
func (s *server) webRoutes() {
	files, err := loadWebFiles(webFS)
	if err != nil {
		panic(fmt.Sprintf("web UI: %v", err)) // the files are embedded: a bug
	}
	index, widget := files["index.html"], files["widget.html"]
	demoIndex := newWebFile(index.name, bytes.Replace(index.body, []byte(webDemoOff), []byte(webDemoOn), 1), index.ctype)
	s.register("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.demo {
			serveWebFile(w, r, demoIndex)
			return
		}
		serveWebFile(w, r, index)
	}))
	s.register("GET /widget", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveWebFile(w, r, widget) }))
	s.register("GET /static/{file...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files["static/"+r.PathValue("file")]
		if !ok {
			setWebHeaders(w)
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		serveWebFile(w, r, f)
	}))
}

// loadWebFiles reads every servable file under web/ into memory, keyed by
// its path below web/.
func loadWebFiles(fsys fs.FS) (map[string]*webFile, error) {
	files := make(map[string]*webFile)
	err := fs.WalkDir(fsys, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := webType(path.Ext(p))
		if !ok {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "web/")
		files[name] = newWebFile(name, body, ctype)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, need := range []string{"index.html", "widget.html"} {
		if files[need] == nil {
			return nil, fmt.Errorf("%s is missing", need)
		}
	}
	if !bytes.Contains(files["index.html"].body, []byte(webDemoOff)) {
		return nil, fmt.Errorf("index.html has no %s", webDemoOff)
	}
	return files, nil
}

// setWebHeaders sets the security headers of every UI answer.
func setWebHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", webContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// serveWebFile writes f with its type, ETag and security headers,
// answering a matching If-None-Match with 304.
func serveWebFile(w http.ResponseWriter, r *http.Request, f *webFile) {
	setWebHeaders(w)
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

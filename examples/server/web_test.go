package main

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebUIServed: the pages and static files are served with their
// content types, an ETag honoured by If-None-Match, and the security
// headers; unknown files are 404 and the API's 404 is unchanged.
func TestWebUIServed(t *testing.T) {
	s, _, _ := newTestServer(t)
	for path, ctype := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/widget":           "text/html; charset=utf-8",
		"/static/app.js":    "text/javascript; charset=utf-8",
		"/static/widget.js": "text/javascript; charset=utf-8",
		"/static/style.css": "text/css; charset=utf-8",
	} {
		t.Run(path, func(t *testing.T) {
			w := serveOnce(s, httptest.NewRequest("GET", path, nil))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, ctype, w.Header().Get("Content-Type"))
			assert.NotEmpty(t, w.Body.String())
			csp := w.Header().Get("Content-Security-Policy")
			assert.Contains(t, csp, "default-src 'self'")
			assert.Contains(t, csp, "script-src 'self';")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
			assert.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
			etag := w.Header().Get("ETag")
			require.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag)

			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("If-None-Match", etag)
			w = serveOnce(s, r)
			assert.Equal(t, http.StatusNotModified, w.Code)
			assert.Empty(t, w.Body.String())

			w = serveOnce(s, httptest.NewRequest("HEAD", path, nil))
			assert.Equal(t, http.StatusOK, w.Code)
		})
	}

	w := serveOnce(s, httptest.NewRequest("GET", "/static/nope.js", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	w = serveOnce(s, httptest.NewRequest("GET", "/nope", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json", "unknown paths still get the API's JSON 404")
	w = serveOnce(s, httptest.NewRequest("POST", "/", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

// TestWebUIHasNoInlineCode: the pages load scripts and styles from files
// only, which the Content-Security-Policy requires, and no script writes
// HTML from strings.
func TestWebUIHasNoInlineCode(t *testing.T) {
	files, err := loadWebFiles(webFS)
	require.NoError(t, err)
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\son[a-z]+\s*=|style\s*=`)
	for name, f := range files {
		switch {
		case strings.HasSuffix(name, ".html"):
			assert.NotRegexp(t, inline, string(f.body), name)
		case strings.HasSuffix(name, ".js"):
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
				assert.NotContains(t, string(f.body), bad, name)
			}
		}
	}
}

// apiLiteral finds string and template literals in the UI's scripts that
// start with /api/, up to the closing quote.
var apiLiteral = regexp.MustCompile("[\"'`](/api/[^\"'`]*)")

// TestWebUIPathsDocumented: every /api/ path the UI's scripts name is an
// operation of the OpenAPI document, so the UI and the API cannot drift
// apart unnoticed. Interpolations and concatenated ids count as path
// parameters; query strings are ignored.
func TestWebUIPathsDocumented(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented [][]string
	for p := range doc.Paths {
		documented = append(documented, strings.Split(p, "/"))
	}
	matches := func(path string) bool {
		segs := strings.Split(path, "/")
		return slices.ContainsFunc(documented, func(d []string) bool {
			if len(d) != len(segs) {
				return false
			}
			for i := range d {
				isParam := strings.HasPrefix(d[i], "{")
				if segs[i] == "{}" != isParam || !isParam && d[i] != segs[i] {
					return false
				}
			}
			return true
		})
	}

	var found []string
	err := fs.WalkDir(webFS, "web", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		body, err := fs.ReadFile(webFS, name)
		if err != nil {
			return err
		}
		for _, m := range apiLiteral.FindAllStringSubmatch(string(body), -1) {
			p := m[1]
			p, _, _ = strings.Cut(p, "?")
			p = regexp.MustCompile(`\$\{[^}]*\}`).ReplaceAllString(p, "{}")
			if strings.HasSuffix(p, "/") { // "/api/tickets/" + id
				p += "{}"
			}
			found = append(found, p)
			assert.True(t, matches(p), "%s names %s, which openapi.json does not document", name, m[1])
		}
		return nil
	})
	require.NoError(t, err)
	// The check sees the paths the UI depends on most.
	for _, want := range []string{"/api/auth/login", "/api/auth/me", "/api/tickets", "/api/integrations",
		"/api/conversations", "/api/analytics/tickets", "/api/maintenance", "/api/logs"} {
		assert.Contains(t, found, want)
	}
}

// TestWebUIDemoMeta: the agents' page tells the app whether demo data was
// seeded, in its icc-demo meta tag ("on" only on a demo server), with an
// ETag of its own; the widget page has no such tag.
func TestWebUIDemoMeta(t *testing.T) {
	s, _, _ := newTestServer(t)
	off := serveOnce(s, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, http.StatusOK, off.Code)
	assert.Contains(t, off.Body.String(), webDemoOff)
	assert.NotContains(t, off.Body.String(), webDemoOn)

	s.demo = true
	on := serveOnce(s, httptest.NewRequest("GET", "/", nil))
	require.Equal(t, http.StatusOK, on.Code)
	assert.Contains(t, on.Body.String(), webDemoOn)
	assert.NotContains(t, on.Body.String(), webDemoOff)
	assert.NotEqual(t, off.Header().Get("ETag"), on.Header().Get("ETag"), "each variant has its own ETag")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("If-None-Match", off.Header().Get("ETag"))
	assert.Equal(t, http.StatusOK, serveOnce(s, r).Code, "the other variant's ETag does not match")

	w := serveOnce(s, httptest.NewRequest("GET", "/widget", nil))
	assert.NotContains(t, w.Body.String(), "icc-demo")
}

// TestRunDemoMeta: run marks the page "on" when it seeds demo data (the
// default with memory storage) and "off" with -demo=false.
func TestRunDemoMeta(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"default", nil, webDemoOn},
		{"demo=false", []string{"-demo=false"}, webDemoOff},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRun(t, append([]string{"-addr", "127.0.0.1:0"}, tc.args...), nil)
			res, err := http.Get(r.url + "/")
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Contains(t, string(body), tc.want)
		})
	}
}

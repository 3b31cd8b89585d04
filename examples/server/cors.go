package main

import (
	"net/http"
	"strings"
)

// customerRoutes are the routes a customer's page calls: starting a chat,
// reading it with the conversation token, and the public ticket form. Pages
// on other sites that -chat-origins allows may call them (CORS), as they may
// open GET /ws; every other route stays same-origin.
var customerRoutes = []string{
	"POST /api/conversations",
	"GET /api/conversations/{id}",
	"GET /api/conversations/{id}/messages",
	"GET /api/conversations/{id}/read-marks",
	"POST /api/public/tickets",
}

// corsHeaders are the request headers a customer's page may send.
const corsHeaders = "Content-Type, Authorization, X-Conversation-Token"

// corsMaxAge is how long, in seconds, a browser may reuse a preflight
// answer.
const corsMaxAge = "600"

// corsExposed are the response headers a customer's page may read besides
// the CORS-safelisted ones: when to retry after a 429, and where a created
// resource is.
const corsExposed = "Retry-After, Location"

// corsPolicy decides which pages on other sites may call customerRoutes.
type corsPolicy struct {
	// routes matches customerRoutes; its handlers are never called.
	routes *http.ServeMux
	// allowed is the chat hub's origin rule (chat.Hub.CheckOrigin); nil
	// until the chat is set up, and then no other site may call anything.
	allowed func(*http.Request) error
}

func newCORSPolicy() *corsPolicy {
	p := &corsPolicy{routes: http.NewServeMux()}
	for _, pattern := range customerRoutes {
		p.routes.Handle(pattern, http.NotFoundHandler())
	}
	return p
}

// match reports whether a request with method and r's path is a customer
// route.
func (p *corsPolicy) match(r *http.Request, method string) bool {
	probe := r.Clone(r.Context())
	probe.Method = method
	_, pattern := p.routes.Handler(probe)
	return pattern != ""
}

// methods lists the methods of the customer routes at r's path.
func (p *corsPolicy) methods(r *http.Request) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if p.match(r, m) {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// withCORS answers CORS for the customer routes: a request from a page on
// another site that the chat's origin rule allows gets
// Access-Control-Allow-Origin, a preflight is answered with 204, and the
// request skips the cross-origin protection (protected) that every other
// route keeps. Such a request never acts as a signed-in agent: its cookies
// are dropped, and no credentials are allowed, so it is a customer's (by
// its conversation token) or anonymous. Anything else goes to protected
// unchanged, which refuses cross-origin writes; a cross-origin read of
// another route gets no CORS header, so the browser keeps the answer from
// the page.
func (s *server) withCORS(protected, open http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		p := s.cors
		if origin == "" || p == nil || p.allowed == nil || sameHost(r, origin) {
			protected.ServeHTTP(w, r)
			return
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		method := r.Method
		if preflight {
			method = r.Header.Get("Access-Control-Request-Method")
		}
		if !p.match(r, method) {
			protected.ServeHTTP(w, r)
			return
		}
		// Whether the answer carries CORS headers depends on the Origin, so
		// caches must keep answers apart by it, refused ones too.
		h := w.Header()
		h.Add("Vary", "Origin")
		if p.allowed(r) != nil {
			protected.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExposed)
		if preflight {
			h.Set("Access-Control-Allow-Methods", p.methods(r))
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Del("Cookie")
		open.ServeHTTP(w, r)
	})
}

// sameHost reports whether origin is a page on the host r was sent to.
func sameHost(r *http.Request, origin string) bool {
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.EqualFold(host, r.Host)
}

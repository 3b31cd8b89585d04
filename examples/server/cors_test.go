package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fromSite returns an anonymous client whose requests come from a page on
// origin, as a browser sends them cross-site.
func (e *deskEnv) fromSite(origin string) *client {
	c := e.anon()
	c.header.Set("Origin", origin)
	c.header.Set("Sec-Fetch-Site", "cross-site")
	return c
}

// TestCORSCustomerRoutes: a page on a -chat-origins site may start a chat,
// read it with its token and file a ticket, with CORS; it may not use any
// other route, or act as a signed-in agent.
func TestCORSCustomerRoutes(t *testing.T) {
	e := newChatEnv(t) // allows shop.example.com
	const shop = "https://shop.example.com"

	// The preflight of a JSON POST.
	c := e.fromSite(shop)
	c.header.Set("Access-Control-Request-Method", "POST")
	c.header.Set("Access-Control-Request-Headers", "content-type")
	w := c.do("OPTIONS", "/api/conversations", nil)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	assert.Equal(t, shop, w.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "POST", w.Header().Get("Access-Control-Allow-Methods"), "listing conversations is for agents")
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "Authorization")
	assert.Contains(t, w.Header().Values("Vary"), "Origin")
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Credentials"), "no cookies cross-site")

	// Start, read, file a ticket.
	w = e.fromSite(shop).do("POST", "/api/conversations", map[string]string{"email": "cross@site.example", "message": "hello from the shop"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, shop, w.Header().Get("Access-Control-Allow-Origin"))
	st := decode[started](t, w)
	c = e.fromSite(shop)
	c.header.Set("Authorization", "Bearer "+st.Token)
	for _, path := range []string{"/api/conversations/" + st.ID, "/api/conversations/" + st.ID + "/messages", "/api/conversations/" + st.ID + "/read-marks"} {
		w = c.do("GET", path, nil)
		assert.Equal(t, http.StatusOK, w.Code, "%s: %s", path, w.Body.String())
		assert.Equal(t, shop, w.Header().Get("Access-Control-Allow-Origin"), path)
	}
	w = e.fromSite(shop).do("POST", "/api/public/tickets", map[string]string{"subject": "From the shop", "customer_email": "cross@site.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, shop, w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Access-Control-Expose-Headers"), "Retry-After", "a page can read when to retry after a 429")

	// Another site gets no CORS and cannot write.
	const evil = "https://evil.example"
	c = e.fromSite(evil)
	c.header.Set("Access-Control-Request-Method", "POST")
	w = c.do("OPTIONS", "/api/conversations", nil)
	assert.NotEqual(t, http.StatusNoContent, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	w = e.fromSite(evil).do("POST", "/api/conversations", map[string]string{"email": "x@evil.example"})
	requireError(t, w, 403, "forbidden", "")
	assert.Contains(t, w.Header().Values("Vary"), "Origin", "refused answers vary by Origin too")
	requireError(t, e.fromSite(evil).do("POST", "/api/public/tickets", map[string]string{"subject": "x", "customer_email": "x@evil.example"}), 403, "forbidden", "")

	// The allowed site cannot reach agent routes, nor ride an agent's
	// session on the customer routes.
	agent := e.asAgent()
	agent.header.Set("Origin", shop)
	agent.header.Set("Sec-Fetch-Site", "cross-site")
	requireError(t, agent.do("POST", "/api/tickets", map[string]string{"subject": "x", "customer_email": "c@x.example"}), 403, "forbidden", "")
	w = agent.do("GET", "/api/tickets", nil)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"), "no CORS on agent routes")
	requireError(t, agent.do("GET", "/api/conversations/"+st.ID+"/messages", nil), 401, "unauthorized", "")
	agent.header.Del("Origin")
	agent.header.Del("Sec-Fetch-Site")
	assert.Equal(t, http.StatusOK, agent.do("GET", "/api/conversations/"+st.ID+"/messages", nil).Code, "same-origin, the session counts")

	// The server's own pages need no CORS.
	c = e.anon()
	c.header.Set("Origin", "http://example.com")
	w = c.do("POST", "/api/conversations", map[string]string{"email": "own@site.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
}

// TestCORSWithoutChat: with no chat hub there is no origin rule, so no
// other site may call anything.
func TestCORSWithoutChat(t *testing.T) {
	e := newDeskEnv(t)
	requireError(t, e.fromSite("https://shop.example.com").do("POST", "/api/public/tickets",
		map[string]string{"subject": "x", "customer_email": "x@shop.example"}), 403, "forbidden", "")
}

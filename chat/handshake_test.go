package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// goodKey is a valid Sec-WebSocket-Key (RFC 6455's example).
const goodKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest is a WebSocket opening handshake for target, to be served
// without a network: every refusal comes before the upgrade.
func upgradeRequest(target string, h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Connection", "keep-alive, Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", goodKey)
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// requireRefusal checks a JSON error response and returns its message.
func requireRefusal(t *testing.T, w *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	var body icc.ErrorBody
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
	assert.Equal(t, code, body.Error.Code)
	assert.NotEmpty(t, body.Error.Message)
	return body.Error.Message
}

// TestServeHTTPRefusals: every refusal is a JSON error answered before the
// websocket library sees the request, with the status of its code.
func TestServeHTTPRefusals(t *testing.T) {
	e := newEnv(t, fast(Config{OriginPatterns: []string{"app.example.com"}}))
	conv, secret := e.start("refusals")
	other, _ := e.start("other")
	token := CustomerToken(conv.ID, secret)

	plain := httptest.NewRequest(http.MethodGet, "/?token="+url.QueryEscape(token), nil)
	post := upgradeRequest("/", nil)
	post.Method = http.MethodPost
	tests := []struct {
		name   string
		r      *http.Request
		status int
		code   string
	}{
		{"no upgrade headers, even with a token", plain, http.StatusUpgradeRequired, codeUpgradeRequired},
		{"not a GET", post, http.StatusMethodNotAllowed, codeMethodNotAllowed},
		{"bad version", upgradeRequest("/", http.Header{"Sec-Websocket-Version": {"8"}}), http.StatusBadRequest, icc.EINVALID},
		{"bad key", upgradeRequest("/", http.Header{"Sec-Websocket-Key": {"short"}}), http.StatusBadRequest, icc.EINVALID},
		{"no credentials", upgradeRequest("/", nil), http.StatusUnauthorized, icc.EUNAUTHORIZED},
		{"garbage token", upgradeRequest("/?token=nonsense", nil), http.StatusUnauthorized, icc.EUNAUTHORIZED},
		{"wrong secret", upgradeRequest("/?token="+conv.ID+".wrong", nil), http.StatusUnauthorized, icc.EUNAUTHORIZED},
		{"wrong bearer token", upgradeRequest("/", http.Header{"Authorization": {"Bearer " + other.ID + "." + secret}}), http.StatusUnauthorized, icc.EUNAUTHORIZED},
		{"token of another conversation", upgradeRequest("/?conversation_id="+other.ID+"&token="+url.QueryEscape(token), nil), http.StatusForbidden, icc.EFORBIDDEN},
		{"header token of another conversation", upgradeRequest("/?conversation_id="+other.ID, http.Header{TokenHeader: {token}}), http.StatusForbidden, icc.EFORBIDDEN},
		{"foreign origin", upgradeRequest("/?token="+url.QueryEscape(token), http.Header{"Origin": {"https://evil.example.com"}}), http.StatusForbidden, icc.EFORBIDDEN},
		{"origin without a host", upgradeRequest("/?token="+url.QueryEscape(token), http.Header{"Origin": {"null"}}), http.StatusForbidden, icc.EFORBIDDEN},
		{"foreign origin, agent", upgradeRequest("/?agent=a1", http.Header{"Origin": {"https://evil.example.com"}}), http.StatusForbidden, icc.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			e.hub.ServeHTTP(w, tt.r)
			requireRefusal(t, w, tt.status, tt.code)
			switch tt.name {
			case "no upgrade headers, even with a token":
				assert.Equal(t, "websocket", w.Header().Get("Upgrade"))
			case "not a GET":
				assert.Equal(t, http.MethodGet, w.Header().Get("Allow"))
			case "bad version":
				assert.Equal(t, "13", w.Header().Get("Sec-WebSocket-Version"))
			}
		})
	}
}

// TestServeHTTPAgentErrors: an error of Config.AuthenticateAgent gets the
// status of its icc code; an error without one is a 500 that shows
// nothing of it.
func TestServeHTTPAgentErrors(t *testing.T) {
	var authErr error
	e := newEnv(t, fast(Config{AuthenticateAgent: func(*http.Request) (Participant, error) {
		return Participant{}, authErr
	}}))
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{icc.Errorf(icc.EFORBIDDEN, "agents only on weekdays"), http.StatusForbidden, icc.EFORBIDDEN},
		{icc.Unavailable(errTest, "sessions are down"), http.StatusServiceUnavailable, icc.EUNAVAILABLE},
		{errors.New("secret database detail"), http.StatusInternalServerError, icc.EINTERNAL},
	} {
		authErr = tt.err
		w := httptest.NewRecorder()
		e.hub.ServeHTTP(w, upgradeRequest("/", nil))
		msg := requireRefusal(t, w, tt.status, tt.code)
		assert.NotContains(t, msg, "secret")
	}
}

// TestServeHTTPAccepts: a customer connects with the combined token in the
// query or in either header, or with the secret and conversation_id; an
// agent through AuthenticateAgent; pages on allowed origins too.
func TestServeHTTPAccepts(t *testing.T) {
	e := newEnv(t, fast(Config{OriginPatterns: []string{"app.example.com", "https://*.shop.example"}}))
	conv, secret := e.start("accepts")
	token := CustomerToken(conv.ID, secret)
	base := "ws" + e.srv.URL[len("http"):] + "/"
	tests := []struct {
		name   string
		query  url.Values
		header http.Header
		role   Role
	}{
		{"combined token in the query", url.Values{"token": {token}}, nil, RoleCustomer},
		{"combined token and its conversation_id", url.Values{"token": {token}, "conversation_id": {conv.ID}}, nil, RoleCustomer},
		{"bearer token", nil, http.Header{"Authorization": {"Bearer " + token}}, RoleCustomer},
		{"token header", nil, http.Header{TokenHeader: {token}}, RoleCustomer},
		{"secret and conversation_id", url.Values{"token": {secret}, "conversation_id": {conv.ID}}, nil, RoleCustomer},
		{"agent", url.Values{"agent": {"a1"}}, nil, RoleAgent},
		{"own origin", url.Values{"token": {token}}, http.Header{"Origin": {e.srv.URL}}, RoleCustomer},
		{"allowed host, any case", url.Values{"token": {token}}, http.Header{"Origin": {"https://APP.example.com"}}, RoleCustomer},
		{"allowed scheme and host", url.Values{"token": {token}}, http.Header{"Origin": {"https://www.shop.example"}}, RoleCustomer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, base+"?"+tt.query.Encode(), &websocket.DialOptions{HTTPHeader: tt.header})
			require.NoError(t, err)
			defer ws.CloseNow()
			_, b, err := ws.Read(ctx)
			require.NoError(t, err)
			var f frame
			require.NoError(t, json.Unmarshal(b, &f))
			assert.Equal(t, TypeReady, f.Type)
			assert.Equal(t, tt.role, f.Role)
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, base+"?token="+url.QueryEscape(token), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"http://www.shop.example"}}}) // the pattern names https
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// TestOriginAsTheLibrary: the hub's origin check gives the websocket
// library's answers, including for an Origin without a host ("null", from
// a sandboxed frame or a file), which only a pattern such as "*" allows.
func TestOriginAsTheLibrary(t *testing.T) {
	for _, tt := range []struct {
		patterns []string
		origin   string
		ok       bool
	}{
		{nil, "null", false},
		{[]string{"*"}, "null", true},
		{[]string{"*"}, "https://any.example", true},
		{[]string{"app.example.com"}, "null", false},
		{[]string{"app.example.com"}, "https://APP.example.com", true},
		{[]string{"https://*.shop.example"}, "http://www.shop.example", false},
		{nil, "http://example.com", true}, // the request's own host
		{nil, "http://other.example", false},
		{nil, "%", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/ws", nil)
		r.Header.Set("Origin", tt.origin)
		err := checkOrigin(r, tt.patterns)
		if tt.ok {
			assert.NoError(t, err, "%v %q", tt.patterns, tt.origin)
		} else {
			assert.ErrorIs(t, err, icc.ErrForbidden, "%v %q", tt.patterns, tt.origin)
		}
	}
}

// TestHubCheckOrigin: the exported check is the one GET /ws applies, with
// the hub's patterns.
func TestHubCheckOrigin(t *testing.T) {
	e := newEnv(t, fast(Config{OriginPatterns: []string{"shop.example.com"}}))
	for origin, ok := range map[string]bool{
		"":                         true,
		"https://shop.example.com": true,
		"http://example.com":       true, // the request's own host
		"https://evil.example.com": false,
		"null":                     false,
	} {
		r := httptest.NewRequest(http.MethodPost, "http://example.com/api/conversations", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if ok {
			assert.NoError(t, e.hub.CheckOrigin(r), origin)
		} else {
			assert.ErrorIs(t, e.hub.CheckOrigin(r), icc.ErrForbidden, origin)
		}
	}
}

// TestServeRefusals: a host that authenticates itself and calls Serve gets
// the same JSON refusals for the handshake and the origin, and 503 once
// the hub shuts down.
func TestServeRefusals(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		e.hub.Serve(w, r, Participant{Role: RoleAgent, ID: "a1"})
		return w
	}
	w := serve(httptest.NewRequest(http.MethodGet, "/", nil))
	requireRefusal(t, w, http.StatusUpgradeRequired, codeUpgradeRequired)
	requireRefusal(t, serve(upgradeRequest("/", http.Header{"Origin": {"https://evil.example.com"}})), http.StatusForbidden, icc.EFORBIDDEN)

	w = httptest.NewRecorder()
	e.hub.Serve(w, upgradeRequest("/", nil), Participant{Role: RoleCustomer, ID: "c1"}) // no conversation: the host's bug
	requireRefusal(t, w, http.StatusInternalServerError, icc.EINTERNAL)

	require.NoError(t, e.hub.Shutdown(context.Background()))
	requireRefusal(t, serve(upgradeRequest("/", nil)), http.StatusServiceUnavailable, icc.EUNAVAILABLE)
	w = httptest.NewRecorder()
	conv, secret := e.start("late")
	e.hub.ServeHTTP(w, upgradeRequest("/?token="+url.QueryEscape(CustomerToken(conv.ID, secret)), nil))
	requireRefusal(t, w, http.StatusServiceUnavailable, icc.EUNAVAILABLE)
}

// TestRequestToken: the token comes from the Authorization bearer or
// TokenHeader header, never from the URL.
func TestRequestToken(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?token=in-url", nil)
	assert.Empty(t, RequestToken(r))
	r.Header.Set(TokenHeader, " c1.s2 ")
	assert.Equal(t, "c1.s2", RequestToken(r))
	r.Header.Set("Authorization", "bearer c3.s4")
	assert.Equal(t, "c3.s4", RequestToken(r), "the Authorization header wins")
	r.Header.Set("Authorization", "Basic dXNlcjpwdw==")
	assert.Equal(t, "c1.s2", RequestToken(r), "not a bearer token")
	assert.Equal(t, "c1.s2", CustomerToken("c1", "s2"))
}

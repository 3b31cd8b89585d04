package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// Passwords of the agents every deskEnv starts with.
const (
	testAdminPassword = "admin-password"
	testAgentPassword = "agent-password"
)

// deskEnv is a server with the desk set up on the memory backend, an admin
// and an agent (both online), and a fake clock for the rate limiters.
type deskEnv struct {
	t       *testing.T
	s       *server
	h       http.Handler
	backend icc.Backend
	logs    *syncBuffer
	clock   *fakeClock
	admin   *icc.Agent
	agent   *icc.Agent
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newDeskEnv returns a deskEnv whose desk classifies with
// keywordClassifier, so that its answers do not depend on the shipped
// model.
func newDeskEnv(t *testing.T) *deskEnv {
	t.Helper()
	return newDeskEnvWith(t, deskOptions{Classifier: keywordClassifier{}})
}

// newDeskEnvWith returns a deskEnv whose desk is set up with opts;
// deskOptions{} gives the real offline classifier.
func newDeskEnvWith(t *testing.T, opts deskOptions) *deskEnv {
	t.Helper()
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	e := newDeskEnvOn(t, b, opts)
	e.admin = e.createAgent("admin@test.example", testAdminPassword, icc.RoleAdmin, []string{"technical", "billing", "sensitive"}, 10)
	e.agent = e.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, []string{"technical", "billing", "sensitive"}, 10)
	return e
}

// newDeskEnvOn returns a deskEnv whose desk is set up with opts on b,
// without creating agents: another server on the same store, say.
func newDeskEnvOn(t *testing.T, b icc.Backend, opts deskOptions) *deskEnv {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newServer(b, logger)
	s.bcryptCost = bcrypt.MinCost
	clock := &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	s.loginLimiter = newRateLimiter(loginFailures, loginWindow, clock.Now)
	s.publicLimiter = newRateLimiter(publicTicketsPerWindow, publicTicketWindow, clock.Now)
	require.NoError(t, s.setupDesk(t.Context(), opts))
	return &deskEnv{t: t, s: s, h: s.handler(), backend: b, logs: logs, clock: clock}
}

// createAgent stores an online agent with a password.
func (e *deskEnv) createAgent(email, password string, role icc.Role, skills []string, capacity int) *icc.Agent {
	e.t.Helper()
	hash, err := e.s.hashPassword(password)
	require.NoError(e.t, err)
	a := &icc.Agent{Email: email, Name: strings.Split(email, "@")[0], Role: role, PasswordHash: hash,
		Skills: skills, Capacity: capacity, Availability: icc.AvailabilityOnline}
	require.NoError(e.t, e.backend.CreateAgent(context.Background(), a))
	return a
}

// client sends requests to a deskEnv, with a session cookie once signed in.
type client struct {
	e      *deskEnv
	cookie *http.Cookie
	remote string
	header http.Header
}

// anon returns a client without a session.
func (e *deskEnv) anon() *client {
	return &client{e: e, remote: "192.0.2.1:1234", header: http.Header{}}
}

// login signs in and returns a client that carries the session.
func (e *deskEnv) login(email, password string) *client {
	e.t.Helper()
	c := e.anon()
	w := c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": password})
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	c.cookie = sessionCookie(e.t, w)
	return c
}

func (e *deskEnv) asAdmin() *client { return e.login(e.admin.Email, testAdminPassword) }
func (e *deskEnv) asAgent() *client { return e.login(e.agent.Email, testAgentPassword) }

// sessionCookie returns the session cookie a response sets.
func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookieName, w.Header())
	return nil
}

// do sends a request; body is JSON-encoded unless it is a string, which is
// sent as is.
func (c *client) do(method, path string, body any) *httptest.ResponseRecorder {
	c.e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(c.e.t, err)
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = c.remote
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	w := httptest.NewRecorder()
	c.e.h.ServeHTTP(w, req)
	return w
}

// decode reads a JSON response body into v.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "body: %s", w.Body.String())
	return v
}

// requireError checks an error response's status, code and field.
func requireError(t *testing.T, w *httptest.ResponseRecorder, status int, code, field string) {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	e := readErrorBody(t, w.Body.Bytes())
	assert.Equal(t, code, e.Code, w.Body.String())
	assert.Equal(t, field, e.Field, w.Body.String())
}

func TestLoginMeLogout(t *testing.T) {
	e := newDeskEnv(t)
	c := e.anon()
	w := c.do("POST", "/api/auth/login", map[string]string{"email": "  Agent@Test.Example ", "password": testAgentPassword})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, e.agent.ID, decode[agentBody](t, w).Agent.ID)
	assert.NotContains(t, w.Body.String(), "password", "the hash is never sent")
	ck := sessionCookie(t, w)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	assert.False(t, ck.Secure, "plain HTTP without -secure-cookies")
	assert.Positive(t, ck.MaxAge)
	c.cookie = ck

	w = c.do("GET", "/api/auth/me", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, e.agent.Email, decode[agentBody](t, w).Agent.Email)

	w = c.do("POST", "/api/auth/logout", nil)
	require.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, -1, sessionCookie(t, w).MaxAge, "the browser is told to drop the cookie")

	// The old cookie is worthless now, even if a client kept it.
	requireError(t, c.do("GET", "/api/auth/me", nil), 401, "unauthorized", "")
	requireError(t, c.do("GET", "/api/tickets", nil), 401, "unauthorized", "")
}

func TestLoginRenewsToken(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	first := c.cookie
	w := c.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword})
	require.Equal(t, http.StatusOK, w.Code)
	second := sessionCookie(t, w)
	assert.NotEqual(t, first.Value, second.Value, "signing in gives a new token")
	c.cookie = first
	requireError(t, c.do("GET", "/api/auth/me", nil), 401, "unauthorized", "")
}

func TestLoginFailures(t *testing.T) {
	e := newDeskEnv(t)
	c := e.anon()
	wrong := c.do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": "not-the-password"})
	requireError(t, wrong, 401, "unauthorized", "")
	unknown := c.do("POST", "/api/auth/login", map[string]string{"email": "nobody@test.example", "password": "whatever1"})
	requireError(t, unknown, 401, "unauthorized", "")
	assert.Equal(t, readErrorBody(t, wrong.Body.Bytes()).Message, readErrorBody(t, unknown.Body.Bytes()).Message,
		"an unknown email looks like a wrong password")
	assert.Empty(t, wrong.Result().Cookies())

	requireError(t, c.do("POST", "/api/auth/login", `{"email":`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/auth/login", map[string]string{"password": "x"}), 422, "invalid", "email")
	requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": "a@b.example"}), 422, "invalid", "password")
}

func TestLoginRateLimitPerEmail(t *testing.T) {
	e := newDeskEnv(t)
	for i := range loginFailures {
		c := e.anon()
		c.remote = "198.51.100." + string(rune('1'+i)) + ":999" // a new IP each time
		requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": "wrong-password"}), 401, "unauthorized", "")
	}
	// Even the right password is refused now, from any address.
	c := e.anon()
	w := c.do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": testAgentPassword})
	requireError(t, w, http.StatusTooManyRequests, "rate_limited", "")
	assert.Equal(t, "60", w.Header().Get("Retry-After"))
	assert.Empty(t, w.Result().Cookies())

	// Other agents are not affected.
	e.asAdmin()

	e.clock.Advance(loginWindow)
	e.asAgent()
}

// TestLoginRateLimitConcurrent: guesses arriving together are counted as
// they arrive, so no more than the limit are ever tried, per email (from
// many addresses) and per address (over many emails).
func TestLoginRateLimitConcurrent(t *testing.T) {
	e := newDeskEnv(t)
	try := func(n int, client func(i int) (*client, string)) (tried int) {
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c, email := client(i)
				codes[i] = c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": "wrong-password"}).Code
			})
		}
		wg.Wait()
		for _, code := range codes {
			switch code {
			case http.StatusUnauthorized:
				tried++
			default:
				assert.Equal(t, http.StatusTooManyRequests, code)
			}
		}
		return tried
	}
	perEmail := try(40, func(i int) (*client, string) {
		c := e.anon()
		c.remote = fmt.Sprintf("198.51.100.%d:999", i+1)
		return c, e.agent.Email
	})
	assert.Equal(t, loginFailures, perEmail, "one email, many addresses")
	perIP := try(3*loginAttemptsPerIP, func(i int) (*client, string) {
		c := e.anon()
		c.remote = "203.0.113.9:999"
		return c, fmt.Sprintf("guess%d@test.example", i)
	})
	assert.LessOrEqual(t, perIP, loginAttemptsPerIP, "one address, many emails")
}

func TestLoginRateLimitPerIP(t *testing.T) {
	e := newDeskEnv(t)
	c := e.anon()
	for i := range loginFailures {
		email := "guess" + string(rune('a'+i)) + "@test.example"
		requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": "guess-password"}), 401, "unauthorized", "")
	}
	requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword}),
		http.StatusTooManyRequests, "rate_limited", "")

	other := e.anon()
	other.remote = "203.0.113.7:4000"
	w := other.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword})
	assert.Equal(t, http.StatusOK, w.Code, "another address still signs in")

	e.clock.Advance(30 * time.Second)
	requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword}),
		http.StatusTooManyRequests, "rate_limited", "")
	e.clock.Advance(30 * time.Second)
	w = c.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword})
	assert.Equal(t, http.StatusOK, w.Code, "the window has passed")
}

func TestLoginRateLimitPerIPBehindTrustedProxy(t *testing.T) {
	e := newDeskEnv(t)
	e.s.trustedProxies = proxyList{netip.MustParsePrefix("10.0.0.0/8")}
	behindProxy := func(ip string) *client {
		c := e.anon()
		c.remote = "10.0.0.2:443"
		c.header.Set("X-Forwarded-For", ip+", 10.0.0.3")
		return c
	}
	first, second := behindProxy("198.51.100.1"), behindProxy("198.51.100.2")
	for i := range loginFailures {
		email := "guess" + string(rune('a'+i)) + "@test.example"
		requireError(t, first.do("POST", "/api/auth/login", map[string]string{"email": email, "password": "guess-password"}), 401, "unauthorized", "")
	}
	requireError(t, first.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword}),
		http.StatusTooManyRequests, "rate_limited", "")
	w := second.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword})
	assert.Equal(t, http.StatusOK, w.Code, "another client behind the same proxy has its own bucket: %s", w.Body.String())

	// A client that talks to the server directly cannot pick a bucket by
	// sending the header itself.
	direct := e.anon()
	direct.remote = "203.0.113.9:5000"
	for i := range loginFailures {
		direct.header.Set("X-Forwarded-For", "192.0.2."+strconv.Itoa(i+1))
		requireError(t, direct.do("POST", "/api/auth/login", map[string]string{"email": "spoof@test.example", "password": "guess-password"}), 401, "unauthorized", "")
	}
	direct.header.Set("X-Forwarded-For", "192.0.2.99")
	requireError(t, direct.do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword}),
		http.StatusTooManyRequests, "rate_limited", "")
}

func TestSecureCookie(t *testing.T) {
	t.Run("over TLS", func(t *testing.T) {
		e := newDeskEnv(t)
		req := httptest.NewRequest("POST", "/api/auth/login",
			strings.NewReader(`{"email":"agent@test.example","password":"`+testAgentPassword+`"}`))
		req.TLS = &tls.ConnectionState{}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.True(t, sessionCookie(t, w).Secure)
	})
	t.Run("secure-cookies", func(t *testing.T) {
		b := memory.New()
		t.Cleanup(func() { _ = b.Close() })
		s := newServer(b, slog.New(slog.DiscardHandler))
		s.bcryptCost = bcrypt.MinCost
		require.NoError(t, s.setupDesk(t.Context(), deskOptions{SecureCookies: true}))
		e := &deskEnv{t: t, s: s, h: s.handler(), backend: b}
		e.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, nil, 5)
		c := e.anon()
		w := c.do("POST", "/api/auth/login", map[string]string{"email": "agent@test.example", "password": testAgentPassword})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.True(t, sessionCookie(t, w).Secure)
	})
}

func TestCrossOriginProtection(t *testing.T) {
	e := newDeskEnv(t)
	body := map[string]string{"email": e.agent.Email, "password": testAgentPassword}

	c := e.anon()
	c.header.Set("Sec-Fetch-Site", "cross-site")
	requireError(t, c.do("POST", "/api/auth/login", body), http.StatusForbidden, "forbidden", "")

	c = e.anon()
	c.header.Set("Origin", "https://evil.example")
	requireError(t, c.do("POST", "/api/auth/login", body), http.StatusForbidden, "forbidden", "")

	// A signed-in browser tricked by another site cannot change anything.
	agent := e.asAgent()
	agent.header.Set("Sec-Fetch-Site", "cross-site")
	requireError(t, agent.do("POST", "/api/tickets", map[string]string{"subject": "x", "customer_email": "c@x.example"}),
		http.StatusForbidden, "forbidden", "")
	requireError(t, agent.do("POST", "/api/auth/logout", nil), http.StatusForbidden, "forbidden", "")
	// Reading is not a state change.
	assert.Equal(t, http.StatusOK, agent.do("GET", "/api/auth/me", nil).Code)

	// Same-origin browsers and non-browser clients get through.
	c = e.anon()
	c.header.Set("Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusOK, c.do("POST", "/api/auth/login", body).Code)
	c = e.anon()
	c.header.Set("Origin", "http://example.com") // httptest's Host
	assert.Equal(t, http.StatusOK, c.do("POST", "/api/auth/login", body).Code)
	assert.Equal(t, http.StatusOK, e.anon().do("POST", "/api/auth/login", body).Code)
}

func TestUpdateMeAvailability(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	w := c.do("PATCH", "/api/auth/me", map[string]string{"availability": "away"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, icc.AvailabilityAway, decode[agentBody](t, w).Agent.Availability)
	requireError(t, c.do("PATCH", "/api/auth/me", map[string]string{"availability": "asleep"}), 422, "invalid", "availability")
	requireError(t, c.do("PATCH", "/api/auth/me", map[string]string{}), 422, "invalid", "availability")
	requireError(t, c.do("PATCH", "/api/auth/me", `[`), 400, "invalid", "")
	requireError(t, e.anon().do("PATCH", "/api/auth/me", map[string]string{"availability": "online"}), 401, "unauthorized", "")
}

func TestDeletedAgentLosesSession(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	// The role is read on every request: a demoted admin loses admin routes
	// at once.
	admin := e.asAdmin()
	assert.Equal(t, http.StatusOK, admin.do("GET", "/api/agents", nil).Code)
	a, err := e.backend.GetAgent(context.Background(), e.admin.ID)
	require.NoError(t, err)
	a.Role = icc.RoleAgent
	require.NoError(t, e.backend.UpdateAgent(context.Background(), a))
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "n@test.example", "name": "N", "password": "long-enough"}),
		403, "forbidden", "")
	assert.Equal(t, http.StatusOK, c.do("GET", "/api/auth/me", nil).Code)
}

func TestPasswordChangeSignsOut(t *testing.T) {
	e := newChatEnv(t)
	phone, laptop := e.asAgent(), e.asAgent()
	admin, adminElsewhere := e.asAdmin(), e.asAdmin()
	version := func(id string) int64 {
		a, err := e.backend.GetAgent(context.Background(), id)
		require.NoError(t, err)
		return a.Version
	}

	// An admin resets the agent's password: every session the agent had is
	// over, on REST and on the chat routes alike, and the chat WebSocket
	// the agent had open is closed (it was authenticated at its handshake).
	ws := e.agentWS(phone)
	w := admin.do("PATCH", "/api/agents/"+e.agent.ID, map[string]any{"version": version(e.agent.ID), "password": "a-brand-new-one"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, websocket.StatusPolicyViolation, ws.closeStatus())
	for _, c := range []*client{phone, laptop} {
		requireError(t, c.do("GET", "/api/auth/me", nil), 401, "unauthorized", "")
		requireError(t, c.do("GET", "/api/conversations", nil), 401, "unauthorized", "")
	}
	assert.Equal(t, http.StatusOK, admin.do("GET", "/api/auth/me", nil).Code, "the admin's own session is untouched")
	e.login(e.agent.Email, "a-brand-new-one")
	requireError(t, e.anon().do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": testAgentPassword}),
		401, "unauthorized", "")

	// Other changes keep sessions.
	fresh := e.login(e.agent.Email, "a-brand-new-one")
	w = admin.do("PATCH", "/api/agents/"+e.agent.ID, map[string]any{"version": version(e.agent.ID), "capacity": 7})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, http.StatusOK, fresh.do("GET", "/api/auth/me", nil).Code)

	// An admin who changes their own password stays signed in on a new
	// session; their other sessions end.
	old := admin.cookie
	w = admin.do("PATCH", "/api/agents/"+e.admin.ID, map[string]any{"version": version(e.admin.ID), "password": "admins-new-secret"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	admin.cookie = sessionCookie(t, w)
	assert.NotEqual(t, old.Value, admin.cookie.Value, "a new token")
	assert.Equal(t, http.StatusOK, admin.do("GET", "/api/auth/me", nil).Code)
	requireError(t, adminElsewhere.do("GET", "/api/auth/me", nil), 401, "unauthorized", "")
	admin.cookie = old
	requireError(t, admin.do("GET", "/api/auth/me", nil), 401, "unauthorized", "")
}

func TestEnsureAdmin(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	require.NoError(t, e.s.ensureAdmin(ctx, "Boss@Test.Example", "boss-password"))
	boss, err := e.backend.GetAgentByEmail(ctx, "boss@test.example")
	require.NoError(t, err)
	assert.Equal(t, icc.RoleAdmin, boss.Role)
	e.login("boss@test.example", "boss-password")

	// An existing agent becomes admin with the new password.
	require.NoError(t, e.s.ensureAdmin(ctx, e.agent.Email, "new-agent-password"))
	a, err := e.backend.GetAgentByEmail(ctx, e.agent.Email)
	require.NoError(t, err)
	assert.Equal(t, icc.RoleAdmin, a.Role)
	requireError(t, e.anon().do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": testAgentPassword}),
		401, "unauthorized", "")
	e.login(e.agent.Email, "new-agent-password")

	err = e.s.ensureAdmin(ctx, "short@test.example", "short")
	assert.Equal(t, "admin_password", icc.ErrorField(err))
}

// TestSessionsPostgres runs sign-in, session use and sign-out through the
// whole program on PostgreSQL, where sessions live in the sessions table.
func TestSessionsPostgres(t *testing.T) {
	dbURL := testDatabaseURL(t)
	email := "admin-" + icc.NewID()[20:] + "@test.example"
	r := startRun(t, []string{"-addr", "127.0.0.1:0"}, map[string]string{
		"DATABASE_URL": dbURL, "ICC_ADMIN_EMAIL": email, "ICC_ADMIN_PASSWORD": "postgres-admin-pw",
	})
	assert.NotContains(t, r.stdout.String(), "demo logins", "no demo data on PostgreSQL unless asked")
	assert.Contains(t, r.stderr.String(), "sessions kept in the database")

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar}
	post := func(path, body string) *http.Response {
		resp, err := hc.Post(r.url+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	getStatus := func(path string) int {
		resp, err := hc.Get(r.url + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, getStatus("/api/auth/me"))
	resp := post("/api/auth/login", `{"email":"`+email+`","password":"wrong-password"}`)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp = post("/api/auth/login", `{"email":"`+email+`","password":"postgres-admin-pw"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var token string
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookieName {
			token = c.Value
		}
	}
	require.NotEmpty(t, token)
	assert.Equal(t, http.StatusOK, getStatus("/api/auth/me"))
	assert.Equal(t, http.StatusOK, getStatus("/api/tickets"))
	assert.Equal(t, http.StatusOK, getStatus("/api/agents"))

	resp = post("/api/auth/logout", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, getStatus("/api/auth/me"))

	// Replaying the old token does not work either: it is gone from the table.
	req, err := http.NewRequest("GET", r.url+"/api/auth/me", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: sessionCookieName, Value: token})
	old, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = old.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, old.StatusCode)
	require.NoError(t, r.wait(t))
}

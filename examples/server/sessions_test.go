package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storedExpiry returns when the memory session store will drop token's
// session, and whether it holds one.
func storedExpiry(t *testing.T, e *deskEnv, token string) (time.Time, bool) {
	t.Helper()
	st, ok := e.s.sessions.mgr.Store.(*memSessions)
	require.True(t, ok, "sessions are in memory, not in %T", e.s.sessions.mgr.Store)
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.tokens[token]
	return s.expiry, ok
}

func TestSessionIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	e := newDeskEnv(t)
	e.s.sessions.mgr.IdleTimeout = idle
	c := e.asAgent()
	token := c.cookie.Value
	assert.Greater(t, c.cookie.MaxAge, int((sessionLifetime - time.Minute).Seconds()),
		"the cookie lasts the whole lifetime; the store keeps the idle timeout")
	signedIn, ok := storedExpiry(t, e, token)
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(idle), signedIn, idle)

	// Used at once: it works, and nothing is written (a session is touched
	// at most once per touchEvery).
	signInTime := time.Now()
	require.Equal(t, http.StatusOK, c.do("GET", "/api/tickets", nil).Code)
	if time.Since(signInTime) < touchEvery(idle) {
		same, ok := storedExpiry(t, e, token)
		require.True(t, ok)
		assert.Equal(t, signedIn, same, "no write within touchEvery of the last one")
	}
	// Used later within the timeout: the idle timeout starts again.
	require.Eventually(t, func() bool { return time.Since(signInTime) > touchEvery(idle) }, time.Second, time.Millisecond)
	lastUse := time.Now() // before the request, which stores the session
	require.Equal(t, http.StatusOK, c.do("GET", "/api/tickets", nil).Code)
	touched, ok := storedExpiry(t, e, token)
	require.True(t, ok)
	assert.True(t, touched.After(signedIn), "a request pushes the expiry back: %v, then %v", signedIn, touched)
	require.Equal(t, http.StatusOK, c.do("GET", "/api/auth/me", nil).Code) // within touchEvery: no write

	// Left idle, the session goes, and the cookie is worth nothing. The
	// store is watched, not the API, since a request would be a use;
	// Find, not the map, decides, as expired entries are swept later.
	store := e.s.sessions.mgr.Store
	require.Eventually(t, func() bool {
		_, found, err := store.Find(token)
		return err == nil && !found
	}, 10*time.Second, 20*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(lastUse), idle, "not before the idle timeout")
	requireError(t, c.do("GET", "/api/tickets", nil), http.StatusUnauthorized, "unauthorized", "")
	requireError(t, c.do("GET", "/api/auth/me", nil), http.StatusUnauthorized, "unauthorized", "")

	// Signing in again works.
	assert.Equal(t, http.StatusOK, e.asAgent().do("GET", "/api/auth/me", nil).Code)
}

func TestSessionIdleTimeoutOff(t *testing.T) {
	e := newDeskEnv(t)
	assert.Equal(t, defaultSessionIdleTimeout, e.s.sessions.mgr.IdleTimeout, "on by default")
	e.s.sessions.mgr.IdleTimeout = 0
	c := e.asAgent()
	signedIn, ok := storedExpiry(t, e, c.cookie.Value)
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(sessionLifetime), signedIn, time.Minute, "the lifetime alone")
	require.Equal(t, http.StatusOK, c.do("GET", "/api/tickets", nil).Code)
	after, ok := storedExpiry(t, e, c.cookie.Value)
	require.True(t, ok)
	assert.Equal(t, signedIn, after, "without an idle timeout a request stores nothing")
}

func TestSessionAnonymousRequestsStoreNothing(t *testing.T) {
	e := newDeskEnv(t)
	st := e.s.sessions.mgr.Store.(*memSessions)
	requireError(t, e.anon().do("GET", "/api/tickets", nil), http.StatusUnauthorized, "unauthorized", "")
	st.mu.Lock()
	defer st.mu.Unlock()
	assert.Empty(t, st.tokens)
}

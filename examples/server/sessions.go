package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"

	"github.com/icclabs/commandcenter/icc"
)

// Session settings.
const (
	// sessionCookieName names the cookie that carries the session token.
	sessionCookieName = "icc_session"
	// sessionLifetime is how long a sign-in lasts at most, from sign-in.
	sessionLifetime = 12 * time.Hour
	// defaultSessionIdleTimeout ends a sign-in that has not been used for
	// this long (-session-idle-timeout).
	defaultSessionIdleTimeout = 2 * time.Hour
	// sessionCleanup is how often expired sessions are deleted.
	sessionCleanup = 5 * time.Minute
	// sessionKeyAgent is the session key holding the signed-in agent's id.
	sessionKeyAgent = "agent_id"
	// sessionKeyCredential is the session key holding credentialTag of
	// the agent's password hash at sign-in: a session whose tag no longer
	// matches (the password was changed) is signed out.
	sessionKeyCredential = "credential"
	// sessionKeyTouched is the session key holding when the session's
	// expiry was last pushed back, in Unix nanoseconds.
	sessionKeyTouched = "touched_at"
	// maxSessionTouch is the longest a signed-in session goes between two
	// pushes of its expiry: one store write per minute at most, not one per
	// request; a session may end up to this much before a full idle timeout.
	maxSessionTouch = time.Minute
)

// sessionStore keeps agents' sign-ins: an scs session manager over a
// store (in memory, or the sessions table in PostgreSQL) and the cookie
// policy. The cookie is HttpOnly, SameSite=Lax, and Secure when the request
// came over TLS or secure is set (a TLS-terminating proxy in front).
//
// A sign-in lasts sessionLifetime at most, and ends sooner when it goes
// unused for the manager's IdleTimeout (defaultSessionIdleTimeout unless
// set; 0 turns it off): withSession pushes the stored expiry back on a
// signed-in agent's requests, at most once per touchEvery, so a session
// ends between IdleTimeout−touchEvery and IdleTimeout after its last use.
// The cookie itself lasts the whole lifetime,
// so it need not be sent again on each request; the store decides.
type sessionStore struct {
	mgr    *scs.SessionManager
	secure bool
	// stop ends the store's clean-up goroutine; safe to call more than once.
	stop func()
}

// newSessionStore returns a sessionStore over store; stop ends its clean-up.
func newSessionStore(store scs.Store, secure bool, stop func()) *sessionStore {
	mgr := scs.New()
	mgr.Store = store
	mgr.Lifetime = sessionLifetime
	mgr.IdleTimeout = defaultSessionIdleTimeout
	mgr.Cookie.Name = sessionCookieName
	return &sessionStore{mgr: mgr, secure: secure, stop: sync.OnceFunc(stop)}
}

// newMemorySessions keeps sessions in this process's memory: they are lost
// on restart and not shared between instances.
func newMemorySessions(secure bool) *sessionStore {
	return newSessionStore(&memSessions{tokens: make(map[string]memSession)}, secure, func() {})
}

// memSessions is an scs.Store in memory. It replaces scs's memstore, whose
// StopCleanup races with the clean-up goroutine it starts (the race
// detector flags it); this one needs no goroutine: expired sessions are
// swept during writes, at most once per sessionCleanup.
type memSessions struct {
	mu     sync.Mutex
	tokens map[string]memSession
	swept  time.Time
}

// memSession is one stored session.
type memSession struct {
	data   []byte
	expiry time.Time
}

// Find returns the data of an unexpired session.
func (m *memSessions) Find(token string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.tokens[token]
	if !ok || !time.Now().Before(e.expiry) {
		return nil, false, nil
	}
	return e.data, true, nil
}

// Commit stores a session until expiry.
func (m *memSessions) Commit(token string, b []byte, expiry time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if now.Sub(m.swept) >= sessionCleanup {
		m.swept = now
		for t, e := range m.tokens {
			if !now.Before(e.expiry) {
				delete(m.tokens, t)
			}
		}
	}
	m.tokens[token] = memSession{data: slices.Clone(b), expiry: expiry}
	return nil
}

// Delete removes a session.
func (m *memSessions) Delete(token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tokens, token)
	return nil
}

// newPostgresSessions keeps sessions in the sessions table of db (created
// by the storage/postgres migrations), so they survive restarts and every
// instance of a cluster sees them.
func newPostgresSessions(db *sql.DB, secure bool) *sessionStore {
	ps := postgresstore.NewWithCleanupInterval(db, sessionCleanup)
	return newSessionStore(ps, secure, ps.StopCleanup)
}

// sqlDBer is implemented by backends that run on a database/sql pool, such
// as storage/postgres's Store.
type sqlDBer interface {
	SQLDB() *sql.DB
}

// useBackendSessions moves sessions into the backend's database when it
// has one, and arranges for the store's clean-up to stop on shutdown. It
// reports whether sessions are kept in the database.
func (s *server) useBackendSessions() bool {
	inDB := false
	if b, ok := s.backend.(sqlDBer); ok {
		old := s.sessions
		s.sessions = newPostgresSessions(b.SQLDB(), old.secure)
		s.sessions.mgr.IdleTimeout = old.mgr.IdleTimeout
		old.stop()
		inDB = true
	}
	sessions := s.sessions
	s.onShutdown(func(context.Context) error {
		sessions.stop()
		return nil
	})
	return inDB
}

// withSession loads the request's session (an empty one when it carries no
// valid cookie) into its context, where agentOnly and the sign-in handlers
// find it. With an idle timeout, a signed-in agent's session is stored
// again first when touchEvery has passed since it last was, so that it
// expires an idle timeout after this request (never after its lifetime).
// A session store that cannot be read or written is a 503.
func (s *server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(sessionCookieName); err == nil {
			token = c.Value
		}
		mgr := s.sessions.mgr
		ctx, err := mgr.Load(r.Context(), token)
		if err != nil {
			writeError(w, r, s.logger, icc.Unavailable(err, "sessions cannot be read now"))
			return
		}
		// Only stored sessions (a token) of signed-in agents are touched:
		// committing an anonymous one would store a new session per request.
		// A session is touched at most once per touchEvery, so a busy agent
		// costs one store write a minute, not one per request. The commit
		// follows the load at once, which keeps short the window in which a
		// concurrent sign-out could be undone by it.
		if mgr.IdleTimeout > 0 && mgr.Token(ctx) != "" && mgr.GetString(ctx, sessionKeyAgent) != "" &&
			time.Since(time.Unix(0, mgr.GetInt64(ctx, sessionKeyTouched))) >= touchEvery(mgr.IdleTimeout) {
			mgr.Put(ctx, sessionKeyTouched, time.Now().UnixNano())
			if _, _, err := mgr.Commit(ctx); err != nil {
				writeError(w, r, s.logger, icc.Unavailable(err, "sessions cannot be written now"))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// startSession signs agent a in: it gives the request's session a new token
// (so a token known before sign-in is useless after it), stores it with
// the tag of a's password and sets the cookie. Call it before writing the
// response.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, a *icc.Agent) error {
	ctx := r.Context()
	mgr := s.sessions.mgr
	if err := mgr.RenewToken(ctx); err != nil {
		return icc.Unavailable(err, "sessions cannot be written now")
	}
	mgr.Put(ctx, sessionKeyAgent, a.ID)
	mgr.Put(ctx, sessionKeyCredential, credentialTag(a.PasswordHash))
	mgr.Put(ctx, sessionKeyTouched, time.Now().UnixNano())
	token, _, err := mgr.Commit(ctx)
	if err != nil {
		return icc.Unavailable(err, "sessions cannot be written now")
	}
	// The cookie lasts the session's whole lifetime; the idle timeout is
	// kept by the store (see withSession).
	s.setSessionCookie(w, r, token, mgr.Deadline(ctx))
	return nil
}

// touchEvery is how often a signed-in session's expiry is pushed back: a
// tenth of the idle timeout, at most maxSessionTouch.
func touchEvery(idle time.Duration) time.Duration { return min(idle/10, maxSessionTouch) }

// endSession deletes the request's session from the store and tells the
// browser to drop the cookie.
func (s *server) endSession(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.mgr.Destroy(r.Context()); err != nil {
		return icc.Unavailable(err, "sessions cannot be written now")
	}
	s.setSessionCookie(w, r, "", time.Time{})
	return nil
}

// setSessionCookie writes the session cookie; an empty token with a zero
// expiry deletes it.
func (s *server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, expiry time.Time) {
	c := &http.Cookie{
		Name:     sessionCookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   s.sessions.secure || r.TLS != nil,
	}
	if expiry.IsZero() {
		c.Expires = time.Unix(1, 0)
		c.MaxAge = -1
	} else {
		c.Expires = expiry.Add(time.Second).Truncate(time.Second)
		c.MaxAge = int(time.Until(expiry).Seconds()) + 1
	}
	w.Header().Add("Set-Cookie", c.String())
}

// credentialTag identifies a password hash without revealing it: the
// first 16 bytes of its SHA-256, in hex. Sessions keep it, so that
// changing an agent's password signs out every session started with the
// old one, on every instance, without a list of an agent's sessions.
func credentialTag(passwordHash string) string {
	sum := sha256.Sum256([]byte(passwordHash))
	return hex.EncodeToString(sum[:16])
}

// sessionAgent returns the agent signed in on the request's session, read
// from the store. No session, an agent that no longer exists, or a
// session started before the agent's password was changed (or one that
// predates password tags) is EUNAUTHORIZED.
func (s *server) sessionAgent(r *http.Request) (*icc.Agent, error) {
	id := s.sessionAgentID(r)
	if id == "" {
		return nil, icc.Errorf(icc.EUNAUTHORIZED, "sign in first")
	}
	a, err := s.backend.GetAgent(r.Context(), id)
	if errors.Is(err, icc.ErrNotFound) {
		return nil, icc.Errorf(icc.EUNAUTHORIZED, "sign in first")
	}
	if err != nil {
		return nil, fmt.Errorf("load signed-in agent: %w", err)
	}
	tag := s.sessions.mgr.GetString(r.Context(), sessionKeyCredential)
	if subtle.ConstantTimeCompare([]byte(tag), []byte(credentialTag(a.PasswordHash))) != 1 {
		return nil, icc.Errorf(icc.EUNAUTHORIZED, "your password was changed; sign in again")
	}
	return a, nil
}

// sessionAgentID returns the id of the agent signed in on the request's
// session, or "".
func (s *server) sessionAgentID(r *http.Request) string {
	return s.sessions.mgr.GetString(r.Context(), sessionKeyAgent)
}

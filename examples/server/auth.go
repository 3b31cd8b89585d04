package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/icclabs/commandcenter/icc"
)

// Sign-in limits: at most loginFailures failed sign-ins per client IP and
// per email within loginWindow; more get 429 until the window has passed.
// So that concurrent guesses cannot all pass the check before any is
// counted, an email's attempt is counted before its password is checked
// (and the count cleared by a success), and each client IP may start at
// most loginAttemptsPerIP sign-ins per window, successful or not.
const (
	loginFailures      = 5
	loginWindow        = time.Minute
	loginAttemptsPerIP = 60
)

// Password rules. bcrypt reads at most 72 bytes, so longer passwords would
// be silently cut; they are refused instead.
const (
	minPasswordLen = 8
	maxPasswordLen = 72
)

// initAuth sets up what sign-in needs: in-memory sessions (setupDesk moves
// them to PostgreSQL when there is a database), cross-origin protection,
// rate limiters and password hashing.
func (s *server) initAuth() {
	s.sessions = newMemorySessions(false)
	s.cors = newCORSPolicy()
	s.crossOrigin = http.NewCrossOriginProtection()
	s.crossOrigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.logger, icc.Errorf(icc.EFORBIDDEN, "cross-origin request rejected"))
	}))
	s.loginLimiter = newRateLimiter(loginFailures, loginWindow, nil)
	s.publicLimiter = newRateLimiter(publicTicketsPerWindow, publicTicketWindow, nil)
	s.bcryptCost = bcrypt.DefaultCost
	s.dummyHash = sync.OnceValue(func() []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(icc.NewToken(16)), s.bcryptCost)
		if err != nil {
			panic(fmt.Sprintf("bcrypt: %v", err)) // only for a bad cost, a bug
		}
		return h
	})
}

// authRoutes registers the sign-in endpoints.
func (s *server) authRoutes() {
	s.handle("POST /api/auth/login", s.handleLogin)
	s.handle("POST /api/auth/logout", s.handleLogout)
	s.handle("GET /api/auth/me", s.agentOnly(s.handleMe))
	s.handle("PATCH /api/auth/me", s.agentOnly(s.handleUpdateMe))
}

type agentKey struct{}

// agentFrom returns the signed-in agent that agentOnly put in ctx, or nil.
func agentFrom(ctx context.Context) *icc.Agent {
	a, _ := ctx.Value(agentKey{}).(*icc.Agent)
	return a
}

// actorFrom returns the signed-in agent as a Desk actor.
func actorFrom(ctx context.Context) icc.Actor {
	if a := agentFrom(ctx); a != nil {
		return icc.Actor{Type: icc.ActorAgent, ID: a.ID}
	}
	return icc.Actor{Type: icc.ActorSystem}
}

// agentOnly lets h run only for a signed-in agent (of either role), found
// in the store on every request so that a deleted agent, a changed role or
// a changed password takes effect at once (see sessionAgent);
// agentFrom(r.Context()) returns it inside h. Without a valid session the
// answer is 401.
func (s *server) agentOnly(h apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.sessionAgent(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), agentKey{}, a)))
	}
}

// adminOnly is agentOnly for agents with the admin role; other agents get
// 403.
func (s *server) adminOnly(h apiFunc) apiFunc {
	return s.agentOnly(func(w http.ResponseWriter, r *http.Request) error {
		if agentFrom(r.Context()).Role != icc.RoleAdmin {
			return icc.Errorf(icc.EFORBIDDEN, "only admins may do this")
		}
		return h(w, r)
	})
}

// loginRequest is the body of POST /api/auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// agentBody wraps an agent in responses of the auth endpoints.
type agentBody struct {
	Agent *icc.Agent `json:"agent"`
}

// handleLogin checks an email and password and starts a session. Failures
// are counted per client IP and per email; past the limit the answer is 429
// even for the right password. An unknown email costs the same bcrypt work
// as a wrong password, and both get the same 401.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	email := icc.NormalizeEmail(req.Email)
	if email == "" {
		return icc.Invalid("email", "is required")
	}
	if req.Password == "" {
		return icc.Invalid("password", "is required")
	}
	ipKey, emailKey := "login:ip:"+clientIP(r), "login:email:"+email
	limited := func(d time.Duration) error {
		s.logger.WarnContext(r.Context(), "sign-in rate limited", "email", email, "ip", clientIP(r))
		writeRateLimited(w, s, d, "too many failed sign-ins")
		return nil
	}
	// The IP's failures are checked, then counted after a failure (an
	// office behind one address signs in many agents); the email's attempt
	// is counted now, and so is the IP's attempt against its own larger
	// limit, so that a burst of concurrent guesses is refused as it
	// arrives, not after every guess was tried.
	if d := s.rateWait(r.Context(), s.loginLimiter, ipKey); d > 0 {
		return limited(d)
	}
	if ok, d := s.rateAllow(r.Context(), s.loginLimiter, emailKey); !ok {
		return limited(d)
	}
	attempts := &rateLimiter{limit: loginAttemptsPerIP, window: s.loginLimiter.window, now: s.loginLimiter.now}
	if ok, d := s.rateAllow(r.Context(), attempts, "login:try:"+clientIP(r)); !ok {
		return limited(d)
	}
	a, err := s.backend.GetAgentByEmail(r.Context(), email)
	hash := []byte(nil)
	switch {
	case err == nil:
		hash = []byte(a.PasswordHash)
	case errors.Is(err, icc.ErrNotFound):
		hash = s.dummyHash()
	default:
		return fmt.Errorf("sign-in: %w", err)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) != nil || a == nil {
		s.rateAdd(r.Context(), s.loginLimiter, ipKey)
		s.logger.InfoContext(r.Context(), "sign-in failed", "email", email, "ip", clientIP(r))
		return icc.Errorf(icc.EUNAUTHORIZED, "wrong email or password")
	}
	s.rateReset(r.Context(), emailKey)
	if err := s.startSession(w, r, a); err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "signed in", "agent", a.ID, "role", a.Role)
	writeJSON(w, s.logger, http.StatusOK, agentBody{Agent: a})
	return nil
}

// handleLogout ends the session, if any; the old cookie is then useless.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMe returns the signed-in agent.
func (s *server) handleMe(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, s.logger, http.StatusOK, agentBody{Agent: agentFrom(r.Context())})
	return nil
}

// meUpdate is the body of PATCH /api/auth/me: what agents change about
// themselves without an admin.
type meUpdate struct {
	Availability *icc.Availability `json:"availability"`
}

// handleUpdateMe lets an agent set their own availability. Coming online
// runs waiting-ticket assignment.
func (s *server) handleUpdateMe(w http.ResponseWriter, r *http.Request) error {
	var u meUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		return err
	}
	if u.Availability == nil {
		return icc.Invalid("availability", "is required")
	}
	if !u.Availability.Valid() {
		return icc.Invalid("availability", "must be online, away or offline")
	}
	me := agentFrom(r.Context())
	a, err := s.updateAgentRetry(r.Context(), me.ID, func(a *icc.Agent) error {
		a.Availability = *u.Availability
		return nil
	})
	if err != nil {
		return err
	}
	if *u.Availability == icc.AvailabilityOnline && me.Availability != icc.AvailabilityOnline {
		s.assignWaiting(r.Context(), "agent online")
	}
	writeJSON(w, s.logger, http.StatusOK, agentBody{Agent: a})
	return nil
}

// updateAgentRetry applies change to the current version of an agent,
// retrying when another update slipped in between.
func (s *server) updateAgentRetry(ctx context.Context, id string, change func(*icc.Agent) error) (*icc.Agent, error) {
	for range 5 {
		a, err := s.backend.GetAgent(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(a); err != nil {
			return nil, err
		}
		err = s.backend.UpdateAgent(ctx, a)
		if errors.Is(err, icc.ErrConflict) {
			continue
		}
		return a, err
	}
	return nil, icc.Errorf(icc.ECONFLICT, "agent %s keeps changing; try again", id)
}

// checkPassword applies the password rules to a new password.
func checkPassword(field, pw string) error {
	switch {
	case len(pw) < minPasswordLen:
		return icc.Invalid(field, "must be at least %d characters", minPasswordLen)
	case len(pw) > maxPasswordLen:
		return icc.Invalid(field, "must be at most %d bytes", maxPasswordLen)
	case strings.TrimSpace(pw) == "":
		return icc.Invalid(field, "must not be blank")
	}
	return nil
}

// hashPassword returns the bcrypt hash of a password that passed
// checkPassword.
func (s *server) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// ensureAdmin makes sure an admin with email and password exists: it
// creates one, or gives an existing agent with that email the admin role
// and this password. It is how ICC_ADMIN_EMAIL and ICC_ADMIN_PASSWORD take
// effect at start-up.
func (s *server) ensureAdmin(ctx context.Context, email, password string) error {
	email = icc.NormalizeEmail(email)
	if err := checkPassword("admin_password", password); err != nil {
		return err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.backend.GetAgentByEmail(ctx, email)
	if errors.Is(err, icc.ErrNotFound) {
		name, _, _ := strings.Cut(email, "@")
		a := &icc.Agent{Email: email, Name: name, Role: icc.RoleAdmin, PasswordHash: hash,
			Availability: icc.AvailabilityOffline, Skills: []string{}}
		err = s.backend.CreateAgent(ctx, a)
		if errors.Is(err, icc.ErrConflict) { // another instance created it meanwhile
			return s.ensureAdmin(ctx, email, password)
		}
		if err != nil {
			return fmt.Errorf("create admin %s: %w", email, err)
		}
		s.logger.InfoContext(ctx, "admin created", "email", email, "agent", a.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up admin %s: %w", email, err)
	}
	a, err := s.updateAgentRetryByEmail(ctx, email, func(a *icc.Agent) {
		a.Role, a.PasswordHash = icc.RoleAdmin, hash
	})
	if err != nil {
		return fmt.Errorf("update admin %s: %w", email, err)
	}
	s.logger.InfoContext(ctx, "admin updated", "email", email, "agent", a.ID)
	return nil
}

// warnIfNoAdmin logs a warning, at start, when the agent store holds no
// admin (PostgreSQL without -demo and without -admin-email on a fresh
// database): nobody could then create agents or integrations, and with no
// agents at all nobody could sign in. The warning says how to create one.
// A failed lookup is logged too; neither stops the server.
func (s *server) warnIfNoAdmin(ctx context.Context) {
	page, err := s.backend.ListAgents(ctx, icc.AgentFilter{Role: icc.RoleAdmin, Limit: 1})
	if err != nil {
		s.logger.WarnContext(ctx, "could not check whether an admin exists", "err", err)
		return
	}
	if len(page.Items) == 0 {
		s.logger.WarnContext(ctx, "no admin agent exists, so nobody can manage agents or integrations: "+
			"restart with -admin-email=EMAIL (or ICC_ADMIN_EMAIL) and the password in "+envAdminPassword+
			" to create one")
	}
}

// updateAgentRetryByEmail is updateAgentRetry for an agent known by email.
func (s *server) updateAgentRetryByEmail(ctx context.Context, email string, change func(*icc.Agent)) (*icc.Agent, error) {
	a, err := s.backend.GetAgentByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.updateAgentRetry(ctx, a.ID, func(a *icc.Agent) error { change(a); return nil })
}

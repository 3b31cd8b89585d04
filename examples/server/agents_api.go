package main

import (
	"net/http"
	"slices"

	"github.com/icclabs/commandcenter/icc"
)

// agentRoutes registers the agent endpoints: every agent may look, only
// admins may create or change agents. Agents set their own availability
// with PATCH /api/auth/me.
func (s *server) agentRoutes() {
	s.handle("GET /api/agents", s.agentOnly(s.handleListAgents))
	s.handle("GET /api/agents/{id}", s.agentOnly(s.handleGetAgent))
	s.handle("POST /api/agents", s.adminOnly(s.handleCreateAgent))
	s.handle("PATCH /api/agents/{id}", s.adminOnly(s.handleUpdateAgent))
}

// agentPage is one page of agents with each one's active ticket count.
type agentPage struct {
	Items []agentWithLoad `json:"items"`
	Next  string          `json:"next,omitempty"`
}

// agentWithLoad is an agent and the number of active tickets assigned to
// it, to compare with its capacity.
type agentWithLoad struct {
	*icc.Agent
	Load int `json:"load"`
}

// handleListAgents returns one page of agents, oldest first, filtered by
// role, availability and skill.
func (s *server) handleListAgents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	f := icc.AgentFilter{Role: icc.Role(q.Get("role")), Availability: icc.Availability(q.Get("availability")),
		Skill: q.Get("skill"), Limit: limit, Cursor: q.Get("cursor")}
	if f.Role != "" && !f.Role.Valid() {
		return icc.Invalid("role", "must be agent or admin")
	}
	if f.Availability != "" && !f.Availability.Valid() {
		return icc.Invalid("availability", "must be online, away or offline")
	}
	if _, err := icc.ParseCursor(f.Cursor); err != nil {
		return err
	}
	page, err := s.backend.ListAgents(r.Context(), f)
	if err != nil {
		return err
	}
	loads, err := s.backend.AgentLoads(r.Context())
	if err != nil {
		return err
	}
	out := agentPage{Items: make([]agentWithLoad, len(page.Items)), Next: page.Next}
	for i, a := range page.Items {
		out.Items[i] = agentWithLoad{Agent: a, Load: loads[a.ID]}
	}
	writeJSON(w, s.logger, http.StatusOK, out)
	return nil
}

// handleGetAgent returns one agent with its load.
func (s *server) handleGetAgent(w http.ResponseWriter, r *http.Request) error {
	a, err := s.backend.GetAgent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	loads, err := s.backend.AgentLoads(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, agentWithLoad{Agent: a, Load: loads[a.ID]})
	return nil
}

// agentInput is the body of POST /api/agents.
type agentInput struct {
	Email        string           `json:"email"`
	Name         string           `json:"name"`
	Password     string           `json:"password"`
	Role         icc.Role         `json:"role"`
	Skills       []string         `json:"skills"`
	Capacity     int              `json:"capacity"`
	Availability icc.Availability `json:"availability"`
}

// handleCreateAgent adds an agent who can sign in with the given password;
// a taken email is 409.
func (s *server) handleCreateAgent(w http.ResponseWriter, r *http.Request) error {
	var in agentInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a := &icc.Agent{Email: icc.NormalizeEmail(in.Email), Name: in.Name, Role: in.Role,
		Skills: in.Skills, Capacity: in.Capacity, Availability: in.Availability}
	if err := icc.CheckSkillLimit(a.Skills); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := checkPassword("password", in.Password); err != nil {
		return err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return err
	}
	a.PasswordHash = hash
	if err := s.backend.CreateAgent(r.Context(), a); err != nil {
		return err
	}
	if a.Availability == icc.AvailabilityOnline {
		s.assignWaiting(r.Context(), "agent created")
	}
	w.Header().Set("Location", "/api/agents/"+a.ID)
	writeJSON(w, s.logger, http.StatusCreated, agentWithLoad{Agent: a})
	return nil
}

// agentUpdate is the body of PATCH /api/agents/{id}. Nil fields are left
// alone; Version must be the agent's current version.
type agentUpdate struct {
	Version      int64             `json:"version"`
	Name         *string           `json:"name"`
	Role         *icc.Role         `json:"role"`
	Skills       *[]string         `json:"skills"`
	Capacity     *int              `json:"capacity"`
	Availability *icc.Availability `json:"availability"`
	// Password, when set, replaces the agent's password.
	Password *string `json:"password"`
}

// handleUpdateAgent changes an agent. A stale version is 409. An admin
// cannot take away their own admin role, so that some admin always
// remains. A new password signs the agent out everywhere, except for the
// admin's own request when they change their own. Coming online or gaining capacity runs waiting-ticket
// assignment.
func (s *server) handleUpdateAgent(w http.ResponseWriter, r *http.Request) error {
	var u agentUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		return err
	}
	if u.Version <= 0 {
		return icc.Invalid("version", "the agent's current version is required")
	}
	a, err := s.backend.GetAgent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Version != u.Version {
		return icc.Errorf(icc.ECONFLICT, "agent %s was changed by someone else (version %d, not %d)", a.ID, a.Version, u.Version)
	}
	before := *a
	if u.Name != nil {
		a.Name = *u.Name
	}
	if u.Role != nil {
		if a.ID == agentFrom(r.Context()).ID && *u.Role != icc.RoleAdmin {
			return icc.Invalid("role", "you cannot take away your own admin role")
		}
		a.Role = *u.Role
		if a.Role == "" {
			return icc.Invalid("role", "must be agent or admin")
		}
	}
	if u.Skills != nil {
		if err := icc.CheckSkillLimit(*u.Skills); err != nil {
			return err
		}
		a.Skills = slices.Clone(*u.Skills)
	}
	if u.Capacity != nil {
		a.Capacity = *u.Capacity
		if a.Capacity == 0 {
			return icc.Invalid("capacity", "must be between 1 and 1000")
		}
	}
	if u.Availability != nil {
		a.Availability = *u.Availability
		if a.Availability == "" {
			return icc.Invalid("availability", "must be online, away or offline")
		}
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if u.Password == nil && sameAgent(&before, a) {
		// Nothing to store: the version stays, so other editors get no
		// 409 for nothing.
		loads, err := s.backend.AgentLoads(r.Context())
		if err != nil {
			return err
		}
		writeJSON(w, s.logger, http.StatusOK, agentWithLoad{Agent: &before, Load: loads[before.ID]})
		return nil
	}
	if u.Password != nil {
		if err := checkPassword("password", *u.Password); err != nil {
			return err
		}
		if a.PasswordHash, err = s.hashPassword(*u.Password); err != nil {
			return err
		}
	}
	if err := s.backend.UpdateAgent(r.Context(), a); err != nil {
		return err
	}
	if u.Password != nil && s.disconnectAgent != nil {
		// A WebSocket is authenticated at its handshake: close the agent's
		// open ones everywhere, so that none outlives the old password.
		if err := s.disconnectAgent(r.Context(), a.ID, "your password was changed; sign in again"); err != nil {
			s.logger.WarnContext(r.Context(), "closing the agent's chat connections failed", "agent", a.ID, "err", err)
		}
	}
	if u.Password != nil && a.ID == agentFrom(r.Context()).ID {
		// A new password signs out every session started with the old one
		// (see sessionAgent); the admin who changed their own stays signed
		// in, on a new session.
		if err := s.startSession(w, r, a); err != nil {
			return err
		}
	}
	online := a.Availability == icc.AvailabilityOnline
	if online && (before.Availability != icc.AvailabilityOnline || a.Capacity > before.Capacity || !slices.Equal(a.Skills, before.Skills)) {
		s.assignWaiting(r.Context(), "agent "+a.ID+" updated")
	}
	loads, err := s.backend.AgentLoads(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, agentWithLoad{Agent: a, Load: loads[a.ID]})
	return nil
}

// sameAgent reports whether b holds what PATCH /api/agents/{id} sets on a,
// after Validate's defaults.
func sameAgent(a, b *icc.Agent) bool {
	return a.Name == b.Name && a.Role == b.Role && slices.Equal(a.Skills, b.Skills) &&
		a.Capacity == b.Capacity && a.Availability == b.Availability
}

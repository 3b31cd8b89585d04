package memory

import (
	"context"
	"slices"

	"github.com/icclabs/commandcenter/icc"
)

// CreateCustomer stores a new customer; a taken email is ECONFLICT.
func (s *Store) CreateCustomer(ctx context.Context, c *icc.Customer) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := emailFree(s.customerEmail, "customer", c.Email, ""); err != nil {
		return err
	}
	now := s.stamp()
	if err := claimID(s.customers, "customer", &c.ID); err != nil {
		return err
	}
	c.CreatedAt = orNow(c.CreatedAt, now)
	c.UpdatedAt = orNow(c.UpdatedAt, now)
	v := *c
	s.customers[c.ID] = &v
	moveEmail(s.customerEmail, "", c.Email, c.ID)
	return nil
}

// GetCustomer returns the customer with the given id.
func (s *Store) GetCustomer(ctx context.Context, id string) (*icc.Customer, error) {
	return getCopy(ctx, s, s.customers, "customer", id, copyCustomer)
}

// GetCustomerByEmail returns the customer with the given email, compared
// after icc.NormalizeEmail.
func (s *Store) GetCustomerByEmail(ctx context.Context, email string) (*icc.Customer, error) {
	return getByEmail(ctx, s, s.customerEmail, "customer", email, s.GetCustomer)
}

// UpdateCustomer replaces the customer's fields and stamps UpdatedAt.
func (s *Store) UpdateCustomer(ctx context.Context, c *icc.Customer) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.customers[c.ID]
	if !ok {
		return icc.NotFound("customer", c.ID)
	}
	if err := emailFree(s.customerEmail, "customer", c.Email, c.ID); err != nil {
		return err
	}
	moveEmail(s.customerEmail, old.Email, c.Email, c.ID)
	c.CreatedAt = old.CreatedAt
	c.UpdatedAt = s.stamp()
	v := *c
	s.customers[c.ID] = &v
	return nil
}

// ListCustomers returns customers newest first.
func (s *Store) ListCustomers(ctx context.Context, f icc.CustomerFilter) (icc.Page[*icc.Customer], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.Customer]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Customer]{}, err
	}
	terms := icc.Terms(f.Text)
	keep := func(c *icc.Customer) bool {
		return (f.Tier == "" || c.Tier == f.Tier) && icc.MatchTerms(terms, c.Email, c.Name, c.Account)
	}
	return pageOf(s, s.customers, keep, func(c *icc.Customer) key { return key{c.CreatedAt, c.ID} }, true, f.Cursor, f.Limit, copyCustomer)
}

// CreateAgent stores a new agent; a taken email is ECONFLICT.
func (s *Store) CreateAgent(ctx context.Context, a *icc.Agent) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := emailFree(s.agentEmail, "agent", a.Email, ""); err != nil {
		return err
	}
	now := s.stamp()
	if err := claimID(s.agents, "agent", &a.ID); err != nil {
		return err
	}
	a.CreatedAt = orNow(a.CreatedAt, now)
	a.UpdatedAt = orNow(a.UpdatedAt, now)
	if a.Version == 0 {
		a.Version = 1
	}
	s.agents[a.ID] = copyAgent(a)
	moveEmail(s.agentEmail, "", a.Email, a.ID)
	return nil
}

// GetAgent returns the agent with the given id.
func (s *Store) GetAgent(ctx context.Context, id string) (*icc.Agent, error) {
	return getCopy(ctx, s, s.agents, "agent", id, copyAgent)
}

// GetAgentByEmail returns the agent with the given email, compared after
// icc.NormalizeEmail.
func (s *Store) GetAgentByEmail(ctx context.Context, email string) (*icc.Agent, error) {
	return getByEmail(ctx, s, s.agentEmail, "agent", email, s.GetAgent)
}

// UpdateAgent replaces the agent's fields when a.Version is current, then
// increments a.Version and stamps a.UpdatedAt.
func (s *Store) UpdateAgent(ctx context.Context, a *icc.Agent) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.agents[a.ID]
	if !ok {
		return icc.NotFound("agent", a.ID)
	}
	if err := stale("agent", a.ID, old.Version, a.Version); err != nil {
		return err
	}
	if err := emailFree(s.agentEmail, "agent", a.Email, a.ID); err != nil {
		return err
	}
	moveEmail(s.agentEmail, old.Email, a.Email, a.ID)
	a.Version++
	a.CreatedAt = old.CreatedAt
	a.UpdatedAt = s.stamp()
	s.agents[a.ID] = copyAgent(a)
	return nil
}

// ListAgents returns agents oldest first.
func (s *Store) ListAgents(ctx context.Context, f icc.AgentFilter) (icc.Page[*icc.Agent], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.Agent]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Agent]{}, err
	}
	keep := func(a *icc.Agent) bool {
		return (f.Role == "" || a.Role == f.Role) &&
			(f.Availability == "" || a.Availability == f.Availability) &&
			(f.Skill == "" || slices.Contains(a.Skills, f.Skill))
	}
	return pageOf(s, s.agents, keep, func(a *icc.Agent) key { return key{a.CreatedAt, a.ID} }, false, f.Cursor, f.Limit, copyAgent)
}

// AgentLoads returns the number of active tickets assigned to each agent
// that has any.
func (s *Store) AgentLoads(ctx context.Context) (map[string]int, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.loadsLocked(), nil
}

func (s *Store) loadsLocked() map[string]int {
	loads := map[string]int{}
	for _, t := range s.tickets {
		if t.AssigneeID != "" && t.Status.Active() {
			loads[t.AssigneeID]++
		}
	}
	return loads
}

func same[T any](v T) T { return v }

func copyCustomer(c *icc.Customer) *icc.Customer {
	v := *c
	return &v
}

func copyAgent(a *icc.Agent) *icc.Agent {
	v := *a
	v.Skills = slices.Clone(a.Skills)
	if v.Skills == nil {
		v.Skills = []string{}
	}
	return &v
}

// emailFree returns icc.EmailTaken when email (normalised) belongs to
// someone other than id in index; kind names the kind ("customer").
func emailFree(index map[string]string, kind, email, id string) error {
	if owner, ok := index[icc.NormalizeEmail(email)]; ok && owner != id {
		return icc.EmailTaken(kind, email, nil)
	}
	return nil
}

// moveEmail points index at id under newEmail instead of oldEmail (empty
// for a new record).
func moveEmail(index map[string]string, oldEmail, newEmail, id string) {
	if oldEmail != "" {
		delete(index, icc.NormalizeEmail(oldEmail))
	}
	index[icc.NormalizeEmail(newEmail)] = id
}

// getByEmail looks email up in index and returns the record through get.
func getByEmail[T any](ctx context.Context, s *Store, index map[string]string, kind, email string, get func(context.Context, string) (T, error)) (T, error) {
	var zero T
	if err := s.check(ctx); err != nil {
		return zero, err
	}
	s.mu.RLock()
	id, ok := index[icc.NormalizeEmail(email)]
	s.mu.RUnlock()
	if !ok {
		return zero, icc.NotFound(kind, email)
	}
	return get(ctx, id)
}

package main

import (
	"net/http"

	"github.com/icclabs/commandcenter/icc"
)

// customerRoutes registers the customer endpoints, open to every agent.
func (s *server) customerRoutes() {
	s.handle("GET /api/customers", s.agentOnly(s.handleListCustomers))
	s.handle("POST /api/customers", s.agentOnly(s.handleCreateCustomer))
	s.handle("GET /api/customers/{id}", s.agentOnly(s.handleGetCustomer))
	s.handle("PATCH /api/customers/{id}", s.agentOnly(s.handleUpdateCustomer))
}

// handleListCustomers returns one page of customers, newest first,
// filtered by tier and text (email, name or account).
func (s *server) handleListCustomers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	f := icc.CustomerFilter{Tier: q.Get("tier"), Text: q.Get("text"), Limit: limit, Cursor: q.Get("cursor")}
	if _, err := icc.ParseCursor(f.Cursor); err != nil {
		return err
	}
	page, err := s.backend.ListCustomers(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*icc.Customer{}
	}
	writeJSON(w, s.logger, http.StatusOK, page)
	return nil
}

// customerInput is the body of POST /api/customers.
type customerInput struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Tier    string `json:"tier"`
	Account string `json:"account"`
}

// handleCreateCustomer stores a new customer; a taken email is 409.
func (s *server) handleCreateCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customerInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &icc.Customer{Email: icc.NormalizeEmail(in.Email), Name: in.Name, Tier: in.Tier, Account: in.Account}
	if err := icc.CheckAccountLimit(c.Account); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.backend.CreateCustomer(r.Context(), c); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/customers/"+c.ID)
	writeJSON(w, s.logger, http.StatusCreated, c)
	return nil
}

// handleGetCustomer returns one customer.
func (s *server) handleGetCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.backend.GetCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, c)
	return nil
}

// customerUpdate is the body of PATCH /api/customers/{id}; nil fields are
// left alone. The email, the customer's identity, does not change.
type customerUpdate struct {
	Name    *string `json:"name"`
	Tier    *string `json:"tier"`
	Account *string `json:"account"`
}

// handleUpdateCustomer changes a customer's name, tier or account. Customers
// carry no version: the last update wins. A body that changes nothing
// answers with the customer as stored, updated_at unchanged.
func (s *server) handleUpdateCustomer(w http.ResponseWriter, r *http.Request) error {
	var u customerUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		return err
	}
	c, err := s.backend.GetCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	changed := false
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&c.Name, u.Name}, {&c.Tier, u.Tier}, {&c.Account, u.Account}} {
		if f.v != nil && *f.v != *f.dst {
			*f.dst, changed = *f.v, true
		}
	}
	if !changed {
		writeJSON(w, s.logger, http.StatusOK, c)
		return nil
	}
	if u.Account != nil {
		if err := icc.CheckAccountLimit(*u.Account); err != nil {
			return err
		}
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.backend.UpdateCustomer(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, c)
	return nil
}

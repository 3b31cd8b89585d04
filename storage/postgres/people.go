package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/icclabs/commandcenter/icc"
)

// CreateCustomer stores a new customer; a taken email (ignoring case) is
// ECONFLICT.
func (s *Store) CreateCustomer(ctx context.Context, c *icc.Customer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	stampNew(&c.ID, &c.CreatedAt, &c.UpdatedAt)
	m := customerToModel(c)
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return emailErr(err, "customer", c.Email)
	}
	*c = *m.toICC()
	return nil
}

// GetCustomer returns the customer with the given id.
func (s *Store) GetCustomer(ctx context.Context, id string) (*icc.Customer, error) {
	if !storable(id) {
		return nil, icc.NotFound("customer", id)
	}
	m := new(customerModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "customer", id)
	}
	return m.toICC(), nil
}

// GetCustomerByEmail returns the customer with the given email, ignoring case.
func (s *Store) GetCustomerByEmail(ctx context.Context, email string) (*icc.Customer, error) {
	if !storable(email) {
		return nil, icc.NotFound("customer with email", email)
	}
	m := new(customerModel)
	if err := s.db.NewSelect().Model(m).Where("lower(email) = ?", icc.NormalizeEmail(email)).Scan(ctx); err != nil {
		return nil, notFound(err, "customer with email", email)
	}
	return m.toICC(), nil
}

// UpdateCustomer replaces the customer's fields and stamps UpdatedAt.
func (s *Store) UpdateCustomer(ctx context.Context, c *icc.Customer) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m := customerToModel(c)
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).ExcludeColumn("id", "created_at").WherePK().Returning("*").Scan(ctx)
	if err != nil {
		return emailErr(notFound(err, "customer", c.ID), "customer", c.Email)
	}
	*c = *m.toICC()
	return nil
}

// ListCustomers returns customers newest first.
func (s *Store) ListCustomers(ctx context.Context, f icc.CustomerFilter) (icc.Page[*icc.Customer], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Customer]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.Customer]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []customerModel
	q := s.db.NewSelect().Model(&rows)
	if f.Tier != "" {
		q = q.Where("tier = ?", f.Tier)
	}
	q = matchTerms(q, customerSearchExpr, f.Text)
	if err := keyset(q, "created_at", true, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.Customer]{}, dbErr(err, "list customers")
	}
	return page(rows, limit, (*customerModel).toICC, func(m *customerModel) (time.Time, string) { return m.CreatedAt, m.ID }), nil
}

// CreateAgent stores a new agent; a taken email (ignoring case) is ECONFLICT.
func (s *Store) CreateAgent(ctx context.Context, a *icc.Agent) error {
	if err := a.Validate(); err != nil {
		return err
	}
	stampNew(&a.ID, &a.CreatedAt, &a.UpdatedAt)
	if a.Version == 0 {
		a.Version = 1
	}
	m := agentToModel(a)
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return emailErr(err, "agent", a.Email)
	}
	*a = *m.toICC()
	return nil
}

// GetAgent returns the agent with the given id.
func (s *Store) GetAgent(ctx context.Context, id string) (*icc.Agent, error) {
	if !storable(id) {
		return nil, icc.NotFound("agent", id)
	}
	m := new(agentModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "agent", id)
	}
	return m.toICC(), nil
}

// GetAgentByEmail returns the agent with the given email, ignoring case.
func (s *Store) GetAgentByEmail(ctx context.Context, email string) (*icc.Agent, error) {
	if !storable(email) {
		return nil, icc.NotFound("agent with email", email)
	}
	m := new(agentModel)
	if err := s.db.NewSelect().Model(m).Where("lower(email) = ?", icc.NormalizeEmail(email)).Scan(ctx); err != nil {
		return nil, notFound(err, "agent with email", email)
	}
	return m.toICC(), nil
}

// UpdateAgent replaces the agent's fields when a.Version is current, then
// increments it.
func (s *Store) UpdateAgent(ctx context.Context, a *icc.Agent) error {
	if err := a.Validate(); err != nil {
		return err
	}
	m := agentToModel(a)
	m.Version = a.Version + 1
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).ExcludeColumn("id", "created_at").WherePK().
		Where("version = ?", a.Version).Returning("*").Scan(ctx)
	if err != nil {
		return emailErr(s.versionErr(ctx, err, "agents", "agent", a.ID), "agent", a.Email)
	}
	*a = *m.toICC()
	return nil
}

// ListAgents returns agents oldest first.
func (s *Store) ListAgents(ctx context.Context, f icc.AgentFilter) (icc.Page[*icc.Agent], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Agent]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.Agent]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []agentModel
	q := s.db.NewSelect().Model(&rows)
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.Availability != "" {
		q = q.Where("availability = ?", f.Availability)
	}
	if f.Skill != "" {
		q = q.Where("? = ANY(skills)", f.Skill)
	}
	if err := keyset(q, "created_at", false, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.Agent]{}, dbErr(err, "list agents")
	}
	return page(rows, limit, (*agentModel).toICC, func(m *agentModel) (time.Time, string) { return m.CreatedAt, m.ID }), nil
}

// AgentLoads returns the number of active tickets of every agent that has any.
func (s *Store) AgentLoads(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		AssigneeID string `bun:"assignee_id"`
		N          int    `bun:"n"`
	}
	err := s.db.NewSelect().Table("tickets").ColumnExpr("assignee_id, count(*) AS n").
		Where("assignee_id <> ''").Where("status IN (?)", bun.In(activeStatuses)).
		Group("assignee_id").Scan(ctx, &rows)
	if err != nil {
		return nil, dbErr(err, "agent loads")
	}
	loads := make(map[string]int, len(rows))
	for _, r := range rows {
		loads[r.AssigneeID] = r.N
	}
	return loads, nil
}

var activeStatuses = []string{string(icc.StatusNew), string(icc.StatusOpen), string(icc.StatusPending)}

// stampNew fills an empty id and creation times.
func stampNew(id *string, created, updated *time.Time) {
	if *id == "" {
		*id = icc.NewID()
	}
	if created.IsZero() {
		*created = now()
	}
	*created = icc.Timestamp(*created)
	if updated.IsZero() {
		*updated = *created
	}
	*updated = icc.Timestamp(*updated)
}

// emailErr words a conflict on the unique email index.
func emailErr(err error, kind, email string) error {
	if isUniqueViolation(err) {
		return icc.EmailTaken(kind, email, err)
	}
	return dbErr(err, kind)
}

// versionErr explains an optimistic update that matched no row: ENOTFOUND
// when the record does not exist, ECONFLICT when its version moved on.
func (s *Store) versionErr(ctx context.Context, err error, table, kind, id string) error {
	if !isNoRows(err) {
		return dbErr(err, "update "+kind)
	}
	exists, err := s.db.NewSelect().Table(table).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return dbErr(err, "update "+kind)
	}
	if !exists {
		return icc.NotFound(kind, id)
	}
	return icc.Errorf(icc.ECONFLICT, "%s %q was changed by someone else; reload and try again", kind, id)
}

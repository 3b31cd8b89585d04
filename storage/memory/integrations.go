package memory

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/icclabs/commandcenter/icc"
)

// nameKey is the key of an integration name in Store.integrationBy: names
// are unique ignoring case, compared lower-cased as PostgreSQL's lower()
// does in the postgres backend.
func nameKey(name string) string { return strings.ToLower(name) }

// CreateIntegration stores a new integration; a taken name, ignoring case,
// is ECONFLICT.
func (s *Store) CreateIntegration(ctx context.Context, in *icc.Integration) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integrationBy[nameKey(in.Name)]; ok {
		return icc.IntegrationNameTaken(in.Name, nil)
	}
	if err := claimID(s.integrations, "integration", &in.ID); err != nil {
		return err
	}
	now := s.stamp()
	in.CreatedAt = orNow(in.CreatedAt, now)
	in.UpdatedAt = orNow(in.UpdatedAt, now)
	in.StatusChangedAt = icc.TimestampPtr(in.StatusChangedAt)
	if in.Version == 0 {
		in.Version = 1
	}
	s.integrations[in.ID] = copyIntegration(in)
	s.integrationBy[nameKey(in.Name)] = in.ID
	return nil
}

// GetIntegration returns the integration with the given id.
func (s *Store) GetIntegration(ctx context.Context, id string) (*icc.Integration, error) {
	return getCopy(ctx, s, s.integrations, "integration", id, copyIntegration)
}

// UpdateIntegration replaces the integration when in.Version is current,
// then increments in.Version and stamps in.UpdatedAt.
func (s *Store) UpdateIntegration(ctx context.Context, in *icc.Integration) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.integrations[in.ID]
	if !ok {
		return icc.NotFound("integration", in.ID)
	}
	if err := stale("integration", in.ID, old.Version, in.Version); err != nil {
		return err
	}
	if id, ok := s.integrationBy[nameKey(in.Name)]; ok && id != in.ID {
		return icc.IntegrationNameTaken(in.Name, nil)
	}
	delete(s.integrationBy, nameKey(old.Name))
	s.integrationBy[nameKey(in.Name)] = in.ID
	in.Version++
	in.CreatedAt = old.CreatedAt
	in.UpdatedAt = s.stamp()
	in.StatusChangedAt = icc.TimestampPtr(in.StatusChangedAt)
	s.integrations[in.ID] = copyIntegration(in)
	return nil
}

// DeleteIntegration removes an integration with its results, logs,
// maintenance windows and alerts.
func (s *Store) DeleteIntegration(ctx context.Context, id string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.integrations[id]
	if !ok {
		return icc.NotFound("integration", id)
	}
	delete(s.integrations, id)
	delete(s.integrationBy, nameKey(in.Name))
	delete(s.results, id)
	delete(s.logs, id)
	for mid, m := range s.maintenance {
		if m.IntegrationID == id {
			delete(s.maintenance, mid)
		}
	}
	for aid, a := range s.alerts {
		if a.IntegrationID == id {
			delete(s.alerts, aid)
			if s.openAlerts[a.DedupKey] == aid {
				delete(s.openAlerts, a.DedupKey)
			}
		}
	}
	return nil
}

// ListIntegrations returns the integrations that match f, ordered by name.
func (s *Store) ListIntegrations(ctx context.Context, f icc.IntegrationFilter) ([]*icc.Integration, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []*icc.Integration{}
	for _, in := range s.integrations {
		if (f.Kind != nil && in.Kind != *f.Kind) ||
			(f.Status != nil && in.Status != *f.Status) ||
			(f.Enabled != nil && in.Enabled != *f.Enabled) {
			continue
		}
		out = append(out, copyIntegration(in))
	}
	slices.SortFunc(out, func(a, b *icc.Integration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// AddCheckResults stores probe results, all or none. Each result must name
// an existing integration.
func (s *Store) AddCheckResults(ctx context.Context, rs []icc.CheckResult) error {
	return addRecords(ctx, s, rs, s.results, func(r *icc.CheckResult) (string, error) {
		if err := r.Validate(); err != nil {
			return "", err
		}
		r.CheckedAt = icc.Timestamp(r.CheckedAt)
		return r.IntegrationID, nil
	}, func(r *icc.CheckResult) *string { return &r.ID })
}

// ListCheckResults returns the results that match f, newest first.
func (s *Store) ListCheckResults(ctx context.Context, f icc.CheckResultFilter) (icc.Page[icc.CheckResult], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[icc.CheckResult]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[icc.CheckResult]{}, err
	}
	from, to := icc.Timestamp(f.From), icc.Timestamp(f.To)
	s.mu.RLock()
	var items []icc.CheckResult
	for id, rs := range s.results {
		if f.IntegrationID != "" && id != f.IntegrationID {
			continue
		}
		for _, r := range rs {
			if (f.OK != nil && r.OK != *f.OK) ||
				(!from.IsZero() && r.CheckedAt.Before(from)) ||
				(!to.IsZero() && !r.CheckedAt.Before(to)) {
				continue
			}
			items = append(items, r)
		}
	}
	s.mu.RUnlock()
	return paginate(items, func(r icc.CheckResult) key { return key{r.CheckedAt, r.ID} }, true, f.Cursor, f.Limit, same)
}

// AddIntegrationLogs stores call records, all or none. Each record must
// name an existing integration.
func (s *Store) AddIntegrationLogs(ctx context.Context, logs []icc.IntegrationLog) error {
	return addRecords(ctx, s, logs, s.logs, func(l *icc.IntegrationLog) (string, error) {
		if err := l.Validate(); err != nil {
			return "", err
		}
		l.At = icc.Timestamp(l.At)
		return l.IntegrationID, nil
	}, func(l *icc.IntegrationLog) *string { return &l.ID })
}

// addRecords appends a batch of per-integration records to dst, all or
// none: prepare validates and normalises a copy of each record and names its
// integration, id points at its id (filled when empty), and every named
// integration must exist.
func addRecords[T any](ctx context.Context, s *Store, recs []T, dst map[string][]T,
	prepare func(*T) (string, error), id func(*T) *string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	batch := make([]T, len(recs))
	owners := make([]string, len(recs))
	for i, r := range recs {
		owner, err := prepare(&r)
		if err != nil {
			return err
		}
		if p := id(&r); *p == "" {
			*p = icc.NewID()
		}
		batch[i], owners[i] = r, owner
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, owner := range owners {
		if _, ok := s.integrations[owner]; !ok {
			return icc.NotFound("integration", owner)
		}
	}
	for i, r := range batch {
		dst[owners[i]] = append(dst[owners[i]], r)
	}
	return nil
}

// SearchIntegrationLogs returns the call records that match f, newest
// first.
func (s *Store) SearchIntegrationLogs(ctx context.Context, f icc.LogFilter) (icc.Page[icc.IntegrationLog], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[icc.IntegrationLog]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[icc.IntegrationLog]{}, err
	}
	terms := icc.Terms(f.Text)
	from, to := icc.Timestamp(f.From), icc.Timestamp(f.To)
	s.mu.RLock()
	var items []icc.IntegrationLog
	for id, ls := range s.logs {
		if f.IntegrationID != "" && id != f.IntegrationID {
			continue
		}
		for _, l := range ls {
			if (f.Level != nil && l.Level != *f.Level) ||
				(f.StatusMin != 0 && l.StatusCode < f.StatusMin) ||
				(f.StatusMax != 0 && l.StatusCode > f.StatusMax) ||
				(!from.IsZero() && l.At.Before(from)) ||
				(!to.IsZero() && !l.At.Before(to)) ||
				!icc.MatchTerms(terms, l.Method, l.Endpoint, l.URL, l.Error, l.Message) {
				continue
			}
			items = append(items, l)
		}
	}
	s.mu.RUnlock()
	return paginate(items, func(l icc.IntegrationLog) key { return key{l.At, l.ID} }, true, f.Cursor, f.Limit, same)
}

func copyIntegration(in *icc.Integration) *icc.Integration {
	v := *in
	v.Check.Headers = maps.Clone(in.Check.Headers)
	v.Check.Conditions = slices.Clone(in.Check.Conditions)
	v.AlertRules = slices.Clone(in.AlertRules)
	if v.AlertRules == nil {
		v.AlertRules = []icc.AlertRule{}
	}
	v.StatusChangedAt = copyTime(in.StatusChangedAt)
	return &v
}

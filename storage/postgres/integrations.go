package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/icclabs/commandcenter/icc"
)

// CreateIntegration stores a new integration; a taken name, ignoring case,
// is ECONFLICT (a unique index on lower(name), migration 00004).
func (s *Store) CreateIntegration(ctx context.Context, in *icc.Integration) error {
	if err := in.Validate(); err != nil {
		return err
	}
	stampNew(&in.ID, &in.CreatedAt, &in.UpdatedAt)
	if in.Version == 0 {
		in.Version = 1
	}
	m := integrationToModel(in)
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return nameErr(err, in.Name)
	}
	*in = *m.toICC()
	return nil
}

// GetIntegration returns the integration with the given id.
func (s *Store) GetIntegration(ctx context.Context, id string) (*icc.Integration, error) {
	if !storable(id) {
		return nil, icc.NotFound("integration", id)
	}
	m := new(integrationModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "integration", id)
	}
	return m.toICC(), nil
}

// UpdateIntegration replaces the integration when in.Version is current and
// increments the version.
func (s *Store) UpdateIntegration(ctx context.Context, in *icc.Integration) error {
	if err := in.Validate(); err != nil {
		return err
	}
	m := integrationToModel(in)
	m.Version = in.Version + 1
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).ExcludeColumn("id", "created_at").WherePK().
		Where("version = ?", in.Version).Returning("*").Scan(ctx)
	if err != nil {
		if isUniqueViolation(err) {
			return nameErr(err, in.Name)
		}
		return s.versionErr(ctx, err, "integrations", "integration", in.ID)
	}
	*in = *m.toICC()
	return nil
}

// DeleteIntegration removes an integration; its check results, logs,
// maintenance windows and alerts go with it (ON DELETE CASCADE).
func (s *Store) DeleteIntegration(ctx context.Context, id string) error {
	if !storable(id) {
		return icc.NotFound("integration", id)
	}
	res, err := s.db.NewDelete().Table("integrations").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return dbErr(err, "delete integration")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return icc.NotFound("integration", id)
	}
	return nil
}

// ListIntegrations returns the integrations that match f, ordered by name.
func (s *Store) ListIntegrations(ctx context.Context, f icc.IntegrationFilter) ([]*icc.Integration, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var rows []integrationModel
	q := s.db.NewSelect().Model(&rows)
	if f.Kind != nil {
		q = q.Where("kind = ?", *f.Kind)
	}
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.Enabled != nil {
		q = q.Where("enabled = ?", *f.Enabled)
	}
	if err := q.Order("name", "id").Scan(ctx); err != nil {
		return nil, dbErr(err, "list integrations")
	}
	out := make([]*icc.Integration, len(rows))
	for i := range rows {
		out[i] = rows[i].toICC()
	}
	return out, nil
}

// AddCheckResults stores probe results with one statement; ids are filled in.
func (s *Store) AddCheckResults(ctx context.Context, rs []icc.CheckResult) error {
	if len(rs) == 0 {
		return nil
	}
	rows := make([]checkResultModel, len(rs))
	for i := range rs {
		r := &rs[i]
		if err := r.Validate(); err != nil {
			return err
		}
		if r.ID == "" {
			r.ID = icc.NewID()
		}
		r.CheckedAt = icc.Timestamp(r.CheckedAt)
		rows[i] = checkResultToModel(r)
	}
	if _, err := s.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return integrationRefErr(err, "add check results")
	}
	return nil
}

// ListCheckResults returns check results newest first.
func (s *Store) ListCheckResults(ctx context.Context, f icc.CheckResultFilter) (icc.Page[icc.CheckResult], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[icc.CheckResult]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[icc.CheckResult]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []checkResultModel
	q := s.db.NewSelect().Model(&rows)
	if f.IntegrationID != "" {
		q = q.Where("integration_id = ?", f.IntegrationID)
	}
	if f.OK != nil {
		q = q.Where("ok = ?", *f.OK)
	}
	if !f.From.IsZero() {
		q = q.Where("checked_at >= ?", icc.Timestamp(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("checked_at < ?", icc.Timestamp(f.To))
	}
	if err := keyset(q, "checked_at", true, cur, limit).Scan(ctx); err != nil {
		return icc.Page[icc.CheckResult]{}, dbErr(err, "list check results")
	}
	return page(rows, limit, (*checkResultModel).toICC, func(m *checkResultModel) (time.Time, string) { return m.CheckedAt, m.ID }), nil
}

// AddIntegrationLogs stores call records with one statement; ids and levels
// are filled in.
func (s *Store) AddIntegrationLogs(ctx context.Context, logs []icc.IntegrationLog) error {
	if len(logs) == 0 {
		return nil
	}
	rows := make([]integrationLogModel, len(logs))
	for i := range logs {
		l := &logs[i]
		if err := l.Validate(); err != nil {
			return err
		}
		if l.ID == "" {
			l.ID = icc.NewID()
		}
		l.At = icc.Timestamp(l.At)
		rows[i] = integrationLogToModel(l)
	}
	if _, err := s.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return integrationRefErr(err, "add integration logs")
	}
	return nil
}

// SearchIntegrationLogs returns the call records that match f, newest first.
func (s *Store) SearchIntegrationLogs(ctx context.Context, f icc.LogFilter) (icc.Page[icc.IntegrationLog], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[icc.IntegrationLog]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[icc.IntegrationLog]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []integrationLogModel
	q := s.db.NewSelect().Model(&rows)
	if f.IntegrationID != "" {
		q = q.Where("integration_id = ?", f.IntegrationID)
	}
	if f.Level != nil {
		q = q.Where("level = ?", *f.Level)
	}
	if f.StatusMin != 0 {
		q = q.Where("status_code >= ?", f.StatusMin)
	}
	if f.StatusMax != 0 {
		q = q.Where("status_code <= ?", f.StatusMax)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", icc.Timestamp(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", icc.Timestamp(f.To))
	}
	q = matchTerms(q, logSearchExpr, f.Text)
	if err := keyset(q, "at", true, cur, limit).Scan(ctx); err != nil {
		return icc.Page[icc.IntegrationLog]{}, dbErr(err, "search integration logs")
	}
	return page(rows, limit, (*integrationLogModel).toICC, func(m *integrationLogModel) (time.Time, string) { return m.At, m.ID }), nil
}

// CreateMaintenance stores a new maintenance window.
func (s *Store) CreateMaintenance(ctx context.Context, w *icc.MaintenanceWindow) error {
	if err := w.Validate(); err != nil {
		return err
	}
	stampNew(&w.ID, &w.CreatedAt, &w.UpdatedAt)
	m := maintenanceToModel(w)
	m.StartsAt, m.EndsAt = icc.Timestamp(m.StartsAt), icc.Timestamp(m.EndsAt)
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return integrationRefErr(err, "create maintenance window")
	}
	*w = *m.toICC()
	return nil
}

// GetMaintenance returns the maintenance window with the given id.
func (s *Store) GetMaintenance(ctx context.Context, id string) (*icc.MaintenanceWindow, error) {
	if !storable(id) {
		return nil, icc.NotFound("maintenance window", id)
	}
	m := new(maintenanceModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "maintenance window", id)
	}
	return m.toICC(), nil
}

// UpdateMaintenance replaces title, times, recurrence and cancellation, and
// stamps UpdatedAt.
func (s *Store) UpdateMaintenance(ctx context.Context, w *icc.MaintenanceWindow) error {
	if err := w.Validate(); err != nil {
		return err
	}
	m := maintenanceToModel(w)
	m.StartsAt, m.EndsAt = icc.Timestamp(m.StartsAt), icc.Timestamp(m.EndsAt)
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).
		Column("title", "starts_at", "ends_at", "recurrence", "canceled_at", "updated_at").
		WherePK().Returning("*").Scan(ctx)
	if err != nil {
		return notFound(err, "maintenance window", w.ID)
	}
	*w = *m.toICC()
	return nil
}

// ListMaintenance returns maintenance windows ordered by start time.
func (s *Store) ListMaintenance(ctx context.Context, f icc.MaintenanceFilter) (icc.Page[*icc.MaintenanceWindow], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.MaintenanceWindow]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.MaintenanceWindow]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []maintenanceModel
	q := s.db.NewSelect().Model(&rows)
	if f.IntegrationID != "" {
		q = q.Where("integration_id = ?", f.IntegrationID)
	}
	if !f.EndsAfter.IsZero() {
		q = q.Where("(ends_at > ? OR recurrence <> '')", icc.Timestamp(f.EndsAfter))
	}
	if !f.IncludeCanceled {
		q = q.Where("canceled_at IS NULL")
	}
	if err := keyset(q, "starts_at", false, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.MaintenanceWindow]{}, dbErr(err, "list maintenance windows")
	}
	return page(rows, limit, (*maintenanceModel).toICC, func(m *maintenanceModel) (time.Time, string) { return m.StartsAt, m.ID }), nil
}

// CreateAlert stores a new alert; another unresolved alert with the same
// DedupKey is ECONFLICT.
func (s *Store) CreateAlert(ctx context.Context, a *icc.Alert) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = icc.NewID()
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now()
	}
	if a.Version == 0 {
		a.Version = 1
	}
	m := alertToModel(a)
	m.FiredAt, m.UpdatedAt = icc.Timestamp(m.FiredAt), icc.Timestamp(m.UpdatedAt)
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return alertErr(err, a.DedupKey, "create alert")
	}
	*a = *m.toICC()
	return nil
}

// GetAlert returns the alert with the given id.
func (s *Store) GetAlert(ctx context.Context, id string) (*icc.Alert, error) {
	if !storable(id) {
		return nil, icc.NotFound("alert", id)
	}
	m := new(alertModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "alert", id)
	}
	return m.toICC(), nil
}

// UpdateAlert replaces state, count, summary, acknowledgement and resolution
// when a.Version is current, and increments the version.
func (s *Store) UpdateAlert(ctx context.Context, a *icc.Alert) error {
	if err := a.Validate(); err != nil {
		return err
	}
	m := alertToModel(a)
	m.Version = a.Version + 1
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).
		Column("state", "count", "summary", "acknowledged_by", "acknowledged_at", "resolved_at", "version", "updated_at").
		WherePK().Where("version = ?", a.Version).Returning("*").Scan(ctx)
	if err != nil {
		if isUniqueViolation(err) {
			return alertErr(err, a.DedupKey, "update alert")
		}
		return s.versionErr(ctx, err, "alerts", "alert", a.ID)
	}
	*a = *m.toICC()
	return nil
}

// ListAlerts returns alerts newest first by FiredAt.
func (s *Store) ListAlerts(ctx context.Context, f icc.AlertFilter) (icc.Page[*icc.Alert], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Alert]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.Alert]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []alertModel
	q := s.db.NewSelect().Model(&rows)
	if f.IntegrationID != "" {
		q = q.Where("integration_id = ?", f.IntegrationID)
	}
	if f.State != nil {
		q = q.Where("state = ?", *f.State)
	}
	if f.Active {
		q = q.Where("state <> ?", icc.AlertResolved)
	}
	if err := keyset(q, "fired_at", true, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.Alert]{}, dbErr(err, "list alerts")
	}
	return page(rows, limit, (*alertModel).toICC, func(m *alertModel) (time.Time, string) { return m.FiredAt, m.ID }), nil
}

// nameErr words a unique violation of the integration name index
// (integrations_name_lower_key, migration 00004) as the memory backend
// does; any other error, a taken id included, goes through dbErr.
func nameErr(err error, name string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName != "integrations_pkey" {
		return icc.IntegrationNameTaken(name, err)
	}
	return dbErr(err, "integration")
}

func alertErr(err error, key, what string) error {
	if isUniqueViolation(err) {
		return icc.AlertKeyTaken(key, err)
	}
	return integrationRefErr(err, what)
}

// integrationRefErr words a foreign key violation on integration_id.
func integrationRefErr(err error, what string) error {
	err = dbErr(err, what)
	if icc.ErrorCode(err) == icc.ENOTFOUND {
		return &icc.Error{Code: icc.ENOTFOUND, Message: what + ": the integration does not exist", Err: err}
	}
	return err
}

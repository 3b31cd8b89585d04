package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/monitor"
)

// monitorOptions configures setupMonitor. The zero value is the defaults.
type monitorOptions struct {
	// SlowDelay is how long a mock in slow mode holds each answer
	// (default defaultSlowDelay).
	SlowDelay time.Duration
	// SyncInterval is how often the monitor reloads integrations from the
	// store (default 1m; changes made through this API apply at once).
	SyncInterval time.Duration
}

// Integration change events, published on icc.TopicIntegrations after
// the API creates, updates or deletes an integration, so that the
// monitors of other instances resync at once.
const (
	eventIntegrationCreated = "integration.created"
	eventIntegrationUpdated = "integration.updated"
	eventIntegrationDeleted = "integration.deleted"
)

// setupMonitor builds the integration monitor (checks under the
// backend's leases, status and alert events on its bus), the recorder of
// integration call logs, the mock CRM and ERP and the CRM-backed customer
// directory (as s.directory, so call it before setupDesk), and registers
// the monitoring and mock routes. Checks start with startMonitor. The
// monitor and recorder are closed on shutdown, before storage.
func (s *server) setupMonitor(ctx context.Context, opts monitorOptions) error {
	rec, err := monitor.NewRecorder(monitor.RecorderConfig{Store: s.backend, Logger: s.logger})
	if err != nil {
		return fmt.Errorf("integration log recorder: %w", err)
	}
	mon, err := monitor.New(monitor.Config{
		Store:        s.backend,
		Bus:          s.backend,
		Leaser:       s.backend,
		Logger:       s.logger,
		Instance:     instanceID(),
		SyncInterval: opts.SyncInterval,
	})
	if err != nil {
		_ = rec.Close(ctx)
		return fmt.Errorf("monitor: %w", err)
	}
	s.monitor, s.recorder = mon, rec
	s.mocks = newMocks(opts.SlowDelay)
	s.crm = newCRMDirectory(s.backend, rec)
	s.directory = s.crm

	s.monitorRoutes()
	s.mockRoutes()

	// The monitor stops first (its last checks finish), then the recorder
	// writes what is queued; both before storage closes.
	s.onShutdown(func(ctx context.Context) error {
		return errors.Join(mon.Close(ctx), rec.Close(ctx))
	})
	return nil
}

// startMonitor points the customer directory at baseURL (the server's
// own address) and runs the monitor until ctx ends or the server shuts
// down: it schedules every enabled integration's checks and keeps the
// schedule in step with the store.
func (s *server) startMonitor(ctx context.Context, baseURL string) {
	s.crm.setBase(baseURL)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.monitor.Run(rctx); err != nil && rctx.Err() == nil {
			s.logger.ErrorContext(rctx, "monitor stopped", "err", err)
		}
	})
	s.logger.InfoContext(ctx, "monitor started")
	s.onShutdown(func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
}

// selfURL is the base URL at which the server reaches itself through
// listener address addr: an unspecified host (":8080", "0.0.0.0:8080")
// becomes the loopback address.
func selfURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// monitorRoutes registers the integration, log, maintenance, alert and
// incident endpoints. Every agent may read, check now, schedule and
// cancel maintenance and acknowledge alerts; only admins create, change
// or delete integrations.
func (s *server) monitorRoutes() {
	s.handle("GET /api/integrations", s.agentOnly(s.handleListIntegrations))
	s.handle("POST /api/integrations", s.adminOnly(s.handleCreateIntegration))
	s.handle("GET /api/integrations/{id}", s.agentOnly(s.handleGetIntegration))
	s.handle("PATCH /api/integrations/{id}", s.adminOnly(s.handleUpdateIntegration))
	s.handle("DELETE /api/integrations/{id}", s.adminOnly(s.handleDeleteIntegration))
	s.handle("POST /api/integrations/{id}/check", s.agentOnly(s.handleCheckNow))
	s.handle("GET /api/integrations/{id}/results", s.agentOnly(s.handleListResults))
	s.handle("GET /api/integrations/{id}/stats", s.agentOnly(s.handleIntegrationStats))
	s.handle("GET /api/logs", s.agentOnly(s.handleSearchLogs))
	s.handle("GET /api/maintenance", s.agentOnly(s.handleListMaintenance))
	s.handle("POST /api/maintenance", s.agentOnly(s.handleScheduleMaintenance))
	s.handle("GET /api/maintenance/{id}", s.agentOnly(s.handleGetMaintenance))
	s.handle("DELETE /api/maintenance/{id}", s.agentOnly(s.handleCancelMaintenance))
	s.handle("POST /api/maintenance/{id}/cancel", s.agentOnly(s.handleCancelMaintenance))
	s.handle("GET /api/alerts", s.agentOnly(s.handleListAlerts))
	s.handle("GET /api/alerts/{id}", s.agentOnly(s.handleGetAlert))
	s.handle("POST /api/alerts/{id}/ack", s.agentOnly(s.handleAckAlert))
	s.handle("GET /api/incidents", s.agentOnly(s.handleIncidents))
}

// itemsBody is the answer of a list that is not paginated.
type itemsBody[T any] struct {
	Items []T `json:"items"`
}

func items[T any](xs []T) itemsBody[T] {
	if xs == nil {
		xs = []T{}
	}
	return itemsBody[T]{Items: xs}
}

// nonNil gives a page an empty rather than null item list.
func nonNil[T any](p icc.Page[T]) icc.Page[T] {
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// announce tells other instances that an integration changed; a failure
// is logged, since the change itself is stored.
func (s *server) announce(ctx context.Context, typ, id string) {
	e := icc.Event{Topic: icc.TopicIntegrations, Type: typ, ID: id, At: time.Now()}
	if err := s.backend.Publish(context.WithoutCancel(ctx), e); err != nil {
		s.logger.WarnContext(ctx, "announcing an integration change failed", "integration", id, "type", typ, "err", err)
	}
}

// schedule hands a stored integration to the monitor; a failure is
// logged, since the integration is stored and the next sync retries.
func (s *server) schedule(ctx context.Context, in *icc.Integration) {
	if err := s.monitor.Upsert(context.WithoutCancel(ctx), in); err != nil {
		s.logger.WarnContext(ctx, "integration check not scheduled", "integration", in.ID, "err", err)
	}
}

// checkRuleFields refuses alert rules written with a field their type
// does not use (icc.AlertRule.CheckFields), which would be ignored.
func checkRuleFields(rules []icc.AlertRule) error {
	for _, r := range rules {
		if err := r.CheckFields(); err != nil {
			return err
		}
	}
	return nil
}

// checkIntegration validates in as the store would, checks the limits on
// what a client may write (icc.Integration.CheckLimits) and compiles its
// check (conditions included), so a bad condition is a 422 before
// anything is stored. No check functions are registered in this server,
// so func checks are rejected.
func checkIntegration(in *icc.Integration) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if err := in.CheckLimits(); err != nil {
		return err
	}
	if in.Check.Type == icc.CheckNone {
		return nil
	}
	_, err := monitor.NewProbe(in.Check, nil)
	return err
}

// handleListIntegrations lists integrations by name, filtered by kind,
// status and enabled.
func (s *server) handleListIntegrations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f icc.IntegrationFilter
	if v := q.Get("kind"); v != "" {
		k := icc.IntegrationKind(v)
		if !k.Valid() {
			return icc.Invalid("kind", "must be crm, erp, billing, api or other")
		}
		f.Kind = &k
	}
	if v := q.Get("status"); v != "" {
		st := icc.IntegrationStatus(v)
		if !st.Valid() {
			return icc.Invalid("status", "must be unknown, operational, degraded, down or maintenance")
		}
		f.Status = &st
	}
	if v := q.Get("enabled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return icc.Invalid("enabled", "must be true or false")
		}
		f.Enabled = &b
	}
	ins, err := s.backend.ListIntegrations(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, items(ins))
	return nil
}

// durationField reads a duration of a request body, written as
// icc.ParseDuration reads it ("30s", "5m", "1h30m", "7d"); absent or null
// is 0, for the default. Anything else, a bare number included (which
// icc.Duration would read as nanoseconds), is EINVALID naming field with
// the accepted format, where encoding/json would give a 400 without a
// field.
func durationField(field string, raw json.RawMessage) (icc.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, icc.Invalid(field, "must be a string: write %s", icc.DurationFormat)
	}
	d, err := icc.ParseDuration(v)
	if err != nil {
		return 0, icc.Invalid(field, "%s", icc.ErrorMessage(err))
	}
	return icc.Duration(d), nil
}

// checkInput is an icc.CheckSpec as a client writes it, with its
// durations read by durationField.
type checkInput struct {
	icc.CheckSpec
	Interval json.RawMessage `json:"interval"`
	Timeout  json.RawMessage `json:"timeout"`
}

// spec returns the check spec c describes.
func (c *checkInput) spec() (icc.CheckSpec, error) {
	spec := c.CheckSpec
	var err error
	if spec.Interval, err = durationField("check.interval", c.Interval); err != nil {
		return spec, err
	}
	if spec.Timeout, err = durationField("check.timeout", c.Timeout); err != nil {
		return spec, err
	}
	return spec, nil
}

// alertRuleInput is an icc.AlertRule as a client writes it, with its
// durations read by durationField.
type alertRuleInput struct {
	icc.AlertRule
	Latency json.RawMessage `json:"latency"`
	Window  json.RawMessage `json:"window"`
}

// alertRules returns the rules in describes, refusing fields their types
// do not use (checkRuleFields). A nil in is nil.
func alertRules(in []alertRuleInput) ([]icc.AlertRule, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]icc.AlertRule, len(in))
	for i, r := range in {
		out[i] = r.AlertRule
		var err error
		if out[i].Latency, err = durationField("alert_rules.latency", r.Latency); err != nil {
			return nil, err
		}
		if out[i].Window, err = durationField("alert_rules.window", r.Window); err != nil {
			return nil, err
		}
	}
	return out, checkRuleFields(out)
}

// integrationRequest is the body of POST /api/integrations.
type integrationRequest struct {
	Name        string              `json:"name"`
	Kind        icc.IntegrationKind `json:"kind"`
	Description string              `json:"description"`
	// Enabled defaults to true.
	Enabled    *bool            `json:"enabled"`
	Check      checkInput       `json:"check"`
	AlertRules []alertRuleInput `json:"alert_rules"`
}

// handleCreateIntegration stores a new integration (status unknown) and
// schedules its check; a taken name is 409.
func (s *server) handleCreateIntegration(w http.ResponseWriter, r *http.Request) error {
	var req integrationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	spec, err := req.Check.spec()
	if err != nil {
		return err
	}
	rules, err := alertRules(req.AlertRules)
	if err != nil {
		return err
	}
	in := &icc.Integration{Name: req.Name, Kind: req.Kind, Description: req.Description,
		Enabled: req.Enabled == nil || *req.Enabled, Check: spec, AlertRules: rules}
	if err := checkIntegration(in); err != nil {
		return err
	}
	if err := s.backend.CreateIntegration(r.Context(), in); err != nil {
		return err
	}
	s.schedule(r.Context(), in)
	s.announce(r.Context(), eventIntegrationCreated, in.ID)
	s.logger.InfoContext(r.Context(), "integration created", "integration", in.ID, "name", in.Name, "agent", agentFrom(r.Context()).ID)
	w.Header().Set("Location", "/api/integrations/"+in.ID)
	writeJSON(w, s.logger, http.StatusCreated, s.reread(r.Context(), in))
	return nil
}

// handleGetIntegration returns one integration.
func (s *server) handleGetIntegration(w http.ResponseWriter, r *http.Request) error {
	in, err := s.backend.GetIntegration(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, in)
	return nil
}

// integrationUpdate is the body of PATCH /api/integrations/{id}: the
// current version and the fields to change. Check and alert_rules are
// replaced whole. An empty kind is refused rather than read as the
// default a new integration gets.
type integrationUpdate struct {
	Version     int64                `json:"version"`
	Name        *string              `json:"name"`
	Kind        *icc.IntegrationKind `json:"kind"`
	Description *string              `json:"description"`
	Enabled     *bool                `json:"enabled"`
	Check       *checkInput          `json:"check"`
	AlertRules  *[]alertRuleInput    `json:"alert_rules"`
}

// integrationSettings is what a client sets on an integration, encoded to
// compare two versions of it (sameSettings).
type integrationSettings struct {
	Name        string              `json:"name"`
	Kind        icc.IntegrationKind `json:"kind"`
	Description string              `json:"description"`
	Enabled     bool                `json:"enabled"`
	Check       icc.CheckSpec       `json:"check"`
	AlertRules  []icc.AlertRule     `json:"alert_rules"`
}

// settingsOf encodes what a client sets on in; nil if it cannot be
// encoded, which sameSettings takes as a change.
func settingsOf(in *icc.Integration) []byte {
	b, err := json.Marshal(integrationSettings{Name: in.Name, Kind: in.Kind, Description: in.Description,
		Enabled: in.Enabled, Check: in.Check, AlertRules: in.AlertRules})
	if err != nil {
		return nil
	}
	return b
}

// sameSettings reports whether settings encodes what a client sets on in,
// as JSON, so that a nil and an empty list are alike.
func sameSettings(settings []byte, in *icc.Integration) bool {
	return settings != nil && bytes.Equal(settings, settingsOf(in))
}

// handleUpdateIntegration changes an integration when the body's version
// is current (409 otherwise; the monitor bumps it when the status
// changes, so read it again) and reschedules its check. A body that
// changes nothing answers with the integration as stored, its version
// and updated_at unchanged, so that it costs other editors no 409.
func (s *server) handleUpdateIntegration(w http.ResponseWriter, r *http.Request) error {
	var u integrationUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		return err
	}
	if u.Version <= 0 {
		return icc.Invalid("version", "the integration's current version is required")
	}
	in, err := s.backend.GetIntegration(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if in.Version != u.Version {
		return icc.Errorf(icc.ECONFLICT, "integration %s was changed by someone else (version %d, not %d)", in.ID, in.Version, u.Version)
	}
	stored := *in
	before := settingsOf(in)
	if u.Name != nil {
		in.Name = *u.Name
	}
	if u.Kind != nil {
		if *u.Kind == "" {
			return icc.Invalid("kind", "must be crm, erp, billing, api or other")
		}
		in.Kind = *u.Kind
	}
	if u.Description != nil {
		in.Description = *u.Description
	}
	if u.Enabled != nil {
		in.Enabled = *u.Enabled
	}
	if u.Check != nil {
		if in.Check, err = u.Check.spec(); err != nil {
			return err
		}
	}
	if u.AlertRules != nil {
		if in.AlertRules, err = alertRules(*u.AlertRules); err != nil {
			return err
		}
	}
	// Nothing changed, as sent or once normalised: nothing to store. A
	// row stored before a limit was set is not refused for it here.
	if sameSettings(before, in) {
		writeJSON(w, s.logger, http.StatusOK, &stored)
		return nil
	}
	if err := checkIntegration(in); err != nil {
		return err
	}
	if sameSettings(before, in) {
		writeJSON(w, s.logger, http.StatusOK, &stored)
		return nil
	}
	if err := s.backend.UpdateIntegration(r.Context(), in); err != nil {
		return err
	}
	s.schedule(r.Context(), in)
	s.announce(r.Context(), eventIntegrationUpdated, in.ID)
	writeJSON(w, s.logger, http.StatusOK, s.reread(r.Context(), in))
	return nil
}

// reread returns in as stored now: scheduling may have changed its status
// (a disabled integration becomes unknown) and with it its version, which
// the answer must show so that the client's next PATCH is not a 409. When
// the read fails, in is returned as it was written.
func (s *server) reread(ctx context.Context, in *icc.Integration) *icc.Integration {
	fresh, err := s.backend.GetIntegration(ctx, in.ID)
	if err != nil {
		s.logger.WarnContext(ctx, "reading an integration back failed", "integration", in.ID, "err", err)
		return in
	}
	return fresh
}

// handleDeleteIntegration removes an integration with its results, logs,
// maintenance windows and alerts, and stops checking it.
func (s *server) handleDeleteIntegration(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.backend.GetIntegration(r.Context(), id); err != nil {
		return err
	}
	s.monitor.Remove(r.Context(), id)
	if err := s.backend.DeleteIntegration(r.Context(), id); err != nil {
		return err
	}
	s.announce(r.Context(), eventIntegrationDeleted, id)
	s.logger.InfoContext(r.Context(), "integration deleted", "integration", id, "agent", agentFrom(r.Context()).ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkNowBody is the answer of POST /api/integrations/{id}/check: the
// result, and the integration with the status it led to.
type checkNowBody struct {
	Result      icc.CheckResult  `json:"result"`
	Integration *icc.Integration `json:"integration"`
}

// handleCheckNow runs an integration's check at once and records it like
// a scheduled one (status and alerts follow).
func (s *server) handleCheckNow(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	res, err := s.monitor.CheckNow(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := s.backend.GetIntegration(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, checkNowBody{Result: res, Integration: in})
	return nil
}

// pageQuery reads limit and cursor.
func pageQuery(q url.Values) (limit int, cursor string, err error) {
	if limit, err = queryLimit(q); err != nil {
		return 0, "", err
	}
	cursor = q.Get("cursor")
	_, err = icc.ParseCursor(cursor)
	return limit, cursor, err
}

// handleListResults returns one page of an integration's check results,
// newest first: ok (true or false), from, to, limit, cursor.
func (s *server) handleListResults(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	q := r.URL.Query()
	f := icc.CheckResultFilter{IntegrationID: id}
	var err error
	if f.Limit, f.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	if v := q.Get("ok"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return icc.Invalid("ok", "must be true or false")
		}
		f.OK = &b
	}
	if f.From, _, err = queryTime(q, "from"); err != nil {
		return err
	}
	if f.To, _, err = queryTime(q, "to"); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return icc.Invalid("to", "must be after from")
	}
	if _, err := s.backend.GetIntegration(r.Context(), id); err != nil {
		return err
	}
	page, err := s.backend.ListCheckResults(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, nonNil(page))
	return nil
}

// windowStats is the body of GET /api/integrations/{id}/stats:
// monitor.Stats with its window written as formatWindow does ("7d"
// rather than "168h0m0s").
type windowStats struct {
	// Window is the length of the range [From, To) of the figures.
	Window string `json:"window"`
	icc.IntegrationStats
}

// handleIntegrationStats summarises an integration over ?window=
// (queryWindow: 1h, 24h, 7d, 30d or any duration up to 31 days; default
// 24h).
func (s *server) handleIntegrationStats(w http.ResponseWriter, r *http.Request) error {
	window, err := queryWindow(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.backend.GetIntegration(r.Context(), id); err != nil {
		return err
	}
	st, err := s.monitor.Stats(r.Context(), id, window)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, windowStats{Window: formatWindow(st.Window.Std()), IntegrationStats: st.IntegrationStats})
	return nil
}

// queryParamError renames the field of an EINVALID error from the name a
// filter gives it to the query parameter the client sent, as params maps
// them ("text" to "q", say). Other errors are returned as they are.
func queryParamError(err error, params map[string]string) error {
	var e *icc.Error
	if !errors.As(err, &e) || e.Code != icc.EINVALID {
		return err
	}
	if p, ok := params[e.Field]; ok {
		return &icc.Error{Code: e.Code, Message: e.Message, Field: p, Err: e.Err}
	}
	return err
}

// logSearchParams maps the fields icc.LogFilter.Validate names to the
// query parameters of GET /api/logs.
var logSearchParams = map[string]string{"integration_id": "integration", "text": "q"}

// handleSearchLogs returns one page of integration call logs, newest
// first: integration, level, status_min, status_max, from, to, q (text:
// every term must appear in the method, endpoint, URL, error or message),
// limit, cursor. An invalid query is EINVALID naming the parameter.
func (s *server) handleSearchLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := icc.LogFilter{IntegrationID: q.Get("integration"), Text: strings.TrimSpace(q.Get("q"))}
	var err error
	if f.Limit, f.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	if v := q.Get("level"); v != "" {
		l := icc.LogLevel(v)
		f.Level = &l
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"status_min", &f.StatusMin}, {"status_max", &f.StatusMax}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return icc.Invalid(p.name, "must be an HTTP status from 100 to 599")
		}
		*p.dst = n
	}
	if f.StatusMax != 0 && f.StatusMax < f.StatusMin {
		return icc.Invalid("status_max", "must not be below status_min")
	}
	if f.From, _, err = queryTime(q, "from"); err != nil {
		return err
	}
	if f.To, _, err = queryTime(q, "to"); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return queryParamError(err, logSearchParams)
	}
	page, err := s.backend.SearchIntegrationLogs(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, nonNil(page))
	return nil
}

// handleListMaintenance returns one page of maintenance windows by start
// time: integration; by default the current and upcoming ones that are
// not cancelled, with all=true every one; limit, cursor.
func (s *server) handleListMaintenance(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := icc.MaintenanceFilter{IntegrationID: q.Get("integration")}
	var err error
	if f.Limit, f.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	all := false
	if v := q.Get("all"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			return icc.Invalid("all", "must be true or false")
		}
	}
	if all {
		f.IncludeCanceled = true
	} else {
		f.EndsAfter = time.Now()
	}
	page, err := s.backend.ListMaintenance(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, nonNil(page))
	return nil
}

// maintenanceRequest is the body of POST /api/maintenance. The times are
// RFC 3339 strings, parsed by bodyTime so that a bad one is a 422 naming
// its field. Omitted times default as monitor.ScheduleMaintenance says:
// both omitted, the next full hour for one hour; only ends_at, from now;
// only starts_at, for one hour. The window must end within
// icc.MaintenanceHorizonYears (5) years from now.
type maintenanceRequest struct {
	IntegrationID string         `json:"integration_id"`
	Title         string         `json:"title"`
	StartsAt      string         `json:"starts_at"`
	EndsAt        string         `json:"ends_at"`
	Recurrence    icc.Recurrence `json:"recurrence"`
}

// bodyTime parses an optional RFC 3339 time of a request body; "" is the
// zero time. A bad value, or one outside the years 1 to 9999 in UTC
// (icc.CheckTime), is EINVALID naming field, with an example rather than
// Go's layout string.
func bodyTime(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, icc.Invalid(field, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	if err := icc.CheckTime(field, t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// checkMaintenanceHorizon refuses a window that would end after
// icc.MaintenanceHorizon(now), naming the field the client sent: ends_at,
// or starts_at when only it is given (the window then lasts one hour, as
// monitor.ScheduleMaintenance fills it in). Windows without a start end
// at ends_at; one without either time is the next full hour.
func checkMaintenanceHorizon(startsAt, endsAt, now time.Time) error {
	horizon := icc.MaintenanceHorizon(now)
	switch {
	case !endsAt.IsZero():
		if endsAt.After(horizon) {
			return icc.Invalid("ends_at", "a window must end within %d years from now", icc.MaintenanceHorizonYears)
		}
	case !startsAt.IsZero():
		if startsAt.Add(time.Hour).After(horizon) {
			return icc.Invalid("starts_at", "a window must end within %d years from now (without ends_at it lasts one hour)", icc.MaintenanceHorizonYears)
		}
	}
	return nil
}

// handleScheduleMaintenance schedules a maintenance window in the
// signed-in agent's name; while it is active the integration's status is
// maintenance and its alerts neither fire nor update. Every check is made
// before the window is stored.
func (s *server) handleScheduleMaintenance(w http.ResponseWriter, r *http.Request) error {
	var req maintenanceRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.IntegrationID) == "" {
		return icc.Invalid("integration_id", "is required")
	}
	startsAt, err := bodyTime("starts_at", req.StartsAt)
	if err != nil {
		return err
	}
	endsAt, err := bodyTime("ends_at", req.EndsAt)
	if err != nil {
		return err
	}
	if err := checkMaintenanceHorizon(startsAt, endsAt, time.Now()); err != nil {
		return err
	}
	mw, err := s.monitor.ScheduleMaintenance(r.Context(), icc.MaintenanceWindow{
		IntegrationID: req.IntegrationID, Title: req.Title, StartsAt: startsAt, EndsAt: endsAt,
		Recurrence: req.Recurrence, CreatedBy: agentFrom(r.Context()).ID,
	})
	if errors.Is(err, icc.ErrNotFound) {
		return icc.Invalid("integration_id", "no integration %q", req.IntegrationID)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/maintenance/"+mw.ID)
	writeJSON(w, s.logger, http.StatusCreated, mw)
	return nil
}

// handleGetMaintenance returns one maintenance window.
func (s *server) handleGetMaintenance(w http.ResponseWriter, r *http.Request) error {
	mw, err := s.backend.GetMaintenance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, mw)
	return nil
}

// handleCancelMaintenance cancels a window (again: unchanged) and answers
// with it; a maintenance status goes back at once to what the latest
// results say.
func (s *server) handleCancelMaintenance(w http.ResponseWriter, r *http.Request) error {
	mw, err := s.monitor.CancelMaintenance(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, mw)
	return nil
}

// alertView is an alert as the API shows it: silenced is true while a
// maintenance window covers its integration, so it neither fires again
// nor counts.
type alertView struct {
	*icc.Alert
	Silenced bool `json:"silenced"`
}

// alertsPage is the answer of GET /api/alerts.
type alertsPage struct {
	Items []alertView `json:"items"`
	Next  string      `json:"next,omitempty"`
}

// viewAlerts marks the alerts whose integrations are under maintenance.
func (s *server) viewAlerts(ctx context.Context, as []*icc.Alert) ([]alertView, error) {
	maint := map[string]bool{}
	out := make([]alertView, 0, len(as))
	for _, a := range as {
		on, seen := maint[a.IntegrationID]
		if !seen {
			var err error
			if on, err = s.monitor.InMaintenance(ctx, a.IntegrationID); err != nil {
				return nil, err
			}
			maint[a.IntegrationID] = on
		}
		out = append(out, alertView{Alert: a, Silenced: on && a.State != icc.AlertResolved})
	}
	return out, nil
}

// handleListAlerts returns one page of alerts, newest first: state
// (firing, acknowledged, resolved, or active for either of the first
// two), integration, limit, cursor.
func (s *server) handleListAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := icc.AlertFilter{IntegrationID: q.Get("integration")}
	var err error
	if f.Limit, f.Cursor, err = pageQuery(q); err != nil {
		return err
	}
	switch v := q.Get("state"); v {
	case "":
	case "active":
		f.Active = true
	default:
		st := icc.AlertState(v)
		if !st.Valid() {
			return icc.Invalid("state", "must be firing, acknowledged, resolved or active")
		}
		f.State = &st
	}
	page, err := s.backend.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	views, err := s.viewAlerts(r.Context(), page.Items)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, alertsPage{Items: views, Next: page.Next})
	return nil
}

// handleGetAlert returns one alert.
func (s *server) handleGetAlert(w http.ResponseWriter, r *http.Request) error {
	a, err := s.backend.GetAlert(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	views, err := s.viewAlerts(r.Context(), []*icc.Alert{a})
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, views[0])
	return nil
}

// handleAckAlert acknowledges an alert in the signed-in agent's name;
// again is a no-op, a resolved alert is 409. It answers with the alert as
// GET /api/alerts/{id} shows it.
func (s *server) handleAckAlert(w http.ResponseWriter, r *http.Request) error {
	a, err := s.monitor.Acknowledge(r.Context(), r.PathValue("id"), agentFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	views, err := s.viewAlerts(r.Context(), []*icc.Alert{a})
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, views[0])
	return nil
}

// handleIncidents lists the integrations that are down or degraded now,
// down first, then the longest-running.
func (s *server) handleIncidents(w http.ResponseWriter, r *http.Request) error {
	inc, err := s.monitor.ActiveIncidents(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, items(inc))
	return nil
}

package main

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/monitor"
)

// defaultAnalyticsRange is the range of GET /api/analytics/tickets when
// the query names none: the last seven days.
const defaultAnalyticsRange = 7 * 24 * time.Hour

// analyticsRoutes registers the analytics endpoints, for signed-in agents.
// The figures are computed by the store (in SQL with PostgreSQL).
func (s *server) analyticsRoutes() {
	s.handle("GET /api/analytics/tickets", s.agentOnly(s.handleTicketAnalytics))
	s.handle("GET /api/analytics/integrations", s.agentOnly(s.handleIntegrationAnalytics))
}

// queryTime reads an optional time parameter: RFC 3339 (e.g.
// 2025-06-02T08:00:00Z) or a date (2025-06-02, midnight UTC), in the years
// 1 to 9999 in UTC (icc.CheckTime: an answer that echoes a time outside
// them could not be encoded). A bad value is EINVALID naming the
// parameter.
func queryTime(q url.Values, name string) (time.Time, bool, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, false, icc.Invalid(name, "must be an RFC 3339 time such as 2025-06-02T08:00:00Z or a date such as 2025-06-02")
		}
	}
	if err := icc.CheckTime(name, t); err != nil {
		return time.Time{}, false, err
	}
	if t.IsZero() {
		// Go's zero time, which the library reads as "not given".
		return time.Time{}, false, icc.Invalid(name, "must be later than 0001-01-01T00:00:00Z")
	}
	return t, true, nil
}

// ticketAnalyticsParams maps the fields icc.TicketAnalyticsQuery.Validate
// names to the query parameters of GET /api/analytics/tickets.
var ticketAnalyticsParams = map[string]string{"assignee_id": "assignee"}

// ticketAnalyticsQuery reads the query of GET /api/analytics/tickets: from
// and to (default: the seven days up to now; one alone counts from it to
// now, or the seven days up to it), queue, category, priority, assignee (an
// agent id, "me", or "none" for unassigned) and bucket (hour or day). An
// invalid query is EINVALID naming the parameter; a from that is not in
// the past without a to names from, since the range would end now.
func ticketAnalyticsQuery(r *http.Request, now time.Time) (icc.TicketAnalyticsQuery, error) {
	q := r.URL.Query()
	aq := icc.TicketAnalyticsQuery{Bucket: q.Get("bucket")}
	from, hasFrom, err := queryTime(q, "from")
	if err != nil {
		return aq, err
	}
	to, hasTo, err := queryTime(q, "to")
	if err != nil {
		return aq, err
	}
	switch {
	case !hasTo && !hasFrom:
		to, from = now, now.Add(-defaultAnalyticsRange)
	case !hasTo:
		if !from.Before(now) {
			return aq, icc.Invalid("from", "must be in the past: without to, the range ends now")
		}
		to = now
	case !hasFrom:
		from = to.Add(-defaultAnalyticsRange)
	}
	aq.From, aq.To = from, to
	if v := q.Get("queue"); v != "" {
		aq.Queue = &v
	}
	if v := q.Get("category"); v != "" {
		c := icc.Category(v)
		aq.Category = &c
	}
	if v := q.Get("priority"); v != "" {
		p := icc.Priority(v)
		aq.Priority = &p
	}
	switch v := q.Get("assignee"); v {
	case "":
	case "none":
		none := ""
		aq.AssigneeID = &none
	case "me":
		id := agentFrom(r.Context()).ID
		aq.AssigneeID = &id
	default:
		aq.AssigneeID = &v
	}
	return aq, queryParamError(aq.Validate(), ticketAnalyticsParams)
}

// handleTicketAnalytics returns icc.TicketAnalytics for the query.
func (s *server) handleTicketAnalytics(w http.ResponseWriter, r *http.Request) error {
	q, err := ticketAnalyticsQuery(r, time.Now())
	if err != nil {
		return err
	}
	a, err := s.backend.TicketAnalytics(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, a)
	return nil
}

// queryWindow reads the window parameter of the statistics routes: a Go
// duration such as 1h or 90m, or whole days such as 7d
// (monitor.ParseWindow), at most 31 days and a whole number of seconds,
// at least one; monitor.WindowDay when absent. A bad value is EINVALID
// naming "window". The whole seconds are checked here rather than in
// monitor.ParseWindow, whose other callers may take finer windows: the
// API documents its windows in days, hours, minutes and seconds, and
// formatWindow echoes them so.
func queryWindow(q url.Values) (time.Duration, error) {
	v := q.Get("window")
	if v == "" {
		return monitor.WindowDay, nil
	}
	d, err := monitor.ParseWindow(v)
	if err != nil {
		return 0, err
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, icc.Invalid("window", "%q is not a whole number of seconds (at least 1s), such as 45s, 90m, 24h or 7d", v)
	}
	return d, nil
}

// formatWindow writes a statistics window the way the API documents it,
// in a form the window parameter accepts back: whole days beyond one day
// as "7d", else whole hours as "24h", whole minutes as "90m", whole
// seconds as "45s", and anything finer as Go writes it.
func formatWindow(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d > day && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// integrationAnalytics is the body of GET /api/analytics/integrations.
type integrationAnalytics struct {
	// Window is the length of [From, To) as formatWindow writes it.
	Window       string                  `json:"window"`
	From         time.Time               `json:"from"`
	To           time.Time               `json:"to"`
	Integrations []integrationStatsEntry `json:"integrations"`
}

// integrationStatsEntry is one integration with its statistics.
type integrationStatsEntry struct {
	ID     string                `json:"id"`
	Name   string                `json:"name"`
	Kind   icc.IntegrationKind   `json:"kind"`
	Status icc.IntegrationStatus `json:"status"`
	Stats  *icc.IntegrationStats `json:"stats"`
}

// handleIntegrationAnalytics returns the statistics of every integration,
// ordered by name, over window (queryWindow: 1h, 24h, 7d, 30d or any
// duration up to 31 days; default 24h) ending now.
func (s *server) handleIntegrationAnalytics(w http.ResponseWriter, r *http.Request) error {
	window, err := queryWindow(r.URL.Query())
	if err != nil {
		return err
	}
	now := icc.Timestamp(time.Now())
	// To is just after now, so that what happened at this instant counts.
	from, to := now.Add(-window), now.Add(time.Microsecond)
	ins, err := s.backend.ListIntegrations(r.Context(), icc.IntegrationFilter{})
	if err != nil {
		return err
	}
	body := integrationAnalytics{Window: formatWindow(window), From: from, To: to, Integrations: []integrationStatsEntry{}}
	for _, in := range ins {
		st, err := s.backend.IntegrationStats(r.Context(), icc.IntegrationStatsQuery{IntegrationID: in.ID, From: from, To: to})
		if errors.Is(err, icc.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		body.Integrations = append(body.Integrations, integrationStatsEntry{ID: in.ID, Name: in.Name, Kind: in.Kind, Status: in.Status, Stats: st})
	}
	writeJSON(w, s.logger, http.StatusOK, body)
	return nil
}

package icc_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestErrorCodes(t *testing.T) {
	cause := errors.New("disk on fire")
	err := fmt.Errorf("saving: %w", icc.Errorf(icc.EUNAVAILABLE, "store down: %w", cause))
	assert.True(t, errors.Is(err, icc.ErrUnavailable))
	assert.False(t, errors.Is(err, icc.ErrNotFound))
	assert.True(t, errors.Is(err, cause))
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(err))
	assert.Equal(t, "store down: disk on fire", icc.ErrorMessage(err))

	plain := errors.New("secret internals")
	assert.Equal(t, icc.EINTERNAL, icc.ErrorCode(plain))
	assert.Equal(t, "internal error", icc.ErrorMessage(plain))
	assert.Equal(t, "", icc.ErrorCode(nil))

	inv := icc.Invalid("email", "is required")
	assert.True(t, errors.Is(inv, &icc.Error{Code: icc.EINVALID, Field: "email"}))
	assert.False(t, errors.Is(inv, &icc.Error{Code: icc.EINVALID, Field: "name"}))
	assert.Equal(t, "email", icc.ErrorField(fmt.Errorf("wrap: %w", inv)))
	assert.Equal(t, "email: is required", inv.Error())
}

func TestNewIDUniqueAndOrdered(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := icc.NewID()
		require.Len(t, id, 32)
		require.False(t, seen[id])
		seen[id] = true
		require.GreaterOrEqual(t, id[:12], prev[:min(len(prev), 12)])
		prev = id
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := icc.Cursor{Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Int: 7, ID: "abc"}
	got, err := icc.ParseCursor(c.Encode())
	require.NoError(t, err)
	assert.Equal(t, c, got)

	zero, err := icc.ParseCursor("")
	require.NoError(t, err)
	assert.Equal(t, icc.Cursor{}, zero)

	for _, bad := range []string{"!!!", "e30", "bm90IGpzb24"} {
		_, err := icc.ParseCursor(bad)
		require.Error(t, err, bad)
		assert.Equal(t, "cursor", icc.ErrorField(err))
	}
}

func TestTicketTransitions(t *testing.T) {
	allowed := map[[2]icc.TicketStatus]bool{
		{icc.StatusNew, icc.StatusOpen}: true, {icc.StatusNew, icc.StatusPending}: true,
		{icc.StatusNew, icc.StatusResolved}: true, {icc.StatusNew, icc.StatusClosed}: true,
		{icc.StatusOpen, icc.StatusPending}: true, {icc.StatusOpen, icc.StatusResolved}: true,
		{icc.StatusOpen, icc.StatusClosed}: true, {icc.StatusPending, icc.StatusOpen}: true,
		{icc.StatusPending, icc.StatusResolved}: true, {icc.StatusPending, icc.StatusClosed}: true,
		{icc.StatusResolved, icc.StatusOpen}: true, {icc.StatusResolved, icc.StatusClosed}: true,
		{icc.StatusClosed, icc.StatusOpen}: true,
	}
	all := []icc.TicketStatus{icc.StatusNew, icc.StatusOpen, icc.StatusPending, icc.StatusResolved, icc.StatusClosed}
	for _, from := range all {
		for _, to := range all {
			assert.Equal(t, allowed[[2]icc.TicketStatus{from, to}], icc.CanTransition(from, to), "%s -> %s", from, to)
		}
	}
	assert.False(t, icc.CanTransition(icc.StatusOpen, "bogus"))
}

func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		v     interface{ Validate() error }
		field string
	}{
		{"customer email", &icc.Customer{Email: "not-an-email"}, "email"},
		{"agent name", &icc.Agent{Email: "a@example.com"}, "name"},
		{"agent role", &icc.Agent{Email: "a@example.com", Name: "A", Role: "boss"}, "role"},
		{"agent capacity", &icc.Agent{Email: "a@example.com", Name: "A", Capacity: -1}, "capacity"},
		{"ticket customer", &icc.Ticket{Subject: "x"}, "customer_id"},
		{"ticket priority", &icc.Ticket{Subject: "x", CustomerID: "c", Priority: "asap"}, "priority"},
		{"ticket subject utf8", &icc.Ticket{Subject: "\xff", CustomerID: "c"}, "subject"},
		{"message body", &icc.NewMessage{ConversationID: "c", SenderType: icc.SenderCustomer, Body: "  "}, "body"},
		{"integration name", &icc.Integration{}, "name"},
		{"integration url", &icc.Integration{Name: "CRM", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "ftp://x"}}, "check.url"},
		{"integration timeout", &icc.Integration{Name: "CRM", Check: icc.CheckSpec{Type: icc.CheckTCP, Address: "h:1", Interval: icc.Duration(time.Second), Timeout: icc.Duration(time.Minute)}}, "check.timeout"},
		{"alert rule", &icc.Integration{Name: "CRM", AlertRules: []icc.AlertRule{{Type: "vibes"}}}, "alert_rules.type"},
		{"maintenance end", &icc.MaintenanceWindow{IntegrationID: "i", StartsAt: time.Now(), EndsAt: time.Now().Add(-time.Hour)}, "ends_at"},
		{"maintenance length", &icc.MaintenanceWindow{IntegrationID: "i", StartsAt: time.Now(), EndsAt: time.Now().Add(8 * 24 * time.Hour)}, "ends_at"},
		{"event data", &icc.TicketEvent{Type: icc.EventNote, Data: json.RawMessage("{")}, "data"},
		{"bus topic", &icc.Event{Topic: "a b", Type: "x"}, "topic"},
		{"bus size", &icc.Event{Topic: "t", Type: "x", Data: json.RawMessage(`"` + string(make([]byte, 0)) + fmt.Sprintf("%05000d", 0) + `"`)}, "data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.v.Validate()
			require.Error(t, err)
			assert.True(t, errors.Is(err, icc.ErrInvalid))
			assert.Equal(t, c.field, icc.ErrorField(err))
		})
	}
}

func TestValidateFillsDefaults(t *testing.T) {
	in := icc.Integration{Name: " CRM ", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health"},
		AlertRules: []icc.AlertRule{{Type: icc.RuleConsecutiveFailures}}}
	require.NoError(t, in.Validate())
	assert.Equal(t, "CRM", in.Name)
	assert.Equal(t, "GET", in.Check.Method)
	assert.Equal(t, 30*time.Second, in.Check.Interval.Std())
	assert.Equal(t, 10*time.Second, in.Check.Timeout.Std())
	assert.Equal(t, 3, in.AlertRules[0].Failures)
	assert.Equal(t, 2, in.AlertRules[0].ResolveAfter)
	assert.Equal(t, icc.StatusUnknown, in.Status)

	a := icc.Agent{Email: "a@example.com", Name: "Ann"}
	require.NoError(t, a.Validate())
	assert.Equal(t, icc.RoleAgent, a.Role)
	assert.Equal(t, 5, a.Capacity)
	assert.Equal(t, icc.AvailabilityOffline, a.Availability)

	l := icc.IntegrationLog{IntegrationID: "i", At: time.Now(), StatusCode: 503}
	require.NoError(t, l.Validate())
	assert.Equal(t, icc.LevelError, l.Level)
	l = icc.IntegrationLog{IntegrationID: "i", At: time.Now(), StatusCode: 404}
	require.NoError(t, l.Validate())
	assert.Equal(t, icc.LevelWarn, l.Level)
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(icc.Duration(90 * time.Second))
	require.NoError(t, err)
	assert.JSONEq(t, `"1m30s"`, string(b))
	var d icc.Duration
	require.NoError(t, json.Unmarshal([]byte(`"250ms"`), &d))
	assert.Equal(t, 250*time.Millisecond, d.Std())
	require.NoError(t, json.Unmarshal([]byte(`1000`), &d))
	assert.Equal(t, time.Microsecond, d.Std())
	require.Error(t, json.Unmarshal([]byte(`"soon"`), &d))
	// Whole days, as the server writes statistics windows.
	require.NoError(t, json.Unmarshal([]byte(`"7d"`), &d))
	assert.Equal(t, 7*24*time.Hour, d.Std())
	for _, bad := range []string{`"1.5d"`, `"-1d"`, `"d"`, `"99999999999d"`} {
		require.Error(t, json.Unmarshal([]byte(bad), &d), bad)
	}
}

func TestMaintenanceActiveAt(t *testing.T) {
	start := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC) // a Monday
	m := icc.MaintenanceWindow{IntegrationID: "i", StartsAt: start, EndsAt: start.Add(2 * time.Hour)}
	assert.False(t, m.ActiveAt(start.Add(-time.Second)))
	assert.True(t, m.ActiveAt(start))
	assert.True(t, m.ActiveAt(start.Add(119*time.Minute)))
	assert.False(t, m.ActiveAt(start.Add(2*time.Hour)))
	assert.False(t, m.ActiveAt(start.Add(7*24*time.Hour)))

	m.Recurrence = icc.RecurWeekly
	assert.True(t, m.ActiveAt(start.Add(7*24*time.Hour+time.Hour)))
	assert.False(t, m.ActiveAt(start.Add(7*24*time.Hour+3*time.Hour)))

	now := time.Now()
	m.CanceledAt = &now
	assert.False(t, m.ActiveAt(start))
}

func TestMatchTerms(t *testing.T) {
	terms := icc.Terms("  Timeout  ORDERS ")
	assert.Equal(t, []string{"timeout", "orders"}, terms)
	assert.True(t, icc.MatchTerms(terms, "GET /orders/{id}", "context deadline: Timeout"))
	assert.False(t, icc.MatchTerms(terms, "GET /orders/{id}"))
	assert.True(t, icc.MatchTerms(nil, "anything"))
}

func TestTimestamp(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	in := time.Date(2026, 1, 1, 12, 0, 0, 123456789, loc)
	got := icc.Timestamp(in)
	assert.Equal(t, time.UTC, got.Location())
	assert.Equal(t, 123456000, got.Nanosecond())
	assert.True(t, got.Equal(in.Truncate(time.Microsecond)))
	assert.True(t, icc.Timestamp(time.Time{}).IsZero())
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		code, field string
		want        int
	}{
		{icc.EINVALID, "subject", http.StatusUnprocessableEntity},
		{icc.EINVALID, "", http.StatusBadRequest},
		{icc.ENOTFOUND, "", http.StatusNotFound},
		{icc.ECONFLICT, "", http.StatusConflict},
		{icc.EUNAUTHORIZED, "", http.StatusUnauthorized},
		{icc.EFORBIDDEN, "", http.StatusForbidden},
		{icc.EUNAVAILABLE, "", http.StatusServiceUnavailable},
		{icc.EINTERNAL, "", http.StatusInternalServerError},
		{"something_new", "", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, icc.HTTPStatus(tt.code, tt.field), "code %q field %q", tt.code, tt.field)
	}
}

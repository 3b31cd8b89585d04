package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) integrations(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := &icc.Integration{Name: "  Salesforce  ",
			Check:      icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health"},
			AlertRules: []icc.AlertRule{{Type: icc.RuleConsecutiveFailures}}}
		require.NoError(t, st.CreateIntegration(ctx(t), in))
		require.NotEmpty(t, in.ID)
		assert.Equal(t, "Salesforce", in.Name)
		assert.Equal(t, icc.KindAPI, in.Kind)
		assert.Equal(t, "GET", in.Check.Method)
		assert.Equal(t, 30*time.Second, in.Check.Interval.Std())
		assert.Equal(t, 10*time.Second, in.Check.Timeout.Std())
		assert.Equal(t, 3, in.AlertRules[0].Failures)
		assert.Equal(t, 2, in.AlertRules[0].ResolveAfter)
		assert.Equal(t, icc.SeverityCritical, in.AlertRules[0].Severity)
		assert.Equal(t, icc.StatusUnknown, in.Status)
		assert.Equal(t, int64(1), in.Version)
		requireStamped(t, in.CreatedAt, "created_at")
		requireStamped(t, in.UpdatedAt, "updated_at")
		got, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, in, got)

		bare := &icc.Integration{Name: "Bare"}
		require.NoError(t, st.CreateIntegration(ctx(t), bare))
		assert.Equal(t, icc.CheckNone, bare.Check.Type)
		assert.Equal(t, []icc.AlertRule{}, bare.AlertRules)
		got, err = st.GetIntegration(ctx(t), bare.ID)
		require.NoError(t, err)
		assert.Equal(t, bare, got)

		_, err = st.GetIntegration(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		changed := time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.FixedZone("W", -4*3600))
		in := &icc.Integration{Name: "ERP", Kind: icc.KindERP, Description: "SAP", Enabled: true,
			Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://erp.example.com/ping", Method: "post",
				Headers: map[string]string{"X-Token": "t", "Accept": "application/json"}, Body: `{"q":1}`,
				Conditions: []string{"status == 200", "latency < 300ms"}, TLSSkipVerify: true, FollowRedirects: true,
				Interval: icc.Duration(time.Minute), Timeout: icc.Duration(5 * time.Second)},
			AlertRules: []icc.AlertRule{
				{Type: icc.RuleLatency, Latency: icc.Duration(800 * time.Millisecond), Severity: icc.SeverityWarning},
				{Type: icc.RuleSuccessRate, SuccessRate: 0.95, Window: icc.Duration(30 * time.Minute), ResolveAfter: 5},
			},
			Status: icc.StatusDegraded, StatusReason: "2 of the last 10 checks failed", StatusChangedAt: &changed}
		require.NoError(t, st.CreateIntegration(ctx(t), in))
		assert.Equal(t, "POST", in.Check.Method)
		got, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, in, got)
		requireUTC(t, changed, *got.StatusChangedAt, "status_changed_at")

		tcp := &icc.Integration{Name: "Ledger", Kind: icc.KindBilling,
			Check: icc.CheckSpec{Type: icc.CheckTCP, Address: "ledger:5432", Interval: icc.Duration(10 * time.Second)}}
		require.NoError(t, st.CreateIntegration(ctx(t), tcp))
		got, err = st.GetIntegration(ctx(t), tcp.ID)
		require.NoError(t, err)
		assert.Equal(t, tcp, got)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: " "}), icc.EINVALID, "name")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", Kind: "toaster"}), icc.EINVALID, "kind")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "ftp://x"}}), icc.EINVALID, "check.url")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", AlertRules: []icc.AlertRule{{Type: "vibes"}}}), icc.EINVALID, "alert_rules.type")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", Check: icc.CheckSpec{Type: icc.CheckTCP, Address: "localhost:"}}), icc.EINVALID, "check.address")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "a\x00b"}), icc.EINVALID, "name")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "a\xffb"}), icc.EINVALID, "name")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", Description: "a\x00b"}), icc.EINVALID, "description")
		requireCode(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "x", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://x.example.com/", Body: "a\x00b"}}), icc.EINVALID, "check.body")
		list, err := st.ListIntegrations(ctx(t), icc.IntegrationFilter{})
		require.NoError(t, err)
		assert.Empty(t, list)
		in := newIntegration(t, st)
		in.Status = "on fire"
		requireCode(t, st.UpdateIntegration(ctx(t), in), icc.EINVALID, "status")
		missing := icc.Integration{ID: icc.NewID(), Name: "ghost", Version: 1}
		requireCode(t, st.UpdateIntegration(ctx(t), &missing), icc.ENOTFOUND, "")
		requireCode(t, st.DeleteIntegration(ctx(t), icc.NewID()), icc.ENOTFOUND, "")
		requireCode(t, st.DeleteIntegration(ctx(t), "a\x00b"), icc.ENOTFOUND, "")
		_, err = st.GetIntegration(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.ListIntegrations(ctx(t), icc.IntegrationFilter{Kind: ptr(icc.IntegrationKind("a\x00b"))})
		requireCode(t, err, icc.EINVALID, "kind")
	})

	t.Run("UniqueName", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		newIntegration(t, st, func(in *icc.Integration) { in.Name = "CRM" })
		requireNameTaken(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "CRM"}), "CRM")
		requireNameTaken(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: " CRM "}), "CRM")
		other := newIntegration(t, st, func(in *icc.Integration) { in.Name = "ERP" })
		other.Name = "CRM"
		requireNameTaken(t, st.UpdateIntegration(ctx(t), other), "CRM")
		got, err := st.GetIntegration(ctx(t), other.ID)
		require.NoError(t, err)
		assert.Equal(t, "ERP", got.Name)

		// Names are unique ignoring case, as incident matching and the
		// incident:<name> tag ignore it.
		requireNameTaken(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "crm"}), "crm")
		requireNameTaken(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "Crm"}), "Crm")
		other.Name = "cRm"
		requireNameTaken(t, st.UpdateIntegration(ctx(t), other), "cRm")
		got, err = st.GetIntegration(ctx(t), other.ID)
		require.NoError(t, err)
		assert.Equal(t, "ERP", got.Name)
		// An integration may change the case of its own name, which frees
		// the old spelling for nobody else.
		other.Name = "erp"
		require.NoError(t, st.UpdateIntegration(ctx(t), other))
		requireNameTaken(t, st.CreateIntegration(ctx(t), &icc.Integration{Name: "ERP"}), "ERP")
		list, err := st.ListIntegrations(ctx(t), icc.IntegrationFilter{})
		require.NoError(t, err)
		assert.Len(t, list, 2)
		// Deleting frees the name in any case.
		require.NoError(t, st.DeleteIntegration(ctx(t), other.ID))
		newIntegration(t, st, func(in *icc.Integration) { in.Name = "Erp" })
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		stale := *in
		now := time.Now()
		in.Name = "Renamed"
		in.Enabled = true
		in.Status = icc.StatusDown
		in.StatusReason = "3 checks failed in a row (last: connection refused)"
		in.StatusChangedAt = &now
		in.Check = icc.CheckSpec{Type: icc.CheckFunc, Func: "ping"}
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 5}}
		require.NoError(t, st.UpdateIntegration(ctx(t), in))
		assert.Equal(t, int64(2), in.Version)
		requireStamped(t, in.UpdatedAt, "updated_at")
		got, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, in, got)
		assert.Equal(t, stale.CreatedAt, got.CreatedAt)
		requireUTC(t, now, *got.StatusChangedAt, "status_changed_at")

		stale.Description = "stale"
		requireCode(t, st.UpdateIntegration(ctx(t), &stale), icc.ECONFLICT, "")
		again, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
		// The old name is free again.
		newIntegration(t, st, func(x *icc.Integration) { x.Name = stale.Name })
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		crm := newIntegration(t, st, func(in *icc.Integration) { in.Name = "crm"; in.Kind = icc.KindCRM; in.Enabled = true })
		billing := newIntegration(t, st, func(in *icc.Integration) {
			in.Name = "Billing"
			in.Kind = icc.KindBilling
			in.Status = icc.StatusDown
		})
		api := newIntegration(t, st, func(in *icc.Integration) {
			in.Name = "API gateway"
			in.Kind = icc.KindAPI
			in.Enabled = true
			in.Status = icc.StatusOperational
		})
		list := func(f icc.IntegrationFilter) []string {
			t.Helper()
			l, err := st.ListIntegrations(ctx(t), f)
			require.NoError(t, err)
			return ids(l, integrationID)
		}
		// Ordered by name; mixed case is compared as stored, so only names
		// whose order does not depend on collation are used here.
		assert.Equal(t, []string{api.ID, billing.ID, crm.ID}, list(icc.IntegrationFilter{}))
		assert.Equal(t, []string{crm.ID}, list(icc.IntegrationFilter{Kind: ptr(icc.KindCRM)}))
		assert.Equal(t, []string{billing.ID}, list(icc.IntegrationFilter{Status: ptr(icc.StatusDown)}))
		assert.Equal(t, []string{api.ID, crm.ID}, list(icc.IntegrationFilter{Enabled: ptr(true)}))
		assert.Equal(t, []string{billing.ID}, list(icc.IntegrationFilter{Enabled: ptr(false)}))
		assert.Equal(t, []string{api.ID}, list(icc.IntegrationFilter{Enabled: ptr(true), Kind: ptr(icc.KindAPI), Status: ptr(icc.StatusOperational)}))
		assert.Empty(t, list(icc.IntegrationFilter{Kind: ptr(icc.KindERP)}))
	})

	t.Run("Copies", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st, func(in *icc.Integration) {
			in.Check = icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://x.example.com", Headers: map[string]string{"A": "1"}, Conditions: []string{"status == 200"}}
			in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures}}
		})
		in.Check.Headers["A"] = "mutated"
		in.Check.Conditions[0] = "mutated"
		in.AlertRules[0].Failures = 99
		got, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"A": "1"}, got.Check.Headers)
		assert.Equal(t, []string{"status == 200"}, got.Check.Conditions)
		assert.Equal(t, 3, got.AlertRules[0].Failures)
		got.Check.Headers["A"] = "mutated"
		got.AlertRules[0].Failures = 99
		l, err := st.ListIntegrations(ctx(t), icc.IntegrationFilter{})
		require.NoError(t, err)
		require.Len(t, l, 1)
		assert.Equal(t, map[string]string{"A": "1"}, l[0].Check.Headers)
		assert.Equal(t, 3, l[0].AlertRules[0].Failures)
		l[0].Check.Conditions[0] = "mutated"
		again, err := st.GetIntegration(ctx(t), in.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"status == 200"}, again.Check.Conditions)
	})

	t.Run("DeleteCascades", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		doomed, kept := newIntegration(t, st), newIntegration(t, st)
		var ms, as []string
		for _, in := range []*icc.Integration{doomed, kept} {
			require.NoError(t, st.AddCheckResults(ctx(t), []icc.CheckResult{{IntegrationID: in.ID, OK: true, CheckedAt: at(1)}}))
			require.NoError(t, st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, Method: "GET", StatusCode: 200, At: at(1)}}))
			m := &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(0), EndsAt: at(60)}
			require.NoError(t, st.CreateMaintenance(ctx(t), m))
			a := &icc.Alert{IntegrationID: in.ID, DedupKey: in.ID + "/down", FiredAt: at(2)}
			require.NoError(t, st.CreateAlert(ctx(t), a))
			ms, as = append(ms, m.ID), append(as, a.ID)
		}
		require.NoError(t, st.DeleteIntegration(ctx(t), doomed.ID))

		_, err := st.GetIntegration(ctx(t), doomed.ID)
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetMaintenance(ctx(t), ms[0])
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetAlert(ctx(t), as[0])
		requireCode(t, err, icc.ENOTFOUND, "")
		results, err := st.ListCheckResults(ctx(t), icc.CheckResultFilter{})
		require.NoError(t, err)
		require.Len(t, results.Items, 1)
		assert.Equal(t, kept.ID, results.Items[0].IntegrationID)
		logs, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{})
		require.NoError(t, err)
		require.Len(t, logs.Items, 1)
		assert.Equal(t, kept.ID, logs.Items[0].IntegrationID)
		alerts, err := st.ListAlerts(ctx(t), icc.AlertFilter{})
		require.NoError(t, err)
		assert.Equal(t, []string{as[1]}, ids(alerts.Items, alertID))
		windows, err := st.ListMaintenance(ctx(t), icc.MaintenanceFilter{IncludeCanceled: true})
		require.NoError(t, err)
		assert.Equal(t, []string{ms[1]}, ids(windows.Items, maintenanceID))
		list, err := st.ListIntegrations(ctx(t), icc.IntegrationFilter{})
		require.NoError(t, err)
		assert.Equal(t, []string{kept.ID}, ids(list, integrationID))

		// The name and the alert's dedup key are free again.
		newIntegration(t, st, func(in *icc.Integration) { in.Name = doomed.Name })
		requireCode(t, st.DeleteIntegration(ctx(t), doomed.ID), icc.ENOTFOUND, "")
	})
}

// requireNameTaken asserts that err is the conflict every backend gives
// for a taken integration name: ECONFLICT naming the field "name", with
// the same message (see icc.IntegrationNameTaken).
func requireNameTaken(t *testing.T, err error, name string) {
	t.Helper()
	requireCode(t, err, icc.ECONFLICT, "name")
	assert.Equal(t, fmt.Sprintf("the name %q is taken by another integration (names are compared ignoring case)", name), icc.ErrorMessage(err))
}

func (s *suite) checks(t *testing.T) {
	t.Run("AddList", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a, b := newIntegration(t, st), newIntegration(t, st)
		checked := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("E", 2*3600))
		rs := []icc.CheckResult{
			{IntegrationID: a.ID, OK: true, Latency: icc.Duration(120 * time.Millisecond), StatusCode: 200, CheckedAt: checked},
			{IntegrationID: a.ID, OK: false, Latency: icc.Duration(10 * time.Second), Error: "timeout", CheckedAt: checked.Add(time.Minute)},
			{IntegrationID: b.ID, OK: true, Latency: icc.Duration(time.Millisecond), StatusCode: 204, CheckedAt: checked.Add(2 * time.Minute)},
			{IntegrationID: a.ID, OK: true, Latency: icc.Duration(90 * time.Millisecond), StatusCode: 200, CheckedAt: checked.Add(3 * time.Minute)},
		}
		require.NoError(t, st.AddCheckResults(ctx(t), rs))
		require.NoError(t, st.AddCheckResults(ctx(t), nil))

		page, err := st.ListCheckResults(ctx(t), icc.CheckResultFilter{})
		require.NoError(t, err)
		require.Len(t, page.Items, 4)
		assert.Empty(t, page.Next)
		for i, r := range page.Items {
			want := rs[len(rs)-1-i] // newest first
			assert.NotEmpty(t, r.ID)
			assert.Equal(t, want.IntegrationID, r.IntegrationID)
			assert.Equal(t, want.OK, r.OK)
			assert.Equal(t, want.Latency, r.Latency)
			assert.Equal(t, want.StatusCode, r.StatusCode)
			assert.Equal(t, want.Error, r.Error)
			requireUTC(t, want.CheckedAt, r.CheckedAt, "checked_at")
		}
		list := func(f icc.CheckResultFilter) []time.Time {
			t.Helper()
			page, err := st.ListCheckResults(ctx(t), f)
			require.NoError(t, err)
			out := make([]time.Time, len(page.Items))
			for i, r := range page.Items {
				out[i] = r.CheckedAt
			}
			return out
		}
		ts := func(mins ...int) []time.Time {
			out := make([]time.Time, len(mins))
			for i, m := range mins {
				out[i] = icc.Timestamp(checked.Add(time.Duration(m) * time.Minute))
			}
			return out
		}
		assert.Equal(t, ts(3, 1, 0), list(icc.CheckResultFilter{IntegrationID: a.ID}))
		assert.Equal(t, ts(2), list(icc.CheckResultFilter{IntegrationID: b.ID}))
		assert.Equal(t, ts(3, 0), list(icc.CheckResultFilter{IntegrationID: a.ID, OK: ptr(true)}))
		assert.Equal(t, ts(1), list(icc.CheckResultFilter{OK: ptr(false)}))
		assert.Equal(t, ts(2, 1), list(icc.CheckResultFilter{From: checked.Add(time.Minute), To: checked.Add(3 * time.Minute)}))
		assert.Equal(t, ts(3, 2, 1), list(icc.CheckResultFilter{From: icc.Timestamp(checked.Add(time.Minute))}))
		assert.Equal(t, ts(0), list(icc.CheckResultFilter{To: icc.Timestamp(checked.Add(time.Minute))}))
		assert.Equal(t, ts(3, 1), list(icc.CheckResultFilter{IntegrationID: a.ID, From: checked.Add(time.Minute), Limit: 5}))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		err := st.AddCheckResults(ctx(t), []icc.CheckResult{{IntegrationID: in.ID, OK: true, CheckedAt: at(0)}, {IntegrationID: in.ID}})
		requireCode(t, err, icc.EINVALID, "checked_at")
		err = st.AddCheckResults(ctx(t), []icc.CheckResult{{IntegrationID: in.ID, OK: true, CheckedAt: at(0)}, {CheckedAt: at(0)}})
		requireCode(t, err, icc.EINVALID, "integration_id")
		err = st.AddCheckResults(ctx(t), []icc.CheckResult{{IntegrationID: in.ID, CheckedAt: at(0), Latency: -1}})
		requireCode(t, err, icc.EINVALID, "latency")
		err = st.AddCheckResults(ctx(t), []icc.CheckResult{{IntegrationID: in.ID, CheckedAt: at(0), Error: "a\x00b"}})
		requireCode(t, err, icc.EINVALID, "error")
		_, err = st.ListCheckResults(ctx(t), icc.CheckResultFilter{IntegrationID: "a\x00b"})
		requireCode(t, err, icc.EINVALID, "integration_id")
		page, err := st.ListCheckResults(ctx(t), icc.CheckResultFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items, "a failed batch stores nothing")
	})

	t.Run("Limits", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		rs := make([]icc.CheckResult, icc.MaxLimit+1)
		for i := range rs {
			rs[i] = icc.CheckResult{IntegrationID: in.ID, OK: i%2 == 0, CheckedAt: at(0).Add(time.Duration(i) * time.Second)}
		}
		require.NoError(t, st.AddCheckResults(ctx(t), rs))
		page, err := st.ListCheckResults(ctx(t), icc.CheckResultFilter{})
		require.NoError(t, err)
		assert.Len(t, page.Items, icc.DefaultLimit, "limit 0 is the default page size")
		assert.NotEmpty(t, page.Next)
		page, err = st.ListCheckResults(ctx(t), icc.CheckResultFilter{Limit: 10000})
		require.NoError(t, err)
		assert.Len(t, page.Items, icc.MaxLimit, "a page holds at most MaxLimit items")
		assert.NotEmpty(t, page.Next)
		page, err = st.ListCheckResults(ctx(t), icc.CheckResultFilter{Limit: icc.MaxLimit, Cursor: page.Next})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Empty(t, page.Next)
		requireUTC(t, rs[0].CheckedAt, page.Items[0].CheckedAt, "oldest result last")
	})
}

func (s *suite) logs(t *testing.T) {
	t.Run("AddSearch", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		crm, erp := newIntegration(t, st), newIntegration(t, st)
		when := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("P", -7*3600))
		logs := []icc.IntegrationLog{
			{IntegrationID: crm.ID, Method: "GET", Endpoint: "/customers/{id}", URL: "https://crm.example.com/customers/42",
				StatusCode: 200, Latency: icc.Duration(35 * time.Millisecond), RequestBytes: 0, ResponseBytes: 512, Message: "customer lookup", At: when},
			{IntegrationID: crm.ID, Method: "POST", Endpoint: "/orders", URL: "https://crm.example.com/orders",
				StatusCode: 404, Latency: icc.Duration(20 * time.Millisecond), RequestBytes: 100, At: when.Add(time.Second)},
			{IntegrationID: erp.ID, Method: "GET", Endpoint: "/stock", URL: "https://erp.example.com/stock?sku=A_1",
				StatusCode: 503, Latency: icc.Duration(2 * time.Second), At: when.Add(2 * time.Second)},
			{IntegrationID: erp.ID, Method: "GET", Endpoint: "/stock", URL: "https://erp.example.com/stock?sku=AB1",
				Error: "dial tcp: connection refused", At: when.Add(3 * time.Second)},
			{IntegrationID: erp.ID, Method: "PUT", Endpoint: "/prices", URL: "https://erp.example.com/prices",
				StatusCode: 200, Level: icc.LevelWarn, Message: "discount 100% applied (Timeout retried)", At: when.Add(4 * time.Second)},
		}
		require.NoError(t, st.AddIntegrationLogs(ctx(t), logs))
		require.NoError(t, st.AddIntegrationLogs(ctx(t), nil))

		page, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{})
		require.NoError(t, err)
		require.Len(t, page.Items, 5)
		wantLevels := []icc.LogLevel{icc.LevelWarn, icc.LevelError, icc.LevelError, icc.LevelWarn, icc.LevelInfo}
		for i, l := range page.Items {
			want := logs[len(logs)-1-i] // newest first
			assert.NotEmpty(t, l.ID)
			assert.Equal(t, wantLevels[i], l.Level, "level filled from status and error")
			want.ID, want.Level, want.At = l.ID, l.Level, icc.Timestamp(want.At)
			assert.Equal(t, want, l)
			requireUTC(t, logs[len(logs)-1-i].At, l.At, "at")
		}
		idx := map[string]int{}
		for i, l := range page.Items {
			idx[l.ID] = len(logs) - 1 - i
		}
		search := func(f icc.LogFilter) []int {
			t.Helper()
			page, err := st.SearchIntegrationLogs(ctx(t), f)
			require.NoError(t, err)
			out := make([]int, len(page.Items))
			for i, l := range page.Items {
				out[i] = idx[l.ID]
			}
			return out
		}
		assert.Equal(t, []int{1, 0}, search(icc.LogFilter{IntegrationID: crm.ID}))
		assert.Equal(t, []int{3, 2}, search(icc.LogFilter{Level: ptr(icc.LevelError)}))
		assert.Equal(t, []int{4, 1}, search(icc.LogFilter{Level: ptr(icc.LevelWarn)}))
		assert.Equal(t, []int{2, 1}, search(icc.LogFilter{StatusMin: 400}))
		assert.Equal(t, []int{4, 3, 0}, search(icc.LogFilter{StatusMax: 299}), "a call without status has status 0")
		assert.Equal(t, []int{1}, search(icc.LogFilter{StatusMin: 404, StatusMax: 404}))
		assert.Equal(t, []int{3, 2, 1}, search(icc.LogFilter{From: when.Add(time.Second), To: when.Add(4 * time.Second)}))
		assert.Equal(t, []int{4, 3}, search(icc.LogFilter{From: when.Add(3 * time.Second)}))
		assert.Equal(t, []int{0}, search(icc.LogFilter{To: when.Add(time.Second)}))
		assert.Equal(t, []int{2}, search(icc.LogFilter{IntegrationID: erp.ID, Level: ptr(icc.LevelError), StatusMin: 500, StatusMax: 599,
			From: when, To: when.Add(time.Hour), Text: "stock"}))
	})

	t.Run("Text", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		logs := []icc.IntegrationLog{
			{Method: "GET", Endpoint: "/customers/{id}", URL: "https://crm.example.com/customers/42", StatusCode: 200},
			{Method: "POST", Endpoint: "/orders", URL: "https://crm.example.com/orders", StatusCode: 500, Error: "context deadline exceeded (Client.Timeout)"},
			{Method: "GET", Endpoint: "/stock", URL: "https://erp.example.com/stock?sku=A_1&pct=50%25", StatusCode: 200},
			{Method: "GET", Endpoint: "/stock", URL: "https://erp.example.com/stock?sku=AB1", StatusCode: 200, Message: "discount 100% applied"},
			{Method: "DELETE", Endpoint: `/files/C:\tmp`, URL: "https://files.example.com/x", StatusCode: 204, Message: "foo"},
		}
		for i := range logs {
			logs[i].IntegrationID = in.ID
			logs[i].At = at(i)
		}
		require.NoError(t, st.AddIntegrationLogs(ctx(t), logs))
		page, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{})
		require.NoError(t, err)
		idx := map[string]int{}
		for i, l := range page.Items {
			idx[l.ID] = len(logs) - 1 - i
		}
		search := func(q string) []int {
			t.Helper()
			page, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{Text: q})
			require.NoError(t, err)
			out := []int{}
			for _, l := range page.Items {
				out = append(out, idx[l.ID])
			}
			return out
		}
		assert.Equal(t, []int{1}, search("timeout"), "error text, ignoring case")
		assert.Equal(t, []int{1}, search("TIMEOUT orders"), "terms in different fields")
		assert.Equal(t, []int{1}, search("post"), "method")
		assert.Equal(t, []int{0}, search("{id}"), "endpoint")
		assert.Equal(t, []int{3, 2}, search("sku"), "url")
		assert.Equal(t, []int{3}, search("discount 100%"), "message")
		assert.Equal(t, []int{3, 2}, search("%"), "% is literal")
		assert.Equal(t, []int{3, 2}, search("stock A"))
		assert.Equal(t, []int{2}, search("a_1"), "_ is literal")
		assert.Empty(t, search("a_b"), "_ is not a wildcard")
		assert.Empty(t, search("1%a"), "% is not a wildcard")
		assert.Equal(t, []int{2}, search("50%25"))
		assert.Equal(t, []int{4}, search(`c:\tmp`), "backslash is literal")
		assert.Empty(t, search("deletefiles"), "a term does not span fields")
		assert.Empty(t, search("timeout nothing"), "every term must match")
		assert.Equal(t, []int{4, 3, 2, 1, 0}, search(""))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		err := st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, At: at(0)}, {IntegrationID: in.ID}})
		requireCode(t, err, icc.EINVALID, "at")
		err = st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, At: at(0)}, {At: at(0)}})
		requireCode(t, err, icc.EINVALID, "integration_id")
		err = st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, At: at(0), Level: "debug"}})
		requireCode(t, err, icc.EINVALID, "level")
		page, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items, "a failed batch stores nothing")

		for _, f := range []icc.LogFilter{
			{Level: ptr(icc.LogLevel("debug"))},
			{StatusMin: -1},
			{StatusMin: 500, StatusMax: 400},
			{From: at(1), To: at(0)},
		} {
			_, err := st.SearchIntegrationLogs(ctx(t), f)
			requireCode(t, err, icc.EINVALID, "", fmt.Sprintf("%+v", f))
		}
		_, err = st.SearchIntegrationLogs(ctx(t), icc.LogFilter{Level: ptr(icc.LogLevel("debug"))})
		requireCode(t, err, icc.EINVALID, "level")
		// Text that PostgreSQL cannot hold is EINVALID in every backend.
		for _, bad := range []string{"a\x00b", "a\xffb"} {
			_, err = st.SearchIntegrationLogs(ctx(t), icc.LogFilter{Text: bad})
			requireCode(t, err, icc.EINVALID, "text", fmt.Sprintf("%q", bad))
			err = st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, At: at(0), Message: bad}})
			requireCode(t, err, icc.EINVALID, "message", fmt.Sprintf("%q", bad))
			err = st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{IntegrationID: in.ID, At: at(0), Error: bad}})
			requireCode(t, err, icc.EINVALID, "error", fmt.Sprintf("%q", bad))
		}
		page, err = st.SearchIntegrationLogs(ctx(t), icc.LogFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
	})
}

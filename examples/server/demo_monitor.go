package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Names of the demo integrations. The customer directory logs its calls
// under demoCRMName.
const (
	demoCRMName     = "Mock CRM"
	demoERPName     = "Mock ERP"
	demoBillingName = "Billing API"
)

// demoCheckInterval is how often the demo integrations are checked: often,
// so that a mode switch shows within half a minute.
const demoCheckInterval = 10 * time.Second

// Demo history: demoHistory of check results every demoHistoryStep and
// call logs every demoLogStep, written in batches of demoBatch.
const (
	demoHistory     = 3 * 24 * time.Hour
	demoHistoryStep = 5 * time.Minute
	demoLogStep     = 3 * time.Minute
	demoBatch       = 500
)

// demoIntegration is a demo integration and how its past went.
type demoIntegration struct {
	in *icc.Integration
	// path is the mock path its check calls, after the base URL.
	path string
	// latency is the typical latency of a healthy call, and spread how far
	// it varies.
	latency, spread time.Duration
	// endpoints are the calls its logs show: method and route template;
	// ids fill the template's {id}.
	endpoints [][2]string
	ids       []string
	// outage is when, counted back from now, it was down in the past, and
	// for how long.
	outageAgo, outageFor time.Duration
}

// demoIntegrations returns the demo integrations checking the mocks at
// baseURL every interval.
func demoIntegrations(baseURL string, interval time.Duration) []demoIntegration {
	rules := func() []icc.AlertRule {
		return []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 3, ResolveAfter: 2, Severity: icc.SeverityCritical}}
	}
	check := func(path string, conds ...string) icc.CheckSpec {
		return icc.CheckSpec{Type: icc.CheckHTTP, URL: baseURL + path, Method: http.MethodGet,
			Conditions: append([]string{"status == 200", "latency < 900ms"}, conds...),
			Interval:   icc.Duration(interval), Timeout: icc.Duration(time.Second)}
	}
	return []demoIntegration{
		{
			in: &icc.Integration{Name: demoCRMName, Kind: icc.KindCRM, Enabled: true,
				Description: "Customer records; the ticket desk looks customers up here.",
				Check:       check("/mock/crm/health", `json.status == "ok"`), AlertRules: rules()},
			path: "/mock/crm/health", latency: 45 * time.Millisecond, spread: 60 * time.Millisecond,
			endpoints: [][2]string{{"GET", "/mock/crm/customers"}, {"GET", "/mock/crm/customers/{id}"}},
			ids:       []string{"CUST-1001", "CUST-1002", "CUST-1004", "CUST-1099"},
			outageAgo: 30 * time.Hour, outageFor: 10 * time.Minute,
		},
		{
			in: &icc.Integration{Name: demoERPName, Kind: icc.KindERP, Enabled: true,
				Description: "Orders and invoices.",
				Check:       check("/mock/erp/health", `json.status == "ok"`), AlertRules: rules()},
			path: "/mock/erp/health", latency: 110 * time.Millisecond, spread: 140 * time.Millisecond,
			endpoints: [][2]string{{"GET", "/mock/erp/orders"}, {"GET", "/mock/erp/orders/{id}"}, {"GET", "/mock/erp/invoices"}},
			ids:       []string{"SO-10001", "SO-10003", "SO-10007", "SO-19999"},
			outageAgo: 52 * time.Hour, outageFor: 35 * time.Minute,
		},
		{
			in: &icc.Integration{Name: demoBillingName, Kind: icc.KindBilling, Enabled: true,
				Description: "Open invoices, read from the ERP's invoice endpoint.",
				Check:       check("/mock/erp/invoices?status=open", "json.count >= 1"), AlertRules: rules()},
			path: "/mock/erp/invoices?status=open", latency: 80 * time.Millisecond, spread: 90 * time.Millisecond,
			endpoints: [][2]string{{"GET", "/mock/erp/invoices"}, {"GET", "/mock/erp/invoices/{id}"}},
			ids:       []string{"INV-20002", "INV-20005", "INV-20011", "INV-29999"},
		},
	}
}

// seedMonitorDemo creates the demo integrations that do not exist yet
// (found by name), each with a few days of check results and call logs and,
// for the ERP, the resolved alert of its past outage. An existing demo
// integration whose check points at another address (the port changed
// since the last start) is pointed at baseURL. Safe to run at every start.
func (s *server) seedMonitorDemo(ctx context.Context, baseURL string, interval time.Duration) error {
	existing, err := s.backend.ListIntegrations(ctx, icc.IntegrationFilter{})
	if err != nil {
		return fmt.Errorf("demo integrations: %w", err)
	}
	byName := make(map[string]*icc.Integration, len(existing))
	for _, in := range existing {
		byName[in.Name] = in
	}
	now := time.Now()
	created := 0
	for _, d := range demoIntegrations(baseURL, interval) {
		if cur := byName[d.in.Name]; cur != nil {
			if err := s.repointDemo(ctx, cur, baseURL+d.path); err != nil {
				return err
			}
			continue
		}
		if err := s.backend.CreateIntegration(ctx, d.in); err != nil {
			if errors.Is(err, icc.ErrConflict) {
				continue // another instance created it meanwhile
			}
			return fmt.Errorf("demo integration %s: %w", d.in.Name, err)
		}
		if err := s.seedHistory(ctx, d, baseURL, now); err != nil {
			return fmt.Errorf("demo integration %s: %w", d.in.Name, err)
		}
		created++
	}
	if created > 0 {
		s.logger.InfoContext(ctx, "demo integrations seeded", "integrations", created, "history", demoHistory)
	}
	return nil
}

// repointDemo points an existing demo integration's HTTP check at target
// when it calls the same mock path at another address.
func (s *server) repointDemo(ctx context.Context, in *icc.Integration, target string) error {
	if in.Check.Type != icc.CheckHTTP || in.Check.URL == target {
		return nil
	}
	_, path, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(in.Check.URL, "http://"), "https://"), "/")
	if !ok || !strings.HasSuffix(target, "/"+path) {
		return nil // changed by someone: leave it
	}
	in.Check.URL = target
	if err := s.backend.UpdateIntegration(ctx, in); err != nil && !errors.Is(err, icc.ErrConflict) {
		return fmt.Errorf("demo integration %s: %w", in.Name, err)
	}
	s.logger.InfoContext(ctx, "demo integration pointed at this server", "integration", in.ID, "url", target)
	return nil
}

// seedHistory writes d's past: check results and call logs up to now,
// with realistic latencies, sporadic errors and one outage, and the
// resolved alert of that outage. The numbers come from a generator seeded
// with the integration's name, so every seeding looks alike.
func (s *server) seedHistory(ctx context.Context, d demoIntegration, baseURL string, now time.Time) error {
	h := fnv.New64a()
	_, _ = h.Write([]byte(d.in.Name))
	rng := rand.New(rand.NewPCG(h.Sum64(), 2026))
	id := d.in.ID
	start := now.Add(-demoHistory)
	outFrom, outTo := now.Add(-d.outageAgo), now.Add(-d.outageAgo+d.outageFor)
	inOutage := func(t time.Time) bool { return d.outageFor > 0 && !t.Before(outFrom) && t.Before(outTo) }
	latency := func(t time.Time) time.Duration {
		l := d.latency + time.Duration(rng.Int64N(int64(d.spread)))
		if rng.IntN(50) == 0 { // the odd slow call
			l += time.Duration(200+rng.IntN(400)) * time.Millisecond
		}
		// Busier, slower office hours (UTC).
		if hr := t.UTC().Hour(); hr >= 8 && hr < 18 {
			l += l / 4
		}
		return l
	}

	var results []icc.CheckResult
	for t := start; t.Before(now); t = t.Add(demoHistoryStep) {
		r := icc.CheckResult{ID: icc.NewID(), IntegrationID: id, OK: true, StatusCode: 200, Latency: icc.Duration(latency(t)), CheckedAt: t}
		switch {
		case inOutage(t):
			r.OK, r.StatusCode, r.Error = false, 503, "condition `status == 200` failed: status is 503"
		case rng.IntN(200) == 0:
			r.OK, r.StatusCode, r.Latency, r.Error = false, 0, icc.Duration(time.Second), "timed out: context deadline exceeded"
		}
		results = append(results, r)
	}
	for chunk := range slices.Chunk(results, demoBatch) {
		if err := s.backend.AddCheckResults(ctx, chunk); err != nil {
			return fmt.Errorf("check results: %w", err)
		}
	}

	var logs []icc.IntegrationLog
	for t := start.Add(time.Duration(rng.Int64N(int64(demoLogStep)))); t.Before(now); t = t.Add(demoLogStep) {
		ep := d.endpoints[rng.IntN(len(d.endpoints))]
		path := strings.ReplaceAll(ep[1], "{id}", d.ids[rng.IntN(len(d.ids))])
		l := icc.IntegrationLog{ID: icc.NewID(), IntegrationID: id, Method: ep[0], Endpoint: ep[1],
			URL: baseURL + path, StatusCode: 200, Latency: icc.Duration(latency(t)),
			ResponseBytes: int64(300 + rng.IntN(4000)), At: t}
		switch n := rng.IntN(100); {
		// An answer with an error status has no Error, as the recorder
		// logs it: Error is for calls that got no answer (transport).
		case inOutage(t):
			l.StatusCode, l.ResponseBytes = 503, 52
		case n < 4:
			l.StatusCode, l.ResponseBytes = 404, 40
		case n < 5:
			l.StatusCode, l.ResponseBytes = 500, 48
		case n < 6:
			l.StatusCode, l.ResponseBytes, l.Latency, l.Error = 0, 0, icc.Duration(2*time.Second), "context deadline exceeded"
		}
		if err := l.Validate(); err != nil {
			return err
		}
		logs = append(logs, l)
	}
	for chunk := range slices.Chunk(logs, demoBatch) {
		if err := s.backend.AddIntegrationLogs(ctx, chunk); err != nil {
			return fmt.Errorf("integration logs: %w", err)
		}
	}

	if d.outageFor > 0 {
		fired := outFrom.Add(3 * demoHistoryStep)
		resolved := outTo.Add(2 * demoHistoryStep)
		a := &icc.Alert{IntegrationID: id, Rule: icc.RuleConsecutiveFailures, DedupKey: id + ":" + string(icc.RuleConsecutiveFailures),
			State: icc.AlertResolved, Severity: icc.SeverityCritical, Summary: "3 checks failed in a row: condition `status == 200` failed: status is 503",
			Count: int(d.outageFor/demoHistoryStep) - 2, FiredAt: fired, ResolvedAt: &resolved}
		if err := s.backend.CreateAlert(ctx, a); err != nil {
			return fmt.Errorf("past alert: %w", err)
		}
	}
	return nil
}

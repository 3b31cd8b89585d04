package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Alert notice events.
const (
	NoticeFired        = "fired"
	NoticeAcknowledged = "acknowledged"
	NoticeResolved     = "resolved"
)

// AlertNotice tells a Notifier what happened to an alert.
type AlertNotice struct {
	// Event is NoticeFired, NoticeAcknowledged or NoticeResolved.
	Event string `json:"event"`
	// Alert is the alert as stored after the change.
	Alert icc.Alert `json:"alert"`
	// Integration is the name of the integration concerned.
	Integration string `json:"integration"`
}

// Notifier delivers alert notices somewhere: a webhook, a log, the bus.
type Notifier interface {
	// Notify delivers one notice; it returns when delivered or failed.
	Notify(ctx context.Context, n AlertNotice) error
}

// minRateSamples is how many results a success-rate rule needs in its
// window before it can fire.
const minRateSamples = 3

// defaultSlowChecks is how many checks in a row must be slower than a
// latency rule's threshold when the rule gives no Failures.
const defaultSlowChecks = 3

// maxRuleDepth bounds how many recent results a rule may look at.
const maxRuleDepth = 100

// slowChecks is how many checks in a row must be slower than a latency
// rule's threshold for it to fire: its Failures, 3 when that is 0, and at
// most 100.
func slowChecks(rule icc.AlertRule) int {
	if rule.Failures <= 0 {
		return defaultSlowChecks
	}
	return min(rule.Failures, maxRuleDepth)
}

// ruleDepth is how many of the latest results judge needs for rule.
func ruleDepth(rule icc.AlertRule) int {
	n := rule.ResolveAfter
	switch rule.Type {
	case icc.RuleConsecutiveFailures:
		n = max(n, rule.Failures)
	case icc.RuleLatency:
		n = max(n, slowChecks(rule))
	}
	return min(n, maxRuleDepth)
}

// verdict is what one rule says about the latest results.
type verdict struct {
	breached bool
	// healthy is true when the last ResolveAfter results were good for
	// the rule, so an active alert may resolve.
	healthy bool
	summary string
}

// judge applies a rule to recent results (newest first); window holds the
// results of the rule's window for a success-rate rule.
func judge(rule icc.AlertRule, recent, window []icc.CheckResult) verdict {
	good := func(r icc.CheckResult) bool { return r.OK }
	var v verdict
	switch rule.Type {
	case icc.RuleConsecutiveFailures:
		v.breached = allOf(recent, rule.Failures, func(r icc.CheckResult) bool { return !r.OK })
		if v.breached {
			v.summary = fmt.Sprintf("%d checks failed in a row: %s", rule.Failures, recent[0].Error)
		}
	case icc.RuleLatency:
		good = func(r icc.CheckResult) bool { return r.Latency <= rule.Latency }
		n := slowChecks(rule)
		v.breached = allOf(recent, n, func(r icc.CheckResult) bool { return !good(r) })
		if v.breached {
			v.summary = fmt.Sprintf("latency above %s for %d checks in a row (latest %s)",
				rule.Latency.Std(), n, recent[0].Latency.Std().Round(time.Millisecond))
		}
	case icc.RuleSuccessRate:
		if len(window) >= minRateSamples {
			ok := 0
			for _, r := range window {
				if r.OK {
					ok++
				}
			}
			rate := float64(ok) / float64(len(window))
			if rate < rule.SuccessRate {
				v.breached = true
				v.summary = fmt.Sprintf("success rate %.0f%% over %s is below %.0f%% (%d checks)",
					rate*100, rule.Window.Std(), rule.SuccessRate*100, len(window))
			}
		}
	}
	if !v.breached {
		v.healthy = allOf(recent, rule.ResolveAfter, good)
	}
	return v
}

// allOf reports whether there are at least n recent results and the
// first n all satisfy ok.
func allOf(recent []icc.CheckResult, n int, ok func(icc.CheckResult) bool) bool {
	if n < 1 || len(recent) < n {
		return false
	}
	for _, r := range recent[:n] {
		if !ok(r) {
			return false
		}
	}
	return true
}

// Why an alert resolves when no check result resolved it.
const (
	reasonRuleGone    = "its rule was removed or changed"
	reasonDisabled    = "the integration was disabled"
	reasonNotChecked  = "the integration is no longer checked"
	reasonRemoved     = "the integration was removed from monitoring"
	reasonDeleted     = "the integration was deleted"
	resolvedSeparator = " (resolved: "
)

// unwatched says why in's alerts cannot resolve by its checks any more:
// it is disabled or not checked. It returns "" for a checked integration.
func unwatched(in *icc.Integration) string {
	switch {
	case !in.Enabled:
		return reasonDisabled
	case in.Check.Type == icc.CheckNone:
		return reasonNotChecked
	}
	return ""
}

// evaluateAlerts fires, updates and resolves the integration's alerts.
// While maintenance covers it, no alert fires or updates (resolution is
// still allowed: it is good news). Active alerts that no current rule
// claims (see claimAlerts) resolve, saying why; so do all of them when
// the integration is disabled.
//
// The caller lists the active alerts before it reads in: an alert listed
// was then fired under rules no newer than in's, so a check that began
// before an edit of the rules neither takes an alert of a new rule for an
// orphan nor fires again for a rule the edit removed.
func (m *Monitor) evaluateAlerts(ctx context.Context, in *icc.Integration, active []*icc.Alert, recent []icc.CheckResult, maintenance bool, now time.Time) error {
	var err error
	if reason := unwatched(in); reason != "" {
		return m.resolveAll(ctx, active, in.Name, reason, now)
	}
	slots := ruleSlots(in)
	owned, orphans := claimAlerts(slots, active)
	errs := []error{m.resolveAll(ctx, orphans, in.Name, reasonRuleGone, now)}
	for i, s := range slots {
		if s.err != nil {
			errs = append(errs, s.err)
			continue
		}
		rule := s.rule
		var window []icc.CheckResult
		if rule.Type == icc.RuleSuccessRate {
			if window, err = m.resultsSince(ctx, in.ID, now.Add(-rule.Window.Std())); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		v := judge(rule, recent, window)
		a := owned[i]
		switch {
		case v.breached && maintenance:
			// Suppressed: the window explains the trouble.
		case v.breached && a == nil:
			errs = append(errs, m.fire(ctx, in, rule, s.key, v.summary, now))
		case v.breached:
			errs = append(errs, m.changeAlert(ctx, a, func(a *icc.Alert) bool {
				a.Count++
				a.Summary = truncate(v.summary, 500)
				return true
			}, ""))
		case a != nil && v.healthy:
			errs = append(errs, m.resolve(ctx, a, in.Name, "", now))
		}
	}
	return errors.Join(errs...)
}

// activeAlerts lists the integration's unresolved alerts, or every
// unresolved alert when id is "".
func (m *Monitor) activeAlerts(ctx context.Context, id string) ([]*icc.Alert, error) {
	var out []*icc.Alert
	f := icc.AlertFilter{IntegrationID: id, Active: true, Limit: icc.MaxLimit}
	for range 20 {
		page, err := m.store.ListAlerts(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list active alerts: %w", err)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	return out, nil
}

// resolve marks a resolved, unless it already is, and notifies. A
// non-empty reason says why it resolved without its rule's say-so: it is
// appended to the summary, which keeps at most 500 bytes.
func (m *Monitor) resolve(ctx context.Context, a *icc.Alert, name, reason string, now time.Time) error {
	if reason != "" {
		m.log.InfoContext(ctx, "resolving alert", "alert", a.ID, "integration", a.IntegrationID, "dedup_key", a.DedupKey, "reason", reason)
	}
	return m.changeAlert(ctx, a, func(a *icc.Alert) bool {
		if a.State == icc.AlertResolved {
			return false
		}
		a.State = icc.AlertResolved
		a.ResolvedAt = &now
		if reason != "" {
			suffix := resolvedSeparator + reason + ")"
			a.Summary = truncate(a.Summary, 500-len(suffix)) + suffix
		}
		return true
	}, name)
}

// resolveAll resolves every alert of as for reason.
func (m *Monitor) resolveAll(ctx context.Context, as []*icc.Alert, name, reason string, now time.Time) error {
	var errs []error
	for _, a := range as {
		errs = append(errs, m.resolve(ctx, a, name, reason, now))
	}
	return errors.Join(errs...)
}

// resultsSince returns the integration's results checked at or after from.
func (m *Monitor) resultsSince(ctx context.Context, id string, from time.Time) ([]icc.CheckResult, error) {
	var out []icc.CheckResult
	f := icc.CheckResultFilter{IntegrationID: id, From: from, Limit: icc.MaxLimit}
	for range 20 {
		page, err := m.store.ListCheckResults(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list check results: %w", err)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	return out, nil
}

func (m *Monitor) fire(ctx context.Context, in *icc.Integration, rule icc.AlertRule, key, summary string, now time.Time) error {
	a := &icc.Alert{
		IntegrationID: in.ID,
		Rule:          rule.Type,
		DedupKey:      key,
		Severity:      rule.Severity,
		Summary:       truncate(summary, 500),
		FiredAt:       now,
	}
	err := m.store.CreateAlert(ctx, a)
	if errors.Is(err, icc.ErrConflict) {
		// Another instance fired it first: count this sighting on it.
		page, lerr := m.store.ListAlerts(ctx, icc.AlertFilter{IntegrationID: in.ID, Active: true, Limit: icc.MaxLimit})
		if lerr != nil {
			return fmt.Errorf("list active alerts: %w", lerr)
		}
		for _, cur := range page.Items {
			if cur.DedupKey == key {
				return m.changeAlert(ctx, cur, func(a *icc.Alert) bool { a.Count++; return true }, "")
			}
		}
		return fmt.Errorf("create alert: %w", err)
	}
	if err != nil {
		return fmt.Errorf("create alert: %w", err)
	}
	m.log.WarnContext(ctx, "alert fired", "integration", in.ID, "name", in.Name, "rule", rule.Type, "summary", a.Summary)
	m.notify.send(AlertNotice{Event: NoticeFired, Alert: *a, Integration: in.Name})
	return nil
}

// changeAlert applies change to a and stores it, reloading and reapplying
// on a version conflict. change returns false when nothing is to be done.
// A non-empty notice names the integration for a resolution notice.
func (m *Monitor) changeAlert(ctx context.Context, a *icc.Alert, change func(*icc.Alert) bool, resolvedName string) error {
	for attempt := 0; ; attempt++ {
		if !change(a) {
			return nil
		}
		a.UpdatedAt = m.clock.Now()
		err := m.store.UpdateAlert(ctx, a)
		if err == nil {
			break
		}
		if !errors.Is(err, icc.ErrConflict) || attempt == 4 {
			return fmt.Errorf("update alert: %w", err)
		}
		if a, err = m.store.GetAlert(ctx, a.ID); err != nil {
			return fmt.Errorf("reload alert: %w", err)
		}
	}
	if a.State == icc.AlertResolved {
		m.log.InfoContext(ctx, "alert resolved", "alert", a.ID, "integration", a.IntegrationID)
		m.notify.send(AlertNotice{Event: NoticeResolved, Alert: *a, Integration: resolvedName})
	}
	return nil
}

// Acknowledge records that an agent is handling an alert and notifies.
// Acknowledging an alert again returns it unchanged; a resolved alert is
// icc.ECONFLICT.
func (m *Monitor) Acknowledge(ctx context.Context, alertID, agentID string) (*icc.Alert, error) {
	agentID = strings.TrimSpace(agentID)
	if agentID == "" {
		return nil, icc.Invalid("agent_id", "is required")
	}
	a, err := m.store.GetAlert(ctx, alertID)
	if err != nil {
		return nil, err
	}
	if a.State == icc.AlertAcknowledged {
		return a, nil
	}
	now := m.clock.Now()
	var resolved bool
	err = m.changeAlert(ctx, a, func(x *icc.Alert) bool {
		if x.State != icc.AlertFiring {
			resolved = x.State == icc.AlertResolved
			return false
		}
		x.State = icc.AlertAcknowledged
		x.AcknowledgedBy = agentID
		x.AcknowledgedAt = &now
		a = x
		return true
	}, "")
	if err != nil {
		return nil, err
	}
	if resolved {
		return nil, icc.Errorf(icc.ECONFLICT, "alert %s is already resolved", alertID)
	}
	name := ""
	if in, err := m.store.GetIntegration(ctx, a.IntegrationID); err == nil {
		name = in.Name
	}
	m.log.InfoContext(ctx, "alert acknowledged", "alert", a.ID, "agent", agentID)
	m.notify.send(AlertNotice{Event: NoticeAcknowledged, Alert: *a, Integration: name})
	return a, nil
}

// noticeQueue is how many alert notices wait for delivery before new ones
// are dropped (and logged).
const noticeQueue = 256

// notifyTimeout bounds one notifier's delivery of one notice.
const notifyTimeout = 2 * time.Minute

// shutdownDelivery bounds the delivery of notices still queued at Close.
const shutdownDelivery = 10 * time.Second

// dispatcher delivers notices to the notifiers on one goroutine, so a slow
// webhook never holds up a check.
type dispatcher struct {
	notifiers []Notifier
	log       *slog.Logger
	queue     chan AlertNotice
	dropped   atomic.Int64
}

func newDispatcher(ns []Notifier, log *slog.Logger) *dispatcher {
	return &dispatcher{notifiers: ns, log: log, queue: make(chan AlertNotice, noticeQueue)}
}

func (d *dispatcher) send(n AlertNotice) {
	if len(d.notifiers) == 0 {
		return
	}
	select {
	case d.queue <- n:
	default:
		d.dropped.Add(1)
		d.log.Error("alert notice dropped: notifier queue full", "alert", n.Alert.ID, "event", n.Event, "dropped", d.dropped.Load())
	}
}

// run delivers notices until ctx ends, then delivers what is queued.
func (d *dispatcher) run(ctx context.Context) {
	for {
		select {
		case n := <-d.queue:
			d.deliver(ctx, n)
		case <-ctx.Done():
			// Deliver what is queued, but do not hold shutdown for long.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownDelivery)
			defer cancel()
			for {
				select {
				case n := <-d.queue:
					d.deliver(dctx, n)
				default:
					return
				}
			}
		}
	}
}

func (d *dispatcher) deliver(ctx context.Context, n AlertNotice) {
	for _, nt := range d.notifiers {
		cctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		if err := nt.Notify(cctx, n); err != nil {
			d.log.ErrorContext(ctx, "alert notice not delivered", "alert", n.Alert.ID, "event", n.Event, "notifier", fmt.Sprintf("%T", nt), "err", err)
		}
		cancel()
	}
}

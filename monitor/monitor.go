package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Store is the part of icc.Store the monitor uses.
type Store interface {
	icc.IntegrationStore
	icc.MaintenanceStore
	icc.AlertStore
	// IntegrationStats computes Stats; see icc.AnalyticsStore.
	IntegrationStats(ctx context.Context, q icc.IntegrationStatsQuery) (*icc.IntegrationStats, error)
}

// Config configures a Monitor. Store is required; every other zero value
// means a sensible default.
type Config struct {
	// Store keeps integrations, results, maintenance windows and alerts.
	Store Store
	// Bus, when set, receives an "integration.status" event on
	// icc.TopicIntegrations for every status change and an "alert.<event>"
	// event on icc.TopicAlerts for every alert notice. Run also listens on
	// it to resync when integrations change in another process.
	Bus icc.Bus
	// Leaser, when set, makes each check run on one instance of a cluster
	// per interval: the instance that holds the check's lease runs it.
	Leaser icc.Leaser
	// Logger receives the monitor's own logs (default: discarded).
	Logger *slog.Logger
	// Clock is the time source (default: the system clock).
	Clock Clock
	// Instance names this process as a lease holder (default: a random id).
	Instance string
	// Concurrency bounds how many probes run at once (default 8).
	Concurrency int
	// Funcs are the Go functions func checks name in CheckSpec.Func.
	Funcs map[string]CheckFunc
	// Notifiers are told when an alert fires, is acknowledged or resolves.
	Notifiers []Notifier
	// Thresholds derive an integration's status from its recent results.
	Thresholds Thresholds
	// SyncInterval is how often Run reloads integrations from the store
	// (default 1m).
	SyncInterval time.Duration
}

// Thresholds say how recent check results map to a status; the package
// documentation explains the rules.
type Thresholds struct {
	// DownAfter is how many failed checks in a row make an integration
	// down (default 3).
	DownAfter int
	// Recent is how many of the latest checks count for degraded (default 10).
	Recent int
	// DegradedFailures is how many failures among the Recent checks make a
	// passing integration degraded (default 2).
	DegradedFailures int
	// DegradedLatency makes a passing integration degraded when its latest
	// check was slower (default: half the check's timeout).
	DegradedLatency time.Duration
}

func (t *Thresholds) defaults() error {
	if t.DownAfter == 0 {
		t.DownAfter = 3
	}
	if t.Recent == 0 {
		t.Recent = 10
	}
	if t.DegradedFailures == 0 {
		t.DegradedFailures = 2
	}
	switch {
	case t.DownAfter < 1 || t.DownAfter > 100:
		return icc.Invalid("thresholds.down_after", "must be between 1 and 100")
	case t.Recent < 1 || t.Recent > 100:
		return icc.Invalid("thresholds.recent", "must be between 1 and 100")
	case t.DegradedFailures < 1 || t.DegradedFailures > t.Recent:
		return icc.Invalid("thresholds.degraded_failures", "must be between 1 and recent")
	case t.DegradedLatency < 0:
		return icc.Invalid("thresholds.degraded_latency", "must not be negative")
	}
	return nil
}

// Monitor probes integrations on schedule, records the results, keeps each
// integration's status, raises and resolves alerts, and schedules
// maintenance. It is safe for concurrent use. Close stops it.
type Monitor struct {
	cfg    Config
	store  Store
	log    *slog.Logger
	clock  Clock
	sem    chan struct{}
	busN   *BusNotifier
	notify *dispatcher

	root   context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	checks map[string]*runner
	closed bool
	// wake asks Run to sync now: maintenance was scheduled or cancelled.
	wake chan struct{}
}

// runner is the goroutine that checks one integration.
type runner struct {
	id     string
	spec   icc.CheckSpec
	probe  Probe
	cancel context.CancelFunc
	done   chan struct{}
}

// New validates cfg and returns a monitor with no checks scheduled; call
// Sync, Upsert or Run to schedule them.
func New(cfg Config) (*Monitor, error) {
	if cfg.Store == nil {
		return nil, icc.Invalid("store", "is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Instance == "" {
		cfg.Instance = icc.NewID()
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 1000 {
		return nil, icc.Invalid("concurrency", "must be between 1 and 1000")
	}
	if cfg.SyncInterval == 0 {
		cfg.SyncInterval = time.Minute
	}
	if cfg.SyncInterval < time.Second {
		return nil, icc.Invalid("sync_interval", "must be at least 1s")
	}
	if err := cfg.Thresholds.defaults(); err != nil {
		return nil, err
	}
	funcs := make(map[string]CheckFunc, len(cfg.Funcs))
	for name, f := range cfg.Funcs {
		if f == nil {
			return nil, icc.Invalid("funcs", "function %q is nil", name)
		}
		funcs[name] = f
	}
	cfg.Funcs = funcs
	notifiers := append([]Notifier(nil), cfg.Notifiers...)
	m := &Monitor{
		cfg:    cfg,
		store:  cfg.Store,
		log:    cfg.Logger,
		clock:  cfg.Clock,
		sem:    make(chan struct{}, cfg.Concurrency),
		checks: make(map[string]*runner),
		wake:   make(chan struct{}, 1),
	}
	if cfg.Bus != nil {
		m.busN = &BusNotifier{Bus: cfg.Bus, Origin: cfg.Instance}
		notifiers = append(notifiers, m.busN)
	}
	m.root, m.stop = context.WithCancel(context.Background())
	m.notify = newDispatcher(notifiers, m.log)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.notify.run(m.root)
	}()
	return m, nil
}

// Upsert schedules in's check, replacing the schedule when the check
// changed and keeping it when it did not. A disabled integration or one
// with check type none is unscheduled. A bad check spec or condition is
// icc.EINVALID and leaves the schedule as it was.
//
// Upsert also settles the integration's unresolved alerts with what the
// store now holds: an alert whose rule was removed or changed resolves,
// and so do all of them when the integration is disabled or not checked
// (nothing else would resolve them), each with the reason in its summary
// and a resolution notice. Its status is settled too: unknown when it is
// disabled or not checked, maintenance while a window covers it. A failure
// there is logged; Run's next sync retries it.
func (m *Monitor) Upsert(ctx context.Context, in *icc.Integration) error {
	if err := m.schedule(ctx, in); err != nil {
		return err
	}
	if err := m.settleAlerts(ctx, in.ID); err != nil {
		m.log.WarnContext(ctx, "settling alerts failed", "integration", in.ID, "err", err)
	}
	if err := m.refreshStatus(ctx, in.ID); err != nil {
		m.log.WarnContext(ctx, "settling the status failed", "integration", in.ID, "err", err)
	}
	return nil
}

// schedule is Upsert without the alerts.
func (m *Monitor) schedule(ctx context.Context, in *icc.Integration) error {
	if in == nil || in.ID == "" {
		return icc.Invalid("id", "is required")
	}
	spec := in.Check
	spec.Headers = maps.Clone(spec.Headers)
	spec.Conditions = slices.Clone(spec.Conditions)
	if err := spec.Validate(); err != nil {
		return err
	}
	if !in.Enabled || spec.Type == icc.CheckNone {
		m.unschedule(ctx, in.ID)
		return nil
	}
	probe, err := NewProbe(spec, m.cfg.Funcs)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return icc.Errorf(icc.EUNAVAILABLE, "monitor is closed")
	}
	old := m.checks[in.ID]
	if old != nil && reflect.DeepEqual(old.spec, spec) {
		m.mu.Unlock()
		return nil
	}
	rctx, cancel := context.WithCancel(m.root)
	r := &runner{id: in.ID, spec: spec, probe: probe, cancel: cancel, done: make(chan struct{})}
	m.checks[in.ID] = r
	m.wg.Add(1)
	m.mu.Unlock()
	if old != nil {
		old.cancel()
		<-old.done
	}
	go m.loop(rctx, r)
	m.log.DebugContext(ctx, "check scheduled", "integration", in.ID, "type", spec.Type, "interval", spec.Interval.Std())
	return nil
}

// Remove unschedules an integration's check, waits until it has stopped,
// and resolves the integration's unresolved alerts, since no check is
// left to resolve them (reason and notices as for Upsert): call it before
// deleting an integration, whose alerts go with it. Removing an unknown or
// empty id does nothing. A failure to resolve the alerts is logged.
func (m *Monitor) Remove(ctx context.Context, id string) {
	if id == "" {
		return // an empty id would list every integration's alerts
	}
	m.unschedule(ctx, id)
	active, err := m.activeAlerts(ctx, id)
	if err == nil && len(active) > 0 {
		name := ""
		if in, gerr := m.store.GetIntegration(ctx, id); gerr == nil {
			name = in.Name
		}
		err = m.resolveAll(ctx, active, name, reasonRemoved, m.clock.Now())
	}
	if err != nil {
		m.log.WarnContext(ctx, "resolving the alerts of a removed integration failed", "integration", id, "err", err)
	}
}

// unschedule stops an integration's check and waits until it has stopped.
func (m *Monitor) unschedule(ctx context.Context, id string) {
	m.mu.Lock()
	r := m.checks[id]
	delete(m.checks, id)
	m.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
		m.log.DebugContext(ctx, "check unscheduled", "integration", id)
	}
}

// Scheduled returns the ids of the integrations whose checks are scheduled.
func (m *Monitor) Scheduled() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.checks))
	for id := range m.checks {
		ids = append(ids, id)
	}
	return ids
}

// Sync makes the monitor match the store: every enabled integration's
// check is scheduled and checks of integrations no longer there are
// removed (an integration with a bad check is logged and skipped); the
// status of an integration that a maintenance window now covers becomes
// maintenance, and that of one whose window ended or was cancelled is
// derived again from its latest results; and unresolved alerts that
// nothing can resolve any more (their rule is gone, their integration
// disabled, unchecked or deleted) are resolved, as Upsert does.
func (m *Monitor) Sync(ctx context.Context) error {
	_, err := m.sync(ctx)
	return err
}

// sync is Sync; it also returns when the next maintenance window of any
// integration starts or ends (zero when none is known), when Run should
// sync again.
func (m *Monitor) sync(ctx context.Context) (next time.Time, err error) {
	// Alerts are listed before integrations: an alert listed fired under a
	// rule its integration had then, so a rule missing from the later list
	// of integrations is really gone.
	active, aerr := m.activeAlerts(ctx, "")
	all, err := m.store.ListIntegrations(ctx, icc.IntegrationFilter{})
	if err != nil {
		return time.Time{}, fmt.Errorf("monitor: list integrations: %w", err)
	}
	keep := make(map[string]bool, len(all))
	for _, in := range all {
		keep[in.ID] = true
		if err := m.schedule(ctx, in); err != nil {
			if icc.ErrorCode(err) == icc.EUNAVAILABLE {
				return time.Time{}, err
			}
			m.log.WarnContext(ctx, "integration check not scheduled", "integration", in.ID, "name", in.Name, "err", err)
			m.unschedule(ctx, in.ID)
		}
	}
	for _, id := range m.Scheduled() {
		if !keep[id] {
			m.unschedule(ctx, id)
		}
	}
	now := m.clock.Now()
	next, merr := m.syncMaintenance(ctx, all, now)
	if aerr == nil {
		aerr = m.settleAllAlerts(ctx, all, active, now)
	}
	if err := errors.Join(merr, aerr); err != nil {
		return next, fmt.Errorf("monitor: sync: %w", err)
	}
	return next, nil
}

// Run syncs the monitor with the store (see Sync), then again every
// SyncInterval, whenever another process announces an integration change
// on the bus, and when a maintenance window starts or ends, until ctx is
// done or the monitor is closed. It returns nil when stopped
// by Close and ctx.Err() when ctx ends. Checks keep running after Run
// returns; Close stops them.
func (m *Monitor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // tie ctx to Close; ends with Run
		select {
		case <-m.root.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	var sub icc.Subscription
	if m.cfg.Bus != nil {
		var err error
		sub, err = m.cfg.Bus.Subscribe(ctx, icc.TopicIntegrations)
		if err != nil {
			m.log.WarnContext(ctx, "monitor cannot watch integration changes", "err", err)
			sub = nil
		} else {
			defer sub.Close()
		}
	}
	w := watch{sub: sub}
	if sub != nil {
		w.changes, w.dropped = sub.Events(), sub.Dropped()
	}
	for {
		next, err := m.sync(ctx)
		if err != nil && ctx.Err() == nil {
			m.log.ErrorContext(ctx, "monitor sync failed", "err", err)
		}
		if stopped, err := m.waitForSync(ctx, &w, next); stopped {
			return err
		}
	}
}

// watch is Run's view of the integration topic: its events and how many
// events the subscription had missed at the last sync.
type watch struct {
	sub     icc.Subscription
	changes <-chan icc.Event
	dropped int64
}

// waitForSync waits for the next sync: the interval elapsed, a
// maintenance window starts or ends (next, when not zero and sooner), this
// monitor scheduled or cancelled maintenance, another process changed an
// integration, or the subscription missed events (a shared bus lost its
// connection), which is noticed with the next event (status events come
// with every check). It reports stopped when ctx ends.
func (m *Monitor) waitForSync(ctx context.Context, w *watch, next time.Time) (stopped bool, err error) {
	d := m.cfg.SyncInterval
	if !next.IsZero() {
		d = min(d, next.Sub(m.clock.Now()))
	}
	t := m.clock.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if m.root.Err() != nil {
				return true, nil
			}
			return true, ctx.Err()
		case <-t.C():
			return false, nil
		case <-m.wake:
			return false, nil
		case e, ok := <-w.changes:
			if !ok {
				w.changes = nil
				continue
			}
			if d := w.sub.Dropped(); d != w.dropped {
				m.log.WarnContext(ctx, "monitor may have missed integration changes; syncing", "missed", d-w.dropped)
				w.dropped = d
				return false, nil
			}
			// Status changes are the monitor's own; they need no resync.
			if e.Type != EventStatus {
				return false, nil
			}
		}
	}
}

// Close stops every check, waits for running probes and pending alert
// notices to finish, and releases this instance's leases. ctx bounds the
// wait.
func (m *Monitor) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.checks = map[string]*runner{}
	m.mu.Unlock()
	m.stop()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("monitor: close: %w", ctx.Err())
	}
}

// CheckNow runs an integration's check at once, outside the schedule
// and without a lease, and records the result like a scheduled run: the
// "run check now" of an operator. An integration with check type none is
// icc.EINVALID; after Close it is icc.EUNAVAILABLE, and Close waits for a
// CheckNow that has begun.
func (m *Monitor) CheckNow(ctx context.Context, id string) (icc.CheckResult, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return icc.CheckResult{}, icc.Errorf(icc.EUNAVAILABLE, "monitor is closed")
	}
	m.wg.Add(1)
	m.mu.Unlock()
	defer m.wg.Done()
	in, err := m.store.GetIntegration(ctx, id)
	if err != nil {
		return icc.CheckResult{}, err
	}
	probe, err := NewProbe(in.Check, m.cfg.Funcs)
	if err != nil {
		return icc.CheckResult{}, err
	}
	select {
	case m.sem <- struct{}{}:
	case <-ctx.Done():
		return icc.CheckResult{}, ctx.Err()
	}
	defer func() { <-m.sem }()
	return m.run(ctx, &runner{id: in.ID, spec: in.Check, probe: probe})
}

// leaseName is the lease that elects the instance running a check.
func leaseName(id string) string { return "monitor.check." + id }

// leaseTTL is how long a check's lease lasts: one and a half intervals.
// The holder renews it at each run, once per interval, so a run that
// starts a little late (a busy machine, a full probe slot) still finds the
// lease its own instead of handing it to another instance whose tick falls
// in the gap; a holder that dies is replaced within 2.5 intervals.
func leaseTTL(interval time.Duration) time.Duration { return interval + interval/2 }

func (m *Monitor) loop(ctx context.Context, r *runner) {
	defer m.wg.Done()
	defer close(r.done)
	interval := r.spec.Interval.Std()
	holding := false
	defer func() {
		if holding && m.cfg.Leaser != nil {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := m.cfg.Leaser.Release(rctx, leaseName(r.id), m.cfg.Instance); err != nil {
				m.log.Warn("release check lease", "integration", r.id, "err", err)
			}
		}
	}()
	// Spread first runs over one interval so checks do not bunch up.
	next := m.clock.Now().Add(rand.N(interval))
	for {
		if !m.sleepUntil(ctx, next) {
			return
		}
		select {
		case m.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if m.cfg.Leaser != nil {
			ok, err := m.cfg.Leaser.Acquire(ctx, leaseName(r.id), m.cfg.Instance, leaseTTL(interval))
			switch {
			case err != nil:
				if ctx.Err() == nil {
					m.log.WarnContext(ctx, "check lease unavailable; skipping run", "integration", r.id, "err", err)
				}
				holding = false
			case !ok:
				holding = false
			default:
				holding = true
			}
			if holding {
				_, _ = m.run(ctx, r)
			}
		} else {
			_, _ = m.run(ctx, r)
		}
		<-m.sem
		now := m.clock.Now()
		for next = next.Add(interval); !next.After(now); next = next.Add(interval) {
		}
	}
}

func (m *Monitor) sleepUntil(ctx context.Context, t time.Time) bool {
	d := t.Sub(m.clock.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := m.clock.NewTimer(d)
	select {
	case <-tm.C():
		return true
	case <-ctx.Done():
		tm.Stop()
		return false
	}
}

// run probes once and records the outcome.
func (m *Monitor) run(ctx context.Context, r *runner) (icc.CheckResult, error) {
	res := r.probe.Check(ctx)
	if ctx.Err() != nil {
		return icc.CheckResult{}, ctx.Err() // stopped mid-probe: not a finding
	}
	cr := icc.CheckResult{
		ID:            icc.NewID(),
		IntegrationID: r.id,
		OK:            res.OK,
		Latency:       icc.Duration(res.Latency),
		StatusCode:    res.StatusCode,
		CheckedAt:     icc.Timestamp(m.clock.Now()), // as stores keep it, so CheckNow answers what a list returns later
	}
	if res.Err != nil {
		cr.OK = false
		cr.Error = truncate(res.Err.Error(), 1000)
	}
	if err := m.record(ctx, r.spec, cr); err != nil {
		if ctx.Err() == nil {
			m.log.ErrorContext(ctx, "recording check result failed", "integration", r.id, "err", err)
		}
		return cr, err
	}
	return cr, nil
}

// record stores a result, then updates status and alerts from history.
func (m *Monitor) record(ctx context.Context, spec icc.CheckSpec, cr icc.CheckResult) error {
	if err := m.store.AddCheckResults(ctx, []icc.CheckResult{cr}); err != nil {
		return fmt.Errorf("add check result: %w", err)
	}
	// The alerts before the integration: see evaluateAlerts.
	active, err := m.activeAlerts(ctx, cr.IntegrationID)
	if err != nil {
		return err
	}
	in, err := m.store.GetIntegration(ctx, cr.IntegrationID)
	if err != nil {
		return fmt.Errorf("get integration: %w", err)
	}
	recent, err := m.recentResults(ctx, in)
	if err != nil {
		return err
	}
	now := m.clock.Now()
	maint, err := m.maintenanceReason(ctx, in.ID, now)
	if err != nil {
		return err
	}
	v := deriveStatus(recent, maint, m.cfg.Thresholds, spec)
	if err := m.setStatus(ctx, in, v, now, m.statusFrom(recent, spec, now)); err != nil {
		return err
	}
	return m.evaluateAlerts(ctx, in, active, recent, maint != "", now)
}

// statusFrom is a check's rederive for setStatus: the status its results
// give, under maintenance if a window covers the integration now.
func (m *Monitor) statusFrom(recent []icc.CheckResult, spec icc.CheckSpec, now time.Time) func(context.Context, *icc.Integration) (health, error) {
	return func(ctx context.Context, in *icc.Integration) (health, error) {
		maint, err := m.maintenanceReason(ctx, in.ID, now)
		if err != nil {
			return health{}, err
		}
		return deriveStatus(recent, maint, m.cfg.Thresholds, spec), nil
	}
}

// recentResults returns as many of in's latest results, newest first, as
// its status and alert rules look at.
func (m *Monitor) recentResults(ctx context.Context, in *icc.Integration) ([]icc.CheckResult, error) {
	need := max(m.cfg.Thresholds.Recent, m.cfg.Thresholds.DownAfter)
	for _, r := range in.AlertRules {
		if r.Validate() == nil { // r is a copy: defaults filled in here only
			need = max(need, ruleDepth(r))
		}
	}
	page, err := m.store.ListCheckResults(ctx, icc.CheckResultFilter{IntegrationID: in.ID, Limit: need})
	if err != nil {
		return nil, fmt.Errorf("list check results: %w", err)
	}
	return page.Items, nil
}

// InMaintenance reports whether a maintenance window covers the
// integration now, by the monitor's clock: while one does, its alerts do
// not fire and its notices are held back.
func (m *Monitor) InMaintenance(ctx context.Context, integrationID string) (bool, error) {
	return m.inMaintenance(ctx, integrationID, m.cfg.Clock.Now())
}

// Silenced reports whether an alert is silenced now: not resolved, and its
// integration under maintenance (InMaintenance).
func (m *Monitor) Silenced(ctx context.Context, a *icc.Alert) (bool, error) {
	if a.State == icc.AlertResolved {
		return false, nil
	}
	return m.InMaintenance(ctx, a.IntegrationID)
}

func (m *Monitor) inMaintenance(ctx context.Context, id string, now time.Time) (bool, error) {
	until, err := m.maintenanceUntil(ctx, id, now)
	return !until.IsZero(), err
}

// maintenanceReason is the status reason of a maintenance window that
// covers the integration at now, or "" when none does.
func (m *Monitor) maintenanceReason(ctx context.Context, id string, now time.Time) (string, error) {
	until, err := m.maintenanceUntil(ctx, id, now)
	if err != nil || until.IsZero() {
		return "", err
	}
	return maintenanceReason(until, now), nil
}

// maintenanceUntil returns when the windows that cover the integration at
// now stop covering it (the latest of their ends), or zero when none does.
func (m *Monitor) maintenanceUntil(ctx context.Context, id string, now time.Time) (time.Time, error) {
	f := icc.MaintenanceFilter{IntegrationID: id, EndsAfter: now, Limit: icc.MaxLimit}
	var until time.Time
	for range 10 {
		page, err := m.store.ListMaintenance(ctx, f)
		if err != nil {
			return time.Time{}, fmt.Errorf("list maintenance: %w", err)
		}
		for _, w := range page.Items {
			if w.ActiveAt(now) {
				until = latest(until, nextChange(w, now))
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	return until, nil
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// EventStatus is the bus event type of an integration status change.
const EventStatus = "integration.status"

// setStatus writes a changed status or reason, retrying when the
// integration was edited meanwhile; a change of status is announced and
// stamped (StatusChangedAt), a change of reason alone is only stored.
// After such an edit, rederive (when not nil) works the status out again
// for the integration as reloaded: a maintenance window may have begun or
// ended meanwhile, and the status another instance settled must not be
// overwritten with a stale one.
func (m *Monitor) setStatus(ctx context.Context, in *icc.Integration, v health, now time.Time,
	rederive func(context.Context, *icc.Integration) (health, error)) error {
	for attempt := 0; ; attempt++ {
		prev := in.Status
		if prev == v.status && in.StatusReason == v.reason {
			return nil
		}
		changed := prev != v.status
		in.Status = v.status
		in.StatusReason = v.reason
		if changed {
			at := now
			in.StatusChangedAt = &at
		}
		err := m.store.UpdateIntegration(ctx, in)
		if err == nil {
			if changed {
				m.log.InfoContext(ctx, "integration status changed", "integration", in.ID, "name", in.Name,
					"from", prev, "to", v.status, "reason", v.reason)
				m.publish(ctx, icc.Event{Topic: icc.TopicIntegrations, Type: EventStatus, ID: in.ID},
					map[string]any{"name": in.Name, "status": v.status, "previous": prev, "reason": v.reason})
			}
			return nil
		}
		if !errors.Is(err, icc.ErrConflict) || attempt == 4 {
			return fmt.Errorf("update integration status: %w", err)
		}
		if in, err = m.store.GetIntegration(ctx, in.ID); err != nil {
			return fmt.Errorf("reload integration: %w", err)
		}
		if rederive != nil {
			if v, err = rederive(ctx, in); err != nil {
				return err
			}
		}
	}
}

// publish sends an event with data on the bus, if there is one.
func (m *Monitor) publish(ctx context.Context, e icc.Event, data any) {
	if m.cfg.Bus == nil {
		return
	}
	if data != nil {
		b, err := json.Marshal(data)
		if err == nil {
			e.Data = b
		}
	}
	e.Origin = m.cfg.Instance
	e.At = m.clock.Now()
	if err := m.cfg.Bus.Publish(ctx, e); err != nil {
		m.log.WarnContext(ctx, "publish event failed", "topic", e.Topic, "type", e.Type, "err", err)
	}
}

// truncate cuts s to at most n bytes and makes it text every store
// accepts (icc.CleanText: an error text may quote a response body holding
// invalid UTF-8 or NUL bytes).
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return icc.CleanText(s)
}

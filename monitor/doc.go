// Package monitor watches the integrations of the Integration Command
// Center: it probes them on schedule, keeps their status, raises alerts,
// schedules maintenance, records every call made to them and summarises
// how they did.
//
// # Probes
//
// An integration's icc.CheckSpec compiles, once, into a Probe (NewProbe):
// an HTTP request (method, headers, body, TLS verification on or off,
// redirects followed or not), a TCP connect, or a Go function registered
// in Config.Funcs. Every probe is bounded by the spec's timeout and by its
// context; HTTP probes read at most MaxBodyBytes of the body.
//
// # Conditions
//
// An HTTP check passes when the request succeeds and every condition
// holds; with no conditions it passes on any status below 400. TCP and
// function checks accept latency conditions only. A condition is
//
//	subject operator value
//
// Subjects and what they compare with:
//
//	status         ==, !=, <, <=, >, >=  an integer        status == 200, status < 500
//	latency        ==, !=, <, <=, >, >=  a Go duration     latency < 300ms
//	body           contains, !contains, ==, !=  a string   body contains "ok"
//	json.<path>    ==, !=  a string, number, true, false or null
//	               <, <=, >, >=  a number                  json.count >= 3
//	               contains, !contains  a string (substring of a string value)
//	               or any value (element of an array)
//
// Strings are double-quoted with Go escapes. A JSON path is a dot-separated
// list of object keys and array indexes: json.data.items.0.id; "json" alone
// is the whole document. A missing path, a body that is not JSON or is cut
// at the size limit fails the condition. ParseCondition reports a malformed
// condition as icc.EINVALID quoting it; a failed condition's error names it
// and what was found.
//
// # Scheduling
//
// A Monitor runs each enabled integration's check every Interval; first
// runs are spread at random over one interval, and at most
// Config.Concurrency probes run at once. Upsert, Remove and Sync change the
// schedule while it runs; Run keeps it in step with the store (Sync): every
// SyncInterval, on every integration change announced on Config.Bus, as
// soon as the bus subscription reports missed events (Dropped grew, as
// when a shared bus reconnects), and when a maintenance window starts or
// ends. Scheduling or cancelling a window publishes EventMaintenance, so
// the other instances' monitors learn the window at once, not at their
// next sync. With a
// Config.Leaser, a check runs only on the instance holding the lease
// "monitor.check.<id>" (time to live: 1.5 intervals, renewed by each run,
// so a run that starts a little late keeps it),
// so a cluster checks each integration once per interval; when an
// instance stops its leases are released, and when it dies they expire, and
// another instance takes over. Close stops every check and waits for it.
//
// # Status
//
// After each check the monitor stores the result and derives the status
// from the most recent results (Thresholds):
//
//   - maintenance: a maintenance window covers the integration now (checks
//     still run and are recorded);
//   - unknown: no results yet;
//   - down: the last DownAfter (3) checks failed;
//   - degraded: the last check failed (but fewer than DownAfter in a row),
//     or DegradedFailures (2) of the last Recent (10) checks failed, or
//     the last check took longer than DegradedLatency (half the check's
//     timeout);
//   - operational: otherwise.
//
// With the status the monitor derives its reason (icc.Integration.
// StatusReason), which says which rule applied: "3 checks failed in a row
// (last: connection refused)" (down: the count is DownAfter however long
// the run, so the reason stays put during an outage), "2 checks failed in
// a row (last: …)" or "the last check failed: status 503", "2 of the last
// 10 checks failed", "the last check took longer than 500 ms", "in a
// maintenance window until 15:00 UTC", "no checks yet", "disabled",
// "checks are off (type none)", and "" when operational. Quoted errors
// are cut to 120 bytes.
//
// A change of status updates the integration (retrying on a version
// conflict) and publishes an "integration.status" event on
// icc.TopicIntegrations, with data {"name", "status", "previous",
// "reason"}. A change of reason alone is stored in one update, without
// an event and keeping StatusChangedAt; when neither changed nothing is
// written.
//
// Maintenance needs no check to show: a window scheduled to cover the
// integration now makes the status maintenance at once, and when a window
// is cancelled the status is derived again from the latest results at
// once. Sync does the same for windows that started or ended, so Run,
// which syncs at every window's start and end, moves the status on time;
// every instance of a cluster does it, and the versioned update lets one
// of them make (and announce) each change. ActiveIncidents follows the
// status.
//
// # Alerts
//
// Each icc.AlertRule is judged after every check: consecutive_failures
// when the last Failures checks failed, latency when the last Failures
// checks (3 when Failures is 0) were all slower than Latency, success_rate
// when fewer than SuccessRate of the checks in Window passed (given at
// least three). A breach creates one alert per rule; later breaches raise
// its Count; it resolves when the rule holds no more and the last
// ResolveAfter checks were good (for latency: no slower than Latency).
// Alerts neither fire nor update during maintenance. Agents acknowledge
// them with Acknowledge. Notifiers (NewWebhook, LogNotifier, BusNotifier)
// hear of every firing, acknowledgement and resolution, delivered in the
// background.
//
// An alert's DedupKey is "<integration id>:<rule type>" when its rule is
// the only one of its type on the integration; when several share a type,
// it adds what the rule judges by ("<id>:latency:latency=500ms,checks=3",
// then "#2" for a repeat), so reordering rules keeps their alerts. Alerts
// keyed by rule position, as earlier versions did ("<id>:<type>:<index>"),
// stay with the rule at that position.
//
// An unresolved alert that no check can resolve any more is resolved, with
// the reason appended to its summary ("(resolved: its rule was removed or
// changed)") and the usual notice: when its rule is gone (no rule claims
// its key), at the integration's next check, on Upsert and on Sync; when
// its integration is disabled or no longer checked, on Upsert and on Sync;
// and on Remove, which the host calls before deleting an integration
// (whose alerts go with it).
//
// # Call logs
//
// A Recorder's Transport wraps an http.RoundTripper and records every
// call to an integration as an icc.IntegrationLog, written asynchronously
// in batches. Records that cannot be kept are counted (Dropped) and
// reported in a warning.
//
// # Maintenance, incidents and statistics
//
// ScheduleMaintenance and CancelMaintenance manage maintenance windows;
// InMaintenance and Silenced tell whether a window covers an integration,
// or silences an alert, now (a dashboard's "silenced" badge);
// ActiveIncidents lists integrations that are down or degraded, as
// icc.Incident values (a Monitor is the icc.IncidentSource of an icc.Desk,
// which links new tickets to the incidents they name); Stats
// summarises uptime, latency percentiles and call outcomes over a window,
// computed by the store (icc.AnalyticsStore; in SQL with PostgreSQL).
package monitor

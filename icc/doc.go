// Package icc is the domain of the Integration Command Center: the types a
// customer-support product built on business-system integrations works with,
// the store interfaces the domain needs, and the error type every package
// shares.
//
// # Domain
//
// Customers ask for help; Agents (with roles, skills, capacity and
// availability) answer. A Ticket carries a request from creation to closure
// with its classification, queue, assignee, SLA due times, first-response and
// resolution times and satisfaction rating; every change is a TicketEvent in
// its audit trail. A Conversation is a live chat whose Messages carry
// per-conversation sequence numbers and client ids for idempotency.
// Integrations are the CRM, ERP, billing and partner systems behind the
// product: how to probe them (CheckSpec), what was found (CheckResult), every
// call made to them (IntegrationLog), planned downtime (MaintenanceWindow) and
// what went wrong (Alert).
//
// # Ticket desk
//
// Desk runs the ticket lifecycle on top of the stores: intake (find or
// create the customer, enrich it through a CustomerDirectory, classify,
// route, link it to the active incidents of an IncidentSource that its
// text names (Incident.Mentioned), set SLA due times, assign), status
// changes through a state machine (CanTransition), replies and internal
// notes, satisfaction ratings, and an SLA watcher that warns once when a
// target is at risk (DeskConfig.SLAWarning) and records breaches and
// escalates. Router matches ordered rules to queues and picks agents
// round-robin or least-loaded; SLAPolicy sets the targets per priority,
// optionally in business hours.
//
// # Storage
//
// Store groups the per-entity store interfaces; Bus publishes small events
// between the processes of a cluster; Leaser lets one process at a time run
// a job; RateLimiter counts events per key in a sliding window that every
// process sharing the store sees. Implementations live under storage/ (memory and PostgreSQL) and all
// pass the conformance suite in storage/storagetest. Lists are paginated by
// an opaque cursor (Page.Next) and filtered by typed structs.
//
// # Analytics
//
// AnalyticsStore computes ticket figures (counts, volume over time,
// first-response and resolution times, SLA compliance, CSAT, per-agent and
// classifier figures) and integration statistics (uptime, success rate,
// latency percentiles, errors) where the data lives; its doc comment and the
// result types define every figure, and all backends return the same
// numbers for the same data.
//
// # Errors
//
// Every error meant for a caller is an *Error with a code (ENOTFOUND,
// EINVALID, ECONFLICT, EUNAUTHORIZED, EFORBIDDEN, EUNAVAILABLE), a message
// safe to show and, for invalid input, the field at fault. Test codes with
// errors.Is(err, icc.ErrNotFound) or ErrorCode(err); the HTTP edge maps codes
// to statuses in one place.
package icc

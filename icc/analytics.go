package icc

import (
	"context"
	"math"
	"time"
)

// AnalyticsStore computes figures over tickets and integrations. Backends
// compute them where the data lives (PostgreSQL in SQL, not by loading rows),
// and every backend returns exactly the same figures for the same data: the
// conformance suite checks it. The definitions below are the contract.
//
// Durations are measured in microseconds (the precision times are kept
// at), averaged and interpolated in double precision, and rounded to the
// nearest millisecond (ticket durations) or microsecond (integration
// latencies) with ties to even, as PostgreSQL's round(double precision)
// does. Percentiles are PostgreSQL's percentile_cont: with n sorted values
// v[0..n-1] and fraction p, the position is p·(n-1) and the result
// interpolates linearly between the values at its floor and ceiling
// (Percentile implements it). Ratios are 0 when their denominator is.
type AnalyticsStore interface {
	// TicketAnalytics summarises the tickets created in [q.From, q.To)
	// that match q's filters. An invalid query is EINVALID naming the field.
	TicketAnalytics(ctx context.Context, q TicketAnalyticsQuery) (*TicketAnalytics, error)
	// IntegrationStats summarises an integration's check results and call
	// logs in [q.From, q.To). An unknown integration is ENOTFOUND.
	IntegrationStats(ctx context.Context, q IntegrationStatsQuery) (*IntegrationStats, error)
}

// Volume bucket sizes of TicketAnalyticsQuery.Bucket.
const (
	BucketHour = "hour"
	BucketDay  = "day"
)

// MaxBuckets bounds the number of volume buckets one query may produce.
const MaxBuckets = 2000

// TicketAnalyticsQuery selects the tickets TicketAnalytics summarises: those
// created in [From, To) whose current queue, assignee, category and priority
// match the filters. Nil filters match everything.
type TicketAnalyticsQuery struct {
	// From (inclusive) and To (exclusive) bound the creation time; both
	// are required and To must be after From.
	From time.Time
	To   time.Time
	// Queue keeps tickets of one queue.
	Queue *string
	// AssigneeID keeps tickets of one agent; a pointer to "" keeps
	// unassigned tickets.
	AssigneeID *string
	Category   *Category
	Priority   *Priority
	// Bucket is the size of the volume buckets: BucketHour or BucketDay
	// (the default).
	Bucket string
}

// Validate checks the query, fills the default bucket and normalises the
// times (see Timestamp). Its texts must be valid UTF-8 without NUL bytes.
func (q *TicketAnalyticsQuery) Validate() error {
	if q.From.IsZero() {
		return Invalid("from", "is required")
	}
	if q.To.IsZero() {
		return Invalid("to", "is required")
	}
	q.From, q.To = Timestamp(q.From), Timestamp(q.To)
	if !q.To.After(q.From) {
		return Invalid("to", "must be after from")
	}
	if err := checkTexts("queue", deref(q.Queue), "assignee_id", deref(q.AssigneeID)); err != nil {
		return err
	}
	if q.Category != nil && !q.Category.Valid() {
		return Invalid("category", "unknown category %q", *q.Category)
	}
	if q.Priority != nil && !q.Priority.Valid() {
		return Invalid("priority", "unknown priority %q", *q.Priority)
	}
	if q.Bucket == "" {
		q.Bucket = BucketDay
	}
	if q.Bucket != BucketHour && q.Bucket != BucketDay {
		return Invalid("bucket", "must be hour or day")
	}
	if n := BucketCount(q.From, q.To, q.Bucket); n > MaxBuckets {
		return Invalid("bucket", "the range holds more than %d %s buckets; use a shorter range or larger buckets", MaxBuckets, q.Bucket)
	}
	return nil
}

// BucketStart returns the start of the bucket ("hour" or "day") holding t:
// t truncated in UTC.
func BucketStart(t time.Time, bucket string) time.Time {
	t = t.UTC()
	if bucket == BucketHour {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// BucketSize returns the length of a bucket: an hour or a day.
func BucketSize(bucket string) time.Duration {
	if bucket == BucketHour {
		return time.Hour
	}
	return 24 * time.Hour
}

// BucketCount returns the number of buckets that cover [from, to): those
// starting at BucketStart(from) and every BucketSize after it, before to.
func BucketCount(from, to time.Time, bucket string) int {
	if !to.After(from) {
		return 0
	}
	size := BucketSize(bucket)
	span := to.Sub(BucketStart(from, bucket)) // saturates for huge ranges
	n := span / size
	if span%size != 0 {
		n++
	}
	return int(n)
}

// TicketAnalytics is the summary of the tickets a TicketAnalyticsQuery
// selects (the population).
type TicketAnalytics struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Bucket string    `json:"bucket"`
	// Total is the number of tickets in the population.
	Total int `json:"total"`
	// ByStatus, ByCategory and ByPriority count the population by the
	// tickets' current values. Every known value is present, zeros
	// included.
	ByStatus   map[TicketStatus]int `json:"by_status"`
	ByCategory map[Category]int     `json:"by_category"`
	ByPriority map[Priority]int     `json:"by_priority"`
	// Volume counts tickets per bucket of creation time. Every bucket from
	// BucketStart(From) to the last one starting before To is present,
	// oldest first, zeros included; the first may start before From but
	// counts only tickets from From on.
	Volume []VolumeBucket `json:"volume"`
	// FirstResponse is first_response_at - created_at over the tickets
	// that have a first response.
	FirstResponse DurationStats `json:"first_response"`
	// Resolution is resolved_at - created_at over the tickets that have a
	// resolution time (resolved or closed, not reopened).
	Resolution DurationStats     `json:"resolution"`
	SLA        SLAFigures        `json:"sla"`
	CSAT       CSATFigures       `json:"csat"`
	Agents     []AgentFigures    `json:"agents"`
	Classifier ClassifierFigures `json:"classifier"`
}

// VolumeBucket is the number of tickets created in one bucket.
type VolumeBucket struct {
	Start time.Time `json:"start"`
	Count int       `json:"count"`
}

// DurationStats summarises a set of durations: how many, their mean, their
// median and 90th percentile (percentile_cont), each rounded to the
// millisecond. All are zero for an empty set.
type DurationStats struct {
	Count  int      `json:"count"`
	Mean   Duration `json:"mean"`
	Median Duration `json:"median"`
	P90    Duration `json:"p90"`
}

// SLAFigures counts met and breached SLA targets. A ticket's first response
// is met when first_response_at <= first_response_due and the ticket is
// not flagged first_response_breached; it is breached when the flag is set
// or first_response_at > first_response_due. A ticket with neither (no
// response yet and not flagged, or no due time) is pending and not
// counted. Resolution is the same with resolved_at, resolution_due and
// resolution_breached.
type SLAFigures struct {
	FirstResponseMet      int `json:"first_response_met"`
	FirstResponseBreached int `json:"first_response_breached"`
	ResolutionMet         int `json:"resolution_met"`
	ResolutionBreached    int `json:"resolution_breached"`
	// Compliance is met / (met + breached) over both targets together,
	// 0 when nothing is counted.
	Compliance float64 `json:"compliance"`
}

// CSATFigures summarises the satisfaction ratings of the population.
type CSATFigures struct {
	// Count is the number of rated tickets and Average their mean rating
	// (0 when none).
	Count   int     `json:"count"`
	Average float64 `json:"average"`
	// Distribution[i] is the number of ratings of i+1 stars.
	Distribution [5]int `json:"distribution"`
}

// AgentFigures are one agent's figures over the population's tickets that
// are currently assigned to the agent.
type AgentFigures struct {
	AgentID string `json:"agent_id"`
	// Assigned is the number of the agent's tickets; Active of them are
	// new, open or pending; Resolved have a resolution time.
	Assigned int `json:"assigned"`
	Active   int `json:"active"`
	Resolved int `json:"resolved"`
	// MeanFirstResponse and MeanResolution average over the agent's
	// tickets that have those times, rounded to the millisecond.
	MeanFirstResponse Duration `json:"mean_first_response"`
	MeanResolution    Duration `json:"mean_resolution"`
	// CSATCount is the number of the agent's rated tickets and
	// CSATAverage their mean rating.
	CSATAverage float64 `json:"csat_average"`
	CSATCount   int     `json:"csat_count"`
}

// ClassifierFigures measure the classifier over the population. A ticket is
// classified when it has a Classification without an Error, and failed
// when its Classification has an Error; tickets without a Classification
// are neither.
type ClassifierFigures struct {
	// Classified is the number of classified tickets and ByModel splits it
	// by the model that answered; a model's share is
	// ByModel[model] / Classified (see Share).
	Classified int            `json:"classified"`
	ByModel    map[string]int `json:"by_model"`
	// Failed is the number of tickets whose classification failed.
	Failed int `json:"failed"`
	// MeanConfidence is the mean confidence of the classified tickets
	// (0 when none), summed in ascending order.
	MeanConfidence float64 `json:"mean_confidence"`
	// Corrections is the number of classified tickets whose category an
	// agent changed afterwards: tickets with a category_changed event whose
	// actor type is agent, at any time. CorrectionRate is
	// Corrections / Classified (0 when none).
	Corrections    int     `json:"corrections"`
	CorrectionRate float64 `json:"correction_rate"`
}

// Share returns the share (0–1) of classified tickets answered by model.
func (c ClassifierFigures) Share(model string) float64 {
	if c.Classified == 0 {
		return 0
	}
	return float64(c.ByModel[model]) / float64(c.Classified)
}

// IntegrationStatsQuery selects what IntegrationStats summarises.
type IntegrationStatsQuery struct {
	IntegrationID string
	// From (inclusive) and To (exclusive) bound the check and call times;
	// both are required and To must be after From.
	From time.Time
	To   time.Time
}

// Validate checks the query and normalises the times. The integration id
// must be valid UTF-8 without NUL bytes.
func (q *IntegrationStatsQuery) Validate() error {
	if q.IntegrationID == "" {
		return Invalid("integration_id", "is required")
	}
	if err := CheckText("integration_id", q.IntegrationID); err != nil {
		return err
	}
	if q.From.IsZero() {
		return Invalid("from", "is required")
	}
	if q.To.IsZero() {
		return Invalid("to", "is required")
	}
	q.From, q.To = Timestamp(q.From), Timestamp(q.To)
	if !q.To.After(q.From) {
		return Invalid("to", "must be after from")
	}
	return nil
}

// IntegrationStats summarises an integration over a time range: its check
// results (uptime, check latency) and its call logs (success rate, call
// latency, errors).
type IntegrationStats struct {
	IntegrationID string    `json:"integration_id"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	// Checks is the number of check results and ChecksOK of them passed;
	// Uptime is ChecksOK / Checks (0 when no checks).
	Checks   int     `json:"checks"`
	ChecksOK int     `json:"checks_ok"`
	Uptime   float64 `json:"uptime"`
	// CheckLatency summarises the latency of every check result.
	CheckLatency LatencyPercentiles `json:"check_latency"`
	// Calls is the number of logged calls; CallsOK of them have no error
	// and a status from 1 to 399. SuccessRate is CallsOK / Calls (0 when
	// no calls).
	Calls       int     `json:"calls"`
	CallsOK     int     `json:"calls_ok"`
	SuccessRate float64 `json:"success_rate"`
	// CallLatency summarises the latency of every logged call.
	CallLatency LatencyPercentiles `json:"call_latency"`
	// Errors splits the calls that were not OK.
	Errors ErrorBreakdown `json:"errors"`
}

// LatencyPercentiles are percentile_cont latencies rounded to the
// microsecond; zero for an empty set.
type LatencyPercentiles struct {
	P50 Duration `json:"p50"`
	P95 Duration `json:"p95"`
	P99 Duration `json:"p99"`
}

// ErrorBreakdown splits failed calls by kind; the kinds do not overlap, so
// CallsOK + Transport + Status4xx + Status5xx + Other == Calls.
type ErrorBreakdown struct {
	// Transport counts calls with an error (whatever their status).
	Transport int `json:"transport"`
	// Status4xx and Status5xx count calls without an error whose status
	// is 400–499 and 500–599.
	Status4xx int `json:"status_4xx"`
	Status5xx int `json:"status_5xx"`
	// Other counts the remaining failures: no error and a status of 0 or
	// of 600 and above.
	Other int `json:"other"`
}

// Percentile returns PostgreSQL's percentile_cont(p) of sorted (ascending)
// values: the linear interpolation between the values at floor(p·(n-1))
// and ceil(p·(n-1)), computed with the same floating-point operations so
// that the result is bit for bit the same. It returns 0 for no values.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	pos := p * float64(n-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	lov, hiv := sorted[int(lo)], sorted[int(hi)]
	// The conversion keeps the compiler from fusing the multiply and add,
	// which PostgreSQL does not do either.
	return lov + float64((hiv-lov)*(pos-lo))
}

package postgres

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/internal/analytics"
)

// The analytics are computed by PostgreSQL: counts with FILTER clauses and
// GROUPING SETS, percentiles with percentile_cont, volume buckets with
// generate_series and date_trunc in UTC. Only the aggregates travel to Go.
// Durations are taken in microseconds as double precision (exact for any
// realistic span), averaged with avg and interpolated with percentile_cont,
// then rounded with round() (ties to even) to milliseconds for ticket
// durations and to microseconds for integration latencies; the memory
// backend does the same operations in the same order (icc.Percentile,
// storage/internal/analytics), so both return identical figures.

// ticketScope is the common table expression "t" of every ticket analytics
// query: the tickets of the query's population with the derived columns the
// aggregates use.
func ticketScope(q icc.TicketAnalyticsQuery) (string, []any) {
	var b strings.Builder
	b.WriteString(`WITH t AS (
	SELECT t.id, t.status, t.category, t.priority, t.assignee_id, t.created_at,
		t.first_response_at, t.first_response_due, t.first_response_breached,
		t.resolved_at, t.resolution_due, t.resolution_breached,
		((extract(epoch FROM t.first_response_at) - extract(epoch FROM t.created_at)) * 1000000)::float8 AS fr_us,
		((extract(epoch FROM t.resolved_at) - extract(epoch FROM t.created_at)) * 1000000)::float8 AS res_us,
		CASE WHEN (t.satisfaction->>'rating')::int BETWEEN 1 AND 5 THEN (t.satisfaction->>'rating')::int END AS rating,
		t.classification IS NOT NULL AND coalesce(t.classification->>'error', '') = '' AS classified,
		coalesce(t.classification->>'error', '') <> '' AS failed,
		coalesce(t.classification->>'model', '') AS model,
		(t.classification->>'confidence')::float8 AS confidence
	FROM tickets t
	WHERE t.created_at >= ? AND t.created_at < ?`)
	args := []any{q.From, q.To}
	add := func(cond string, v any) {
		b.WriteString("\n\t\tAND " + cond)
		args = append(args, v)
	}
	if q.Queue != nil {
		add("t.queue = ?", *q.Queue)
	}
	if q.AssigneeID != nil {
		add("t.assignee_id = ?", *q.AssigneeID)
	}
	if q.Category != nil {
		add("t.category = ?", string(*q.Category))
	}
	if q.Priority != nil {
		add("t.priority = ?", string(*q.Priority))
	}
	b.WriteString("\n)\n")
	return b.String(), args
}

// countRow is one row of the GROUPING SETS count: g tells which column
// was grouped (3 status, 5 category, 6 priority, 7 the total).
type countRow struct {
	Status   sql.NullString `bun:"status"`
	Category sql.NullString `bun:"category"`
	Priority sql.NullString `bun:"priority"`
	G        int            `bun:"g"`
	N        int            `bun:"n"`
}

type volumeRow struct {
	Start time.Time `bun:"start"`
	N     int       `bun:"n"`
}

type ticketFiguresRow struct {
	FRN, FRMean, FRMedian, FRP90         int64
	ResN, ResMean, ResMedian, ResP90     int64
	FRMet, FRBreached, ResMet, ResBreach int
	CSATN                                int
	CSATAvg                              float64
	R1, R2, R3, R4, R5                   int
	Classified, Failed, Corrections      int
	MeanConfidence                       float64
}

type agentRow struct {
	AgentID    string  `bun:"agent_id"`
	Assigned   int     `bun:"assigned"`
	Active     int     `bun:"active"`
	Resolved   int     `bun:"resolved"`
	MeanFR     int64   `bun:"mean_fr"`
	MeanRes    int64   `bun:"mean_res"`
	CSATCount  int     `bun:"csat_count"`
	CSATAvgVal float64 `bun:"csat_avg"`
}

type modelRow struct {
	Model string `bun:"model"`
	N     int    `bun:"n"`
}

// durationFigures rounds avg and percentile_cont of microseconds column col
// to milliseconds, 0 for no values.
func durationFigures(col string) string {
	return `count(` + col + `),
	coalesce(round(avg(` + col + `) / 1000), 0)::bigint,
	coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ` + col + `) / 1000), 0)::bigint,
	coalesce(round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ` + col + `) / 1000), 0)::bigint`
}

// TicketAnalytics summarises the tickets created in [q.From, q.To) that
// match q, computed in SQL in one read-only snapshot; see
// icc.AnalyticsStore for the definitions.
func (s *Store) TicketAnalytics(ctx context.Context, q icc.TicketAnalyticsQuery) (*icc.TicketAnalytics, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	a := analytics.NewTickets(q)
	scope, args := ticketScope(q)
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err := s.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		var counts []countRow
		err := tx.NewRaw(scope+`SELECT status, category, priority,
	GROUPING(status, category, priority) AS g, count(*) AS n
FROM t
GROUP BY GROUPING SETS ((status), (category), (priority), ())`, args...).Scan(ctx, &counts)
		if err != nil {
			return dbErr(err, "ticket analytics: counts")
		}
		for _, c := range counts {
			switch c.G {
			case 3:
				a.ByStatus[icc.TicketStatus(c.Status.String)] = c.N
			case 5:
				a.ByCategory[icc.Category(c.Category.String)] = c.N
			case 6:
				a.ByPriority[icc.Priority(c.Priority.String)] = c.N
			case 7:
				a.Total = c.N
			}
		}

		step := "1 hour"
		if q.Bucket == icc.BucketDay {
			step = "24 hours"
		}
		var volume []volumeRow
		// Placeholders: the scope's, the counts' bucket, then the series'.
		vargs := append(slices.Clone(args), q.Bucket, q.Bucket, q.From, q.To, step)
		err = tx.NewRaw(scope+`, counts AS (
	SELECT date_trunc(?, created_at, 'UTC') AS start, count(*) AS n FROM t GROUP BY 1
)
SELECT b.start, coalesce(c.n, 0) AS n
FROM generate_series(date_trunc(?, ?::timestamptz, 'UTC'), ?::timestamptz - interval '1 microsecond', ?::interval) AS b(start)
LEFT JOIN counts c ON c.start = b.start
ORDER BY b.start`, vargs...).Scan(ctx, &volume)
		if err != nil {
			return dbErr(err, "ticket analytics: volume")
		}
		first, size := icc.BucketStart(q.From, q.Bucket), icc.BucketSize(q.Bucket)
		for _, v := range volume {
			if i := int(v.Start.Sub(first) / size); i >= 0 && i < len(a.Volume) {
				a.Volume[i].Count = v.N
			}
		}

		var f ticketFiguresRow
		err = tx.NewRaw(scope+`SELECT
	`+durationFigures("fr_us")+`,
	`+durationFigures("res_us")+`,
	count(*) FILTER (WHERE NOT first_response_breached AND first_response_at <= first_response_due),
	count(*) FILTER (WHERE first_response_breached OR first_response_at > first_response_due),
	count(*) FILTER (WHERE NOT resolution_breached AND resolved_at <= resolution_due),
	count(*) FILTER (WHERE resolution_breached OR resolved_at > resolution_due),
	count(rating),
	coalesce(avg(rating::float8), 0),
	count(*) FILTER (WHERE rating = 1),
	count(*) FILTER (WHERE rating = 2),
	count(*) FILTER (WHERE rating = 3),
	count(*) FILTER (WHERE rating = 4),
	count(*) FILTER (WHERE rating = 5),
	count(*) FILTER (WHERE classified),
	count(*) FILTER (WHERE failed),
	count(*) FILTER (WHERE classified AND EXISTS (
		SELECT 1 FROM ticket_events e
		WHERE e.ticket_id = t.id AND e.type = 'category_changed' AND e.actor_type = 'agent')),
	coalesce(avg(confidence ORDER BY confidence) FILTER (WHERE classified), 0)
FROM t`, args...).Scan(ctx,
			&f.FRN, &f.FRMean, &f.FRMedian, &f.FRP90,
			&f.ResN, &f.ResMean, &f.ResMedian, &f.ResP90,
			&f.FRMet, &f.FRBreached, &f.ResMet, &f.ResBreach,
			&f.CSATN, &f.CSATAvg, &f.R1, &f.R2, &f.R3, &f.R4, &f.R5,
			&f.Classified, &f.Failed, &f.Corrections, &f.MeanConfidence)
		if err != nil {
			return dbErr(err, "ticket analytics: figures")
		}
		a.FirstResponse = icc.DurationStats{Count: int(f.FRN), Mean: ms(f.FRMean), Median: ms(f.FRMedian), P90: ms(f.FRP90)}
		a.Resolution = icc.DurationStats{Count: int(f.ResN), Mean: ms(f.ResMean), Median: ms(f.ResMedian), P90: ms(f.ResP90)}
		a.SLA = icc.SLAFigures{FirstResponseMet: f.FRMet, FirstResponseBreached: f.FRBreached,
			ResolutionMet: f.ResMet, ResolutionBreached: f.ResBreach}
		a.CSAT = icc.CSATFigures{Count: f.CSATN, Average: f.CSATAvg, Distribution: [5]int{f.R1, f.R2, f.R3, f.R4, f.R5}}
		a.Classifier.Classified, a.Classifier.Failed = f.Classified, f.Failed
		a.Classifier.Corrections, a.Classifier.MeanConfidence = f.Corrections, f.MeanConfidence

		var models []modelRow
		err = tx.NewRaw(scope+`SELECT model, count(*) AS n FROM t WHERE classified GROUP BY model`, args...).Scan(ctx, &models)
		if err != nil {
			return dbErr(err, "ticket analytics: models")
		}
		for _, m := range models {
			a.Classifier.ByModel[m.Model] = m.N
		}

		var agents []agentRow
		err = tx.NewRaw(scope+`SELECT assignee_id AS agent_id,
	count(*) AS assigned,
	count(*) FILTER (WHERE status IN ('new', 'open', 'pending')) AS active,
	count(res_us) AS resolved,
	coalesce(round(avg(fr_us) / 1000), 0)::bigint AS mean_fr,
	coalesce(round(avg(res_us) / 1000), 0)::bigint AS mean_res,
	count(rating) AS csat_count,
	coalesce(avg(rating::float8), 0) AS csat_avg
FROM t
WHERE assignee_id <> ''
GROUP BY assignee_id
ORDER BY assignee_id COLLATE "C"`, args...).Scan(ctx, &agents)
		if err != nil {
			return dbErr(err, "ticket analytics: agents")
		}
		for _, r := range agents {
			a.Agents = append(a.Agents, icc.AgentFigures{AgentID: r.AgentID, Assigned: r.Assigned, Active: r.Active,
				Resolved: r.Resolved, MeanFirstResponse: ms(r.MeanFR), MeanResolution: ms(r.MeanRes),
				CSATAverage: r.CSATAvgVal, CSATCount: r.CSATCount})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	analytics.Finish(a)
	return a, nil
}

func ms(v int64) icc.Duration { return icc.Duration(time.Duration(v) * time.Millisecond) }

func us(v int64) icc.Duration { return icc.Duration(time.Duration(v) * time.Microsecond) }

type integrationStatsRow struct {
	Found                                    bool
	Checks, ChecksOK                         int
	CheckP50, CheckP95, CheckP99             int64
	Calls, CallsOK, Transport, S4, S5, Other int
	CallP50, CallP95, CallP99                int64
}

// latencyFigures rounds percentile_cont of nanoseconds column col to
// microseconds, 0 for no values.
func latencyFigures(col string) string {
	var parts []string
	for _, p := range []string{"0.5", "0.95", "0.99"} {
		parts = append(parts, `coalesce(round(percentile_cont(`+p+`) WITHIN GROUP (ORDER BY `+col+`) / 1000), 0)::bigint`)
	}
	return strings.Join(parts, ",\n\t\t")
}

// IntegrationStats summarises an integration's check results and call logs
// in [q.From, q.To) with one SQL statement; see icc.AnalyticsStore.
func (s *Store) IntegrationStats(ctx context.Context, q icc.IntegrationStatsQuery) (*icc.IntegrationStats, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var r integrationStatsRow
	err := s.db.NewRaw(`WITH c AS (
	SELECT ok, latency_ns::float8 AS ns FROM check_results
	WHERE integration_id = ? AND checked_at >= ? AND checked_at < ?
), l AS (
	SELECT status_code, error, latency_ns::float8 AS ns FROM integration_logs
	WHERE integration_id = ? AND at >= ? AND at < ?
)
SELECT EXISTS (SELECT 1 FROM integrations WHERE id = ?), cs.*, ls.*
FROM (
	SELECT count(*), count(*) FILTER (WHERE ok),
		`+latencyFigures("ns")+`
	FROM c
) cs, (
	SELECT count(*),
		count(*) FILTER (WHERE error = '' AND status_code BETWEEN 1 AND 399),
		count(*) FILTER (WHERE error <> ''),
		count(*) FILTER (WHERE error = '' AND status_code BETWEEN 400 AND 499),
		count(*) FILTER (WHERE error = '' AND status_code BETWEEN 500 AND 599),
		count(*) FILTER (WHERE error = '' AND status_code NOT BETWEEN 1 AND 599),
		`+latencyFigures("ns")+`
	FROM l
) ls`, q.IntegrationID, q.From, q.To, q.IntegrationID, q.From, q.To, q.IntegrationID).Scan(ctx,
		&r.Found, &r.Checks, &r.ChecksOK, &r.CheckP50, &r.CheckP95, &r.CheckP99,
		&r.Calls, &r.CallsOK, &r.Transport, &r.S4, &r.S5, &r.Other, &r.CallP50, &r.CallP95, &r.CallP99)
	if err != nil {
		return nil, dbErr(err, "integration stats")
	}
	if !r.Found {
		return nil, icc.NotFound("integration", q.IntegrationID)
	}
	st := &icc.IntegrationStats{IntegrationID: q.IntegrationID, From: q.From, To: q.To,
		Checks: r.Checks, ChecksOK: r.ChecksOK,
		CheckLatency: icc.LatencyPercentiles{P50: us(r.CheckP50), P95: us(r.CheckP95), P99: us(r.CheckP99)},
		Calls:        r.Calls, CallsOK: r.CallsOK,
		CallLatency: icc.LatencyPercentiles{P50: us(r.CallP50), P95: us(r.CallP95), P99: us(r.CallP99)},
		Errors:      icc.ErrorBreakdown{Transport: r.Transport, Status4xx: r.S4, Status5xx: r.S5, Other: r.Other}}
	analytics.FinishIntegration(st)
	return st, nil
}

package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/internal/analytics"
)

// TicketAnalytics summarises the tickets created in [q.From, q.To) that
// match q; see icc.AnalyticsStore for the definitions, which this computes
// with the same arithmetic as the PostgreSQL backend's SQL.
func (s *Store) TicketAnalytics(ctx context.Context, q icc.TicketAnalyticsQuery) (*icc.TicketAnalytics, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	a := analytics.NewTickets(q)
	s.mu.RLock()
	defer s.mu.RUnlock()

	var frAll, resAll []float64
	var confidences []float64
	var ratingSum int64
	type agentAcc struct {
		f             icc.AgentFigures
		frSum, resSum int64
		frN, resN     int
		ratingSum     int64
	}
	agents := map[string]*agentAcc{}
	var frSum, resSum int64
	size := icc.BucketSize(q.Bucket)
	first := icc.BucketStart(q.From, q.Bucket)
	for _, t := range s.tickets {
		if t.CreatedAt.Before(q.From) || !t.CreatedAt.Before(q.To) ||
			(q.Queue != nil && t.Queue != *q.Queue) ||
			(q.AssigneeID != nil && t.AssigneeID != *q.AssigneeID) ||
			(q.Category != nil && t.Category != *q.Category) ||
			(q.Priority != nil && t.Priority != *q.Priority) {
			continue
		}
		a.Total++
		a.ByStatus[t.Status]++
		a.ByCategory[t.Category]++
		a.ByPriority[t.Priority]++
		a.Volume[int(icc.BucketStart(t.CreatedAt, q.Bucket).Sub(first)/size)].Count++

		var ag *agentAcc
		if t.AssigneeID != "" {
			ag = agents[t.AssigneeID]
			if ag == nil {
				ag = &agentAcc{f: icc.AgentFigures{AgentID: t.AssigneeID}}
				agents[t.AssigneeID] = ag
			}
			ag.f.Assigned++
			if t.Status.Active() {
				ag.f.Active++
			}
		}
		if t.FirstResponseAt != nil {
			us := t.FirstResponseAt.Sub(t.CreatedAt).Microseconds()
			frAll = append(frAll, float64(us))
			frSum += us
			if ag != nil {
				ag.frSum += us
				ag.frN++
			}
		}
		if t.ResolvedAt != nil {
			us := t.ResolvedAt.Sub(t.CreatedAt).Microseconds()
			resAll = append(resAll, float64(us))
			resSum += us
			if ag != nil {
				ag.resSum += us
				ag.resN++
				ag.f.Resolved++
			}
		}
		switch {
		case t.FirstResponseBreached || (t.FirstResponseAt != nil && t.FirstResponseDue != nil && t.FirstResponseAt.After(*t.FirstResponseDue)):
			a.SLA.FirstResponseBreached++
		case t.FirstResponseAt != nil && t.FirstResponseDue != nil:
			a.SLA.FirstResponseMet++
		}
		switch {
		case t.ResolutionBreached || (t.ResolvedAt != nil && t.ResolutionDue != nil && t.ResolvedAt.After(*t.ResolutionDue)):
			a.SLA.ResolutionBreached++
		case t.ResolvedAt != nil && t.ResolutionDue != nil:
			a.SLA.ResolutionMet++
		}
		if sat := t.Satisfaction; sat != nil && sat.Rating >= 1 && sat.Rating <= 5 {
			a.CSAT.Count++
			a.CSAT.Distribution[sat.Rating-1]++
			ratingSum += int64(sat.Rating)
			if ag != nil {
				ag.f.CSATCount++
				ag.ratingSum += int64(sat.Rating)
			}
		}
		if c := t.Classification; c != nil {
			if c.Error != "" {
				a.Classifier.Failed++
			} else {
				a.Classifier.Classified++
				a.Classifier.ByModel[c.Model]++
				confidences = append(confidences, c.Confidence)
				if s.correctedLocked(t.ID) {
					a.Classifier.Corrections++
				}
			}
		}
	}
	a.FirstResponse = durationStats(frAll, frSum)
	a.Resolution = durationStats(resAll, resSum)
	a.CSAT.Average = analytics.MeanInts(ratingSum, a.CSAT.Count)
	a.Classifier.MeanConfidence = analytics.MeanSorted(confidences)
	for _, ag := range agents {
		ag.f.MeanFirstResponse = analytics.Millis(analytics.MeanInts(ag.frSum, ag.frN))
		ag.f.MeanResolution = analytics.Millis(analytics.MeanInts(ag.resSum, ag.resN))
		ag.f.CSATAverage = analytics.MeanInts(ag.ratingSum, ag.f.CSATCount)
		a.Agents = append(a.Agents, ag.f)
	}
	slices.SortFunc(a.Agents, func(x, y icc.AgentFigures) int { return cmp.Compare(x.AgentID, y.AgentID) })
	analytics.Finish(a)
	return a, nil
}

// correctedLocked reports whether an agent changed the ticket's category.
func (s *Store) correctedLocked(ticketID string) bool {
	for _, e := range s.ticketEvents[ticketID] {
		if e.Type == icc.EventCategoryChanged && e.ActorType == icc.ActorAgent {
			return true
		}
	}
	return false
}

// durationStats summarises durations in microseconds whose sum is sum.
func durationStats(us []float64, sum int64) icc.DurationStats {
	slices.Sort(us)
	return icc.DurationStats{
		Count:  len(us),
		Mean:   analytics.Millis(analytics.MeanInts(sum, len(us))),
		Median: analytics.Millis(icc.Percentile(us, 0.5)),
		P90:    analytics.Millis(icc.Percentile(us, 0.9)),
	}
}

// IntegrationStats summarises an integration's check results and call logs
// in [q.From, q.To); see icc.AnalyticsStore.
func (s *Store) IntegrationStats(ctx context.Context, q icc.IntegrationStatsQuery) (*icc.IntegrationStats, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.integrations[q.IntegrationID]; !ok {
		return nil, icc.NotFound("integration", q.IntegrationID)
	}
	st := &icc.IntegrationStats{IntegrationID: q.IntegrationID, From: q.From, To: q.To}
	var checkNS, callNS []float64
	for _, r := range s.results[q.IntegrationID] {
		if r.CheckedAt.Before(q.From) || !r.CheckedAt.Before(q.To) {
			continue
		}
		st.Checks++
		if r.OK {
			st.ChecksOK++
		}
		checkNS = append(checkNS, float64(r.Latency))
	}
	for _, l := range s.logs[q.IntegrationID] {
		if l.At.Before(q.From) || !l.At.Before(q.To) {
			continue
		}
		st.Calls++
		switch {
		case l.Error != "":
			st.Errors.Transport++
		case l.StatusCode >= 1 && l.StatusCode <= 399:
			st.CallsOK++
		case l.StatusCode >= 400 && l.StatusCode <= 499:
			st.Errors.Status4xx++
		case l.StatusCode >= 500 && l.StatusCode <= 599:
			st.Errors.Status5xx++
		default:
			st.Errors.Other++
		}
		callNS = append(callNS, float64(l.Latency))
	}
	st.CheckLatency = latencies(checkNS)
	st.CallLatency = latencies(callNS)
	analytics.FinishIntegration(st)
	return st, nil
}

// latencies returns the percentiles of latencies in nanoseconds.
func latencies(ns []float64) icc.LatencyPercentiles {
	slices.Sort(ns)
	return icc.LatencyPercentiles{
		P50: analytics.Micros(icc.Percentile(ns, 0.5)),
		P95: analytics.Micros(icc.Percentile(ns, 0.95)),
		P99: analytics.Micros(icc.Percentile(ns, 0.99)),
	}
}

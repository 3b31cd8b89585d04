// Package analytics holds what the storage backends share to compute the
// figures of icc.AnalyticsStore identically: the empty summary a backend
// fills in, the ratios derived from counts, and the rounding and averaging
// rules that PostgreSQL applies in SQL, written in Go for the memory
// backend.
package analytics

import (
	"math"
	"slices"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// NewTickets returns the empty summary of q, which Validate has checked:
// every status, category and priority at zero and every volume bucket
// present at zero.
func NewTickets(q icc.TicketAnalyticsQuery) *icc.TicketAnalytics {
	a := &icc.TicketAnalytics{From: q.From, To: q.To, Bucket: q.Bucket,
		ByStatus:   map[icc.TicketStatus]int{},
		ByCategory: map[icc.Category]int{},
		ByPriority: map[icc.Priority]int{},
		Volume:     []icc.VolumeBucket{},
		Agents:     []icc.AgentFigures{},
		Classifier: icc.ClassifierFigures{ByModel: map[string]int{}},
	}
	for _, s := range []icc.TicketStatus{icc.StatusNew, icc.StatusOpen, icc.StatusPending, icc.StatusResolved, icc.StatusClosed} {
		a.ByStatus[s] = 0
	}
	for _, c := range []icc.Category{icc.CategoryTechnical, icc.CategoryBilling, icc.CategoryGeneral, icc.CategorySensitive} {
		a.ByCategory[c] = 0
	}
	for _, p := range []icc.Priority{icc.PriorityLow, icc.PriorityMedium, icc.PriorityHigh, icc.PriorityUrgent} {
		a.ByPriority[p] = 0
	}
	size := icc.BucketSize(q.Bucket)
	start := icc.BucketStart(q.From, q.Bucket)
	for i := range icc.BucketCount(q.From, q.To, q.Bucket) {
		a.Volume = append(a.Volume, icc.VolumeBucket{Start: start.Add(time.Duration(i) * size)})
	}
	return a
}

// Finish derives a's ratios from its counts: SLA compliance and the
// classifier's correction rate.
func Finish(a *icc.TicketAnalytics) {
	met := a.SLA.FirstResponseMet + a.SLA.ResolutionMet
	a.SLA.Compliance = Ratio(met, met+a.SLA.FirstResponseBreached+a.SLA.ResolutionBreached)
	a.Classifier.CorrectionRate = Ratio(a.Classifier.Corrections, a.Classifier.Classified)
}

// FinishIntegration derives st's ratios from its counts: uptime and
// success rate.
func FinishIntegration(st *icc.IntegrationStats) {
	st.Uptime = Ratio(st.ChecksOK, st.Checks)
	st.SuccessRate = Ratio(st.CallsOK, st.Calls)
}

// Ratio returns a / b, or 0 when b is 0.
func Ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// MeanSorted returns the mean of values summed in ascending order, as
// PostgreSQL's avg(x ORDER BY x) over double precision computes it; 0 for
// no values. It sorts values in place.
func MeanSorted(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	slices.Sort(values)
	var sum float64
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// MeanInts returns the mean of integer values whose sum is sum, as
// PostgreSQL's avg over the values cast to double precision computes it
// (the sum of integers below 2^53 is exact in any order); 0 for n == 0.
func MeanInts(sum int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// Millis rounds a duration in microseconds to the nearest millisecond,
// ties to even, as round(us / 1000) does in PostgreSQL.
func Millis(us float64) icc.Duration {
	return icc.Duration(time.Duration(math.RoundToEven(us/1000)) * time.Millisecond)
}

// Micros rounds a duration in nanoseconds to the nearest microsecond, ties
// to even, as round(ns / 1000) does in PostgreSQL.
func Micros(ns float64) icc.Duration {
	return icc.Duration(time.Duration(math.RoundToEven(ns/1000)) * time.Microsecond)
}

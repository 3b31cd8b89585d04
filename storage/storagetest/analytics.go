package storagetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// The analytics area builds one data set through the store API and checks
// every figure of icc.AnalyticsStore against numbers computed by hand (with
// an independent reference of the definitions), so that every backend
// returns exactly the same figures.

// day0 is the first day of the analytics data set.
var day0 = time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)

// ticketSpec is one ticket of the data set; durations count from creation.
type ticketSpec struct {
	created       time.Duration
	status        icc.TicketStatus
	category      icc.Category
	priority      icc.Priority
	queue         string
	agent         int // index into the agents, -1 for unassigned
	firstResponse time.Duration
	resolution    time.Duration
	frBreached    bool
	resBreached   bool
	rating        int
	model         string // "" with no error: no classification at all
	confidence    float64
	classifyErr   string
	correction    icc.ActorType // actor of a category_changed event, "" for none
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

const (
	tech  = icc.CategoryTechnical
	bill  = icc.CategoryBilling
	gen   = icc.CategoryGeneral
	sens  = icc.CategorySensitive
	low   = icc.PriorityLow
	med   = icc.PriorityMedium
	high  = icc.PriorityHigh
	urg   = icc.PriorityUrgent
	agent = icc.ActorAgent
	sys   = icc.ActorSystem
)

// analyticsTickets are 30 tickets over three days plus two just outside
// [day0, day0+72h): one a minute before, one exactly at the end.
var analyticsTickets = []ticketSpec{
	// Day 1.
	{hm(0, 5), icc.StatusClosed, tech, high, "technical", 0, 20 * time.Minute, 3 * time.Hour, false, false, 5, "gemini", 0.91, "", ""},
	{hm(0, 40), icc.StatusResolved, bill, med, "billing", 1, 2*time.Hour + 30*time.Second, 5 * time.Hour, false, false, 4, "gemini", 0.82, "", agent},
	{hm(1, 15), icc.StatusOpen, gen, low, "general", 2, 45*time.Minute + 250*time.Microsecond, 0, false, false, 0, "offline", 0.55, "", ""},
	{hm(1, 30), icc.StatusNew, tech, urg, "technical", -1, 0, 0, true, false, 0, "offline", 0.67, "", ""},
	{hm(2, 0), icc.StatusResolved, tech, urg, "technical", 0, 10*time.Minute + 1500*time.Microsecond, hm(3, 59), false, false, 3, "gemini", 0.95, "", ""},
	{hm(3, 20), icc.StatusClosed, bill, high, "billing", 1, 70 * time.Minute, 9 * time.Hour, true, true, 2, "gemini", 0.73, "", agent},
	{hm(5, 0), icc.StatusPending, gen, med, "general", 2, 30 * time.Minute, 0, false, false, 0, "", 0, "classifier timeout", agent},
	{hm(8, 45), icc.StatusResolved, sens, high, "sensitive", 0, 5 * time.Minute, 2 * time.Hour, false, false, 5, "gemini", 0.88, "", ""},
	{hm(9, 10), icc.StatusOpen, tech, med, "technical", 1, hm(4, 1), 0, false, false, 0, "offline", 0.61, "", sys},
	{hm(11, 0), icc.StatusClosed, gen, low, "general", 2, 3 * time.Hour, 30 * time.Hour, false, false, 1, "offline", 0.5, "", agent},
	{hm(14, 30), icc.StatusNew, bill, med, "billing", -1, 0, 0, false, false, 0, "", 0, "", ""},
	{hm(23, 59), icc.StatusResolved, tech, high, "technical", 0, 59*time.Minute + 999999*time.Microsecond, 8 * time.Hour, false, false, 4, "gemini", 0.9, "", ""},
	// Day 2.
	{hm(24, 0), icc.StatusResolved, gen, med, "general", 1, time.Hour, 6*time.Hour + 500*time.Microsecond, false, false, 5, "gemini", 0.77, "", ""},
	{hm(24, 30), icc.StatusOpen, tech, urg, "technical", 2, 16 * time.Minute, 0, false, true, 0, "offline", 0.58, "", ""},
	{hm(25, 10), icc.StatusClosed, bill, low, "billing", 0, 7 * time.Hour, 70 * time.Hour, false, false, 3, "offline", 0.64, "", ""},
	{hm(26, 0), icc.StatusResolved, tech, med, "technical", 1, 2 * time.Hour, 20 * time.Hour, false, false, 4, "gemini", 0.86, "", agent},
	{hm(27, 45), icc.StatusPending, gen, high, "general", 2, 50 * time.Minute, 0, false, true, 0, "gemini", 0.8, "", ""},
	{hm(30, 0), icc.StatusClosed, sens, urg, "sensitive", 0, 12 * time.Minute, 3 * time.Hour, false, false, 2, "gemini", 0.93, "", ""},
	{hm(33, 20), icc.StatusNew, gen, low, "general", -1, 0, 0, false, false, 0, "offline", 0.52, "", ""},
	{hm(36, 0), icc.StatusResolved, bill, med, "billing", 1, hm(3, 59), 23 * time.Hour, false, false, 5, "offline", 0.7, "", ""},
	{hm(40, 5), icc.StatusOpen, tech, high, "technical", 2, 0, 0, true, false, 0, "", 0, "model overloaded", ""},
	{hm(44, 50), icc.StatusResolved, gen, med, "general", 0, 25 * time.Minute, hm(1, 1), false, false, 4, "gemini", 0.83, "", ""},
	// Day 3.
	{hm(48, 0), icc.StatusClosed, tech, low, "technical", 1, hm(8, 1), 71 * time.Hour, true, false, 3, "offline", 0.6, "", ""},
	{hm(49, 30), icc.StatusResolved, bill, urg, "billing", 2, 14*time.Minute + 59*time.Second, hm(4, 1), false, true, 1, "gemini", 0.97, "", agent},
	{hm(50, 0), icc.StatusOpen, gen, med, "general", 0, hm(1, 15), 0, false, false, 0, "gemini", 0.79, "", ""},
	{hm(55, 55), icc.StatusNew, tech, med, "technical", -1, 0, 0, false, false, 0, "offline", 0.66, "", ""},
	{hm(60, 0), icc.StatusResolved, sens, high, "sensitive", 1, 40 * time.Minute, hm(7, 59), false, false, 5, "gemini", 0.99, "", ""},
	{hm(63, 15), icc.StatusPending, bill, high, "billing", 2, time.Hour + time.Second, 0, false, false, 0, "offline", 0.57, "", ""},
	{hm(66, 40), icc.StatusResolved, gen, low, "general", 0, 2*time.Hour + 123456*time.Microsecond, 10 * time.Hour, false, false, 4, "offline", 0.69, "", ""},
	{hm(71, 59), icc.StatusClosed, tech, med, "technical", 1, 3 * time.Hour, 26 * time.Hour, false, true, 2, "gemini", 0.85, "", ""},
	// Outside the range.
	{-time.Minute, icc.StatusOpen, tech, urg, "technical", 0, 5 * time.Minute, 0, false, false, 0, "gemini", 0.9, "", ""},
	{72 * time.Hour, icc.StatusResolved, bill, low, "billing", 1, 5 * time.Minute, time.Hour, false, false, 5, "gemini", 0.9, "", agent},
}

// analyticsData is the data set as stored.
type analyticsData struct {
	agents []string // agent ids, in the order ticketSpec.agent indexes
}

// seedTickets stores the analytics tickets with three agents.
func seedTickets(t *testing.T, st icc.Store) analyticsData {
	t.Helper()
	cust := newCustomer(t, st)
	var d analyticsData
	for range 3 {
		d.agents = append(d.agents, newAgent(t, st, func(a *icc.Agent) { a.Capacity = 100 }).ID)
	}
	sla := icc.DefaultSLAPolicy()
	for i, sp := range analyticsTickets {
		created := day0.Add(sp.created)
		frDue, resDue := sla.Due(created, sp.priority)
		tk := &icc.Ticket{Subject: "Ticket", Body: "body", CustomerID: cust.ID, Status: sp.status,
			Category: sp.category, Priority: sp.priority, Queue: sp.queue,
			FirstResponseDue: &frDue, ResolutionDue: &resDue,
			FirstResponseBreached: sp.frBreached, ResolutionBreached: sp.resBreached, CreatedAt: created}
		if sp.agent >= 0 {
			tk.AssigneeID = d.agents[sp.agent]
		}
		if sp.firstResponse > 0 {
			tk.FirstResponseAt = ptr(created.Add(sp.firstResponse))
		}
		if sp.resolution > 0 {
			tk.ResolvedAt = ptr(created.Add(sp.resolution))
			if sp.status == icc.StatusClosed {
				tk.ClosedAt = tk.ResolvedAt
			}
		}
		if sp.rating > 0 {
			tk.Satisfaction = &icc.Satisfaction{Rating: sp.rating, RatedAt: created.Add(sp.resolution + time.Hour)}
		}
		switch {
		case sp.classifyErr != "":
			tk.Classification = &icc.Classification{Error: sp.classifyErr}
		case sp.model != "":
			tk.Classification = &icc.Classification{Model: sp.model, Category: sp.category, Priority: sp.priority, Confidence: sp.confidence}
		}
		events := []icc.TicketEvent{{Type: icc.EventCreated, CreatedAt: created}}
		if sp.correction != "" {
			ev := icc.TicketEvent{Type: icc.EventCategoryChanged, ActorType: sp.correction, From: string(icc.CategoryGeneral),
				To: string(sp.category), CreatedAt: created.Add(time.Minute)}
			if sp.correction == icc.ActorAgent {
				ev.ActorID = d.agents[max(sp.agent, 0)]
				ev.Data = json.RawMessage(`{"correction":true}`)
			}
			events = append(events, ev)
		}
		require.NoError(t, st.CreateTicket(ctx(t), tk, events...), "ticket %d", i)
	}
	return d
}

func msd(n int64) icc.Duration { return icc.Duration(time.Duration(n) * time.Millisecond) }
func usd(n int64) icc.Duration { return icc.Duration(time.Duration(n) * time.Microsecond) }

// counts builds a count map with every key of all at zero and the given
// pairs set.
func counts[K comparable](all []K, pairs map[K]int) map[K]int {
	m := map[K]int{}
	for _, k := range all {
		m[k] = 0
	}
	for k, v := range pairs {
		m[k] = v
	}
	return m
}

var (
	allStatuses   = []icc.TicketStatus{icc.StatusNew, icc.StatusOpen, icc.StatusPending, icc.StatusResolved, icc.StatusClosed}
	allCategories = []icc.Category{tech, bill, gen, sens}
	allPriorities = []icc.Priority{low, med, high, urg}
)

// volume returns buckets of size starting at start with the given counts.
func volume(start time.Time, size time.Duration, n ...int) []icc.VolumeBucket {
	out := []icc.VolumeBucket{}
	for i, c := range n {
		out = append(out, icc.VolumeBucket{Start: start.Add(time.Duration(i) * size), Count: c})
	}
	return out
}

// agentFigures maps figures given by agent index to the stored ids, sorted
// by id as the result is.
func (d analyticsData) agentFigures(byIndex map[int]icc.AgentFigures) []icc.AgentFigures {
	out := []icc.AgentFigures{}
	for i, f := range byIndex {
		f.AgentID = d.agents[i]
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b icc.AgentFigures) int { return strings.Compare(a.AgentID, b.AgentID) })
	return out
}

func (s *suite) analytics(t *testing.T) {
	t.Run("Tickets", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		d := seedTickets(t, st)
		q := icc.TicketAnalyticsQuery{From: day0, To: day0.Add(72 * time.Hour)}

		got, err := st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		want := &icc.TicketAnalytics{From: day0, To: day0.Add(72 * time.Hour), Bucket: icc.BucketDay, Total: 30,
			ByStatus: counts(allStatuses, map[icc.TicketStatus]int{
				icc.StatusNew: 4, icc.StatusOpen: 5, icc.StatusPending: 3, icc.StatusResolved: 11, icc.StatusClosed: 7}),
			ByCategory: counts(allCategories, map[icc.Category]int{tech: 11, bill: 7, gen: 9, sens: 3}),
			ByPriority: counts(allPriorities, map[icc.Priority]int{low: 6, med: 11, high: 8, urg: 5}),
			Volume:     volume(day0, 24*time.Hour, 12, 10, 8),
			// 25 first responses: mean 6464445.0082 ms, median the 13th
			// (1 h), p90 at position 21.6 between 3 h 59 min and 4 h 1 min.
			FirstResponse: icc.DurationStats{Count: 25, Mean: msd(6464445), Median: msd(3600000), P90: msd(14412000)},
			Resolution:    icc.DurationStats{Count: 18, Mean: msd(60600000), Median: msd(28770000), P90: msd(151200000)},
			SLA: icc.SLAFigures{FirstResponseMet: 20, FirstResponseBreached: 7, ResolutionMet: 15, ResolutionBreached: 5,
				Compliance: 35.0 / 47.0},
			CSAT: icc.CSATFigures{Count: 18, Average: 62.0 / 18.0, Distribution: [5]int{2, 3, 3, 5, 5}},
			Agents: d.agentFigures(map[int]icc.AgentFigures{
				0: {Assigned: 9, Active: 1, Resolved: 8, MeanFirstResponse: msd(4973458), MeanResolution: msd(45450000), CSATAverage: 3.75, CSATCount: 8},
				1: {Assigned: 9, Active: 1, Resolved: 8, MeanFirstResponse: msd(10343333), MeanResolution: msd(75592500), CSATAverage: 3.75, CSATCount: 8},
				2: {Assigned: 8, Active: 6, Resolved: 2, MeanFirstResponse: msd(3394286), MeanResolution: msd(61230000), CSATAverage: 1, CSATCount: 2},
			}),
			Classifier: icc.ClassifierFigures{Classified: 27, ByModel: map[string]int{"gemini": 15, "offline": 12}, Failed: 2,
				MeanConfidence: 0.7507407407407406, Corrections: 5, CorrectionRate: 5.0 / 27.0},
		}
		assert.Equal(t, want, got)
		assert.InDelta(t, 15.0/27.0, got.Classifier.Share("gemini"), 1e-12)
		assert.Zero(t, got.Classifier.Share("nobody"))

		// The same range in hours from a time that is not on the hour:
		// buckets start on the hour before From and count from From on.
		got, err = st.TicketAnalytics(ctx(t), icc.TicketAnalyticsQuery{From: day0.Add(hm(1, 30)), To: day0.Add(5 * time.Hour), Bucket: icc.BucketHour})
		require.NoError(t, err)
		assert.Equal(t, 3, got.Total)
		assert.Equal(t, volume(day0.Add(time.Hour), time.Hour, 1, 1, 1, 0), got.Volume)

		got, err = st.TicketAnalytics(ctx(t), icc.TicketAnalyticsQuery{From: day0, To: day0.Add(24 * time.Hour), Bucket: icc.BucketHour})
		require.NoError(t, err)
		assert.Equal(t, 12, got.Total)
		assert.Equal(t, volume(day0, time.Hour, 2, 2, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1), got.Volume)
	})

	t.Run("TicketFilters", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		d := seedTickets(t, st)
		base := icc.TicketAnalyticsQuery{From: day0, To: day0.Add(72 * time.Hour)}

		q := base
		q.Queue = ptr("billing")
		got, err := st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 7, got.Total)
		assert.Equal(t, counts(allStatuses, map[icc.TicketStatus]int{icc.StatusNew: 1, icc.StatusPending: 1, icc.StatusResolved: 3, icc.StatusClosed: 2}), got.ByStatus)
		assert.Equal(t, counts(allCategories, map[icc.Category]int{bill: 7}), got.ByCategory)
		assert.Equal(t, volume(day0, 24*time.Hour, 3, 2, 2), got.Volume)
		assert.Equal(t, icc.DurationStats{Count: 6, Mean: msd(9245000), Median: msd(5715000), P90: msd(19770000)}, got.FirstResponse)
		assert.Equal(t, icc.DurationStats{Count: 5, Mean: msd(79932000), Median: msd(32400000), P90: msd(184320000)}, got.Resolution)
		assert.Equal(t, icc.SLAFigures{FirstResponseMet: 4, FirstResponseBreached: 2, ResolutionMet: 3, ResolutionBreached: 2, Compliance: 7.0 / 11.0}, got.SLA)
		assert.Equal(t, icc.CSATFigures{Count: 5, Average: 3, Distribution: [5]int{1, 1, 1, 1, 1}}, got.CSAT)
		assert.Equal(t, d.agentFigures(map[int]icc.AgentFigures{
			0: {Assigned: 1, Resolved: 1, MeanFirstResponse: msd(25200000), MeanResolution: msd(252000000), CSATAverage: 3, CSATCount: 1},
			1: {Assigned: 3, Resolved: 3, MeanFirstResponse: msd(8590000), MeanResolution: msd(44400000), CSATAverage: 11.0 / 3.0, CSATCount: 3},
			2: {Assigned: 2, Active: 1, Resolved: 1, MeanFirstResponse: msd(2250000), MeanResolution: msd(14460000), CSATAverage: 1, CSATCount: 1},
		}), got.Agents)
		assert.Equal(t, icc.ClassifierFigures{Classified: 6, ByModel: map[string]int{"gemini": 3, "offline": 3},
			MeanConfidence: 0.7383333333333333, Corrections: 3, CorrectionRate: 0.5}, got.Classifier)

		q = base
		q.Category = ptr(tech)
		got, err = st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 11, got.Total)
		assert.Equal(t, counts(allPriorities, map[icc.Priority]int{low: 1, med: 4, high: 3, urg: 3}), got.ByPriority)
		assert.Equal(t, volume(day0, 24*time.Hour, 5, 3, 3), got.Volume)
		// Eight first responses: the median lies halfway between 59 min
		// 0.999999 s and 2 h, 5370499.9995 ms, rounded to the millisecond.
		assert.Equal(t, icc.DurationStats{Count: 8, Mean: msd(8452625), Median: msd(5370500), P90: msd(18780000)}, got.FirstResponse)
		assert.Equal(t, icc.DurationStats{Count: 6, Mean: msd(79190000), Median: msd(50400000), P90: msd(174600000)}, got.Resolution)
		assert.Equal(t, icc.SLAFigures{FirstResponseMet: 5, FirstResponseBreached: 5, ResolutionMet: 5, ResolutionBreached: 2, Compliance: 10.0 / 17.0}, got.SLA)
		assert.Equal(t, icc.CSATFigures{Count: 6, Average: 3.5, Distribution: [5]int{0, 1, 2, 2, 1}}, got.CSAT)
		assert.Equal(t, d.agentFigures(map[int]icc.AgentFigures{
			0: {Assigned: 3, Resolved: 3, MeanFirstResponse: msd(1780334), MeanResolution: msd(17980000), CSATAverage: 4, CSATCount: 3},
			1: {Assigned: 4, Active: 1, Resolved: 3, MeanFirstResponse: msd(15330000), MeanResolution: msd(140400000), CSATAverage: 3, CSATCount: 3},
			2: {Assigned: 2, Active: 2, MeanFirstResponse: msd(960000)},
		}), got.Agents)
		assert.Equal(t, icc.ClassifierFigures{Classified: 10, ByModel: map[string]int{"gemini": 5, "offline": 5}, Failed: 1,
			MeanConfidence: 0.7590000000000001, Corrections: 1, CorrectionRate: 0.1}, got.Classifier)

		q = base
		q.Priority = ptr(urg)
		got, err = st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 5, got.Total)
		assert.Equal(t, counts(allCategories, map[icc.Category]int{tech: 3, sens: 1, bill: 1}), got.ByCategory)
		assert.Equal(t, icc.DurationStats{Count: 4, Mean: msd(794750), Median: msd(809500), P90: msd(941700)}, got.FirstResponse)
		assert.Equal(t, icc.DurationStats{Count: 3, Mean: msd(13200000), Median: msd(14340000), P90: msd(14436000)}, got.Resolution)
		assert.Equal(t, icc.SLAFigures{FirstResponseMet: 3, FirstResponseBreached: 2, ResolutionMet: 2, ResolutionBreached: 2, Compliance: 5.0 / 9.0}, got.SLA)
		assert.Equal(t, d.agentFigures(map[int]icc.AgentFigures{
			0: {Assigned: 2, Resolved: 2, MeanFirstResponse: msd(660001), MeanResolution: msd(12570000), CSATAverage: 2.5, CSATCount: 2},
			2: {Assigned: 2, Active: 1, Resolved: 1, MeanFirstResponse: msd(929500), MeanResolution: msd(14460000), CSATAverage: 1, CSATCount: 1},
		}), got.Agents)
		assert.Equal(t, icc.ClassifierFigures{Classified: 5, ByModel: map[string]int{"gemini": 3, "offline": 2},
			MeanConfidence: 0.82, Corrections: 1, CorrectionRate: 0.2}, got.Classifier)

		q = base
		q.AssigneeID = ptr(d.agents[1])
		got, err = st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 9, got.Total)
		assert.Equal(t, icc.DurationStats{Count: 9, Mean: msd(10343333), Median: msd(7230000), P90: msd(17340000)}, got.FirstResponse)
		assert.Equal(t, icc.SLAFigures{FirstResponseMet: 6, FirstResponseBreached: 3, ResolutionMet: 6, ResolutionBreached: 2, Compliance: 12.0 / 17.0}, got.SLA)
		assert.Equal(t, icc.CSATFigures{Count: 8, Average: 3.75, Distribution: [5]int{0, 2, 1, 2, 3}}, got.CSAT)
		assert.Equal(t, d.agentFigures(map[int]icc.AgentFigures{
			1: {Assigned: 9, Active: 1, Resolved: 8, MeanFirstResponse: msd(10343333), MeanResolution: msd(75592500), CSATAverage: 3.75, CSATCount: 8},
		}), got.Agents)
		assert.Equal(t, icc.ClassifierFigures{Classified: 9, ByModel: map[string]int{"gemini": 6, "offline": 3},
			MeanConfidence: 0.77, Corrections: 3, CorrectionRate: 1.0 / 3.0}, got.Classifier)

		q = base
		q.AssigneeID = ptr("")
		got, err = st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 4, got.Total)
		assert.Equal(t, counts(allStatuses, map[icc.TicketStatus]int{icc.StatusNew: 4}), got.ByStatus)
		assert.Equal(t, volume(day0, 24*time.Hour, 2, 1, 1), got.Volume)
		assert.Equal(t, icc.DurationStats{}, got.FirstResponse)
		assert.Equal(t, icc.SLAFigures{FirstResponseBreached: 1}, got.SLA)
		assert.Equal(t, []icc.AgentFigures{}, got.Agents)
		assert.Equal(t, icc.ClassifierFigures{Classified: 3, ByModel: map[string]int{"offline": 3}, MeanConfidence: 0.6166666666666667}, got.Classifier)

		// Filters combine.
		q = base
		q.Queue, q.Priority = ptr("technical"), ptr(urg)
		got, err = st.TicketAnalytics(ctx(t), q)
		require.NoError(t, err)
		assert.Equal(t, 3, got.Total)
	})

	t.Run("TicketsEmpty", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		seedTickets(t, st)
		from := day0.Add(30 * 24 * time.Hour).Add(90 * time.Minute)
		got, err := st.TicketAnalytics(ctx(t), icc.TicketAnalyticsQuery{From: from, To: from.Add(2 * time.Hour), Bucket: icc.BucketHour})
		require.NoError(t, err)
		want := &icc.TicketAnalytics{From: from, To: from.Add(2 * time.Hour), Bucket: icc.BucketHour,
			ByStatus: counts(allStatuses, nil), ByCategory: counts(allCategories, nil), ByPriority: counts(allPriorities, nil),
			Volume: volume(from.Add(-30*time.Minute), time.Hour, 0, 0, 0), Agents: []icc.AgentFigures{},
			Classifier: icc.ClassifierFigures{ByModel: map[string]int{}}}
		assert.Equal(t, want, got)
		b, err := json.Marshal(got)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"agents":[]`)
		assert.Contains(t, string(b), `"distribution":[0,0,0,0,0]`)
	})

	t.Run("TicketsInvalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		for _, c := range []struct {
			q     icc.TicketAnalyticsQuery
			field string
		}{
			{icc.TicketAnalyticsQuery{To: day0}, "from"},
			{icc.TicketAnalyticsQuery{From: day0}, "to"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0}, "to"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(-time.Hour)}, "to"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(time.Hour), Bucket: "week"}, "bucket"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(time.Hour), Category: ptr(icc.Category("x"))}, "category"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(time.Hour), Priority: ptr(icc.Priority("x"))}, "priority"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(100 * 24 * time.Hour), Bucket: icc.BucketHour}, "bucket"},
			{icc.TicketAnalyticsQuery{From: day0, To: day0.Add(icc.MaxBuckets*24*time.Hour + time.Microsecond)}, "bucket"},
		} {
			_, err := st.TicketAnalytics(ctx(t), c.q)
			requireCode(t, err, icc.EINVALID, c.field, fmt.Sprintf("%+v", c.q))
		}
		// The largest range allowed.
		got, err := st.TicketAnalytics(ctx(t), icc.TicketAnalyticsQuery{From: day0, To: day0.Add(icc.MaxBuckets * time.Hour), Bucket: icc.BucketHour})
		require.NoError(t, err)
		assert.Len(t, got.Volume, icc.MaxBuckets)
	})

	t.Run("Integrations", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		other := newIntegration(t, st)
		w0 := day0.Add(10 * time.Hour)
		var results []icc.CheckResult
		for _, c := range []struct {
			sec int
			ok  bool
			ns  int64
		}{
			{0, true, 120_000_000}, {30, true, 100_000_000}, {60, true, 95_500_400}, {120, false, 2_000_000_000},
			{180, true, 101_000_000}, {240, true, 87_250_999}, {300, true, 130_000_500}, {360, false, 5_000_000_000},
			{420, true, 99_999_999}, {480, true, 110_000_000}, {540, true, 100_000_001}, {3599, true, 90_000_000},
		} {
			results = append(results, icc.CheckResult{IntegrationID: in.ID, OK: c.ok, Latency: icc.Duration(c.ns),
				CheckedAt: w0.Add(time.Duration(c.sec) * time.Second)})
		}
		results = append(results,
			icc.CheckResult{IntegrationID: in.ID, OK: false, Latency: icc.Duration(time.Hour), CheckedAt: w0.Add(-time.Microsecond)},
			icc.CheckResult{IntegrationID: in.ID, OK: false, Latency: icc.Duration(time.Hour), CheckedAt: w0.Add(time.Hour)},
			icc.CheckResult{IntegrationID: other.ID, OK: false, Latency: icc.Duration(time.Hour), CheckedAt: w0.Add(time.Minute)})
		require.NoError(t, st.AddCheckResults(ctx(t), results))
		var logs []icc.IntegrationLog
		for i, l := range []struct {
			status int
			err    string
			ns     int64
		}{
			{200, "", 50_000_000}, {201, "", 75_500_000}, {302, "", 20_000_000}, {404, "", 30_000_000},
			{429, "", 15_000_000}, {500, "", 200_000_000}, {503, "", 250_000_500}, {0, "dial tcp: refused", 1_000_000_000},
			{200, "read: connection reset", 40_000_000}, {0, "", 5_000_000}, {600, "", 1_000_000}, {399, "", 10_000_000},
			{100, "", 2_000_000},
		} {
			logs = append(logs, icc.IntegrationLog{IntegrationID: in.ID, Method: "GET", StatusCode: l.status, Error: l.err,
				Latency: icc.Duration(l.ns), At: w0.Add(time.Duration(i) * time.Minute)})
		}
		logs = append(logs,
			icc.IntegrationLog{IntegrationID: in.ID, StatusCode: 500, Latency: icc.Duration(time.Hour), At: w0.Add(-time.Microsecond)},
			icc.IntegrationLog{IntegrationID: in.ID, StatusCode: 500, Latency: icc.Duration(time.Hour), At: w0.Add(time.Hour)},
			icc.IntegrationLog{IntegrationID: other.ID, StatusCode: 500, Latency: icc.Duration(time.Hour), At: w0.Add(time.Minute)})
		require.NoError(t, st.AddIntegrationLogs(ctx(t), logs))

		got, err := st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: in.ID, From: w0, To: w0.Add(time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, &icc.IntegrationStats{IntegrationID: in.ID, From: w0, To: w0.Add(time.Hour),
			Checks: 12, ChecksOK: 10, Uptime: 10.0 / 12.0,
			// The median lies halfway between 100000001 ns and 101 ms.
			CheckLatency: icc.LatencyPercentiles{P50: usd(100500), P95: usd(3350000), P99: usd(4670000)},
			Calls:        13, CallsOK: 5, SuccessRate: 5.0 / 13.0,
			CallLatency: icc.LatencyPercentiles{P50: usd(30000), P95: usd(550000), P99: usd(910000)},
			Errors:      icc.ErrorBreakdown{Transport: 2, Status4xx: 2, Status5xx: 2, Other: 2},
		}, got)

		// A window with nothing in it.
		empty := w0.Add(24 * time.Hour)
		got, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: in.ID, From: empty, To: empty.Add(time.Hour)})
		require.NoError(t, err)
		assert.Equal(t, &icc.IntegrationStats{IntegrationID: in.ID, From: empty, To: empty.Add(time.Hour)}, got)

		_, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: icc.NewID(), From: w0, To: w0.Add(time.Hour)})
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{From: w0, To: w0.Add(time.Hour)})
		requireCode(t, err, icc.EINVALID, "integration_id")
		_, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: in.ID, To: w0})
		requireCode(t, err, icc.EINVALID, "from")
		_, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: in.ID, From: w0})
		requireCode(t, err, icc.EINVALID, "to")
		_, err = st.IntegrationStats(ctx(t), icc.IntegrationStatsQuery{IntegrationID: in.ID, From: w0, To: w0})
		requireCode(t, err, icc.EINVALID, "to")
	})
}

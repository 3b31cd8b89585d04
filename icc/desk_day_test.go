package icc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// dayClassifier labels by keywords with two "models": kw/deep answers for
// urgent and sensitive texts, kw/fast for the rest; "???" fails.
type dayClassifier struct{}

func (dayClassifier) Classify(_ context.Context, req classify.Request) (classify.Result, error) {
	text := strings.ToLower(req.Text())
	if strings.Contains(text, "???") {
		return classify.Result{}, errors.New("cannot read the text")
	}
	r := classify.Result{Category: classify.CategoryGeneral, Priority: classify.PriorityMedium, Sentiment: classify.SentimentNeutral,
		Intent: "other", Confidence: 0.6, Model: "kw/fast"}
	switch {
	case strings.Contains(text, "lawyer"):
		r.Category, r.Priority, r.Escalate, r.Reasons = classify.CategorySensitive, classify.PriorityHigh, true, []classify.Reason{classify.ReasonLegalThreat}
		r.Confidence, r.Model = 0.95, "kw/deep"
	case strings.Contains(text, "invoice"):
		r.Category, r.Confidence = classify.CategoryBilling, 0.8
	case strings.Contains(text, "password"), strings.Contains(text, "error"):
		r.Category, r.Confidence = classify.CategoryTechnical, 0.9
	}
	if strings.Contains(text, "down") {
		r.Priority, r.Model = classify.PriorityUrgent, "kw/deep"
	}
	return r, nil
}

// TestDeskDay drives a whole day of a three-agent team with a fake clock
// through the Desk and checks the day's analytics exactly: tickets of every
// category arrive, get classified (one classification fails), routed and
// assigned round robin (technical, sensitive), least loaded (billing) and
// by hand (general); agents reply, the SLA watcher records breaches and
// escalates, an agent corrects a category, tickets are resolved, closed
// and rated.
func TestDeskDay(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(8 * time.Hour)}
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	router, err := icc.NewRouter(icc.RouterConfig{
		Queues: []icc.Queue{
			{Name: "technical", Strategy: icc.AssignRoundRobin, Skills: []string{"technical"}},
			{Name: "billing", Strategy: icc.AssignLeastLoaded, Skills: []string{"billing"}},
			{Name: "general", Strategy: icc.AssignManual},
			{Name: "sensitive", Strategy: icc.AssignRoundRobin, Skills: []string{"sensitive"}, Restricted: true},
		},
		Rules: []icc.RoutingRule{
			{Name: "technical", Categories: []icc.Category{icc.CategoryTechnical}, Queue: "technical"},
			{Name: "billing", Categories: []icc.Category{icc.CategoryBilling}, Queue: "billing"},
		},
		DefaultQueue: "general", SensitiveQueue: "sensitive",
	})
	require.NoError(t, err)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st, Classifier: dayClassifier{}, Router: router, Clock: clock})
	require.NoError(t, err)

	const a, b, c = "agent-a", "agent-b", "agent-c"
	for _, ag := range []*icc.Agent{
		{ID: a, Email: "a@example.com", Name: "Alice", Skills: []string{"technical", "sensitive"}},
		{ID: b, Email: "b@example.com", Name: "Bob", Skills: []string{"technical", "billing"}},
		{ID: c, Email: "c@example.com", Name: "Carol", Skills: []string{"billing"}},
	} {
		ag.Availability = icc.AvailabilityOnline
		require.NoError(t, st.CreateAgent(ctx, ag))
	}
	at := func(h, m int) {
		t.Helper()
		next := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
		require.False(t, next.Before(clock.Now()), "time runs forwards")
		clock.Advance(next.Sub(clock.Now()))
	}
	create := func(subject string) *icc.Ticket {
		t.Helper()
		tk, err := desk.CreateTicket(ctx, icc.NewTicket{Subject: subject, CustomerEmail: "customer@example.com"})
		require.NoError(t, err)
		return tk
	}
	agent := func(id string) icc.Actor { return icc.Actor{Type: icc.ActorAgent, ID: id} }
	reply := func(tk *icc.Ticket, by string) {
		t.Helper()
		_, err := desk.Reply(ctx, tk.ID, "On it.", false, agent(by))
		require.NoError(t, err)
	}
	update := func(tk *icc.Ticket, by string, u icc.TicketUpdate) {
		t.Helper()
		cur, err := st.GetTicket(ctx, tk.ID)
		require.NoError(t, err)
		u.Version = cur.Version
		_, err = desk.UpdateTicket(ctx, tk.ID, u, agent(by))
		require.NoError(t, err)
	}
	setStatus := func(tk *icc.Ticket, by string, s icc.TicketStatus) { update(tk, by, icc.TicketUpdate{Status: &s}) }
	rate := func(tk *icc.Ticket, rating int) {
		t.Helper()
		_, err := desk.Rate(ctx, tk.ID, rating, "", icc.Actor{Type: icc.ActorCustomer, ID: tk.CustomerID})
		require.NoError(t, err)
	}
	checkSLA := func(want int) {
		t.Helper()
		n, err := desk.CheckSLA(ctx)
		require.NoError(t, err)
		require.Equal(t, want, n, "breaches at %s", clock.Now().Format("15:04"))
	}

	at(8, 0)
	t1 := create("Password reset error") // technical: round robin starts with a
	require.Equal(t, a, t1.AssigneeID)
	at(8, 10)
	t2 := create("Invoice refund please") // billing: least loaded, b and c tie, b by id
	require.Equal(t, b, t2.AssigneeID)
	at(8, 15)
	reply(t1, a)
	at(8, 20)
	t3 := create("General question about opening hours") // general: manual
	require.Empty(t, t3.AssigneeID)
	at(8, 25)
	reply(t2, b)
	at(8, 30)
	t4 := create("My lawyer will hear about this") // sensitive, escalated: only a qualifies
	require.Equal(t, a, t4.AssigneeID)
	require.True(t, t4.Escalated)
	require.Equal(t, "sensitive", t4.Queue)
	at(8, 35)
	reply(t4, a)
	at(8, 40)
	t5 := create("Login error, the site is down") // technical urgent: round robin moves on to b
	require.Equal(t, b, t5.AssigneeID)
	require.Equal(t, icc.PriorityUrgent, t5.Priority)
	at(8, 45)
	update(t3, c, icc.TicketUpdate{AssigneeID: ptr(c)}) // c takes the general ticket by hand
	at(8, 50)
	t6 := create("??? garbled") // classification fails: general, manual
	require.NotEmpty(t, t6.Classification.Error)
	require.Empty(t, t6.AssigneeID)
	at(9, 0)
	t7 := create("Invoice double charged") // least loaded: b has 2 active, c 1
	require.Equal(t, c, t7.AssigneeID)
	checkSLA(1) // t5's first response was due at 08:55
	at(9, 5)
	reply(t3, c)
	at(9, 6)
	update(t3, c, icc.TicketUpdate{Category: ptr(icc.CategoryBilling)}) // the classifier was wrong
	at(9, 10)
	reply(t5, b)
	at(9, 20)
	reply(t7, c)
	at(9, 30)
	update(t6, a, icc.TicketUpdate{AssigneeID: ptr(a)})
	setStatus(t7, c, icc.StatusPending)
	at(9, 40)
	reply(t6, a)
	at(10, 0)
	setStatus(t1, a, icc.StatusResolved)
	at(10, 30)
	rate(t1, 5)
	at(11, 0)
	setStatus(t2, b, icc.StatusResolved)
	at(11, 10)
	rate(t2, 4)
	at(12, 0)
	setStatus(t3, c, icc.StatusResolved)
	at(12, 5)
	rate(t3, 3)
	at(12, 45)
	checkSLA(1) // t5's resolution was due at 12:40
	at(13, 40)
	setStatus(t5, b, icc.StatusResolved)
	at(14, 0)
	rate(t5, 1)
	at(14, 40)
	setStatus(t6, a, icc.StatusClosed)
	at(15, 0)
	t8 := create("Password expired") // round robin: back to a
	require.Equal(t, a, t8.AssigneeID)
	at(17, 0)
	checkSLA(1) // t4's resolution was due at 16:30; it escalates to urgent
	at(18, 0)

	got, err := st.TicketAnalytics(ctx, icc.TicketAnalyticsQuery{From: day, To: day.Add(24 * time.Hour), Bucket: icc.BucketHour})
	require.NoError(t, err)
	mins := func(m float64) icc.Duration { return icc.Duration(time.Duration(m * float64(time.Minute))) }
	volume := make([]icc.VolumeBucket, 24)
	for h := range volume {
		volume[h].Start = day.Add(time.Duration(h) * time.Hour)
	}
	volume[8].Count, volume[9].Count, volume[15].Count = 6, 1, 1
	// Confidences of the seven classified tickets, summed in ascending
	// order as the store does.
	var confSum float64
	for _, v := range []float64{0.6, 0.8, 0.8, 0.9, 0.9, 0.9, 0.95} {
		confSum += v
	}
	want := &icc.TicketAnalytics{From: day, To: day.Add(24 * time.Hour), Bucket: icc.BucketHour, Total: 8,
		ByStatus:   map[icc.TicketStatus]int{icc.StatusNew: 1, icc.StatusOpen: 1, icc.StatusPending: 1, icc.StatusResolved: 4, icc.StatusClosed: 1},
		ByCategory: map[icc.Category]int{icc.CategoryTechnical: 3, icc.CategoryBilling: 3, icc.CategoryGeneral: 1, icc.CategorySensitive: 1},
		ByPriority: map[icc.Priority]int{icc.PriorityLow: 0, icc.PriorityMedium: 6, icc.PriorityHigh: 0, icc.PriorityUrgent: 2},
		Volume:     volume,
		// First responses 5, 15, 15, 20, 30, 45, 50 min: mean 180/7 min,
		// median 20 min, p90 at position 5.4: 45 + 0.4·5 = 47 min.
		FirstResponse: icc.DurationStats{Count: 7, Mean: icc.Duration(1542857 * time.Millisecond), Median: mins(20), P90: mins(47)},
		// Resolutions 120, 170, 220, 300, 350 min: mean 232, median 220,
		// p90 at position 3.6: 300 + 0.6·50 = 330 min.
		Resolution: icc.DurationStats{Count: 5, Mean: mins(232), Median: mins(220), P90: mins(330)},
		// First response: six met, t5 breached, t8 pending. Resolution:
		// t1, t2, t3 and t6 met; t5 (late) and t4 (flagged) breached.
		SLA:  icc.SLAFigures{FirstResponseMet: 6, FirstResponseBreached: 1, ResolutionMet: 4, ResolutionBreached: 2, Compliance: 10.0 / 13.0},
		CSAT: icc.CSATFigures{Count: 4, Average: 3.25, Distribution: [5]int{1, 0, 1, 1, 1}},
		Agents: []icc.AgentFigures{
			{AgentID: a, Assigned: 4, Active: 2, Resolved: 2, MeanFirstResponse: icc.Duration(1400 * time.Second), MeanResolution: mins(235), CSATAverage: 5, CSATCount: 1},
			{AgentID: b, Assigned: 2, Active: 0, Resolved: 2, MeanFirstResponse: mins(22.5), MeanResolution: mins(235), CSATAverage: 2.5, CSATCount: 2},
			{AgentID: c, Assigned: 2, Active: 1, Resolved: 1, MeanFirstResponse: mins(32.5), MeanResolution: mins(220), CSATAverage: 3, CSATCount: 1},
		},
		Classifier: icc.ClassifierFigures{Classified: 7, ByModel: map[string]int{"kw/fast": 5, "kw/deep": 2}, Failed: 1,
			MeanConfidence: confSum / 7, Corrections: 1, CorrectionRate: 1.0 / 7},
	}
	assert.Equal(t, want, got)

	// The technical queue alone, in one day bucket.
	q := "technical"
	got, err = st.TicketAnalytics(ctx, icc.TicketAnalyticsQuery{From: day, To: day.Add(24 * time.Hour), Queue: &q})
	require.NoError(t, err)
	assert.Equal(t, 3, got.Total)
	assert.Equal(t, []icc.VolumeBucket{{Start: day, Count: 3}}, got.Volume)
	assert.Equal(t, icc.SLAFigures{FirstResponseMet: 1, FirstResponseBreached: 1, ResolutionMet: 1, ResolutionBreached: 1, Compliance: 0.5}, got.SLA)

	// The next day is empty.
	got, err = st.TicketAnalytics(ctx, icc.TicketAnalyticsQuery{From: day.Add(24 * time.Hour), To: day.Add(48 * time.Hour)})
	require.NoError(t, err)
	assert.Zero(t, got.Total)
	assert.Equal(t, []icc.VolumeBucket{{Start: day.Add(24 * time.Hour)}}, got.Volume)
}

package icc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// setPriority changes the ticket's priority as an agent would.
func (e *deskEnv) setPriority(t *testing.T, id string, p icc.Priority) *icc.Ticket {
	t.Helper()
	cur, err := e.store.GetTicket(e.ctx, id)
	require.NoError(t, err)
	got, err := e.desk.UpdateTicket(e.ctx, id, icc.TicketUpdate{Version: cur.Version, Priority: &p}, icc.Actor{Type: icc.ActorAgent, ID: "agent-1"})
	require.NoError(t, err)
	return got
}

// checkSLA runs the SLA watcher once and returns the breaches it recorded.
func (e *deskEnv) checkSLA(t *testing.T) int {
	t.Helper()
	n, err := e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	return n
}

func (e *deskEnv) stored(t *testing.T, id string) *icc.Ticket {
	t.Helper()
	got, err := e.store.GetTicket(e.ctx, id)
	require.NoError(t, err)
	return got
}

func (e *deskEnv) count(t *testing.T, id string, typ icc.TicketEventType, to string) int {
	t.Helper()
	evs, err := e.store.ListTicketEvents(e.ctx, id)
	require.NoError(t, err)
	n := 0
	for _, ev := range evs {
		if ev.Type == typ && ev.To == to {
			n++
		}
	}
	return n
}

func TestDeskPriorityChangeRecomputesSLADue(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityLow})
	require.NoError(t, err)
	created := tk.CreatedAt
	require.Equal(t, created.Add(8*time.Hour), *tk.FirstResponseDue)
	require.Equal(t, created.Add(72*time.Hour), *tk.ResolutionDue)

	e.clock.Advance(5 * time.Minute)
	got := e.setPriority(t, tk.ID, icc.PriorityUrgent)
	assert.Equal(t, created.Add(15*time.Minute), *got.FirstResponseDue, "counted from creation, not from the change")
	assert.Equal(t, created.Add(4*time.Hour), *got.ResolutionDue)
	stored := e.stored(t, tk.ID)
	assert.Equal(t, created.Add(15*time.Minute), *stored.FirstResponseDue, "stored")
	assert.Equal(t, created.Add(4*time.Hour), *stored.ResolutionDue)
	assert.Equal(t, 1, e.count(t, tk.ID, icc.EventPriorityChanged, string(icc.PriorityUrgent)))

	// The warning lead and the due time now come from the same target:
	// urgent's first response is at risk in its last 3 minutes.
	e.clock.Advance(created.Add(11 * time.Minute).Sub(e.clock.Now()))
	assert.Zero(t, e.checkSLA(t))
	assert.Zero(t, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"), "4 minutes left")
	e.clock.Advance(time.Minute)
	assert.Zero(t, e.checkSLA(t))
	assert.Equal(t, 1, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"), "3 minutes left")
	e.clock.Advance(3*time.Minute + time.Second)
	assert.Equal(t, 1, e.checkSLA(t), "breached past urgent's 15 minutes, not low's 8 hours")
	assert.True(t, e.stored(t, tk.ID).FirstResponseBreached)
}

func TestDeskPriorityChangeToAnOverdueTargetBreachesAtOnce(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityLow})
	require.NoError(t, err)
	e.clock.Advance(2 * time.Hour)
	assert.Zero(t, e.checkSLA(t))

	got := e.setPriority(t, tk.ID, icc.PriorityHigh)
	assert.Equal(t, tk.CreatedAt.Add(time.Hour), *got.FirstResponseDue, "already past")
	assert.Equal(t, 1, e.checkSLA(t))
	got = e.stored(t, tk.ID)
	assert.True(t, got.FirstResponseBreached)
	assert.False(t, got.ResolutionBreached)
	assert.Equal(t, icc.PriorityUrgent, got.Priority, "the breach raised it one level")
}

func TestDeskPriorityChangeKeepsMetAndBreachedTargets(t *testing.T) {
	t.Run("first response given", func(t *testing.T) {
		e := newDeskEnv(t, icc.DeskConfig{})
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"}) // medium: 4 h / 24 h
		require.NoError(t, err)
		e.clock.Advance(time.Hour)
		_, err = e.desk.Reply(e.ctx, tk.ID, "On it.", false, icc.Actor{Type: icc.ActorAgent, ID: "agent-1"})
		require.NoError(t, err)

		got := e.setPriority(t, tk.ID, icc.PriorityUrgent)
		assert.Equal(t, tk.CreatedAt.Add(4*time.Hour), *got.FirstResponseDue, "met: kept")
		assert.Equal(t, tk.CreatedAt.Add(4*time.Hour), *got.ResolutionDue, "open: urgent's 4 hours")
		assert.Zero(t, e.checkSLA(t), "a met target is not breached by the change")
		assert.False(t, e.stored(t, tk.ID).FirstResponseBreached)
	})
	t.Run("resolved in the same update", func(t *testing.T) {
		e := newDeskEnv(t, icc.DeskConfig{})
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityLow})
		require.NoError(t, err)
		e.clock.Advance(5 * time.Hour)
		resolved, urgent := icc.StatusResolved, icc.PriorityUrgent
		got, err := e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: &resolved, Priority: &urgent}, icc.Actor{Type: icc.ActorAgent, ID: "agent-1"})
		require.NoError(t, err)
		assert.Equal(t, tk.CreatedAt.Add(72*time.Hour), *got.ResolutionDue, "met: kept, so the resolution counts as on time")
	})
	t.Run("breached", func(t *testing.T) {
		e := newDeskEnv(t, icc.DeskConfig{})
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityLow})
		require.NoError(t, err)
		e.clock.Advance(8*time.Hour + time.Second)
		require.Equal(t, 1, e.checkSLA(t))

		got := e.setPriority(t, tk.ID, icc.PriorityLow) // medium after the breach
		assert.Equal(t, tk.CreatedAt.Add(8*time.Hour), *got.FirstResponseDue, "breached: kept")
		assert.True(t, got.FirstResponseBreached, "never un-set")
		assert.Equal(t, tk.CreatedAt.Add(72*time.Hour), *got.ResolutionDue)
		assert.Zero(t, e.checkSLA(t))
		assert.True(t, e.stored(t, tk.ID).FirstResponseBreached)

		e.clock.Advance(time.Hour)
		got = e.setPriority(t, tk.ID, icc.PriorityUrgent) // resolution due 4 h in: past
		assert.Equal(t, tk.CreatedAt.Add(4*time.Hour), *got.ResolutionDue)
		assert.Equal(t, 1, e.checkSLA(t))
		got = e.stored(t, tk.ID)
		assert.True(t, got.ResolutionBreached)

		got = e.setPriority(t, tk.ID, icc.PriorityLow)
		assert.Equal(t, tk.CreatedAt.Add(8*time.Hour), *got.FirstResponseDue, "breached: kept")
		assert.Equal(t, tk.CreatedAt.Add(4*time.Hour), *got.ResolutionDue, "breached: kept")
		assert.True(t, got.FirstResponseBreached)
		assert.True(t, got.ResolutionBreached, "never un-set")
	})
}

// TestDeskSLABreachBumpKeepsDueTimes checks that the watcher's own raise
// of the priority does not recompute the due times: a medium ticket whose
// missed first response is seen 9 hours in becomes high, and high's 8-hour
// resolution target would already be past, breach and raise it again.
func TestDeskSLABreachBumpKeepsDueTimes(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityMedium})
	require.NoError(t, err)
	e.clock.Advance(9 * time.Hour)
	require.Equal(t, 1, e.checkSLA(t))
	got := e.stored(t, tk.ID)
	assert.Equal(t, icc.PriorityHigh, got.Priority)
	assert.Equal(t, tk.CreatedAt.Add(4*time.Hour), *got.FirstResponseDue)
	assert.Equal(t, tk.CreatedAt.Add(24*time.Hour), *got.ResolutionDue, "medium's resolution target kept")
	for range 3 {
		assert.Zero(t, e.checkSLA(t), "no cascade")
	}
	got = e.stored(t, tk.ID)
	assert.Equal(t, icc.PriorityHigh, got.Priority)
	assert.False(t, got.ResolutionBreached)
}

func TestDeskPriorityChangeCountsBusinessHours(t *testing.T) {
	policy := icc.DefaultSLAPolicy()
	policy.BusinessHours = &icc.BusinessHours{Location: time.UTC, Open: 9 * time.Hour, Close: 17 * time.Hour,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
	e := newDeskEnv(t, icc.DeskConfig{SLA: &policy})
	e.clock.Advance(4*24*time.Hour + 8*time.Hour) // Friday 16:00
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com", Priority: icc.PriorityLow})
	require.NoError(t, err)
	e.clock.Advance(2 * 24 * time.Hour) // Sunday 16:00

	got := e.setPriority(t, tk.ID, icc.PriorityUrgent)
	assert.Equal(t, time.Date(2026, 3, 6, 16, 15, 0, 0, time.UTC), *got.FirstResponseDue, "15 business minutes after Friday 16:00")
	assert.Equal(t, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), *got.ResolutionDue, "1 business hour on Friday, 3 on Monday")
}

// TestDeskSLAAtRiskAgainForAMovedDueTime checks that a warning about one
// due time does not silence the warning about the due time a priority
// change set.
func TestDeskSLAAtRiskAgainForAMovedDueTime(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"}) // medium: 4 h, at risk in its last 48 min
	require.NoError(t, err)
	e.clock.Advance(3*time.Hour + 30*time.Minute)
	assert.Zero(t, e.checkSLA(t))
	require.Equal(t, 1, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"))

	e.setPriority(t, tk.ID, icc.PriorityLow) // 8 h, at risk in its last 96 min
	assert.Zero(t, e.checkSLA(t))
	assert.Equal(t, 1, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"), "not at risk under the new target")
	e.clock.Advance(3 * time.Hour) // 6 h 30 min: 90 minutes left
	assert.Zero(t, e.checkSLA(t))
	assert.Equal(t, 2, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"), "warned about the new due time")
	assert.Zero(t, e.checkSLA(t))
	assert.Equal(t, 2, e.count(t, tk.ID, icc.EventSLAAtRisk, "first_response"), "once")
}

// TestDeskResponseAtDueTimeMeetsTarget: a first response at exactly its due
// time meets the target, whether the SLA watcher looked before or after
// it, as analytics counts it.
func TestDeskResponseAtDueTimeMeetsTarget(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := e.agent(t, "Ann", 5)
	var tickets []*icc.Ticket
	for range 2 {
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Down", CustomerEmail: "c@example.com", Priority: icc.PriorityUrgent})
		require.NoError(t, err)
		tickets = append(tickets, tk)
	}
	e.clock.Advance(tickets[0].FirstResponseDue.Sub(e.clock.Now()))
	_, err := e.desk.Reply(e.ctx, tickets[0].ID, "On it.", false, icc.Actor{Type: icc.ActorAgent, ID: ann.ID})
	require.NoError(t, err)
	assert.Zero(t, e.checkSLA(t), "at the due time nothing is breached yet")
	_, err = e.desk.Reply(e.ctx, tickets[1].ID, "On it.", false, icc.Actor{Type: icc.ActorAgent, ID: ann.ID})
	require.NoError(t, err)
	for _, tk := range tickets {
		got := e.stored(t, tk.ID)
		assert.False(t, got.FirstResponseBreached)
		assert.True(t, got.FirstResponseAt.Equal(*got.FirstResponseDue))
	}
	e.clock.Advance(time.Second)
	assert.Zero(t, e.checkSLA(t), "answered: nothing to breach")
}

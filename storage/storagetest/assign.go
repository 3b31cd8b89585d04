package storagetest

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) assign(t *testing.T) {
	t.Run("Rules", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		ann := newAgent(t, st, func(a *icc.Agent) { a.Capacity = 2 })
		bob := newAgent(t, st, func(a *icc.Agent) { a.Capacity = 1 })
		t1, t2, t3 := newTicket(t, st, c.ID), newTicket(t, st, c.ID), newTicket(t, st, c.ID)

		got, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: t1.ID, AgentID: ann.ID,
			Event: icc.TicketEvent{ActorType: icc.ActorSystem, To: ann.ID}})
		require.NoError(t, err)
		assert.Equal(t, ann.ID, got.AssigneeID)
		assert.Equal(t, t1.Version+1, got.Version)
		requireStamped(t, got.UpdatedAt, "updated_at")
		stored, err := st.GetTicket(ctx(t), t1.ID)
		require.NoError(t, err)
		assert.Equal(t, got, stored)
		evs, err := st.ListTicketEvents(ctx(t), t1.ID)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, icc.EventAssigned, evs[0].Type, "event type is filled in")
		assert.Equal(t, ann.ID, evs[0].To)
		assert.Equal(t, t1.ID, evs[0].TicketID)

		// Version zero requires an unassigned ticket.
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t1.ID, AgentID: bob.ID})
		requireCode(t, err, icc.ECONFLICT, "")
		// A stale version is refused; the current one reassigns.
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t1.ID, AgentID: bob.ID, Version: t1.Version})
		requireCode(t, err, icc.ECONFLICT, "")
		got, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t1.ID, AgentID: bob.ID, Version: got.Version})
		require.NoError(t, err)
		assert.Equal(t, bob.ID, got.AssigneeID)

		// Bob is at capacity (1).
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t2.ID, AgentID: bob.ID})
		requireCode(t, err, icc.ECONFLICT, "")
		loads, err := st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{bob.ID: 1}, loads)

		// Unknown agents are refused, unknown tickets are not found.
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t2.ID, AgentID: icc.NewID()})
		requireCode(t, err, icc.ECONFLICT, "")
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: icc.NewID(), AgentID: ann.ID})
		requireCode(t, err, icc.ENOTFOUND, "")

		// Inactive tickets cannot be assigned.
		t3.Status = icc.StatusResolved
		require.NoError(t, st.UpdateTicket(ctx(t), t3))
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: t3.ID, AgentID: ann.ID})
		requireCode(t, err, icc.ECONFLICT, "")

		// A failed assignment changes nothing.
		for _, tk := range []*icc.Ticket{t2, t3} {
			stored, err := st.GetTicket(ctx(t), tk.ID)
			require.NoError(t, err)
			assert.Equal(t, tk, stored)
			evs, err := st.ListTicketEvents(ctx(t), tk.ID)
			require.NoError(t, err)
			assert.Empty(t, evs)
		}

		// Resolving bob's ticket frees his capacity.
		got.Status = icc.StatusResolved
		require.NoError(t, st.UpdateTicket(ctx(t), got))
		loads, err = st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, loads)
		got2, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: t2.ID, AgentID: bob.ID})
		require.NoError(t, err)
		assert.Equal(t, bob.ID, got2.AssigneeID)

		// Unassigning with the current version.
		un, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: t2.ID, Version: got2.Version})
		require.NoError(t, err)
		assert.Empty(t, un.AssigneeID)
		evs, err = st.ListTicketEvents(ctx(t), t2.ID)
		require.NoError(t, err)
		require.Len(t, evs, 2)
		assert.Equal(t, icc.EventUnassigned, evs[1].Type)
		page, err := st.ListTickets(ctx(t), icc.TicketFilter{AssigneeID: ptr("")})
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{t2.ID, t3.ID}, ids(page.Items, ticketID))
	})

	t.Run("WithUpdate", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		ann := newAgent(t, st, func(a *icc.Agent) { a.Capacity = 2 })
		full := newAgent(t, st, func(a *icc.Agent) { a.Capacity = 1 })
		newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.AssigneeID = full.ID })
		tk := newTicket(t, st, c.ID)

		// update returns tk with new status, priority and category, and the
		// events that describe the change.
		update := func(tk *icc.Ticket, status icc.TicketStatus) (*icc.Ticket, []icc.TicketEvent) {
			u := *tk
			u.Tags = slices.Clone(tk.Tags)
			u.Status, u.Priority, u.Category = status, icc.PriorityUrgent, icc.CategoryBilling
			return &u, []icc.TicketEvent{
				{Type: icc.EventStatusChanged, From: string(tk.Status), To: string(status)},
				{Type: icc.EventPriorityChanged, From: string(tk.Priority), To: string(icc.PriorityUrgent)},
			}
		}
		requireUnchanged := func(t *testing.T, want *icc.Ticket, events int, msg string) {
			t.Helper()
			stored, err := st.GetTicket(ctx(t), want.ID)
			require.NoError(t, err)
			assert.Equal(t, want, stored, msg)
			evs, err := st.ListTicketEvents(ctx(t), want.ID)
			require.NoError(t, err)
			assert.Len(t, evs, events, msg)
		}

		// An update with an assignment to an agent at capacity stores nothing.
		u, evs := update(tk, icc.StatusOpen)
		_, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: full.ID, Version: tk.Version,
			Update: u, Events: evs, Event: icc.TicketEvent{To: full.ID}})
		requireCode(t, err, icc.ECONFLICT, "")
		requireUnchanged(t, tk, 0, "refused by capacity")

		// So does one with a stale version, or one that leaves the ticket
		// inactive.
		u, evs = update(tk, icc.StatusOpen)
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: ann.ID, Version: tk.Version + 1, Update: u, Events: evs})
		requireCode(t, err, icc.ECONFLICT, "")
		requireUnchanged(t, tk, 0, "stale version")
		u, evs = update(tk, icc.StatusResolved)
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: ann.ID, Version: tk.Version, Update: u, Events: evs})
		requireCode(t, err, icc.ECONFLICT, "")
		requireUnchanged(t, tk, 0, "resolved by the update")

		// An update needs the version and a valid ticket.
		u, evs = update(tk, icc.StatusOpen)
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: ann.ID, Update: u, Events: evs})
		requireCode(t, err, icc.EINVALID, "version")
		u, evs = update(tk, icc.StatusOpen)
		u.Priority = "asap"
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: ann.ID, Version: tk.Version, Update: u, Events: evs})
		requireCode(t, err, icc.EINVALID, "priority")
		requireUnchanged(t, tk, 0, "invalid update")

		// A successful one stores every change under one new version, with
		// the update's events before the assignment's.
		u, evs = update(tk, icc.StatusOpen)
		got, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: tk.ID, AgentID: ann.ID, Version: tk.Version,
			Update: u, Events: evs, Event: icc.TicketEvent{ActorType: icc.ActorAgent, ActorID: ann.ID, To: ann.ID}})
		require.NoError(t, err)
		assert.Equal(t, tk.Version+1, got.Version)
		assert.Equal(t, ann.ID, got.AssigneeID)
		assert.Equal(t, icc.StatusOpen, got.Status)
		assert.Equal(t, icc.PriorityUrgent, got.Priority)
		assert.Equal(t, icc.CategoryBilling, got.Category)
		assert.Equal(t, tk.Number, got.Number)
		assert.Equal(t, tk.CreatedAt, got.CreatedAt)
		requireStamped(t, got.UpdatedAt, "updated_at")
		stored, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, got, stored)
		trail, err := st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		require.Len(t, trail, 3)
		for i, want := range []icc.TicketEventType{icc.EventStatusChanged, icc.EventPriorityChanged, icc.EventAssigned} {
			assert.Equal(t, want, trail[i].Type)
			assert.Equal(t, tk.ID, trail[i].TicketID)
		}

		// An update may reactivate a resolved ticket while assigning it.
		done := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.Status = icc.StatusResolved })
		u, evs = update(done, icc.StatusOpen)
		got, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: done.ID, AgentID: ann.ID, Version: done.Version, Update: u, Events: evs})
		require.NoError(t, err)
		assert.Equal(t, icc.StatusOpen, got.Status)
		assert.Equal(t, ann.ID, got.AssigneeID)
		loads, err := st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{ann.ID: 2, full.ID: 1}, loads)
	})

	t.Run("AgentLoads", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		ann, bob, cy := newAgent(t, st), newAgent(t, st), newAgent(t, st)
		loads, err := st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Empty(t, loads)
		for i, spec := range []struct {
			agent  string
			status icc.TicketStatus
		}{
			{ann.ID, icc.StatusNew}, {ann.ID, icc.StatusOpen}, {ann.ID, icc.StatusPending},
			{ann.ID, icc.StatusResolved}, {bob.ID, icc.StatusOpen}, {bob.ID, icc.StatusClosed},
			{cy.ID, icc.StatusClosed}, {"", icc.StatusOpen},
		} {
			_ = i
			newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.AssigneeID, tk.Status = spec.agent, spec.status })
		}
		loads, err = st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, map[string]int{ann.ID: 3, bob.ID: 1}, loads)
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		const capacity = 2
		agents := make([]*icc.Agent, 3)
		for i := range agents {
			agents[i] = newAgent(t, st, func(a *icc.Agent) { a.Capacity = capacity })
		}
		tickets := make([]*icc.Ticket, 20)
		for i := range tickets {
			tickets[i] = newTicket(t, st, c.ID)
		}
		var (
			mu      sync.Mutex
			wins    = map[string][]string{} // ticket -> agents
			other   atomic.Int64
			wg      sync.WaitGroup
			workers = 50
		)
		for g := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), 7))
				order := rng.Perm(len(tickets))
				for _, ti := range order {
					// Try every agent, starting at a different one per worker.
					for k := range agents {
						a := agents[(g+k)%len(agents)]
						_, err := st.AssignTicket(ctx(t), icc.Assignment{TicketID: tickets[ti].ID, AgentID: a.ID})
						if err == nil {
							mu.Lock()
							wins[tickets[ti].ID] = append(wins[tickets[ti].ID], a.ID)
							mu.Unlock()
							break
						}
						if icc.ErrorCode(err) != icc.ECONFLICT {
							other.Add(1)
							t.Errorf("assign: want ECONFLICT, got %v", err)
						}
					}
				}
			})
		}
		wg.Wait()
		require.Zero(t, other.Load())
		perAgent := map[string]int{}
		for tid, as := range wins {
			assert.Len(t, as, 1, "ticket %s assigned more than once: %v", tid, as)
			perAgent[as[0]]++
		}
		assert.Len(t, wins, len(agents)*capacity, "every slot is filled once")
		for _, a := range agents {
			assert.LessOrEqual(t, perAgent[a.ID], capacity)
		}
		loads, err := st.AgentLoads(ctx(t))
		require.NoError(t, err)
		assert.Equal(t, perAgent, loads)
		for _, tk := range tickets {
			got, err := st.GetTicket(ctx(t), tk.ID)
			require.NoError(t, err)
			if as, ok := wins[tk.ID]; ok {
				assert.Equal(t, as[0], got.AssigneeID)
				assert.Equal(t, int64(2), got.Version)
			} else {
				assert.Empty(t, got.AssigneeID)
				assert.Equal(t, int64(1), got.Version)
			}
		}
	})
}

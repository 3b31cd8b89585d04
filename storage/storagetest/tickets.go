package storagetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) tickets(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		tk := &icc.Ticket{Subject: "Invoice missing", CustomerID: c.ID}
		require.NoError(t, st.CreateTicket(ctx(t), tk))
		require.NotEmpty(t, tk.ID)
		assert.Positive(t, tk.Number)
		assert.Equal(t, icc.StatusNew, tk.Status)
		assert.Equal(t, icc.ChannelWeb, tk.Channel)
		assert.Equal(t, icc.PriorityMedium, tk.Priority)
		assert.Equal(t, icc.CategoryGeneral, tk.Category)
		assert.Equal(t, []string{}, tk.Tags)
		assert.Equal(t, int64(1), tk.Version)
		requireStamped(t, tk.CreatedAt, "created_at")
		requireStamped(t, tk.UpdatedAt, "updated_at")

		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, tk, got)
		_, err = st.GetTicket(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		a := newAgent(t, st)
		conv := newConversation(t, st)
		loc := time.FixedZone("UTC+5:30", 5*3600+1800)
		due := time.Date(2026, 2, 3, 4, 5, 6, 789123456, loc)
		tk := &icc.Ticket{
			Subject: "Refund please", Body: "Charged twice.\nTwice!", CustomerID: c.ID,
			Channel: icc.ChannelEmail, Category: icc.CategoryBilling, Priority: icc.PriorityUrgent,
			Status: icc.StatusOpen, Queue: "billing", AssigneeID: a.ID, Tags: []string{"refund", "vip"},
			ConversationID: conv.ID,
			Classification: &icc.Classification{
				Model: "offline/v1", Category: icc.CategoryBilling, Priority: icc.PriorityUrgent,
				Intent: "refund", Confidence: 0.875, Sentiment: classify.SentimentNegative, SentimentScore: -0.5,
				Escalate: true, Reasons: []classify.Reason{classify.ReasonAnger, classify.ReasonChurnRisk},
				SuggestedReply: "Sorry about that.", Error: "",
			},
			FirstResponseDue: ptr(due), ResolutionDue: ptr(due.Add(time.Hour)),
			FirstResponseAt: ptr(due.Add(-time.Minute)), ResolvedAt: ptr(due.Add(2 * time.Hour)),
			ClosedAt:              ptr(due.Add(3 * time.Hour)),
			FirstResponseBreached: true, ResolutionBreached: true, Escalated: true,
			Satisfaction: &icc.Satisfaction{Rating: 4, Comment: "ok", RatedAt: due.Add(4 * time.Hour)},
			CreatedAt:    due.Add(-time.Hour),
		}
		require.NoError(t, st.CreateTicket(ctx(t), tk))
		requireUTC(t, due, *tk.FirstResponseDue, "first_response_due written back")
		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, tk, got)
		requireUTC(t, due, *got.FirstResponseDue, "first_response_due")
		requireUTC(t, due.Add(time.Hour), *got.ResolutionDue, "resolution_due")
		requireUTC(t, due.Add(-time.Minute), *got.FirstResponseAt, "first_response_at")
		requireUTC(t, due.Add(2*time.Hour), *got.ResolvedAt, "resolved_at")
		requireUTC(t, due.Add(3*time.Hour), *got.ClosedAt, "closed_at")
		requireUTC(t, due.Add(4*time.Hour), got.Satisfaction.RatedAt, "rated_at")
		requireUTC(t, due.Add(-time.Hour), got.CreatedAt, "created_at")

		// Optional fields cleared by an update read back as cleared.
		got.Classification = nil
		got.Satisfaction = nil
		got.FirstResponseDue = nil
		got.AssigneeID = ""
		got.Tags = []string{}
		require.NoError(t, st.UpdateTicket(ctx(t), got))
		again, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		requireCode(t, st.CreateTicket(ctx(t), &icc.Ticket{CustomerID: c.ID}), icc.EINVALID, "subject")
		requireCode(t, st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x"}), icc.EINVALID, "customer_id")
		requireCode(t, st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x", CustomerID: c.ID, Priority: "asap"}), icc.EINVALID, "priority")
		requireCode(t, st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x", CustomerID: c.ID, Status: "lost"}), icc.EINVALID, "status")
		// An invalid event stores neither ticket nor events.
		err := st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x", CustomerID: c.ID},
			icc.TicketEvent{Type: icc.EventCreated}, icc.TicketEvent{Type: icc.EventNote, Data: json.RawMessage("{")})
		requireCode(t, err, icc.EINVALID, "data")
		err = st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x", CustomerID: c.ID}, icc.TicketEvent{})
		requireCode(t, err, icc.EINVALID, "type")
		page, err := st.ListTickets(ctx(t), icc.TicketFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)

		tk := newTicket(t, st, c.ID)
		bad := *tk
		bad.Subject = " "
		requireCode(t, st.UpdateTicket(ctx(t), &bad), icc.EINVALID, "subject")
		missing := icc.Ticket{ID: icc.NewID(), Subject: "x", CustomerID: c.ID, Version: 1}
		requireCode(t, st.UpdateTicket(ctx(t), &missing), icc.ENOTFOUND, "")

		_, err = st.ListTickets(ctx(t), icc.TicketFilter{Status: ptr(icc.TicketStatus("lost"))})
		requireCode(t, err, icc.EINVALID, "status")
		_, err = st.ListTickets(ctx(t), icc.TicketFilter{Category: ptr(icc.Category("misc"))})
		requireCode(t, err, icc.EINVALID, "category")
		_, err = st.ListTickets(ctx(t), icc.TicketFilter{Priority: ptr(icc.Priority("asap"))})
		requireCode(t, err, icc.EINVALID, "priority")
		_, err = st.ListTickets(ctx(t), icc.TicketFilter{Sort: "random"})
		requireCode(t, err, icc.EINVALID, "sort")
	})

	t.Run("Text", func(t *testing.T) {
		// Text that PostgreSQL cannot hold (a NUL byte, invalid UTF-8) is
		// EINVALID naming the field in every backend, never an internal
		// error, and stores nothing.
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		mk := func(mod func(*icc.Ticket)) *icc.Ticket {
			tk := &icc.Ticket{Subject: "Help", Body: "Something broke", CustomerID: c.ID}
			mod(tk)
			return tk
		}
		for _, bad := range []string{"a\x00b", "\x00", "a\xffb"} {
			requireCode(t, st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) { tk.Subject = bad })), icc.EINVALID, "subject", fmt.Sprintf("%q", bad))
			requireCode(t, st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) { tk.Body = bad })), icc.EINVALID, "body", fmt.Sprintf("%q", bad))
			requireCode(t, st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) { tk.Tags = []string{"ok", bad} })), icc.EINVALID, "tags", fmt.Sprintf("%q", bad))
			requireCode(t, st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) { tk.Queue = bad })), icc.EINVALID, "queue", fmt.Sprintf("%q", bad))
			requireCode(t, st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) {}), icc.TicketEvent{Type: icc.EventNote, Body: bad}), icc.EINVALID, "body", fmt.Sprintf("%q", bad))
			_, err := st.ListTickets(ctx(t), icc.TicketFilter{Text: bad})
			requireCode(t, err, icc.EINVALID, "text", fmt.Sprintf("%q", bad))
		}
		err := st.CreateTicket(ctx(t), mk(func(tk *icc.Ticket) {
			tk.Classification = &icc.Classification{Model: "m", Category: icc.CategoryGeneral, Priority: icc.PriorityLow, SuggestedReply: "a\x00b"}
		}))
		requireCode(t, err, icc.EINVALID, "classification.suggested_reply")
		page, err := st.ListTickets(ctx(t), icc.TicketFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)

		tk := newTicket(t, st, c.ID)
		bad := *tk
		bad.Body = "a\x00b"
		requireCode(t, st.UpdateTicket(ctx(t), &bad), icc.EINVALID, "body")
		requireCode(t, st.UpdateTicket(ctx(t), tk, icc.TicketEvent{Type: icc.EventReply, Body: "a\x00b"}), icc.EINVALID, "body")
		requireCode(t, st.AddTicketEvents(ctx(t), tk.ID, icc.TicketEvent{Type: icc.EventNote, Body: "a\x00b"}), icc.EINVALID, "body")
		evs, err := st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Empty(t, evs)
		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, tk, got)

		// No record has such an id: looking one up is ENOTFOUND.
		for _, id := range []string{"a\x00b", "a\xffb"} {
			_, err = st.GetTicket(ctx(t), id)
			requireCode(t, err, icc.ENOTFOUND, "", fmt.Sprintf("%q", id))
			_, err = st.ListTicketEvents(ctx(t), id)
			requireCode(t, err, icc.ENOTFOUND, "", fmt.Sprintf("%q", id))
			requireCode(t, st.AddTicketEvents(ctx(t), id, icc.TicketEvent{Type: icc.EventNote}), icc.ENOTFOUND, "", fmt.Sprintf("%q", id))
		}
	})

	t.Run("Tags", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		// Tags are trimmed and duplicates dropped, keeping the first; spaces
		// and colons inside a tag are fine (incident tags have both).
		tk := newTicket(t, st, c.ID, func(tk *icc.Ticket) {
			tk.Tags = []string{" vip ", "incident:Mock ERP", "vip", "refund", "incident:Mock ERP", "Ärger"}
		})
		want := []string{"vip", "incident:Mock ERP", "refund", "Ärger"}
		assert.Equal(t, want, tk.Tags)
		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got.Tags)

		long := strings.Repeat("x", icc.MaxTagLen)
		many := make([]string, icc.MaxTags)
		for i := range many {
			many[i] = fmt.Sprint("tag", i)
		}
		newTicket(t, st, c.ID, func(tk *icc.Ticket) {
			tk.Tags = append([]string{long, strings.Repeat("é", icc.MaxTagLen)}, many[2:]...)
		})
		for _, tags := range [][]string{
			{""}, {"   "}, {"a\tb"}, {"a\nb"}, {"a\x7fb"}, {long + "x"},
			append(slices.Clone(many), "one too many"),
		} {
			err := st.CreateTicket(ctx(t), &icc.Ticket{Subject: "x", CustomerID: c.ID, Tags: tags})
			requireCode(t, err, icc.EINVALID, "tags", fmt.Sprintf("%q", tags))
		}
		bad := *got
		bad.Tags = []string{"ok", ""}
		requireCode(t, st.UpdateTicket(ctx(t), &bad), icc.EINVALID, "tags")
		// Duplicates beyond the limit count once.
		dup := append(slices.Clone(many), many...)
		tk = newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.Tags = dup })
		assert.Equal(t, many, tk.Tags)
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		tk := &icc.Ticket{Subject: "Login fails", CustomerID: c.ID}
		require.NoError(t, st.CreateTicket(ctx(t), tk,
			icc.TicketEvent{Type: icc.EventCreated, ActorType: icc.ActorCustomer, ActorID: c.ID, Body: "opened"},
			icc.TicketEvent{Type: icc.EventClassified, Data: json.RawMessage(`{"category":"technical","confidence":0.9}`)},
			icc.TicketEvent{Type: icc.EventRouted, From: "", To: "tech"},
		))
		evs, err := st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		require.Len(t, evs, 3)
		assert.Equal(t, []icc.TicketEventType{icc.EventCreated, icc.EventClassified, icc.EventRouted},
			[]icc.TicketEventType{evs[0].Type, evs[1].Type, evs[2].Type})
		for _, e := range evs {
			assert.NotEmpty(t, e.ID)
			assert.Equal(t, tk.ID, e.TicketID)
			requireStamped(t, e.CreatedAt, "event created_at")
		}
		assert.Equal(t, icc.ActorCustomer, evs[0].ActorType)
		assert.Equal(t, c.ID, evs[0].ActorID)
		assert.Equal(t, "opened", evs[0].Body)
		assert.Equal(t, icc.ActorSystem, evs[1].ActorType, "actor type defaults to system")
		assert.JSONEq(t, `{"category":"technical","confidence":0.9}`, string(evs[1].Data))
		assert.Equal(t, "tech", evs[2].To)

		when := time.Date(2020, 1, 1, 0, 0, 0, 999, time.FixedZone("X", -7200))
		require.NoError(t, st.AddTicketEvents(ctx(t), tk.ID,
			icc.TicketEvent{Type: icc.EventNote, ActorType: icc.ActorAgent, Body: "looking", CreatedAt: when},
			icc.TicketEvent{Type: icc.EventReply, Body: "fixed"}))
		tk.Status = icc.StatusOpen
		require.NoError(t, st.UpdateTicket(ctx(t), tk, icc.TicketEvent{Type: icc.EventStatusChanged, From: "new", To: "open"}))
		evs, err = st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		require.Len(t, evs, 6)
		for i := 1; i < len(evs); i++ {
			assert.False(t, evs[i].CreatedAt.Before(evs[i-1].CreatedAt), "events oldest first")
		}
		var note icc.TicketEvent
		for _, e := range evs {
			if e.Type == icc.EventNote {
				note = e
			}
		}
		requireUTC(t, when, note.CreatedAt, "event created_at")
		assert.Equal(t, icc.EventNote, evs[0].Type, "an event dated earlier sorts first")
		assert.Equal(t, icc.EventStatusChanged, evs[len(evs)-1].Type)

		// Invalid events and unknown tickets store nothing.
		err = st.AddTicketEvents(ctx(t), tk.ID, icc.TicketEvent{Type: icc.EventNote}, icc.TicketEvent{Type: ""})
		requireCode(t, err, icc.EINVALID, "type")
		err = st.AddTicketEvents(ctx(t), icc.NewID(), icc.TicketEvent{Type: icc.EventNote})
		requireCode(t, err, icc.ENOTFOUND, "")
		stale := *tk
		stale.Version--
		requireCode(t, st.UpdateTicket(ctx(t), &stale, icc.TicketEvent{Type: icc.EventNote}), icc.ECONFLICT, "")
		evs, err = st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Len(t, evs, 6)

		// Events are copies.
		evs[0].Body = "changed"
		evs[2].Data[0] = ' '
		again, err := st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, icc.EventClassified, again[2].Type)
		assert.JSONEq(t, `{"category":"technical","confidence":0.9}`, string(again[2].Data))
		assert.Equal(t, "looking", again[0].Body)
	})

	t.Run("Number", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		var prev int64
		for range 5 {
			tk := newTicket(t, st, c.ID)
			assert.Greater(t, tk.Number, prev)
			prev = tk.Number
			got, err := st.GetTicket(ctx(t), tk.ID)
			require.NoError(t, err)
			assert.Equal(t, tk.Number, got.Number)
		}
		var wg sync.WaitGroup
		nums := make([]int64, 20)
		for i := range nums {
			wg.Go(func() {
				tk := &icc.Ticket{Subject: "concurrent", CustomerID: c.ID}
				if assert.NoError(t, st.CreateTicket(ctx(t), tk)) {
					nums[i] = tk.Number
				}
			})
		}
		wg.Wait()
		slices.Sort(nums)
		assert.Equal(t, len(nums), len(slices.Compact(slices.Clone(nums))), "numbers are unique: %v", nums)
		assert.Greater(t, nums[0], prev)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		tk := newTicket(t, st, c.ID)
		orig := *tk
		tk.Status = icc.StatusPending
		tk.Priority = icc.PriorityHigh
		tk.Tags = []string{"waiting"}
		tk.Queue = "tier2"
		require.NoError(t, st.UpdateTicket(ctx(t), tk))
		assert.Equal(t, int64(2), tk.Version)
		requireStamped(t, tk.UpdatedAt, "updated_at")
		assert.False(t, tk.UpdatedAt.Before(orig.UpdatedAt))

		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, tk, got)
		assert.Equal(t, orig.Number, got.Number)
		assert.Equal(t, orig.CreatedAt, got.CreatedAt)

		orig.Subject = "stale"
		requireCode(t, st.UpdateTicket(ctx(t), &orig), icc.ECONFLICT, "")
		got, err = st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, tk, got)
	})

	t.Run("ConcurrentUpdate", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		tk := newTicket(t, st, newCustomer(t, st).ID)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				v := *tk
				v.Tags = []string{"racer"}
				v.Queue = string(rune('a' + i))
				errs[i] = st.UpdateTicket(ctx(t), &v, icc.TicketEvent{Type: icc.EventNote})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				requireCode(t, err, icc.ECONFLICT, "")
			}
		}
		assert.Equal(t, 1, won)
		evs, err := st.ListTicketEvents(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Len(t, evs, 1, "only the winner's event is stored")
	})

	t.Run("OneTicketPerConversation", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		conv := icc.NewID()
		first := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.ConversationID = conv })
		requireConversationTaken(t, st.CreateTicket(ctx(t), &icc.Ticket{Subject: "again", CustomerID: c.ID, ConversationID: conv}), conv)
		// Tickets without a conversation are not limited.
		plain := newTicket(t, st, c.ID)
		newTicket(t, st, c.ID)

		plain.ConversationID = conv
		requireConversationTaken(t, st.UpdateTicket(ctx(t), plain), conv)
		got, err := st.GetTicket(ctx(t), plain.ID)
		require.NoError(t, err)
		assert.Empty(t, got.ConversationID)
		a := newAgent(t, st)
		got.ConversationID = conv
		_, err = st.AssignTicket(ctx(t), icc.Assignment{TicketID: got.ID, AgentID: a.ID, Version: got.Version, Update: got})
		requireConversationTaken(t, err, conv)
		// The first keeps it and may be written; another conversation is free.
		first.Subject = "still mine"
		require.NoError(t, st.UpdateTicket(ctx(t), first))
		got.ConversationID = icc.NewID()
		require.NoError(t, st.UpdateTicket(ctx(t), got))

		// Racing creations: one wins.
		race := icc.NewID()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				errs[i] = st.CreateTicket(ctx(t), &icc.Ticket{Subject: "race", CustomerID: c.ID, ConversationID: race})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				requireConversationTaken(t, err, race)
			}
		}
		assert.Equal(t, 1, won)
	})

	t.Run("Copies", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		tk := newTicket(t, st, c.ID, func(tk *icc.Ticket) {
			tk.Tags = []string{"a", "b"}
			tk.Classification = &icc.Classification{Model: "m", Category: icc.CategoryBilling, Priority: icc.PriorityLow,
				Reasons: []classify.Reason{classify.ReasonAnger}}
			tk.FirstResponseDue = ptr(at(10))
		})
		// Changing the caller's value after Create does not change the store.
		tk.Tags[0] = "mutated"
		tk.Classification.Model = "mutated"
		*tk.FirstResponseDue = at(99)

		got, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b"}, got.Tags)
		assert.Equal(t, "m", got.Classification.Model)
		assert.Equal(t, at(10), *got.FirstResponseDue)

		// Changing a returned value does not change the store.
		got.Tags[0] = "mutated"
		got.Classification.Reasons[0] = "mutated"
		*got.FirstResponseDue = at(99)
		page, err := st.ListTickets(ctx(t), icc.TicketFilter{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		page.Items[0].Tags[1] = "mutated"
		again, err := st.GetTicket(ctx(t), tk.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "b"}, again.Tags)
		assert.Equal(t, []classify.Reason{classify.ReasonAnger}, again.Classification.Reasons)
		assert.Equal(t, at(10), *again.FirstResponseDue)
	})

	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c1, c2 := newCustomer(t, st), newCustomer(t, st)
		ag := newAgent(t, st)
		mk := func(n int, mod func(*icc.Ticket)) *icc.Ticket {
			return newTicket(t, st, c1.ID, func(tk *icc.Ticket) { tk.CreatedAt = at(n); mod(tk) })
		}
		t0 := mk(0, func(tk *icc.Ticket) { tk.Category = icc.CategoryBilling; tk.Queue = "billing" })
		t1 := mk(1, func(tk *icc.Ticket) {
			tk.Priority = icc.PriorityUrgent
			tk.Status = icc.StatusOpen
			tk.AssigneeID = ag.ID
		})
		t2 := mk(2, func(tk *icc.Ticket) { tk.CustomerID = c2.ID; tk.Category = icc.CategoryTechnical; tk.Queue = "tech" })
		t3 := mk(3, func(tk *icc.Ticket) {
			tk.Status = icc.StatusClosed
			tk.Priority = icc.PriorityLow
			tk.Queue = "billing"
		})
		all := []*icc.Ticket{t0, t1, t2, t3}

		list := func(f icc.TicketFilter) []string {
			t.Helper()
			page, err := st.ListTickets(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, ticketID)
		}
		newest := ids(reversed(all), ticketID)
		assert.Equal(t, newest, list(icc.TicketFilter{}))
		assert.Equal(t, newest, list(icc.TicketFilter{Sort: icc.SortNewest}))
		assert.Equal(t, ids(all, ticketID), list(icc.TicketFilter{Sort: icc.SortOldest}))
		assert.Equal(t, []string{t1.ID}, list(icc.TicketFilter{Status: ptr(icc.StatusOpen)}))
		assert.Equal(t, []string{t2.ID, t0.ID}, list(icc.TicketFilter{Status: ptr(icc.StatusNew)}))
		assert.Equal(t, []string{t0.ID}, list(icc.TicketFilter{Category: ptr(icc.CategoryBilling)}))
		assert.Equal(t, []string{t1.ID}, list(icc.TicketFilter{Priority: ptr(icc.PriorityUrgent)}))
		assert.Equal(t, []string{t0.ID, t3.ID}, list(icc.TicketFilter{Queue: ptr("billing"), Sort: icc.SortOldest}))
		assert.Equal(t, []string{t1.ID}, list(icc.TicketFilter{Queue: ptr("")}))
		assert.Equal(t, []string{t1.ID}, list(icc.TicketFilter{AssigneeID: ptr(ag.ID)}))
		assert.Equal(t, []string{t3.ID, t2.ID, t0.ID}, list(icc.TicketFilter{AssigneeID: ptr("")}))
		assert.Equal(t, []string{t2.ID}, list(icc.TicketFilter{CustomerID: ptr(c2.ID)}))
		assert.Equal(t, []string{t2.ID, t1.ID}, list(icc.TicketFilter{CreatedFrom: at(1), CreatedTo: at(3)}))
		assert.Equal(t, []string{t3.ID, t2.ID, t1.ID}, list(icc.TicketFilter{CreatedFrom: at(1)}))
		assert.Equal(t, []string{t0.ID}, list(icc.TicketFilter{CreatedTo: at(1)}))
		// A non-UTC bound is the same instant.
		assert.Equal(t, []string{t1.ID}, list(icc.TicketFilter{CreatedFrom: at(1).In(time.FixedZone("Y", 3600)), CreatedTo: at(2).In(time.FixedZone("Z", -3600))}))
		assert.Equal(t, []string{t3.ID}, list(icc.TicketFilter{Status: ptr(icc.StatusClosed), Priority: ptr(icc.PriorityLow), Queue: ptr("billing"), CustomerID: ptr(c1.ID), AssigneeID: ptr(""), Category: ptr(icc.CategoryGeneral)}))
		assert.Empty(t, list(icc.TicketFilter{Status: ptr(icc.StatusClosed), Queue: ptr("tech")}))
	})

	t.Run("ByConversation", func(t *testing.T) {
		// ConversationID finds the one ticket made from a conversation
		// (chat's repair of an interrupted conversion), whether or not the
		// conversation names it; a pointer to "" keeps the others.
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		conv, other := newConversation(t, st), newConversation(t, st)
		plain := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.CreatedAt = at(0) })
		made := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.ConversationID = conv.ID; tk.CreatedAt = at(1) })
		moved := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.ConversationID = icc.NewID(); tk.CreatedAt = at(2) })
		list := func(f icc.TicketFilter) []string {
			t.Helper()
			page, err := st.ListTickets(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, ticketID)
		}
		assert.Equal(t, []string{made.ID}, list(icc.TicketFilter{ConversationID: &conv.ID}))
		page, err := st.ListTickets(ctx(t), icc.TicketFilter{ConversationID: &conv.ID, Limit: 1})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, made, page.Items[0], "the whole ticket")
		assert.Empty(t, list(icc.TicketFilter{ConversationID: &other.ID}))
		assert.Empty(t, list(icc.TicketFilter{ConversationID: ptr(icc.NewID())}))
		assert.Equal(t, []string{plain.ID}, list(icc.TicketFilter{ConversationID: ptr("")}))
		assert.Empty(t, list(icc.TicketFilter{ConversationID: &conv.ID, Status: ptr(icc.StatusClosed)}), "with the other filters")

		// A ticket moved to another conversation is found there only.
		moved.ConversationID = other.ID
		require.NoError(t, st.UpdateTicket(ctx(t), moved))
		assert.Equal(t, []string{moved.ID}, list(icc.TicketFilter{ConversationID: &other.ID}))
		assert.Equal(t, []string{made.ID}, list(icc.TicketFilter{ConversationID: &conv.ID}))

		for _, bad := range []string{"a\x00b", "\x00", "a\xffb"} {
			_, err := st.ListTickets(ctx(t), icc.TicketFilter{ConversationID: ptr(bad)})
			requireCode(t, err, icc.EINVALID, "conversation_id", fmt.Sprintf("%q", bad))
		}
	})

	t.Run("Search", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st)
		mk := func(n int, subject, body string) *icc.Ticket {
			return newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.Subject, tk.Body, tk.CreatedAt = subject, body, at(n) })
		}
		t0 := mk(0, "Invoice missing", "Where is my INVOICE for March?")
		t1 := mk(1, "50% discount not applied", "Coupon code SPRING_50 failed")
		t2 := mk(2, "Password reset", "The reset link says 500 error")
		t3 := mk(3, "foo", "bar")
		t4 := mk(4, `Path C:\temp`, "user_name field")
		list := func(q string) []string {
			t.Helper()
			page, err := st.ListTickets(ctx(t), icc.TicketFilter{Text: q, Sort: icc.SortOldest})
			require.NoError(t, err)
			return ids(page.Items, ticketID)
		}
		assert.Equal(t, []string{t0.ID}, list("invoice"))
		assert.Equal(t, []string{t0.ID}, list("  InVoIcE   march "))
		assert.Equal(t, []string{t0.ID}, list("voic"), "substring")
		assert.Equal(t, []string{t0.ID}, list("missing march"), "terms may be in different fields")
		assert.Empty(t, list("invoice april"), "every term must match")
		assert.Equal(t, []string{t1.ID}, list("50%"))
		assert.Equal(t, []string{t1.ID}, list("%"))
		assert.Empty(t, list("5%0"))
		assert.Equal(t, []string{t1.ID, t2.ID}, list("50"))
		assert.Equal(t, []string{t1.ID}, list("spring_50"))
		assert.Equal(t, []string{t1.ID, t4.ID}, list("_"))
		assert.Empty(t, list("spring_5x"))
		assert.Empty(t, list("user_nam_"))
		assert.Empty(t, list("r_e"), "_ is not a wildcard")
		assert.Empty(t, list("p%d"), "% is not a wildcard")
		assert.Equal(t, []string{t4.ID}, list(`c:\temp`))
		assert.Equal(t, []string{t4.ID}, list(`\`))
		assert.Empty(t, list("foobar"), "a term does not span fields")
		assert.Equal(t, []string{t3.ID}, list("foo bar"))
		assert.Len(t, list(""), 5)
		assert.Len(t, list("   "), 5)
	})
}

// requireConversationTaken asserts that err is the conflict every backend
// gives for a second ticket of one conversation (see
// icc.ConversationTicketTaken).
func requireConversationTaken(t *testing.T, err error, conversationID string) {
	t.Helper()
	requireCode(t, err, icc.ECONFLICT, "conversation_id")
	assert.Equal(t, icc.ErrorMessage(icc.ConversationTicketTaken(conversationID, nil)), icc.ErrorMessage(err))
}

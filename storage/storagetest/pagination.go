package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// listing describes one paginated list for the pagination tests.
type listing struct {
	name string
	// desc is true for lists ordered newest first.
	desc bool
	// add stores one row sorted by key and returns its id.
	add func(t *testing.T, st icc.Backend, key time.Time) string
	// list returns one page: the ids and sort keys of its items.
	list func(t *testing.T, st icc.Backend, cursor string, limit int) (ids []string, keys []time.Time, next string, err error)
}

func pageOf[T any](page icc.Page[T], err error, id func(T) string, key func(T) time.Time) ([]string, []time.Time, string, error) {
	if err != nil {
		return nil, nil, "", err
	}
	ids := make([]string, len(page.Items))
	keys := make([]time.Time, len(page.Items))
	for i, it := range page.Items {
		ids[i], keys[i] = id(it), key(it)
	}
	return ids, keys, page.Next, nil
}

func listings() []listing {
	return []listing{
		{name: "Customers", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				return newCustomer(t, st, func(c *icc.Customer) { c.CreatedAt = k }).ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListCustomers(ctx(t), icc.CustomerFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, customerID, func(c *icc.Customer) time.Time { return c.CreatedAt })
			}},
		{name: "Agents", desc: false,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				return newAgent(t, st, func(a *icc.Agent) { a.CreatedAt = k }).ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListAgents(ctx(t), icc.AgentFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, agentID, func(a *icc.Agent) time.Time { return a.CreatedAt })
			}},
		{name: "TicketsNewest", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				return newTicket(t, st, fixedCustomer(t, st), func(tk *icc.Ticket) { tk.CreatedAt = k }).ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListTickets(ctx(t), icc.TicketFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, ticketID, func(tk *icc.Ticket) time.Time { return tk.CreatedAt })
			}},
		{name: "TicketsOldest", desc: false,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				return newTicket(t, st, fixedCustomer(t, st), func(tk *icc.Ticket) { tk.CreatedAt = k }).ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListTickets(ctx(t), icc.TicketFilter{Cursor: cur, Limit: n, Sort: icc.SortOldest})
				return pageOf(p, err, ticketID, func(tk *icc.Ticket) time.Time { return tk.CreatedAt })
			}},
		{name: "Conversations", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				c := &icc.Conversation{CustomerID: fixedCustomer(t, st), CreatedAt: k}
				require.NoError(t, st.CreateConversation(ctx(t), c))
				return c.ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListConversations(ctx(t), icc.ConversationFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, conversationID, func(c *icc.Conversation) time.Time { return c.CreatedAt })
			}},
		{name: "CheckResults", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				in := fixedIntegration(t, st)
				id := icc.NewID()
				require.NoError(t, st.AddCheckResults(ctx(t), []icc.CheckResult{{ID: id, IntegrationID: in, OK: true, CheckedAt: k}}))
				return id
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListCheckResults(ctx(t), icc.CheckResultFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, resultID, func(r icc.CheckResult) time.Time { return r.CheckedAt })
			}},
		{name: "Logs", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				in := fixedIntegration(t, st)
				id := icc.NewID()
				require.NoError(t, st.AddIntegrationLogs(ctx(t), []icc.IntegrationLog{{ID: id, IntegrationID: in, Method: "GET", At: k}}))
				return id
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.SearchIntegrationLogs(ctx(t), icc.LogFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, logID, func(l icc.IntegrationLog) time.Time { return l.At })
			}},
		{name: "Maintenance", desc: false,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				m := &icc.MaintenanceWindow{IntegrationID: fixedIntegration(t, st), StartsAt: k, EndsAt: k.Add(time.Hour)}
				require.NoError(t, st.CreateMaintenance(ctx(t), m))
				return m.ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListMaintenance(ctx(t), icc.MaintenanceFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, maintenanceID, func(m *icc.MaintenanceWindow) time.Time { return m.StartsAt })
			}},
		{name: "Alerts", desc: true,
			add: func(t *testing.T, st icc.Backend, k time.Time) string {
				a := &icc.Alert{IntegrationID: fixedIntegration(t, st), DedupKey: unique("k-"), FiredAt: k}
				require.NoError(t, st.CreateAlert(ctx(t), a))
				return a.ID
			},
			list: func(t *testing.T, st icc.Backend, cur string, n int) ([]string, []time.Time, string, error) {
				p, err := st.ListAlerts(ctx(t), icc.AlertFilter{Cursor: cur, Limit: n})
				return pageOf(p, err, alertID, func(a *icc.Alert) time.Time { return a.FiredAt })
			}},
	}
}

// fixedIntegration returns the id of an integration named "paging",
// creating it on first use in st.
func fixedIntegration(t *testing.T, st icc.Backend) string {
	t.Helper()
	l, err := st.ListIntegrations(ctx(t), icc.IntegrationFilter{})
	require.NoError(t, err)
	for _, in := range l {
		if in.Name == "paging" {
			return in.ID
		}
	}
	return newIntegration(t, st, func(in *icc.Integration) { in.Name = "paging" }).ID
}

// fixedCustomer returns the id of the customer paging@example.com,
// creating it on first use in st.
func fixedCustomer(t *testing.T, st icc.Backend) string {
	t.Helper()
	c, err := st.GetCustomerByEmail(ctx(t), "paging@example.com")
	if err == nil {
		return c.ID
	}
	requireCode(t, err, icc.ENOTFOUND, "")
	return newCustomer(t, st, func(c *icc.Customer) { c.Email = "paging@example.com" }).ID
}

func (s *suite) pagination(t *testing.T) {
	for _, l := range listings() {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			st := s.open(t)
			// Twelve rows: ten distinct keys, and two keys shared by two
			// rows each, so the id tie-breaker is exercised.
			keys := []int{0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9}
			pre := map[string]time.Time{}
			for _, k := range keys {
				pre[l.add(t, st, at(k*10))] = icc.Timestamp(at(k * 10))
			}

			_, _, _, err := l.list(t, st, "not-a-cursor!", 3)
			requireCode(t, err, icc.EINVALID, "cursor")
			_, _, _, err = l.list(t, st, "e30", 3) // valid base64 of "{}": no id
			requireCode(t, err, icc.EINVALID, "cursor")

			// Page through, inserting rows before, between and after the
			// existing ones (and on existing keys) between pages.
			seen := map[string]int{}
			var order []string
			var lastKey time.Time
			cursor := ""
			for page := 0; ; page++ {
				require.Less(t, page, 50, "pagination does not end")
				ids, ks, next, err := l.list(t, st, cursor, 3)
				require.NoError(t, err)
				require.LessOrEqual(t, len(ids), 3)
				for i, id := range ids {
					seen[id]++
					require.Equal(t, 1, seen[id], "row %s repeated", id)
					order = append(order, id)
					if !lastKey.IsZero() {
						if l.desc {
							require.False(t, ks[i].After(lastKey), "newest first")
						} else {
							require.False(t, ks[i].Before(lastKey), "oldest first")
						}
					}
					lastKey = ks[i]
				}
				if next == "" {
					break
				}
				require.Len(t, ids, 3, "only the last page is short")
				l.add(t, st, at(page*10+5)) // between existing keys
				l.add(t, st, at(page*10))   // on an existing key
				l.add(t, st, at(-100-page)) // before everything
				l.add(t, st, at(1000+page)) // after everything
				cursor = next
			}
			for id := range pre {
				assert.Equal(t, 1, seen[id], "pre-existing row %s seen exactly once", id)
			}
			assert.GreaterOrEqual(t, len(order), len(pre))

			// A last page that is exactly full has no Next.
			total := 0
			cursor = ""
			for {
				ids, _, next, err := l.list(t, st, cursor, 4)
				require.NoError(t, err)
				total += len(ids)
				if next == "" {
					break
				}
				cursor = next
			}
			require.Zero(t, total%4, "test setup: %d rows should be a multiple of 4", total)
			ids, _, next, err := l.list(t, st, "", total)
			require.NoError(t, err)
			assert.Len(t, ids, total)
			assert.Empty(t, next, "Next is empty on the last page")
		})
	}
}

// times checks that times round-trip in UTC at microsecond precision
// through every kind of record that takes a time from the caller.
func (s *suite) times(t *testing.T) {
	st := s.open(t)
	zone := time.FixedZone("odd", -(3*3600 + 27*60))
	tm := time.Date(2026, 10, 25, 1, 30, 45, 987654321, zone)

	c := newCustomer(t, st, func(c *icc.Customer) { c.CreatedAt = tm })
	requireUTC(t, tm, c.CreatedAt, "customer created_at written back")
	gc, err := st.GetCustomer(ctx(t), c.ID)
	require.NoError(t, err)
	requireUTC(t, tm, gc.CreatedAt, "customer created_at")

	a := newAgent(t, st, func(a *icc.Agent) { a.CreatedAt = tm })
	ga, err := st.GetAgent(ctx(t), a.ID)
	require.NoError(t, err)
	requireUTC(t, tm, ga.CreatedAt, "agent created_at")

	cv := &icc.Conversation{CustomerID: c.ID, CreatedAt: tm}
	require.NoError(t, st.CreateConversation(ctx(t), cv))
	gcv, err := st.GetConversation(ctx(t), cv.ID)
	require.NoError(t, err)
	requireUTC(t, tm, gcv.CreatedAt, "conversation created_at")

	tk := newTicket(t, st, c.ID, func(tk *icc.Ticket) { tk.CreatedAt = tm })
	page, err := st.ListTickets(ctx(t), icc.TicketFilter{CreatedFrom: tm, CreatedTo: tm.Add(time.Microsecond)})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "a time filter with the caller's time finds the row")
	requireUTC(t, tm, page.Items[0].CreatedAt, "ticket created_at")
	assert.Equal(t, tk.ID, page.Items[0].ID)

	in := newIntegration(t, st, func(in *icc.Integration) { in.CreatedAt = tm })
	gin, err := st.GetIntegration(ctx(t), in.ID)
	require.NoError(t, err)
	requireUTC(t, tm, gin.CreatedAt, "integration created_at")

	m := &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: tm, EndsAt: tm.Add(time.Hour), CreatedAt: tm}
	require.NoError(t, st.CreateMaintenance(ctx(t), m))
	gm, err := st.GetMaintenance(ctx(t), m.ID)
	require.NoError(t, err)
	requireUTC(t, tm, gm.CreatedAt, "maintenance created_at")
	requireUTC(t, tm.Add(time.Hour), gm.EndsAt, "maintenance ends_at")

	// A cursor made from a page round-trips the microsecond key.
	for i := range 3 {
		newCustomer(t, st, func(c *icc.Customer) { c.CreatedAt = tm.Add(time.Duration(i+1) * time.Nanosecond * 1500) })
	}
	var all []string
	cursor := ""
	for {
		p, err := st.ListCustomers(ctx(t), icc.CustomerFilter{Limit: 1, Cursor: cursor})
		require.NoError(t, err)
		all = append(all, ids(p.Items, customerID)...)
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	assert.Len(t, all, 4, fmt.Sprint("keys a microsecond apart page correctly: ", all))
}

// store checks Ping.
func (s *suite) store(t *testing.T) {
	st := s.open(t)
	require.NoError(t, st.Ping(ctx(t)))

	t.Run("UseAfterClose", func(t *testing.T) {
		// A closed backend answers every call with EUNAVAILABLE, so that
		// code tested on one backend fails the same way on the other.
		b := s.open(t)
		c := &icc.Customer{Email: "closed@example.com", Name: "Closed"}
		require.NoError(t, b.CreateCustomer(ctx(t), c))
		require.NoError(t, b.Close())
		require.ErrorIs(t, b.Ping(ctx(t)), icc.ErrUnavailable)
		_, err := b.GetCustomer(ctx(t), c.ID)
		require.ErrorIs(t, err, icc.ErrUnavailable)
		_, err = b.ListTickets(ctx(t), icc.TicketFilter{})
		require.ErrorIs(t, err, icc.ErrUnavailable)
		err = b.CreateCustomer(ctx(t), &icc.Customer{Email: "late@example.com", Name: "Late"})
		require.ErrorIs(t, err, icc.ErrUnavailable)
		err = b.Publish(ctx(t), icc.Event{Topic: icc.TopicTickets, Type: "x", ID: "1"})
		require.ErrorIs(t, err, icc.ErrUnavailable)
	})
}

package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/icclabs/commandcenter/icc"
)

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()

	_, err := Open(ctx, Config{})
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
	assert.Equal(t, "url", icc.ErrorField(err))

	_, err = Open(ctx, Config{URL: "postgres://u:secret@host:notaport/db"})
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
	assert.Contains(t, err.Error(), "invalid database URL")
	assert.NotContains(t, err.Error(), "secret", "the password is redacted")

	_, err = Open(ctx, Config{URL: "postgres://localhost/db", Schema: "Bad-Schema"})
	assert.Equal(t, "schema", icc.ErrorField(err))

	// Nothing listens on port 1.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = Open(ctx, Config{URL: "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, icc.ErrUnavailable), "unreachable database is EUNAVAILABLE: %v", err)
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	const n = 8
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = Open(context.Background(), Config{URL: testURL(t), Schema: schema, Logger: testLogger(t)})
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var applied int
	require.NoError(t, stores[0].db.NewSelect().Table("bun_migrations").ColumnExpr("count(*)").Scan(context.Background(), &applied))
	entries, err := migrationFiles.ReadDir("migrations")
	require.NoError(t, err)
	assert.Equal(t, len(entries), applied, "every migration applied exactly once")

	// Migrating again is a no-op; every store works.
	require.NoError(t, stores[n-1].Migrate(context.Background()))
	c := &icc.Customer{Email: "a@example.com"}
	require.NoError(t, stores[3].CreateCustomer(context.Background(), c))
	got, err := stores[5].GetCustomer(context.Background(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)
}

func TestSkipMigrate(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s, err := Open(context.Background(), Config{URL: testURL(t), Schema: schema, SkipMigrate: true})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetCustomer(context.Background(), "x")
	require.Error(t, err, "no tables yet")
	require.NoError(t, s.Migrate(context.Background()))
	_, err = s.GetCustomer(context.Background(), "x")
	assert.True(t, errors.Is(err, icc.ErrNotFound))
}

func TestTextSearchEscapesWildcards(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	subjects := []string{`100% broken`, `1000 broken`, `snake_case`, `snakeXcase`, `back\slash`, `backslash`, "Ünïcode CASE"}
	for _, sub := range subjects {
		require.NoError(t, s.CreateTicket(ctx, &icc.Ticket{Subject: sub, CustomerID: "c"}))
	}
	search := func(q string) []string {
		p, err := s.ListTickets(ctx, icc.TicketFilter{Text: q, Sort: icc.SortOldest})
		require.NoError(t, err)
		var out []string
		for _, tk := range p.Items {
			out = append(out, tk.Subject)
		}
		return out
	}
	assert.Equal(t, []string{`100% broken`}, search("0%"))
	assert.Equal(t, []string{`snake_case`}, search("E_C"))
	assert.Equal(t, []string{`back\slash`}, search(`k\s`))
	assert.Equal(t, []string{"Ünïcode CASE"}, search("ünïcode case"))
	assert.Equal(t, []string{`100% broken`, `1000 broken`}, search("BROKEN 10"))
	assert.Empty(t, search("broken snake"), "every term must match")

	// The same semantics for customers and logs.
	require.NoError(t, s.CreateCustomer(ctx, &icc.Customer{Email: "a_b@example.com", Name: "Ann", Account: "50% off"}))
	require.NoError(t, s.CreateCustomer(ctx, &icc.Customer{Email: "axb@example.com", Name: "Bob", Account: "500 off"}))
	cs, err := s.ListCustomers(ctx, icc.CustomerFilter{Text: "A_B 0%"})
	require.NoError(t, err)
	require.Len(t, cs.Items, 1)
	assert.Equal(t, "Ann", cs.Items[0].Name)

	in := &icc.Integration{Name: "CRM"}
	require.NoError(t, s.CreateIntegration(ctx, in))
	now := time.Now()
	require.NoError(t, s.AddIntegrationLogs(ctx, []icc.IntegrationLog{
		{IntegrationID: in.ID, Method: "GET", Endpoint: "/customers/{id}", URL: "https://crm/customers/1", StatusCode: 200, At: now},
		{IntegrationID: in.ID, Method: "POST", Endpoint: "/orders", URL: "https://crm/orders", StatusCode: 502, Error: "bad gateway", At: now},
	}))
	logs, err := s.SearchIntegrationLogs(ctx, icc.LogFilter{Text: "{ID} get"})
	require.NoError(t, err)
	require.Len(t, logs.Items, 1)
	assert.Equal(t, "GET", logs.Items[0].Method)
	logs, err = s.SearchIntegrationLogs(ctx, icc.LogFilter{Text: "gateway orders"})
	require.NoError(t, err)
	require.Len(t, logs.Items, 1)
	assert.Equal(t, icc.LevelError, logs.Items[0].Level)
}

func TestPaginationUnderInserts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		// Pairs share a creation time, so the id breaks ties.
		require.NoError(t, s.CreateTicket(ctx, &icc.Ticket{Subject: fmt.Sprint(i), CustomerID: "c", CreatedAt: base.Add(time.Duration(i/2) * time.Minute)}))
	}
	seen := map[string]bool{}
	cursor := ""
	for {
		p, err := s.ListTickets(ctx, icc.TicketFilter{Limit: 7, Cursor: cursor})
		require.NoError(t, err)
		for _, tk := range p.Items {
			require.False(t, seen[tk.ID], "ticket %s repeated", tk.Subject)
			seen[tk.ID] = true
		}
		// Newer tickets arrive between pages; they sort before the cursor.
		require.NoError(t, s.CreateTicket(ctx, &icc.Ticket{Subject: "new", CustomerID: "c"}))
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	assert.Len(t, seen, 30, "no ticket that existed was skipped")
}

func TestIntegrationDeleteCascades(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	in := &icc.Integration{Name: "ERP", Kind: icc.KindERP}
	require.NoError(t, s.CreateIntegration(ctx, in))
	err := s.CreateIntegration(ctx, &icc.Integration{Name: "ERP"})
	assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err), "names are unique")

	now := time.Now()
	require.NoError(t, s.AddCheckResults(ctx, []icc.CheckResult{{IntegrationID: in.ID, OK: true, CheckedAt: now}}))
	require.NoError(t, s.AddIntegrationLogs(ctx, []icc.IntegrationLog{{IntegrationID: in.ID, At: now}}))
	mw := &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now, EndsAt: now.Add(time.Hour)}
	require.NoError(t, s.CreateMaintenance(ctx, mw))
	al := &icc.Alert{IntegrationID: in.ID, DedupKey: "erp-down", FiredAt: now}
	require.NoError(t, s.CreateAlert(ctx, al))
	err = s.CreateAlert(ctx, &icc.Alert{IntegrationID: in.ID, DedupKey: "erp-down", FiredAt: now})
	assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err), "one unresolved alert per dedup key")

	require.NoError(t, s.DeleteIntegration(ctx, in.ID))
	assert.True(t, errors.Is(s.DeleteIntegration(ctx, in.ID), icc.ErrNotFound))
	for _, table := range []string{"check_results", "integration_logs", "maintenance_windows", "alerts"} {
		n, err := s.db.NewSelect().Table(table).Count(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, table)
	}
	err = s.AddCheckResults(ctx, []icc.CheckResult{{IntegrationID: in.ID, CheckedAt: now}})
	assert.True(t, errors.Is(err, icc.ErrNotFound), "results of an unknown integration: %v", err)
}

func TestAssignTicketNeverOverCapacity(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	agents := make([]*icc.Agent, 4)
	for i := range agents {
		agents[i] = &icc.Agent{Email: fmt.Sprintf("a%d@example.com", i), Name: "A", Capacity: 3}
		require.NoError(t, s.CreateAgent(ctx, agents[i]))
	}
	tickets := make([]*icc.Ticket, 40)
	for i := range tickets {
		tickets[i] = &icc.Ticket{Subject: "help", CustomerID: "c"}
		require.NoError(t, s.CreateTicket(ctx, tickets[i]))
	}
	// Every goroutine tries to give every ticket to one agent.
	var ok atomic.Int64
	var wg sync.WaitGroup
	for _, a := range agents {
		for _, tk := range tickets {
			wg.Go(func() {
				_, err := s.AssignTicket(ctx, icc.Assignment{TicketID: tk.ID, AgentID: a.ID})
				if err == nil {
					ok.Add(1)
				} else if icc.ErrorCode(err) != icc.ECONFLICT {
					t.Errorf("assign: %v", err)
				}
			})
		}
	}
	wg.Wait()
	assert.EqualValues(t, 12, ok.Load(), "four agents with capacity 3")
	loads, err := s.AgentLoads(ctx)
	require.NoError(t, err)
	for _, a := range agents {
		assert.Equal(t, 3, loads[a.ID])
	}
	assigned := 0
	for _, tk := range tickets {
		got, err := s.GetTicket(ctx, tk.ID)
		require.NoError(t, err)
		evs, err := s.ListTicketEvents(ctx, tk.ID)
		require.NoError(t, err)
		if got.AssigneeID != "" {
			assigned++
			require.Len(t, evs, 1, "assigned once")
			assert.Equal(t, icc.EventAssigned, evs[0].Type)
			assert.Equal(t, got.AssigneeID, evs[0].To)
			assert.EqualValues(t, 2, got.Version)
		} else {
			assert.Empty(t, evs)
		}
	}
	assert.Equal(t, 12, assigned)
}

func TestAppendMessagesConcurrently(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	convs := make([]string, 5)
	for i := range convs {
		c := &icc.Conversation{CustomerID: "c"}
		require.NoError(t, s.CreateConversation(ctx, c))
		convs[i] = c.ID
	}
	const workers, batches = 100, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				var batch []icc.NewMessage
				for i, conv := range convs {
					// Client ids repeat across workers (w%10), and each
					// batch repeats its first message.
					m := icc.NewMessage{ConversationID: conv, ClientID: fmt.Sprintf("w%d-b%d-%d", w%10, b, i),
						SenderType: icc.SenderCustomer, Body: "hi"}
					batch = append(batch, m)
					if i == 0 {
						batch = append(batch, m)
					}
				}
				batch = append(batch, icc.NewMessage{ConversationID: convs[w%5], SenderType: icc.SenderBot, Body: "no client id"})
				out, err := s.AppendMessages(ctx, batch)
				if !assert.NoError(t, err) {
					return
				}
				assert.True(t, out[1].Duplicate, "repeated in the batch")
				assert.Equal(t, out[0].Message, out[1].Message)
			}
		})
	}
	wg.Wait()
	for i, conv := range convs {
		msgs, err := s.ListMessages(ctx, conv, 0, icc.MaxLimit)
		require.NoError(t, err)
		// 10 distinct client id prefixes × 5 batches, plus 20 workers × 5
		// batches without client id.
		want := 10*batches + workers/5*batches
		require.Len(t, msgs, want, "conversation %d", i)
		clients := map[string]bool{}
		for j, m := range msgs {
			require.EqualValues(t, j+1, m.Seq, "gap-free")
			if m.ClientID != "" {
				require.False(t, clients[m.ClientID], "client id stored once")
				clients[m.ClientID] = true
			}
		}
		c, err := s.GetConversation(ctx, conv)
		require.NoError(t, err)
		assert.EqualValues(t, want, c.LastSeq)
		assert.NotNil(t, c.LastMessageAt)
	}
}

func TestAppendMessagesUnknownConversationStoresNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	c := &icc.Conversation{CustomerID: "c"}
	require.NoError(t, s.CreateConversation(ctx, c))
	_, err := s.AppendMessages(ctx, []icc.NewMessage{
		{ConversationID: c.ID, SenderType: icc.SenderAgent, Body: "a"},
		{ConversationID: "nope", SenderType: icc.SenderAgent, Body: "b"},
	})
	assert.True(t, errors.Is(err, icc.ErrNotFound), "%v", err)
	msgs, err := s.ListMessages(ctx, c.ID, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, msgs)
}

func TestLeases(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	ok, err := s.Acquire(ctx, "probe:crm", "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = s.Acquire(ctx, "probe:crm", "b", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "held by a")
	ok, err = s.Acquire(ctx, "probe:crm", "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "a renews")
	require.NoError(t, s.Release(ctx, "probe:crm", "b"), "releasing another's lease is not an error")
	ok, _ = s.Acquire(ctx, "probe:crm", "b", time.Minute)
	assert.False(t, ok)
	require.NoError(t, s.Release(ctx, "probe:crm", "a"))
	ok, _ = s.Acquire(ctx, "probe:crm", "b", 50*time.Millisecond)
	assert.True(t, ok, "free after release")
	require.Eventually(t, func() bool {
		ok, err := s.Acquire(ctx, "probe:crm", "c", time.Minute)
		return err == nil && ok
	}, 5*time.Second, 20*time.Millisecond, "taken over after expiry")

	_, err = s.Acquire(ctx, "", "a", time.Minute)
	assert.Equal(t, "name", icc.ErrorField(err))
	_, err = s.Acquire(ctx, "x", "a", 0)
	assert.Equal(t, "ttl", icc.ErrorField(err))

	// Of many concurrent contenders exactly one wins.
	var winners atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := s.Acquire(ctx, "sla-watcher", fmt.Sprint(i), time.Minute)
			assert.NoError(t, err)
			if ok {
				winners.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, winners.Load())
}

// runMigration runs one embedded migration file again, in a transaction,
// on s's schema: the tests below put legacy rows in place first.
func runMigration(t *testing.T, s *Store, name string) {
	t.Helper()
	sql, err := migrationFiles.ReadFile("migrations/" + name)
	require.NoError(t, err)
	tx, err := s.db.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(context.Background(), string(sql))
	if err != nil {
		_ = tx.Rollback()
		require.NoError(t, err, name)
	}
	require.NoError(t, tx.Commit())
}

// TestMigrationCaseDuplicateNames: migration 00004 renames integrations
// whose names differ only by case before making names unique ignoring case.
func TestMigrationCaseDuplicateNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, logs := openLogged(t)
	// Back to the state before 00004: names unique by exact case only.
	_, err := s.db.ExecContext(ctx, "DROP INDEX integrations_name_lower_key; ALTER TABLE integrations ADD CONSTRAINT integrations_name_key UNIQUE (name)")
	require.NoError(t, err)
	var all []*icc.Integration
	for _, name := range []string{"Test API", "test api", "TEST API", "test api (2)"} {
		in := &icc.Integration{Name: name}
		require.NoError(t, s.CreateIntegration(ctx, in))
		all = append(all, in)
	}
	runMigration(t, s, "00004_integration_name_ci.tx.up.sql")

	names := map[string]bool{}
	for _, in := range all {
		got, err := s.GetIntegration(ctx, in.ID)
		require.NoError(t, err)
		assert.False(t, names[strings.ToLower(got.Name)], "duplicate %q", got.Name)
		names[strings.ToLower(got.Name)] = true
		if got.Name != in.Name {
			assert.Greater(t, got.Version, in.Version, "a renamed integration's version moves")
		}
	}
	got, err := s.GetIntegration(ctx, all[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "Test API", got.Name, "the oldest keeps its name")
	err = s.CreateIntegration(ctx, &icc.Integration{Name: "TEST api"})
	assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err))
	// The renames are logged (the migration reports them with RAISE NOTICE).
	assert.Contains(t, logs.String(), "renamed from test api to")
	assert.NotContains(t, logs.String(), "already exists, skipping", "routine notices only at debug level")
}

// TestMigrationTicketPerConversation: migration 00007 keeps one ticket per
// conversation (the one the conversation names, else the oldest), unlinks
// the others and then refuses a second ticket of a conversation.
func TestMigrationTicketPerConversation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, logs := openLogged(t)
	// Back to the state before 00007: any number of tickets per conversation.
	_, err := s.db.ExecContext(ctx, "DROP INDEX tickets_conversation_id_key")
	require.NoError(t, err)
	c := &icc.Customer{Email: "twice@example.com"}
	require.NoError(t, s.CreateCustomer(ctx, c))
	conv := &icc.Conversation{CustomerID: c.ID}
	require.NoError(t, s.CreateConversation(ctx, conv))
	other := &icc.Conversation{CustomerID: c.ID}
	require.NoError(t, s.CreateConversation(ctx, other))
	ticket := func(convID string) *icc.Ticket {
		tk := &icc.Ticket{Subject: "chat", CustomerID: c.ID, ConversationID: convID}
		require.NoError(t, s.CreateTicket(ctx, tk))
		return tk
	}
	older, named, later := ticket(conv.ID), ticket(conv.ID), ticket(conv.ID)
	oldest, second := ticket(other.ID), ticket(other.ID)
	conv.TicketID = named.ID
	require.NoError(t, s.UpdateConversation(ctx, conv))

	runMigration(t, s, "00007_ticket_per_conversation.tx.up.sql")
	for tk, want := range map[*icc.Ticket]string{older: "", named: conv.ID, later: "", oldest: other.ID, second: ""} {
		got, err := s.GetTicket(ctx, tk.ID)
		require.NoError(t, err)
		assert.Equal(t, want, got.ConversationID, "ticket %d", tk.Number)
		assert.Equal(t, tk.Subject, got.Subject, "the text is kept")
	}
	assert.Contains(t, logs.String(), "3 ticket(s) unlinked")
	err = s.CreateTicket(ctx, &icc.Ticket{Subject: "third", CustomerID: c.ID, ConversationID: conv.ID})
	assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err))
}

// openLogged opens a store on a fresh schema whose info-level logs, the
// database's notices among them, go to the returned buffer.
func openLogged(t *testing.T) (*Store, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := Open(context.Background(), Config{URL: testURL(t), Schema: newSchema(t), Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, logs
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// logger.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMigrationCleansLegacyText: tickets and integrations stored before tags
// and names were validated are brought within the rules by 00005, so they
// can be updated again.
func TestMigrationCleansLegacyText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: testURL(t), Schema: newSchema(t), Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	tk := &icc.Ticket{Subject: "legacy", CustomerID: "c", Tags: []string{"vip"}}
	require.NoError(t, s.CreateTicket(ctx, tk))
	tags := []string{"  vip ", "", "vip", strings.Repeat("x", 60), "a\tb", "incident:" + strings.Repeat("n", 100)}
	for i := range 25 {
		tags = append(tags, fmt.Sprintf("t%02d", i))
	}
	_, err = s.db.ExecContext(ctx, "UPDATE tickets SET tags = ? WHERE id = ?", pgdialect.Array(tags), tk.ID)
	require.NoError(t, err)
	clean := &icc.Ticket{Subject: "clean", CustomerID: "c", Tags: []string{"ok", "incident:Mock ERP"}}
	require.NoError(t, s.CreateTicket(ctx, clean))
	in := &icc.Integration{Name: "Tab API"}
	require.NoError(t, s.CreateIntegration(ctx, in))
	_, err = s.db.ExecContext(ctx, "UPDATE integrations SET name = E'Tab\\tAPI' WHERE id = ?", in.ID)
	require.NoError(t, err)

	runMigration(t, s, "00005_clean_legacy_text.tx.up.sql")

	got, err := s.GetTicket(ctx, tk.ID)
	require.NoError(t, err)
	want := []string{"vip", strings.Repeat("x", 50), "ab", "incident:" + strings.Repeat("n", 100)}
	for i := range 16 {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	assert.Equal(t, want, got.Tags)
	got.Status = icc.StatusOpen
	require.NoError(t, s.UpdateTicket(ctx, got), "the cleaned ticket can be updated")
	untouched, err := s.GetTicket(ctx, clean.ID)
	require.NoError(t, err)
	assert.Equal(t, clean.Tags, untouched.Tags)
	assert.Equal(t, clean.Version, untouched.Version)
	gotIn, err := s.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, "Tab API", gotIn.Name)
	require.NoError(t, gotIn.Validate())
}

// TestMigrationConversationTriage: conversations stored before 00006 have
// no triage, and can get one once it has run.
func TestMigrationConversationTriage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: testURL(t), Schema: newSchema(t), Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	// Back to the state before 00006, with a conversation stored then.
	_, err = s.db.ExecContext(ctx, "ALTER TABLE conversations DROP COLUMN triage")
	require.NoError(t, err)
	id := icc.NewID()
	_, err = s.db.ExecContext(ctx, `INSERT INTO conversations (id, customer_id, subject, status, version, created_at, updated_at)
VALUES (?, 'c', 'legacy', 'open', 3, now(), now())`, id)
	require.NoError(t, err)

	runMigration(t, s, "00006_conversation_triage.tx.up.sql")

	c, err := s.GetConversation(ctx, id)
	require.NoError(t, err)
	assert.Nil(t, c.Triage)
	_, err = s.AppendMessages(ctx, []icc.NewMessage{{ConversationID: id, SenderType: icc.SenderCustomer, Body: "hello"}})
	require.NoError(t, err)
	tr := icc.Triage{Seq: 1, Classification: icc.Classification{Model: "m", Category: icc.CategoryGeneral, Priority: icc.PriorityLow}}
	require.NoError(t, s.SetConversationTriage(ctx, id, tr))
	got, err := s.GetConversation(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, got.Triage)
	assert.Equal(t, int64(1), got.Triage.Seq)
	assert.Equal(t, icc.CategoryGeneral, got.Triage.Category)
	assert.Equal(t, int64(3), got.Version)
}

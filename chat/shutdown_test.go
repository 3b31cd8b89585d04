package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// heldClassifier is quietClassifier, except that it holds the messages
// that leave an address ("write to me") until released or cancelled, and
// tells entered about each one it holds.
type heldClassifier struct {
	release chan struct{}
	entered chan string
}

func newHeldClassifier() *heldClassifier {
	return &heldClassifier{release: make(chan struct{}), entered: make(chan string, 100)}
}

func (c *heldClassifier) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	if strings.Contains(req.Body, "write to me") {
		c.entered <- req.Body
		select {
		case <-c.release:
		case <-ctx.Done():
			return classify.Result{}, ctx.Err()
		}
	}
	return quietClassifier{}.Classify(ctx, req)
}

// shutdownEnv is a hub with no agent online whose conversations become
// tickets on a desk, its store behind a gate, and a classifier that holds
// the messages leaving an address.
type shutdownEnv struct {
	*env
	gate *gateStore
	cls  *heldClassifier
}

func newShutdownEnv(t *testing.T, cfg Config) *shutdownEnv {
	t.Helper()
	st := newMemory(t)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	e := &shutdownEnv{gate: newGate(st), cls: newHeldClassifier()}
	cfg.Store, cfg.Bus, cfg.Tickets, cfg.AgentsOnline, cfg.Classifier = e.gate, st, desk, noAgents, e.cls
	cfg.ClassifyTimeout = time.Hour // only cancellation ends a held classification
	e.env = newEnv(t, fast(cfg))
	e.env.store = st
	return e
}

// offlineCustomer starts a conversation for a new customer, connects them
// and plays the first offline exchange: a message, then the offline
// notice asking for an address.
func (e *shutdownEnv) offlineCustomer(t *testing.T, i int) (*icc.Conversation, *client) {
	t.Helper()
	cust := &icc.Customer{Email: fmt.Sprintf("cust%d@example.com", i)}
	require.NoError(t, e.store.CreateCustomer(context.Background(), cust))
	conv, tok, err := e.hub.StartConversation(context.Background(), cust.ID, "Printer")
	require.NoError(t, err)
	c := e.customer(conv, tok)
	c.subscribe(conv.ID, 0)
	c.expect(TypeSubscribed)
	c.message(conv.ID, "c1", "my printer is on fire")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	require.Equal(t, textOffline, c.expect(TypeMessage).msg(t).Body)
	return conv, c
}

// leaveAddressHeld sends the customer's message with an address and
// returns its seq, once acknowledged.
func leaveAddressHeld(t *testing.T, conv *icc.Conversation, c *client, i int) int64 {
	t.Helper()
	c.message(conv.ID, "c2", fmt.Sprintf("Please write to me at other%d@example.com instead", i))
	return c.expect(TypeAck).Seq
}

// shuttingDown waits until h refuses new work.
func shuttingDown(t *testing.T, h *Hub) {
	t.Helper()
	require.Eventually(t, func() bool {
		h.intakeMu.RLock()
		defer h.intakeMu.RUnlock()
		return h.intakeClosed
	}, wait, time.Millisecond, "Shutdown has not begun")
}

// TestShutdownFinishesAssistWork: customer messages stored and
// acknowledged before Shutdown (one of them stored while the committer
// drains) are assisted before Shutdown returns: classified, and turned
// into tickets, whose system message reaches the customers before the
// connections close. New messages are refused meanwhile.
func TestShutdownFinishesAssistWork(t *testing.T) {
	e := newShutdownEnv(t, Config{ClassifyWorkers: 2})
	const n = 6
	convs := make([]*icc.Conversation, n)
	custs := make([]*client, n)
	seqs := make([]int64, n)
	for i := range n {
		convs[i], custs[i] = e.offlineCustomer(t, i)
	}
	for i := range n - 1 {
		seqs[i] = leaveAddressHeld(t, convs[i], custs[i], i)
	}
	waitCh(t, e.cls.entered, "a held classification")

	// The last customer's message is still with the committer when
	// Shutdown begins.
	last := n - 1
	e.gate.hold()
	custs[last].message(convs[last].ID, "c2", fmt.Sprintf("Please write to me at other%d@example.com instead", last))
	waitCh(t, e.gate.entered, "the held append")
	done := make(chan error, 1)
	go func() { done <- e.hub.Shutdown(context.Background()) }()
	shuttingDown(t, e.hub)
	e.gate.release()
	seqs[last] = custs[last].expect(TypeAck).Seq

	// Nothing new is accepted, from a client or the host.
	custs[0].message(convs[0].ID, "late", "are you there?")
	assert.Equal(t, CodeUnavailable, custs[0].until(func(f frame) bool { return f.Type == TypeError }).Code)
	_, err := e.hub.Send(context.Background(), icc.NewMessage{ConversationID: convs[0].ID, SenderType: icc.SenderCustomer, SenderID: "x", Body: "late"})
	assert.ErrorIs(t, err, icc.ErrUnavailable)
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while the assistant held stored messages", err)
	default:
	}

	close(e.cls.release)
	for i, c := range custs {
		note := c.until(func(f frame) bool {
			return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderSystem && f.msg(t).Seq > seqs[i]
		}).msg(t)
		assert.Contains(t, note.Body, "now ticket #", "customer %d", i)
		assert.Equal(t, websocket.StatusGoingAway, c.closed(), "customer %d", i)
	}
	require.NoError(t, waitCh(t, done, "Shutdown"))

	for i, conv := range convs {
		got, err := e.store.GetConversation(context.Background(), conv.ID)
		require.NoError(t, err)
		assert.NotEmpty(t, got.TicketID, "conversation %d is no ticket", i)
		require.NotNil(t, got.Triage, "conversation %d was not classified", i)
		assert.Equal(t, seqs[i], got.Triage.Seq, "conversation %d", i)
		ticket, err := e.store.GetTicket(context.Background(), got.TicketID)
		require.NoError(t, err)
		assert.Contains(t, ticket.Body, fmt.Sprintf("other%d@example.com", i))
	}
	_, err = e.hub.Send(context.Background(), icc.NewMessage{ConversationID: convs[0].ID, SenderType: icc.SenderSystem, Body: "after"})
	assert.ErrorIs(t, err, icc.ErrUnavailable)
}

// records is a slog handler that passes each warning to a channel.
type records chan slog.Record

func (r records) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (r records) Handle(_ context.Context, rec slog.Record) error {
	select {
	case r <- rec.Clone():
	default:
	}
	return nil
}
func (r records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r records) WithGroup(string) slog.Handler      { return r }

// TestShutdownDeadlineDropsAssistWork: when Shutdown's context ends while
// the assistant still has stored messages to handle, Shutdown returns
// promptly with the context's error, and warns how many messages were left
// unassisted, naming their conversations.
func TestShutdownDeadlineDropsAssistWork(t *testing.T) {
	warned := make(records, 100)
	e := newShutdownEnv(t, Config{ClassifyWorkers: 1, Logger: slog.New(warned)})
	const n = 3
	var ids []string
	var custs []*client
	for i := range n {
		conv, c := e.offlineCustomer(t, i)
		ids = append(ids, conv.ID)
		custs = append(custs, c)
	}
	for i, c := range custs {
		leaveAddressHeld(t, &icc.Conversation{ID: ids[i]}, c, i)
	}
	// One worker: the first held message is being classified, so every
	// earlier one is done and the other two wait.
	waitCh(t, e.cls.entered, "a held classification")

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.hub.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "Shutdown did not return promptly")

	var got slog.Record
	for got.Message == "" {
		r := waitCh(t, warned, "the unassisted warning")
		if strings.Contains(r.Message, "left unassisted") {
			got = r
		}
	}
	attrs := map[string]slog.Value{}
	got.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.Resolve()
		return true
	})
	assert.Equal(t, int64(n), attrs["messages"].Int64())
	convs, ok := attrs["conversations"].Any().([]string)
	require.True(t, ok, "conversations: %v", attrs["conversations"])
	assert.ElementsMatch(t, ids, convs)

	for _, id := range ids {
		conv, err := e.store.GetConversation(context.Background(), id)
		require.NoError(t, err)
		assert.Empty(t, conv.TicketID)
	}
}

// TestCloseDropsAssistWork: Close does not wait for the assistant, and
// reports what it dropped.
func TestCloseDropsAssistWork(t *testing.T) {
	warned := make(records, 100)
	e := newShutdownEnv(t, Config{ClassifyWorkers: 1, Logger: slog.New(warned)})
	conv, c := e.offlineCustomer(t, 0)
	leaveAddressHeld(t, conv, c, 0)
	waitCh(t, e.cls.entered, "a held classification")
	require.NoError(t, e.hub.Close())
	for {
		r := waitCh(t, warned, "the unassisted warning")
		if strings.Contains(r.Message, "left unassisted") {
			break
		}
	}
}

package chat

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// TestTwoHubsMemory: two hubs on one memory store (one bus) serve one
// conversation.
func TestTwoHubsMemory(t *testing.T) {
	st := newMemory(t)
	testTwoHubs(t, st, st)
}

// TestTwoHubsPostgres: two hubs, each with its own connection pool and
// LISTEN/NOTIFY bus, on one PostgreSQL schema.
func TestTwoHubsPostgres(t *testing.T) {
	schema := newSchema(t)
	testTwoHubs(t, openPostgres(t, schema), openPostgres(t, schema))
}

// testTwoHubs connects a customer to a hub on a and an agent to a hub on b
// and checks that messages (in order, each once), typing, read marks and
// presence cross between them.
func testTwoHubs(t *testing.T, a, b icc.Backend) {
	hubA := newHub(t, fast(Config{Store: a, Bus: a, Instance: "A"}))
	hubB := newHub(t, fast(Config{Store: b, Bus: b, Instance: "B"}))
	srvA, srvB := httptest.NewServer(hubA), httptest.NewServer(hubB)
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)

	conv, tok, err := hubA.StartConversation(context.Background(), "cust-1", "two hubs")
	require.NoError(t, err)
	cust := dial(t, wsURL(srvA, url.Values{"conversation_id": {conv.ID}, "token": {tok}}))
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	agent := dial(t, wsURL(srvB, url.Values{"agent": {"a1"}}))
	agent.subscribe(conv.ID, 0)
	agent.expect(TypeSubscribed)

	// The agent on B is online for the customer on A.
	p := cust.until(func(f frame) bool { return f.Type == TypePresence })
	assert.Equal(t, "a1", p.AgentID)
	assert.Equal(t, "online", p.Status)

	const n = 50
	for i := range n {
		cust.message(conv.ID, fmt.Sprint("c", i), fmt.Sprint("from A ", i))
	}
	for i := range n {
		msg := agent.until(func(f frame) bool { return f.Type == TypeMessage }).msg(t)
		require.Equal(t, int64(i+1), msg.Seq)
		assert.Equal(t, fmt.Sprint("from A ", i), msg.Body)
	}
	agent.message(conv.ID, "a-1", "from B")
	assert.Equal(t, int64(n+1), agent.expect(TypeAck).Seq)
	seen := int64(0)
	for seen < n+1 {
		f := cust.until(func(f frame) bool { return f.Type == TypeMessage })
		msg := f.msg(t)
		require.Equal(t, seen+1, msg.Seq)
		seen = msg.Seq
	}

	cust.send(m{"type": "typing", "conversation_id": conv.ID})
	tf := agent.until(func(f frame) bool { return f.Type == TypeTyping })
	assert.Equal(t, "customer", tf.SenderType)
	agent.send(m{"type": "read", "conversation_id": conv.ID, "seq": n + 1})
	rf := cust.until(func(f frame) bool { return f.Type == TypeRead })
	assert.Equal(t, "a1", rf.ParticipantID)
	assert.Equal(t, int64(n+1), rf.Seq)

	// Interleaved writers on both hubs: both still see one gap-free order.
	for i := range 20 {
		cust.message(conv.ID, fmt.Sprint("x", i), "A")
		agent.message(conv.ID, fmt.Sprint("y", i), "B")
	}
	for _, c := range []*client{cust, agent} {
		last := int64(n + 1)
		for last < n+41 {
			f := c.until(func(f frame) bool { return f.Type == TypeMessage })
			msg := f.msg(t)
			require.Equal(t, last+1, msg.Seq)
			last = msg.Seq
		}
	}
}

// newSchema returns a fresh PostgreSQL schema dropped when the test ends,
// or skips the test without ICC_TEST_DATABASE_URL.
func newSchema(t testing.TB) string {
	t.Helper()
	url := os.Getenv("ICC_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("set ICC_TEST_DATABASE_URL=postgres://... to run the PostgreSQL tests")
	}
	name := "icc_chat_" + icc.NewID()[16:]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// openPostgres opens a store on schema, closed when the test ends (after
// the hubs on it, before the schema is dropped).
func openPostgres(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, postgres.Config{URL: os.Getenv("ICC_TEST_DATABASE_URL"), Schema: schema, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

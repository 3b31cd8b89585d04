package chat

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// TestDisconnectAgent: an agent's connections on every hub sharing the bus
// close with 1008 when the host disconnects the agent; other agents stay.
func TestDisconnectAgent(t *testing.T) {
	st := newMemory(t)
	hubA := newHub(t, fast(Config{Store: st, Bus: st, Instance: "A"}))
	hubB := newHub(t, fast(Config{Store: st, Bus: st, Instance: "B"}))
	srvA, srvB := httptest.NewServer(hubA), httptest.NewServer(hubB)
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)

	onA := dial(t, wsURL(srvA, url.Values{"agent": {"a1"}}))
	onB := dial(t, wsURL(srvB, url.Values{"agent": {"a1"}}))
	other := dial(t, wsURL(srvB, url.Values{"agent": {"a2"}}))

	for _, c := range []*client{onA, onB, other} {
		c.ping("registered") // the hub serves it: it is in the hub's set
	}
	require.NoError(t, hubA.DisconnectAgent(context.Background(), "a1", "your password was changed"))
	assert.Equal(t, websocket.StatusPolicyViolation, onA.closed())
	assert.Equal(t, websocket.StatusPolicyViolation, onB.closed(), "the other hub heard it on the bus")
	other.ping("still-here")

	assert.ErrorIs(t, hubA.DisconnectAgent(context.Background(), "", "x"), icc.ErrInvalid)
}

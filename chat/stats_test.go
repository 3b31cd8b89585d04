package chat

import (
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
)

// TestConnections: the hub counts its open connections by role, and a
// closed connection stops counting once the hub has let it go.
func TestConnections(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	agents, customers := e.hub.Connections()
	assert.Zero(t, agents)
	assert.Zero(t, customers)

	conv, tok := e.start("counting")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	tab1 := e.agent("a1")
	tab1.subscribe(conv.ID, 0)
	tab1.expect(TypeSubscribed)
	tab2 := e.agent("a1")
	tab2.subscribe(conv.ID, 0)
	tab2.expect(TypeSubscribed)

	agents, customers = e.hub.Connections()
	assert.Equal(t, 2, agents, "an agent's two tabs are two connections")
	assert.Equal(t, 1, customers)

	_ = tab1.ws.Close(websocket.StatusNormalClosure, "")
	tab1.wait()
	_ = cust.ws.Close(websocket.StatusNormalClosure, "")
	cust.wait()
	assert.Eventually(t, func() bool {
		agents, customers = e.hub.Connections()
		return agents == 1 && customers == 0
	}, wait, 5*time.Millisecond)
}

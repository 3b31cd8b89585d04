package chat

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// BenchmarkHubMessages measures messages per second through a hub on
// memory storage: eight customers in eight conversations send as fast as
// they can; each message is stored by the group committer, acked to its
// sender and delivered to an agent subscribed to every conversation. The
// clock stops when every ack and every delivery has arrived.
func BenchmarkHubMessages(b *testing.B) {
	const clients = 8
	e := newEnv(b, fast(Config{SendQueue: 8192}))
	agent := dialNoPump(b, wsURL(e.srv, url.Values{"agent": {"a1"}}))
	type cust struct {
		conv string
		ws   *websocket.Conn
	}
	custs := make([]cust, clients)
	for i := range custs {
		conv, tok := e.start("bench")
		c := dialNoPump(b, wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}}))
		custs[i] = cust{conv.ID, c.ws}
		agent.subscribe(conv.ID, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for subscribed := 0; subscribed < clients; {
		_, msg, err := agent.ws.Read(ctx)
		require.NoError(b, err)
		if bytes.Contains(msg, []byte(`"subscribed"`)) {
			subscribed++
		}
	}
	per := max(1, b.N/clients)
	total := per * clients
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 3*clients)
	for i, c := range custs {
		wg.Add(2)
		go func() { // sender
			defer wg.Done()
			for j := range per {
				frame := fmt.Appendf(nil, `{"type":"message","conversation_id":%q,"client_id":"%d-%d","body":"benchmark message %d"}`, c.conv, i, j, j)
				if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // ack reader
			defer wg.Done()
			for acks := 0; acks < per; {
				_, msg, err := c.ws.Read(ctx)
				if err != nil {
					errs <- err
					return
				}
				if bytes.Contains(msg, []byte(`"type":"ack"`)) {
					acks++
				}
			}
		}()
	}
	for got := 0; got < total; {
		_, msg, err := agent.ws.Read(ctx)
		require.NoError(b, err)
		if bytes.HasPrefix(msg, []byte(`{"type":"message"`)) {
			got++
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "msgs/s")
}

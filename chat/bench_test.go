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
// memory storage: eight customers, each in a conversation of their own,
// send with up to 128 messages in flight; each message is stored by the
// group committer, acked to its sender and delivered back to it as a
// subscriber. The clock stops when every ack and every delivery has
// arrived.
func BenchmarkHubMessages(b *testing.B) {
	const clients, window = 8, 128
	e := newEnv(b, fast(Config{}))
	type cust struct {
		conv string
		ws   *websocket.Conn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	custs := make([]cust, clients)
	for i := range custs {
		conv, tok := e.start("bench")
		c := dialNoPump(b, wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}}))
		c.subscribe(conv.ID, 0)
		_, msg, err := c.ws.Read(ctx)
		require.NoError(b, err)
		require.Contains(b, string(msg), `"subscribed"`)
		custs[i] = cust{conv.ID, c.ws}
	}
	per := max(1, b.N/clients)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for i, c := range custs {
		credit := make(chan struct{}, window)
		for range window {
			credit <- struct{}{}
		}
		wg.Add(2)
		go func() { // sender
			defer wg.Done()
			for j := range per {
				select {
				case <-credit:
				case <-ctx.Done():
					return
				}
				frame := fmt.Appendf(nil, `{"type":"message","conversation_id":%q,"client_id":"%d-%d","body":"benchmark message %d"}`, c.conv, i, j, j)
				if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // reader: every ack and every delivered message
			defer wg.Done()
			acks, msgs := 0, 0
			for acks < per || msgs < per {
				_, frame, err := c.ws.Read(ctx)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				switch {
				case bytes.HasPrefix(frame, []byte(`{"type":"ack"`)):
					acks++
				case bytes.HasPrefix(frame, []byte(`{"type":"message"`)):
					msgs++
					credit <- struct{}{}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	b.ReportMetric(float64(per*clients)/elapsed.Seconds(), "msgs/s")
}

package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/icclabs/commandcenter/icc"
)

// BenchmarkAppendMessages measures chat message throughput with group
// commit: every AppendMessages call stores a batch in one transaction.
//
//   - batch=1: one transaction per message, the baseline DESIGN.md quotes
//     (about 8k messages/s on the reference machine).
//   - batch=64/shared: batches of 64 spread over the same 16 conversations
//     for every goroutine, so batches contend for the conversation locks.
//   - batch=64/spread: each goroutine appends to its own 16 conversations,
//     like chat nodes serving different customers.
//
// It runs 8 goroutines per CPU and reports msgs/s.
func BenchmarkAppendMessages(b *testing.B) {
	for _, bc := range []struct {
		name   string
		batch  int
		shared bool
	}{
		{"batch=1", 1, false},
		{"batch=64/shared", 64, true},
		{"batch=64/spread", 64, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			newConvs := func() []string {
				ids := make([]string, 16)
				for i := range ids {
					c := &icc.Conversation{CustomerID: "bench"}
					if err := s.CreateConversation(ctx, c); err != nil {
						b.Fatal(err)
					}
					ids[i] = c.ID
				}
				return ids
			}
			shared := newConvs()
			var worker atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				convs := shared
				if !bc.shared {
					convs = newConvs()
				}
				w := worker.Add(1)
				batch := make([]icc.NewMessage, bc.batch)
				n := 0
				for pb.Next() {
					for i := range batch {
						n++
						batch[i] = icc.NewMessage{ConversationID: convs[n%len(convs)], ClientID: fmt.Sprintf("w%d-%d", w, n),
							SenderType: icc.SenderCustomer, Body: "Hello, my invoice is missing a line item."}
					}
					if _, err := s.AppendMessages(ctx, batch); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*bc.batch)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

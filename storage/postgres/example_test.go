package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// Open a store, write a ticket and watch ticket events. The example needs a
// database, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, postgres.Config{
		URL:    os.Getenv("DATABASE_URL"), // e.g. postgres://icc:secret@localhost:5432/icc
		Logger: slog.Default(),
	})
	if err != nil {
		fmt.Println(icc.ErrorCode(err), err) // "invalid" or "unavailable"
		return
	}
	defer st.Close()

	sub, err := st.Subscribe(ctx, icc.TopicTickets)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	t := &icc.Ticket{Subject: "Invoice missing", CustomerID: "c1"}
	if err := st.CreateTicket(ctx, t, icc.TicketEvent{Type: icc.EventCreated}); err != nil {
		fmt.Println(err)
		return
	}
	_ = st.Publish(ctx, icc.Event{Topic: icc.TopicTickets, Type: "ticket.created", ID: t.ID})
	e := <-sub.Events()
	fmt.Println(t.Number, e.Type, e.ID == t.ID)
}

package memory_test

import (
	"context"
	"fmt"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

func Example() {
	ctx := context.Background()
	st := memory.New()
	defer st.Close()

	cust := &icc.Customer{Email: "ann@example.com", Name: "Ann"}
	if err := st.CreateCustomer(ctx, cust); err != nil {
		fmt.Println(err)
		return
	}
	conv := &icc.Conversation{CustomerID: cust.ID}
	if err := st.CreateConversation(ctx, conv); err != nil {
		fmt.Println(err)
		return
	}

	// Sending the same client id twice stores one message.
	out, err := st.AppendMessages(ctx, []icc.NewMessage{
		{ConversationID: conv.ID, ClientID: "c1", SenderType: icc.SenderCustomer, Body: "Hello?"},
		{ConversationID: conv.ID, ClientID: "c2", SenderType: icc.SenderCustomer, Body: "Anyone there?"},
		{ConversationID: conv.ID, ClientID: "c1", SenderType: icc.SenderCustomer, Body: "Hello?"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range out {
		fmt.Println(a.Message.Seq, a.Duplicate, a.Message.Body)
	}

	_, err = st.GetTicket(ctx, "nope")
	fmt.Println(icc.ErrorCode(err))
	// Output:
	// 1 false Hello?
	// 2 false Anyone there?
	// 1 true Hello?
	// not_found
}

package chat_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/storage/memory"
)

// A hub on in-memory storage: a customer starts a conversation, connects
// with its token, subscribes and sends a message, which is acknowledged
// once stored and delivered back with its sequence number.
func Example() {
	ctx := context.Background()
	st := memory.New()
	defer st.Close()
	hub, err := chat.NewHub(chat.Config{Store: st, Bus: st})
	if err != nil {
		panic(err)
	}
	defer hub.Shutdown(ctx)
	srv := httptest.NewServer(hub) // or mux.Handle("GET /ws", hub)
	defer srv.Close()

	conv, secret, err := hub.StartConversation(ctx, "customer-1", "Where is my order?")
	if err != nil {
		panic(err)
	}
	// The customer keeps one token: the conversation id and the secret.
	q := url.Values{"token": {chat.CustomerToken(conv.ID, secret)}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?"+q.Encode(), nil)
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()

	type frame struct {
		Type    string `json:"type"`
		Seq     int64  `json:"seq"`
		Message struct {
			Seq        int64  `json:"seq"`
			SenderType string `json:"sender_type"`
			Body       string `json:"body"`
		} `json:"message"`
	}
	read := func() frame {
		var f frame
		if err := wsjson.Read(ctx, ws, &f); err != nil {
			panic(err)
		}
		return f
	}
	fmt.Println(read().Type) // the hub has registered the connection
	_ = wsjson.Write(ctx, ws, map[string]any{"type": "subscribe", "conversation_id": conv.ID, "after_seq": 0})
	fmt.Println(read().Type)
	_ = wsjson.Write(ctx, ws, map[string]any{"type": "message", "conversation_id": conv.ID, "client_id": "k1", "body": "Order 1234 is late"})
	ack := read()
	fmt.Println(ack.Type, ack.Seq)
	msg := read()
	fmt.Println(msg.Type, msg.Message.Seq, msg.Message.SenderType+":", msg.Message.Body)
	_ = ws.Close(websocket.StatusNormalClosure, "bye")
	// Output:
	// ready
	// subscribed
	// ack 1
	// message 1 customer: Order 1234 is late
}

package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// commitItem is one message waiting for the committer, with where its
// outcome goes: an ack frame to conn, or done for Send.
type commitItem struct {
	msg  icc.NewMessage
	conn *conn
	done chan commitResult
}

type commitResult struct {
	a   icc.Appended
	err error
}

// Bus event types on a conversation's topic.
const (
	evMessage        = "chat.message"        // Seq: newest stored message
	evTyping         = "chat.typing"         // ID: participant; Data: typingData
	evRead           = "chat.read"           // ID: participant; Seq: mark
	evClassification = "chat.classification" // ID: message; Seq; Data: classificationFrame
	evConversation   = "chat.conversation"   // the conversation changed; Data: {"escalated":bool}
	evPresence       = "chat.presence"       // on icc.TopicAgents; ID: agent; Data: {"status":…}
)

// submit queues a message for the committer, waiting while the queue is
// full. It fails once Shutdown has begun.
func (h *Hub) submit(ctx context.Context, it *commitItem) error {
	h.intakeMu.RLock()
	defer h.intakeMu.RUnlock()
	if h.intakeClosed {
		return errShuttingDown
	}
	select {
	case h.commitQ <- it:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chat: queueing a message: %w", ctx.Err())
	}
}

// commitLoop is the single committer: it takes everything queued, up to
// MaxBatch messages from every connection and conversation, stores it with
// one AppendMessages call, then acknowledges and delivers it. While one
// batch is being stored the next one queues, so the store sees few, large
// transactions under load. It returns when the queue is closed and drained.
func (h *Hub) commitLoop() {
	defer close(h.committed)
	batch := make([]*commitItem, 0, h.cfg.MaxBatch)
	for it := range h.commitQ {
		batch = append(batch[:0], it)
	fill:
		for len(batch) < h.cfg.MaxBatch {
			select {
			case it, ok := <-h.commitQ:
				if !ok {
					break fill
				}
				batch = append(batch, it)
			default:
				break fill
			}
		}
		h.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch stores a batch. When the store refuses the whole batch it
// retries message by message, so one bad message fails alone.
func (h *Hub) commitBatch(batch []*commitItem) {
	msgs := make([]icc.NewMessage, len(batch))
	for i, it := range batch {
		msgs[i] = it.msg
	}
	ctx, cancel := h.storeCtx(h.ctx)
	res, err := h.store.AppendMessages(ctx, msgs)
	cancel()
	if err == nil && len(res) != len(batch) {
		err = icc.Errorf(icc.EINTERNAL, "store returned %d results for %d messages", len(res), len(batch))
	}
	if err == nil {
		h.afterCommit(batch, res)
		return
	}
	if len(batch) == 1 || h.ctx.Err() != nil {
		h.log.Warn("chat: storing messages failed", "messages", len(batch), "err", err)
		for _, it := range batch {
			h.fail(it, err)
		}
		return
	}
	for _, it := range batch {
		h.commitBatch([]*commitItem{it})
	}
}

// fail reports a message that could not be stored.
func (h *Hub) fail(it *commitItem, err error) {
	if it.done != nil {
		it.done <- commitResult{err: fmt.Errorf("chat: storing message: %w", err)}
	}
	if it.conn != nil {
		it.conn.rejectErr(err, it.msg.ConversationID, it.msg.ClientID)
	}
}

// afterCommit acknowledges each message to its sender, then delivers the
// new ones to this hub's rooms, tells other hubs through the bus (one event
// per conversation with its newest seq), and queues customer messages for
// classification.
func (h *Hub) afterCommit(batch []*commitItem, res []icc.Appended) {
	var order []string
	fresh := map[string][]icc.Message{}
	for i, it := range batch {
		a := res[i]
		if it.conn != nil {
			it.conn.enqueue(encode(ackFrame{
				Type: TypeAck, ConversationID: a.Message.ConversationID, ClientID: it.msg.ClientID,
				Seq: a.Message.Seq, MessageID: a.Message.ID, Duplicate: a.Duplicate,
			}))
		}
		if it.done != nil {
			it.done <- commitResult{a: a}
		}
		if a.Duplicate {
			continue
		}
		id := a.Message.ConversationID
		if _, ok := fresh[id]; !ok {
			order = append(order, id)
		}
		fresh[id] = append(fresh[id], a.Message)
	}
	for _, id := range order {
		msgs := fresh[id]
		h.deliverCommitted(id, msgs)
		h.publish(icc.Event{Topic: icc.ConversationTopic(id), Type: evMessage, Seq: msgs[len(msgs)-1].Seq})
		for _, m := range msgs {
			if h.cfg.OnMessage != nil {
				h.cfg.OnMessage(h.ctx, m)
			}
			if m.SenderType == icc.SenderCustomer {
				select {
				case h.assistQ <- m:
				default:
					h.assistDropped(id, m.Seq)
				}
			}
		}
	}
}

// publish sends an event to the other hubs, if there is a bus.
func (h *Hub) publish(e icc.Event) {
	if h.cfg.Bus == nil {
		return
	}
	e.Origin = h.cfg.Instance
	e.At = h.cfg.Clock.Now()
	ctx, cancel := h.storeCtx(h.ctx)
	defer cancel()
	if err := h.cfg.Bus.Publish(ctx, e); err != nil && h.ctx.Err() == nil {
		h.log.Warn("chat: publishing an event failed", "topic", e.Topic, "type", e.Type, "err", err)
	}
}

// assistDropped counts a customer message the classification workers had no
// room for, logging at most once a second.
func (h *Hub) assistDropped(conversationID string, seq int64) {
	n := h.dropped.Add(1)
	now := h.cfg.Clock.Now().UnixNano()
	last := h.droppedLog.Load()
	if now-last >= int64(time.Second) && h.droppedLog.CompareAndSwap(last, now) {
		h.log.Warn("chat: classification queue full; messages not classified",
			"conversation", conversationID, "seq", seq, "total_unclassified", n)
	}
}

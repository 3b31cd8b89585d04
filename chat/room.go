package chat

import (
	"context"
	"fmt"
	"sync"

	"github.com/icclabs/commandcenter/icc"
)

// fetchLimit is how many messages one store read returns when a connection
// replays or a room catches up.
const fetchLimit = 500

// maxCachedConvs bounds the cache of conversation facts; it is emptied when
// full.
const maxCachedConvs = 10000

// convInfo is what the hub caches about a conversation to check frames.
type convInfo struct {
	customerID string
	status     icc.ConversationStatus
}

// access checks that p may use the conversation and returns its cached
// facts. A customer may only use their own conversation.
func (h *Hub) access(ctx context.Context, p Participant, id string) (*convInfo, error) {
	if p.Role == RoleCustomer && id != p.ConversationID {
		return nil, icc.Errorf(icc.EFORBIDDEN, "not your conversation")
	}
	h.mu.Lock()
	info := h.convs[id]
	h.mu.Unlock()
	if info == nil {
		sctx, cancel := h.storeCtx(ctx)
		defer cancel()
		c, err := h.store.GetConversation(sctx, id)
		if err != nil {
			return nil, err
		}
		info = &convInfo{customerID: c.CustomerID, status: c.Status}
		h.mu.Lock()
		if len(h.convs) >= maxCachedConvs {
			clear(h.convs)
		}
		h.convs[id] = info
		h.mu.Unlock()
	}
	if p.Role == RoleCustomer && info.customerID != p.ID {
		return nil, icc.Errorf(icc.EFORBIDDEN, "not your conversation")
	}
	return info, nil
}

// forget drops the cached facts of a conversation after it changed.
func (h *Hub) forget(id string) {
	h.mu.Lock()
	delete(h.convs, id)
	h.mu.Unlock()
}

// room is the set of this hub's connections subscribed to one
// conversation. It delivers the conversation's messages to them in order,
// each once: from the committer for messages stored here, and from the
// store when the bus says another hub stored more.
type room struct {
	h  *Hub
	id string

	mu        sync.Mutex
	subs      map[*conn]*roomSub
	delivered int64 // newest seq fanned out; -1 until the first subscriber is live
	target    int64 // newest seq known to be stored
	fetching  bool
	gone      bool // removed from the hub
}

// roomSub is one connection's position in a room. While the connection
// replays, its writer owns sent; once live, the room does (under mu).
type roomSub struct {
	live bool
	sent int64
}

// join adds c to the conversation's room, creating the room if needed.
func (h *Hub) join(id string, c *conn, afterSeq int64) (*room, *roomSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[id]
	if r == nil {
		r = &room{h: h, id: id, subs: map[*conn]*roomSub{}, delivered: -1}
		h.rooms[id] = r
	}
	s := &roomSub{sent: afterSeq}
	r.mu.Lock()
	r.subs[c] = s
	r.mu.Unlock()
	return r, s
}

// leave removes c from the conversation's room, and the room when empty.
func (h *Hub) leave(id string, c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[id]
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.subs, c)
	if len(r.subs) == 0 {
		r.gone = true
		delete(h.rooms, id)
	}
	r.mu.Unlock()
}

func (h *Hub) room(id string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id]
}

// replay runs in c's writer: it writes what the conversation holds after
// req.afterSeq, in order, then makes the subscription live, and finally
// confirms with a subscribed frame.
//
// An after_seq above the conversation's last seq is clamped to it: the
// client's position, and through it the room's, never runs ahead of what
// is stored. Each store read must make progress towards a seq known to be
// stored; a store that returns nothing new then is inconsistent, and the
// subscription fails (see failReplay) instead of reading again forever.
func (c *conn) replay(req subRequest) error {
	h := c.h
	after, err := c.replayStart(req)
	if err != nil {
		return c.failReplay(req.conversationID, err)
	}
	r, s := h.join(req.conversationID, c, after)
	want := int64(-1) // a seq known to be stored, which the next read must reach
	for {
		ctx, cancel := h.storeCtx(c.ctx)
		msgs, err := h.store.ListMessages(ctx, req.conversationID, s.sent, fetchLimit)
		cancel()
		if err != nil {
			return c.failReplay(req.conversationID, err)
		}
		before := s.sent
		for i := range msgs {
			if msgs[i].Seq <= s.sent {
				continue
			}
			if err := c.write(encode(messageFrame{Type: TypeMessage, ConversationID: r.id, Message: &msgs[i]})); err != nil {
				return err
			}
			s.sent = msgs[i].Seq
		}
		progressed := s.sent > before
		if len(msgs) == fetchLimit && progressed {
			continue
		}
		if !progressed && s.sent < want {
			err := fmt.Errorf("chat: replay of %s: the store returned nothing after seq %d, but holds seq %d", r.id, s.sent, want)
			return c.failReplay(req.conversationID, icc.Unavailable(err, "the conversation could not be replayed; retry"))
		}
		r.mu.Lock()
		if r.delivered < 0 {
			r.delivered = s.sent
		}
		if s.sent >= r.delivered {
			s.live = true
			pos := s.sent
			r.startFetchLocked()
			r.mu.Unlock()
			return c.write(encode(subscribedFrame{Type: TypeSubscribed, ConversationID: r.id, Seq: pos}))
		}
		// The room delivered messages stored meanwhile: they are committed,
		// so the next read returns them.
		want = r.delivered
		r.mu.Unlock()
	}
}

// replayStart returns where a replay starts: req.afterSeq, clamped to the
// conversation's last seq.
func (c *conn) replayStart(req subRequest) (int64, error) {
	if req.afterSeq <= 0 {
		return 0, nil
	}
	ctx, cancel := c.h.storeCtx(c.ctx)
	defer cancel()
	conv, err := c.h.store.GetConversation(ctx, req.conversationID)
	if err != nil {
		return 0, err
	}
	return min(req.afterSeq, max(conv.LastSeq, 0)), nil
}

// failReplay ends a subscription whose replay failed with err: c leaves the
// room, the subscription is forgotten, so that the client may subscribe
// again, and the client gets an error frame. It returns an error only when
// the connection itself is done.
func (c *conn) failReplay(id string, err error) error {
	c.h.leave(id, c)
	c.mu.Lock()
	delete(c.rooms, id)
	c.mu.Unlock()
	if c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	code, msg := errorCode(err)
	if code == CodeUnavailable {
		c.h.log.Warn("chat: replay failed", "participant", c.p.ID, "conversation", id, "err", err)
	}
	return c.write(encode(errorFrame{Type: TypeError, Code: code, Message: msg, ConversationID: id}))
}

// committed delivers messages just stored by this hub's committer, in seq
// order and without gaps, to the room of their conversation.
func (h *Hub) deliverCommitted(id string, msgs []icc.Message) {
	r := h.room(id)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = max(r.target, msgs[len(msgs)-1].Seq)
	if r.delivered < 0 {
		return
	}
	for i, m := range msgs {
		if m.Seq == r.delivered+1 {
			r.deliverLocked(msgs[i:])
			break
		}
	}
	r.startFetchLocked()
}

// notice tells the conversation's room that the store holds messages up to
// seq; it catches up from the store when it has not delivered them.
func (h *Hub) notice(id string, seq int64) {
	r := h.room(id)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = max(r.target, seq)
	r.startFetchLocked()
}

// deliverLocked fans out msgs, which continue the delivered sequence.
func (r *room) deliverLocked(msgs []icc.Message) {
	for i := range msgs {
		m := &msgs[i]
		if m.Seq != r.delivered+1 {
			return
		}
		var b []byte
		for c, s := range r.subs {
			if !s.live || m.Seq != s.sent+1 {
				continue
			}
			if b == nil {
				b = encode(messageFrame{Type: TypeMessage, ConversationID: r.id, Message: m})
			}
			c.enqueue(b)
			s.sent = m.Seq
		}
		r.delivered = m.Seq
	}
}

// startFetchLocked starts a catch-up from the store when the room is behind
// what is stored and no catch-up runs.
func (r *room) startFetchLocked() {
	if r.fetching || r.gone || r.delivered < 0 || r.target <= r.delivered {
		return
	}
	select {
	case <-r.h.ctx.Done():
		return
	default:
	}
	r.fetching = true
	r.h.wg.Add(1)
	go r.fetch()
}

// fetch reads and delivers the messages the room has not delivered until
// it has caught up, the room is gone, or the store fails (the next notice
// tries again).
func (r *room) fetch() {
	h := r.h
	defer h.wg.Done()
	for {
		r.mu.Lock()
		if r.gone || r.delivered >= r.target {
			r.fetching = false
			r.mu.Unlock()
			return
		}
		after := r.delivered
		r.mu.Unlock()
		ctx, cancel := h.storeCtx(h.ctx)
		msgs, err := h.store.ListMessages(ctx, r.id, after, fetchLimit)
		cancel()
		r.mu.Lock()
		if err != nil || len(msgs) == 0 {
			r.fetching = false
			r.mu.Unlock()
			if err != nil && h.ctx.Err() == nil {
				h.log.Warn("chat: catching up a conversation failed", "conversation", r.id, "err", err)
			}
			return
		}
		for i, m := range msgs {
			if m.Seq == r.delivered+1 {
				r.deliverLocked(msgs[i:])
				break
			}
		}
		if r.delivered == after {
			// Nothing deliverable: the store returned a gap. Reading again
			// would return the same; the next notice tries again.
			r.fetching = false
			r.mu.Unlock()
			h.log.Warn("chat: catching up a conversation made no progress", "conversation", r.id, "after", after, "first", msgs[0].Seq)
			return
		}
		r.target = max(r.target, msgs[len(msgs)-1].Seq)
		r.mu.Unlock()
	}
}

// each queues b for the room's live subscribers that keep accepts.
func (h *Hub) toRoom(id string, b []byte, keep func(*conn) bool) {
	r := h.room(id)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for c, s := range r.subs {
		if s.live && (keep == nil || keep(c)) {
			c.enqueue(b)
		}
	}
}

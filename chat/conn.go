package chat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/icc"
)

// conn is one WebSocket connection. Its reader runs in Serve's goroutine
// and its writer in one goroutine of its own; every other goroutine talks
// to it through enqueue, which never blocks.
type conn struct {
	h      *Hub
	ws     *websocket.Conn
	p      Participant
	ctx    context.Context // connection-scoped; never the request's
	cancel context.CancelFunc

	ready      []byte // the ready frame, written before any other
	send       chan []byte
	subReq     chan subRequest
	writerDone chan struct{}

	closeOnce   sync.Once
	closeCh     chan struct{}
	closeCode   websocket.StatusCode
	closeReason string
	closeFlush  bool

	// Owned by the reader.
	bucket   bucket
	abuse    int
	typingAt map[string]time.Time

	mu    sync.Mutex
	rooms map[string]bool // conversations subscribed to
}

type subRequest struct {
	conversationID string
	afterSeq       int64
}

func newConn(h *Hub, ws *websocket.Conn, p Participant) *conn {
	c := &conn{
		h:          h,
		ws:         ws,
		p:          p,
		send:       make(chan []byte, h.cfg.SendQueue),
		subReq:     make(chan subRequest, 4),
		writerDone: make(chan struct{}),
		closeCh:    make(chan struct{}),
		typingAt:   map[string]time.Time{},
		rooms:      map[string]bool{},
		bucket:     bucket{rate: h.cfg.RateLimit, burst: float64(h.cfg.RateBurst), tokens: float64(h.cfg.RateBurst)},
	}
	c.ctx, c.cancel = context.WithCancel(h.ctx)
	return c
}

// enqueue queues a frame for the writer without blocking. When the queue is
// full the client is too slow: it is disconnected with StatusSlowConsumer.
func (c *conn) enqueue(b []byte) bool {
	select {
	case <-c.closeCh:
		return false
	default:
	}
	select {
	case c.send <- b:
		return true
	default:
		c.h.log.Info("chat: slow client disconnected", "participant", c.p.ID, "queue", cap(c.send))
		c.close(StatusSlowConsumer, "send queue full: resume with after_seq", false)
		return false
	}
}

// close asks the writer to close the connection with code, after the queued
// frames when flush is set.
func (c *conn) close(code websocket.StatusCode, reason string, flush bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason, c.closeFlush = code, reason, flush
		close(c.closeCh)
	})
}

// writeLoop writes the ready frame, then queued frames, runs
// subscriptions' replays and pings the client until the connection ends.
// ready is written before the loop, which picks among what is pending at
// random: a subscription requested at once must not overtake it.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	if err := c.write(c.ready); err != nil {
		c.h.log.Debug("chat: write failed", "participant", c.p.ID, "err", err)
		_ = c.ws.CloseNow()
		c.cancel()
		return
	}
	ping := time.NewTicker(c.h.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.closeCh:
			c.finish()
			return
		default:
		}
		var err error
		select {
		case <-c.closeCh:
			c.finish()
			return
		case <-c.ctx.Done():
			_ = c.ws.CloseNow()
			return
		case b := <-c.send:
			err = c.write(b)
		case req := <-c.subReq:
			err = c.replay(req)
		case <-ping.C:
			ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.WriteTimeout)
			err = c.ws.Ping(ctx)
			cancel()
		}
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				c.h.log.Debug("chat: write failed", "participant", c.p.ID, "err", err)
			}
			_ = c.ws.CloseNow()
			c.cancel()
			return
		}
	}
}

// write sends one frame within the write timeout.
func (c *conn) write(b []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.h.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// finish closes the connection as close asked, flushing first if asked.
func (c *conn) finish() {
	if c.closeFlush {
	drain:
		for {
			select {
			case b := <-c.send:
				if c.write(b) != nil {
					break drain
				}
			default:
				break drain
			}
		}
	}
	_ = c.ws.Close(c.closeCode, c.closeReason)
	c.cancel()
}

// readLoop reads and handles frames until the connection ends.
func (c *conn) readLoop() {
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		select {
		case <-c.closeCh:
			continue // closing: ignore what the client still sends
		default:
		}
		var f inFrame
		if typ == websocket.MessageText {
			f, err = decodeFrame(b)
		}
		// Subscriptions are bounded by MaxSubscriptions, not by the rate:
		// a console resubscribes everything it follows at once.
		if (typ != websocket.MessageText || err != nil || f.Type != TypeSubscribe) && !c.bucket.allow(c.h.cfg.Clock.Now()) {
			c.reject(CodeRateLimited, "too many frames; slow down", "", "")
			continue
		}
		if typ != websocket.MessageText {
			c.reject(CodeBadFrame, "frames must be JSON text", "", "")
			continue
		}
		if err != nil {
			c.reject(CodeBadFrame, err.Error(), "", "")
			continue
		}
		c.handle(f)
	}
}

// reject answers a bad frame with an error frame and closes the connection
// with StatusPolicyViolation once it has earned Config.MaxAbuse of them.
func (c *conn) reject(code, msg, conversationID, clientID string) {
	c.enqueue(encode(errorFrame{Type: TypeError, Code: code, Message: msg, ConversationID: conversationID, ClientID: clientID}))
	if code == CodeUnavailable {
		return
	}
	c.abuse++
	if c.abuse >= c.h.cfg.MaxAbuse {
		c.h.log.Info("chat: abusive client disconnected", "participant", c.p.ID, "errors", c.abuse)
		c.close(websocket.StatusPolicyViolation, "too many bad frames", true)
	}
}

// rejectErr answers with the error frame that fits err.
func (c *conn) rejectErr(err error, conversationID, clientID string) {
	code, msg := errorCode(err)
	if code == CodeUnavailable {
		c.h.log.Warn("chat: frame failed", "participant", c.p.ID, "conversation", conversationID, "err", err)
	}
	c.reject(code, msg, conversationID, clientID)
}

// errorCode returns the error frame code and the client-safe message that
// fit err. The message of an invalid field names the field.
func errorCode(err error) (code, msg string) {
	code = CodeUnavailable
	switch icc.ErrorCode(err) {
	case icc.EINVALID:
		code = CodeBadFrame
	case icc.ENOTFOUND:
		code = CodeNotFound
	case icc.EFORBIDDEN, icc.EUNAUTHORIZED:
		code = CodeForbidden
	case icc.ECONFLICT:
		code = CodeClosed
	}
	msg = problem(err)
	if code == CodeUnavailable && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		msg = "timed out"
	}
	return code, msg
}

// handle acts on one valid frame.
func (c *conn) handle(f inFrame) {
	h := c.h
	if f.Type == TypePing {
		c.enqueue(encode(pongFrame{Type: TypePong, ID: f.ID}))
		return
	}
	if f.Type == TypePresence {
		if c.p.Role != RoleAgent {
			c.reject(CodeForbidden, "only agents have a presence", "", "")
			return
		}
		h.setPresence(c, icc.Availability(f.Status))
		return
	}
	info, err := h.access(c.ctx, c.p, f.ConversationID)
	if err != nil {
		c.rejectErr(err, f.ConversationID, f.ClientID)
		return
	}
	switch f.Type {
	case TypeMessage:
		if info.status == icc.ConversationClosed {
			c.reject(CodeClosed, "the conversation is closed", f.ConversationID, f.ClientID)
			return
		}
		m := icc.NewMessage{ConversationID: f.ConversationID, ClientID: f.ClientID, SenderType: c.p.senderType(), SenderID: c.p.ID, Body: f.Body}
		if err := h.submit(c.ctx, &commitItem{msg: m, conn: c}); err != nil {
			c.rejectErr(err, f.ConversationID, f.ClientID)
		}
	case TypeTyping:
		typing := f.Typing == nil || *f.Typing
		now := h.cfg.Clock.Now()
		if typing {
			if last, ok := c.typingAt[f.ConversationID]; ok && now.Sub(last) < h.cfg.TypingThrottle {
				return // throttled: the previous frame has not expired yet
			}
			c.typingAt[f.ConversationID] = now
		} else {
			delete(c.typingAt, f.ConversationID)
		}
		h.typing(c, typingData{
			Type: TypeTyping, ConversationID: f.ConversationID, SenderType: c.p.senderType(),
			SenderID: c.p.ID, Typing: typing, ExpiresInMS: h.cfg.TypingTTL.Milliseconds(),
		})
	case TypeRead:
		ctx, cancel := h.storeCtx(c.ctx)
		defer cancel()
		// The store clamps a mark beyond the last message to it (see
		// icc.ConversationStore.SetReadMark): a mark never moves back, so
		// one ahead would count messages not yet written as read.
		m, err := h.store.SetReadMark(ctx, icc.ReadMark{ConversationID: f.ConversationID, ParticipantID: c.p.ID, Seq: f.Seq})
		if err != nil {
			c.rejectErr(err, f.ConversationID, "")
			return
		}
		h.read(m)
	case TypeSubscribe:
		c.mu.Lock()
		already, full := c.rooms[f.ConversationID], len(c.rooms) >= h.cfg.MaxSubscriptions
		if !already && !full {
			c.rooms[f.ConversationID] = true
		}
		c.mu.Unlock()
		switch {
		case already:
			c.reject(CodeBadFrame, "already subscribed", f.ConversationID, "")
			return
		case full:
			c.reject(CodeTooManySubscriptions, fmt.Sprintf("a connection may follow at most %d conversations", h.cfg.MaxSubscriptions), f.ConversationID, "")
			return
		}
		select {
		case c.subReq <- subRequest{conversationID: f.ConversationID, afterSeq: f.AfterSeq}:
		case <-c.ctx.Done():
		}
	}
}

func (c *conn) roomIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.rooms))
	for id := range c.rooms {
		ids = append(ids, id)
	}
	return ids
}

// bucket is a token bucket: rate tokens a second, at most burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) allow(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

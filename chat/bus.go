package chat

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// busLoop receives the bus events of every conversation, agents' presence
// and the dashboard topics until the hub stops. Events this hub published
// itself are skipped: it delivered them locally already. It asks the other
// hubs for their agents' presence at once, re-announces presence every
// PresenceInterval and, rate-limited (answerLimiter), whenever another hub
// asks. When the subscription may have missed events (Dropped grew; checked
// every missedCheck) it catches every room up from the store, tells its
// agents with an EventResync event frame and asks for presence again.
func (h *Hub) busLoop(sub icc.Subscription) {
	defer h.wg.Done()
	defer sub.Close()
	tick := time.NewTicker(h.cfg.PresenceInterval)
	defer tick.Stop()
	check := time.NewTicker(min(h.cfg.PresenceInterval, missedCheck))
	defer check.Stop()
	answers := answerLimiter{gap: min(h.cfg.PresenceInterval, presenceAnswerGap)}
	var answer *time.Timer // a scheduled answer to presence requests, if any
	var answerC <-chan time.Time
	announce := func() {
		h.announcePresence()
		answers.announced(time.Now())
		if answer != nil {
			answer.Stop()
			answer, answerC = nil, nil
		}
	}
	defer func() {
		if answer != nil {
			answer.Stop()
		}
	}()
	h.askPresence()
	var dropped int64
	for {
		select {
		case <-h.ctx.Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				if h.ctx.Err() == nil {
					h.log.Error("chat: bus subscription ended; other hubs are no longer heard")
				}
				return
			}
			switch {
			case e.Origin == h.cfg.Instance:
			case e.Topic == icc.TopicAgents && e.Type == evPresenceRequest:
				now, after := answers.request(time.Now())
				switch {
				case now:
					announce()
				case after > 0:
					answer = time.NewTimer(after)
					answerC = answer.C
				}
			default:
				h.onEvent(e)
			}
		case <-answerC:
			announce()
		case <-tick.C:
			announce()
			h.expirePresence()
		case <-check.C:
			if d := sub.Dropped(); d != dropped {
				h.log.Warn("chat: bus events may have been missed; catching up from the store", "missed", d-dropped)
				dropped = d
				h.resync()
				e := icc.Event{Topic: TopicChat, Type: EventResync, Origin: h.cfg.Instance, At: h.cfg.Clock.Now()}
				h.broadcast(encode(eventFrame{Type: TypeEvent, Event: e}), isAgent)
				h.askPresence() // announcements may be among what was missed
			}
		}
	}
}

// missedCheck is how often the hub looks whether its bus subscription
// missed events, and if so catches up from the store: at most this long
// after a burst overflowed the subscription, messages from other hubs are
// delivered.
const missedCheck = 500 * time.Millisecond

// onEvent handles one event from another hub or publisher.
func (h *Hub) onEvent(e icc.Event) {
	if id, ok := strings.CutPrefix(e.Topic, icc.ConversationTopic("")); ok {
		switch e.Type {
		case evMessage:
			h.notice(id, e.Seq)
		case evTyping:
			var d typingData
			if json.Unmarshal(e.Data, &d) == nil && d.ConversationID == id {
				h.toRoom(id, encode(d), nil)
			}
		case evRead:
			h.toRoom(id, encode(readFrame{Type: TypeRead, ConversationID: id, ParticipantID: e.ID, Seq: e.Seq}), nil)
		case evClassification:
			var f classificationFrame
			if json.Unmarshal(e.Data, &f) == nil && f.ConversationID == id {
				h.toRoom(id, encode(f), isAgent)
			}
		case evConversation:
			h.forget(id)
			var d struct {
				Escalated bool `json:"escalated"`
			}
			if json.Unmarshal(e.Data, &d) == nil && d.Escalated {
				h.markEscalated(id)
			}
		}
		return
	}
	if e.Topic == icc.TopicAgents {
		if e.Type == evDisconnect {
			var reason string
			_ = json.Unmarshal(e.Data, &reason)
			h.disconnectLocal(e.ID, truncate(reason, maxDisconnectReason))
			return
		}
		if e.Type == evPresence {
			var d struct {
				Status icc.Availability `json:"status"`
			}
			if json.Unmarshal(e.Data, &d) == nil && d.Status.Valid() {
				h.remotePresence(e.Origin, e.ID, d.Status)
			}
		}
		return
	}
	if slices.ContainsFunc(h.cfg.EventTopics, func(p string) bool { return icc.TopicMatches(p, e.Topic) }) {
		h.broadcast(encode(eventFrame{Type: TypeEvent, Event: e}), isAgent)
	}
}

func isAgent(c *conn) bool { return c.p.Role == RoleAgent }

// dashboard sends a life-cycle event to this hub's agents and to the bus.
func (h *Hub) dashboard(typ, conversationID string, data any) {
	e := icc.Event{Topic: TopicChat, Type: typ, ID: conversationID, Origin: h.cfg.Instance, At: h.cfg.Clock.Now()}
	if data != nil {
		e.Data = encode(data)
	}
	h.broadcast(encode(eventFrame{Type: TypeEvent, Event: e}), isAgent)
	h.publish(e)
}

// resync catches every room up from the store.
func (h *Hub) resync() {
	h.mu.Lock()
	ids := make([]string, 0, len(h.rooms))
	for id := range h.rooms {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		ctx, cancel := h.storeCtx(h.ctx)
		c, err := h.store.GetConversation(ctx, id)
		cancel()
		if err == nil {
			h.notice(id, c.LastSeq)
		}
	}
}

// typing forwards a typing frame from c to the conversation's other
// participants, here and on other hubs.
func (h *Hub) typing(from *conn, d typingData) {
	b := encode(d)
	h.toRoom(d.ConversationID, b, func(c *conn) bool { return c != from })
	h.publish(icc.Event{Topic: icc.ConversationTopic(d.ConversationID), Type: evTyping, ID: d.SenderID, Data: b})
}

// read forwards a stored read mark to the conversation's participants.
func (h *Hub) read(m icc.ReadMark) {
	h.toRoom(m.ConversationID, encode(readFrame{Type: TypeRead, ConversationID: m.ConversationID, ParticipantID: m.ParticipantID, Seq: m.Seq}), nil)
	h.publish(icc.Event{Topic: icc.ConversationTopic(m.ConversationID), Type: evRead, ID: m.ParticipantID, Seq: m.Seq})
}

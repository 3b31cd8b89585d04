package chat

import (
	"context"
	"encoding/json"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/icc"
)

// evDisconnect, on icc.TopicAgents, asks every hub to close one agent's
// connections (ID: the agent; Data: the reason as a JSON string).
const evDisconnect = "chat.agent_disconnect"

// maxDisconnectReason bounds the close reason, which a WebSocket close
// frame carries in at most 123 bytes.
const maxDisconnectReason = 120

// DisconnectAgent closes every connection of agent id, on this hub and,
// through Config.Bus, on every hub sharing it, with
// websocket.StatusPolicyViolation (1008) and reason. A host calls it when
// the agent's credentials no longer hold — the password changed, the agent
// was deleted or signed out everywhere — since a WebSocket authenticated
// at its handshake stays open otherwise. A client that reconnects is
// authenticated again. The local connections are closed before it
// returns; other hubs close theirs when the event reaches them.
func (h *Hub) DisconnectAgent(ctx context.Context, id, reason string) error {
	if id == "" {
		return icc.Invalid("id", "is required")
	}
	reason = truncate(reason, maxDisconnectReason)
	h.disconnectLocal(id, reason)
	if h.cfg.Bus == nil {
		return nil
	}
	data, err := json.Marshal(reason)
	if err != nil {
		return err
	}
	e := icc.Event{Topic: icc.TopicAgents, Type: evDisconnect, ID: id, Data: data, Origin: h.cfg.Instance, At: h.cfg.Clock.Now()}
	if err := h.cfg.Bus.Publish(ctx, e); err != nil {
		return icc.Unavailable(err, "chat: telling the other hubs to disconnect agent %s failed", id)
	}
	return nil
}

// disconnectLocal closes this hub's connections of agent id.
func (h *Hub) disconnectLocal(id, reason string) {
	h.mu.Lock()
	var conns []*conn
	for c := range h.conns {
		if c.p.Role == RoleAgent && c.p.ID == id {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.StatusPolicyViolation, reason, true)
	}
	if len(conns) > 0 {
		h.log.Info("chat: agent disconnected", "agent", id, "connections", len(conns), "reason", reason)
	}
}

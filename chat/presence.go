package chat

import (
	"context"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// presence tracks which agents are online. Each of an agent's connections
// has a status (online or away); an agent is online when any connection on
// any hub is online, away when all are away, offline when there are none.
// So two tabs are one agent, who goes offline when the last tab closes.
type presence struct {
	mu     sync.Mutex
	local  map[string]map[*conn]icc.Availability // agent -> connection -> status
	mine   map[string]icc.Availability           // agent -> this hub's status, as announced
	remote map[string]map[string]remoteStatus    // agent -> hub -> status
	shown  map[string]icc.Availability           // agent -> status last sent to clients
}

type remoteStatus struct {
	status icc.Availability
	at     time.Time
}

func (p *presence) init() {
	p.local = map[string]map[*conn]icc.Availability{}
	p.mine = map[string]icc.Availability{}
	p.remote = map[string]map[string]remoteStatus{}
	p.shown = map[string]icc.Availability{}
}

func rank(a icc.Availability) int {
	switch a {
	case icc.AvailabilityOnline:
		return 2
	case icc.AvailabilityAway:
		return 1
	}
	return 0
}

func best(a, b icc.Availability) icc.Availability {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// localLocked is this hub's status of an agent.
func (p *presence) localLocked(agent string) icc.Availability {
	s := icc.AvailabilityOffline
	for _, st := range p.local[agent] {
		s = best(s, st)
	}
	return s
}

// overallLocked is an agent's status across every hub.
func (p *presence) overallLocked(agent string) icc.Availability {
	s := p.localLocked(agent)
	for _, r := range p.remote[agent] {
		s = best(s, r.status)
	}
	return s
}

// snapshotLocked queues the status of every agent not offline for a new
// connection.
func (p *presence) snapshotLocked(c *conn) {
	for agent, st := range p.shown {
		c.enqueue(encode(presenceFrame{Type: TypePresence, AgentID: agent, Status: st}))
	}
}

// setPresence sets the status of an agent's connection.
func (h *Hub) setPresence(c *conn, st icc.Availability) {
	h.presence.mu.Lock()
	defer h.presence.mu.Unlock()
	h.setPresenceLocked(c, st)
}

// setPresenceLocked sets (or, for offline, removes) the status of c, tells
// the other hubs when this hub's status of the agent changed, and every
// client when the agent's overall status changed.
func (h *Hub) setPresenceLocked(c *conn, st icc.Availability) {
	p := &h.presence
	agent := c.p.ID
	if st == icc.AvailabilityOffline {
		delete(p.local[agent], c)
		if len(p.local[agent]) == 0 {
			delete(p.local, agent)
		}
	} else {
		if p.local[agent] == nil {
			p.local[agent] = map[*conn]icc.Availability{}
		}
		p.local[agent][c] = st
	}
	if mine := p.localLocked(agent); mine != p.mine[agent] && !(mine == icc.AvailabilityOffline && p.mine[agent] == "") {
		if mine == icc.AvailabilityOffline {
			delete(p.mine, agent)
		} else {
			p.mine[agent] = mine
		}
		h.publish(icc.Event{Topic: icc.TopicAgents, Type: evPresence, ID: agent, Data: encode(map[string]any{"status": mine})})
	}
	h.showLocked(agent)
}

// showLocked sends an agent's overall status to every client when it
// changed.
func (h *Hub) showLocked(agent string) {
	p := &h.presence
	st := p.overallLocked(agent)
	old, ok := p.shown[agent]
	if !ok {
		old = icc.AvailabilityOffline
	}
	if st == old {
		return
	}
	if st == icc.AvailabilityOffline {
		delete(p.shown, agent)
	} else {
		p.shown[agent] = st
	}
	h.broadcast(encode(presenceFrame{Type: TypePresence, AgentID: agent, Status: st}), nil)
}

// remotePresence records another hub's status of an agent.
func (h *Hub) remotePresence(hub, agent string, st icc.Availability) {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if st == icc.AvailabilityOffline {
		delete(p.remote[agent], hub)
		if len(p.remote[agent]) == 0 {
			delete(p.remote, agent)
		}
	} else {
		if p.remote[agent] == nil {
			p.remote[agent] = map[string]remoteStatus{}
		}
		p.remote[agent][hub] = remoteStatus{status: st, at: h.cfg.Clock.Now()}
	}
	h.showLocked(agent)
}

// announcePresence announces this hub's agents, so that a hub that
// missed an event, started later or asked (see askPresence) learns them.
func (h *Hub) announcePresence() {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	for agent, st := range p.mine {
		h.publish(icc.Event{Topic: icc.TopicAgents, Type: evPresence, ID: agent, Data: encode(map[string]any{"status": st})})
	}
}

// expirePresence forgets announcements of hubs that stopped announcing:
// those older than three PresenceIntervals.
func (h *Hub) expirePresence() {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	stale := h.cfg.Clock.Now().Add(-3 * h.cfg.PresenceInterval)
	for agent, hubs := range p.remote {
		changed := false
		for hub, r := range hubs {
			if r.at.Before(stale) {
				delete(hubs, hub)
				changed = true
			}
		}
		if len(hubs) == 0 {
			delete(p.remote, agent)
		}
		if changed {
			h.showLocked(agent)
		}
	}
}

// evPresenceRequest, on icc.TopicAgents, asks every hub to announce its
// agents now; ID is the asking hub's instance. A hub that does not know
// the type ignores it, as it ignores every unknown type on that topic.
const evPresenceRequest = "chat.presence_request"

// askPresence asks the other hubs to announce their agents now, so that
// this hub does not take agents connected elsewhere for offline until
// their next periodic announcement. The hub asks when it starts and after
// its bus subscription may have missed events.
func (h *Hub) askPresence() {
	h.publish(icc.Event{Topic: icc.TopicAgents, Type: evPresenceRequest, ID: h.cfg.Instance})
}

// presenceAnswerGap is the shortest interval between two announcements a
// hub makes in answer to presence requests.
const presenceAnswerGap = time.Second

// answerLimiter spaces the announcements a hub makes in answer to presence
// requests: a request is answered at once when the hub's last announcement
// is at least gap old, otherwise by one announcement when it is, which
// answers every request received meanwhile. So a burst of requests costs
// at most one announcement per gap. It belongs to the bus loop.
type answerLimiter struct {
	gap     time.Duration
	last    time.Time // the last announcement
	pending bool      // an announcement is due at last+gap
}

// request records a request received at now. It reports whether to
// announce now or, when an announcement must be scheduled, after how long
// (zero when one is already due).
func (l *answerLimiter) request(now time.Time) (announce bool, after time.Duration) {
	switch {
	case l.pending:
		return false, 0
	case now.Sub(l.last) >= l.gap:
		return true, 0
	}
	l.pending = true
	return false, l.last.Add(l.gap).Sub(now)
}

// announced records an announcement made at now, periodic or in answer;
// it answers every request received before, so none is due any more.
func (l *answerLimiter) announced(now time.Time) {
	l.last, l.pending = now, false
}

// AgentsOnline returns how many agents are online (not away) on this hub
// and on every hub it hears through the bus. Config.AgentsOnline, when set,
// replaces it in the hub's decisions.
func (h *Hub) AgentsOnline() int {
	p := &h.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, st := range p.shown {
		if st == icc.AvailabilityOnline {
			n++
		}
	}
	return n
}

// agentsOnline is the count the hub's decisions use.
func (h *Hub) agentsOnline(ctx context.Context) int {
	if h.cfg.AgentsOnline != nil {
		return h.cfg.AgentsOnline(ctx)
	}
	return h.AgentsOnline()
}

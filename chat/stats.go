package chat

// Connections returns how many WebSocket connections this hub serves now,
// by role: agents' (an agent with two tabs counts twice) and customers'.
// Connections on other hubs sharing the bus are not counted. It is meant
// for metrics and takes the hub's lock briefly.
func (h *Hub) Connections() (agents, customers int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		switch c.p.Role {
		case RoleAgent:
			agents++
		case RoleCustomer:
			customers++
		}
	}
	return agents, customers
}

package icc

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// AssignStrategy is how a queue picks an agent for a ticket.
type AssignStrategy string

// Assignment strategies.
const (
	// AssignRoundRobin takes qualifying agents in turn.
	AssignRoundRobin AssignStrategy = "round_robin"
	// AssignLeastLoaded takes the agent with the most free capacity.
	AssignLeastLoaded AssignStrategy = "least_loaded"
	// AssignManual leaves tickets in the queue for a person to assign.
	AssignManual AssignStrategy = "manual"
)

// Queue is where routed tickets wait for an agent.
type Queue struct {
	Name     string         `json:"name"`
	Strategy AssignStrategy `json:"strategy"`
	// Skills every agent of the queue needs, added to the rule's skills.
	Skills []string `json:"skills,omitempty"`
	// Restricted queues take sensitive tickets: their tickets are never
	// answered automatically.
	Restricted bool `json:"restricted,omitempty"`
}

// RoutingRule sends matching tickets to a queue. Every non-empty condition
// must hold; within one condition any listed value matches.
type RoutingRule struct {
	Name       string     `json:"name"`
	Categories []Category `json:"categories,omitempty"`
	Priorities []Priority `json:"priorities,omitempty"`
	Tiers      []string   `json:"tiers,omitempty"`
	Channels   []Channel  `json:"channels,omitempty"`
	// Keywords match as case-insensitive substrings of subject or body.
	Keywords []string `json:"keywords,omitempty"`
	Queue    string   `json:"queue"`
	// Skills an agent needs for tickets routed by this rule.
	Skills []string `json:"skills,omitempty"`
}

func (r *RoutingRule) matches(t *Ticket, tier string) bool {
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, t.Category) {
		return false
	}
	if len(r.Priorities) > 0 && !slices.Contains(r.Priorities, t.Priority) {
		return false
	}
	if len(r.Tiers) > 0 && !slices.Contains(r.Tiers, tier) {
		return false
	}
	if len(r.Channels) > 0 && !slices.Contains(r.Channels, t.Channel) {
		return false
	}
	if len(r.Keywords) > 0 {
		text := strings.ToLower(t.Subject + "\n" + t.Body)
		if !slices.ContainsFunc(r.Keywords, func(k string) bool { return strings.Contains(text, strings.ToLower(k)) }) {
			return false
		}
	}
	return true
}

// RouterConfig configures a Router.
type RouterConfig struct {
	Queues []Queue
	// Rules are tried in order; the first that matches decides.
	Rules []RoutingRule
	// DefaultQueue takes tickets no rule matches.
	DefaultQueue string
	// SensitiveQueue takes every sensitive ticket, before any rule; it must
	// be a restricted queue.
	SensitiveQueue string
}

// DefaultRouterConfig returns a small sensible setup: technical, billing and
// general queues assigned least-loaded by skill, and a restricted
// "sensitive" queue assigned round-robin to agents with the "sensitive" skill.
func DefaultRouterConfig() RouterConfig {
	return RouterConfig{
		Queues: []Queue{
			{Name: "technical", Strategy: AssignLeastLoaded, Skills: []string{"technical"}},
			{Name: "billing", Strategy: AssignLeastLoaded, Skills: []string{"billing"}},
			{Name: "general", Strategy: AssignLeastLoaded},
			{Name: "sensitive", Strategy: AssignRoundRobin, Skills: []string{"sensitive"}, Restricted: true},
		},
		Rules: []RoutingRule{
			{Name: "technical", Categories: []Category{CategoryTechnical}, Queue: "technical"},
			{Name: "billing", Categories: []Category{CategoryBilling}, Queue: "billing"},
		},
		DefaultQueue:   "general",
		SensitiveQueue: "sensitive",
	}
}

// Router decides the queue of a ticket and picks agents for queues. It is
// safe for concurrent use.
type Router struct {
	queues map[string]Queue
	cfg    RouterConfig

	mu   sync.Mutex
	last map[string]string // round robin: the agent id last offered first, per queue
}

// NewRouter checks the configuration and returns a Router.
func NewRouter(cfg RouterConfig) (*Router, error) {
	r := &Router{queues: map[string]Queue{}, cfg: cfg, last: map[string]string{}}
	for _, q := range cfg.Queues {
		if strings.TrimSpace(q.Name) == "" {
			return nil, Invalid("queues.name", "every queue needs a name")
		}
		if _, dup := r.queues[q.Name]; dup {
			return nil, Invalid("queues.name", "queue %q is defined twice", q.Name)
		}
		if q.Strategy == "" {
			q.Strategy = AssignLeastLoaded
		}
		switch q.Strategy {
		case AssignRoundRobin, AssignLeastLoaded, AssignManual:
		default:
			return nil, Invalid("queues.strategy", "queue %q: strategy must be round_robin, least_loaded or manual", q.Name)
		}
		r.queues[q.Name] = q
	}
	if _, ok := r.queues[cfg.DefaultQueue]; !ok {
		return nil, Invalid("default_queue", "default queue %q is not defined", cfg.DefaultQueue)
	}
	if q, ok := r.queues[cfg.SensitiveQueue]; !ok || !q.Restricted {
		return nil, Invalid("sensitive_queue", "sensitive queue %q must be a defined restricted queue", cfg.SensitiveQueue)
	}
	for i, rule := range cfg.Rules {
		if _, ok := r.queues[rule.Queue]; !ok {
			return nil, Invalid("rules.queue", "rule %d (%s) names unknown queue %q", i, rule.Name, rule.Queue)
		}
	}
	return r, nil
}

// Route is the Router's decision for one ticket.
type Route struct {
	Queue string `json:"queue"`
	// Skills an agent needs: the queue's and the rule's.
	Skills []string `json:"skills,omitempty"`
	// Rule names the rule that matched; "sensitive" or "default" otherwise.
	Rule string `json:"rule"`
	// AutoReply reports whether a bot may answer the ticket: never for a
	// restricted queue or an escalated ticket.
	AutoReply bool           `json:"auto_reply"`
	Strategy  AssignStrategy `json:"strategy"`
}

// Route picks the queue for t, whose customer has the given tier.
func (r *Router) Route(t *Ticket, tier string) Route {
	var rt Route
	switch {
	case t.Category == CategorySensitive:
		rt = Route{Queue: r.cfg.SensitiveQueue, Rule: "sensitive"}
	default:
		rt = Route{Queue: r.cfg.DefaultQueue, Rule: "default"}
		for i := range r.cfg.Rules {
			if rule := &r.cfg.Rules[i]; rule.matches(t, tier) {
				rt = Route{Queue: rule.Queue, Rule: cmp.Or(rule.Name, rule.Queue), Skills: slices.Clone(rule.Skills)}
				break
			}
		}
	}
	q := r.queues[rt.Queue]
	for _, s := range q.Skills {
		if !slices.Contains(rt.Skills, s) {
			rt.Skills = append(rt.Skills, s)
		}
	}
	rt.Strategy = q.Strategy
	rt.AutoReply = !q.Restricted && !t.Escalated && t.Category != CategorySensitive
	return rt
}

// Queue returns the named queue.
func (r *Router) Queue(name string) (Queue, bool) {
	q, ok := r.queues[name]
	return q, ok
}

// Candidates returns, in the order the queue's strategy prefers them, the
// agents who may take a ticket routed by rt: online, with every required
// skill and free capacity given loads (active tickets per agent). It
// returns nothing for a manual queue. Callers try the candidates in order
// with TicketStore.AssignTicket, which enforces capacity atomically.
func (r *Router) Candidates(rt Route, agents []*Agent, loads map[string]int) []*Agent {
	if rt.Strategy == AssignManual {
		return nil
	}
	var ok []*Agent
	for _, a := range agents {
		if a.Availability == AvailabilityOnline && a.HasSkills(rt.Skills) && loads[a.ID] < a.Capacity {
			ok = append(ok, a)
		}
	}
	slices.SortStableFunc(ok, func(a, b *Agent) int { return strings.Compare(a.ID, b.ID) })
	if len(ok) == 0 {
		return nil
	}
	switch rt.Strategy {
	case AssignRoundRobin:
		// Start after the agent offered first last time, in id order, so
		// turns stay fair while agents come and go.
		r.mu.Lock()
		start, _ := slices.BinarySearchFunc(ok, r.last[rt.Queue], func(a *Agent, id string) int {
			return cmp.Compare(a.ID, id+"\x00")
		})
		start %= len(ok)
		r.last[rt.Queue] = ok[start].ID
		r.mu.Unlock()
		ok = slices.Concat(ok[start:], ok[:start])
	default: // least loaded: most free capacity first, then lowest load
		slices.SortStableFunc(ok, func(a, b *Agent) int {
			return cmp.Or(
				cmp.Compare(b.Capacity-loads[b.ID], a.Capacity-loads[a.ID]),
				cmp.Compare(loads[a.ID], loads[b.ID]),
			)
		})
	}
	return ok
}

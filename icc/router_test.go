package icc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func testRouter(t *testing.T) *icc.Router {
	t.Helper()
	cfg := icc.DefaultRouterConfig()
	cfg.Queues = append(cfg.Queues, icc.Queue{Name: "vip", Strategy: icc.AssignRoundRobin}, icc.Queue{Name: "triage", Strategy: icc.AssignManual})
	cfg.Rules = append([]icc.RoutingRule{
		{Name: "enterprise outage", Tiers: []string{"enterprise"}, Priorities: []icc.Priority{icc.PriorityHigh, icc.PriorityUrgent}, Queue: "vip", Skills: []string{"senior"}},
		{Name: "phone", Channels: []icc.Channel{icc.ChannelPhone}, Keywords: []string{"GDPR"}, Queue: "triage"},
	}, cfg.Rules...)
	r, err := icc.NewRouter(cfg)
	require.NoError(t, err)
	return r
}

func TestRouterRules(t *testing.T) {
	r := testRouter(t)
	cases := []struct {
		name  string
		t     icc.Ticket
		tier  string
		queue string
		rule  string
		auto  bool
	}{
		{"billing", icc.Ticket{Category: icc.CategoryBilling, Priority: icc.PriorityLow}, "free", "billing", "billing", true},
		{"technical", icc.Ticket{Category: icc.CategoryTechnical, Priority: icc.PriorityMedium}, "", "technical", "technical", true},
		{"default", icc.Ticket{Category: icc.CategoryGeneral, Priority: icc.PriorityMedium}, "", "general", "default", true},
		{"sensitive beats every rule", icc.Ticket{Category: icc.CategorySensitive, Priority: icc.PriorityUrgent}, "enterprise", "sensitive", "sensitive", false},
		{"tier and priority", icc.Ticket{Category: icc.CategoryTechnical, Priority: icc.PriorityUrgent}, "enterprise", "vip", "enterprise outage", true},
		{"tier but low priority", icc.Ticket{Category: icc.CategoryTechnical, Priority: icc.PriorityLow}, "enterprise", "technical", "technical", true},
		{"keyword and channel", icc.Ticket{Category: icc.CategoryGeneral, Channel: icc.ChannelPhone, Body: "about gdpr data"}, "", "triage", "phone", true},
		{"keyword wrong channel", icc.Ticket{Category: icc.CategoryGeneral, Channel: icc.ChannelEmail, Body: "about gdpr data"}, "", "general", "default", true},
		{"escalated never auto", icc.Ticket{Category: icc.CategoryGeneral, Escalated: true}, "", "general", "default", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt := r.Route(&c.t, c.tier)
			assert.Equal(t, c.queue, rt.Queue)
			assert.Equal(t, c.rule, rt.Rule)
			assert.Equal(t, c.auto, rt.AutoReply)
		})
	}
	rt := r.Route(&icc.Ticket{Category: icc.CategoryTechnical, Priority: icc.PriorityUrgent}, "enterprise")
	assert.Equal(t, []string{"senior"}, rt.Skills)
	rt = r.Route(&icc.Ticket{Category: icc.CategorySensitive}, "")
	assert.Equal(t, []string{"sensitive"}, rt.Skills)
	assert.Equal(t, icc.AssignRoundRobin, rt.Strategy)
}

func TestNewRouterRejectsBadConfig(t *testing.T) {
	base := icc.DefaultRouterConfig
	cases := map[string]func(c *icc.RouterConfig){
		"unknown default":        func(c *icc.RouterConfig) { c.DefaultQueue = "nope" },
		"unrestricted sensitive": func(c *icc.RouterConfig) { c.SensitiveQueue = "general" },
		"rule to unknown queue":  func(c *icc.RouterConfig) { c.Rules[0].Queue = "nope" },
		"duplicate queue":        func(c *icc.RouterConfig) { c.Queues = append(c.Queues, icc.Queue{Name: "general"}) },
		"bad strategy":           func(c *icc.RouterConfig) { c.Queues[0].Strategy = "lottery" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := base()
			mutate(&c)
			_, err := icc.NewRouter(c)
			require.ErrorIs(t, err, icc.ErrInvalid)
		})
	}
}

func TestRouterCandidates(t *testing.T) {
	r := testRouter(t)
	agents := []*icc.Agent{
		{ID: "a", Capacity: 3, Availability: icc.AvailabilityOnline, Skills: []string{"billing"}},
		{ID: "b", Capacity: 3, Availability: icc.AvailabilityOnline, Skills: []string{"billing", "sensitive"}},
		{ID: "c", Capacity: 5, Availability: icc.AvailabilityOnline, Skills: []string{"billing", "sensitive"}},
		{ID: "d", Capacity: 9, Availability: icc.AvailabilityAway, Skills: []string{"billing", "sensitive"}},
		{ID: "e", Capacity: 1, Availability: icc.AvailabilityOnline, Skills: []string{"billing", "sensitive"}},
	}
	loads := map[string]int{"a": 1, "b": 0, "c": 4, "e": 1}
	ids := func(as []*icc.Agent) (out []string) {
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}

	billing := r.Route(&icc.Ticket{Category: icc.CategoryBilling}, "")
	// least loaded: free capacity b 3, a 2, c 1; d away, e full.
	assert.Equal(t, []string{"b", "a", "c"}, ids(r.Candidates(billing, agents, loads)))

	sensitive := r.Route(&icc.Ticket{Category: icc.CategorySensitive}, "")
	// round robin over b and c (skill sensitive, online, free capacity), taking turns.
	assert.Equal(t, []string{"b", "c"}, ids(r.Candidates(sensitive, agents, loads)))
	assert.Equal(t, []string{"c", "b"}, ids(r.Candidates(sensitive, agents, loads)))
	assert.Equal(t, []string{"b", "c"}, ids(r.Candidates(sensitive, agents, loads)))

	manual := r.Route(&icc.Ticket{Category: icc.CategoryGeneral, Channel: icc.ChannelPhone, Body: "gdpr"}, "")
	assert.Empty(t, r.Candidates(manual, agents, loads))
	assert.Empty(t, r.Candidates(billing, agents, map[string]int{"a": 3, "b": 3, "c": 5, "e": 1}))
}

func TestSLADefaults(t *testing.T) {
	p := icc.DefaultSLAPolicy()
	require.NoError(t, p.Validate())
	created := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	fr, res := p.Due(created, icc.PriorityUrgent)
	assert.Equal(t, created.Add(15*time.Minute), fr)
	assert.Equal(t, created.Add(4*time.Hour), res)
	fr, res = p.Due(created, icc.PriorityLow)
	assert.Equal(t, created.Add(8*time.Hour), fr)
	assert.Equal(t, created.Add(72*time.Hour), res)

	delete(p.Targets, icc.PriorityLow)
	require.ErrorIs(t, p.Validate(), icc.ErrInvalid)
}

func TestSLABusinessHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	bh := &icc.BusinessHours{Location: berlin, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Open: 9 * time.Hour, Close: 17 * time.Hour}
	require.NoError(t, bh.Validate())
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, berlin) } // 2026-03-02 is a Monday

	assert.Equal(t, at(2, 10, 0), bh.Add(at(2, 9, 0), time.Hour), "inside hours")
	assert.Equal(t, at(2, 10, 0), bh.Add(at(2, 7, 30), time.Hour), "before opening starts at opening")
	assert.Equal(t, at(3, 10, 0), bh.Add(at(2, 16, 0), 2*time.Hour), "runs over into the next day")
	assert.Equal(t, at(9, 9, 30), bh.Add(at(6, 16, 30), time.Hour), "Friday afternoon to Monday")
	assert.Equal(t, at(9, 10, 0), bh.Add(at(7, 12, 0), time.Hour), "weekend starts Monday")
	assert.Equal(t, at(3, 17, 0), bh.Add(at(2, 9, 0), 16*time.Hour), "two full days")

	p := icc.DefaultSLAPolicy()
	p.BusinessHours = bh
	require.NoError(t, p.Validate())
	fr, _ := p.Due(at(6, 16, 30), icc.PriorityHigh)
	assert.Equal(t, at(9, 9, 30), fr)

	require.ErrorIs(t, (&icc.BusinessHours{Days: []time.Weekday{time.Monday}, Open: 10 * time.Hour, Close: 9 * time.Hour}).Validate(), icc.ErrInvalid)
	require.ErrorIs(t, (&icc.BusinessHours{Open: 9 * time.Hour, Close: 17 * time.Hour}).Validate(), icc.ErrInvalid)
}

package ratewindow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/icclabs/commandcenter/icc"
)

func TestApply(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	l := icc.RateLimit{Key: "k", Limit: 2, Window: time.Minute}
	allowed := icc.RateDecision{Allowed: true}
	tests := []struct {
		name string
		hits []time.Time
		now  time.Time
		op   Op
		kept []time.Time
		want icc.RateDecision
	}{
		{"check empty", nil, at(0), Check, []time.Time{}, allowed},
		{"hit empty", nil, at(0), Hit, []time.Time{at(0)}, allowed},
		{"hit under the limit", []time.Time{at(0)}, at(5), Hit, []time.Time{at(0), at(5)}, allowed},
		{"hit at the limit", []time.Time{at(0), at(5)}, at(10), Hit, []time.Time{at(0), at(5)}, icc.RateDecision{RetryAfter: 50 * time.Second}},
		{"old events drop", []time.Time{at(0), at(5)}, at(60), Hit, []time.Time{at(5), at(60)}, allowed},
		{"all events drop", []time.Time{at(0), at(5)}, at(70), Check, []time.Time{}, allowed},
		{"add past the limit", []time.Time{at(0), at(5)}, at(10), Add, []time.Time{at(5), at(10)}, icc.RateDecision{RetryAfter: 55 * time.Second}},
		{"add under the limit", nil, at(0), Add, []time.Time{at(0)}, allowed},
		{"an earlier event goes in order", []time.Time{at(10)}, at(5), Add, []time.Time{at(5), at(10)}, icc.RateDecision{RetryAfter: time.Minute}},
		{"events from the future wait a window at most", []time.Time{at(30), at(40)}, at(0), Check, []time.Time{at(30), at(40)}, icc.RateDecision{RetryAfter: time.Minute}},
		{"unsorted input", []time.Time{at(5), at(0)}, at(10), Check, []time.Time{at(0), at(5)}, icc.RateDecision{RetryAfter: 50 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Time(nil), tt.hits...)
			kept, d := Apply(tt.hits, tt.now, l, tt.op)
			assert.Equal(t, tt.kept, kept)
			assert.Equal(t, tt.want, d)
			assert.Equal(t, in, tt.hits, "the input is not modified")
		})
	}
}

func TestExpires(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kept := []time.Time{t0, t0.Add(time.Second)}
	assert.Equal(t, t0.Add(61*time.Second), Expires(kept, time.Minute, t0), "a window after the newest event")
	assert.Equal(t, t0.Add(time.Hour+time.Minute), Expires(kept, time.Minute, t0.Add(time.Hour)),
		"a window after the write, for events timed by another clock")
}

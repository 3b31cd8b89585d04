package icc

import (
	"slices"
	"time"
)

// SLATarget is how soon a ticket of one priority must be answered and resolved.
type SLATarget struct {
	FirstResponse time.Duration `json:"first_response"`
	Resolution    time.Duration `json:"resolution"`
}

// SLAPolicy sets the service-level targets per priority, counted in business
// hours when BusinessHours is set and around the clock otherwise.
type SLAPolicy struct {
	Targets       map[Priority]SLATarget
	BusinessHours *BusinessHours
}

// DefaultSLAPolicy returns around-the-clock targets: urgent 15 min / 4 h,
// high 1 h / 8 h, medium 4 h / 24 h, low 8 h / 72 h.
func DefaultSLAPolicy() SLAPolicy {
	return SLAPolicy{Targets: map[Priority]SLATarget{
		PriorityUrgent: {15 * time.Minute, 4 * time.Hour},
		PriorityHigh:   {time.Hour, 8 * time.Hour},
		PriorityMedium: {4 * time.Hour, 24 * time.Hour},
		PriorityLow:    {8 * time.Hour, 72 * time.Hour},
	}}
}

// Validate checks that every priority has positive targets and that the
// first response is due no later than the resolution.
func (p SLAPolicy) Validate() error {
	for _, pr := range []Priority{PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent} {
		t, ok := p.Targets[pr]
		if !ok {
			return Invalid("sla", "no target for priority %s", pr)
		}
		if t.FirstResponse <= 0 || t.Resolution <= 0 || t.FirstResponse > t.Resolution {
			return Invalid("sla", "targets for %s must be positive with first response before resolution", pr)
		}
	}
	if p.BusinessHours != nil {
		return p.BusinessHours.Validate()
	}
	return nil
}

// Due returns when the first response and the resolution of a ticket of
// priority pr created at created are due.
func (p SLAPolicy) Due(created time.Time, pr Priority) (firstResponse, resolution time.Time) {
	t := p.target(pr)
	return p.add(created, t.FirstResponse), p.add(created, t.Resolution)
}

// target returns the targets for priority pr, medium's for an unknown one.
func (p SLAPolicy) target(pr Priority) SLATarget {
	t, ok := p.Targets[pr]
	if !ok {
		t = p.Targets[PriorityMedium]
	}
	return t
}

// add returns the time at which d of SLA time has passed after t.
func (p SLAPolicy) add(t time.Time, d time.Duration) time.Time {
	if p.BusinessHours == nil {
		return t.Add(d)
	}
	return p.BusinessHours.Add(t, d)
}

// atRisk reports whether due is still ahead of now but less than lead of
// SLA time away.
func (p SLAPolicy) atRisk(now, due time.Time, lead time.Duration) bool {
	return now.Before(due) && lead > 0 && !p.add(now, lead).Before(due)
}

// BusinessHours is the working week in which SLA time runs: the same opening
// hours on each listed weekday, in one time zone.
type BusinessHours struct {
	Location *time.Location
	Days     []time.Weekday
	// Open and Close are offsets from midnight, e.g. 9h and 17h.
	Open  time.Duration
	Close time.Duration
}

// Validate checks the opening hours.
func (b *BusinessHours) Validate() error {
	if len(b.Days) == 0 {
		return Invalid("business_hours.days", "at least one working day is required")
	}
	if b.Open < 0 || b.Close > 24*time.Hour || b.Close <= b.Open {
		return Invalid("business_hours", "open must be before close, within one day")
	}
	return nil
}

// Add returns the time at which d of business time has passed after t.
func (b *BusinessHours) Add(t time.Time, d time.Duration) time.Time {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	cur := t.In(loc)
	// A year of calendar days bounds the walk for any sane policy.
	for range 366 * 2 {
		day := time.Date(cur.Year(), cur.Month(), cur.Day(), 0, 0, 0, 0, loc)
		open, closing := day.Add(b.Open), day.Add(b.Close)
		if slices.Contains(b.Days, cur.Weekday()) && cur.Before(closing) {
			if cur.Before(open) {
				cur = open
			}
			if left := closing.Sub(cur); d <= left {
				return cur.Add(d).In(t.Location())
			} else {
				d -= left
			}
		}
		cur = time.Date(cur.Year(), cur.Month(), cur.Day()+1, 0, 0, 0, 0, loc)
	}
	return cur.Add(d).In(t.Location())
}

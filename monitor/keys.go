package monitor

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/icclabs/commandcenter/icc"
)

// ruleSlot is one alert rule of an integration with the dedup keys of its
// alerts.
type ruleSlot struct {
	// rule is a validated copy of the rule, defaults filled in.
	rule icc.AlertRule
	// err is why the rule is invalid; such a rule has no keys.
	err error
	// key is the dedup key of a new alert of the rule.
	key string
	// aliases are other keys an active alert of the rule may carry: keys
	// it had when the integration had other rules, or under the
	// positional scheme of earlier versions.
	aliases []string
	// typed is "<integration id>:<type>", the key of an alert of a rule
	// that was alone of its type when it fired; alerts under it, or under
	// a positional key, say which rule fired them only by their severity
	// (see claimAlerts).
	typed string
	// sevFirst reports whether no valid rule of the type before this one
	// has its severity.
	sevFirst bool
}

// ruleSlots returns the slots of in's alert rules, in order.
//
// A rule that is the only one of its type on the integration has the key
// "<integration id>:<type>", as it always had, so retuning it (another
// threshold or resolve_after) keeps its alert; another severity does not
// (see claimAlerts). When several
// rules share a type, each key adds what the rule judges by, e.g.
// "<id>:latency:latency=500ms,checks=3", and "#2", "#3" for repeats of an
// identical rule: moving rules around keeps their alerts, and an alert of
// a rule that was removed or changed belongs to no rule any more.
func ruleSlots(in *icc.Integration) []ruleSlot {
	slots := make([]ruleSlot, len(in.AlertRules))
	perType := map[icc.AlertRuleType]int{}
	for i, r := range in.AlertRules {
		slots[i].rule = r
		if slots[i].err = slots[i].rule.Validate(); slots[i].err == nil {
			perType[r.Type]++
		}
	}
	seenType := map[icc.AlertRuleType]bool{}
	seenSeverity := map[string]bool{}
	seenIdentity := map[string]int{}
	for i := range slots {
		s := &slots[i]
		if s.err != nil {
			continue
		}
		typed := in.ID + ":" + string(s.rule.Type)
		identity := typed + ":" + ruleIdentity(s.rule)
		seenIdentity[identity]++
		if n := seenIdentity[identity]; n > 1 {
			identity += "#" + strconv.Itoa(n)
		}
		first := !seenType[s.rule.Type]
		seenType[s.rule.Type] = true
		s.typed = typed
		sev := string(s.rule.Type) + "/" + string(s.rule.Severity)
		s.sevFirst = !seenSeverity[sev]
		seenSeverity[sev] = true
		switch {
		case perType[s.rule.Type] == 1:
			s.key, s.aliases = typed, []string{identity}
		case first:
			// The plain key: the key of any rule that was alone of its type
			// when its alert fired, and of the first under the positional
			// scheme.
			s.key, s.aliases = identity, []string{typed}
		default:
			// The plain key, as above, and the positional scheme of earlier
			// versions: "<id>:<type>:<index>".
			s.key, s.aliases = identity, []string{typed, fmt.Sprintf("%s:%d", typed, i)}
		}
	}
	return slots
}

// ruleIdentity is what a rule judges by, as it appears in dedup keys. It
// always holds "=", so it never reads as a positional key's index.
func ruleIdentity(r icc.AlertRule) string {
	switch r.Type {
	case icc.RuleConsecutiveFailures:
		return "failures=" + strconv.Itoa(r.Failures)
	case icc.RuleLatency:
		return fmt.Sprintf("latency=%s,checks=%d", r.Latency.Std(), slowChecks(r))
	default:
		return fmt.Sprintf("rate=%s,window=%s", strconv.FormatFloat(r.SuccessRate, 'g', -1, 64), r.Window.Std())
	}
}

// claimAlerts matches an integration's active alerts with its rule slots:
// owned[i] is slot i's alert, or nil. Each slot first claims the alert of
// its key, then, if it has none, one of its aliases that no other slot
// claimed; alerts no slot claims are orphans, whose rules are gone.
//
// An alert goes only to a rule of its severity: a rule whose severity
// changed is a changed rule, whose old alert resolves while the new one
// fires at the new severity. A key that names a rule by what it judges is
// exact. The plain key "<id>:<type>" and the positional keys of earlier
// versions are not: the plain key was any rule's that was alone of its
// type when its alert fired, so, when several rules share the type, it
// goes only to the first rule of the type with its severity. A rule of
// another severity put in front of another, or left alone when the other
// is removed, thus does not take over (and resolve by its own threshold)
// an alert the other fired. Rules of one type and severity cannot be told
// apart by such a key: the first takes it, as under the positional scheme.
func claimAlerts(slots []ruleSlot, active []*icc.Alert) (owned, orphans []*icc.Alert) {
	byKey := make(map[string]*icc.Alert, len(active))
	for _, a := range active {
		byKey[a.DedupKey] = a
	}
	owned = make([]*icc.Alert, len(slots))
	claim := func(i int, k string) bool {
		s := slots[i]
		a := byKey[k]
		if a == nil || s.err != nil || owned[i] != nil {
			return false
		}
		if a.Severity != s.rule.Severity {
			return false // another severity is another rule: it resolves, the new one fires
		}
		if k == s.typed && k != s.key && !s.sevFirst {
			return false
		}
		owned[i] = a
		delete(byKey, k)
		return true
	}
	for i, s := range slots {
		claim(i, s.key)
	}
	for i, s := range slots {
		for _, k := range s.aliases {
			if claim(i, k) {
				break
			}
		}
	}
	for _, a := range active {
		if !slices.Contains(owned, a) {
			orphans = append(orphans, a)
		}
	}
	return owned, orphans
}

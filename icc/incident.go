package icc

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Incident is an integration that is down or degraded now: a known problem
// that new tickets and chat messages can be linked to.
type Incident struct {
	IntegrationID string            `json:"integration_id"`
	Name          string            `json:"name"`
	Kind          IntegrationKind   `json:"kind"`
	Status        IntegrationStatus `json:"status"`
	// Since is when the integration entered this status.
	Since time.Time `json:"since"`
}

// IncidentSource lists the active incidents. *monitor.Monitor satisfies it.
type IncidentSource interface {
	// ActiveIncidents returns the integrations that are down or degraded
	// now, most serious first.
	ActiveIncidents(ctx context.Context) ([]Incident, error)
}

// minIncidentName is the shortest integration name, in letters and digits,
// that text can name: shorter names ("HR", "IT", "A") are ordinary words
// too often.
const minIncidentName = 3

// kindWord is the word that names an integration by its kind, "" for the
// kinds api and other: "api" names too many things to point at one
// integration.
func kindWord(k IntegrationKind) string {
	switch k {
	case KindCRM, KindERP, KindBilling:
		return string(k)
	}
	return ""
}

// Mentioned reports whether text names the incident's integration. Text and
// name are compared as words, ignoring case: a word is a run of letters and
// digits, everything else separates words. Text names the integration when
// it contains the words of the integration's name in order and next to
// each other ("the mock ERP is slow" names "Mock ERP"; "mockery" does not),
// as long as the name has at least three letters or digits; or when it
// contains the word of the integration's kind: "crm", "erp" or "billing"
// (kinds api and other have no word).
func (inc Incident) Mentioned(text string) bool {
	return inc.mentionedIn(words(text))
}

func (inc Incident) mentionedIn(text []string) bool {
	if kw := kindWord(inc.Kind); kw != "" && slices.Contains(text, kw) {
		return true
	}
	name := words(inc.Name)
	if utf8.RuneCountInString(strings.Join(name, "")) < minIncidentName {
		return false
	}
	for i := 0; i+len(name) <= len(text); i++ {
		if slices.Equal(text[i:i+len(name)], name) {
			return true
		}
	}
	return false
}

// MatchIncidents returns the incidents whose integration text names (see
// Incident.Mentioned), in the order given.
func MatchIncidents(text string, incidents []Incident) []Incident {
	w := words(text)
	var out []Incident
	for _, inc := range incidents {
		if inc.mentionedIn(w) {
			out = append(out, inc)
		}
	}
	return out
}

// incidentTagPrefix starts the tags that link a ticket to an incident.
const incidentTagPrefix = "incident:"

// IncidentTag is the tag CreateTicket gives a ticket linked to inc:
// "incident:" and the integration's name.
func IncidentTag(inc Incident) string { return incidentTagPrefix + inc.Name }

// words splits s into lower-case runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

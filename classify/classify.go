package classify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Classifier labels a customer request. Implementations must be safe for
// concurrent use. Classify returns an error wrapping ErrInvalidInput for a
// request it will not classify (no text, invalid UTF-8) and ErrUnavailable
// when a backing service cannot answer.
type Classifier interface {
	Classify(ctx context.Context, req Request) (Result, error)
}

// Request is the text to classify and what is known about where it came from.
type Request struct {
	// Subject is the ticket subject line, if any.
	Subject string
	// Body is the customer's message.
	Body string
	// Channel is where the request arrived: "email", "chat", "web", "phone".
	Channel string
	// CustomerTier is the customer's plan, e.g. "free", "pro", "enterprise".
	CustomerTier string
	// History holds earlier turns of the conversation, oldest first.
	History []Turn
}

// Turn is one earlier message in a conversation.
type Turn struct {
	// Role is "customer", "agent" or "bot".
	Role string
	// Text is what was said.
	Text string
}

// Text returns the subject and body joined into the text a classifier reads.
func (r Request) Text() string {
	s, b := strings.TrimSpace(r.Subject), strings.TrimSpace(r.Body)
	switch {
	case s == "":
		return b
	case b == "":
		return s
	default:
		return s + "\n" + b
	}
}

// MaxInputBytes is the most text a classifier reads from one request; longer
// input is truncated at a rune boundary rather than rejected.
const MaxInputBytes = 16 << 10

// Validate reports whether the request can be classified: it needs some
// non-blank text and every field must be valid UTF-8.
func (r Request) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"subject", r.Subject}, {"body", r.Body}, {"channel", r.Channel}, {"customer_tier", r.CustomerTier},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidInput, f.name)
		}
	}
	for i, t := range r.History {
		if !utf8.ValidString(t.Text) {
			return fmt.Errorf("%w: history[%d] is not valid UTF-8", ErrInvalidInput, i)
		}
	}
	if strings.TrimSpace(r.Text()) == "" {
		return fmt.Errorf("%w: subject and body are empty", ErrInvalidInput)
	}
	return nil
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Errors returned by classifiers; test with errors.Is.
var (
	// ErrInvalidInput means the request cannot be classified as given.
	ErrInvalidInput = errors.New("classify: invalid input")
	// ErrUnavailable means the classifier could not answer (network,
	// quota, timeout); a Chain falls back to the next classifier.
	ErrUnavailable = errors.New("classify: classifier unavailable")
	// ErrBadOutput means a model answered with something that is not a
	// valid classification (malformed JSON, unknown label).
	ErrBadOutput = errors.New("classify: invalid model output")
)

// Result is a classification.
type Result struct {
	Category  Category  `json:"category"`
	Priority  Priority  `json:"priority"`
	Sentiment Sentiment `json:"sentiment"`
	// SentimentScore runs from -1 (very negative) to 1 (very positive).
	SentimentScore float64 `json:"sentiment_score"`
	// Escalate asks for a human at once; Reasons say why.
	Escalate bool     `json:"escalate"`
	Reasons  []Reason `json:"reasons,omitempty"`
	// Intent is a short snake_case name such as "get_refund".
	Intent string `json:"intent"`
	// Confidence is the probability, 0 to 1, that Category is right.
	Confidence float64 `json:"confidence"`
	// SuggestedReply is a draft answer for an agent or bot; always empty for
	// sensitive requests.
	SuggestedReply string `json:"suggested_reply,omitempty"`
	// Model names the classifier that answered, e.g. "offline/v1" or
	// "gemini/gemini-2.5-flash-lite".
	Model string `json:"model"`
	// Fallback is set by a Chain when an earlier classifier did not answer:
	// one "name: error" entry per classifier that failed, joined by "; ".
	// It is empty when the first classifier answered.
	Fallback string `json:"fallback,omitempty"`
}

// Validate reports whether every label in r is one this package knows.
func (r Result) Validate() error {
	if !r.Category.Valid() {
		return fmt.Errorf("%w: unknown category %q", ErrBadOutput, r.Category)
	}
	if !r.Priority.Valid() {
		return fmt.Errorf("%w: unknown priority %q", ErrBadOutput, r.Priority)
	}
	if !r.Sentiment.Valid() {
		return fmt.Errorf("%w: unknown sentiment %q", ErrBadOutput, r.Sentiment)
	}
	for _, re := range r.Reasons {
		if !re.Valid() {
			return fmt.Errorf("%w: unknown escalation reason %q", ErrBadOutput, re)
		}
	}
	if r.Confidence < 0 || r.Confidence > 1 {
		return fmt.Errorf("%w: confidence %v outside 0..1", ErrBadOutput, r.Confidence)
	}
	if r.SentimentScore < -1 || r.SentimentScore > 1 {
		return fmt.Errorf("%w: sentiment score %v outside -1..1", ErrBadOutput, r.SentimentScore)
	}
	return nil
}

// Category is the broad kind of request.
type Category string

// Categories.
const (
	CategoryTechnical Category = "technical"
	CategoryBilling   Category = "billing"
	CategoryGeneral   Category = "general"
	CategorySensitive Category = "sensitive"
)

// Categories lists every category in a stable order.
var Categories = []Category{CategoryTechnical, CategoryBilling, CategoryGeneral, CategorySensitive}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	switch c {
	case CategoryTechnical, CategoryBilling, CategoryGeneral, CategorySensitive:
		return true
	}
	return false
}

// Priority is how soon a request needs an answer.
type Priority string

// Priorities, lowest first.
const (
	PriorityLow    Priority = "low"
	PriorityMedium Priority = "medium"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent:
		return true
	}
	return false
}

// Sentiment is the customer's tone.
type Sentiment string

// Sentiments.
const (
	SentimentNegative Sentiment = "negative"
	SentimentNeutral  Sentiment = "neutral"
	SentimentPositive Sentiment = "positive"
)

// Valid reports whether s is a known sentiment.
func (s Sentiment) Valid() bool {
	switch s {
	case SentimentNegative, SentimentNeutral, SentimentPositive:
		return true
	}
	return false
}

// Reason says why a request should go to a human at once.
type Reason string

// Escalation reasons.
const (
	ReasonAnger         Reason = "anger"
	ReasonLegalThreat   Reason = "legal_threat"
	ReasonChurnRisk     Reason = "churn_risk"
	ReasonSecurity      Reason = "security"
	ReasonAsksForHuman  Reason = "asks_for_human"
	ReasonRepeatContact Reason = "repeat_contact"
)

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool {
	switch r {
	case ReasonAnger, ReasonLegalThreat, ReasonChurnRisk, ReasonSecurity, ReasonAsksForHuman, ReasonRepeatContact:
		return true
	}
	return false
}

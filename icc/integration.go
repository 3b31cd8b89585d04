package icc

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("30s", "1m30s"); it also reads a whole number of days ("7d", as
// the server writes statistics windows) and a number of nanoseconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("duration must be a string like \"30s\" or a number of nanoseconds")
		}
		*d = Duration(n)
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// DurationFormat describes, for messages, the text ParseDuration reads.
const DurationFormat = `a number with a unit, such as "30s", "5m", "1h30m" or "7d"`

// ParseDuration reads a Go duration ("90s", "1h30m") or a whole number of
// days ("7d"), the form the API writes long windows in. A bad one, or one
// too long for a time.Duration (about 292 years), is an EINVALID *Error
// without a field whose message quotes s and says what is accepted
// (DurationFormat), in place of Go's error, which names its own package.
func ParseDuration(s string) (time.Duration, error) {
	bad := &Error{Code: EINVALID, Message: fmt.Sprintf("%q is not a duration: write %s", s, DurationFormat)}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	return v, nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// IntegrationKind is the kind of business system behind an integration.
type IntegrationKind string

// Integration kinds.
const (
	KindCRM     IntegrationKind = "crm"
	KindERP     IntegrationKind = "erp"
	KindBilling IntegrationKind = "billing"
	KindAPI     IntegrationKind = "api"
	KindOther   IntegrationKind = "other"
)

// Valid reports whether k is a known kind.
func (k IntegrationKind) Valid() bool {
	switch k {
	case KindCRM, KindERP, KindBilling, KindAPI, KindOther:
		return true
	}
	return false
}

// IntegrationStatus is the health of an integration.
type IntegrationStatus string

// Integration statuses.
const (
	StatusUnknown     IntegrationStatus = "unknown"
	StatusOperational IntegrationStatus = "operational"
	StatusDegraded    IntegrationStatus = "degraded"
	StatusDown        IntegrationStatus = "down"
	StatusMaintenance IntegrationStatus = "maintenance"
)

// Valid reports whether s is a known status.
func (s IntegrationStatus) Valid() bool {
	switch s {
	case StatusUnknown, StatusOperational, StatusDegraded, StatusDown, StatusMaintenance:
		return true
	}
	return false
}

// CheckType is how an integration is probed.
type CheckType string

// Check types.
const (
	CheckHTTP CheckType = "http"
	CheckTCP  CheckType = "tcp"
	// CheckFunc runs a Go function registered with the monitor under Func.
	CheckFunc CheckType = "func"
	// CheckNone disables probing; the integration is known by its logs only.
	CheckNone CheckType = "none"
)

// CheckSpec says how to probe an integration.
type CheckSpec struct {
	Type CheckType `json:"type"`
	// URL, Method, Headers and Body describe an HTTP check. Method
	// (default GET, stored in upper case) and the header names must be
	// RFC 9110 tokens; header values must not contain CR, LF or NUL.
	URL     string            `json:"url,omitempty"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
	// Conditions must all hold for a check to pass, e.g. "status == 200",
	// "latency < 300ms", `json.status == "ok"`. The monitor package
	// documents the syntax.
	Conditions      []string `json:"conditions,omitempty"`
	TLSSkipVerify   bool     `json:"tls_skip_verify,omitempty"`
	FollowRedirects bool     `json:"follow_redirects,omitempty"`
	// Address is host:port for a TCP check, with a port from 1 to 65535
	// and an IPv6 host in brackets ("[::1]:5432").
	Address string `json:"address,omitempty"`
	// Func names a registered Go check function.
	Func string `json:"func,omitempty"`
	// Interval between checks (default 30s; 1s to 24h) and Timeout of one
	// check (default 10s or Interval if shorter; more than 0, at most
	// Interval).
	Interval Duration `json:"interval"`
	Timeout  Duration `json:"timeout"`
}

// Validate checks the spec and fills defaults. Text must be valid UTF-8
// without NUL bytes.
func (c *CheckSpec) Validate() error {
	if c.Type == "" {
		c.Type = CheckNone
	}
	if err := checkTexts("check.type", string(c.Type), "check.url", c.URL, "check.method", c.Method,
		"check.body", c.Body, "check.address", c.Address, "check.func", c.Func); err != nil {
		return err
	}
	for k, v := range c.Headers {
		if err := checkTexts("check.headers", k, "check.headers", v); err != nil {
			return err
		}
		// Only an HTTP check sends its headers: another kind may keep
		// those of an earlier HTTP spec, as it could before headers were
		// checked, and the monitor validates stored specs again.
		if c.Type != CheckHTTP {
			continue
		}
		if !isToken(k) {
			return Invalid("check.headers", "header name %q is not a valid token", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return Invalid("check.headers", "the value of header %q must not contain CR, LF or NUL", k)
		}
	}
	for _, cond := range c.Conditions {
		if err := CheckText("check.conditions", cond); err != nil {
			return err
		}
	}
	switch c.Type {
	case CheckHTTP:
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Invalid("check.url", "must be an absolute http or https URL")
		}
		if c.Method == "" {
			c.Method = "GET"
		}
		if !isToken(c.Method) {
			return Invalid("check.method", "must be an HTTP method such as GET or HEAD")
		}
		c.Method = strings.ToUpper(c.Method)
	case CheckTCP:
		if err := checkAddress(c.Address); err != nil {
			return err
		}
	case CheckFunc:
		if c.Func == "" {
			return Invalid("check.func", "is required for a func check")
		}
	case CheckNone:
	default:
		return Invalid("check.type", "must be http, tcp, func or none")
	}
	if c.Interval == 0 {
		c.Interval = Duration(30 * time.Second)
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(min(10*time.Second, c.Interval.Std()))
	}
	if c.Interval.Std() < time.Second || c.Interval.Std() > 24*time.Hour {
		return Invalid("check.interval", "must be between 1s and 24h")
	}
	if c.Timeout.Std() <= 0 || c.Timeout > c.Interval {
		return Invalid("check.timeout", "must be positive and at most the interval")
	}
	return nil
}

// checkAddress checks a TCP check's address: host:port (an IPv6 host in
// brackets; an empty host is the local system, as for a dialer) with a
// port number from 1 to 65535 or a service name. Both forms were stored
// before addresses were checked this closely, and the monitor validates
// stored specs again when it schedules them, so what dials must pass.
func checkAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Invalid("check.address", "must be host:port (an IPv6 host in brackets), e.g. db.example.com:5432")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err == nil && n > 0 || isServiceName(port) {
		return nil
	}
	return Invalid("check.address", "the port must be a number from 1 to 65535 or a service name such as https")
}

// isServiceName reports whether s has the form of a service name that a
// dialer looks up as a port (RFC 6335: up to 15 letters, digits and inner
// hyphens, with at least one letter), such as "https" or "postgresql".
func isServiceName(s string) bool {
	if s == "" || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	letter := false
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

// isToken reports whether s is an RFC 9110 token, the form of HTTP methods
// and header names: one or more of the letters, digits and
// !#$%&'*+-.^_`|~.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// AlertRuleType is the condition an alert rule watches.
type AlertRuleType string

// Alert rule types.
const (
	// RuleConsecutiveFailures fires after Failures failed checks in a row.
	RuleConsecutiveFailures AlertRuleType = "consecutive_failures"
	// RuleLatency fires when Failures checks in a row (default 3) are
	// slower than Latency.
	RuleLatency AlertRuleType = "latency"
	// RuleSuccessRate fires when the success rate over Window falls below SuccessRate.
	RuleSuccessRate AlertRuleType = "success_rate"
)

// Severity is how serious an alert is.
type Severity string

// Severities.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	return s == SeverityInfo || s == SeverityWarning || s == SeverityCritical
}

// AlertRule is a condition on an integration's checks that raises an alert.
type AlertRule struct {
	Type AlertRuleType `json:"type"`
	// Failures is how many checks in a row must fail
	// (RuleConsecutiveFailures) or be slower than Latency (RuleLatency)
	// for the rule to fire (default 3).
	Failures int `json:"failures,omitempty"`
	// Latency is the threshold for RuleLatency.
	Latency Duration `json:"latency,omitempty"`
	// SuccessRate (0–1) and Window are for RuleSuccessRate.
	SuccessRate float64  `json:"success_rate,omitempty"`
	Window      Duration `json:"window,omitempty"`
	// ResolveAfter is how many successes in a row resolve the alert (default 2).
	ResolveAfter int      `json:"resolve_after,omitempty"`
	Severity     Severity `json:"severity,omitempty"`
}

// CheckFields reports a field of r that its type does not use, as
// EINVALID naming it ("alert_rules.window" on a latency rule, say): a value
// there would be ignored, so it is a typo or meant for a rule of another
// type. Validate does not check this, so that rules stored before it still
// load and run; check rules where they are written (the reference server
// does for POST and PATCH).
func (r AlertRule) CheckFields() error {
	type field struct {
		name string
		set  bool
	}
	var unused []field
	switch r.Type {
	case RuleConsecutiveFailures:
		unused = []field{{"latency", r.Latency != 0}, {"success_rate", r.SuccessRate != 0}, {"window", r.Window != 0}}
	case RuleLatency:
		unused = []field{{"success_rate", r.SuccessRate != 0}, {"window", r.Window != 0}}
	case RuleSuccessRate:
		unused = []field{{"failures", r.Failures != 0}, {"latency", r.Latency != 0}}
	}
	for _, f := range unused {
		if f.set {
			return Invalid("alert_rules."+f.name, "is not used by a %s rule", r.Type)
		}
	}
	return nil
}

// Validate checks the rule and fills defaults.
func (r *AlertRule) Validate() error {
	switch r.Type {
	case RuleConsecutiveFailures, RuleLatency:
		if r.Failures == 0 {
			r.Failures = 3
		}
		if r.Failures < 1 || r.Failures > 100 {
			return Invalid("alert_rules.failures", "must be between 1 and 100")
		}
		if r.Type == RuleLatency && r.Latency <= 0 {
			return Invalid("alert_rules.latency", "must be positive")
		}
	case RuleSuccessRate:
		if r.SuccessRate <= 0 || r.SuccessRate > 1 {
			return Invalid("alert_rules.success_rate", "must be in (0, 1]")
		}
		if r.Window == 0 {
			r.Window = Duration(15 * time.Minute)
		}
		if r.Window < Duration(time.Minute) {
			return Invalid("alert_rules.window", "must be at least 1m")
		}
	default:
		return Invalid("alert_rules.type", "must be consecutive_failures, latency or success_rate")
	}
	if r.ResolveAfter == 0 {
		r.ResolveAfter = 2
	}
	if r.ResolveAfter < 1 || r.ResolveAfter > 100 {
		return Invalid("alert_rules.resolve_after", "must be between 1 and 100")
	}
	if r.Severity == "" {
		r.Severity = SeverityCritical
	}
	if !r.Severity.Valid() {
		return Invalid("alert_rules.severity", "must be info, warning or critical")
	}
	return nil
}

// maxIntegrationNameLen is the longest integration name, in characters.
const maxIntegrationNameLen = 100

// Limits on what a client writes into an integration (see
// Integration.CheckLimits), in characters.
const (
	maxIntegrationDescriptionLen = 2000
	maxCheckURLLen               = 2048
	maxCheckConditions           = 50
	maxCheckConditionLen         = 1000
	// MaxAlertRules is the most alert rules a client may give an
	// integration.
	MaxAlertRules = 20
)

// Integration is a business system the product depends on (a CRM, an ERP, a
// billing or partner API) and how to watch it.
type Integration struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Kind        IntegrationKind `json:"kind"`
	Description string          `json:"description,omitempty"`
	// Enabled integrations are probed; disabled ones are kept but not checked.
	Enabled    bool        `json:"enabled"`
	Check      CheckSpec   `json:"check"`
	AlertRules []AlertRule `json:"alert_rules"`
	// Status is the latest derived health, kept by the monitor.
	Status IntegrationStatus `json:"status"`
	// StatusReason says in a few words why Status is what it is ("2 of
	// the last 10 checks failed"); empty when operational or not yet
	// derived. It is set by the monitor with Status; clients cannot set it.
	StatusReason    string     `json:"status_reason"`
	StatusChangedAt *time.Time `json:"status_changed_at,omitempty"`
	Version         int64      `json:"version"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// Validate checks the integration and fills defaults. It trims the name,
// which must then be 1 to 100 bytes of valid UTF-8 without control
// characters (it becomes part of incident tags, see Ticket.Tags); other
// text must be valid UTF-8 without NUL bytes. Names are unique ignoring
// case (see IntegrationStore).
func (in *Integration) Validate() error {
	if err := checkTexts("id", in.ID, "name", in.Name, "description", in.Description, "status_reason", in.StatusReason); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return Invalid("name", "is required")
	}
	if longerThan(in.Name, maxIntegrationNameLen) {
		return Invalid("name", "must be at most %d characters", maxIntegrationNameLen)
	}
	if strings.ContainsFunc(in.Name, unicode.IsControl) {
		return Invalid("name", "must not contain control characters")
	}
	if in.Kind == "" {
		in.Kind = KindAPI
	}
	if !in.Kind.Valid() {
		return Invalid("kind", "must be crm, erp, billing, api or other")
	}
	if err := in.Check.Validate(); err != nil {
		return err
	}
	if in.AlertRules == nil {
		in.AlertRules = []AlertRule{}
	}
	for i := range in.AlertRules {
		if err := in.AlertRules[i].Validate(); err != nil {
			return err
		}
	}
	if in.Status == "" {
		in.Status = StatusUnknown
	}
	if !in.Status.Valid() {
		return Invalid("status", "unknown status %q", in.Status)
	}
	return nil
}

// CheckLimits reports, as EINVALID naming the field, what a client may not
// write into an integration: a description over 2,000 characters, a check
// URL over 2,048, more than 50 check conditions or one over 1,000
// characters, more than MaxAlertRules alert rules. Validate does not
// check these limits, so that integrations
// stored before them still load, are checked and change status (the
// monitor validates stored integrations and specs again when it schedules
// a check or writes a status); check them where integrations are written
// (the reference server does for POST and PATCH).
func (in *Integration) CheckLimits() error {
	if longerThan(in.Description, maxIntegrationDescriptionLen) {
		return Invalid("description", "must be at most %d characters", maxIntegrationDescriptionLen)
	}
	if longerThan(in.Check.URL, maxCheckURLLen) {
		return Invalid("check.url", "must be at most %d characters", maxCheckURLLen)
	}
	if len(in.Check.Conditions) > maxCheckConditions {
		return Invalid("check.conditions", "a check has at most %d conditions", maxCheckConditions)
	}
	for _, cond := range in.Check.Conditions {
		if longerThan(cond, maxCheckConditionLen) {
			return Invalid("check.conditions", "each condition must be at most %d characters", maxCheckConditionLen)
		}
	}
	if len(in.AlertRules) > MaxAlertRules {
		return Invalid("alert_rules", "an integration has at most %d alert rules", MaxAlertRules)
	}
	return nil
}

// IntegrationNameTaken returns the error an IntegrationStore gives when
// name is taken, ignoring case, by another integration: ECONFLICT naming
// the field "name", worded alike by every backend. cause, which may be
// nil, is kept for logs.
func IntegrationNameTaken(name string, cause error) *Error {
	return &Error{Code: ECONFLICT, Field: "name",
		Message: fmt.Sprintf("the name %q is taken by another integration (names are compared ignoring case)", name), Err: cause}
}

// AlertKeyTaken is the error of a store asked to keep a second unresolved
// alert with the same dedup key, the same on every backend.
func AlertKeyTaken(key string, cause error) *Error {
	return &Error{Code: ECONFLICT, Field: "dedup_key",
		Message: fmt.Sprintf("an unresolved alert with dedup key %q already exists", key), Err: cause}
}

// IntegrationFilter selects integrations, ordered by name.
type IntegrationFilter struct {
	Kind    *IntegrationKind
	Status  *IntegrationStatus
	Enabled *bool
}

// Validate checks that the filter's texts are valid UTF-8 without NUL
// bytes. Unknown kinds and statuses are not errors: they match nothing.
func (f *IntegrationFilter) Validate() error {
	var kind, status string
	if f.Kind != nil {
		kind = string(*f.Kind)
	}
	if f.Status != nil {
		status = string(*f.Status)
	}
	return checkTexts("kind", kind, "status", status)
}

// CheckResult is the outcome of one probe of an integration.
type CheckResult struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	// OK is true when the probe succeeded and every condition held.
	OK bool `json:"ok"`
	// Latency is how long the probe took.
	Latency Duration `json:"latency"`
	// StatusCode is the HTTP status of an HTTP check (0 otherwise).
	StatusCode int `json:"status_code,omitempty"`
	// Error says why the check failed.
	Error     string    `json:"error,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Validate checks the result's fields. Text must be valid UTF-8 without
// NUL bytes.
func (r *CheckResult) Validate() error {
	if r.IntegrationID == "" {
		return Invalid("integration_id", "is required")
	}
	if err := checkTexts("id", r.ID, "integration_id", r.IntegrationID, "error", r.Error); err != nil {
		return err
	}
	if r.CheckedAt.IsZero() {
		return Invalid("checked_at", "is required")
	}
	if r.Latency < 0 {
		return Invalid("latency", "must not be negative")
	}
	return nil
}

// CheckResultFilter selects check results, newest first.
type CheckResultFilter struct {
	IntegrationID string
	// OK keeps only successes (true) or failures (false).
	OK *bool
	// From (inclusive) and To (exclusive) bound CheckedAt.
	From   time.Time
	To     time.Time
	Limit  int
	Cursor string
}

// Validate checks that the filter's integration id is valid UTF-8 without
// NUL bytes.
func (f *CheckResultFilter) Validate() error {
	return CheckText("integration_id", f.IntegrationID)
}

// LogLevel grades an integration log entry.
type LogLevel string

// Log levels.
const (
	LevelInfo  LogLevel = "info"
	LevelWarn  LogLevel = "warn"
	LevelError LogLevel = "error"
)

// Valid reports whether l is a known level.
func (l LogLevel) Valid() bool { return l == LevelInfo || l == LevelWarn || l == LevelError }

// IntegrationLog records one call made to an integration.
type IntegrationLog struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	Method        string `json:"method"`
	// Endpoint is the route template, e.g. "/customers/{id}", so calls can be
	// grouped; URL is the address called without credentials, query or
	// fragment (which may carry personal data or keys).
	Endpoint      string   `json:"endpoint"`
	URL           string   `json:"url"`
	StatusCode    int      `json:"status_code"`
	Latency       Duration `json:"latency"`
	Error         string   `json:"error,omitempty"`
	RequestBytes  int64    `json:"request_bytes"`
	ResponseBytes int64    `json:"response_bytes"`
	Level         LogLevel `json:"level"`
	// Message is a short free-text description, searched with the rest.
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Validate checks the entry and fills the level from the status and error
// when it is empty: error for a transport error or a 5xx, warn for a 4xx,
// info otherwise. Text must be valid UTF-8 without NUL bytes.
func (l *IntegrationLog) Validate() error {
	if l.IntegrationID == "" {
		return Invalid("integration_id", "is required")
	}
	if err := checkTexts("id", l.ID, "integration_id", l.IntegrationID, "method", l.Method, "endpoint", l.Endpoint,
		"url", l.URL, "error", l.Error, "message", l.Message); err != nil {
		return err
	}
	if l.At.IsZero() {
		return Invalid("at", "is required")
	}
	if l.Level == "" {
		switch {
		case l.Error != "" || l.StatusCode >= 500:
			l.Level = LevelError
		case l.StatusCode >= 400:
			l.Level = LevelWarn
		default:
			l.Level = LevelInfo
		}
	}
	if !l.Level.Valid() {
		return Invalid("level", "must be info, warn or error")
	}
	return nil
}

// LogFilter selects integration logs, newest first.
type LogFilter struct {
	IntegrationID string
	Level         *LogLevel
	// StatusMin and StatusMax bound the HTTP status, inclusive; zero means no bound.
	StatusMin int
	StatusMax int
	// From (inclusive) and To (exclusive) bound the time of the call.
	From time.Time
	To   time.Time
	// Text keeps entries whose method, endpoint, URL, error or message
	// contains every term, ignoring case.
	Text   string
	Limit  int
	Cursor string
}

// Validate checks the filter. Its texts must be valid UTF-8 without NUL
// bytes.
func (f *LogFilter) Validate() error {
	if err := checkTexts("integration_id", f.IntegrationID, "text", f.Text); err != nil {
		return err
	}
	if f.Level != nil && !f.Level.Valid() {
		return Invalid("level", "must be info, warn or error")
	}
	if f.StatusMin < 0 || f.StatusMax < 0 || (f.StatusMax != 0 && f.StatusMax < f.StatusMin) {
		return Invalid("status", "status range is invalid")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return Invalid("to", "must be after from")
	}
	return nil
}

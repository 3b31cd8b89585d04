package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Condition is one parsed check condition such as `status == 200` or
// `json.data.items.0.id != ""`. Parse conditions once with ParseCondition
// and evaluate them against each Observation; the package documentation
// describes the syntax.
type Condition struct {
	src  string
	subj subject
	path []string // json path segments
	op   string
	lit  literal
}

// Observation is what a probe saw: the input of Condition.Eval.
type Observation struct {
	// StatusCode is the HTTP status (0 for a TCP or function check).
	StatusCode int
	// Latency is how long the probe took.
	Latency time.Duration
	// Body is the (size-limited) response body.
	Body []byte
	// Truncated reports that Body was cut at the size limit.
	Truncated bool

	parsed  bool
	doc     any
	jsonErr error
}

type subject int

const (
	subjStatus subject = iota + 1
	subjLatency
	subjBody
	subjJSON
)

type litKind int

const (
	litNumber litKind = iota + 1
	litDuration
	litString
	litBool
	litNull
)

type literal struct {
	kind litKind
	num  float64
	dur  time.Duration
	str  string
	b    bool
}

func (l literal) String() string {
	switch l.kind {
	case litNumber:
		return strconv.FormatFloat(l.num, 'g', -1, 64)
	case litDuration:
		return l.dur.String()
	case litString:
		return strconv.Quote(l.str)
	case litBool:
		return strconv.FormatBool(l.b)
	}
	return "null"
}

var compareOps = []string{"==", "!=", "<=", ">=", "<", ">"}

// ParseCondition parses one condition. A malformed condition is an
// icc.EINVALID error on field "check.conditions" whose message quotes it.
func ParseCondition(s string) (Condition, error) {
	c := Condition{src: strings.TrimSpace(s)}
	bad := func(format string, args ...any) (Condition, error) {
		return Condition{}, icc.Invalid("check.conditions", "condition %s: %s", quoteCond(c.src), fmt.Sprintf(format, args...))
	}
	rest := c.src
	if rest == "" {
		return bad("is empty")
	}
	// Subject: everything up to a space or an operator character.
	end := strings.IndexAny(rest, " \t=!<>")
	if end < 0 {
		return bad("missing operator and value")
	}
	lhs := rest[:end]
	rest = strings.TrimSpace(rest[end:])
	switch {
	case lhs == "status":
		c.subj = subjStatus
	case lhs == "latency":
		c.subj = subjLatency
	case lhs == "body":
		c.subj = subjBody
	case lhs == "json":
		c.subj = subjJSON
	case strings.HasPrefix(lhs, "json."):
		c.subj = subjJSON
		c.path = strings.Split(lhs[len("json."):], ".")
		for _, p := range c.path {
			if p == "" {
				return bad("empty segment in %q", lhs)
			}
		}
	default:
		return bad("unknown subject %q (want status, latency, body or json.<path>)", lhs)
	}
	// Operator.
	for _, op := range []string{"!contains", "contains"} {
		if strings.HasPrefix(rest, op) && len(rest) > len(op) && (rest[len(op)] == ' ' || rest[len(op)] == '\t') {
			c.op = op
			break
		}
	}
	if c.op == "" {
		for _, op := range compareOps {
			if strings.HasPrefix(rest, op) {
				c.op = op
				break
			}
		}
	}
	if c.op == "" {
		word, _, _ := strings.Cut(rest, " ")
		if word == "" {
			return bad("missing operator")
		}
		return bad("unknown operator %q", word)
	}
	rhs := strings.TrimSpace(rest[len(c.op):])
	if rhs == "" {
		return bad("missing value after %q", c.op)
	}
	lit, err := parseLiteral(rhs)
	if err != nil {
		return bad("%v", err)
	}
	c.lit = lit
	if msg := c.typeCheck(); msg != "" {
		return bad("%s", msg)
	}
	return c, nil
}

func parseLiteral(s string) (literal, error) {
	switch {
	case s[0] == '"':
		v, err := strconv.Unquote(s)
		if err != nil {
			return literal{}, fmt.Errorf("bad string literal %s", s)
		}
		return literal{kind: litString, str: v}, nil
	case s == "true" || s == "false":
		return literal{kind: litBool, b: s == "true"}, nil
	case s == "null":
		return literal{kind: litNull}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return literal{kind: litNumber, num: f}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return literal{kind: litDuration, dur: d}, nil
	}
	return literal{}, fmt.Errorf("bad value %s (strings need double quotes)", s)
}

// typeCheck returns a message when the operator or value does not fit the subject.
func (c *Condition) typeCheck() string {
	ordered := c.op != "contains" && c.op != "!contains"
	switch c.subj {
	case subjStatus:
		if !ordered || c.lit.kind != litNumber || c.lit.num != float64(int(c.lit.num)) {
			return "status compares with ==, !=, <, <=, >, >= and an integer"
		}
	case subjLatency:
		if !ordered || c.lit.kind != litDuration {
			return "latency compares with ==, !=, <, <=, >, >= and a duration such as 300ms"
		}
	case subjBody:
		if c.lit.kind != litString || !(c.op == "contains" || c.op == "!contains" || c.op == "==" || c.op == "!=") {
			return "body takes contains, !contains, == or != and a quoted string"
		}
	case subjJSON:
		switch c.op {
		case "contains", "!contains":
			if c.lit.kind == litDuration {
				return "json values cannot be durations"
			}
		case "==", "!=":
			if c.lit.kind == litDuration {
				return "json values cannot be durations"
			}
		default:
			if c.lit.kind != litNumber {
				return fmt.Sprintf("%s on json needs a number", c.op)
			}
		}
	}
	return ""
}

// quoteCond quotes a condition for a message, in backquotes so the
// double quotes of its strings stay readable.
func quoteCond(s string) string {
	if strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// String returns the condition as written.
func (c Condition) String() string { return c.src }

// usesBody reports whether the condition reads the response body.
func (c Condition) usesBody() bool { return c.subj == subjBody || c.subj == subjJSON }

// Eval reports whether the condition holds for o: nil when it does, or an
// error that names the condition and what was found.
func (c Condition) Eval(o Observation) error { return c.eval(&o) }

func (c Condition) eval(o *Observation) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("condition %s failed: %s", quoteCond(c.src), fmt.Sprintf(format, args...))
	}
	switch c.subj {
	case subjStatus:
		if !compareNum(float64(o.StatusCode), c.op, c.lit.num) {
			return fail("status is %d", o.StatusCode)
		}
	case subjLatency:
		if !compareNum(float64(o.Latency), c.op, float64(c.lit.dur)) {
			return fail("latency is %s", o.Latency.Round(time.Millisecond))
		}
	case subjBody:
		var ok bool
		switch c.op {
		case "contains":
			ok = bytes.Contains(o.Body, []byte(c.lit.str))
		case "!contains":
			ok = !bytes.Contains(o.Body, []byte(c.lit.str))
		case "==":
			ok = string(o.Body) == c.lit.str
		case "!=":
			ok = string(o.Body) != c.lit.str
		}
		if !ok {
			return fail("body (%d bytes) does not match", len(o.Body))
		}
	case subjJSON:
		doc, err := o.json()
		if err != nil {
			return fail("%v", err)
		}
		v, ok := lookup(doc, c.path)
		if !ok {
			return fail("json.%s is missing", strings.Join(c.path, "."))
		}
		if !c.evalJSON(v) {
			return fail("value is %s", describe(v))
		}
	}
	return nil
}

func (o *Observation) json() (any, error) {
	if !o.parsed {
		o.parsed = true
		if o.Truncated {
			o.jsonErr = fmt.Errorf("response body is larger than the %d-byte limit", len(o.Body))
		} else {
			dec := json.NewDecoder(bytes.NewReader(o.Body))
			dec.UseNumber()
			if err := dec.Decode(&o.doc); err != nil {
				o.jsonErr = fmt.Errorf("body is not JSON: %w", err)
			}
		}
	}
	return o.doc, o.jsonErr
}

func lookup(v any, path []string) (any, bool) {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func (c Condition) evalJSON(v any) bool {
	switch c.op {
	case "==":
		return equalJSON(v, c.lit)
	case "!=":
		return !equalJSON(v, c.lit)
	case "contains", "!contains":
		var has bool
		switch x := v.(type) {
		case string:
			has = c.lit.kind == litString && strings.Contains(x, c.lit.str)
		case []any:
			for _, e := range x {
				if equalJSON(e, c.lit) {
					has = true
					break
				}
			}
		}
		return has == (c.op == "contains")
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	f, err := n.Float64()
	return err == nil && compareNum(f, c.op, c.lit.num)
}

func equalJSON(v any, l literal) bool {
	switch x := v.(type) {
	case nil:
		return l.kind == litNull
	case string:
		return l.kind == litString && x == l.str
	case bool:
		return l.kind == litBool && x == l.b
	case json.Number:
		f, err := x.Float64()
		return l.kind == litNumber && err == nil && f == l.num
	}
	return false // objects and arrays equal no literal
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return strconv.Quote(x)
	case map[string]any:
		return "an object"
	case []any:
		return fmt.Sprintf("an array of %d", len(x))
	}
	return fmt.Sprint(v)
}

func compareNum(a float64, op string, b float64) bool {
	switch op {
	case "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// The tests in this file keep the rules openapi.json states about input
// (required, enum, maxLength, minLength, maxItems, minimum, maximum,
// exclusiveMinimum, format) in step with the code: every enumeration lists
// exactly the values its Go type declares, the limits that come from
// constants or validators equal them, and the server refuses, naming the
// field, every request that breaks a documented rule while it does not
// refuse one that just meets it.

// effective returns schema s with its $ref resolved and the keywords beside
// the $ref merged in (JSON Schema applies both), so that the rules a request
// states beside a shared schema's $ref are read with it.
func (d *openAPI) effective(s map[string]any) map[string]any {
	r, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	name, ok := strings.CutPrefix(r, "#/components/schemas/")
	if !ok || d.Components.Schemas[name] == nil {
		panic("unknown $ref " + r)
	}
	out := mergeSchemas(d.effective(d.Components.Schemas[name]), s)
	delete(out, "$ref")
	return out
}

// mergeSchemas returns a with b's keywords added, objects merged key by key.
func mergeSchemas(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		am, aok := out[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			out[k] = mergeSchemas(am, bm)
			continue
		}
		out[k] = v
	}
	return out
}

// requiredOf returns the properties a request schema requires, at its top
// level or in its allOf, and the groups of properties of which it requires
// at least one (an anyOf of required lists).
func requiredOf(s map[string]any) (required []string, groups [][]string) {
	parts := []map[string]any{s}
	for _, p := range asList(s["allOf"]) {
		parts = append(parts, p.(map[string]any))
	}
	for _, p := range parts {
		required = append(required, strs(p["required"])...)
		if alts := asList(p["anyOf"]); len(alts) > 0 {
			var group []string
			for _, a := range alts {
				group = append(group, strs(a.(map[string]any)["required"])...)
			}
			groups = append(groups, group)
		}
	}
	return required, groups
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, x.(string))
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := mapKeys(m)
	slices.Sort(keys)
	return keys
}

// queryParam returns the schema of query parameter name of operation op
// ("GET /api/tickets"), nil when it has none.
func (d *openAPI) queryParam(op, name string) map[string]any {
	method, path, _ := strings.Cut(op, " ")
	for _, p := range asList(d.Paths[path][strings.ToLower(method)]["parameters"]) {
		p := p.(map[string]any)
		if p["in"] == "query" && p["name"] == name {
			return p["schema"].(map[string]any)
		}
	}
	return nil
}

// site returns the schema at a place in the document: "Schema.prop",
// "Schema.prop.sub", "Schema.list[]" for the items of an array, "Schema.list[].prop",
// or "GET /path?param" for a query parameter.
func (d *openAPI) site(t *testing.T, site string) map[string]any {
	t.Helper()
	if op, param, ok := strings.Cut(site, "?"); ok {
		s := d.queryParam(op, param)
		require.NotNil(t, s, "no query parameter %s", site)
		return s
	}
	parts := strings.Split(site, ".")
	s, ok := d.Components.Schemas[parts[0]]
	require.True(t, ok, "no schema %s", parts[0])
	s = d.effective(s)
	for _, part := range parts[1:] {
		name, items := strings.CutSuffix(part, "[]")
		p, ok := s["properties"].(map[string]any)[name].(map[string]any)
		require.True(t, ok, "no property %s in %s", name, site)
		s = d.effective(p)
		if items {
			s = d.effective(s["items"].(map[string]any))
		}
	}
	return s
}

// enumSites collects every enumeration in schema v by where it is:
// "Schema.prop", "Schema.list[]", "Schema.obj.prop".
func enumSites(v any, at string, out map[string][]string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if e, ok := m["enum"].([]any); ok {
		for _, x := range e {
			out[at] = append(out[at], x.(string))
		}
	}
	if ps, ok := m["properties"].(map[string]any); ok {
		for k, p := range ps {
			enumSites(p, at+"."+k, out)
		}
	}
	if it, ok := m["items"]; ok {
		enumSites(it, at+"[]", out)
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		enumSites(ap, at+"{}", out)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		for _, x := range asList(m[k]) {
			enumSites(x, at, out)
		}
	}
}

// declaredStrings returns the values of the string constants of type typ
// declared in the Go package in dir (test files aside), so that a value
// added to an enumeration in code and not to the document fails the test.
func declaredStrings(t *testing.T, dir, typ string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					require.True(t, ok && lit.Kind == token.STRING, "a constant of type %s in %s is not a string literal", typ, name)
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, s)
				}
			}
		}
	}
	require.NotEmpty(t, out, "no constants of type %s in %s", typ, dir)
	return out
}

// enumType is a Go enumeration the document lists the values of.
type enumType struct {
	dir, typ string // where its constants are declared, and their type
	// values, when set, lists the values instead (untyped constants).
	values []string
	// valid reports whether the code accepts a value.
	valid func(v string) bool
	// extra are values the API takes beside the type's.
	extra []string
}

func enumTypes() map[string]enumType {
	field := func(err error) string { return icc.ErrorField(err) }
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return map[string]enumType{
		"TicketStatus":       {dir: "../../icc", typ: "TicketStatus", valid: func(v string) bool { return icc.TicketStatus(v).Valid() }},
		"Category":           {dir: "../../classify", typ: "Category", valid: func(v string) bool { return icc.Category(v).Valid() }},
		"Priority":           {dir: "../../classify", typ: "Priority", valid: func(v string) bool { return icc.Priority(v).Valid() }},
		"Channel":            {dir: "../../icc", typ: "Channel", valid: func(v string) bool { return icc.Channel(v).Valid() }},
		"Role":               {dir: "../../icc", typ: "Role", valid: func(v string) bool { return icc.Role(v).Valid() }},
		"Availability":       {dir: "../../icc", typ: "Availability", valid: func(v string) bool { return icc.Availability(v).Valid() }},
		"IntegrationKind":    {dir: "../../icc", typ: "IntegrationKind", valid: func(v string) bool { return icc.IntegrationKind(v).Valid() }},
		"IntegrationStatus":  {dir: "../../icc", typ: "IntegrationStatus", valid: func(v string) bool { return icc.IntegrationStatus(v).Valid() }},
		"LogLevel":           {dir: "../../icc", typ: "LogLevel", valid: func(v string) bool { return icc.LogLevel(v).Valid() }},
		"AlertState":         {dir: "../../icc", typ: "AlertState", valid: func(v string) bool { return icc.AlertState(v).Valid() }},
		"AlertStateOrActive": {dir: "../../icc", typ: "AlertState", valid: func(v string) bool { return v == "active" || icc.AlertState(v).Valid() }, extra: []string{"active"}},
		"Severity":           {dir: "../../icc", typ: "Severity", valid: func(v string) bool { return icc.Severity(v).Valid() }},
		"ConversationStatus": {dir: "../../icc", typ: "ConversationStatus", valid: func(v string) bool { return icc.ConversationStatus(v).Valid() }},
		"SenderType":         {dir: "../../icc", typ: "SenderType", valid: func(v string) bool { return icc.SenderType(v).Valid() }},
		"ActorType":          {dir: "../../icc", typ: "ActorType", valid: func(v string) bool { return icc.ActorType(v).Valid() }},
		"TicketSort": {dir: "../../icc", typ: "TicketSort", valid: func(v string) bool {
			return (&icc.TicketFilter{Sort: icc.TicketSort(v)}).Validate() == nil
		}},
		"CheckType": {dir: "../../icc", typ: "CheckType", valid: func(v string) bool {
			return field((&icc.CheckSpec{Type: icc.CheckType(v)}).Validate()) != "check.type"
		}},
		"AlertRuleType": {dir: "../../icc", typ: "AlertRuleType", valid: func(v string) bool {
			return field((&icc.AlertRule{Type: icc.AlertRuleType(v)}).Validate()) != "alert_rules.type"
		}},
		// The empty Recurrence (once) is documented as leaving the field out.
		"Recurrence": {dir: "../../icc", typ: "Recurrence", valid: func(v string) bool {
			mw := icc.MaintenanceWindow{IntegrationID: "i", StartsAt: t0, EndsAt: t0.Add(time.Hour), Recurrence: icc.Recurrence(v)}
			return mw.Validate() == nil
		}},
		"Bucket": {values: []string{icc.BucketHour, icc.BucketDay}, valid: func(v string) bool {
			q := icc.TicketAnalyticsQuery{From: t0, To: t0.Add(24 * time.Hour), Bucket: v}
			return field(q.Validate()) != "bucket"
		}},
		"mockMode": {dir: ".", typ: "mockMode", valid: func(v string) bool { return mockMode(v).valid() }},
	}
}

// enumSiteTypes names the Go type of every enumeration in the document. A
// new enumeration must be added here, which ties it to its type.
var enumSiteTypes = map[string]string{
	"GET /api/tickets?status":             "TicketStatus",
	"GET /api/tickets?category":           "Category",
	"GET /api/tickets?priority":           "Priority",
	"GET /api/tickets?sort":               "TicketSort",
	"GET /api/agents?role":                "Role",
	"GET /api/agents?availability":        "Availability",
	"GET /api/analytics/tickets?bucket":   "Bucket",
	"GET /api/analytics/tickets?category": "Category",
	"GET /api/analytics/tickets?priority": "Priority",
	"GET /api/integrations?kind":          "IntegrationKind",
	"GET /api/integrations?status":        "IntegrationStatus",
	"GET /api/logs?level":                 "LogLevel",
	"GET /api/alerts?state":               "AlertStateOrActive",
	"GET /api/conversations?status":       "ConversationStatus",

	"Agent.availability":                 "Availability",
	"Agent.role":                         "Role",
	"AgentInput.availability":            "Availability",
	"AgentInput.role":                    "Role",
	"AgentUpdate.availability":           "Availability",
	"AgentUpdate.role":                   "Role",
	"Alert.rule":                         "AlertRuleType",
	"Alert.severity":                     "Severity",
	"Alert.state":                        "AlertState",
	"AlertRule.severity":                 "Severity",
	"AlertRule.type":                     "AlertRuleType",
	"CheckSpec.type":                     "CheckType",
	"ClassifyRequest.channel":            "Channel",
	"Conversation.status":                "ConversationStatus",
	"ConversationStarted.status":         "ConversationStatus",
	"ConversationSummary.status":         "ConversationStatus",
	"ConversationTicketRequest.category": "Category",
	"ConversationTicketRequest.priority": "Priority",
	"Incident.kind":                      "IntegrationKind",
	"Incident.status":                    "IntegrationStatus",
	"Integration.kind":                   "IntegrationKind",
	"Integration.status":                 "IntegrationStatus",
	"IntegrationLog.level":               "LogLevel",
	"IntegrationRequest.kind":            "IntegrationKind",
	"IntegrationStatsEntry.kind":         "IntegrationKind",
	"IntegrationStatsEntry.status":       "IntegrationStatus",
	"IntegrationUpdate.kind":             "IntegrationKind",
	"MaintenanceRequest.recurrence":      "Recurrence",
	"MaintenanceWindow.recurrence":       "Recurrence",
	"MeUpdate.availability":              "Availability",
	"Message.sender_type":                "SenderType",
	"MockModeRequest.mode":               "mockMode",
	"MockState.mode":                     "mockMode",
	"NewTicket.category":                 "Category",
	"NewTicket.channel":                  "Channel",
	"NewTicket.priority":                 "Priority",
	"PublicTicketAnswer.status":          "TicketStatus",
	"SignedIn.agent.availability":        "Availability",
	"SignedIn.agent.role":                "Role",
	"Ticket.category":                    "Category",
	"Ticket.channel":                     "Channel",
	"Ticket.priority":                    "Priority",
	"Ticket.status":                      "TicketStatus",
	"TicketAnalytics.bucket":             "Bucket",
	"TicketEvent.actor_type":             "ActorType",
	"TicketUpdate.category":              "Category",
	"TicketUpdate.priority":              "Priority",
	"TicketUpdate.status":                "TicketStatus",
	"Triage.category":                    "Category",
	"Triage.priority":                    "Priority",
}

// TestOpenAPIEnumsMatchCode: every enumeration of the document lists
// exactly the values its Go type declares (the empty value, which means
// "left out", aside), each of which the code accepts.
func TestOpenAPIEnumsMatchCode(t *testing.T) {
	doc := loadOpenAPI(t)
	sites := map[string][]string{}
	for name, s := range doc.Components.Schemas {
		enumSites(s, name, sites)
	}
	for path, item := range doc.Paths {
		for method, op := range item {
			for _, p := range asList(op["parameters"]) {
				p := p.(map[string]any)
				enumSites(p["schema"], strings.ToUpper(method)+" "+path+"?"+p["name"].(string), sites)
			}
		}
	}
	assert.ElementsMatch(t, sortedKeys(enumSiteTypes), sortedKeys(sites), "enumerations of the document (add new ones to enumSiteTypes)")

	types := enumTypes()
	for _, site := range sortedKeys(sites) {
		name, ok := enumSiteTypes[site]
		if !ok {
			continue
		}
		t.Run(site, func(t *testing.T) {
			et, ok := types[name]
			require.True(t, ok, "no enumType %s", name)
			want := et.values
			if want == nil {
				want = declaredStrings(t, et.dir, et.typ)
			}
			want = slices.DeleteFunc(slices.Clone(want), func(v string) bool { return v == "" })
			want = append(want, et.extra...)
			got := sites[site]
			assert.ElementsMatch(t, want, got, "values of %s", name)
			for _, v := range got {
				assert.True(t, et.valid(v), "the code refuses %q, which the document lists", v)
			}
			assert.False(t, et.valid("no-such-value"), "%s takes anything", name)
		})
	}
}

// longest returns the largest n from 0 to max for which ok(n) holds, and
// checks that ok(max) does not: that there is a limit below max.
func longest(t *testing.T, max int, ok func(n int) bool) int {
	t.Helper()
	best := -1
	for n := 0; n <= max; n++ {
		if ok(n) {
			best = n
		}
	}
	require.False(t, ok(max), "no limit up to %d", max)
	require.GreaterOrEqual(t, best, 0, "nothing is accepted")
	return best
}

// TestOpenAPILimitsMatchCode: the limits the document states equal the
// constants they come from, or, where the code writes a number inline, the
// longest value (or largest number) its validator accepts.
func TestOpenAPILimitsMatchCode(t *testing.T) {
	doc := loadOpenAPI(t)
	x := func(n int) string { return strings.Repeat("x", n) }
	email := func(n int) string {
		const domain = "@example.com"
		if n < len(domain)+1 {
			return x(n)
		}
		return x(n-len(domain)) + domain
	}
	okErr := func(err error) bool { return err == nil }
	customer := func(c icc.Customer) bool {
		if c.Email == "" {
			c.Email = "c@example.com"
		}
		return okErr(c.Validate())
	}
	agent := func(a icc.Agent) bool {
		a.Email = "a@example.com"
		if a.Name == "" {
			a.Name = "A"
		}
		return okErr(a.Validate())
	}
	integration := func(in icc.Integration) bool {
		if in.Name == "" {
			in.Name = "I"
		}
		return okErr(in.Validate()) && okErr(in.CheckLimits())
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	emailLen := longest(t, 400, func(n int) bool { return customer(icc.Customer{Email: email(n)}) })
	customerName := longest(t, 400, func(n int) bool { return customer(icc.Customer{Name: x(n)}) })
	tier := longest(t, 400, func(n int) bool { return customer(icc.Customer{Tier: x(n)}) })
	account := longest(t, 400, func(n int) bool { return okErr(icc.CheckAccountLimit(x(n))) })
	agentName := longest(t, 400, func(n int) bool { return agent(icc.Agent{Name: x(n)}) })
	skill := longest(t, 400, func(n int) bool { return agent(icc.Agent{Skills: []string{x(n)}}) })
	capacity := longest(t, 2000, func(n int) bool { return agent(icc.Agent{Capacity: n}) })
	integrationName := longest(t, 400, func(n int) bool { return integration(icc.Integration{Name: x(n)}) })
	description := longest(t, 3000, func(n int) bool { return integration(icc.Integration{Description: x(n)}) })
	checkURL := longest(t, 3000, func(n int) bool {
		u := "http://example.com/"
		if n > len(u) {
			u += x(n - len(u))
		}
		return integration(icc.Integration{Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: u}})
	})
	conditions := longest(t, 200, func(n int) bool {
		return integration(icc.Integration{Check: icc.CheckSpec{Conditions: slices.Repeat([]string{"status == 200"}, n)}})
	})
	condition := longest(t, 2000, func(n int) bool {
		return integration(icc.Integration{Check: icc.CheckSpec{Conditions: []string{x(n)}}})
	})
	title := longest(t, 400, func(n int) bool {
		return okErr((&icc.MaintenanceWindow{IntegrationID: "i", Title: x(n), StartsAt: t0, EndsAt: t0.Add(time.Hour)}).Validate())
	})
	failures := longest(t, 400, func(n int) bool {
		return okErr((&icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: n}).Validate())
	})
	resolveAfter := longest(t, 400, func(n int) bool {
		return okErr((&icc.AlertRule{Type: icc.RuleConsecutiveFailures, ResolveAfter: n}).Validate())
	})
	tag := longest(t, 400, func(n int) bool {
		return okErr(icc.NewTicket{Subject: "s", CustomerEmail: "c@example.com", Tags: []string{x(n)}}.Validate())
	})
	// The longest tag is an incident tag (icc.IncidentTag) of the longest
	// integration name.
	incidentTag := longest(t, 400, func(n int) bool {
		tag := icc.IncidentTag(icc.Incident{Name: x(n)})
		return okErr(icc.NewTicket{Subject: "s", CustomerEmail: "c@example.com", Tags: []string{tag}}.Validate())
	})
	assert.Equal(t, integrationName, incidentTag)
	incidentTag = len(icc.IncidentTag(icc.Incident{Name: x(incidentTag)}))
	assert.Equal(t, icc.MaxTagLen, tag, "the longest ordinary tag")

	type limit struct {
		sites   []string
		keyword string
		want    int
	}
	limits := []limit{
		{[]string{"NewTicket.subject", "PublicTicketRequest.subject", "ClassifyRequest.subject", "ConversationTicketRequest.subject",
			"StartConversationRequest.subject"}, "maxLength", icc.MaxSubjectLen},
		{[]string{"NewTicket.body", "PublicTicketRequest.body", "ReplyRequest.body", "ClassifyRequest.body", "ConversationTicketRequest.body"},
			"maxLength", icc.MaxBodyLen},
		{[]string{"NewTicket.tags", "ConversationTicketRequest.tags"}, "maxItems", icc.MaxTags},
		{[]string{"NewTicket.tags[]", "ConversationTicketRequest.tags[]"}, "maxLength", incidentTag},
		{[]string{"StartConversationRequest.message"}, "maxLength", icc.MaxMessageLen},
		{[]string{"AgentInput.skills", "AgentUpdate.skills"}, "maxItems", icc.MaxSkills},
		{[]string{"AgentInput.skills[]", "AgentUpdate.skills[]"}, "maxLength", skill},
		{[]string{"AgentInput.password", "AgentUpdate.password"}, "minLength", minPasswordLen},
		{[]string{"AgentInput.password", "AgentUpdate.password"}, "maxLength", maxPasswordLen},
		{[]string{"AgentInput.name", "AgentUpdate.name"}, "maxLength", agentName},
		{[]string{"AgentInput.capacity", "AgentUpdate.capacity"}, "maximum", capacity},
		{[]string{"ClassifyRequest.customer_tier"}, "maxLength", maxClassifyTierLen},
		{[]string{"CustomerInput.tier", "CustomerUpdate.tier"}, "maxLength", tier},
		{[]string{"CustomerInput.name", "CustomerUpdate.name", "NewTicket.customer_name", "PublicTicketRequest.customer_name",
			"StartConversationRequest.name"}, "maxLength", customerName},
		{[]string{"CustomerInput.account", "CustomerUpdate.account"}, "maxLength", account},
		{[]string{"CustomerInput.email", "AgentInput.email", "NewTicket.customer_email", "PublicTicketRequest.customer_email",
			"StartConversationRequest.email", "ConversationTicketRequest.customer_email"}, "maxLength", emailLen},
		{[]string{"IntegrationRequest.name", "IntegrationUpdate.name"}, "maxLength", integrationName},
		{[]string{"IntegrationRequest.description", "IntegrationUpdate.description"}, "maxLength", description},
		{[]string{"IntegrationRequest.check.url", "IntegrationUpdate.check.url"}, "maxLength", checkURL},
		{[]string{"IntegrationRequest.check.conditions", "IntegrationUpdate.check.conditions"}, "maxItems", conditions},
		{[]string{"IntegrationRequest.alert_rules", "IntegrationUpdate.alert_rules"}, "maxItems", icc.MaxAlertRules},
		{[]string{"IntegrationRequest.check.conditions[]", "IntegrationUpdate.check.conditions[]"}, "maxLength", condition},
		{[]string{"IntegrationRequest.alert_rules[].failures", "IntegrationUpdate.alert_rules[].failures"}, "maximum", failures},
		{[]string{"IntegrationRequest.alert_rules[].resolve_after", "IntegrationUpdate.alert_rules[].resolve_after"}, "maximum", resolveAfter},
		{[]string{"MaintenanceRequest.title"}, "maxLength", title},
	}
	var limitParams []string
	for path, item := range doc.Paths {
		for method, op := range item {
			for _, p := range asList(op["parameters"]) {
				if p := p.(map[string]any); p["name"] == "limit" {
					limitParams = append(limitParams, strings.ToUpper(method)+" "+path+"?limit")
				}
			}
		}
	}
	require.NotEmpty(t, limitParams)
	limits = append(limits, limit{limitParams, "maximum", icc.MaxLimit}, limit{limitParams, "minimum", 1})

	for _, l := range limits {
		for _, site := range l.sites {
			got, ok := doc.site(t, site)[l.keyword]
			if assert.True(t, ok, "%s has no %s", site, l.keyword) {
				assert.EqualValues(t, l.want, got, "%s of %s", l.keyword, site)
			}
		}
	}
	// The tags' description states the limit of an ordinary tag.
	for _, site := range []string{"NewTicket.tags", "ConversationTicketRequest.tags"} {
		assert.Contains(t, doc.site(t, site)["description"], fmt.Sprintf("1 to %d characters", icc.MaxTagLen), site)
	}
}

// ruleCase is a request that breaks, or just meets, a documented rule.
type ruleCase struct {
	name string
	// fields are the fields the server may name when it refuses the
	// request (one, unless the rule is "one of these is required").
	fields []string
	refuse bool
	// change turns a body the server accepts into this case's.
	change func(body map[string]any)
}

// ruleGen derives ruleCases from a request schema.
type ruleGen struct {
	doc   *openAPI
	n     int
	cases []ruleCase
	// bases adjust the body before a change to the field they are named
	// by, when that field needs another context than the usual body (a
	// success_rate rule for success_rate, say).
	bases map[string]func(body map[string]any)
}

// unique returns a number not returned before, for values that must not
// collide with earlier ones (emails, integration names).
func (g *ruleGen) unique() int {
	g.n++
	return g.n
}

// text returns a string of n bytes for field, one the field takes apart
// from its length: an email address, a URL, a check condition, an
// incident tag beyond the length of an ordinary tag.
func (g *ruleGen) text(field, format string, n int) string {
	pad := func(prefix string, fill string) string {
		if n <= len(prefix) {
			return prefix[:n]
		}
		return prefix + strings.Repeat(fill, n-len(prefix))
	}
	switch {
	case format == "email":
		const domain = "@example.com"
		local := fmt.Sprintf("u%d.", g.unique())
		if n < len(local)+len(domain)+1 {
			return strings.Repeat("x", n)
		}
		return local + strings.Repeat("a", n-len(local)-len(domain)) + domain
	case field == "check.url":
		return pad("http://example.com/", "x")
	case field == "check.conditions":
		return pad("status == 200", " ")
	case field == "tags" && n > icc.MaxTagLen:
		return pad("incident:", "x")
	}
	return pad(fmt.Sprintf("v%d-", g.unique()), "x")
}

// item returns the i-th of a list of distinct valid items of field.
func (g *ruleGen) item(field string, i int) any {
	switch field {
	case "check.conditions":
		return "status == 200"
	case "alert_rules":
		return map[string]any{"type": "consecutive_failures", "failures": i%100 + 1}
	}
	return fmt.Sprintf("item-%d-%d", g.unique(), i)
}

func (g *ruleGen) add(name string, fields []string, refuse bool, change func(map[string]any)) {
	g.cases = append(g.cases, ruleCase{name: name, fields: fields, refuse: refuse, change: change})
}

// set returns a change that sets the value at path (keys, and 0 for the
// first item of a list) to wrap(v), after the base adjustment of field if
// any.
func (g *ruleGen) set(field string, path []any, wrap func(any) any, v any) func(map[string]any) {
	return func(body map[string]any) {
		if b := g.bases[field]; b != nil {
			b(body)
		}
		setPath(body, path, wrap(v))
	}
}

// setPath sets the value at path in body, which holds every object and
// list on the way.
func setPath(body map[string]any, path []any, v any) {
	var cur any = body
	for i, k := range path {
		last := i == len(path)-1
		switch k := k.(type) {
		case string:
			m := cur.(map[string]any)
			if last {
				m[k] = v
				return
			}
			cur = m[k]
		case int:
			l := cur.([]any)
			if last {
				l[k] = v
				return
			}
			cur = l[k]
		}
	}
}

// fieldName is how the server names the field at path: its keys joined by
// dots ("check.url", "alert_rules.type").
func fieldName(path []any) string {
	var parts []string
	for _, k := range path {
		if s, ok := k.(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ".")
}

func num(s map[string]any, k string) (float64, bool) {
	v, ok := s[k].(float64)
	return v, ok
}

func same(v any) any { return v }

// inList is the wrap of the cases of a list's items: a list of one item.
func inList(v any) any { return []any{v} }

// object adds the cases of the properties of object schema s at path.
func (g *ruleGen) object(s map[string]any, path []any) {
	props, _ := s["properties"].(map[string]any)
	for _, k := range sortedKeys(props) {
		g.value(g.doc.effective(props[k].(map[string]any)), append(slices.Clone(path), k), false)
	}
}

// value adds the cases of value schema s at path, or, with item, of the
// items of the list at path (set as a list of one item).
func (g *ruleGen) value(s map[string]any, path []any, item bool) {
	field := fieldName(path)
	name, wrap := field, same
	if item {
		name, wrap = field+"[]", inList
	}
	set := func(v any) func(map[string]any) { return g.set(field, path, wrap, v) }
	one := []string{field}
	format, _ := s["format"].(string)
	if enum, ok := s["enum"].([]any); ok {
		g.add(name+" not in enum", one, true, set("no-such-value"))
		for _, v := range enum {
			g.add(fmt.Sprintf("%s=%v", name, v), one, false, set(v))
		}
	}
	if n, ok := num(s, "maxLength"); ok {
		g.add(fmt.Sprintf("%s over maxLength %v", name, n), one, true, set(g.text(field, format, int(n)+1)))
		g.add(fmt.Sprintf("%s at maxLength %v", name, n), one, false, set(g.text(field, format, int(n))))
	}
	if n, ok := num(s, "minLength"); ok && n > 0 {
		g.add(fmt.Sprintf("%s under minLength %v", name, n), one, true, set(g.text(field, "", int(n)-1)))
		if n > 1 {
			g.add(fmt.Sprintf("%s at minLength %v", name, n), one, false, set(g.text(field, "", int(n))))
		}
	}
	switch format {
	case "email":
		g.add(name+" not an email", one, true, set("not-an-email"))
	case "date-time":
		g.add(name+" not a date-time", one, true, set("not-a-time"))
	}
	step := 0.5
	if s["type"] == "integer" {
		step = 1
	}
	if m, ok := num(s, "maximum"); ok {
		g.add(fmt.Sprintf("%s over maximum %v", name, m), one, true, set(m+step))
		g.add(fmt.Sprintf("%s at maximum %v", name, m), one, false, set(m))
	}
	if m, ok := num(s, "minimum"); ok {
		g.add(fmt.Sprintf("%s under minimum %v", name, m), one, true, set(m-step))
		g.add(fmt.Sprintf("%s at minimum %v", name, m), one, false, set(m))
	}
	if m, ok := num(s, "exclusiveMinimum"); ok {
		g.add(fmt.Sprintf("%s at exclusiveMinimum %v", name, m), one, true, set(m))
	}
	if s["type"] == "array" {
		items := g.doc.effective(s["items"].(map[string]any))
		list := func(n int) []any {
			l := make([]any, n)
			for i := range l {
				l[i] = g.item(field, i)
			}
			return l
		}
		if n, ok := num(s, "maxItems"); ok {
			g.add(fmt.Sprintf("%s over maxItems %v", name, n), one, true, set(list(int(n)+1)))
			g.add(fmt.Sprintf("%s at maxItems %v", name, n), one, false, set(list(int(n))))
		}
		if items["type"] == "object" || items["properties"] != nil {
			g.object(items, append(slices.Clone(path), 0)) // the body's list holds one item
		} else {
			g.value(items, path, true)
		}
	}
	if s["type"] == "object" && s["properties"] != nil {
		g.object(s, path)
	}
}

// ruleCasesOf returns the cases of request schema s: each required
// property left out, each group of which one is required left out, each
// documented rule broken and just met, and a property the schema lacks.
func ruleCasesOf(doc *openAPI, s map[string]any, bases map[string]func(map[string]any)) []ruleCase {
	g := &ruleGen{doc: doc, bases: bases}
	required, groups := requiredOf(s)
	for _, f := range required {
		g.add(f+" left out", []string{f}, true, func(body map[string]any) { delete(body, f) })
	}
	for _, group := range groups {
		g.add(strings.Join(group, " and ")+" left out", group, true, func(body map[string]any) {
			for _, f := range group {
				delete(body, f)
			}
		})
	}
	g.object(s, nil)
	return g.cases
}

// deepCopy copies a JSON body.
func deepCopy(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// requestFixture sends one documented request: prepare returns the
// client to send it with, its path and a body the server accepts, making
// afresh what the request changes (a ticket to rate, say) so that every
// case meets the same state.
type requestFixture struct {
	prepare func(t *testing.T) (*client, string, map[string]any)
	bases   map[string]func(body map[string]any)
}

// rulesEnv is a server with the desk, the monitor and the chat set up.
type rulesEnv struct {
	*monitorEnv
	chat *chatAPI
	n    int
}

func newRulesEnv(t *testing.T) *rulesEnv {
	t.Helper()
	e := newMonitorEnv(t)
	a, err := e.s.setupChat(t.Context(), chatOptions{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.hub.Close()) })
	return &rulesEnv{monitorEnv: e, chat: a}
}

func (e *rulesEnv) unique() int {
	e.n++
	return e.n
}

// fromNewAddress returns an anonymous client on an address of its own, so
// that the per-address limits of public routes do not add up across cases.
func (e *rulesEnv) fromNewAddress() *client {
	c := e.anon()
	n := e.unique()
	c.remote = fmt.Sprintf("10.%d.%d.%d:1234", n>>16&255, n>>8&255, n&255)
	return c
}

func (e *rulesEnv) email() string { return fmt.Sprintf("rules%d@test.example", e.unique()) }

// created sends a request that must succeed and returns its answer.
func created[T any](t *testing.T, c *client, method, path string, body any) T {
	t.Helper()
	w := c.do(method, path, body)
	require.Less(t, w.Code, 300, "%s %s: %s", method, path, w.Body.String())
	return decode[T](t, w)
}

// requestFixtures returns a fixture for every documented request body, by
// operation.
func (e *rulesEnv) requestFixtures() map[string]requestFixture {
	admin, agent := e.asAdmin(), e.asAgent()
	integrationID := e.ids[demoERPName]
	ticket := func(t *testing.T) *icc.Ticket { return newTicket(t, admin, "Printer on fire", "It is really on fire") }
	conversation := func(t *testing.T) *icc.Conversation {
		c := &icc.Customer{Email: e.email(), Name: "Chat Customer"}
		require.NoError(t, e.backend.CreateCustomer(t.Context(), c))
		conv, _, err := e.chat.hub.StartConversation(t.Context(), c.ID, "Help")
		require.NoError(t, err)
		return conv
	}
	check := map[string]any{"type": "http", "url": "http://127.0.0.1:9/health"}
	rules := []any{map[string]any{"type": "consecutive_failures"}}
	integration := func() map[string]any {
		return map[string]any{"name": fmt.Sprintf("Rules %d", e.unique()), "enabled": false, "check": check, "alert_rules": rules}
	}
	ruleBases := map[string]func(map[string]any){
		// success_rate is a field of success_rate rules only.
		"alert_rules.success_rate": func(body map[string]any) {
			body["alert_rules"] = []any{map[string]any{"type": "success_rate", "success_rate": 0.5}}
		},
	}
	return map[string]requestFixture{
		"POST /api/auth/login": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return e.fromNewAddress(), "/api/auth/login", map[string]any{"email": e.agent.Email, "password": testAgentPassword}
		}},
		"PATCH /api/auth/me": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/auth/me", map[string]any{"availability": "online"}
		}},
		"POST /api/tickets": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return admin, "/api/tickets", map[string]any{"subject": "Printer on fire", "body": "It is really on fire", "customer_email": e.email()}
		}},
		"PATCH /api/tickets/{id}": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			tk := ticket(t)
			return admin, "/api/tickets/" + tk.ID, map[string]any{"version": tk.Version}
		}},
		"POST /api/tickets/{id}/replies": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return admin, "/api/tickets/" + ticket(t).ID + "/replies", map[string]any{"body": "On it."}
		}},
		"POST /api/tickets/{id}/notes": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return admin, "/api/tickets/" + ticket(t).ID + "/notes", map[string]any{"body": "Checked the logs."}
		}},
		"POST /api/tickets/{id}/rating": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			tk := ticket(t)
			tk = created[*icc.Ticket](t, admin, "PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "status": "resolved"})
			return admin, "/api/tickets/" + tk.ID + "/rating", map[string]any{"rating": 5, "comment": "Quick"}
		}},
		"POST /api/public/tickets": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return e.fromNewAddress(), "/api/public/tickets", map[string]any{"subject": "Help", "body": "Please", "customer_email": e.email(), "customer_name": "Pub"}
		}},
		"POST /api/customers": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/customers", map[string]any{"email": e.email(), "name": "Cus Tomer"}
		}},
		"PATCH /api/customers/{id}": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			c := created[*icc.Customer](t, agent, "POST", "/api/customers", map[string]any{"email": e.email()})
			return agent, "/api/customers/" + c.ID, map[string]any{"name": "Renamed"}
		}},
		"POST /api/agents": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return admin, "/api/agents", map[string]any{"email": e.email(), "name": "New Agent", "password": "password-123"}
		}},
		"PATCH /api/agents/{id}": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			a := created[agentWithLoad](t, admin, "POST", "/api/agents", map[string]any{"email": e.email(), "name": "Some Agent", "password": "password-123"})
			return admin, "/api/agents/" + a.ID, map[string]any{"version": a.Version}
		}},
		"POST /api/classify": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/classify", map[string]any{"subject": "Refund", "body": "I was charged twice"}
		}},
		"POST /api/integrations": {bases: ruleBases, prepare: func(t *testing.T) (*client, string, map[string]any) {
			return admin, "/api/integrations", integration()
		}},
		"PATCH /api/integrations/{id}": {bases: ruleBases, prepare: func(t *testing.T) (*client, string, map[string]any) {
			in := created[*icc.Integration](t, admin, "POST", "/api/integrations", integration())
			return admin, "/api/integrations/" + in.ID, map[string]any{"version": in.Version, "check": check, "alert_rules": rules}
		}},
		"POST /api/maintenance": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/maintenance", map[string]any{"integration_id": integrationID, "title": "Upgrade"}
		}},
		"POST /api/mocks/{system}/mode": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/mocks/crm/mode", map[string]any{"mode": "healthy"}
		}},
		"POST /api/conversations": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return e.fromNewAddress(), "/api/conversations", map[string]any{"email": e.email(), "name": "Cus", "subject": "Hi", "message": "Hello"}
		}},
		"POST /api/conversations/{id}/assign": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/conversations/" + conversation(t).ID + "/assign", map[string]any{"agent_id": e.agent.ID}
		}},
		"POST /api/conversations/{id}/ticket": {prepare: func(t *testing.T) (*client, string, map[string]any) {
			return agent, "/api/conversations/" + conversation(t).ID + "/ticket", map[string]any{}
		}},
	}
}

// TestOpenAPIRequestRulesEnforced sends, for every documented request
// body, requests that each break one documented rule (a required field
// left out, a value outside an enum, a string or list one over its limit,
// a number past its bound, a malformed email or time) and requires a 422
// naming the field; requests that just meet the rule (every enum value, a
// string or list at its limit, a number at its bound) must not be refused
// for that field. A field the schema lacks is a 400, and the base body is
// accepted.
func TestOpenAPIRequestRulesEnforced(t *testing.T) {
	e := newRulesEnv(t)
	doc := loadOpenAPI(t)
	fixtures := e.requestFixtures()

	var ops []string
	for path, item := range doc.Paths {
		for method, op := range item {
			if _, ok := op["requestBody"]; ok {
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	assert.ElementsMatch(t, ops, sortedKeys(fixtures), "every documented request body has a fixture")

	for _, op := range ops {
		fx, ok := fixtures[op]
		if !ok {
			continue
		}
		t.Run(op, func(t *testing.T) {
			method, path, _ := strings.Cut(op, " ")
			rb := doc.Paths[path][strings.ToLower(method)]["requestBody"].(map[string]any)
			schema := doc.effective(rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any))
			cases := ruleCasesOf(doc, schema, fx.bases)
			// A property of the base body the document does not require
			// may be left out: the document misses no required property.
			_, _, base := fx.prepare(t)
			required, groups := requiredOf(schema)
			for _, k := range sortedKeys(base) {
				if slices.Contains(required, k) || slices.ContainsFunc(groups, func(g []string) bool { return slices.Contains(g, k) }) {
					continue
				}
				cases = append(cases, ruleCase{name: k + " may be left out", fields: []string{k},
					change: func(body map[string]any) { delete(body, k) }})
			}
			// Refusals first: a case that is accepted may change what a
			// shared fixture holds.
			slices.SortStableFunc(cases, func(a, b ruleCase) int {
				switch {
				case a.refuse == b.refuse:
					return 0
				case a.refuse:
					return -1
				}
				return 1
			})
			for _, rc := range cases {
				t.Run(rc.name, func(t *testing.T) {
					c, p, base := fx.prepare(t)
					body := deepCopy(base)
					rc.change(body)
					w := c.do(method, p, body)
					if rc.refuse {
						require.Equal(t, http.StatusUnprocessableEntity, w.Code, "%s\nbody: %v", w.Body.String(), body)
						d := readErrorBody(t, w.Body.Bytes())
						assert.Equal(t, icc.EINVALID, d.Code)
						assert.Contains(t, rc.fields, d.Field, w.Body.String())
						return
					}
					assert.Less(t, w.Code, 500, w.Body.String())
					assert.NotEqual(t, http.StatusBadRequest, w.Code, w.Body.String())
					if w.Code == http.StatusUnprocessableEntity {
						assert.NotContains(t, rc.fields, readErrorBody(t, w.Body.Bytes()).Field, "refused for a value the document allows: %s", w.Body.String())
					}
				})
			}
			t.Run("unknown field", func(t *testing.T) {
				c, p, base := fx.prepare(t)
				body := deepCopy(base)
				body["no_such_field"] = true
				requireError(t, c.do(method, p, body), http.StatusBadRequest, icc.EINVALID, "")
			})
			t.Run("base", func(t *testing.T) {
				c, p, base := fx.prepare(t)
				w := c.do(method, p, base)
				assert.Less(t, w.Code, 300, w.Body.String())
			})
		})
	}
}

// TestOpenAPIQueryRulesEnforced: for every query parameter with an enum, a
// bound or a boolean type, a value outside it is a 422 naming the
// parameter, and each value inside (every enum value, each bound, true and
// false) is answered 200.
func TestOpenAPIQueryRulesEnforced(t *testing.T) {
	e := newRulesEnv(t)
	doc := loadOpenAPI(t)
	admin := e.asAdmin()
	cust := &icc.Customer{Email: e.email()}
	require.NoError(t, e.backend.CreateCustomer(t.Context(), cust))
	conv, _, err := e.chat.hub.StartConversation(t.Context(), cust.ID, "Help")
	require.NoError(t, err)
	concrete := map[string]string{
		"/api/integrations/{id}/results":   "/api/integrations/" + e.ids[demoERPName] + "/results",
		"/api/conversations/{id}/messages": "/api/conversations/" + conv.ID + "/messages",
	}

	type queryCase struct {
		value  string
		refuse bool
	}
	format := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, path := range sortedKeys(doc.Paths) {
		op, ok := doc.Paths[path]["get"]
		if !ok {
			continue
		}
		for _, p := range asList(op["parameters"]) {
			p := p.(map[string]any)
			if p["in"] != "query" {
				continue
			}
			name, s := p["name"].(string), p["schema"].(map[string]any)
			var cases []queryCase
			for _, v := range asList(s["enum"]) {
				cases = append(cases, queryCase{v.(string), false})
			}
			if len(cases) > 0 {
				cases = append(cases, queryCase{"no-such-value", true})
			}
			if s["type"] == "boolean" {
				cases = append(cases, queryCase{"true", false}, queryCase{"false", false}, queryCase{"perhaps", true})
			}
			if m, ok := num(s, "minimum"); ok {
				cases = append(cases, queryCase{format(m), false}, queryCase{format(m - 1), true})
			}
			if m, ok := num(s, "maximum"); ok {
				cases = append(cases, queryCase{format(m), false}, queryCase{format(m + 1), true})
			}
			if len(cases) == 0 {
				continue
			}
			target := path
			if strings.Contains(path, "{") {
				target, ok = concrete[path]
				require.True(t, ok, "no concrete path for %s", path)
			}
			for _, qc := range cases {
				t.Run(fmt.Sprintf("GET %s?%s=%s", path, name, qc.value), func(t *testing.T) {
					w := admin.do("GET", target+"?"+url.Values{name: {qc.value}}.Encode(), nil)
					if qc.refuse {
						requireError(t, w, http.StatusUnprocessableEntity, icc.EINVALID, name)
						return
					}
					assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
				})
			}
		}
	}
}

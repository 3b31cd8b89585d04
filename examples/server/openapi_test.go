package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// openAPI is the parts of the OpenAPI document the tests read.
type openAPI struct {
	OpenAPI    string                               `json:"openapi"`
	Info       map[string]any                       `json:"info"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components struct {
		Schemas         map[string]map[string]any `json:"schemas"`
		Responses       map[string]any            `json:"responses"`
		SecuritySchemes map[string]any            `json:"securitySchemes"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	var doc openAPI
	require.NoError(t, json.Unmarshal([]byte(openAPIDocument), &doc), "openapi.json is not valid JSON")
	return &doc
}

// operations returns the document's operations as "METHOD /path".
func (d *openAPI) operations() []string {
	var out []string
	for path, item := range d.Paths {
		for method := range item {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// newFullServer returns a deskEnv with every capability set up (desk,
// monitor, mocks, chat), so that every route is registered.
func newFullServer(t *testing.T) *monitorEnv {
	t.Helper()
	e := newMonitorEnv(t)
	a, err := e.s.setupChat(t.Context(), chatOptions{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.hub.Close()) })
	return e
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3.1."), "openapi is %q", doc.OpenAPI)
	assert.NotEmpty(t, doc.Info["title"])
	assert.NotEmpty(t, doc.Info["version"])
	require.NotEmpty(t, doc.Paths)
	for _, name := range []string{"Ticket", "TicketEvent", "Customer", "Agent", "Integration", "CheckResult", "IntegrationLog",
		"MaintenanceWindow", "Alert", "Conversation", "Message", "Page", "Error"} {
		assert.Contains(t, doc.Components.Schemas, name, "schema %s", name)
	}

	// Every operation has a unique id and responses, and names every path
	// parameter of its path.
	ids := map[string]string{}
	for _, op := range doc.operations() {
		method, path, _ := strings.Cut(op, " ")
		o := doc.Paths[path][strings.ToLower(method)]
		id, _ := o["operationId"].(string)
		require.NotEmpty(t, id, op)
		require.NotContains(t, ids, id, "operationId %s of %s is also %s's", id, op, ids[id])
		ids[id] = op
		assert.NotEmpty(t, o["responses"], op)
		var declared []string
		params, _ := o["parameters"].([]any)
		for _, p := range params {
			p := p.(map[string]any)
			if p["in"] == "path" {
				declared = append(declared, p["name"].(string))
			}
		}
		var inPath []string
		for _, seg := range strings.Split(path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				inPath = append(inPath, strings.TrimSuffix(name, "}"))
			}
		}
		assert.ElementsMatch(t, inPath, declared, "path parameters of %s", op)
	}

	// Every $ref points at something that exists.
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var raw any
	require.NoError(t, json.Unmarshal([]byte(openAPIDocument), &raw))
	walk(raw)
	require.NotEmpty(t, refs)
	for _, r := range refs {
		switch {
		case strings.HasPrefix(r, "#/components/schemas/"):
			assert.Contains(t, doc.Components.Schemas, strings.TrimPrefix(r, "#/components/schemas/"), r)
		case strings.HasPrefix(r, "#/components/responses/"):
			assert.Contains(t, doc.Components.Responses, strings.TrimPrefix(r, "#/components/responses/"), r)
		default:
			t.Errorf("unexpected $ref %s", r)
		}
	}
}

// TestOpenAPIMatchesRoutes: every route the server registers is documented
// with its method and path, and every documented operation is registered.
// The mock CRM and ERP under /mock/ imitate third-party systems, and the
// web UI's pages and files (webUIPath) are not part of this API.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newFullServer(t)
	var routes []string
	for _, p := range e.s.patterns {
		method, path, ok := strings.Cut(p, " ")
		require.True(t, ok && method != "", "route %q has no method", p)
		if strings.HasPrefix(path, "/mock/") || webUIPath(path) {
			continue
		}
		routes = append(routes, p)
	}
	slices.Sort(routes)
	require.NotEmpty(t, routes)
	assert.Equal(t, routes, loadOpenAPI(t).operations())
}

func TestOpenAPIServed(t *testing.T) {
	e := newDeskEnv(t)
	w := e.anon().do("GET", "/api/openapi.json", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	assert.Equal(t, openAPIDocument, w.Body.String())
}

// documentedTypes maps schemas to the Go types the handlers encode (or
// decode, for request bodies).
func documentedTypes() map[string]any {
	return map[string]any{
		"Ticket": icc.Ticket{}, "Classification": icc.Classification{}, "Satisfaction": icc.Satisfaction{},
		"TicketEvent": icc.TicketEvent{}, "Customer": icc.Customer{}, "Agent": agentWithLoad{},
		"Integration": icc.Integration{}, "CheckSpec": icc.CheckSpec{}, "AlertRule": icc.AlertRule{},
		"CheckResult": icc.CheckResult{}, "IntegrationLog": icc.IntegrationLog{}, "MaintenanceWindow": icc.MaintenanceWindow{},
		"Alert": alertView{}, "Conversation": icc.Conversation{}, "ConversationSummary": chat.Summary{}, "Message": icc.Message{},
		"Triage": icc.Triage{}, "TicketAnalytics": icc.TicketAnalytics{}, "IntegrationStats": icc.IntegrationStats{}, "WindowStats": windowStats{},
		"IntegrationAnalytics": integrationAnalytics{}, "IntegrationStatsEntry": integrationStatsEntry{},
		"Incident": icc.Incident{}, "CheckNow": checkNowBody{}, "ClassifyResult": classify.Result{}, "ClassifierStatus": classifierStatus{},
		"MockState": mockState{}, "SignedIn": agentBody{}, "PublicTicketAnswer": publicTicketAnswer{},
		"ConversationStarted": startAnswer{}, "Messages": messagesBody{}, "ReadMark": icc.ReadMark{}, "Status": statusBody{},
		"Error": icc.ErrorBody{}, "ErrorDetail": icc.ErrorDetail{},
		"NewTicket": icc.NewTicket{}, "TicketUpdate": icc.TicketUpdate{}, "LoginRequest": loginRequest{}, "MeUpdate": meUpdate{},
		"AgentInput": agentInput{}, "AgentUpdate": agentUpdate{}, "CustomerInput": customerInput{}, "CustomerUpdate": customerUpdate{},
		"PublicTicketRequest": publicTicket{}, "ReplyRequest": replyRequest{}, "RatingRequest": ratingRequest{},
		"ClassifyRequest": classifyRequest{}, "IntegrationRequest": integrationRequest{}, "IntegrationUpdate": integrationUpdate{},
		"MaintenanceRequest": maintenanceRequest{}, "StartConversationRequest": startRequest{},
		"AssignConversationRequest": assignRequest{}, "ConversationTicketRequest": ticketRequest{}, "MockModeRequest": mockModeRequest{},
		"TicketEventList": eventsBody{}, "IntegrationList": itemsBody[*icc.Integration]{}, "IncidentList": itemsBody[icc.Incident]{},
		"MockList": mocksBody{}, "ReadMarkList": itemsBody[icc.ReadMark]{}, "TicketPage": icc.Page[*icc.Ticket]{}, "CustomerPage": icc.Page[*icc.Customer]{},
		"AgentPage": agentPage{}, "CheckResultPage": icc.Page[icc.CheckResult]{}, "IntegrationLogPage": icc.Page[icc.IntegrationLog]{},
		"MaintenancePage": icc.Page[*icc.MaintenanceWindow]{}, "AlertPage": alertsPage{}, "ConversationPage": icc.Page[chat.Summary]{},
		"Page": icc.Page[any]{},
	}
}

// jsonFields returns the JSON property names of struct type rt, and those
// that are always written (no omitempty or omitzero), following embedded
// structs as encoding/json does.
func jsonFields(rt reflect.Type) (all, always []string) {
	for rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			a, w := jsonFields(f.Type)
			all, always = append(all, a...), append(always, w...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		all = append(all, cmpOr(name, f.Name))
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			always = append(always, cmpOr(name, f.Name))
		}
	}
	return all, always
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isRequestSchema reports whether a schema describes a request body: its
// required fields are the ones the server refuses a body without (checked
// by TestOpenAPIRequestRulesEnforced), not those a response always has.
func isRequestSchema(name string) bool {
	return name == "NewTicket" || strings.HasSuffix(name, "Request") || strings.HasSuffix(name, "Update") || strings.HasSuffix(name, "Input")
}

// TestOpenAPISchemasMatchGoTypes: each documented schema lists exactly the
// JSON fields of its Go type, and (for responses) requires exactly those
// that are always written, so adding a field to a type without documenting
// it fails here.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	types := documentedTypes()
	for name, v := range types {
		t.Run(name, func(t *testing.T) {
			s, ok := doc.Components.Schemas[name]
			require.True(t, ok, "no schema %s", name)
			all, always := jsonFields(reflect.TypeOf(v))
			props, _ := s["properties"].(map[string]any)
			assert.ElementsMatch(t, all, mapKeys(props), "properties")
			assert.Equal(t, false, s["additionalProperties"], "unknown properties are not allowed")
			var required []string
			list, _ := s["required"].([]any)
			for _, r := range list {
				required = append(required, r.(string))
			}
			if isRequestSchema(name) {
				assert.Subset(t, all, required, "required fields are properties")
				return
			}
			if name == "Page" {
				always = []string{"items"}
			}
			assert.ElementsMatch(t, always, required, "required")
		})
	}
	// Every schema but the document's own is checked.
	for name := range doc.Components.Schemas {
		if name != "OpenAPI" {
			assert.Contains(t, types, name, "schema %s has no Go type in documentedTypes", name)
		}
	}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOpenAPIResponsesMatchSchemas checks real answers of the handlers
// against the document: for each, the JSON has only the properties its
// schema lists, every required one, and values of the documented types,
// recursively through $refs.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	e := newFullServer(t)
	doc := loadOpenAPI(t)
	c := e.asAdmin()
	newTicket(t, c, "Opening hours", "When are you open?")
	tk := newTicket(t, c, "Refund please", "I was charged twice on my invoice")
	w := c.do("POST", "/api/tickets/"+tk.ID+"/replies", map[string]string{"body": "On it."})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	integration := e.ids["Mock CRM"]
	if integration == "" {
		for _, id := range e.ids {
			integration = id
			break
		}
	}

	for _, rc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/api/tickets/" + tk.ID, nil, http.StatusOK},
		{"GET", "/api/tickets", nil, http.StatusOK},
		{"GET", "/api/tickets/" + tk.ID + "/events", nil, http.StatusOK},
		{"PATCH", "/api/tickets/" + tk.ID, map[string]any{"version": 1}, http.StatusConflict},
		{"GET", "/api/tickets/nope", nil, http.StatusNotFound},
		{"GET", "/api/tickets?limit=0", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/customers/" + tk.CustomerID, nil, http.StatusOK},
		{"GET", "/api/agents", nil, http.StatusOK},
		{"GET", "/api/auth/me", nil, http.StatusOK},
		{"GET", "/api/integrations", nil, http.StatusOK},
		{"GET", "/api/integrations/" + integration, nil, http.StatusOK},
		{"GET", "/api/integrations/" + integration + "/results?limit=2", nil, http.StatusOK},
		{"GET", "/api/integrations/" + integration + "/stats", nil, http.StatusOK},
		{"GET", "/api/logs?limit=3", nil, http.StatusOK},
		{"GET", "/api/maintenance?all=true", nil, http.StatusOK},
		{"GET", "/api/alerts", nil, http.StatusOK},
		{"GET", "/api/analytics/tickets", nil, http.StatusOK},
		{"GET", "/api/classifier", nil, http.StatusOK},
		{"GET", "/api/mocks", nil, http.StatusOK},
		{"GET", "/healthz", nil, http.StatusOK},
		{"GET", "/ws", nil, http.StatusUpgradeRequired},
		{"POST", "/api/maintenance", map[string]any{"integration_id": integration, "starts_at": "tomorrow"}, http.StatusUnprocessableEntity},
		{"GET", "/api/analytics/integrations?window=2h", nil, http.StatusOK},
	} {
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			w := c.do(rc.method, rc.path, rc.body)
			require.Equal(t, rc.status, w.Code, w.Body.String())
			path, _, _ := strings.Cut(rc.path, "?")
			schema := doc.responseSchema(t, rc.method, path, rc.status)
			var v any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v))
			assert.Empty(t, doc.problems(schema, v, "$"))
		})
	}

	// The generic Page schema fits every paginated answer.
	w = c.do("GET", "/api/tickets?limit=1", nil)
	require.Equal(t, http.StatusOK, w.Code)
	var v any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v))
	assert.Empty(t, doc.problems(map[string]any{"$ref": "#/components/schemas/Page"}, v, "$"))
	require.Contains(t, v.(map[string]any), "next", "one ticket per page leaves a next cursor")
}

// responseSchema finds the documented schema of an answer: the operation
// whose path template matches path, and its response for status.
func (d *openAPI) responseSchema(t *testing.T, method, path string, status int) map[string]any {
	t.Helper()
	for tmpl, item := range d.Paths {
		if !matchTemplate(tmpl, path) {
			continue
		}
		o, ok := item[strings.ToLower(method)]
		require.True(t, ok, "%s %s is not documented", method, tmpl)
		resps := o["responses"].(map[string]any)
		r, ok := resps[fmt.Sprint(status)].(map[string]any)
		require.True(t, ok, "%s %s has no %d response", method, tmpl, status)
		r = d.resolve(r)
		content, ok := r["content"].(map[string]any)
		require.True(t, ok, "%s %s %d has no content", method, tmpl, status)
		return content["application/json"].(map[string]any)["schema"].(map[string]any)
	}
	t.Fatalf("no documented path matches %s", path)
	return nil
}

// matchTemplate reports whether path fits an OpenAPI path template.
func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], "{") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// resolve follows a $ref to a schema or response.
func (d *openAPI) resolve(s map[string]any) map[string]any {
	r, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	if name, ok := strings.CutPrefix(r, "#/components/schemas/"); ok {
		return d.Components.Schemas[name]
	}
	name := strings.TrimPrefix(r, "#/components/responses/")
	return d.Components.Responses[name].(map[string]any)
}

// problems returns how v fails to fit schema, nothing when it fits. It
// knows the subset of JSON Schema the document uses: $ref, anyOf, type (or a
// list of types), enum, format date-time, properties, required,
// additionalProperties and items.
func (d *openAPI) problems(schema map[string]any, v any, at string) []string {
	schema = d.resolve(schema)
	if alts, ok := schema["anyOf"].([]any); ok {
		var all []string
		for _, a := range alts {
			p := d.problems(a.(map[string]any), v, at)
			if len(p) == 0 {
				return nil
			}
			all = append(all, p...)
		}
		return append([]string{at + ": fits no alternative of anyOf"}, all...)
	}
	var types []string
	switch ty := schema["type"].(type) {
	case string:
		types = []string{ty}
	case []any:
		for _, x := range ty {
			types = append(types, x.(string))
		}
	}
	got := jsonType(v)
	if len(types) > 0 && !slices.Contains(types, got) && (got != "integer" || !slices.Contains(types, "number")) {
		return []string{fmt.Sprintf("%s: %v is %s, want %v", at, v, got, types)}
	}
	var out []string
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		out = append(out, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if str, ok := v.(string); ok && schema["format"] == "date-time" {
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			out = append(out, fmt.Sprintf("%s: %q is not a date-time", at, str))
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := v[r.(string)]; !ok {
				out = append(out, fmt.Sprintf("%s: required property %q is missing", at, r))
			}
		}
		for k, x := range v {
			if p, ok := props[k]; ok {
				out = append(out, d.problems(p.(map[string]any), x, at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					out = append(out, fmt.Sprintf("%s: property %q is not in the schema", at, k))
				}
			case map[string]any:
				out = append(out, d.problems(ap, x, at+"."+k)...)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range v {
				out = append(out, d.problems(items, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

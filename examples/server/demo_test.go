package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestSeedDemo(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	logins, err := e.s.seedDemo(ctx)
	require.NoError(t, err)
	require.Len(t, logins, len(demoAgents()))
	assert.Equal(t, icc.RoleAdmin, logins[0].Role)
	for _, l := range logins {
		e.login(l.Email, l.Password)
	}

	p, err := e.backend.ListTickets(ctx, icc.TicketFilter{Limit: icc.MaxLimit})
	require.NoError(t, err)
	require.Len(t, p.Items, len(demoTickets()))
	var assigned, resolved, rated int
	cats := map[icc.Category]bool{}
	for _, tk := range p.Items {
		require.NotNil(t, tk.Classification, "demo tickets go through the classifier")
		cats[tk.Category] = true
		if tk.AssigneeID != "" {
			assigned++
		}
		if tk.Status == icc.StatusResolved {
			resolved++
		}
		if tk.Satisfaction != nil {
			rated++
		}
	}
	assert.Greater(t, len(cats), 1, "several categories")
	assert.Positive(t, assigned)
	assert.GreaterOrEqual(t, resolved, 3)
	assert.GreaterOrEqual(t, rated, 3)

	again, err := e.s.seedDemo(ctx)
	require.NoError(t, err)
	assert.Nil(t, again, "seeding twice adds nothing")
	p, err = e.backend.ListTickets(ctx, icc.TicketFilter{Limit: icc.MaxLimit})
	require.NoError(t, err)
	assert.Len(t, p.Items, len(demoTickets()))
}

var demoLine = regexp.MustCompile(`demo logins: (\S+) / (\S+) \(admin\)`)

// TestRunDemoFlow is the by-hand check as a test: the program starts with
// demo data, prints the logins, and a cookie-jar client signs in, lists,
// creates, updates, replies to, resolves and rates a ticket.
func TestRunDemoFlow(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0"}, nil)
	m := r.waitFor(t, demoLine)
	require.NotNil(t, m, "stdout: %s", r.stdout.String())

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar}
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := call("POST", "/api/auth/login", `{"email":"`+m[1]+`","password":"`+m[2]+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = call("GET", "/api/tickets?status=resolved", "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"satisfaction"`)

	status, body = call("POST", "/api/tickets", `{"subject":"Export broken","body":"CSV export fails with an error","customer_email":"flow@test.example"}`)
	require.Equal(t, http.StatusCreated, status, body)
	id := regexp.MustCompile(`"id":"([0-9a-f]+)"`).FindStringSubmatch(body)[1]
	status, body = call("PATCH", "/api/tickets/"+id, `{"version":`+version(body)+`,"priority":"high"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = call("POST", "/api/tickets/"+id+"/replies", `{"body":"Fixed, please retry."}`)
	require.Equal(t, http.StatusCreated, status, body)
	status, body = call("PATCH", "/api/tickets/"+id, `{"version":`+version(body)+`,"status":"resolved"}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = call("POST", "/api/tickets/"+id+"/rating", `{"rating":5}`)
	require.Equal(t, http.StatusOK, status, body)
	status, _ = call("POST", "/api/auth/logout", "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = call("GET", "/api/tickets", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	require.NoError(t, r.wait(t))
	assert.Contains(t, r.stderr.String(), "SLA watcher started")
}

// version extracts the top-level "version" of a ticket body.
func version(body string) string {
	m := regexp.MustCompile(`"version":(\d+),"created_at"`).FindStringSubmatch(body)
	if m == nil {
		return "0"
	}
	return m[1]
}

func TestRunWithoutDemo(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0", "-demo=false"}, map[string]string{
		"ICC_ADMIN_EMAIL": "root@test.example", "ICC_ADMIN_PASSWORD": "root-password",
	})
	assert.NotContains(t, r.stdout.String(), "demo logins")
	resp, err := http.Post(r.url+"/api/auth/login", "application/json", strings.NewReader(`{"email":"root@test.example","password":"root-password"}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, r.wait(t))
}

func TestParseConfigDeskSettings(t *testing.T) {
	cfg, err := parseConfig(nil, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Nil(t, cfg.Demo)
	assert.True(t, cfg.demoEnabled(), "demo is on with memory storage")
	cfg.DatabaseURL = "postgres://db/icc"
	assert.False(t, cfg.demoEnabled(), "and off with PostgreSQL")

	cfg, err = parseConfig([]string{"-secure-cookies", "-admin-email", "boss@test.example", "-gemini-model", "gemini-x"}, mapEnv(map[string]string{
		"DATABASE_URL": "postgres://db/icc", "ICC_DEMO": "true",
		"ICC_ADMIN_PASSWORD": "boss-password", "GEMINI_API_KEY": " key ",
	}), io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.demoEnabled(), "asked for explicitly")
	assert.True(t, cfg.SecureCookies)
	assert.Equal(t, "boss@test.example", cfg.AdminEmail)
	assert.Equal(t, "boss-password", cfg.AdminPassword)
	assert.Equal(t, "key", cfg.GeminiAPIKey)
	assert.Equal(t, "gemini-x", cfg.GeminiModel)

	cfg, err = parseConfig([]string{"-demo=false"}, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.False(t, cfg.demoEnabled())

	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"ICC_ADMIN_EMAIL": "a@test.example"}, "ICC_ADMIN_EMAIL and ICC_ADMIN_PASSWORD must be set together"},
		{nil, map[string]string{"ICC_ADMIN_PASSWORD": "long-enough"}, "must be set together"},
		{[]string{"-admin-email", "a@test.example"}, map[string]string{"ICC_ADMIN_PASSWORD": "short"}, "ICC_ADMIN_PASSWORD: must be at least 8 characters"},
		{[]string{"-admin-email", "nobody"}, map[string]string{"ICC_ADMIN_PASSWORD": "long-enough"}, "must be an email address"},
		{nil, map[string]string{"ICC_DEMO": "sometimes"}, `ICC_DEMO="sometimes": must be true or false`},
	} {
		_, err := parseConfig(tt.args, mapEnv(tt.env), io.Discard)
		var cerr *configError
		require.ErrorAs(t, err, &cerr)
		assert.Contains(t, err.Error(), tt.want)
	}

	var help bytes.Buffer
	_, _ = parseConfig([]string{"-h"}, mapEnv(nil), &help)
	for _, s := range []string{"-demo", "ICC_DEMO", "-secure-cookies", "ICC_SECURE_COOKIES", "-admin-email", "ICC_ADMIN_EMAIL",
		"ICC_ADMIN_PASSWORD", "GEMINI_API_KEY", "-gemini-model", "ICC_GEMINI_MODEL"} {
		assert.Contains(t, help.String(), s)
	}
}

// TestDemoLogsLikeTheRecorder: the demo's integration logs look like what
// monitor's recorder writes, so that analytics split them the same way: an
// answer with an error status carries no Error (that is for calls that got
// no answer), and every call without an answer carries one.
func TestDemoLogsLikeTheRecorder(t *testing.T) {
	e := newMonitorEnv(t)
	ctx := t.Context()
	var answered5xx, unanswered int
	for _, id := range e.ids {
		f := icc.LogFilter{IntegrationID: id, Limit: icc.MaxLimit}
		for {
			p, err := e.backend.SearchIntegrationLogs(ctx, f)
			require.NoError(t, err)
			for _, l := range p.Items {
				if l.StatusCode > 0 {
					assert.Empty(t, l.Error, "status %d", l.StatusCode)
					if l.StatusCode >= 500 {
						answered5xx++
					}
				} else {
					assert.NotEmpty(t, l.Error)
					unanswered++
				}
			}
			if p.Next == "" {
				break
			}
			f.Cursor = p.Next
		}
	}
	assert.Positive(t, answered5xx, "the demo has server errors")
	assert.Positive(t, unanswered, "and calls that timed out")
}

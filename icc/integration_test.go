package icc_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestCheckSpecTCPAddress(t *testing.T) {
	for _, addr := range []string{"db.example.com:5432", "10.0.0.1:1", "[::1]:65535", "localhost:080",
		":5432", "localhost:http", "db:postgresql"} {
		c := icc.CheckSpec{Type: icc.CheckTCP, Address: addr}
		assert.NoError(t, c.Validate(), addr)
	}
	for _, addr := range []string{
		"", "localhost", "localhost:", "localhost:0", "localhost:65536", "localhost:-1",
		"localhost:-http", "localhost:h_ttp", "localhost:+80", "localhost:verylongservicename", "::1:5432", "[::1]", "a:b:c", "localhost:5432/x",
	} {
		c := icc.CheckSpec{Type: icc.CheckTCP, Address: addr}
		err := c.Validate()
		require.Error(t, err, "%q", addr)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), "%q", addr)
		assert.Equal(t, "check.address", icc.ErrorField(err), "%q", addr)
	}
}

func TestCheckSpecHTTPMethod(t *testing.T) {
	for in, want := range map[string]string{"": "GET", "get": "GET", "head": "HEAD", "PROPFIND": "PROPFIND", "M-SEARCH": "M-SEARCH"} {
		c := icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health", Method: in}
		require.NoError(t, c.Validate(), "%q", in)
		assert.Equal(t, want, c.Method)
	}
	for _, m := range []string{"GET ", " GET", "G ET", "GET\r\nX-Injected: 1", "GET\n", "GET\t", "GET(", "GÉT", "GET/1"} {
		c := icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health", Method: m}
		err := c.Validate()
		require.Error(t, err, "%q", m)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), "%q", m)
		assert.Equal(t, "check.method", icc.ErrorField(err), "%q", m)
	}
}

func TestCheckSpecHTTPHeaders(t *testing.T) {
	ok := icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health",
		Headers: map[string]string{"Authorization": "Bearer abc", "X-Api-Key": "k=v; a\tb", "x_trace.id": ""}}
	require.NoError(t, ok.Validate())

	for name, h := range map[string]map[string]string{
		"empty name":        {"": "v"},
		"space in name":     {"X Key": "v"},
		"colon in name":     {"X-Key:": "v"},
		"CRLF in name":      {"X-Key\r\nX-Injected": "v"},
		"CR in value":       {"X-Key": "v\rX-Injected: 1"},
		"LF in value":       {"X-Key": "v\nX-Injected: 1"},
		"NUL in value":      {"X-Key": "v\x00"},
		"non-ASCII in name": {"X-Clé": "v"},
	} {
		c := icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/health", Headers: h}
		err := c.Validate()
		require.Error(t, err, name)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), name)
		assert.Equal(t, "check.headers", icc.ErrorField(err), name)
	}

	// A TCP check never sends headers: those left from an earlier HTTP
	// spec do not stop it.
	tcp := icc.CheckSpec{Type: icc.CheckTCP, Address: "db.example.com:5432", Headers: map[string]string{"X Api Key": "v"}}
	assert.NoError(t, tcp.Validate())
}

func TestAlertRuleCheckFields(t *testing.T) {
	for _, r := range []icc.AlertRule{
		{Type: icc.RuleConsecutiveFailures, Failures: 3, ResolveAfter: 2, Severity: icc.SeverityWarning},
		{Type: icc.RuleLatency, Latency: icc.Duration(time.Second), Failures: 5},
		{Type: icc.RuleSuccessRate, SuccessRate: 0.9, Window: icc.Duration(time.Hour)},
	} {
		assert.NoError(t, r.CheckFields(), r.Type)
	}
	for field, r := range map[string]icc.AlertRule{
		"alert_rules.latency":      {Type: icc.RuleConsecutiveFailures, Latency: icc.Duration(time.Second)},
		"alert_rules.window":       {Type: icc.RuleLatency, Latency: icc.Duration(time.Second), Window: icc.Duration(time.Hour)},
		"alert_rules.success_rate": {Type: icc.RuleLatency, Latency: icc.Duration(time.Second), SuccessRate: 0.5},
		"alert_rules.failures":     {Type: icc.RuleSuccessRate, SuccessRate: 0.9, Failures: 3},
	} {
		err := r.CheckFields()
		require.Error(t, err, field)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), field)
		assert.Equal(t, field, icc.ErrorField(err))
		stored := r
		assert.NoError(t, stored.Validate(), "a stored rule with such a field still runs: %s", field)
	}
}

package monitor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestParseCondition(t *testing.T) {
	good := []string{
		"status == 200", "status < 500", "status>=200", "status != 503",
		"latency < 300ms", "latency <= 1.5s",
		`body contains "ok"`, `body !contains "error"`, `body == "pong"`,
		`json.status == "ok"`, `json.data.items.0.id != ""`, "json.count >= 3",
		"json.ready == true", "json.error == null", `json.tags contains "eu"`, "json.ids contains 7",
	}
	for _, s := range good {
		c, err := ParseCondition(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, c.String())
	}
	bad := map[string]string{
		"":                    "is empty",
		"status":              "missing operator",
		"status = 200":        `unknown operator "="`,
		"status ==":           "missing value",
		"status == ok":        "bad value",
		`status == "200"`:     "integer",
		"status == 200.5":     "integer",
		"latency < 300":       "duration",
		`body > "a"`:          "body takes",
		"body contains ok":    "double quotes",
		"json.count > \"3\"":  "needs a number",
		"json..x == 1":        "empty segment",
		"headers.x == 1":      `unknown subject "headers.x"`,
		`json.x == "unclosed`: "bad string literal",
		"status like 200":     `unknown operator "like"`,
		"json.x == 5s":        "durations",
	}
	for s, want := range bad {
		_, err := ParseCondition(s)
		require.Error(t, err, s)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), s)
		assert.Equal(t, "check.conditions", icc.ErrorField(err), s)
		assert.Contains(t, err.Error(), want, s)
		assert.Contains(t, err.Error(), "`"+s+"`", "the error quotes the condition")
	}
}

func TestConditionEval(t *testing.T) {
	body := []byte(`{"status":"ok","count":3,"ready":true,"error":null,
		"tags":["eu","prod"],"ids":[7,8],"data":{"items":[{"id":"a1"},{"id":""}]}}`)
	obs := Observation{StatusCode: 200, Latency: 120 * time.Millisecond, Body: body}
	cases := []struct {
		cond string
		ok   bool
	}{
		{"status == 200", true},
		{"status < 500", true},
		{"status != 200", false},
		{"latency < 300ms", true},
		{"latency > 100ms", true},
		{"latency < 100ms", false},
		{`body contains "prod"`, true},
		{`body !contains "prod"`, false},
		{`json.status == "ok"`, true},
		{`json.status != "ok"`, false},
		{"json.count >= 3", true},
		{"json.count > 3", false},
		{"json.count == 3", true},
		{"json.ready == true", true},
		{"json.error == null", true},
		{`json.data.items.0.id != ""`, true},
		{`json.data.items.1.id != ""`, false},
		{`json.data.items.2.id != ""`, false}, // missing
		{`json.missing == "x"`, false},
		{`json.tags contains "eu"`, true},
		{`json.tags !contains "us"`, true},
		{"json.ids contains 8", true},
		{`json.status contains "o"`, true},
		{"json.status > 1", false}, // not a number
		{"json.data == null", false},
	}
	for _, tc := range cases {
		c, err := ParseCondition(tc.cond)
		require.NoError(t, err, tc.cond)
		err = c.Eval(obs)
		if tc.ok {
			assert.NoError(t, err, tc.cond)
		} else {
			require.Error(t, err, tc.cond)
			assert.Contains(t, err.Error(), tc.cond, "the failure names the condition")
		}
	}

	c, err := ParseCondition(`json.status == "ok"`)
	require.NoError(t, err)
	err = c.Eval(Observation{StatusCode: 200, Body: []byte("<html>")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not JSON")
	err = c.Eval(Observation{StatusCode: 200, Body: []byte(`{"status":"ok"}`), Truncated: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "limit")

	c, err = ParseCondition("status == 200")
	require.NoError(t, err)
	assert.EqualError(t, c.Eval(Observation{StatusCode: 503}), "condition `status == 200` failed: status is 503")
}

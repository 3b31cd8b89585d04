package icc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// requireInvalid checks that err is EINVALID naming field.
func requireInvalid(t *testing.T, err error, field string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), msgAndArgs...)
	assert.Equal(t, field, icc.ErrorField(err), msgAndArgs...)
}

func TestCheckTime(t *testing.T) {
	for _, ok := range []time.Time{
		{}, // the zero time is year 1
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("", -5*3600)),
	} {
		require.NoError(t, icc.CheckTime("at", ok), ok)
		_, err := json.Marshal(ok.UTC())
		require.NoError(t, err, "what CheckTime accepts encodes: %v", ok)
	}
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		// 9999 where it was written, 10000 in UTC as stores keep it.
		time.Date(9999, 12, 31, 22, 0, 0, 0, time.FixedZone("", -5*3600)),
		time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		requireInvalid(t, icc.CheckTime("at", bad), "at", bad)
	}
}

func TestMaintenanceWindowTimesMustBeWritable(t *testing.T) {
	start := time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)
	w := icc.MaintenanceWindow{IntegrationID: "i", StartsAt: start, EndsAt: start.Add(time.Hour)}
	requireInvalid(t, w.Validate(), "ends_at")
	w = icc.MaintenanceWindow{IntegrationID: "i", StartsAt: time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC),
		EndsAt: time.Date(0, 6, 1, 1, 0, 0, 0, time.UTC)}
	requireInvalid(t, w.Validate(), "starts_at")
	w = icc.MaintenanceWindow{IntegrationID: "i", StartsAt: start.Add(-time.Hour), EndsAt: start}
	require.NoError(t, w.Validate())
}

func TestMaintenanceHorizon(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2031, 3, 2, 10, 0, 0, 0, time.UTC), icc.MaintenanceHorizon(now))
	assert.Equal(t, 5, icc.MaintenanceHorizonYears)
}

func TestCustomerAccountLimit(t *testing.T) {
	require.NoError(t, icc.CheckAccountLimit(strings.Repeat("a", icc.MaxAccountLen)))
	requireInvalid(t, icc.CheckAccountLimit(strings.Repeat("a", icc.MaxAccountLen+1)), "account")
	// Validate leaves it to new input: a customer stored with a longer
	// account before the limit existed can still be written.
	c := icc.Customer{Email: "a@example.com", Account: strings.Repeat("a", 5000)}
	require.NoError(t, c.Validate())
}

func TestAgentSkillsLimit(t *testing.T) {
	skills := make([]string, icc.MaxSkills+1)
	for i := range skills {
		skills[i] = fmt.Sprintf("s%d", i)
	}
	require.NoError(t, icc.CheckSkillLimit(skills[:icc.MaxSkills]))
	requireInvalid(t, icc.CheckSkillLimit(skills), "skills")
	// Validate leaves the count to new input: an agent stored with more
	// skills before the limit existed can still be written (availability,
	// role).
	a := icc.Agent{Email: "a@example.com", Name: "A", Skills: skills}
	require.NoError(t, a.Validate())
	a.Skills = []string{strings.Repeat("s", 51)}
	requireInvalid(t, a.Validate(), "skills")
}

func TestIntegrationCheckLimits(t *testing.T) {
	valid := func() icc.Integration {
		return icc.Integration{Name: "CRM", Description: strings.Repeat("d", 2000),
			Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://crm.example.com/" + strings.Repeat("u", 2048-len("https://crm.example.com/")),
				Conditions: make([]string, 50)}}
	}
	in := valid()
	require.NoError(t, in.CheckLimits())

	for field, change := range map[string]func(*icc.Integration){
		"description":      func(in *icc.Integration) { in.Description += "d" },
		"check.url":        func(in *icc.Integration) { in.Check.URL += "u" },
		"check.conditions": func(in *icc.Integration) { in.Check.Conditions = append(in.Check.Conditions, "status == 200") },
	} {
		in := valid()
		change(&in)
		requireInvalid(t, in.CheckLimits(), field)
	}
	in = valid()
	in.Check.Conditions = []string{"latency < " + strings.Repeat("9", 1000) + "ms"}
	requireInvalid(t, in.CheckLimits(), "check.conditions")

	// Validate does not apply them: an integration stored before them
	// still loads, runs and takes a status.
	in = valid()
	in.Description = strings.Repeat("d", 1<<20)
	in.Check.Conditions = make([]string, 1000)
	for i := range in.Check.Conditions {
		in.Check.Conditions[i] = "status == 200"
	}
	require.NoError(t, in.Validate())
	require.NoError(t, in.Check.Validate())
}

func TestParseDurationErrorSaysTheFormat(t *testing.T) {
	for _, s := range []string{"abc", "9999999999h", "", "30", "1.5d", "-1d"} {
		_, err := icc.ParseDuration(s)
		require.Error(t, err, s)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), s)
		assert.Contains(t, err.Error(), `"30s"`, s)
		assert.NotContains(t, err.Error(), "time:", "%s: no Go error text", s)
	}
	d, err := icc.ParseDuration("1h30m")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, d)
}

// TestLimitsCountCharacters: limits on what people write count characters,
// not bytes, so a name in Greek gets as many as one in English.
func TestLimitsCountCharacters(t *testing.T) {
	greek := strings.Repeat("λ", 200) // 400 bytes
	c := icc.Customer{Email: "a@example.com", Name: greek, Account: greek, Tier: strings.Repeat("λ", 50)}
	require.NoError(t, c.Validate())
	require.NoError(t, icc.CheckAccountLimit(greek))
	c.Name += "λ"
	requireInvalid(t, c.Validate(), "name")
	a := icc.Agent{Email: "a@example.com", Name: greek, Skills: []string{strings.Repeat("λ", 50)}}
	require.NoError(t, a.Validate())
	a.Skills = []string{strings.Repeat("λ", 51)}
	requireInvalid(t, a.Validate(), "skills")
	in := icc.Integration{Name: strings.Repeat("λ", 100), Description: strings.Repeat("λ", 2000)}
	require.NoError(t, in.Validate())
	require.NoError(t, in.CheckLimits())
	in.Name += "λ"
	requireInvalid(t, in.Validate(), "name")
}

func TestAlertRuleCountLimit(t *testing.T) {
	in := icc.Integration{Name: "CRM", AlertRules: make([]icc.AlertRule, icc.MaxAlertRules)}
	require.NoError(t, in.CheckLimits())
	in.AlertRules = append(in.AlertRules, icc.AlertRule{})
	requireInvalid(t, in.CheckLimits(), "alert_rules")
}

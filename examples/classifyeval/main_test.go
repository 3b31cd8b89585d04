package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeCSV(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.csv")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func runEval(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const small = `text,category,intent,escalate
I forgot my password,technical,recover_password,false
"where is my refund, it has been two weeks",billing,track_refund,false
let me talk to a real person,general,contact_human_agent,true
I want to file a complaint about your staff,sensitive,complaint,true
how do I change my delivery address,general,change_shipping_address,false
`

func TestRunSmallCSV(t *testing.T) {
	code, out, errs := runEval("-data", writeCSV(t, small))
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	assert.Regexp(t, regexp.MustCompile(`^category_accuracy=\d\.\d{3} category_macro_f1=\d\.\d{3} intent_accuracy=\d\.\d{3} escalate_f1=\d\.\d{3} ece=\d\.\d{3} n=5$`), last)
	assert.Contains(t, out, "µs per message")
	assert.Contains(t, out, "confusion")
	assert.Contains(t, out, "expected calibration error")
}

func TestRunOmitsAbsentColumns(t *testing.T) {
	code, out, errs := runEval("-data", writeCSV(t, "text,escalate\nI want a human,true\nwhere is my order,false\n"))
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Regexp(t, `^escalate_f1=\d\.\d{3} n=2$`, lines[len(lines)-1])
}

// refundsAndPasswords is a tiny training file of two intents.
const refundsAndPasswords = `text,category,intent
I want a refund,billing,get_refund
refund my order please,billing,get_refund
give me my money back,billing,get_refund
I forgot my password,technical,recover_password
reset my password please,technical,recover_password
cannot log in lost my password,technical,recover_password
`

func TestRunTrain(t *testing.T) {
	code, out, errs := runEval("-train", writeCSV(t, refundsAndPasswords), "-data", writeCSV(t, "text,category\nplease refund me,billing\n"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "trained on 6 examples")
	assert.Regexp(t, `category_accuracy=\d\.\d{3} category_macro_f1=\d\.\d{3} ece=\d\.\d{3} n=1\n$`, out)
}

// TestRunTrainOnBase: -save writes the trained model, and -base trains on
// top of a saved one, which keeps what the base knew.
func TestRunTrainOnBase(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.iccm")
	code, out, errs := runEval("-train", writeCSV(t, refundsAndPasswords), "-save", base, "-data", writeCSV(t, "text,category\nplease refund me,billing\n"))
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "wrote the model to "+base)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left beside the model")

	more := `text,category,intent
where is my parcel,general,track_order
track my order please,general,track_order
my package has not arrived,general,track_order
`
	eval := writeCSV(t, "text,intent\nplease refund me,get_refund\nI lost my password,recover_password\nwhere is my package,track_order\n")
	code, out, errs = runEval("-train", writeCSV(t, more), "-base", base, "-data", eval)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "trained on 3 examples")
	assert.Contains(t, out, "on top of offline/trained")
	assert.Regexp(t, `intent_accuracy=1\.000 `, out, "the base's intents and the new one")

	for name, args := range map[string][]string{
		"-base without -train": {"-base", base, "-data", eval},
		"-save without -train": {"-save", base, "-data", eval},
		"missing base":         {"-train", writeCSV(t, more), "-base", filepath.Join(dir, "nope.iccm"), "-data", eval},
		"not a model":          {"-train", writeCSV(t, more), "-base", eval, "-data", eval},
		"unwritable save":      {"-train", writeCSV(t, more), "-save", filepath.Join(dir, "no", "such", "dir.iccm"), "-data", eval},
	} {
		code, _, errs := runEval(args...)
		assert.Equal(t, 2, code, name)
		assert.NotEmpty(t, errs, name)
	}
}

func TestRunBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.csv")
	for name, args := range map[string][]string{
		"missing file":     {"-data", missing},
		"missing -data":    {},
		"missing train":    {"-train", missing, "-data", writeCSV(t, small)},
		"no text column":   {"-data", writeCSV(t, "body,category\nhello,general\n")},
		"unknown category": {"-data", writeCSV(t, "text,category\nhello,weather\n")},
		"unknown intent":   {"-data", writeCSV(t, "text,intent\nhello,order_pizza\n")},
		"bad escalate":     {"-data", writeCSV(t, "text,escalate\nhello,maybe\n")},
		"unknown model":    {"-model", "huge", "-data", writeCSV(t, small)},
		"bad flag":         {"-nope"},
	} {
		code, _, errs := runEval(args...)
		assert.Equal(t, 2, code, name)
		assert.NotEmpty(t, errs, name)
	}
}

func TestRunGeminiWithoutKey(t *testing.T) {
	t.Setenv("GEMINI_API_KEY", "")
	code, _, errs := runEval("-gemini", "-data", writeCSV(t, small))
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "GEMINI_API_KEY")
}

func TestRunAllowUnknownIntents(t *testing.T) {
	data := writeCSV(t, "text,category,intent\nhello,general,order_pizza\nwhere is my parcel,general,track_order\n")
	code, out, errs := runEval("-allow-unknown-intents", "-data", data)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "1 rows have an intent the model does not know")
	assert.Regexp(t, `intent_accuracy=0\.500 `, out)
}

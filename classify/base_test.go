package classify

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrainFromBase(t *testing.T) {
	ctx := context.Background()
	base, err := Train(ctx, smallExamples(), TrainConfig{Name: "tiny", Seed: 7})
	require.NoError(t, err)
	var before bytes.Buffer
	require.NoError(t, base.Save(&before))

	// One new intent is enough on top of a base: the base brings the rest.
	more := []Example{
		{Text: "please rotate my api key", Category: CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "the api key leaked, I need a new key", Category: CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "regenerate the api token for our integration", Category: CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "how do I get a fresh api key", Category: CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "my money back for the broken kettle", Category: CategoryGeneral, Intent: "get_refund"},
	}
	m, err := Train(ctx, more, TrainConfig{Name: "tiny-plus", Seed: 7, Base: base})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"get_refund", "recover_password", "track_order", "complaint", "rotate_api_key"}, m.Labels())
	assert.Equal(t, Categories, m.Categories())
	r := classifyText(t, m, "we need a new api key, the old one leaked")
	assert.Equal(t, "rotate_api_key", r.Intent)
	assert.Equal(t, CategoryTechnical, r.Category, "a new intent takes its examples' category")
	assert.Equal(t, "offline/tiny-plus", r.Model)
	// What the base knew is kept, and an intent the base has keeps its
	// category although an example says otherwise.
	assert.Equal(t, "recover_password", classifyText(t, m, "i forgot the password").Intent)
	assert.Equal(t, "track_order", classifyText(t, m, "where is my parcel").Intent)
	refund := classifyText(t, m, "refund please")
	assert.Equal(t, "get_refund", refund.Intent)
	assert.Equal(t, CategoryBilling, refund.Category)

	// The base is read, never changed.
	var after bytes.Buffer
	require.NoError(t, base.Save(&after))
	assert.Equal(t, before.Bytes(), after.Bytes())
	assert.NotContains(t, base.Labels(), "rotate_api_key")

	// The result saves and loads like any model.
	var buf bytes.Buffer
	require.NoError(t, m.Save(&buf))
	loaded, err := NewOffline(OfflineConfig{Model: &buf})
	require.NoError(t, err)
	assert.Equal(t, "rotate_api_key", classifyText(t, loaded, "we need a new api key, the old one leaked").Intent)

	// On a base that predicts intents, an example with only a category
	// teaches the base's most likely intent of that category.
	cm0, err := Train(ctx, []Example{{Text: "the zorblax fee on my statement", Category: CategoryBilling}}, TrainConfig{Base: base})
	require.NoError(t, err)
	assert.ElementsMatch(t, base.Labels(), cm0.Labels())
	assert.Equal(t, "get_refund", classifyText(t, cm0, "the zorblax fee on my statement").Intent, "the base's only billing intent")
	var two []Example
	for _, e := range smallExamples() {
		if e.Category != CategoryTechnical {
			two = append(two, e)
		}
	}
	noTech, err := Train(ctx, two, TrainConfig{Seed: 7})
	require.NoError(t, err)
	assert.Equal(t, []Category{CategoryBilling, CategoryGeneral, CategorySensitive}, noTech.Categories())
	_, err = Train(ctx, []Example{{Text: "the zorblax is slow", Category: CategoryTechnical}}, TrainConfig{Base: noTech})
	assert.ErrorIs(t, err, ErrInvalidInput, "the base has no technical intent")
	// A base that predicts categories learns categories from examples with intents.
	var cats []Example
	for _, e := range smallExamples() {
		cats = append(cats, Example{Text: e.Text, Category: e.Category})
	}
	cbase, err := Train(ctx, cats, TrainConfig{Seed: 7})
	require.NoError(t, err)
	cm, err := Train(ctx, more[:4], TrainConfig{Seed: 7, Base: cbase})
	require.NoError(t, err)
	assert.ElementsMatch(t, cbase.Labels(), cm.Labels())
	cr := classifyText(t, cm, "we need a new api key, the old one leaked")
	assert.Equal(t, CategoryTechnical, cr.Category)
	assert.Empty(t, cr.Intent)
}

func TestTrainFromDefaultModel(t *testing.T) {
	ctx := context.Background()
	def := newDefault(t)
	text := "the zorblax widget keeps beeping at night"
	r0 := classifyText(t, def, text)
	require.NotEqual(t, "device_noise", r0.Intent)
	exs := []Example{
		{Text: text, Category: CategoryTechnical, Intent: "device_noise"},
		{Text: "my zorblax beeps all the time", Category: CategoryTechnical, Intent: "device_noise"},
		{Text: "the device makes a loud beeping noise", Category: CategoryTechnical, Intent: "device_noise"},
	}
	// Two epochs without augmented copies: the default model's rehearsal
	// examples make a full training slow under the race detector.
	m, err := Train(ctx, exs, TrainConfig{Base: def, Seed: 1, Epochs: 2, Augment: -1})
	require.NoError(t, err)
	assert.Equal(t, "device_noise", classifyText(t, m, "why does my zorblax keep beeping").Intent)
	for text, want := range map[string]string{
		"I forgot my password and can't log in":  "recover_password",
		"where is my order, it has not arrived":  "track_order",
		"I want my money back for this purchase": "get_refund",
	} {
		assert.Equal(t, want, classifyText(t, m, text).Intent, text)
	}
	// The shared default model is untouched.
	assert.Equal(t, r0.Intent, classifyText(t, newDefault(t), text).Intent)
	assert.NotContains(t, newDefault(t).Labels(), "device_noise")
}

func TestRehearsalKept(t *testing.T) {
	ctx := context.Background()
	var exs []Example
	for i := range 60 {
		exs = append(exs, Example{Text: fmt.Sprintf("refund number %d please", i), Intent: "get_refund", Category: CategoryBilling})
		exs = append(exs, Example{Text: fmt.Sprintf("where is parcel %d", i), Intent: "track_order", Category: CategoryGeneral})
	}
	exs = append(exs, Example{Text: "secret customer text", Intent: "complaint", Category: CategorySensitive})
	m, err := Train(ctx, exs, TrainConfig{Seed: 3, KeepExample: func(i int, e Example) bool { return e.Text != "secret customer text" }})
	require.NoError(t, err)
	perLabel := map[string]int{}
	for _, s := range m.m.keep {
		perLabel[m.m.labels[s.y].Name]++
		assert.NotEqual(t, "secret customer text", s.text, "KeepExample false is never stored")
	}
	assert.Equal(t, map[string]int{"get_refund": RehearsalPerLabel, "track_order": RehearsalPerLabel}, perLabel)

	// Version 2 files carry them; version 1 files are still read, without.
	var v2, v1 bytes.Buffer
	require.NoError(t, m.Save(&v2))
	require.NoError(t, m.m.saveVersion(&v1, 1))
	loaded, err := NewOffline(OfflineConfig{Model: &v2})
	require.NoError(t, err)
	assert.Equal(t, m.m.keep, loaded.m.keep)
	old, err := NewOffline(OfflineConfig{Model: &v1})
	require.NoError(t, err)
	assert.Empty(t, old.m.keep)
	for _, text := range []string{"refund me", "where is my parcel"} {
		assert.Equal(t, classifyText(t, m, text).Intent, classifyText(t, old, text).Intent, text)
	}

	// Training on top keeps new examples first, then the base's.
	more := []Example{{Text: "parcel lost in the post", Intent: "track_order", Category: CategoryGeneral}}
	m2, err := Train(ctx, more, TrainConfig{Seed: 3, Base: loaded})
	require.NoError(t, err)
	assert.Len(t, m2.m.keep, 2*RehearsalPerLabel)
	assert.True(t, slices.ContainsFunc(m2.m.keep, func(s sample) bool { return s.text == "parcel lost in the post" }))
}

func TestDefaultModelRehearsal(t *testing.T) {
	m := newDefault(t).m
	require.NotEmpty(t, m.keep, "the default model keeps project-written examples to rehearse")
	perLabel := map[int]int{}
	for _, s := range m.keep {
		perLabel[s.y]++
	}
	for y, n := range perLabel {
		assert.LessOrEqual(t, n, RehearsalPerLabel, m.labels[y].Name)
	}
	dev := readExamplesCSV(t, devDataPath())
	devText := map[string]bool{}
	for _, e := range dev {
		devText[stripLetter(e.Text)] = true
	}
	for _, s := range m.keep {
		assert.False(t, devText[s.text], "a dev-set row shipped in the model file: %q", s.text)
	}
}

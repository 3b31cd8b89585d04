package classify

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newDefault(t testing.TB) *Offline {
	t.Helper()
	c, err := NewOffline(OfflineConfig{})
	require.NoError(t, err)
	return c
}

func classifyText(t testing.TB, c Classifier, text string) Result {
	t.Helper()
	r, err := c.Classify(context.Background(), Request{Body: text})
	require.NoError(t, err)
	require.NoError(t, r.Validate())
	return r
}

func TestOfflineDefaultModel(t *testing.T) {
	c := newDefault(t)
	cases := []struct {
		text     string
		category Category
		intent   string
		escalate bool
	}{
		{"I forgot my password and cannot log in", CategoryTechnical, "recover_password", false},
		{"where is my refund? I sent the parcel back two weeks ago", CategoryBilling, "track_refund", false},
		{"I want to speak to a real person", CategoryGeneral, "contact_human_agent", true},
		{"I want to file a complaint about your service", CategorySensitive, "complaint", true},
		{"how do I unsubscribe from the newsletter", CategoryGeneral, "newsletter_subscription", false},
	}
	for _, tc := range cases {
		r := classifyText(t, c, tc.text)
		assert.Equal(t, tc.category, r.Category, tc.text)
		assert.Equal(t, tc.intent, r.Intent, tc.text)
		assert.Equal(t, tc.escalate, r.Escalate, tc.text)
		assert.Equal(t, "offline/v1", r.Model)
		assert.Greater(t, r.Confidence, 0.0)
		if r.Category == CategorySensitive {
			assert.Empty(t, r.SuggestedReply, "no reply for sensitive requests")
		} else {
			assert.NotEmpty(t, r.SuggestedReply)
		}
	}
}

func TestOfflineDeterministic(t *testing.T) {
	a, b := newDefault(t), newDefault(t)
	text := "my card got declined at checkout twice"
	assert.Equal(t, classifyText(t, a, text), classifyText(t, b, text))
}

func TestOfflineRules(t *testing.T) {
	c := newDefault(t)
	r := classifyText(t, c, "I was charged twice. If this is not fixed today my lawyer will be in touch")
	assert.True(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonLegalThreat)
	assert.Equal(t, PriorityUrgent, r.Priority)
	assert.Equal(t, SentimentNegative, r.Sentiment)

	r = classifyText(t, c, "someone hacked my account and changed my email")
	assert.True(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonSecurity)

	// A data-rights request is reported, but routine: it does not escalate alone.
	r = classifyText(t, c, "under GDPR please delete my account and all my personal data")
	assert.False(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonSecurity)

	// A stolen card is a security matter; a stolen parcel is a delivery one.
	r = classifyText(t, c, "my card was stolen and someone used it on your site")
	assert.True(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonSecurity)
	for _, text := range []string{"you leaked my password", "my card details were stolen and used on your site", "my identity was stolen"} {
		r = classifyText(t, c, text)
		assert.Contains(t, r.Reasons, ReasonSecurity, text)
		assert.True(t, r.Escalate, text)
	}
	r = classifyText(t, c, "parcels keep getting stolen from my porch, do you offer signed-for delivery?")
	assert.False(t, r.Escalate, "%+v", r)
	assert.NotContains(t, r.Reasons, ReasonSecurity)

	// A complaint cue wins over a pair rule's move to billing.
	r = classifyText(t, c, "Fourth time asking! Cancel order 5512 and credit my card.")
	assert.Equal(t, CategorySensitive, r.Category, "%+v", r)
	assert.True(t, r.Escalate)

	// Saying that one complains makes a complaint whatever the topic; an
	// angry account deletion alone is routine.
	r = classifyText(t, c, "I want to file a formal complaint about the double charge on my card")
	assert.Equal(t, "complaint", r.Intent)
	assert.True(t, r.Escalate)
	r = classifyText(t, c, "nuke my damn account")
	assert.Equal(t, "delete_account", r.Intent)
	assert.False(t, r.Escalate)

	r = classifyText(t, c, "thanks, that was really helpful, great service")
	assert.Equal(t, SentimentPositive, r.Sentiment)
	assert.Greater(t, r.SentimentScore, 0.0)

	// Repeated contact comes from the conversation history.
	req := Request{Body: "still no news about my order", History: []Turn{
		{Role: "customer", Text: "where is my order?"},
		{Role: "agent", Text: "We are checking."},
		{Role: "customer", Text: "any update on my order?"},
	}}
	r, err := c.Classify(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonRepeatContact)
	r, err = c.Classify(context.Background(), Request{Body: req.Body})
	require.NoError(t, err)
	assert.NotContains(t, r.Reasons, ReasonRepeatContact)
}

func TestOfflineBadInput(t *testing.T) {
	c := newDefault(t)
	_, err := c.Classify(context.Background(), Request{Body: "   "})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Classify(context.Background(), Request{Body: "bad \xff\xfe utf8"})
	assert.ErrorIs(t, err, ErrInvalidInput)

	huge := strings.Repeat("I want my money back for the broken blender. ", 100_000) // ~4.5 MB
	start := time.Now()
	r, err := c.Classify(context.Background(), Request{Body: huge})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "huge input is truncated, not read in full")
	assert.Equal(t, CategoryBilling, r.Category)
}

// smallExamples is a tiny training set written for these tests.
func smallExamples() []Example {
	var exs []Example
	add := func(cat Category, intent string, esc bool, texts ...string) {
		for _, s := range texts {
			exs = append(exs, Example{Text: s, Category: cat, Intent: intent, Escalate: esc})
		}
	}
	add(CategoryBilling, "get_refund", false, "I want a refund", "refund my order please", "give me my money back",
		"can I get a refund for this", "please refund the charge")
	add(CategoryTechnical, "recover_password", false, "I forgot my password", "reset my password",
		"cannot log in, lost password", "password reset link please", "help me recover my password")
	add(CategoryGeneral, "track_order", false, "where is my order", "track my parcel", "has my order shipped",
		"when will my package arrive", "order tracking please")
	add(CategorySensitive, "complaint", true, "I want to complain", "file a complaint", "your service is terrible, complaint",
		"formal complaint about staff", "I am making a complaint")
	return exs
}

func TestTrainSaveLoad(t *testing.T) {
	ctx := context.Background()
	m, err := Train(ctx, smallExamples(), TrainConfig{Name: "tiny", Seed: 7})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"get_refund", "recover_password", "track_order", "complaint"}, m.Labels())
	r := classifyText(t, m, "i forgot the password")
	assert.Equal(t, "recover_password", r.Intent)
	assert.Equal(t, "offline/tiny", r.Model)
	assert.Equal(t, r.Model, m.Model())

	var buf bytes.Buffer
	require.NoError(t, m.Save(&buf))
	file := buf.Bytes()
	loaded, err := NewOffline(OfflineConfig{Model: bytes.NewReader(file)})
	require.NoError(t, err)
	for _, text := range []string{"i forgot the password", "refund please", "where is my parcel", "I want to complain"} {
		want, got := classifyText(t, m, text), classifyText(t, loaded, text)
		assert.Equal(t, want.Intent, got.Intent, text)
		assert.InDelta(t, want.Confidence, got.Confidence, 0.01, text)
	}

	// Read back and saved again, the model is the same file: the 16-bit
	// weights it was read as are what it writes.
	var resaved bytes.Buffer
	require.NoError(t, loaded.Save(&resaved))
	assert.Equal(t, file, resaved.Bytes(), "a loaded model saves as it was read")

	// The same examples and seed give the same file.
	again, err := Train(ctx, smallExamples(), TrainConfig{Name: "tiny", Seed: 7})
	require.NoError(t, err)
	var buf2 bytes.Buffer
	require.NoError(t, again.Save(&buf2))
	assert.Equal(t, file, buf2.Bytes(), "training is deterministic")

	bad := map[string][]byte{
		"empty":     nil,
		"foreign":   []byte("this is not a model file at all, just some text"),
		"truncated": file[:len(file)/2],
		"corrupt": func() []byte {
			b := bytes.Clone(file)
			for i := len(b) / 2; i < len(b)/2+8; i++ {
				b[i] ^= 0x5a
			}
			return b
		}(),
		"wrong version": func() []byte {
			b := bytes.Clone(file)
			binary.LittleEndian.PutUint16(b[len(modelMagic):], modelVersion+1)
			return b
		}(),
	}
	for name, b := range bad {
		_, err := NewOffline(OfflineConfig{Model: bytes.NewReader(b)})
		assert.ErrorIs(t, err, ErrBadModel, name)
	}
	_, err = NewOffline(OfflineConfig{Model: bytes.NewReader(bad["wrong version"])})
	assert.ErrorContains(t, err, "version")
}

func TestTrainBadInput(t *testing.T) {
	ctx := context.Background()
	_, err := Train(ctx, nil, TrainConfig{})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = Train(ctx, []Example{{Text: "x", Intent: "a"}}, TrainConfig{})
	assert.ErrorIs(t, err, ErrInvalidInput, "one label")
	_, err = Train(ctx, []Example{{Text: "", Intent: "a"}, {Text: "y", Intent: "b"}}, TrainConfig{})
	assert.ErrorIs(t, err, ErrInvalidInput, "empty text")
	_, err = Train(ctx, []Example{{Text: "x", Category: "weird"}, {Text: "y", Category: CategoryBilling}}, TrainConfig{})
	assert.ErrorIs(t, err, ErrInvalidInput, "unknown category")
	_, err = Train(ctx, smallExamples(), TrainConfig{Epochs: -1})
	assert.ErrorIs(t, err, ErrInvalidInput)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Train(cctx, smallExamples(), TrainConfig{})
	assert.ErrorIs(t, err, context.Canceled)
}

// expiringCtx is a context whose Err turns to Canceled after a number of
// looks, so a test can tell when training looks at its context.
type expiringCtx struct {
	context.Context
	left atomic.Int64
}

func (c *expiringCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestTrainStopsWithinAnEpoch: training looks at its context while it
// works through an epoch, not only between epochs, so a deadline stops one
// long epoch soon after it passes.
func TestTrainStopsWithinAnEpoch(t *testing.T) {
	var exs []Example
	for i := range 200 {
		for _, e := range smallExamples() {
			e.Text = fmt.Sprintf("%s (%d)", e.Text, i)
			exs = append(exs, e)
		}
	}
	// One epoch: a check only between epochs would look a handful of
	// times and finish; 30 looks run out inside the epoch.
	ctx := &expiringCtx{Context: context.Background()}
	ctx.left.Store(30)
	_, err := Train(ctx, exs, TrainConfig{Epochs: 1})
	require.ErrorIs(t, err, context.Canceled)
}

func TestTrainCategoriesOnly(t *testing.T) {
	var exs []Example
	for _, e := range smallExamples() {
		exs = append(exs, Example{Text: e.Text, Category: e.Category})
	}
	m, err := Train(context.Background(), exs, TrainConfig{})
	require.NoError(t, err)
	r := classifyText(t, m, "refund me")
	assert.Equal(t, CategoryBilling, r.Category)
	assert.Empty(t, r.Intent)
}

func TestLearnFromCorrection(t *testing.T) {
	ctx := context.Background()
	c := newDefault(t)
	other := newDefault(t)
	text := "the gizmo widget thingamajig flickers purple"
	similar := "my widget thingamajig flickers purple again"
	before := classifyText(t, c, similar)
	require.NotEqual(t, "registration_problems", before.Intent)

	// Classify concurrently with Learn; the race detector checks the locking.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				_, err := c.Classify(ctx, Request{Body: fmt.Sprintf("order %d-%d flickers", i, j)})
				assert.NoError(t, err)
			}
		})
	}
	require.NoError(t, c.Learn(ctx, Example{Text: text, Category: CategoryTechnical, Intent: "registration_problems"}))
	wg.Wait()

	after := classifyText(t, c, similar)
	assert.Equal(t, "registration_problems", after.Intent)
	assert.Equal(t, CategoryTechnical, after.Category)
	// Another classifier built from the default model is untouched.
	assert.Equal(t, before.Intent, classifyText(t, other, similar).Intent)

	// A category-only correction moves the text into that category, and a
	// new intent is added on the fly.
	require.NoError(t, c.Learn(ctx, Example{Text: "zorblax quota exceeded on invoice export", Category: CategoryTechnical}))
	assert.Equal(t, CategoryTechnical, classifyText(t, c, "zorblax quota exceeded on invoice export").Category)
	require.NoError(t, c.Learn(ctx, Example{Text: "my api key leaked in a public repo", Category: CategoryTechnical, Intent: "rotate_api_key"}))
	assert.Equal(t, "rotate_api_key", classifyText(t, c, "my api key was leaked in a repo").Intent)
	assert.Contains(t, c.Labels(), "rotate_api_key")
	// A new intent takes nothing else: with zero weights (its bias
	// feature's too) a new intent used to win every request whose scores
	// were all negative ("I want my money back" became rotate_api_key).
	for text, want := range map[string]string{
		"I want my money back for this purchase": "get_refund",
		"where is my order":                      "track_order",
		"cancel my order please":                 "cancel_order",
	} {
		assert.Equal(t, want, classifyText(t, c, text).Intent, text)
	}

	assert.ErrorIs(t, c.Learn(ctx, Example{Text: "", Intent: "x"}), ErrInvalidInput)
	assert.ErrorIs(t, c.Learn(ctx, Example{Text: "hello"}), ErrInvalidInput)
}

func TestSpeller(t *testing.T) {
	sp := newSpeller(map[string]uint32{"password": 5, "refund": 3, "invoice": 2})
	for in, want := range map[string]string{"pasword": "password", "passwrod": "password", "refnud": "refund",
		"invoicee": "invoice", "invoise": "invoice", "banana": "banana", "pw": "pw",
		// everyday words and their inflections are not "corrected" into
		// a nearby known word
		"full": "full", "refunded": "refunded", "logged": "logged", "showed": "showed", "refreshes": "refreshes",
		// a correction keeps the first letter (or swaps the first two)
		"xassword": "xassword", "apssword": "password"} {
		assert.Equal(t, want, sp.correct(in), in)
	}
	// Everyday words one edit from a lexicon word keep their meaning:
	// "annual" is no "annul" (a cancellation), "remote" no "remove".
	sp = newSpeller(map[string]uint32{"trace": 5, "annul": 5, "remove": 5, "repay": 5, "regain": 5, "employee": 5, "exit": 5})
	for _, w := range []string{"trade", "annual", "remote", "relay", "remain", "employer", "exist", "exists"} {
		assert.Equal(t, w, sp.correct(w))
	}
	lx := loadLexicon()
	assert.Equal(t, []string{"it", "was", "not", "sent"}, lx.normalize(tokenize("it wasn't sent", nil), nil))
}

func TestLexiconConcepts(t *testing.T) {
	lx := loadLexicon()
	concepts := func(text string) string {
		return strings.Join(lx.concepts(lx.normalize(tokenize(text, nil), nil), nil), " ")
	}
	// a phrase may stand for two concepts
	assert.Equal(t, "i was #payment #problem", concepts("I was charged twice"))
	// plurals of written phrases match
	assert.Equal(t, "#payment", concepts("credit cards"))
	// a negated concept is left out: the request is what follows
	assert.Equal(t, "i #cancel the #order", concepts("I don't want to change, cancel the order"))
	assert.Equal(t, "i #cancel the #order", concepts("I do not want the order"))
}

func TestPrune(t *testing.T) {
	m := &model{labels: []label{{Name: "a"}, {Name: "b"}}, rows: map[uint64]int32{}}
	for h, w := range map[uint64][2]float32{1: {2, -2}, 2: {0.01, 0}, 3: {0, -0.5}, 4: {0.07, 0.01}} {
		r := m.ensureRow(h)
		copy(m.w[r*2:], w[:])
	}
	m.prune(0.04)
	assert.Len(t, m.rows, 2)
	assert.Equal(t, []float32{2, -2}, m.row(1))
	assert.Equal(t, []float32{0, -0.5}, m.row(3))
	assert.Nil(t, m.row(2))
}

// TestDevSetParaphrases trains on the dev set and checks the held-out
// paraphrase file stays above a floor (a guard against regressions; the
// measured figures are in README.md).
func TestDevSetParaphrases(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("trains on the full dev set; skipped in -short and -race runs")
	}
	dev := readExamplesCSV(t, devDataPath())
	para := readExamplesCSV(t, filepath.Join("testdata", "paraphrases.csv"))
	start := time.Now()
	m, err := Train(context.Background(), dev, TrainConfig{Seed: 1})
	require.NoError(t, err)
	took := time.Since(start)
	var s scores
	s.add(m.m, para)
	t.Logf("trained on %d dev examples in %.1fs; paraphrases: %s", len(dev), took.Seconds(), s)
	assert.GreaterOrEqual(t, float64(s.cat)/float64(s.n), 0.88)
}

func BenchmarkOfflineClassify(b *testing.B) {
	c := newDefault(b)
	ctx := context.Background()
	texts := []string{
		"hey i cant remember my pasword and the reset email never came",
		"I was charged twice for order 5521, please refund the extra payment",
		"where the hell is my package, it was supposed to arrive on monday!!",
		"can I change the delivery address on the order I placed this morning?",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Classify(ctx, Request{Body: texts[i%len(texts)]}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPairRules(t *testing.T) {
	m := &model{labels: []label{
		{Name: "cancel_order", Category: CategoryGeneral},
		{Name: "check_cancellation_fee", Category: CategoryBilling},
		{Name: "get_refund", Category: CategoryBilling},
		{Name: "track_order", Category: CategoryGeneral},
		{Name: "track_refund", Category: CategoryBilling},
		{Name: "check_refund_policy", Category: CategoryBilling},
		{Name: "create_account", Category: CategoryGeneral},
		{Name: "registration_problems", Category: CategoryTechnical},
	}}
	lx := loadLexicon()
	concepts := func(text string) []string {
		return lx.concepts(lx.normalize(tokenize(text, nil), nil), nil)
	}
	cases := []struct {
		answer, text, want string
	}{
		{"cancel_order", "is there a fee if I cancel my order now?", "check_cancellation_fee"},
		{"cancel_order", "cancel it and give me my money back", "get_refund"},
		{"track_order", "where is the refund for the parcel I sent back?", "track_refund"},
		{"cancel_order", "please cancel my order", "cancel_order"},
		{"track_order", "where is my parcel?", "track_order"},
		{"get_refund", "can I get my money back if I wore it once?", "check_refund_policy"},
		{"get_refund", "I want my money back", "get_refund"},
		{"create_account", "the sign up button does nothing, error every time", "registration_problems"},
		{"create_account", "how do I open an account?", "create_account"},
	}
	for _, c := range cases {
		best := m.labelIndex(c.answer)
		got, _ := m.pairRule(best, concepts(c.text))
		assert.Equal(t, c.want, m.labels[got].Name, c.text)
	}
	// A model without the neighbouring label keeps its answer.
	small := &model{labels: []label{{Name: "cancel_order", Category: CategoryGeneral}, {Name: "other", Category: CategoryGeneral}}}
	got, ok := small.pairRule(0, concepts("is there a fee if I cancel?"))
	assert.False(t, ok)
	assert.Equal(t, 0, got)
}

// TestNoRequest: a message that names nothing it wants gets a low
// confidence, no escalation from a guessed intent, and a reply that asks
// what the customer needs; rule cues still escalate.
func TestNoRequest(t *testing.T) {
	c, err := NewOffline(OfflineConfig{})
	require.NoError(t, err)
	ctx := context.Background()
	for _, text := range []string{"hello", "hi there", "?", "asdf", "123", "ok thanks", "help"} {
		r, err := c.Classify(ctx, Request{Body: text})
		require.NoError(t, err)
		assert.LessOrEqual(t, r.Confidence, noRequestConfidence, text)
		assert.False(t, r.Escalate, "%q: %+v", text, r)
		assert.NotEqual(t, "contact_human_agent", r.Intent, text)
		assert.Equal(t, replies["_unclear"], r.SuggestedReply, text)
	}
	r, err := c.Classify(ctx, Request{Body: "hello, I want to talk to a human"})
	require.NoError(t, err)
	assert.True(t, r.Escalate)
	assert.Greater(t, r.Confidence, 0.5)
	r, err = c.Classify(ctx, Request{Body: "hello, my parcel has not arrived"})
	require.NoError(t, err)
	assert.Equal(t, "track_order", r.Intent)
	assert.Greater(t, r.Confidence, 0.5)
}

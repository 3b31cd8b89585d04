package classify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
)

// chainFake is a test classifier: it counts calls and answers with result
// or err, or with whatever do returns when do is set.
type chainFake struct {
	model string
	err   error
	do    func(ctx context.Context) (classify.Result, error)
	calls atomic.Int32
}

func (f *chainFake) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	f.calls.Add(1)
	if f.do != nil {
		return f.do(ctx)
	}
	if f.err != nil {
		return classify.Result{}, f.err
	}
	return classify.Result{
		Category:   classify.CategoryTechnical,
		Priority:   classify.PriorityMedium,
		Sentiment:  classify.SentimentNeutral,
		Intent:     "report_bug",
		Confidence: 0.7,
		Model:      f.model,
	}, nil
}

var chainReq = classify.Request{Subject: "Sync broken", Body: "The CRM sync fails with error 500."}

func newTestChain(t *testing.T, steps ...classify.ChainStep) *classify.Chain {
	t.Helper()
	c, err := classify.NewChain(steps...)
	require.NoError(t, err)
	return c
}

func TestChainFirstAnswers(t *testing.T) {
	first, second := &chainFake{model: "first/v1"}, &chainFake{model: "second/v1"}
	c := newTestChain(t,
		classify.ChainStep{Name: "first", Classifier: first, Timeout: time.Second},
		classify.ChainStep{Name: "second", Classifier: second})

	got, err := c.Classify(t.Context(), chainReq)
	require.NoError(t, err)
	assert.Equal(t, "first/v1", got.Model)
	assert.Empty(t, got.Fallback)
	assert.EqualValues(t, 1, first.calls.Load())
	assert.EqualValues(t, 0, second.calls.Load())
}

func TestChainFallsBackOnError(t *testing.T) {
	first := &chainFake{err: errors.New("quota exhausted")}
	second := &chainFake{model: "second/v1"}
	c := newTestChain(t,
		classify.ChainStep{Name: "gemini", Classifier: first},
		classify.ChainStep{Name: "offline", Classifier: second})

	got, err := c.Classify(t.Context(), chainReq)
	require.NoError(t, err)
	assert.Equal(t, "second/v1", got.Model)
	assert.Equal(t, "gemini: quota exhausted", got.Fallback)
	assert.EqualValues(t, 1, second.calls.Load())
}

func TestChainFallsBackOnInvalidResult(t *testing.T) {
	first := &chainFake{do: func(context.Context) (classify.Result, error) {
		return classify.Result{Category: "sales", Model: "bad/v1"}, nil
	}}
	c := newTestChain(t,
		classify.ChainStep{Name: "bad", Classifier: first},
		classify.ChainStep{Name: "good", Classifier: &chainFake{model: "good/v1"}})

	got, err := c.Classify(t.Context(), chainReq)
	require.NoError(t, err)
	assert.Equal(t, "good/v1", got.Model)
	assert.Contains(t, got.Fallback, "bad: ")
	assert.Contains(t, got.Fallback, `unknown category "sales"`)
}

func TestChainFallsBackOnDeadline(t *testing.T) {
	hung := &chainFake{do: func(ctx context.Context) (classify.Result, error) {
		<-ctx.Done()
		return classify.Result{}, ctx.Err()
	}}
	second := &chainFake{model: "offline/v1"}
	c := newTestChain(t,
		classify.ChainStep{Name: "gemini", Classifier: hung, Timeout: 20 * time.Millisecond},
		classify.ChainStep{Name: "offline", Classifier: second})

	start := time.Now()
	got, err := c.Classify(t.Context(), chainReq)
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, "offline/v1", got.Model)
	assert.Contains(t, got.Fallback, "gemini: ")
	assert.Contains(t, got.Fallback, "deadline exceeded")
	assert.GreaterOrEqual(t, elapsed, 20*time.Millisecond)
	assert.Less(t, elapsed, 2*time.Second)
}

func TestChainAbandonsStepThatIgnoresContext(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := &chainFake{do: func(context.Context) (classify.Result, error) {
		<-release // ignores its context entirely
		return classify.Result{}, errors.New("too late")
	}}
	c := newTestChain(t,
		classify.ChainStep{Name: "stuck", Classifier: stuck, Timeout: 20 * time.Millisecond},
		classify.ChainStep{Name: "offline", Classifier: &chainFake{model: "offline/v1"}})

	start := time.Now()
	got, err := c.Classify(t.Context(), chainReq)
	require.NoError(t, err)
	assert.Equal(t, "offline/v1", got.Model)
	assert.Contains(t, got.Fallback, "no answer within 20ms")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestChainAllFail(t *testing.T) {
	errQuota := errors.New("quota exhausted")
	hung := &chainFake{do: func(ctx context.Context) (classify.Result, error) {
		<-ctx.Done()
		return classify.Result{}, ctx.Err()
	}}
	c := newTestChain(t,
		classify.ChainStep{Name: "gemini", Classifier: &chainFake{err: errQuota}},
		classify.ChainStep{Name: "backup", Classifier: hung, Timeout: 10 * time.Millisecond},
		classify.ChainStep{Classifier: &chainFake{err: classify.ErrBadOutput}})

	got, err := c.Classify(t.Context(), chainReq)
	require.Error(t, err)
	assert.Equal(t, classify.Result{}, got)
	assert.ErrorIs(t, err, classify.ErrUnavailable)
	assert.ErrorIs(t, err, errQuota)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, classify.ErrBadOutput)
	assert.Contains(t, err.Error(), "all 3 classifiers failed")
	assert.Contains(t, err.Error(), "gemini: quota exhausted")
	assert.Contains(t, err.Error(), "backup: ")
	assert.Contains(t, err.Error(), "step 3: ")
}

func TestChainInvalidInputNotRetried(t *testing.T) {
	first, second := &chainFake{model: "first/v1"}, &chainFake{model: "second/v1"}
	c := newTestChain(t,
		classify.ChainStep{Name: "first", Classifier: first},
		classify.ChainStep{Name: "second", Classifier: second})

	_, err := c.Classify(t.Context(), classify.Request{Body: "   "})
	require.ErrorIs(t, err, classify.ErrInvalidInput)
	assert.EqualValues(t, 0, first.calls.Load(), "the chain checks the request itself")

	// A step that rejects the input ends the chain too.
	first.err = errors.Join(classify.ErrInvalidInput, errors.New("too long"))
	_, err = c.Classify(t.Context(), chainReq)
	require.ErrorIs(t, err, classify.ErrInvalidInput)
	assert.EqualValues(t, 1, first.calls.Load())
	assert.EqualValues(t, 0, second.calls.Load())
}

func TestChainStopsWhenCallerGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	first := &chainFake{do: func(context.Context) (classify.Result, error) {
		cancel()
		return classify.Result{}, context.Canceled
	}}
	second := &chainFake{model: "second/v1"}
	c := newTestChain(t,
		classify.ChainStep{Name: "first", Classifier: first},
		classify.ChainStep{Name: "second", Classifier: second})

	_, err := c.Classify(ctx, chainReq)
	require.ErrorIs(t, err, classify.ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
	assert.EqualValues(t, 0, second.calls.Load())
}

func TestChainNested(t *testing.T) {
	inner := newTestChain(t,
		classify.ChainStep{Name: "a", Classifier: &chainFake{err: errors.New("down")}},
		classify.ChainStep{Name: "b", Classifier: &chainFake{model: "b/v1"}})
	outer := newTestChain(t,
		classify.ChainStep{Name: "x", Classifier: &chainFake{err: errors.New("off")}},
		classify.ChainStep{Name: "inner", Classifier: inner})

	got, err := outer.Classify(t.Context(), chainReq)
	require.NoError(t, err)
	assert.Equal(t, "b/v1", got.Model)
	assert.Equal(t, "x: off; a: down", got.Fallback)
}

func TestNewChainConfig(t *testing.T) {
	_, err := classify.NewChain()
	assert.ErrorContains(t, err, "at least one step")

	_, err = classify.NewChain(classify.ChainStep{Name: "gemini"})
	assert.ErrorContains(t, err, "step 1 (gemini) has no Classifier")

	_, err = classify.NewChain(classify.ChainStep{Classifier: &chainFake{}, Timeout: -time.Second})
	assert.ErrorContains(t, err, "Timeout must not be negative")
}

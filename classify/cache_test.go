package classify_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
)

// cacheFake answers every request with a result whose Intent echoes the
// request text, so a test can tell which request an answer belongs to. It
// fails while failing is set.
type cacheFake struct {
	calls    atomic.Int32
	failing  atomic.Bool
	fallback string
}

func (f *cacheFake) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	f.calls.Add(1)
	if f.failing.Load() {
		return classify.Result{}, fmt.Errorf("%w: backend down", classify.ErrUnavailable)
	}
	return classify.Result{
		Category:   classify.CategoryGeneral,
		Priority:   classify.PriorityLow,
		Sentiment:  classify.SentimentNeutral,
		Escalate:   true,
		Reasons:    []classify.Reason{classify.ReasonAsksForHuman},
		Intent:     req.Text() + "|" + req.Channel + "|" + req.CustomerTier,
		Confidence: 0.5,
		Model:      "fake/v1",
		Fallback:   f.fallback,
	}, nil
}

func newTestCache(t *testing.T, capacity int) (*classify.Cache, *cacheFake) {
	t.Helper()
	f := &cacheFake{}
	c, err := classify.NewCache(f, capacity)
	require.NoError(t, err)
	return c, f
}

func TestCacheHitOnNormalisedText(t *testing.T) {
	c, f := newTestCache(t, 8)
	ctx := t.Context()

	first, err := c.Classify(ctx, classify.Request{Subject: "Invoice", Body: "Where is my  invoice?", Channel: "email"})
	require.NoError(t, err)
	for _, req := range []classify.Request{
		{Subject: "Invoice", Body: "Where is my  invoice?", Channel: "email"},
		{Subject: "  INVOICE ", Body: "where is\tmy\n\ninvoice?", Channel: "Email"},
		{Body: "invoice where is my invoice?", Channel: " email"},
	} {
		got, err := c.Classify(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, first, got, "answered from the cache: %+v", req)
	}
	assert.EqualValues(t, 1, f.calls.Load())
	assert.Equal(t, classify.CacheStats{Hits: 3, Misses: 1, Len: 1, Capacity: 8}, c.Stats())
}

func TestCacheMissOnDifferentContext(t *testing.T) {
	c, f := newTestCache(t, 8)
	ctx := t.Context()
	base := classify.Request{Body: "The app crashes", Channel: "chat", CustomerTier: "free"}

	for _, req := range []classify.Request{
		base,
		{Body: "The app crashes!", Channel: "chat", CustomerTier: "free"},
		{Body: "The app crashes", Channel: "email", CustomerTier: "free"},
		{Body: "The app crashes", Channel: "chat", CustomerTier: "enterprise"},
		{Body: "The app crashes", Channel: "chat", CustomerTier: "free", History: []classify.Turn{{Role: "customer", Text: "Still broken"}}},
		// Moving text between fields must not collide either.
		{Body: "The app crashes chat", Channel: "", CustomerTier: "free"},
	} {
		got, err := c.Classify(ctx, req)
		require.NoError(t, err)
		assert.Equal(t, req.Text()+"|"+req.Channel+"|"+req.CustomerTier, got.Intent)
	}
	assert.EqualValues(t, 6, f.calls.Load())
	assert.Equal(t, classify.CacheStats{Misses: 6, Len: 6, Capacity: 8}, c.Stats())
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c, f := newTestCache(t, 2)
	ctx := t.Context()
	a, b, d := classify.Request{Body: "a"}, classify.Request{Body: "b"}, classify.Request{Body: "d"}
	classifyAll := func(reqs ...classify.Request) {
		t.Helper()
		for _, r := range reqs {
			_, err := c.Classify(ctx, r)
			require.NoError(t, err)
		}
	}

	classifyAll(a, b) // cache: b a
	classifyAll(a)    // hit; cache: a b
	classifyAll(d)    // evicts b; cache: d a
	assert.EqualValues(t, 3, f.calls.Load())
	assert.Equal(t, classify.CacheStats{Hits: 1, Misses: 3, Evictions: 1, Len: 2, Capacity: 2}, c.Stats())

	classifyAll(a, d) // both still cached
	assert.EqualValues(t, 3, f.calls.Load())
	classifyAll(b) // was evicted; evicts a, the least recently used now
	assert.EqualValues(t, 4, f.calls.Load())
	classifyAll(d)
	assert.EqualValues(t, 4, f.calls.Load())
	classifyAll(a)
	assert.EqualValues(t, 5, f.calls.Load())
	assert.Equal(t, classify.CacheStats{Hits: 4, Misses: 5, Evictions: 3, Len: 2, Capacity: 2}, c.Stats())
}

func TestCacheDoesNotCacheErrors(t *testing.T) {
	c, f := newTestCache(t, 4)
	req := classify.Request{Body: "Password reset mail never arrives"}

	f.failing.Store(true)
	_, err := c.Classify(t.Context(), req)
	require.ErrorIs(t, err, classify.ErrUnavailable)

	f.failing.Store(false)
	got, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, "fake/v1", got.Model)
	_, err = c.Classify(t.Context(), req)
	require.NoError(t, err)

	assert.EqualValues(t, 2, f.calls.Load(), "the failure was not remembered")
	assert.Equal(t, classify.CacheStats{Hits: 1, Misses: 2, Len: 1, Capacity: 4}, c.Stats())
}

func TestCacheSkipsFallbackAnswers(t *testing.T) {
	c, f := newTestCache(t, 4)
	f.fallback = "gemini: timeout"
	req := classify.Request{Body: "hello"}

	for range 2 {
		got, err := c.Classify(t.Context(), req)
		require.NoError(t, err)
		assert.Equal(t, "gemini: timeout", got.Fallback)
	}
	assert.EqualValues(t, 2, f.calls.Load())
	assert.Zero(t, c.Stats().Len)
}

func TestCacheInvalidInput(t *testing.T) {
	c, f := newTestCache(t, 4)
	_, err := c.Classify(t.Context(), classify.Request{Body: " \n "})
	require.ErrorIs(t, err, classify.ErrInvalidInput)
	assert.EqualValues(t, 0, f.calls.Load())
	assert.Equal(t, classify.CacheStats{Capacity: 4}, c.Stats())
}

func TestCacheReturnsCopies(t *testing.T) {
	c, _ := newTestCache(t, 4)
	req := classify.Request{Body: "I want a human"}

	got, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	got.Reasons[0] = classify.ReasonAnger

	again, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, []classify.Reason{classify.ReasonAsksForHuman}, again.Reasons)
	again.Reasons[0] = classify.ReasonSecurity

	third, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, []classify.Reason{classify.ReasonAsksForHuman}, third.Reasons)
}

func TestCachePurge(t *testing.T) {
	c, f := newTestCache(t, 4)
	req := classify.Request{Body: "hello"}
	for range 2 {
		_, err := c.Classify(t.Context(), req)
		require.NoError(t, err)
	}
	c.Purge()
	assert.Zero(t, c.Stats().Len)
	_, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 2, f.calls.Load())
}

func TestCacheConcurrent(t *testing.T) {
	const (
		workers  = 16
		rounds   = 200
		keys     = 12
		capacity = 5
	)
	c, f := newTestCache(t, capacity)

	var wg sync.WaitGroup
	var failures atomic.Int32
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				req := classify.Request{Body: fmt.Sprintf("message %d", (w+i)%keys)}
				got, err := c.Classify(t.Context(), req)
				if err != nil || got.Intent != req.Text()+"||" {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()

	assert.Zero(t, failures.Load())
	s := c.Stats()
	assert.EqualValues(t, workers*rounds, s.Hits+s.Misses)
	assert.EqualValues(t, f.calls.Load(), s.Misses)
	assert.LessOrEqual(t, s.Len, capacity)
	// Whether the workers hit at all depends on the schedule (12 keys
	// cycling through 5 places can miss every time when the workers run
	// one after the other); a repeated request always hits.
	req := classify.Request{Body: "message 0"}
	_, err := c.Classify(t.Context(), req)
	require.NoError(t, err)
	before := c.Stats().Hits
	_, err = c.Classify(t.Context(), req)
	require.NoError(t, err)
	assert.Equal(t, before+1, c.Stats().Hits)
}

func TestNewCacheConfig(t *testing.T) {
	_, err := classify.NewCache(nil, 10)
	assert.ErrorContains(t, err, "Classifier to wrap is required")
	_, err = classify.NewCache(&cacheFake{}, 0)
	assert.ErrorContains(t, err, "capacity must be positive")

	// A Cache is itself a Classifier and can wrap a Chain.
	chain, err := classify.NewChain(classify.ChainStep{Classifier: &cacheFake{}})
	require.NoError(t, err)
	cached, err := classify.NewCache(chain, 1)
	require.NoError(t, err)
	var _ classify.Classifier = cached
}

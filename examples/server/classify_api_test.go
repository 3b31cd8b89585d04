package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

func TestClassifyEndpoint(t *testing.T) {
	e := newDeskEnvWith(t, deskOptions{}) // the real offline classifier
	c := e.asAgent()
	w := c.do("POST", "/api/classify", map[string]string{"subject": "Refund", "body": "I was charged twice, please refund my payment"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	res := decode[classify.Result](t, w)
	assert.Equal(t, icc.CategoryBilling, res.Category)
	assert.Equal(t, "offline/v1", res.Model)

	requireError(t, c.do("POST", "/api/classify", map[string]string{"subject": " ", "body": ""}), 422, "invalid", "body")
	requireError(t, c.do("POST", "/api/classify", map[string]string{"body": strings.Repeat("x", icc.MaxBodyLen+1)}), 422, "invalid", "body")
	requireError(t, c.do("POST", "/api/classify", map[string]string{"subject": strings.Repeat("x", icc.MaxSubjectLen+1)}), 422, "invalid", "subject")
	requireError(t, c.do("POST", "/api/classify", `{"text":"hello"}`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/classify", map[string]string{"body": "hello", "channel": "fax"}), 422, "invalid", "channel")
	requireError(t, c.do("POST", "/api/classify", map[string]string{"body": "refund\x00please"}), 422, "invalid", "body")
	requireError(t, c.do("POST", "/api/classify", `{"body":"refund","customer_tier":"\u0000"}`), 422, "invalid", "customer_tier")
	requireError(t, c.do("POST", "/api/classify", map[string]string{"body": "refund", "customer_tier": strings.Repeat("t", 51)}), 422, "invalid", "customer_tier")
	w = c.do("POST", "/api/classify", map[string]string{"body": "refund please", "customer_tier": "enterprise"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = c.do("POST", "/api/classify", map[string]string{"body": "I was charged twice", "channel": "email"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireError(t, e.anon().do("POST", "/api/classify", map[string]string{"body": "hello"}), 401, "unauthorized", "")
}

// TestGeminiChainFallsBackToOffline builds the server's classifier with a
// Gemini key against a fake endpoint that always fails: the offline
// classifier answers, and the chain says so.
func TestGeminiChainFallsBackToOffline(t *testing.T) {
	var calls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}})
	}))
	t.Cleanup(fake.Close)
	c, l, off, err := newClassifier(context.Background(), deskOptions{GeminiAPIKey: "test-key", GeminiBaseURL: fake.URL}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	cache, isCache := c.(*classify.Cache)
	assert.True(t, isCache, "the Gemini chain is cached")
	require.NotNil(t, off)
	assert.Same(t, off, l, "corrections go to the offline classifier")
	assert.Same(t, cache, off.cache, "a retrain purges the cache")
	res, err := c.Classify(context.Background(), classify.Request{Body: "My invoice is wrong, I was charged twice"})
	require.NoError(t, err)
	assert.Equal(t, "offline/v1", res.Model)
	assert.Contains(t, res.Fallback, "gemini")
	assert.Positive(t, calls.Load(), "Gemini was asked first")
}

package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

const geminiTestModel = "gemini-test"

// fakeGemini is a local stand-in for the Gemini REST API's generateContent
// method. Each request is answered by the next handler in turn; the last
// handler answers every request after it.
type fakeGemini struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	handlers []http.HandlerFunc
	requests []fakeGeminiRequest
}

// fakeGeminiRequest is the part of a generateContent request body the tests
// look at, in the REST API's JSON shape.
type fakeGeminiRequest struct {
	APIKey   string
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"contents"`
	SystemInstruction *struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"systemInstruction"`
	GenerationConfig struct {
		ResponseMIMEType string         `json:"responseMimeType"`
		ResponseSchema   map[string]any `json:"responseSchema"`
	} `json:"generationConfig"`
}

func newFakeGemini(t *testing.T, handlers ...http.HandlerFunc) *fakeGemini {
	t.Helper()
	f := &fakeGemini{t: t, handlers: handlers}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGemini) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1beta/models/"+geminiTestModel+":generateContent" {
		http.Error(w, `{"error":{"code":404,"message":"no such method","status":"NOT_FOUND"}}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req fakeGeminiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, `{"error":{"code":400,"message":"bad json","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
		return
	}
	req.APIKey = r.Header.Get("x-goog-api-key")
	f.mu.Lock()
	f.requests = append(f.requests, req)
	h := f.handlers[min(len(f.requests), len(f.handlers))-1]
	f.mu.Unlock()
	h(w, r)
}

func (f *fakeGemini) calls() []fakeGeminiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeGeminiRequest(nil), f.requests...)
}

// geminiAnswer replies with a successful generateContent response whose text is s.
func geminiAnswer(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp := map[string]any{
			"candidates": []any{map[string]any{
				"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": s}}},
				"finishReason": "STOP",
			}},
			"modelVersion": geminiTestModel,
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// geminiAPIError replies with the API's JSON error shape and status code.
func geminiAPIError(code int, status string, header http.Header) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"error": map[string]any{"code": code, "message": "fake failure", "status": status},
		})
	}
}

const geminiBillingAnswer = `{"category":"billing","priority":"high","sentiment":"negative","sentiment_score":-0.6,
"escalate":true,"reasons":["churn_risk","churn_risk"],"intent":"Get Refund","confidence":0.91,
"suggested_reply":"Sorry about the double charge; we are refunding it now."}`

// newTestGemini returns a Gemini pointed at f with fast backoffs and a sleep
// that records the waits it was asked for instead of waiting.
func newTestGemini(t *testing.T, f *fakeGemini, cfg GeminiConfig) (*Gemini, *[]time.Duration) {
	t.Helper()
	cfg.APIKey = "test-key"
	cfg.Model = geminiTestModel
	cfg.BaseURL = f.srv.URL
	cfg.HTTPClient = f.srv.Client()
	g, err := NewGemini(t.Context(), cfg)
	require.NoError(t, err)
	var mu sync.Mutex
	waits := &[]time.Duration{}
	g.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return g, waits
}

func TestGeminiSuccess(t *testing.T) {
	f := newFakeGemini(t, geminiAnswer(geminiBillingAnswer))
	g, _ := newTestGemini(t, f, GeminiConfig{MaxInputBytes: 20})

	// "é" is two bytes; byte 20 falls inside the second one.
	req := Request{
		Subject:      "Refund",
		Body:         "charged twicé é é é é",
		Channel:      "chat",
		CustomerTier: "pro",
		History:      []Turn{{Role: "customer", Text: "I wrote yesterday"}},
	}
	got, err := g.Classify(t.Context(), req)
	require.NoError(t, err)

	assert.Equal(t, Result{
		Category:       CategoryBilling,
		Priority:       PriorityHigh,
		Sentiment:      SentimentNegative,
		SentimentScore: -0.6,
		Escalate:       true,
		Reasons:        []Reason{ReasonChurnRisk},
		Intent:         "get_refund",
		Confidence:     0.91,
		SuggestedReply: "Sorry about the double charge; we are refunding it now.",
		Model:          "gemini/" + geminiTestModel,
	}, got)

	calls := f.calls()
	require.Len(t, calls, 1)
	call := calls[0]
	assert.Equal(t, "test-key", call.APIKey)

	require.NotNil(t, call.SystemInstruction)
	require.NotEmpty(t, call.SystemInstruction.Parts)
	assert.Contains(t, call.SystemInstruction.Parts[0].Text, "sensitive")
	assert.Contains(t, call.SystemInstruction.Parts[0].Text, "legal_threat")

	assert.Equal(t, "application/json", call.GenerationConfig.ResponseMIMEType)
	schema := call.GenerationConfig.ResponseSchema
	require.NotNil(t, schema)
	assert.Equal(t, "OBJECT", schema["type"])
	props, ok := schema["properties"].(map[string]any)
	require.True(t, ok, "schema has properties")
	assert.ElementsMatch(t, []any{"technical", "billing", "general", "sensitive"}, props["category"].(map[string]any)["enum"])
	assert.ElementsMatch(t, []any{"low", "medium", "high", "urgent"}, props["priority"].(map[string]any)["enum"])
	assert.ElementsMatch(t, []any{"negative", "neutral", "positive"}, props["sentiment"].(map[string]any)["enum"])
	items := props["reasons"].(map[string]any)["items"].(map[string]any)
	assert.Len(t, items["enum"], 6)
	assert.Contains(t, schema["required"], "category")

	require.Len(t, call.Contents, 1)
	require.Len(t, call.Contents[0].Parts, 1)
	var in geminiInput
	require.NoError(t, json.Unmarshal([]byte(call.Contents[0].Parts[0].Text), &in))
	want := Truncate(req.Text(), 20)
	assert.Equal(t, "Refund\ncharged twic", want, "the cut falls inside a rune and backs off to its start")
	assert.Equal(t, want, in.Message)
	assert.Equal(t, "chat", in.Channel)
	assert.Equal(t, "pro", in.CustomerTier)
	assert.Equal(t, []geminiTurn{{Role: "customer", Text: "I wrote yesterday"}}, in.History)
}

func TestGeminiSensitiveClearsReply(t *testing.T) {
	f := newFakeGemini(t, geminiAnswer(`{"category":"sensitive","priority":"urgent","sentiment":"negative",
		"sentiment_score":-0.9,"escalate":false,"reasons":["legal_threat"],"intent":"sue",
		"confidence":0.8,"suggested_reply":"Please calm down."}`))
	g, _ := newTestGemini(t, f, GeminiConfig{})

	got, err := g.Classify(t.Context(), Request{Body: "My lawyer will contact you."})
	require.NoError(t, err)
	assert.Equal(t, CategorySensitive, got.Category)
	assert.Empty(t, got.SuggestedReply)
	assert.True(t, got.Escalate, "sensitive requests always go to a human")
}

func TestGeminiBadOutput(t *testing.T) {
	for name, text := range map[string]string{
		"malformed json":   `{"category":"billing","priority":`,
		"not json":         `Sure! This is a billing question.`,
		"unknown category": `{"category":"sales","priority":"low","sentiment":"neutral","sentiment_score":0,"escalate":false,"reasons":[],"intent":"buy","confidence":0.5,"suggested_reply":""}`,
		"unknown reason":   `{"category":"general","priority":"low","sentiment":"neutral","sentiment_score":0,"escalate":true,"reasons":["boredom"],"intent":"chat","confidence":0.5,"suggested_reply":""}`,
		"missing priority": `{"category":"general","sentiment":"neutral","confidence":0.5}`,
		"confidence > 1":   `{"category":"general","priority":"low","sentiment":"neutral","confidence":7}`,
		"empty":            ``,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeGemini(t, geminiAnswer(text))
			g, waits := newTestGemini(t, f, GeminiConfig{})

			got, err := g.Classify(t.Context(), Request{Body: "hello"})
			require.ErrorIs(t, err, ErrBadOutput)
			assert.NotErrorIs(t, err, ErrUnavailable)
			assert.Equal(t, Result{}, got)
			assert.Len(t, f.calls(), 1, "bad output is not retried")
			assert.Empty(t, *waits)
		})
	}
}

func TestGeminiBlockedPrompt(t *testing.T) {
	f := newFakeGemini(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"promptFeedback":{"blockReason":"SAFETY"}}`)
	})
	g, _ := newTestGemini(t, f, GeminiConfig{})

	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrBadOutput)
	assert.Contains(t, err.Error(), "SAFETY")
}

func TestGeminiRetryAfter429(t *testing.T) {
	f := newFakeGemini(t,
		geminiAPIError(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", http.Header{"Retry-After": {"2"}}),
		geminiAnswer(geminiBillingAnswer))
	var logs bytes.Buffer
	g, waits := newTestGemini(t, f, GeminiConfig{
		InitialBackoff: time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(&logs, nil)),
	})

	got, err := g.Classify(t.Context(), Request{Body: "I was charged twice"})
	require.NoError(t, err)
	assert.Equal(t, CategoryBilling, got.Category)
	assert.Len(t, f.calls(), 2)
	assert.Equal(t, []time.Duration{2 * time.Second}, *waits, "the server's Retry-After replaces the 1ms backoff")
	assert.Contains(t, logs.String(), "gemini call failed, retrying")
	assert.Contains(t, logs.String(), "retry_after=true")
}

func TestGeminiNetworkErrorRetried(t *testing.T) {
	f := newFakeGemini(t, geminiAnswer(geminiBillingAnswer))
	f.srv.Close() // nothing listens any more: every call is refused
	g, waits := newTestGemini(t, f, GeminiConfig{MaxRetries: 2, InitialBackoff: time.Millisecond})

	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	var urlErr *url.Error
	assert.ErrorAs(t, err, &urlErr)
	assert.Len(t, *waits, 2, "a refused connection is retried MaxRetries times")
}

func TestGeminiRetryAfterPastDeadline(t *testing.T) {
	f := newFakeGemini(t, geminiAPIError(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", http.Header{"Retry-After": {"60"}}))
	g, waits := newTestGemini(t, f, GeminiConfig{Timeout: time.Second})

	start := time.Now()
	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Less(t, time.Since(start), time.Second, "gives up at once instead of waiting past the deadline")
	assert.Len(t, f.calls(), 1)
	assert.Empty(t, *waits)
}

func TestGeminiServerErrorsExhaustRetries(t *testing.T) {
	f := newFakeGemini(t, geminiAPIError(http.StatusInternalServerError, "INTERNAL", nil))
	g, err := NewGemini(t.Context(), GeminiConfig{
		APIKey: "test-key", Model: geminiTestModel, BaseURL: f.srv.URL,
		MaxRetries: 2, InitialBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
	})
	require.NoError(t, err)

	_, err = g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	var apiErr genai.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.Code)
	assert.Len(t, f.calls(), 3, "one call and MaxRetries retries")
}

func TestGeminiClientErrorNotRetried(t *testing.T) {
	f := newFakeGemini(t, geminiAPIError(http.StatusForbidden, "PERMISSION_DENIED", nil))
	g, waits := newTestGemini(t, f, GeminiConfig{})

	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Len(t, f.calls(), 1)
	assert.Empty(t, *waits)
}

func TestGeminiNoRetriesWhenNegative(t *testing.T) {
	f := newFakeGemini(t, geminiAPIError(http.StatusServiceUnavailable, "UNAVAILABLE", nil))
	g, _ := newTestGemini(t, f, GeminiConfig{MaxRetries: -1})

	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.Len(t, f.calls(), 1)
}

func TestGeminiTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFakeGemini(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	g, waits := newTestGemini(t, f, GeminiConfig{Timeout: 50 * time.Millisecond})

	start := time.Now()
	_, err := g.Classify(t.Context(), Request{Body: "hello"})
	elapsed := time.Since(start)
	require.ErrorIs(t, err, ErrUnavailable)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, elapsed, 2*time.Second)
	assert.Empty(t, *waits, "a call that ran out of time is not retried")
}

func TestGeminiCallerCancel(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	f := newFakeGemini(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	g, _ := newTestGemini(t, f, GeminiConfig{})

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-entered
		cancel()
	}()
	_, err := g.Classify(ctx, Request{Body: "hello"})
	require.ErrorIs(t, err, ErrUnavailable)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestGeminiInvalidInputMakesNoCall(t *testing.T) {
	f := newFakeGemini(t, geminiAnswer(geminiBillingAnswer))
	g, _ := newTestGemini(t, f, GeminiConfig{})

	for _, req := range []Request{{}, {Subject: "  ", Body: "\n\t"}, {Body: "bad \xff utf-8"}} {
		_, err := g.Classify(t.Context(), req)
		require.ErrorIs(t, err, ErrInvalidInput)
	}
	assert.Empty(t, f.calls())
}

func TestGeminiConcurrent(t *testing.T) {
	f := newFakeGemini(t, geminiAnswer(geminiBillingAnswer))
	g, _ := newTestGemini(t, f, GeminiConfig{})

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := g.Classify(t.Context(), Request{Body: "refund please"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, f.calls(), 8)
}

func TestNewGeminiConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  GeminiConfig
		want string
	}{
		"missing key":      {GeminiConfig{}, "APIKey is required"},
		"blank key":        {GeminiConfig{APIKey: "  "}, "APIKey is required"},
		"bad model":        {GeminiConfig{APIKey: "k", Model: "a b"}, "invalid Model"},
		"relative url":     {GeminiConfig{APIKey: "k", BaseURL: "/v1"}, "BaseURL"},
		"ftp url":          {GeminiConfig{APIKey: "k", BaseURL: "ftp://x"}, "BaseURL"},
		"negative timeout": {GeminiConfig{APIKey: "k", Timeout: -time.Second}, "Timeout must not be negative"},
		"negative backoff": {GeminiConfig{APIKey: "k", MaxBackoff: -1}, "MaxBackoff must not be negative"},
		"negative input":   {GeminiConfig{APIKey: "k", MaxInputBytes: -1}, "MaxInputBytes"},
	} {
		t.Run(name, func(t *testing.T) {
			g, err := NewGemini(t.Context(), tc.cfg)
			require.Error(t, err)
			assert.Nil(t, g)
			assert.Contains(t, err.Error(), tc.want)
		})
	}

	g, err := NewGemini(t.Context(), GeminiConfig{APIKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, "gemini/"+DefaultGeminiModel, g.Model())
	assert.Equal(t, DefaultGeminiTimeout, g.timeout)
	assert.Equal(t, DefaultGeminiMaxRetries, g.maxRetries)
	assert.Equal(t, MaxInputBytes, g.maxInput)
}

func TestNewGeminiLeavesHTTPClientAlone(t *testing.T) {
	hc := &http.Client{Timeout: time.Minute}
	_, err := NewGemini(t.Context(), GeminiConfig{APIKey: "k", HTTPClient: hc})
	require.NoError(t, err)
	assert.Nil(t, hc.Transport)
}

func TestGeminiBackoff(t *testing.T) {
	g := &Gemini{initialBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		d, fromServer := g.backoff(attempt, 0)
		assert.False(t, fromServer)
		assert.GreaterOrEqual(t, d, want/2, "attempt %d", attempt)
		assert.LessOrEqual(t, d, want, "attempt %d", attempt)
	}
	d, fromServer := g.backoff(0, 3*time.Second)
	assert.True(t, fromServer)
	assert.Equal(t, 3*time.Second, d)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	assert.Equal(t, 7*time.Second, parseRetryAfter(" 7 ", now))
	assert.Equal(t, 30*time.Second, parseRetryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	assert.Zero(t, parseRetryAfter("", now))
	assert.Zero(t, parseRetryAfter("-3", now))
	assert.Zero(t, parseRetryAfter("soon", now))
	assert.Zero(t, parseRetryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now))
}

func TestGeminiIntent(t *testing.T) {
	assert.Equal(t, "get_refund", geminiIntent("  Get Refund! "))
	assert.Equal(t, "reset_password", geminiIntent("reset_password"))
	assert.Equal(t, "", geminiIntent("¿?"))
	assert.LessOrEqual(t, len(geminiIntent(strings.Repeat("ab ", 100))), 64)
}

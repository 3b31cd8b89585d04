package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeBackend is a backend whose Ping fails on demand and whose Close is
// recorded. It embeds a nil icc.Backend, so tests that use it must touch
// only Ping and Close; calling anything else panics and fails the test.
type fakeBackend struct {
	icc.Backend
	pingErr error
	closed  atomic.Int32
}

func (f *fakeBackend) Ping(ctx context.Context) error {
	if f.closed.Load() > 0 {
		return errors.New("fake backend: closed")
	}
	return f.pingErr
}

func (f *fakeBackend) Close() error {
	f.closed.Add(1)
	return nil
}

// newTestServer returns a server on a fake backend whose logs go to the
// returned buffer, at debug level.
func newTestServer(t *testing.T) (*server, *fakeBackend, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := &fakeBackend{}
	return newServer(b, logger), b, logs
}

// serveOnce runs one request through the server's full handler.
func serveOnce(s *server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.handler().ServeHTTP(w, r)
	return w
}

// decodeError reads an error response body.
func readErrorBody(t *testing.T, body []byte) icc.ErrorDetail {
	t.Helper()
	var e icc.ErrorBody
	require.NoError(t, json.Unmarshal(body, &e), "body: %s", body)
	return e.Error
}

// mapEnv returns a getenv function over m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// keywordModel is the model name keywordClassifier answers with.
const keywordModel = "keywords/test"

// keywordClassifier labels text by a few keywords, so that tests about
// filters, routing, assignment and the chat bot know the answer however the
// shipped offline model is trained. Tests about the real classifier build
// their server with deskOptions{} instead.
//
//   - "lawyer": sensitive, high priority, escalated (legal threat)
//   - refund, invoice, charged, billed, payment: billing
//   - error, password, api, vpn, sync, login: technical
//   - anything else: general
//   - "urgent" or "down" makes it urgent; otherwise medium
//
// Only a password question gets a confident answer (0.9) with a suggested
// reply, so the bot answers that and nothing else.
type keywordClassifier struct{}

func (keywordClassifier) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	if err := ctx.Err(); err != nil {
		return classify.Result{}, err
	}
	text := strings.ToLower(req.Text())
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	}
	r := classify.Result{Category: classify.CategoryGeneral, Priority: classify.PriorityMedium,
		Sentiment: classify.SentimentNeutral, Intent: "other", Confidence: 0.6, Model: keywordModel}
	switch {
	case has("lawyer"):
		r.Category, r.Priority, r.Escalate = classify.CategorySensitive, classify.PriorityHigh, true
		r.Reasons = []classify.Reason{classify.ReasonLegalThreat}
	case has("refund", "invoice", "charged", "billed", "payment"):
		r.Category, r.Intent = classify.CategoryBilling, "billing_question"
	case has("password"):
		r.Category, r.Intent, r.Confidence = classify.CategoryTechnical, "password_reset", 0.9
		r.SuggestedReply = "To reset your password, use the Forgot password link on the sign-in page."
	case has("error", "api", "vpn", "sync", "login"):
		r.Category, r.Intent = classify.CategoryTechnical, "technical_issue"
	}
	if has("urgent", "down") {
		r.Priority = classify.PriorityUrgent
	}
	return r, nil
}

// sharedStore opens the backends of two servers on one store: the same
// memory backend twice, or two PostgreSQL connection pools on one schema,
// like two processes.
type sharedStore struct {
	name string
	open func(t *testing.T) (icc.Backend, icc.Backend)
}

// sharedStores returns the memory and PostgreSQL sharedStore; the
// PostgreSQL one makes a fresh schema named with prefix (and skips
// without ICC_TEST_DATABASE_URL, see testPostgresSchema).
func sharedStores(prefix string) []sharedStore {
	return []sharedStore{
		{"memory", func(t *testing.T) (icc.Backend, icc.Backend) {
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			return b, b
		}},
		{"postgres", func(t *testing.T) (icc.Backend, icc.Backend) {
			dbURL, schema := testPostgresSchema(t, prefix)
			open := func() icc.Backend {
				b, err := postgres.Open(context.Background(), postgres.Config{URL: dbURL, Schema: schema, Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				t.Cleanup(func() { _ = b.Close() })
				return b
			}
			return open(), open()
		}},
	}
}

package monitor

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestTransportLogsCalls(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.addIntegration(t, "crm", "http://crm.invalid/", nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "hello, world") // 12 bytes
	}))
	t.Cleanup(srv.Close)
	rec, err := NewRecorder(RecorderConfig{Store: e.store, Clock: e.clock, Logger: testLogger(t)})
	require.NoError(t, err)
	ctx := context.Background()
	t.Cleanup(func() { _ = rec.Close(ctx) })

	tr := rec.Wrap(in.ID, nil)
	tr.Endpoint = func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/customers/") {
			return "/customers/{id}"
		}
		return r.URL.Path
	}
	client := &http.Client{Transport: tr}

	resp, err := client.Post(srv.URL+"/customers/42?api_key=s3cret", "text/plain", strings.NewReader("12345"))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "hello, world", string(body))

	resp, err = client.Get(srv.URL + "/missing")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close()) // closed unread: counts what was read

	// A failed dial is logged with its error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = client.Get(dead + "/ping")
	require.Error(t, err)

	require.NoError(t, rec.Flush(ctx))
	page, err := e.store.SearchIntegrationLogs(ctx, icc.LogFilter{IntegrationID: in.ID})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	byEndpoint := map[string]icc.IntegrationLog{}
	for _, l := range page.Items {
		byEndpoint[l.Endpoint] = l
	}

	ok := byEndpoint["/customers/{id}"]
	assert.Equal(t, "POST", ok.Method)
	assert.Equal(t, 200, ok.StatusCode)
	assert.EqualValues(t, 5, ok.RequestBytes)
	assert.EqualValues(t, 12, ok.ResponseBytes)
	assert.Equal(t, icc.LevelInfo, ok.Level)
	assert.Equal(t, srv.URL+"/customers/42", ok.URL, "no query: it may hold secrets")
	assert.Positive(t, ok.Latency)
	assert.Equal(t, e.clock.Now(), ok.At)

	nf := byEndpoint["/missing"]
	assert.Equal(t, 404, nf.StatusCode)
	assert.Equal(t, icc.LevelWarn, nf.Level)

	failed := byEndpoint["/ping"]
	assert.Zero(t, failed.StatusCode)
	assert.Contains(t, failed.Error, "connect")
	assert.Equal(t, icc.LevelError, failed.Level)
	assert.Zero(t, rec.Dropped())

	// Searchable by level and text.
	lvl := icc.LevelError
	page, err = e.store.SearchIntegrationLogs(ctx, icc.LogFilter{IntegrationID: in.ID, Level: &lvl})
	require.NoError(t, err)
	assert.Len(t, page.Items, 1)
}

// blockingWriter is a LogWriter whose writes wait for release.
type blockingWriter struct {
	release chan struct{}
	entered chan struct{}
	got     chan int
}

func (w *blockingWriter) AddIntegrationLogs(ctx context.Context, logs []icc.IntegrationLog) error {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	select {
	case <-w.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.got <- len(logs)
	return nil
}

func TestRecorderOverflowIsCounted(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{}), entered: make(chan struct{}, 1), got: make(chan int, 100)}
	var logs syncBuffer
	rec, err := NewRecorder(RecorderConfig{Store: w, Buffer: 4, BatchSize: 1,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	entry := icc.IntegrationLog{IntegrationID: "i1", Method: "GET", At: time.Now()}

	// The first record is taken by the writer, which then blocks.
	rec.Record(entry)
	select {
	case <-w.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("writer not called")
	}
	// The caller never waits: 4 records fill the buffer, 6 are dropped.
	start := time.Now()
	for range 10 {
		rec.Record(entry)
	}
	assert.Less(t, time.Since(start), time.Second)
	assert.EqualValues(t, 6, rec.Dropped())

	close(w.release)
	require.NoError(t, rec.Close(context.Background()))
	stored := 0
	for len(w.got) > 0 {
		stored += <-w.got
	}
	assert.Equal(t, 5, stored, "everything buffered was written")
	assert.Contains(t, logs.String(), "integration logs dropped")
	assert.Contains(t, logs.String(), "dropped=6")

	rec.Record(entry)
	assert.EqualValues(t, 7, rec.Dropped(), "records after Close are counted too")
}

func TestRecorderCountsFailedWrites(t *testing.T) {
	e := newEnv(t, Config{})
	rec, err := NewRecorder(RecorderConfig{Store: e.store})
	require.NoError(t, err)
	rec.Record(icc.IntegrationLog{IntegrationID: "no-such-integration", At: time.Now()})
	require.NoError(t, rec.Close(context.Background()))
	assert.EqualValues(t, 1, rec.Dropped())
}

// TestRecorderCleansText: a NUL byte or invalid UTF-8 in a record (a path,
// an error quoting a body) is removed, so the store takes the record and the
// rest of its batch.
func TestRecorderCleansText(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.addIntegration(t, "crm", "http://crm.example", nil)
	rec, err := NewRecorder(RecorderConfig{Store: e.store})
	require.NoError(t, err)
	rec.Record(icc.IntegrationLog{IntegrationID: in.ID, Method: "GET", Endpoint: "/a\x00b", URL: "http://crm.example/a\x00b",
		Error: "bad body \xff\x00 here", At: time.Now()})
	rec.Record(icc.IntegrationLog{IntegrationID: in.ID, Method: "GET", Endpoint: "/ok", At: time.Now()})
	require.NoError(t, rec.Close(context.Background()))
	assert.Zero(t, rec.Dropped())
	page, err := e.store.SearchIntegrationLogs(context.Background(), icc.LogFilter{IntegrationID: in.ID})
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	var endpoints []string
	for _, l := range page.Items {
		endpoints = append(endpoints, l.Endpoint)
		if l.Endpoint == "/ab" {
			assert.Equal(t, "bad body  here", l.Error)
			assert.Equal(t, "http://crm.example/ab", l.URL)
		}
	}
	assert.ElementsMatch(t, []string{"/ab", "/ok"}, endpoints)
}

// stubTransport answers every request at once from memory.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"ok":true}`)), Request: r}, nil
}

type discardWriter struct{}

func (discardWriter) AddIntegrationLogs(context.Context, []icc.IntegrationLog) error { return nil }

// BenchmarkTransport compares a bare RoundTripper with the same one
// wrapped by a Recorder's Transport; the difference is the logging cost.
func BenchmarkTransport(b *testing.B) {
	req, err := http.NewRequest(http.MethodGet, "http://crm.example/customers/42?x=1", nil)
	require.NoError(b, err)
	call := func(b *testing.B, rt http.RoundTripper) {
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	b.Run("bare", func(b *testing.B) { call(b, stubTransport{}) })
	b.Run("recorded", func(b *testing.B) {
		rec, err := NewRecorder(RecorderConfig{Store: discardWriter{}, Buffer: 1 << 16})
		require.NoError(b, err)
		call(b, rec.Wrap("i1", stubTransport{}))
		require.NoError(b, rec.Close(context.Background()))
		b.ReportMetric(float64(rec.Dropped()), "dropped")
	})
}

// TestTransportWithoutRecorder checks that a Transport built as a zero
// value passes calls through instead of failing.
func TestTransportWithoutRecorder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	c := &http.Client{Transport: &Transport{}}
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "ok", string(b))
}

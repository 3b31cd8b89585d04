package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// LogWriter stores integration call logs; icc.IntegrationStore is one.
type LogWriter interface {
	AddIntegrationLogs(ctx context.Context, logs []icc.IntegrationLog) error
}

// RecorderConfig configures a Recorder. Store is required; other zero
// values mean defaults.
type RecorderConfig struct {
	Store LogWriter
	// Logger receives write failures and drop warnings (default: discarded).
	Logger *slog.Logger
	// Clock stamps records (default: the system clock). Latency is always
	// measured with the system's monotonic clock.
	Clock Clock
	// Buffer is how many records wait to be written (default 4096); when
	// it is full new records are dropped and counted.
	Buffer int
	// BatchSize is the most records written in one call (default 200).
	BatchSize int
	// FlushInterval is the longest a record waits for its batch (default 1s).
	FlushInterval time.Duration
	// WriteTimeout bounds one batch write (default 10s).
	WriteTimeout time.Duration
	// WarnInterval is the least time between two warnings about dropped
	// records (default 1m).
	WarnInterval time.Duration
}

// Recorder writes integration call logs asynchronously in batches. Wrap an
// http.RoundTripper with it (Wrap or Transport) to log every call; a slow
// store never slows the caller. Records that do not fit in the buffer, or
// whose write fails, are counted (Dropped) and reported in a periodic
// warning, never lost silently. Close flushes and stops it.
type Recorder struct {
	cfg     RecorderConfig
	queue   chan icc.IntegrationLog
	flushes chan chan struct{}
	quit    chan struct{}
	done    chan struct{}
	closing sync.Once

	dropped  atomic.Int64
	reported int64 // drops already warned about; owned by the drain goroutine
	lastWarn time.Time
}

// NewRecorder validates cfg and starts the recorder's writer goroutine.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Store == nil {
		return nil, icc.Invalid("store", "is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.Buffer, 4096)
	def(&cfg.BatchSize, 200)
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&cfg.FlushInterval, time.Second)
	defDur(&cfg.WriteTimeout, 10*time.Second)
	defDur(&cfg.WarnInterval, time.Minute)
	switch {
	case cfg.Buffer < 1:
		return nil, icc.Invalid("buffer", "must be positive")
	case cfg.BatchSize < 1 || cfg.BatchSize > icc.MaxLimit:
		return nil, icc.Invalid("batch_size", "must be between 1 and %d", icc.MaxLimit)
	case cfg.FlushInterval < 0 || cfg.WriteTimeout < 0 || cfg.WarnInterval < 0:
		return nil, icc.Invalid("flush_interval", "durations must not be negative")
	}
	r := &Recorder{
		cfg:     cfg,
		queue:   make(chan icc.IntegrationLog, cfg.Buffer),
		flushes: make(chan chan struct{}),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go r.drain()
	return r, nil
}

// Record queues one log entry without blocking; when the buffer is full or
// the recorder is closed the entry is dropped and counted.
func (r *Recorder) Record(l icc.IntegrationLog) {
	// A NUL byte or invalid UTF-8 in one record (a path, an error quoting a
	// body) would make the store refuse the whole batch.
	for _, f := range []*string{&l.Method, &l.Endpoint, &l.URL, &l.Error, &l.Message} {
		*f = icc.CleanText(*f)
	}
	select {
	case <-r.quit:
		r.dropped.Add(1)
		return
	default:
	}
	select {
	case r.queue <- l:
	default:
		r.dropped.Add(1)
	}
}

// Dropped returns how many records were not stored: dropped because the
// buffer was full or the recorder closed, or lost in a failed write.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Flush waits until every record queued before the call is written, or
// ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case r.flushes <- ack:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes the queued records and stops the recorder; later records
// are dropped. ctx bounds the wait.
func (r *Recorder) Close(ctx context.Context) error {
	r.closing.Do(func() { close(r.quit) })
	select {
	case <-r.done:
		// Count records that raced in after the final flush.
		for {
			select {
			case <-r.queue:
				r.dropped.Add(1)
			default:
				return nil
			}
		}
	case <-ctx.Done():
		return fmt.Errorf("recorder: close: %w", ctx.Err())
	}
}

func (r *Recorder) drain() {
	defer close(r.done)
	batch := make([]icc.IntegrationLog, 0, r.cfg.BatchSize)
	tick := time.NewTicker(r.cfg.FlushInterval)
	defer tick.Stop()
	// take moves what is queued now into batches, writing full ones.
	take := func() {
		for {
			select {
			case l := <-r.queue:
				batch = append(batch, l)
				if len(batch) == cap(batch) {
					r.write(batch)
					batch = batch[:0]
				}
			default:
				return
			}
		}
	}
	flush := func() {
		take()
		if len(batch) > 0 {
			r.write(batch)
			batch = batch[:0]
		}
		r.warnDrops(false)
	}
	for {
		select {
		case l := <-r.queue:
			batch = append(batch, l)
			if len(batch) == cap(batch) {
				r.write(batch)
				batch = batch[:0]
			}
		case <-tick.C:
			flush()
		case ack := <-r.flushes:
			flush()
			close(ack)
		case <-r.quit:
			flush()
			r.warnDrops(true)
			return
		}
	}
}

func (r *Recorder) write(batch []icc.IntegrationLog) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.WriteTimeout)
	defer cancel()
	if err := r.cfg.Store.AddIntegrationLogs(ctx, batch); err != nil {
		r.dropped.Add(int64(len(batch)))
		r.cfg.Logger.Error("integration logs not stored", "records", len(batch), "err", err)
	}
}

// warnDrops logs how many records were dropped since the last warning, at
// most once per WarnInterval unless final.
func (r *Recorder) warnDrops(final bool) {
	total := r.dropped.Load()
	if total == r.reported {
		return
	}
	now := time.Now()
	if !final && !r.lastWarn.IsZero() && now.Sub(r.lastWarn) < r.cfg.WarnInterval {
		return
	}
	r.cfg.Logger.Warn("integration logs dropped", "dropped", total-r.reported, "total", total)
	r.reported, r.lastWarn = total, now
}

// Wrap returns a Transport that logs the calls base makes for the
// integration; base nil means http.DefaultTransport. Endpoints are the
// request paths; set Transport.Endpoint to group them by route template.
func (r *Recorder) Wrap(integrationID string, base http.RoundTripper) *Transport {
	return &Transport{Base: base, IntegrationID: integrationID, Recorder: r}
}

// Transport is an http.RoundTripper that records every call through Base
// as an icc.IntegrationLog. The record is queued when the response body
// is read to its end or closed (so ResponseBytes counts what was read), or
// at once when the call fails.
type Transport struct {
	// Base makes the calls (default http.DefaultTransport).
	Base http.RoundTripper
	// IntegrationID names the integration called.
	IntegrationID string
	// Endpoint returns the route template of a request, e.g.
	// "/customers/{id}" (default: the URL path).
	Endpoint func(*http.Request) string
	// Recorder receives the records; without one the Transport only
	// passes calls to Base and records nothing.
	Recorder *Recorder
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Recorder == nil {
		return base.RoundTrip(req)
	}
	start := time.Now()
	rec := icc.IntegrationLog{
		IntegrationID: t.IntegrationID,
		Method:        req.Method,
		RequestBytes:  max(req.ContentLength, 0),
		At:            t.Recorder.cfg.Clock.Now(),
	}
	if t.Endpoint != nil {
		rec.Endpoint = t.Endpoint(req)
	} else {
		rec.Endpoint = req.URL.Path
	}
	rec.URL = safeURL(req)
	resp, err := base.RoundTrip(req)
	rec.Latency = icc.Duration(time.Since(start))
	if err != nil {
		rec.Error = truncate(err.Error(), 1000)
		rec.Level = icc.LevelError
		t.Recorder.Record(rec)
		return nil, err
	}
	rec.StatusCode = resp.StatusCode
	switch {
	case resp.StatusCode >= 500:
		rec.Level = icc.LevelError
	case resp.StatusCode >= 400:
		rec.Level = icc.LevelWarn
	default:
		rec.Level = icc.LevelInfo
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		t.Recorder.Record(rec)
		return resp, nil
	}
	resp.Body = &countingBody{rc: resp.Body, rec: rec, r: t.Recorder}
	return resp, nil
}

// safeURL is the address called without credentials, query or fragment,
// which may carry secrets.
func safeURL(req *http.Request) string {
	u := *req.URL
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// countingBody counts response bytes and records the call once, at EOF, a
// read error or Close.
type countingBody struct {
	rc   io.ReadCloser
	rec  icc.IntegrationLog
	r    *Recorder
	n    atomic.Int64 // Close may race with Read
	once sync.Once
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n.Add(int64(n))
	if err != nil {
		if err != io.EOF {
			b.rec.Error = truncate("read body: "+err.Error(), 1000)
			b.rec.Level = icc.LevelError
		}
		b.finish()
	}
	return n, err
}

func (b *countingBody) Close() error {
	err := b.rc.Close()
	b.finish()
	return err
}

func (b *countingBody) finish() {
	b.once.Do(func() {
		b.rec.ResponseBytes = b.n.Load()
		b.r.Record(b.rec)
	})
}

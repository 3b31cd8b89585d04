package monitor

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever timers change
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	c   chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.signal()
	return t
}

func (c *fakeClock) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	c := t.clk
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			c.signal()
			return true
		}
	}
	return false
}

// Advance moves the clock on and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.now
	}
	c.timers = kept
	c.signal()
}

// waitTimers waits until exactly n timers are pending.
func (c *fakeClock) waitTimers(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		got, ch := len(c.timers), c.changed
		c.mu.Unlock()
		if got == n {
			return
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Millisecond): // re-check: state may lag the timers
		case <-deadline:
			t.Fatalf("waiting for %d pending timers, have %d", n, got)
		}
	}
}

// waitFor waits until cond holds, re-checking whenever the timers change.
func (c *fakeClock) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Millisecond): // re-check: cond may change without a timer change
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// env is a monitor on a memory backend driven by a fake clock.
type env struct {
	clock *fakeClock
	store *memory.Store
	mon   *Monitor
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{clock: newFakeClock()}
	e.store = memory.New(memory.WithClock(e.clock.Now))
	if cfg.Store == nil {
		cfg.Store = e.store
	}
	if cfg.Clock == nil {
		cfg.Clock = e.clock
	}
	if cfg.Bus == nil {
		cfg.Bus = e.store
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	e.mon = e.newMonitor(t, cfg)
	return e
}

func (e *env) newMonitor(t *testing.T, cfg Config) *Monitor {
	t.Helper()
	m, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, m.Close(ctx))
	})
	return m
}

// addIntegration stores an enabled HTTP integration checking url.
func (e *env) addIntegration(t *testing.T, name, url string, mod func(*icc.Integration)) *icc.Integration {
	t.Helper()
	in := &icc.Integration{
		Name:    name,
		Kind:    icc.KindCRM,
		Enabled: true,
		Check: icc.CheckSpec{
			Type: icc.CheckHTTP, URL: url, Conditions: []string{"status == 200"},
			Interval: icc.Duration(10 * time.Second), Timeout: icc.Duration(2 * time.Second),
		},
	}
	if mod != nil {
		mod(in)
	}
	require.NoError(t, e.store.CreateIntegration(context.Background(), in))
	return in
}

func (e *env) status(t *testing.T, id string) icc.IntegrationStatus {
	t.Helper()
	in, err := e.store.GetIntegration(context.Background(), id)
	require.NoError(t, err)
	return in.Status
}

func (e *env) results(t *testing.T, id string) []icc.CheckResult {
	t.Helper()
	p, err := e.store.ListCheckResults(context.Background(), icc.CheckResultFilter{IntegrationID: id, Limit: icc.MaxLimit})
	require.NoError(t, err)
	return p.Items
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLogger logs through t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

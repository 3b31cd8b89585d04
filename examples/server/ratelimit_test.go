package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// newRateServer returns a server on the memory backend and a fake clock
// for its limits.
func newRateServer(t *testing.T) (*server, *fakeClock, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	s := newServer(b, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return s, &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, logs
}

func TestRateLimiterSlidingWindow(t *testing.T) {
	s, clock, _ := newRateServer(t)
	ctx := t.Context()
	l := newRateLimiter(3, time.Minute, clock.Now)
	for range 3 {
		assert.Zero(t, s.rateWait(ctx, l, "k"))
		s.rateAdd(ctx, l, "k")
		clock.Advance(10 * time.Second)
	}
	// Events at 0s, 10s and 20s; now 30s: the first frees up at 60s.
	assert.Equal(t, 30*time.Second, s.rateWait(ctx, l, "k"))
	assert.Zero(t, s.rateWait(ctx, l, "other"), "keys are independent")
	clock.Advance(30 * time.Second)
	assert.Zero(t, s.rateWait(ctx, l, "k"))
	s.rateAdd(ctx, l, "k")
	assert.Equal(t, 10*time.Second, s.rateWait(ctx, l, "k"), "now the 10s event is the oldest that counts")

	s.rateReset(ctx, "k")
	assert.Zero(t, s.rateWait(ctx, l, "k"))
}

func TestRateLimiterAllow(t *testing.T) {
	s, clock, _ := newRateServer(t)
	ctx := t.Context()
	l := newRateLimiter(2, time.Minute, clock.Now)
	ok, _ := s.rateAllow(ctx, l, "ip")
	assert.True(t, ok)
	ok, _ = s.rateAllow(ctx, l, "ip")
	assert.True(t, ok)
	ok, d := s.rateAllow(ctx, l, "ip")
	assert.False(t, ok)
	assert.Equal(t, time.Minute, d)
	clock.Advance(time.Minute)
	ok, _ = s.rateAllow(ctx, l, "ip")
	assert.True(t, ok)
}

// TestRateLimiterBackendClock: without a clock of its own, a limit is
// timed by the backend's.
func TestRateLimiterBackendClock(t *testing.T) {
	s, _, _ := newRateServer(t)
	ctx := t.Context()
	l := newRateLimiter(1, time.Hour, nil)
	ok, _ := s.rateAllow(ctx, l, "ip")
	require.True(t, ok)
	ok, d := s.rateAllow(ctx, l, "ip")
	assert.False(t, ok)
	assert.InDelta(t, time.Hour, d, float64(time.Minute))
}

// failingRates is a rate limiter whose backend is down.
type failingRates struct{}

var errRatesDown = icc.Unavailable(nil, "database unavailable")

func (failingRates) HitRate(context.Context, icc.RateLimit) (icc.RateDecision, error) {
	return icc.RateDecision{}, errRatesDown
}

func (failingRates) CheckRate(context.Context, icc.RateLimit) (icc.RateDecision, error) {
	return icc.RateDecision{}, errRatesDown
}

func (failingRates) AddRate(context.Context, icc.RateLimit) (icc.RateDecision, error) {
	return icc.RateDecision{}, errRatesDown
}

func (failingRates) ResetRate(context.Context, string) error { return errRatesDown }

// TestRateLimitsFailOpen: when the backend cannot count, sign-ins and the
// public ticket form go on, unlimited, with a warning in the log, rather
// than everyone being locked out.
func TestRateLimitsFailOpen(t *testing.T) {
	e := newDeskEnv(t)
	e.s.rates = failingRates{}
	c := e.anon()
	for range 2 * loginFailures {
		requireError(t, c.do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": "wrong-password"}), 401, "unauthorized", "")
	}
	e.asAgent()
	for range publicTicketsPerWindow + 1 {
		w := c.do("POST", "/api/public/tickets", map[string]string{"subject": "Help", "customer_email": "widget@test.example"})
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	}
	logged := logLines(t, e.logs.String(), "rate limits not applied: the backend failed")
	require.Len(t, logged, 1, "once a minute, not once per request")
	assert.Equal(t, "ERROR", logged[0]["level"])
	assert.Contains(t, logged[0]["err"], "database unavailable")
	assert.Equal(t, "login", logged[0]["kind"])
	assert.NotContains(t, e.logs.String(), e.agent.Email+`","err`, "no email in the log line")
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	assert.Equal(t, "2001:db8::1", clientIP(r), "forwarding headers are not trusted")
	r.RemoteAddr = "pipe"
	assert.Equal(t, "pipe", clientIP(r))
}

func TestProxyListClientIP(t *testing.T) {
	trusted, err := parseTrustedProxies("10.0.0.0/8, 192.0.2.10, fd00::/8, 2001:db8::53")
	require.NoError(t, err)
	tests := []struct {
		name    string
		proxies proxyList
		remote  string
		xff     []string // X-Forwarded-For headers, in order
		want    string
	}{
		{"no proxies: header ignored", nil, "10.0.0.1:5000", []string{"198.51.100.1"}, "10.0.0.1"},
		{"no proxies: IPv6 peer", nil, "[2001:db8::1]:443", []string{"198.51.100.1"}, "2001:db8::1"},
		{"untrusted peer: spoofed header ignored", trusted, "203.0.113.5:5000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"untrusted peer: trusted-looking header ignored", trusted, "203.0.113.5:5000", []string{"10.0.0.9"}, "203.0.113.5"},
		{"trusted peer without header", trusted, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"trusted peer", trusted, "10.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"single trusted IP", trusted, "192.0.2.10:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"next to a trusted IP is not trusted", trusted, "192.0.2.11:80", []string{"198.51.100.1"}, "192.0.2.11"},
		{"client's own header is skipped", trusted, "10.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"multiple proxies", trusted, "10.0.0.1:5000", []string{"198.51.100.1, 10.0.0.2, 192.0.2.10"}, "198.51.100.1"},
		{"multiple headers are one list", trusted, "10.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1", "10.0.0.2"}, "198.51.100.1"},
		{"all trusted: the left-most", trusted, "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"no spaces", trusted, "10.0.0.1:5000", []string{"198.51.100.1,10.0.0.2"}, "198.51.100.1"},
		{"entry with a port", trusted, "10.0.0.1:5000", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 peer and client", trusted, "[fd00::1]:443", []string{"2001:db8::7, fd00::2"}, "2001:db8::7"},
		{"IPv6 client in brackets with port", trusted, "[fd00::1]:443", []string{"[2001:DB8::7]:4711"}, "2001:db8::7"},
		{"IPv6 single trusted IP", trusted, "[2001:db8::53]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped peer and client", trusted, "[::ffff:10.0.0.1]:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"IPv6 peer with zone", proxyList{netip.MustParsePrefix("fe80::/10")}, "[fe80::1%eth0]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"malformed client entry stops at its proxy", trusted, "10.0.0.1:5000", []string{"198.51.100.1, unknown, 10.0.0.2"}, "10.0.0.2"},
		{"malformed last entry: the peer", trusted, "10.0.0.1:5000", []string{"198.51.100.1, not an ip"}, "10.0.0.1"},
		{"empty entry: the peer", trusted, "10.0.0.1:5000", []string{"198.51.100.1,"}, "10.0.0.1"},
		{"empty header: the peer", trusted, "10.0.0.1:5000", []string{""}, "10.0.0.1"},
		{"garbage to the left is never read", trusted, "10.0.0.1:5000", []string{"<script>, 999.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"unparsable peer", trusted, "pipe", []string{"198.51.100.1"}, "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			assert.Equal(t, tt.want, tt.proxies.clientIP(r))
		})
	}
}

func TestClientIPBehindTrustedProxy(t *testing.T) {
	s, _, logs := newTestServer(t)
	s.trustedProxies = proxyList{netip.MustParsePrefix("10.0.0.0/8")}
	var seen []string
	s.handle("GET /ip", func(w http.ResponseWriter, r *http.Request) error {
		seen = append(seen, clientIP(r))
		return nil
	})
	for _, remote := range []string{"10.1.2.3:443", "203.0.113.5:443"} {
		r := httptest.NewRequest("GET", "/ip", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		serveOnce(s, r)
	}
	assert.Equal(t, []string{"198.51.100.7", "203.0.113.5"}, seen, "from the proxy, the forwarded IP; from others, their own")
	var remotes []any
	for _, rec := range logLines(t, logs.String(), "http request") {
		remotes = append(remotes, rec["remote"])
	}
	assert.Equal(t, []any{"198.51.100.7", "203.0.113.5"}, remotes, "the access log shows the same client IP")
}

func TestRunTrustedProxies(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0", "-log-format", "json", "-demo=false"},
		map[string]string{"ICC_TRUSTED_PROXIES": "127.0.0.1"})
	assert.Contains(t, r.stderr.String(), "client IPs taken from X-Forwarded-For of trusted proxies")
	req, err := http.NewRequest("GET", r.url+"/no-such-page", nil)
	require.NoError(t, err)
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NoError(t, r.wait(t))
	assert.Contains(t, r.stderr.String(), `"remote":"198.51.100.23"`, "the access log names the forwarded client")
}

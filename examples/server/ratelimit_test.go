package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRateLimiterSlidingWindow(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(3, time.Minute, clock.Now)
	for range 3 {
		assert.Zero(t, l.wait("k"))
		l.add("k")
		clock.Advance(10 * time.Second)
	}
	// Events at 0s, 10s and 20s; now 30s: the first frees up at 60s.
	assert.Equal(t, 30*time.Second, l.wait("k"))
	assert.Zero(t, l.wait("other"), "keys are independent")
	clock.Advance(30 * time.Second)
	assert.Zero(t, l.wait("k"))
	l.add("k")
	assert.Equal(t, 10*time.Second, l.wait("k"), "now the 10s event is the oldest that counts")

	l.reset("k")
	assert.Zero(t, l.wait("k"))
}

func TestRateLimiterAllow(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(2, time.Minute, clock.Now)
	ok, _ := l.allow("ip")
	assert.True(t, ok)
	ok, _ = l.allow("ip")
	assert.True(t, ok)
	ok, d := l.allow("ip")
	assert.False(t, ok)
	assert.Equal(t, time.Minute, d)
	clock.Advance(time.Minute)
	ok, _ = l.allow("ip")
	assert.True(t, ok)
}

func TestRateLimiterForgetsOldKeys(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(5, time.Minute, clock.Now)
	for _, k := range []string{"a", "b", "c"} {
		l.add(k)
	}
	clock.Advance(2 * time.Minute)
	l.add("d") // sweeps
	l.mu.Lock()
	defer l.mu.Unlock()
	assert.Len(t, l.hits, 1)
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	assert.Equal(t, "2001:db8::1", clientIP(r), "forwarding headers are not trusted")
	r.RemoteAddr = "pipe"
	assert.Equal(t, "pipe", clientIP(r))
}

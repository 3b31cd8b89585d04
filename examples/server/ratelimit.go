package main

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// maxRateKeys bounds how many keys a rateLimiter tracks, so that a flood of
// distinct keys cannot grow memory without limit; past it the oldest-looking
// keys are dropped at the next sweep.
const maxRateKeys = 100_000

// rateLimiter allows at most limit events per key within any sliding window
// of the given length, e.g. 5 failed sign-ins per email per minute. It keeps
// the times of the last limit events of each key and forgets keys whose
// events are all older than the window. It is safe for concurrent use.
type rateLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	hits  map[string][]time.Time // per key, oldest first, at most limit
	swept time.Time
}

// newRateLimiter returns a limiter of limit events per window; now tells the
// time (time.Now when nil).
func newRateLimiter(limit int, window time.Duration, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{limit: limit, window: window, now: now, hits: make(map[string][]time.Time)}
}

// recent returns key's events within the window; l.mu must be held.
func (l *rateLimiter) recent(key string, now time.Time) []time.Time {
	hs := l.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= l.window {
		i++
	}
	if i == len(hs) {
		delete(l.hits, key)
		return nil
	}
	hs = hs[i:]
	l.hits[key] = hs
	return hs
}

// wait reports how long key must wait before one more event is allowed:
// zero when it is allowed now.
func (l *rateLimiter) wait(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waitLocked(key, l.now())
}

func (l *rateLimiter) waitLocked(key string, now time.Time) time.Duration {
	hs := l.recent(key, now)
	if len(hs) < l.limit {
		return 0
	}
	return hs[len(hs)-l.limit].Add(l.window).Sub(now)
}

// add records one event for key, such as a failed sign-in.
func (l *rateLimiter) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	hs := append(l.recent(key, now), now)
	if len(hs) > l.limit {
		hs = hs[len(hs)-l.limit:]
	}
	l.hits[key] = hs
}

// allow records an event for key when the limit permits it and reports
// whether it did; otherwise it returns how long to wait.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if d := l.waitLocked(key, now); d > 0 {
		return false, d
	}
	l.sweep(now)
	l.hits[key] = append(l.hits[key], now)
	return true, 0
}

// reset forgets key's events, e.g. after a successful sign-in.
func (l *rateLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// sweep drops keys with no event in the window, at most once per window or
// when too many keys are tracked; l.mu must be held.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.window && len(l.hits) < maxRateKeys {
		return
	}
	l.swept = now
	for k := range l.hits {
		l.recent(k, now)
	}
	// Still too many live keys: forget arbitrary ones rather than grow.
	for k := range l.hits {
		if len(l.hits) < maxRateKeys {
			break
		}
		delete(l.hits, k)
	}
}

type clientIPKey struct{}

// clientIP returns the IP of the client that sent r, as the per-IP limits
// and the access log see it: the one withClientIP found, or, for a request
// that did not pass through it, the host part of the remote address.
func clientIP(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return peerHost(r)
}

// peerHost returns the host part of the request's remote address.
func peerHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withClientIP finds each request's client IP with s.trustedProxies and
// keeps it in the request's context for clientIP.
func (s *server) withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.trustedProxies) == 0 {
			next.ServeHTTP(w, r) // clientIP falls back to the peer's address
			return
		}
		ip := s.trustedProxies.clientIP(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip)))
	})
}

// proxyList is the -trusted-proxies setting: the proxies whose
// X-Forwarded-For header is believed. The zero value trusts no one.
type proxyList []netip.Prefix

// trusts reports whether a is one of the proxies.
func (l proxyList) trusts(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the IP of the client that sent r. Unless the peer (the
// remote address) is a trusted proxy, that is the peer's host, and any
// forwarding header is ignored, since a client can send any. From a trusted
// proxy, the X-Forwarded-For addresses (every such header, in order) are
// walked from the right, the end that trusted proxies appended to, past
// those that are trusted proxies themselves: the first untrusted one is
// the client, or the left-most when all are trusted. A malformed entry
// ends the walk at the trusted address to its right, since what lies to
// its left cannot be told from what a client made up. Addresses from the
// header are returned in canonical form, IPv4-mapped IPv6 ones as IPv4.
func (l proxyList) clientIP(r *http.Request) string {
	if len(l) == 0 {
		return peerHost(r)
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !l.trusts(peer.Addr()) {
		return peerHost(r)
	}
	client := peer.Addr().Unmap().WithZone("")
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseForwarded(hops[i])
		if !ok {
			break
		}
		client = a
		if !l.trusts(a) {
			break
		}
	}
	return client.String()
}

// parseForwarded reads one X-Forwarded-For entry: an IP, or an IP with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711"), as some proxies write.
func parseForwarded(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// writeRateLimited answers 429 with a Retry-After header (whole seconds,
// rounded up) and the JSON error code "rate_limited".
func writeRateLimited(w http.ResponseWriter, s *server, wait time.Duration, what string) {
	secs := int((wait + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, s.logger, http.StatusTooManyRequests, icc.ErrorBody{Error: icc.ErrorDetail{
		Code:    "rate_limited",
		Message: what + "; try again in " + strconv.Itoa(secs) + "s",
	}})
}

package main

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// rateLimiter is one of the server's limits: at most limit events per key
// within any sliding window of the given length, e.g. 5 failed sign-ins
// per email per minute. The events are counted by the server's backend
// (server.rates, an icc.RateLimiter), not in this process: every instance
// sharing a store counts together, and with PostgreSQL a restart forgets
// nothing. Limits that count different things must use different key
// prefixes ("login:", "ticket:", "chat:"), since they share the backend.
type rateLimiter struct {
	limit  int
	window time.Duration
	// now times the events; nil leaves it to the backend's clock (the
	// database's with PostgreSQL). Tests set it.
	now func() time.Time
}

// newRateLimiter returns a limit of limit events per window; now tells the
// time (the backend's clock when nil).
func newRateLimiter(limit int, window time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, now: now}
}

// of returns the backend's question about key under l.
func (l *rateLimiter) of(key string) icc.RateLimit {
	rl := icc.RateLimit{Key: key, Limit: l.limit, Window: l.window}
	if l.now != nil {
		rl.Now = l.now()
	}
	return rl
}

// The rate* methods below count through s.rates and fail open: when the
// backend cannot answer (the database is down), the request goes through
// and a warning is logged, rather than everyone being locked out.

// rateWait reports how long key must wait under l before one more event is
// allowed: zero when it is allowed now.
func (s *server) rateWait(ctx context.Context, l *rateLimiter, key string) time.Duration {
	d, err := s.rates.CheckRate(ctx, l.of(key))
	if err != nil {
		s.rateFailed(ctx, key, err)
		return 0
	}
	return d.RetryAfter
}

// rateAdd records one event for key under l, such as a failed sign-in.
func (s *server) rateAdd(ctx context.Context, l *rateLimiter, key string) {
	if _, err := s.rates.AddRate(ctx, l.of(key)); err != nil {
		s.rateFailed(ctx, key, err)
	}
}

// rateAllow records an event for key when l permits it and reports whether
// it did; otherwise it returns how long to wait.
func (s *server) rateAllow(ctx context.Context, l *rateLimiter, key string) (bool, time.Duration) {
	d, err := s.rates.HitRate(ctx, l.of(key))
	if err != nil {
		s.rateFailed(ctx, key, err)
		return true, 0
	}
	return d.Allowed, d.RetryAfter
}

// rateReset forgets key's events, e.g. after a successful sign-in.
func (s *server) rateReset(ctx context.Context, key string) {
	if err := s.rates.ResetRate(ctx, key); err != nil {
		s.rateFailed(ctx, key, err)
	}
}

// rateFailLogEvery is how often, at most, a failing rate limit store is
// logged: while the database is down every request would otherwise log.
const rateFailLogEvery = time.Minute

// rateFailed notes that a rate limit could not be counted or checked, and
// so was not applied: an error log at most once per rateFailLogEvery,
// with how many failures it covers and the limit's kind (the key's part
// before its first colon, never the key: it may hold an email address).
func (s *server) rateFailed(ctx context.Context, key string, err error) {
	n := s.rateFails.Add(1)
	now := time.Now().UnixNano()
	last := s.rateFailLogged.Load()
	if now-last < int64(rateFailLogEvery) || !s.rateFailLogged.CompareAndSwap(last, now) {
		return
	}
	s.rateFails.Add(-n)
	kind, _, _ := strings.Cut(key, ":")
	s.logger.ErrorContext(ctx, "rate limits not applied: the backend failed", "failures", n, "kind", kind, "err", err)
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

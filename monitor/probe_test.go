package monitor

import (
	"context"
	"errors"
	"io"
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

// hangingServer answers nothing until the request ends or the test does.
func hangingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

func httpSpec(url string, conds ...string) icc.CheckSpec {
	return icc.CheckSpec{Type: icc.CheckHTTP, URL: url, Conditions: conds,
		Interval: icc.Duration(10 * time.Second), Timeout: icc.Duration(2 * time.Second)}
}

func TestHTTPProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			assert.Equal(t, "secret", r.Header.Get("X-Token"))
			body, _ := io.ReadAll(r.Body)
			assert.Equal(t, `{"ping":1}`, string(body))
			assert.Equal(t, http.MethodPost, r.Method)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok","data":{"items":[{"id":"x"}]},"count":4}`)
		case "/moved":
			http.Redirect(w, r, "/plain", http.StatusFound)
		case "/plain":
			_, _ = io.WriteString(w, "fine")
		case "/big":
			_, _ = io.WriteString(w, `{"s":"`+strings.Repeat("a", MaxBodyBytes)+`"}`)
		default:
			http.Error(w, "boom", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	spec := httpSpec(srv.URL+"/health", "status == 200", `json.status == "ok"`, `json.data.items.0.id != ""`, "json.count >= 3", "latency < 2s")
	spec.Method, spec.Body, spec.Headers = "post", `{"ping":1}`, map[string]string{"X-Token": "secret"}
	p, err := NewProbe(spec, nil)
	require.NoError(t, err)
	res := p.Check(ctx)
	require.NoError(t, res.Err)
	assert.True(t, res.OK)
	assert.Equal(t, 200, res.StatusCode)
	assert.Positive(t, res.Latency)

	p, err = NewProbe(httpSpec(srv.URL+"/down", "status == 200"), nil)
	require.NoError(t, err)
	res = p.Check(ctx)
	assert.False(t, res.OK)
	assert.Equal(t, 503, res.StatusCode)
	assert.ErrorContains(t, res.Err, "`status == 200` failed: status is 503")

	// Without conditions a status of 400 or more fails.
	p, err = NewProbe(httpSpec(srv.URL+"/down"), nil)
	require.NoError(t, err)
	assert.False(t, p.Check(ctx).OK)

	// Redirects are not followed unless asked.
	p, err = NewProbe(httpSpec(srv.URL+"/moved", "status == 302"), nil)
	require.NoError(t, err)
	assert.True(t, p.Check(ctx).OK)
	follow := httpSpec(srv.URL+"/moved", "status == 200")
	follow.FollowRedirects = true
	p, err = NewProbe(follow, nil)
	require.NoError(t, err)
	assert.True(t, p.Check(ctx).OK)

	// The body read is limited; JSON conditions on a cut body fail.
	p, err = NewProbe(httpSpec(srv.URL+"/big", `json.s != ""`), nil)
	require.NoError(t, err)
	res = p.Check(ctx)
	assert.False(t, res.OK)
	assert.ErrorContains(t, res.Err, "limit")

	_, err = NewProbe(httpSpec(srv.URL, "status = 200"), nil)
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
}

func TestHTTPProbeTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	spec := httpSpec(srv.URL, "status == 200")
	p, err := NewProbe(spec, nil)
	require.NoError(t, err)
	res := p.Check(context.Background())
	assert.False(t, res.OK, "a self-signed certificate fails verification")
	assert.ErrorContains(t, res.Err, "certificate")

	spec.TLSSkipVerify = true
	p, err = NewProbe(spec, nil)
	require.NoError(t, err)
	assert.True(t, p.Check(context.Background()).OK)
}

func TestProbeTimeoutAndCancel(t *testing.T) {
	srv := hangingServer(t)
	spec := httpSpec(srv.URL)
	spec.Timeout = icc.Duration(50 * time.Millisecond)
	p, err := NewProbe(spec, nil)
	require.NoError(t, err)
	res := p.Check(context.Background())
	assert.False(t, res.OK)
	assert.ErrorContains(t, res.Err, "timed out")

	// Cancelling the context ends a probe with a long timeout at once.
	p, err = NewProbe(httpSpec(srv.URL), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- p.Check(ctx) }()
	cancel()
	select {
	case res := <-done:
		assert.False(t, res.OK)
		assert.ErrorIs(t, res.Err, context.Canceled)
	case <-time.After(time.Second): // far below the probe's 2s timeout
		t.Fatal("probe ignored cancellation")
	}
}

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	spec := icc.CheckSpec{Type: icc.CheckTCP, Address: addr, Conditions: []string{"latency < 2s"}}
	p, err := NewProbe(spec, nil)
	require.NoError(t, err)
	assert.True(t, p.Check(context.Background()).OK)

	require.NoError(t, ln.Close())
	res := p.Check(context.Background())
	assert.False(t, res.OK)
	assert.Error(t, res.Err)

	_, err = NewProbe(icc.CheckSpec{Type: icc.CheckTCP, Address: addr, Conditions: []string{"status == 200"}}, nil)
	assert.ErrorContains(t, err, "only latency conditions")
}

func TestFuncProbe(t *testing.T) {
	funcs := map[string]CheckFunc{
		"ok":    func(context.Context) error { return nil },
		"fail":  func(context.Context) error { return errors.New("erp queue stuck") },
		"panic": func(context.Context) error { panic("bad") },
		"slow": func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		},
	}
	spec := func(name string) icc.CheckSpec {
		return icc.CheckSpec{Type: icc.CheckFunc, Func: name, Interval: icc.Duration(time.Second), Timeout: icc.Duration(50 * time.Millisecond)}
	}
	for name, want := range map[string]string{"ok": "", "fail": "erp queue stuck", "panic": "panicked", "slow": "timed out"} {
		p, err := NewProbe(spec(name), funcs)
		require.NoError(t, err)
		res := p.Check(context.Background())
		if want == "" {
			assert.True(t, res.OK, name)
			continue
		}
		assert.False(t, res.OK, name)
		assert.ErrorContains(t, res.Err, want, name)
	}
	_, err := NewProbe(spec("nope"), funcs)
	assert.ErrorContains(t, err, `no check function "nope"`)
}

package monitor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// MaxBodyBytes is how much of a response body an HTTP probe reads; a
// longer body is cut there and JSON conditions on it fail.
const MaxBodyBytes = 1 << 20

// CheckFunc is a custom check: it returns nil when the integration is
// healthy. It must return promptly once ctx is done.
type CheckFunc func(ctx context.Context) error

// Probe checks one integration once.
type Probe interface {
	// Check runs the probe, bounded by its timeout and by ctx.
	Check(ctx context.Context) Result
}

// Result is the outcome of one probe.
type Result struct {
	// OK is true when the probe succeeded and every condition held.
	OK bool
	// Latency is how long the probe took.
	Latency time.Duration
	// StatusCode is the HTTP status of an HTTP probe.
	StatusCode int
	// Err says why the probe failed.
	Err error
}

// NewProbe compiles spec into a probe: its conditions are parsed here,
// once. funcs resolves a func check's name. A bad spec or condition is
// an icc.EINVALID error.
func NewProbe(spec icc.CheckSpec, funcs map[string]CheckFunc) (Probe, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	conds := make([]Condition, 0, len(spec.Conditions))
	for _, s := range spec.Conditions {
		c, err := ParseCondition(s)
		if err != nil {
			return nil, err
		}
		if spec.Type != icc.CheckHTTP && c.subj != subjLatency {
			return nil, icc.Invalid("check.conditions", "condition %s: only latency conditions apply to %s checks", quoteCond(c.src), spec.Type)
		}
		conds = append(conds, c)
	}
	timeout := spec.Timeout.Std()
	switch spec.Type {
	case icc.CheckHTTP:
		return newHTTPProbe(spec, conds), nil
	case icc.CheckTCP:
		return &tcpProbe{addr: spec.Address, timeout: timeout, conds: conds}, nil
	case icc.CheckFunc:
		f := funcs[spec.Func]
		if f == nil {
			return nil, icc.Invalid("check.func", "no check function %q is registered", spec.Func)
		}
		return &funcProbe{name: spec.Func, f: f, timeout: timeout, conds: conds}, nil
	}
	return nil, icc.Invalid("check.type", "check type %q cannot be probed", spec.Type)
}

type httpProbe struct {
	spec     icc.CheckSpec
	client   *http.Client
	conds    []Condition
	readBody bool
}

func newHTTPProbe(spec icc.CheckSpec, conds []Condition) *httpProbe {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Each check measures a fresh connection and keeps none open between
	// checks, so a probe holds no resources when idle.
	tr.DisableKeepAlives = true
	if spec.TLSSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the check spec
	}
	client := &http.Client{Transport: tr}
	if !spec.FollowRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	p := &httpProbe{spec: spec, client: client, conds: conds}
	for _, c := range conds {
		p.readBody = p.readBody || c.usesBody()
	}
	return p
}

func (p *httpProbe) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, p.spec.Timeout.Std())
	defer cancel()
	start := time.Now()
	var body io.Reader
	if p.spec.Body != "" {
		body = strings.NewReader(p.spec.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.spec.Method, p.spec.URL, body)
	if err != nil {
		return Result{Err: fmt.Errorf("build request: %w", err)}
	}
	for k, v := range p.spec.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: probeErr(ctx, err)}
	}
	defer resp.Body.Close()
	obs := Observation{StatusCode: resp.StatusCode}
	if p.readBody {
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
		if err != nil {
			return Result{Latency: time.Since(start), StatusCode: resp.StatusCode, Err: fmt.Errorf("read body: %w", probeErr(ctx, err))}
		}
		if len(b) > MaxBodyBytes {
			b, obs.Truncated = b[:MaxBodyBytes], true
		}
		obs.Body = b
	} else {
		// Read a little so the server sees a complete exchange, no more.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	obs.Latency = time.Since(start)
	res := Result{OK: true, Latency: obs.Latency, StatusCode: resp.StatusCode}
	if len(p.conds) == 0 && resp.StatusCode >= 400 {
		res.OK, res.Err = false, fmt.Errorf("status %d", resp.StatusCode)
	}
	return evalAll(res, p.conds, &obs)
}

type tcpProbe struct {
	addr    string
	timeout time.Duration
	conds   []Condition
}

func (p *tcpProbe) Check(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	lat := time.Since(start)
	if err != nil {
		return Result{Latency: lat, Err: probeErr(ctx, err)}
	}
	_ = conn.Close()
	return evalAll(Result{OK: true, Latency: lat}, p.conds, &Observation{Latency: lat})
}

type funcProbe struct {
	name    string
	f       CheckFunc
	timeout time.Duration
	conds   []Condition
}

func (p *funcProbe) Check(ctx context.Context) (res Result) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			res = Result{Latency: time.Since(start), Err: fmt.Errorf("check function %q panicked: %v", p.name, v)}
		}
	}()
	err := p.f(ctx)
	lat := time.Since(start)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return Result{Latency: lat, Err: probeErr(ctx, err)}
	}
	return evalAll(Result{OK: true, Latency: lat}, p.conds, &Observation{Latency: lat})
}

// evalAll applies the conditions to a probe that got an answer.
func evalAll(res Result, conds []Condition, obs *Observation) Result {
	if !res.OK {
		return res
	}
	for _, c := range conds {
		if err := c.eval(obs); err != nil {
			res.OK, res.Err = false, err
			return res
		}
	}
	return res
}

// probeErr names a timeout as such.
func probeErr(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

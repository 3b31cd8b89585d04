package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// WebhookConfig configures a webhook notifier. URL is required; other zero
// values mean defaults.
type WebhookConfig struct {
	// URL receives each notice as a JSON POST of an AlertNotice.
	URL string
	// Headers are added to every request, e.g. an authorization token.
	Headers map[string]string
	// Client sends the requests (default: a client with a 10s timeout).
	Client *http.Client
	// Attempts is how many times a notice is tried (default 4, at most 10).
	// Network errors, 429 and 5xx answers are retried; other answers are not.
	Attempts int
	// Backoff is the wait before the first retry (default 1s); it doubles
	// for each further retry up to MaxBackoff (default 30s).
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Webhook is a Notifier that posts notices to a URL.
type Webhook struct{ cfg WebhookConfig }

// NewWebhook validates cfg and returns a webhook notifier.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, icc.Invalid("url", "must be an absolute http or https URL")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	switch {
	case cfg.Attempts < 1 || cfg.Attempts > 10:
		return nil, icc.Invalid("attempts", "must be between 1 and 10")
	case cfg.Backoff < 0 || cfg.MaxBackoff < cfg.Backoff:
		return nil, icc.Invalid("backoff", "must be positive and at most max_backoff")
	}
	return &Webhook{cfg: cfg}, nil
}

// Notify posts n, retrying with backoff as configured.
func (w *Webhook) Notify(ctx context.Context, n AlertNotice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("webhook: encode notice: %w", err)
	}
	wait := w.cfg.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retry || attempt == w.cfg.Attempts {
			return fmt.Errorf("webhook: attempt %d of %d: %w", attempt, w.cfg.Attempts, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("webhook: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, w.cfg.MaxBackoff)
	}
}

func (w *Webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("status %d", resp.StatusCode)
}

// LogNotifier is a Notifier that writes notices to a structured log.
type LogNotifier struct {
	// Logger receives the notices; nil discards them.
	Logger *slog.Logger
}

// Notify logs n at warn level when an alert fires and info otherwise.
func (l LogNotifier) Notify(ctx context.Context, n AlertNotice) error {
	if l.Logger == nil {
		return nil
	}
	level := slog.LevelInfo
	if n.Event == NoticeFired {
		level = slog.LevelWarn
	}
	l.Logger.Log(ctx, level, "alert "+n.Event,
		"alert", n.Alert.ID, "integration", n.Alert.IntegrationID, "name", n.Integration,
		"rule", n.Alert.Rule, "severity", n.Alert.Severity, "state", n.Alert.State,
		"count", n.Alert.Count, "summary", n.Alert.Summary)
	return nil
}

// BusNotifier is a Notifier that publishes notices on icc.TopicAlerts as
// events of type "alert.fired", "alert.acknowledged" or "alert.resolved",
// for dashboards. The monitor adds one itself when Config.Bus is set.
type BusNotifier struct {
	Bus icc.Bus
	// Origin identifies the publishing process.
	Origin string
}

// Notify publishes n.
func (b *BusNotifier) Notify(ctx context.Context, n AlertNotice) error {
	data, err := json.Marshal(map[string]any{
		"integration_id": n.Alert.IntegrationID,
		"integration":    truncate(n.Integration, 100),
		"rule":           n.Alert.Rule,
		"state":          n.Alert.State,
		"severity":       n.Alert.Severity,
		"summary":        truncate(n.Alert.Summary, 300),
		"count":          n.Alert.Count,
	})
	if err != nil {
		return err
	}
	e := icc.Event{Topic: icc.TopicAlerts, Type: "alert." + n.Event, ID: n.Alert.ID, Data: data, Origin: b.Origin, At: time.Now()}
	if err := b.Bus.Publish(ctx, e); err != nil {
		return fmt.Errorf("bus: %w", err)
	}
	return nil
}

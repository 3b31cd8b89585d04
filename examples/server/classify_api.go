package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// Classifier settings of the reference server.
const (
	// geminiStepTimeout is how long the chain waits for Gemini before it
	// answers with the offline classifier.
	geminiStepTimeout = 4 * time.Second
	// classifyCacheSize is how many Gemini answers are cached.
	classifyCacheSize = 2048
)

// newClassifier returns the server's classifier, the part of it that
// learns from corrections and the offline model that retrains from them:
// opts.Classifier when set (learning when it has a Learn method, never
// retrained), else the offline model alone, or, with a Gemini API key, a
// cache over a chain of Gemini then the offline model.
func newClassifier(ctx context.Context, opts deskOptions, logger *slog.Logger) (classify.Classifier, learner, *offlineModel, error) {
	if opts.Classifier != nil {
		l, _ := opts.Classifier.(learner)
		logger.InfoContext(ctx, "classifier ready", "classifier", fmt.Sprintf("%T", opts.Classifier))
		return opts.Classifier, l, nil, nil
	}
	off, err := newOfflineModel(opts.Model)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("offline classifier: %w", err)
	}
	if strings.TrimSpace(opts.GeminiAPIKey) == "" {
		logger.InfoContext(ctx, "classifier ready", "classifier", "offline")
		return off, off, off, nil
	}
	gem, err := classify.NewGemini(ctx, classify.GeminiConfig{
		APIKey: opts.GeminiAPIKey, Model: opts.GeminiModel, BaseURL: opts.GeminiBaseURL, Logger: logger,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("gemini classifier: %w", err)
	}
	chain, err := classify.NewChain(
		classify.ChainStep{Name: "gemini", Classifier: gem, Timeout: geminiStepTimeout},
		classify.ChainStep{Name: "offline", Classifier: off},
	)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("classifier chain: %w", err)
	}
	cache, err := classify.NewCache(chain, classifyCacheSize)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("classifier cache: %w", err)
	}
	off.cache = cache
	logger.InfoContext(ctx, "classifier ready", "classifier", "gemini with offline fallback", "model", gem.Model())
	return cache, off, off, nil
}

// classifyRoutes registers the classifier endpoints.
func (s *server) classifyRoutes() {
	s.handle("POST /api/classify", s.agentOnly(s.handleClassify))
	s.classifierRoutes()
}

// maxClassifyTierLen is the longest customer_tier POST /api/classify
// takes, as long as a customer's stored tier may be.
const maxClassifyTierLen = 50

// classifyRequest is the body of POST /api/classify.
type classifyRequest struct {
	Subject      string `json:"subject"`
	Body         string `json:"body"`
	Channel      string `json:"channel"`
	CustomerTier string `json:"customer_tier"`
}

// handleClassify runs the server's classifier on any text, so agents can
// see what it would say. Text that is not valid UTF-8 or holds NUL bytes,
// an unknown channel or an over-long tier is a 422, as for tickets.
func (s *server) handleClassify(w http.ResponseWriter, r *http.Request) error {
	var req classifyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	for _, f := range []struct{ name, value string }{{"subject", req.Subject}, {"body", req.Body}, {"channel", req.Channel}, {"customer_tier", req.CustomerTier}} {
		if err := icc.CheckText(f.name, f.value); err != nil {
			return err
		}
	}
	if strings.TrimSpace(req.Subject) == "" && strings.TrimSpace(req.Body) == "" {
		return icc.Invalid("body", "subject or body is required")
	}
	if len(req.CustomerTier) > maxClassifyTierLen {
		return icc.Invalid("customer_tier", "must be at most %d bytes", maxClassifyTierLen)
	}
	if len(req.Subject) > icc.MaxSubjectLen {
		return icc.Invalid("subject", "must be at most %d bytes", icc.MaxSubjectLen)
	}
	if len(req.Body) > icc.MaxBodyLen {
		return icc.Invalid("body", "must be at most %d bytes", icc.MaxBodyLen)
	}
	// The channel is checked as a ticket's is (icc.Ticket.Validate); empty
	// means unknown.
	if req.Channel != "" && !icc.Channel(req.Channel).Valid() {
		return icc.Invalid("channel", "must be one of email, chat, web, phone, api")
	}
	res, err := s.classifier.Classify(r.Context(), classify.Request{
		Subject: req.Subject, Body: req.Body, Channel: req.Channel, CustomerTier: req.CustomerTier,
	})
	switch {
	case errors.Is(err, classify.ErrInvalidInput):
		return icc.Invalid("body", "must be valid UTF-8 text with something to classify")
	case errors.Is(err, classify.ErrUnavailable):
		return icc.Unavailable(err, "the classifier cannot answer now")
	case err != nil:
		return fmt.Errorf("classify: %w", err)
	}
	writeJSON(w, s.logger, http.StatusOK, res)
	return nil
}

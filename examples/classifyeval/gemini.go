package main

import (
	"context"
	"fmt"

	"github.com/icclabs/commandcenter/classify"
)

// newGemini builds the Gemini classifier with its default model.
func newGemini(ctx context.Context, key string) (classify.Classifier, error) {
	g, err := classify.NewGemini(ctx, classify.GeminiConfig{APIKey: key})
	if err != nil {
		return nil, fmt.Errorf("gemini: %w", err)
	}
	return g, nil
}

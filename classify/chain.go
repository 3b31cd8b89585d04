package classify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ChainStep is one classifier in a Chain.
type ChainStep struct {
	// Name identifies the step in Result.Fallback and in errors, e.g.
	// "gemini" or "offline"; "step N" (counting from 1) when empty.
	Name string
	// Classifier answers for this step. Required.
	Classifier Classifier
	// Timeout bounds this step; when it passes the Chain moves on to the
	// next step without waiting for this one to return. Zero means only the
	// caller's context bounds the step.
	Timeout time.Duration
}

// Chain is a Classifier that tries classifiers in order and returns the
// first valid answer, typically Gemini first and the offline classifier
// after it:
//
//	chain, err := classify.NewChain(
//		classify.ChainStep{Name: "gemini", Classifier: gem, Timeout: 3 * time.Second},
//		classify.ChainStep{Name: "offline", Classifier: off},
//	)
//
// A step that returns an error, returns a result that fails
// Result.Validate, or does not answer within its Timeout is skipped and the
// next step is tried. Result.Model names the model that answered, and
// Result.Fallback lists each skipped step with its error ("gemini: ...");
// it is empty when the first step answered.
//
// The Chain does not fall back on bad input: a request that fails
// Request.Validate, or that a step rejects with ErrInvalidInput, is returned
// at once as an error wrapping ErrInvalidInput. When the caller's context
// ends the Chain stops too and tries no further step.
//
// When every step fails, the error wraps ErrUnavailable and, joined, every
// step's error, so errors.Is finds each of them (ErrBadOutput,
// context.DeadlineExceeded, ...).
//
// A step with a Timeout runs in its own goroutine; if it ignores its context
// that goroutine finishes in the background after the Chain has moved on.
// A Chain is safe for concurrent use if its classifiers are.
type Chain struct {
	steps []ChainStep
}

// NewChain returns a Chain over steps, tried in the order given. It needs at
// least one step, each with a Classifier and a Timeout that is not negative.
func NewChain(steps ...ChainStep) (*Chain, error) {
	if len(steps) == 0 {
		return nil, errors.New("classify: chain: at least one step is required")
	}
	steps = slices.Clone(steps)
	for i := range steps {
		s := &steps[i]
		s.Name = strings.TrimSpace(s.Name)
		if s.Name == "" {
			s.Name = fmt.Sprintf("step %d", i+1)
		}
		if s.Classifier == nil {
			return nil, fmt.Errorf("classify: chain: step %d (%s) has no Classifier", i+1, s.Name)
		}
		if s.Timeout < 0 {
			return nil, fmt.Errorf("classify: chain: step %d (%s): Timeout must not be negative, got %v", i+1, s.Name, s.Timeout)
		}
	}
	return &Chain{steps: steps}, nil
}

// Classify returns the answer of the first step that gives a valid one. See
// Chain for the errors it returns.
func (c *Chain) Classify(ctx context.Context, req Request) (Result, error) {
	if err := req.Validate(); err != nil {
		return Result{}, err
	}
	var errs []error
	for _, s := range c.steps {
		if ctx.Err() != nil {
			break
		}
		r, err := s.classify(ctx, req)
		if err == nil {
			if err = r.Validate(); err == nil {
				r.Fallback = chainFallback(errs, r.Fallback)
				return r, nil
			}
		}
		if errors.Is(err, ErrInvalidInput) {
			return Result{}, fmt.Errorf("classify: chain: %s: %w", s.Name, err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%w: chain: %w", ErrUnavailable, errors.Join(append(errs, err)...))
	}
	return Result{}, fmt.Errorf("%w: chain: all %d classifiers failed: %w", ErrUnavailable, len(c.steps), errors.Join(errs...))
}

// classify runs one step within its timeout.
func (s ChainStep) classify(ctx context.Context, req Request) (Result, error) {
	if s.Timeout <= 0 {
		return s.Classifier.Classify(ctx, req)
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()

	type outcome struct {
		r   Result
		err error
	}
	done := make(chan outcome, 1) // buffered: an abandoned step can still finish
	go func() {
		r, err := s.Classifier.Classify(ctx, req)
		done <- outcome{r, err}
	}()
	select {
	case o := <-done:
		return o.r, o.err
	case <-ctx.Done():
		select {
		case o := <-done: // answered just in time
			return o.r, o.err
		default:
		}
		return Result{}, fmt.Errorf("%w: no answer within %v: %w", ErrUnavailable, s.Timeout, ctx.Err())
	}
}

// chainFallback describes the failed steps, followed by any fallback note
// the answering step made itself (a nested Chain).
func chainFallback(errs []error, inner string) string {
	notes := make([]string, 0, len(errs)+1)
	for _, err := range errs {
		notes = append(notes, err.Error())
	}
	if inner != "" {
		notes = append(notes, inner)
	}
	return strings.Join(notes, "; ")
}

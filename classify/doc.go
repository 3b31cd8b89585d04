// Package classify labels customer requests: category, priority, sentiment,
// escalation and intent, with a confidence and a suggested reply.
//
// A Classifier is anything with Classify(ctx, Request) (Result, error).
// The package provides an offline classifier that needs no network, a
// Gemini classifier, a Chain that falls back from one to the next, and a
// Cache. It imports nothing else from this module.
package classify

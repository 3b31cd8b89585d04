package main

import (
	"context"
	"net/http"

	"github.com/icclabs/commandcenter/icc"
)

// statusBody is the answer of the health endpoints.
type statusBody struct {
	Status string `json:"status"`
}

// handleHealthz answers 200 while the process is up; it checks nothing else.
func (s *server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, s.logger, http.StatusOK, statusBody{Status: "ok"})
	return nil
}

// handleReadyz answers 200 when storage answers a ping within readyTimeout,
// and 503 with a JSON error when it does not.
func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.backend.Ping(ctx); err != nil {
		return icc.Unavailable(err, "storage is not reachable")
	}
	writeJSON(w, s.logger, http.StatusOK, statusBody{Status: "ok"})
	return nil
}

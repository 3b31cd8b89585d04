package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// Retraining from corrections.
const (
	// retrainTicketLimit is how many of the newest tickets a retrain reads
	// for corrections; older corrections are left out, which bounds both
	// the scan and the training time.
	retrainTicketLimit = 10_000
	// retrainModelName names a model retrained from corrections: its
	// answers say "offline/desk".
	retrainModelName = "desk"
	// retrainSeed makes retraining reproducible, so that every instance
	// of a cluster trains the same model from the same store.
	retrainSeed = 1
)

// offlineModel is the server's offline classifier, which a retrain from
// corrections replaces whole: it classifies and learns with the current
// *classify.Offline and swaps in a new one atomically. It also keeps what
// GET /api/classifier reports. Live corrections learned while a retrain
// runs are replayed onto the new model before it is swapped in, so none is
// lost.
type offlineModel struct {
	cur atomic.Pointer[classify.Offline]
	// cache, when set, holds answers of a classifier in front of this one
	// and is purged when a new model is swapped in.
	cache *classify.Cache
	// train holds the epochs and augmented copies of a retrain (zero:
	// classify's defaults).
	train classify.TrainConfig
	// file is the model file the server serves and retrains on top of
	// (-classifier-model); nil is the shipped model.
	file []byte

	// Retrains run in the background, one at a time, in goroutines owned
	// by the model and stopped by close.
	runCtx  context.Context
	runStop context.CancelFunc
	runWG   sync.WaitGroup
	stopped bool // close was called: no more retrains
	// instance names this server in its retrain announcements, so that it
	// does not follow its own.
	instance string

	mu       sync.Mutex
	info     classifierStatus // Training is kept in training
	training bool
	pending  []classify.Example // live corrections since the running retrain began
	// again is a retrain asked for while one was running (runAfter), run
	// when that one ends; nil when none is waiting.
	again func(ctx context.Context)
}

// newOfflineModel returns an offlineModel serving the model in file, or
// the shipped default model when file is nil.
func newOfflineModel(file []byte) (*offlineModel, error) {
	m := &offlineModel{file: file, instance: instanceID()}
	m.runCtx, m.runStop = context.WithCancel(context.Background())
	off, err := m.base()
	if err != nil {
		return nil, err
	}
	m.info = classifierStatus{Model: off.Model()}
	m.cur.Store(off)
	return m, nil
}

// base returns a fresh copy of the model a retrain starts from: the model
// file the server was given, or the shipped model. A fresh one each time,
// because the model in service learns live corrections.
func (m *offlineModel) base() (*classify.Offline, error) {
	if m.file == nil {
		return classify.NewOffline(classify.OfflineConfig{})
	}
	return classify.NewOffline(classify.OfflineConfig{Model: bytes.NewReader(m.file)})
}

// Classify classifies with the current model.
func (m *offlineModel) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	return m.cur.Load().Classify(ctx, req)
}

// Learn teaches the current model one correction made live (here or on
// another instance), counts it, and keeps it for the model a running
// retrain is about to swap in.
func (m *offlineModel) Learn(ctx context.Context, ex classify.Example) error {
	m.mu.Lock()
	m.info.LiveCorrections++
	if m.training {
		m.pending = append(m.pending, ex)
	}
	off := m.cur.Load()
	m.mu.Unlock()
	return off.Learn(ctx, ex)
}

// begin marks a retrain as running, without running one, until end (tests
// hold a retrain open with it); see beginLocked.
func (m *offlineModel) begin() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.beginLocked()
}

// beginLocked marks a retrain as running and starts keeping live
// corrections; it reports false when one is already running or the model
// was closed. m.mu is held.
func (m *offlineModel) beginLocked() bool {
	if m.training || m.stopped {
		return false
	}
	m.training, m.pending = true, nil
	return true
}

// run begins a retrain and runs retrain in the background with the
// model's context, ending it when retrain returns; it reports false, and
// runs nothing, when a retrain is already running or the model is closed.
// The goroutine is added under m.mu, so close never waits before it is.
func (m *offlineModel) run(retrain func(ctx context.Context)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.beginLocked() {
		return false
	}
	m.goLocked(retrain)
	return true
}

// runAfter is run, except that when a retrain is already running it
// keeps retrain to run once that one ends (the latest asked for replaces
// an earlier one still waiting): a retrain that began before the reason
// for this one (corrections another instance stored, events this one
// missed) may not have read them. It reports false only when the model is
// closed.
func (m *offlineModel) runAfter(retrain func(ctx context.Context)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.stopped:
		return false
	case m.training:
		m.again = retrain
		return true
	}
	m.beginLocked()
	m.goLocked(retrain)
	return true
}

// goLocked runs retrain in the background with the model's context,
// ending it when retrain returns. m.mu is held and the retrain begun.
func (m *offlineModel) goLocked(retrain func(ctx context.Context)) {
	m.runWG.Go(func() {
		defer m.end()
		retrain(m.runCtx)
	})
}

// close cancels a running retrain, waits for it and refuses later ones.
func (m *offlineModel) close() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.runStop()
	m.runWG.Wait()
}

// end marks the running retrain as finished, whether or not it swapped a
// model in, and starts the one runAfter kept, if any (not after close).
func (m *offlineModel) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.training, m.pending = false, nil
	next := m.again
	m.again = nil
	if next != nil && !m.stopped {
		m.beginLocked()
		m.goLocked(next)
	}
}

// swap replaces the model with off, trained on n corrections, after
// teaching it the live corrections learned meanwhile, and purges the cache.
func (m *offlineModel) swap(ctx context.Context, off *classify.Offline, n int, logger *slog.Logger) {
	m.mu.Lock()
	for _, ex := range m.pending {
		// Not cancelled with the retrain: once it swaps, nothing learned
		// live meanwhile may be lost.
		if err := off.Learn(context.WithoutCancel(ctx), ex); err != nil {
			logger.WarnContext(ctx, "replaying a correction on the retrained classifier failed", "err", err)
		}
	}
	m.info = classifierStatus{Model: off.Model(), FromCorrections: true, Corrections: n, TrainedAt: time.Now().UTC(),
		LiveCorrections: len(m.pending)}
	m.pending = nil
	m.cur.Store(off)
	m.mu.Unlock()
	if m.cache != nil {
		m.cache.Purge()
	}
}

// status returns what GET /api/classifier reports.
func (m *offlineModel) status() classifierStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.info
	st.Training = m.training
	return st
}

// classifierStatus is the answer of GET /api/classifier and POST
// /api/classifier/train.
type classifierStatus struct {
	// Model is the offline model in use (with Gemini, the fallback), as
	// its answers name it: "offline/v1" for the shipped model,
	// "offline/desk" once retrained.
	Model string `json:"model"`
	// FromCorrections says that the model was retrained from agents'
	// corrections, Corrections of them, at TrainedAt. Corrections learned
	// live since then are not counted.
	FromCorrections bool      `json:"from_corrections"`
	Corrections     int       `json:"corrections"`
	TrainedAt       time.Time `json:"trained_at,omitzero"`
	// LiveCorrections counts the corrections learned live since the
	// model was trained or loaded, made here or, through the bus, on
	// another instance.
	LiveCorrections int `json:"live_corrections"`
	// Training says that a retrain is running.
	Training bool `json:"training"`
}

// classifierRoutes registers the classifier model endpoints.
func (s *server) classifierRoutes() {
	s.handle("GET /api/classifier", s.agentOnly(s.handleClassifierStatus))
	s.handle("POST /api/classifier/train", s.adminOnly(s.handleClassifierTrain))
}

// handleClassifierStatus reports the offline model in use. With a
// classifier injected by tests there is none, and the answer is empty.
func (s *server) handleClassifierStatus(w http.ResponseWriter, r *http.Request) error {
	var st classifierStatus
	if s.offline != nil {
		st = s.offline.status()
	}
	writeJSON(w, s.logger, http.StatusOK, st)
	return nil
}

// handleClassifierTrain starts retraining the offline model from the
// corrections in the store, in the background, and answers 202 with the
// status (training: true); GET /api/classifier tells when it is done. The
// other instances sharing the store retrain too when it has succeeded. 409
// when a retrain is already running or the classifier does not learn.
func (s *server) handleClassifierTrain(w http.ResponseWriter, r *http.Request) error {
	if s.offline == nil {
		return icc.Errorf(icc.ECONFLICT, "this server's classifier does not learn from corrections")
	}
	if !s.startRetrain("asked by an admin", true) {
		return icc.Errorf(icc.ECONFLICT, "the classifier is already being retrained")
	}
	writeJSON(w, s.logger, http.StatusAccepted, s.offline.status())
	return nil
}

// topicClassifier is the bus topic on which an instance tells the others
// sharing the store about a correction it took (evCorrection: ID the
// ticket, Data its new category) and about a retrain an admin asked of it
// (evRetrained), so that they learn and retrain too.
const (
	topicClassifier = "classifier"
	evCorrection    = "classifier.correction"
	evRetrained     = "classifier.retrained"
)

// announceCorrection tells the other instances that an agent corrected a
// ticket here; a failure is logged (they learn it at their next retrain).
func (s *server) announceCorrection(ctx context.Context, c icc.Correction) {
	if s.offline == nil {
		return
	}
	data, err := json.Marshal(correctionEvent{Category: c.To})
	if err == nil {
		err = s.backend.Publish(ctx, icc.Event{Topic: topicClassifier, Type: evCorrection, ID: c.TicketID, Data: data,
			Origin: s.offline.instance, At: time.Now().UTC()})
	}
	if err != nil {
		s.logger.WarnContext(ctx, "telling the other instances about a correction failed", "ticket", c.TicketID, "err", err)
	}
}

// correctionEvent is the Data of an evCorrection event.
type correctionEvent struct {
	Category icc.Category `json:"category"`
}

// startRetrain retrains the offline model from the store's corrections in
// the background (the current model serves meanwhile) and reports whether
// it started one: not when one is running, the server is shutting down or
// the classifier was injected. With tell, a successful retrain is announced
// on the bus, and the other instances sharing the store retrain as well.
// Shutdown cancels a running retrain and waits for it.
func (s *server) startRetrain(why string, tell bool) bool {
	if s.offline == nil {
		return false
	}
	return s.offline.run(s.retrainJob(why, tell))
}

// retrainSoon is startRetrain without announcing, for reasons that arise
// while a retrain may be running (another instance retrained, bus events
// were missed): a running one may not have seen what this one is for, so
// the retrain waits for it rather than being dropped.
func (s *server) retrainSoon(why string) {
	if s.offline != nil {
		s.offline.runAfter(s.retrainJob(why, false))
	}
}

// retrainJob is the background work of a retrain for why; with tell, a
// success is announced (see startRetrain).
func (s *server) retrainJob(why string, tell bool) func(ctx context.Context) {
	return func(ctx context.Context) {
		err := s.retrain(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.WarnContext(ctx, "retraining the classifier failed", "why", why, "err", err)
		case err == nil && tell:
			e := icc.Event{Topic: topicClassifier, Type: evRetrained, Origin: s.offline.instance, At: time.Now().UTC()}
			if err := s.backend.Publish(ctx, e); err != nil {
				s.logger.WarnContext(ctx, "telling the other instances to retrain failed", "err", err)
			}
		}
	}
}

// startCorrectionFollower keeps this instance's offline model in step with
// the other instances sharing the store: it teaches the model the
// corrections they announce (reading the ticket's text from the store),
// and retrains in the background when one announces a retrain or the bus
// reports events this instance missed. It stops on shutdown and does
// nothing for an injected classifier.
func (s *server) startCorrectionFollower(ctx context.Context) error {
	if s.offline == nil {
		return nil
	}
	fctx, cancel := context.WithCancel(ctx)
	sub, err := s.backend.Subscribe(fctx, topicClassifier)
	if err != nil {
		cancel()
		return fmt.Errorf("follow corrections: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var dropped int64
		for e := range sub.Events() {
			if d := sub.Dropped(); d > dropped {
				dropped = d
				s.retrainSoon("missed bus events")
			}
			if e.Origin == s.offline.instance {
				continue // learned or retrained here already
			}
			switch e.Type {
			case evRetrained:
				s.retrainSoon("another instance retrained")
			case evCorrection:
				s.learnAnnounced(fctx, e)
			}
		}
	})
	s.onShutdown(func(context.Context) error {
		cancel()
		err := sub.Close()
		wg.Wait()
		return err
	})
	return nil
}

// learnAnnounced teaches the offline model a correction another instance
// announced: the ticket's text, as the desk gives it in a Correction, with
// the category the agent chose (a correction undone included).
func (s *server) learnAnnounced(ctx context.Context, e icc.Event) {
	var ce correctionEvent
	if err := json.Unmarshal(e.Data, &ce); err != nil || !ce.Category.Valid() {
		s.logger.WarnContext(ctx, "a correction announced on the bus is malformed", "ticket", e.ID, "err", err)
		return
	}
	t, err := s.backend.GetTicket(ctx, e.ID)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, icc.ErrNotFound) {
			s.logger.WarnContext(ctx, "reading a corrected ticket failed", "ticket", e.ID, "err", err)
		}
		return
	}
	if err := s.offline.Learn(context.WithoutCancel(ctx), classify.Example{Text: correctionText(t), Category: ce.Category}); err != nil {
		s.logger.WarnContext(ctx, "learning a correction made elsewhere failed", "ticket", t.ID, "err", err)
	}
}

// retrain does a retrain the caller has begun: it reads the corrections
// among the newest retrainTicketLimit tickets, trains on them on top of
// the base model (the -classifier-model file or the shipped model; never
// on top of an earlier retrain, so that retrains do not drift), makes sure
// each correction holds for its own text, and swaps the result in.
// Without corrections the model is left as it is.
func (s *server) retrain(ctx context.Context) error {
	start := time.Now()
	examples, scanned, err := s.corrections(ctx)
	if err != nil {
		return fmt.Errorf("read corrections: %w", err)
	}
	if len(examples) == 0 {
		s.logger.InfoContext(ctx, "classifier not retrained: no corrections", "tickets", scanned,
			"took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	base, err := s.offline.base()
	if err != nil {
		return fmt.Errorf("base classifier: %w", err)
	}
	// A correction to a category the base model has no intent for cannot
	// be taught; it is left out rather than failing the whole retrain.
	can := base.Categories()
	kept := examples[:0]
	for _, ex := range examples {
		if slices.Contains(can, ex.Category) {
			kept = append(kept, ex)
		}
	}
	if skipped := len(examples) - len(kept); skipped > 0 {
		s.logger.WarnContext(ctx, "corrections left out: the base model has no intent in their category", "corrections", skipped)
	}
	if examples = kept; len(examples) == 0 {
		return nil
	}
	cfg := s.offline.train
	cfg.Base, cfg.Name, cfg.Seed = base, retrainModelName, retrainSeed
	off, err := classify.Train(ctx, examples, cfg)
	if err != nil {
		return fmt.Errorf("train classifier: %w", err)
	}
	// Training weighs a correction against the model's rehearsed examples
	// and may leave its own text with the old answer; as when it was made
	// live, each correction then holds for its text (Learn does nothing
	// for the texts training already got right).
	for _, ex := range slices.Backward(examples) { // oldest first: a later correction of a similar text wins
		if err := off.Learn(ctx, ex); err != nil {
			return fmt.Errorf("train classifier: %w", err)
		}
	}
	s.offline.swap(ctx, off, len(examples), s.logger)
	s.logger.InfoContext(ctx, "classifier retrained from corrections", "corrections", len(examples), "tickets", scanned,
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// corrections returns, as examples, the agents' corrections among the
// newest retrainTicketLimit tickets (see correctionOf), newest first, and
// how many tickets it read.
func (s *server) corrections(ctx context.Context) ([]classify.Example, int, error) {
	var out []classify.Example
	scanned := 0
	f := icc.TicketFilter{Sort: icc.SortNewest}
	for scanned < retrainTicketLimit {
		f.Limit = min(icc.MaxLimit, retrainTicketLimit-scanned)
		p, err := s.backend.ListTickets(ctx, f)
		if err != nil {
			return nil, scanned, err
		}
		scanned += len(p.Items)
		for _, t := range p.Items {
			if ex, ok := correctionOf(t); ok {
				out = append(out, ex)
			}
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	return out, scanned, nil
}

// correctionOf returns t as a correction to learn, if it is one: a ticket
// whose category differs from the one its successful classification gave
// (which also counts a ticket an agent created with a category the
// classifier disagreed with: an agent's label all the same), with the
// desk's text (icc.Correction.Text).
func correctionOf(t *icc.Ticket) (classify.Example, bool) {
	c := t.Classification
	if c == nil || c.Error != "" || c.Category == "" || t.Category == c.Category || !t.Category.Valid() {
		return classify.Example{}, false
	}
	text := correctionText(t)
	if strings.TrimSpace(text) == "" {
		return classify.Example{}, false
	}
	return classify.Example{Text: text, Category: t.Category}, true
}

// correctionText is the text a ticket's correction teaches, as the desk
// gives it (icc.Correction.Text).
func correctionText(t *icc.Ticket) string { return t.Subject + "\n" + t.Body }

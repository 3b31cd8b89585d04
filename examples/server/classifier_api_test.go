package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// retrainWait bounds the waits on a retrain, which takes a few seconds on
// top of the default model (more on a busy machine).
const retrainWait = 2 * time.Minute

// classifierStatusOf reads GET /api/classifier.
func classifierStatusOf(t *testing.T, c *client) classifierStatus {
	t.Helper()
	w := c.do("GET", "/api/classifier", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return decode[classifierStatus](t, w)
}

// waitRetrainDone waits until no retrain runs on c's server and returns
// the status then.
func waitRetrainDone(t *testing.T, c *client) classifierStatus {
	t.Helper()
	var st classifierStatus
	require.Eventually(t, func() bool {
		st = classifierStatusOf(t, c)
		return !st.Training
	}, retrainWait, 10*time.Millisecond, "the retrain did not finish")
	return st
}

// quickRetrain retrains with two epochs and no augmented copies: the
// shipped model's rehearsal examples make a full retrain take about a
// minute under the race detector.
var quickRetrain = deskOptions{Retrain: classify.TrainConfig{Epochs: 2, Augment: -1}}

// TestClassifierRetrainsFromCorrections: an agent corrects a ticket's
// category on one server; a retrain there learns it from the store, and a
// second server on the same store learns it at start-up.
func TestClassifierRetrainsFromCorrections(t *testing.T) {
	for _, bk := range sharedStores("icc_server_classifier_") {
		t.Run(bk.name, func(t *testing.T) {
			b1, b2 := bk.open(t)
			e := newDeskEnvOn(t, b1, quickRetrain) // the real offline classifier
			t.Cleanup(func() { runShutdownHooks(t, e.s) })
			e.admin = e.createAgent("admin@test.example", testAdminPassword, icc.RoleAdmin, []string{"technical", "billing", "sensitive"}, 10)
			e.agent = e.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, []string{"technical", "billing", "sensitive"}, 10)
			agent, admin := e.asAgent(), e.asAdmin()

			st := classifierStatusOf(t, agent)
			assert.Equal(t, classifierStatus{Model: "offline/v1"}, st, "the shipped model serves until a retrain")

			// Another instance on the same store follows the bus: it learns
			// the correction live, and retrains when the first announces
			// its retrain.
			e2 := newDeskEnvOn(t, b2, quickRetrain)
			e2.admin, e2.agent = e.admin, e.agent
			require.NoError(t, e2.s.startCorrectionFollower(t.Context()))
			t.Cleanup(func() { runShutdownHooks(t, e2.s) })
			agent2 := e2.asAgent()

			tk := newTicket(t, agent, "Strange charge", "There is a line on my statement I do not understand")
			require.NotNil(t, tk.Classification)
			to := icc.CategoryTechnical
			if tk.Category == to {
				to = icc.CategoryBilling
			}
			w := agent.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "category": to})
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())

			require.Eventually(t, func() bool { return classifierStatusOf(t, agent2).LiveCorrections == 1 }, retrainWait, 10*time.Millisecond,
				"the other instance learns the correction from the bus")

			w = admin.do("POST", "/api/classifier/train", nil)
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			started := decode[classifierStatus](t, w)
			assert.True(t, started.Training, "it runs in the background")
			doc := loadOpenAPI(t)
			var v any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v))
			assert.Empty(t, doc.problems(doc.responseSchema(t, "POST", "/api/classifier/train", http.StatusAccepted), v, "$"))
			st = waitRetrainDone(t, agent)
			assert.Equal(t, "offline/desk", st.Model)
			assert.True(t, st.FromCorrections)
			assert.Equal(t, 1, st.Corrections)
			assert.False(t, st.TrainedAt.IsZero())
			assert.Zero(t, st.LiveCorrections)
			assert.Contains(t, e.logs.String(), "classifier retrained from corrections")

			res := decode[classify.Result](t, agent.do("POST", "/api/classify", map[string]string{"subject": tk.Subject, "body": tk.Body}))
			assert.Equal(t, to, res.Category, "the retrained model knows the correction")
			assert.Equal(t, "offline/desk", res.Model)

			var st2 classifierStatus
			require.Eventually(t, func() bool {
				st2 = classifierStatusOf(t, agent2)
				return st2.FromCorrections && !st2.Training
			}, retrainWait, 10*time.Millisecond, "the other instance retrains when told")
			assert.Equal(t, "offline/desk", st2.Model)
			assert.True(t, st2.FromCorrections)
			assert.Equal(t, 1, st2.Corrections)
			res2 := decode[classify.Result](t, agent2.do("POST", "/api/classify", map[string]string{"subject": tk.Subject, "body": tk.Body}))
			assert.Equal(t, res.Category, res2.Category)
			assert.Equal(t, res.Intent, res2.Intent, "both instances trained the same model")
		})
	}
}

// testPostgresSchema returns the test database URL and a fresh schema
// name, dropped when the test ends, or skips the test.
func testPostgresSchema(t *testing.T, prefix string) (dbURL, schema string) {
	t.Helper()
	dbURL = testDatabaseURL(t)
	schema = prefix + icc.NewID()[16:]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return dbURL, schema
}

func TestClassifierEndpointsAccess(t *testing.T) {
	e := newDeskEnvWith(t, deskOptions{})
	requireError(t, e.anon().do("GET", "/api/classifier", nil), 401, "unauthorized", "")
	requireError(t, e.anon().do("POST", "/api/classifier/train", nil), 401, "unauthorized", "")
	requireError(t, e.asAgent().do("POST", "/api/classifier/train", nil), 403, "forbidden", "")

	// While a retrain runs, another is refused.
	require.True(t, e.s.offline.begin())
	admin := e.asAdmin()
	assert.True(t, classifierStatusOf(t, admin).Training)
	requireError(t, admin.do("POST", "/api/classifier/train", nil), 409, "conflict", "")
	e.s.offline.end()

	// Without corrections a retrain changes nothing.
	w := admin.do("POST", "/api/classifier/train", nil)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	assert.Equal(t, classifierStatus{Model: "offline/v1"}, waitRetrainDone(t, admin))
	assert.Contains(t, e.logs.String(), "classifier not retrained: no corrections")
}

// TestClassifierInjectedIsNotRetrained: a classifier injected by tests is
// never replaced.
func TestClassifierInjectedIsNotRetrained(t *testing.T) {
	e := newDeskEnv(t)
	assert.Nil(t, e.s.offline)
	assert.False(t, e.s.startRetrain("test", false), "does nothing")
	admin := e.asAdmin()
	assert.Equal(t, classifierStatus{}, classifierStatusOf(t, admin))
	requireError(t, admin.do("POST", "/api/classifier/train", nil), 409, "conflict", "")
}

// TestStartRetrainStopsOnShutdown: the start-up retrain runs in the
// background and shutdown cancels it and waits for it.
func TestStartRetrainStopsOnShutdown(t *testing.T) {
	e := newDeskEnvWith(t, quickRetrain)
	storeTickets(t, e, &icc.Ticket{Subject: "Corrected", Category: icc.CategoryBilling, Classification: &icc.Classification{Category: icc.CategoryTechnical}})
	require.True(t, e.s.startRetrain("start-up", false))
	assert.True(t, e.s.offline.status().Training, "marked before serving goes on")
	assert.False(t, e.s.offline.begin(), "a retrain is running")
	runShutdownHooks(t, e.s)
	assert.False(t, e.s.offline.status().Training, "shutdown waited for the retrain")
	assert.False(t, e.s.startRetrain("after shutdown", false), "no retrain after shutdown")
}

// TestRetrainKeepsLiveCorrections: a correction learned while a retrain
// runs is taught to the model swapped in, and the cache in front is
// purged.
func TestRetrainKeepsLiveCorrections(t *testing.T) {
	m, err := newOfflineModel(nil)
	require.NoError(t, err)
	cache, err := classify.NewCache(m, 8)
	require.NoError(t, err)
	m.cache = cache
	ctx := context.Background()
	ex := classify.Example{Text: "The blue widget on my dashboard hums", Category: icc.CategoryBilling}
	before, err := cache.Classify(ctx, classify.Request{Body: ex.Text})
	require.NoError(t, err)
	require.NotEqual(t, ex.Category, before.Category, "pick a text the shipped model does not call billing")

	// Requests keep being classified during the swap.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			_, err := cache.Classify(ctx, classify.Request{Body: "My invoice is wrong"})
			assert.NoError(t, err)
		}
	})
	require.True(t, m.begin())
	require.NoError(t, m.Learn(ctx, ex))
	fresh, err := classify.NewOffline(classify.OfflineConfig{}) // stands for the retrained model
	require.NoError(t, err)
	m.swap(ctx, fresh, 3, slog.New(slog.DiscardHandler))
	m.end()
	close(done)
	wg.Wait()

	got, err := cache.Classify(ctx, classify.Request{Body: ex.Text})
	require.NoError(t, err)
	assert.Equal(t, ex.Category, got.Category, "the live correction was replayed and the cache purged")
	st := m.status()
	assert.True(t, st.FromCorrections)
	assert.Equal(t, 3, st.Corrections)
	assert.False(t, st.Training)
}

// TestCorrectionsFromStore: only tickets whose category an agent changed
// from the classifier's are corrections; the newest come first.
func TestCorrectionsFromStore(t *testing.T) {
	e := newDeskEnvWith(t, deskOptions{Classifier: keywordClassifier{}})
	storeTickets(t, e,
		&icc.Ticket{Subject: "Corrected", Body: "older", Category: icc.CategoryBilling, Classification: &icc.Classification{Category: icc.CategoryTechnical}},
		&icc.Ticket{Subject: "Agreed", Category: icc.CategoryBilling, Classification: &icc.Classification{Category: icc.CategoryBilling}},
		&icc.Ticket{Subject: "Failed", Category: icc.CategoryBilling, Classification: &icc.Classification{Error: "timeout"}},
		&icc.Ticket{Subject: "Unclassified", Category: icc.CategoryBilling},
		&icc.Ticket{Subject: "Corrected too", Body: "newer", Category: icc.CategoryGeneral, Classification: &icc.Classification{Category: icc.CategoryBilling}},
	)
	got, scanned, err := e.s.corrections(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 5, scanned)
	assert.Equal(t, []classify.Example{
		{Text: "Corrected too\nnewer", Category: icc.CategoryGeneral},
		{Text: "Corrected\nolder", Category: icc.CategoryBilling},
	}, got)
}

// storeTickets stores tickets as they are, bypassing the desk, created a
// minute apart in the order given.
func storeTickets(t *testing.T, e *deskEnv, tickets ...*icc.Ticket) {
	t.Helper()
	ctx := context.Background()
	cust := &icc.Customer{Email: "stored@test.example", Name: "Stored"}
	require.NoError(t, e.backend.CreateCustomer(ctx, cust))
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, tk := range tickets {
		tk.CustomerID, tk.Channel, tk.Status, tk.Priority = cust.ID, icc.ChannelEmail, icc.StatusNew, icc.PriorityMedium
		tk.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		tk.UpdatedAt = tk.CreatedAt
		require.NoError(t, e.backend.CreateTicket(ctx, tk))
	}
}

// TestCorrectionLearnedByOtherInstances: a correction made on one server,
// and its undoing, are learned at once by another server on the same
// store, through the announcements on the bus, and by each server once.
func TestCorrectionLearnedByOtherInstances(t *testing.T) {
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	e1 := newDeskEnvOn(t, b, quickRetrain)
	e2 := newDeskEnvOn(t, b, quickRetrain)
	for _, e := range []*deskEnv{e1, e2} {
		require.NoError(t, e.s.startCorrectionFollower(t.Context()))
		t.Cleanup(func() { runShutdownHooks(t, e.s) })
	}
	e1.agent = e1.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, []string{"technical", "billing", "sensitive"}, 10)
	e2.agent = e1.agent
	agent1, agent2 := e1.asAgent(), e2.asAgent()

	tk := newTicket(t, agent1, "Strange charge", "There is a line on my statement I do not understand")
	require.NotNil(t, tk.Classification)
	to := icc.CategoryTechnical
	if tk.Category == to {
		to = icc.CategoryBilling
	}
	classifyOn := func(c *client) classify.Result {
		return decode[classify.Result](t, c.do("POST", "/api/classify", map[string]string{"subject": tk.Subject, "body": tk.Body}))
	}
	require.NotEqual(t, to, classifyOn(agent2).Category)

	w := agent1.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "category": to})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, to, classifyOn(agent1).Category, "learned at once where it was made")
	require.Eventually(t, func() bool { return classifyOn(agent2).Category == to }, 10*time.Second, 10*time.Millisecond,
		"the other instance learns the correction from the bus")

	// A later update that leaves the category is not taught again, and a
	// correction undone is learned everywhere. Events from one instance
	// arrive in order, so once the undoing is learned, the update before
	// it has been seen.
	tk2 := decode[icc.Ticket](t, agent1.do("GET", "/api/tickets/"+tk.ID, nil))
	w = agent1.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk2.Version, "priority": "urgent"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	tk2 = decode[icc.Ticket](t, w)
	w = agent1.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk2.Version, "category": tk.Category})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, tk.Category, classifyOn(agent1).Category)
	require.Eventually(t, func() bool { return classifyOn(agent2).Category == tk.Category }, 10*time.Second, 10*time.Millisecond,
		"the other instance learns that the correction was undone")
	assert.Equal(t, 2, classifierStatusOf(t, agent2).LiveCorrections, "the correction and its undoing, nothing for the priority")
	// A correction made on the second instance reaches the first; the bus
	// delivers in order, so by then the first has seen its own two
	// announcements come back, and learned them only once.
	tk3 := newTicket(t, agent2, "Card declined", "My card is declined at checkout")
	require.NotNil(t, tk3.Classification)
	to3 := icc.CategoryTechnical
	if tk3.Category == to3 {
		to3 = icc.CategoryBilling
	}
	w = agent2.do("PATCH", "/api/tickets/"+tk3.ID, map[string]any{"version": tk3.Version, "category": to3})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Eventually(t, func() bool { return classifierStatusOf(t, agent1).LiveCorrections >= 3 }, 10*time.Second, 10*time.Millisecond,
		"the first instance learns the second's correction")
	assert.Equal(t, 3, classifierStatusOf(t, agent1).LiveCorrections, "its own changes coming back over the bus are not taught again")
	assert.Equal(t, 2, strings.Count(e1.logs.String(), "classifier learned a correction"))
}

// TestClassifierModelFile: a server given a model file serves it, and a
// retrain builds on it, not on the shipped model.
func TestClassifierModelFile(t *testing.T) {
	file, err := os.ReadFile(writeTinyModel(t, t.TempDir()))
	require.NoError(t, err)
	opts := quickRetrain
	opts.Model = file
	e := newDeskEnvWith(t, opts)
	admin := e.asAdmin()
	assert.Equal(t, classifierStatus{Model: "offline/tiny"}, classifierStatusOf(t, admin))
	res := decode[classify.Result](t, admin.do("POST", "/api/classify", map[string]string{"body": "please refund my money"}))
	assert.Equal(t, "offline/tiny", res.Model)
	assert.Equal(t, "get_refund", res.Intent)

	storeTickets(t, e, &icc.Ticket{Subject: "Card declined", Body: "my card is declined at checkout", Category: icc.CategoryBilling,
		Classification: &icc.Classification{Category: icc.CategoryTechnical}},
		// The tiny model has no sensitive intent: this one is left out.
		&icc.Ticket{Subject: "Rude", Body: "your staff was rude", Category: icc.CategorySensitive,
			Classification: &icc.Classification{Category: icc.CategoryTechnical}})
	w := admin.do("POST", "/api/classifier/train", nil)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	waitRetrainDone(t, admin)
	res = decode[classify.Result](t, admin.do("POST", "/api/classify", map[string]string{"subject": "Card declined", "body": "my card is declined at checkout"}))
	assert.Equal(t, icc.CategoryBilling, res.Category)
	assert.Equal(t, "get_refund", res.Intent, "the tiny model's only billing intent: trained on top of the file's model")
	assert.Equal(t, "offline/desk", res.Model)
	assert.Equal(t, 1, classifierStatusOf(t, admin).Corrections)
	assert.Contains(t, e.logs.String(), "corrections left out: the base model has no intent in their category")
}

// TestRetrainAskedWhileRunningRunsAfter: a retrain asked for while one
// runs (another instance retrained, missed bus events) is not dropped: it
// runs when the running one ends, once however often it was asked, and
// never after close.
func TestRetrainAskedWhileRunningRunsAfter(t *testing.T) {
	m, err := newOfflineModel(nil)
	require.NoError(t, err)
	var runs atomic.Int32
	job := func(context.Context) { runs.Add(1) }

	require.True(t, m.begin()) // a retrain is running
	assert.True(t, m.runAfter(job))
	assert.True(t, m.runAfter(job), "asked twice: still one to come")
	assert.Zero(t, runs.Load(), "not while the other runs")
	m.end()
	require.Eventually(t, func() bool { return runs.Load() == 1 && !m.status().Training }, 10*time.Second, time.Millisecond)

	// Not running: it starts at once.
	assert.True(t, m.runAfter(job))
	require.Eventually(t, func() bool { return runs.Load() == 2 && !m.status().Training }, 10*time.Second, time.Millisecond)

	require.True(t, m.begin())
	assert.True(t, m.runAfter(job))
	m.close()
	m.end()
	assert.False(t, m.runAfter(job), "closed")
	m.runWG.Wait()
	assert.Equal(t, int32(2), runs.Load(), "the retrain kept for later never runs after close")
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// The mock CRM and ERP are small business systems served by the server
// itself under /mock/crm/ and /mock/erp/, so that the demo integrations
// have something real to watch and the ticket desk a CRM to ask. Their data
// is fixed and in memory. Each can be switched between modes through
// POST /api/mocks/{system}/mode, to watch a status change, an alert fire
// and maintenance silence it.

// mockMode is how a mock system behaves.
type mockMode string

// Mock modes.
const (
	// modeHealthy answers at once.
	modeHealthy mockMode = "healthy"
	// modeSlow answers after the slow delay, which is above the demo
	// checks' degraded threshold but below their latency condition.
	modeSlow mockMode = "slow"
	// modeFlaky fails every other request with 500, starting with the
	// next one.
	modeFlaky mockMode = "flaky"
	// modeDown answers every request with 503.
	modeDown mockMode = "down"
)

func (m mockMode) valid() bool {
	switch m {
	case modeHealthy, modeSlow, modeFlaky, modeDown:
		return true
	}
	return false
}

// Mock system names, as used in /mock/{system}/ and /api/mocks/{system}.
const (
	mockCRM = "crm"
	mockERP = "erp"
)

// defaultSlowDelay is how long the slow mode holds each answer: more than
// half the demo checks' 1s timeout (degraded) and less than their
// "latency < 900ms" condition (still passing).
const defaultSlowDelay = 650 * time.Millisecond

// mockSystem is one mock system's mode and request count.
type mockSystem struct {
	name string
	mu   sync.Mutex
	mode mockMode
	// served counts requests since the mode was set; flaky mode fails the
	// odd ones.
	served int64
	total  int64
}

// mockState is what GET /api/mocks reports about one system.
type mockState struct {
	System   string   `json:"system"`
	Mode     mockMode `json:"mode"`
	Requests int64    `json:"requests"`
}

func (m *mockSystem) state() mockState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return mockState{System: m.name, Mode: m.mode, Requests: m.total}
}

func (m *mockSystem) setMode(mode mockMode) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mode, m.served = mode, 0
}

// next counts a request and says how to answer it: the mode, and for
// flaky mode whether this request fails.
func (m *mockSystem) next() (mode mockMode, fail bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.served++
	m.total++
	return m.mode, m.mode == modeFlaky && m.served%2 == 1
}

// mocks holds the mock systems and their data.
type mocks struct {
	slowDelay time.Duration
	systems   map[string]*mockSystem
	customers []mockCustomer
	orders    []mockOrder
	invoices  []mockInvoice
}

// newMocks returns healthy mock systems with their demo data; slowDelay
// zero means defaultSlowDelay.
func newMocks(slowDelay time.Duration) *mocks {
	if slowDelay <= 0 {
		slowDelay = defaultSlowDelay
	}
	m := &mocks{slowDelay: slowDelay, systems: map[string]*mockSystem{}}
	for _, name := range []string{mockCRM, mockERP} {
		m.systems[name] = &mockSystem{name: name, mode: modeHealthy}
	}
	m.customers, m.orders, m.invoices = mockData()
	return m
}

// states lists every system's state, by name.
func (m *mocks) states() []mockState {
	out := make([]mockState, 0, len(m.systems))
	for _, name := range slices.Sorted(maps.Keys(m.systems)) {
		out = append(out, m.systems[name].state())
	}
	return out
}

// mockRoutes registers the mock systems' endpoints and the API that
// switches their modes.
func (s *server) mockRoutes() {
	m := s.mocks
	crm, erp := m.systems[mockCRM], m.systems[mockERP]
	s.register("GET /mock/crm/health", m.serve(crm, m.health(crm)))
	s.register("GET /mock/crm/customers", m.serve(crm, m.listCustomers))
	s.register("GET /mock/crm/customers/{id}", m.serve(crm, m.getCustomer))
	s.register("GET /mock/erp/health", m.serve(erp, m.health(erp)))
	s.register("GET /mock/erp/orders", m.serve(erp, m.listOrders))
	s.register("GET /mock/erp/orders/{id}", m.serve(erp, m.getOrder))
	s.register("GET /mock/erp/invoices", m.serve(erp, m.listInvoices))
	s.register("GET /mock/erp/invoices/{id}", m.serve(erp, m.getInvoice))

	s.handle("GET /api/mocks", s.agentOnly(s.handleListMocks))
	s.handle("POST /api/mocks/{system}/mode", s.agentOnly(s.handleSetMockMode))
}

// mockBody is a mock's answer: any JSON value, or an error message.
type mockBody = map[string]any

// serve applies sys's mode around h: down answers 503, flaky fails every
// other request with 500, slow waits before h answers.
func (m *mocks) serve(sys *mockSystem, h func(*http.Request) (int, any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, fail := sys.next()
		switch {
		case mode == modeDown:
			writeMock(w, http.StatusServiceUnavailable, mockBody{"status": "down", "error": sys.name + " is down"})
			return
		case fail:
			writeMock(w, http.StatusInternalServerError, mockBody{"status": "error", "error": sys.name + " failed (flaky mode)"})
			return
		case mode == modeSlow:
			if !sleepCtx(r.Context(), m.slowDelay) {
				return
			}
		}
		status, body := h(r)
		writeMock(w, status, body)
	})
}

// sleepCtx waits for d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeMock writes a mock's JSON answer.
func writeMock(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (m *mocks) health(sys *mockSystem) func(*http.Request) (int, any) {
	return func(*http.Request) (int, any) {
		return http.StatusOK, mockBody{"status": "ok", "system": sys.name, "version": "4.2.1"}
	}
}

// mockList is a mock's list answer.
type mockList[T any] struct {
	Items []T `json:"items"`
	Count int `json:"count"`
}

func listOf[T any](items []T) mockList[T] {
	if items == nil {
		items = []T{}
	}
	return mockList[T]{Items: items, Count: len(items)}
}

func notFoundMock(what, key string) (int, any) {
	return http.StatusNotFound, mockBody{"error": fmt.Sprintf("%s %q not found", what, key)}
}

// listCustomers answers GET /mock/crm/customers: ?email= finds one
// customer (404 when unknown), otherwise all of them.
func (m *mocks) listCustomers(r *http.Request) (int, any) {
	email := r.URL.Query().Get("email")
	if email == "" {
		return http.StatusOK, listOf(m.customers)
	}
	email = icc.NormalizeEmail(email)
	for _, c := range m.customers {
		if c.Email == email {
			return http.StatusOK, c
		}
	}
	return notFoundMock("customer", email)
}

func (m *mocks) getCustomer(r *http.Request) (int, any) {
	return findMock(m.customers, "customer", r.PathValue("id"), func(c mockCustomer) string { return c.ID })
}

// listOrders answers GET /mock/erp/orders, optionally ?account=.
func (m *mocks) listOrders(r *http.Request) (int, any) {
	account := r.URL.Query().Get("account")
	var out []mockOrder
	for _, o := range m.orders {
		if account == "" || strings.EqualFold(o.Account, account) {
			out = append(out, o)
		}
	}
	return http.StatusOK, listOf(out)
}

func (m *mocks) getOrder(r *http.Request) (int, any) {
	return findMock(m.orders, "order", r.PathValue("id"), func(o mockOrder) string { return o.ID })
}

// listInvoices answers GET /mock/erp/invoices, optionally ?account= and
// ?status= (paid, open, overdue).
func (m *mocks) listInvoices(r *http.Request) (int, any) {
	q := r.URL.Query()
	account, status := q.Get("account"), q.Get("status")
	var out []mockInvoice
	for _, inv := range m.invoices {
		if (account == "" || strings.EqualFold(inv.Account, account)) && (status == "" || inv.Status == status) {
			out = append(out, inv)
		}
	}
	return http.StatusOK, listOf(out)
}

func (m *mocks) getInvoice(r *http.Request) (int, any) {
	return findMock(m.invoices, "invoice", r.PathValue("id"), func(i mockInvoice) string { return i.ID })
}

func findMock[T any](items []T, what, id string, key func(T) string) (int, any) {
	for _, it := range items {
		if key(it) == id {
			return http.StatusOK, it
		}
	}
	return notFoundMock(what, id)
}

// mockModeRequest is the body of POST /api/mocks/{system}/mode.
type mockModeRequest struct {
	Mode mockMode `json:"mode"`
}

// mocksBody is the answer of GET /api/mocks.
type mocksBody struct {
	Items []mockState `json:"items"`
}

// handleListMocks lists the mock systems and their modes.
func (s *server) handleListMocks(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, s.logger, http.StatusOK, mocksBody{Items: s.mocks.states()})
	return nil
}

// handleSetMockMode switches a mock system to healthy, slow, flaky or
// down. Any signed-in agent may: the mocks exist for demonstrations.
func (s *server) handleSetMockMode(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("system")
	sys := s.mocks.systems[name]
	if sys == nil {
		return icc.Errorf(icc.ENOTFOUND, "no mock system %q (crm or erp)", name)
	}
	var req mockModeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !req.Mode.valid() {
		return icc.Invalid("mode", "must be healthy, slow, flaky or down")
	}
	sys.setMode(req.Mode)
	s.logger.InfoContext(r.Context(), "mock system mode changed", "system", name, "mode", req.Mode, "agent", agentFrom(r.Context()).ID)
	writeJSON(w, s.logger, http.StatusOK, sys.state())
	return nil
}

// mockCustomer is a customer record of the mock CRM.
type mockCustomer struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	Tier    string `json:"tier"`
	Account string `json:"account"`
}

// mockOrder is a sales order of the mock ERP.
type mockOrder struct {
	ID       string    `json:"id"`
	Account  string    `json:"account"`
	Status   string    `json:"status"`
	Total    float64   `json:"total"`
	Currency string    `json:"currency"`
	PlacedAt time.Time `json:"placed_at"`
}

// mockInvoice is an invoice of the mock ERP.
type mockInvoice struct {
	ID       string    `json:"id"`
	OrderID  string    `json:"order_id"`
	Account  string    `json:"account"`
	Status   string    `json:"status"`
	Amount   float64   `json:"amount"`
	Currency string    `json:"currency"`
	DueAt    time.Time `json:"due_at"`
}

// mockData builds the mocks' records: the demo customers and a few more in
// the CRM, and two to four orders per account, each with an invoice, in
// the ERP. The same every time.
func mockData() ([]mockCustomer, []mockOrder, []mockInvoice) {
	var custs []mockCustomer
	for _, d := range demoCustomers() {
		custs = append(custs, mockCustomer{Email: d.email, Name: d.name, Tier: d.tier, Account: d.account})
	}
	custs = append(custs,
		mockCustomer{Email: "kim@woodgrove.example", Name: "Kim Andersen", Tier: "pro", Account: "Woodgrove Bank"},
		mockCustomer{Email: "luis@litware.example", Name: "Luis Garcia", Tier: "free", Account: "Litware"},
		mockCustomer{Email: "aiko@proseware.example", Name: "Aiko Tanaka", Tier: "enterprise", Account: "Proseware"},
	)
	var (
		orders   []mockOrder
		invoices []mockInvoice
		base     = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
		orderSt  = []string{"delivered", "shipped", "processing", "delivered"}
		invSt    = []string{"paid", "paid", "open", "overdue"}
	)
	for i := range custs {
		custs[i].ID = fmt.Sprintf("CUST-%04d", 1001+i)
		for j := range 2 + i%3 {
			n := len(orders) + 1
			total := float64(120+(i*37+j*53)%900) + float64((i+j)%4)*0.25
			placed := base.AddDate(0, 0, i*7+j*11)
			o := mockOrder{ID: fmt.Sprintf("SO-%05d", 10000+n), Account: custs[i].Account,
				Status: orderSt[(i+j)%len(orderSt)], Total: total, Currency: "EUR", PlacedAt: placed}
			orders = append(orders, o)
			invoices = append(invoices, mockInvoice{ID: fmt.Sprintf("INV-%05d", 20000+n), OrderID: o.ID,
				Account: o.Account, Status: invSt[(i*3+j)%len(invSt)], Amount: total, Currency: "EUR",
				DueAt: placed.AddDate(0, 0, 30)})
		}
	}
	return custs, orders, invoices
}

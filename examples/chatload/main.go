// Command chatload is an end-to-end load generator for the chat package:
// it starts one or more chat hubs on one store (in memory, or PostgreSQL
// shared through its bus as a cluster would), connects customers and agents
// over real WebSockets, has every customer send messages at a steady rate,
// and reports throughput, how long a message took to be acknowledged
// (stored) and to reach the agent watching the conversation, usually on
// another hub, and whether any message was lost, duplicated or delivered
// out of order.
//
//	go run ./examples/chatload [-database-url URL] [-hubs 2] [-conversations 200] [-agents 4]
//	    [-messages 20] [-rate 5] [-window 8] [-classify] [-timeout 2m]
//
// Agents that lose their connection (a slow consumer is disconnected by
// the hub) reconnect and resume from the last sequence number they saw, as
// a real client does; the report counts the reconnects. With a PostgreSQL
// URL the run writes customers, conversations and messages into that
// database: use a scratch one.
//
// Exit status: 0 when every message was acknowledged once and delivered
// once and in order, 1 when not (or on an error), 2 for bad flags or an
// unusable -database-url.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags say.
type config struct {
	databaseURL   string
	hubs          int
	conversations int
	agents        int
	messages      int
	rate          float64
	window        int
	classify      bool
	timeout       time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("chatload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.databaseURL, "database-url", "memory://", "storage: memory:// or postgres://… (a scratch database: the run writes to it)")
	fs.IntVar(&c.hubs, "hubs", 2, "chat hubs sharing the store and bus, each on its own port (1-16)")
	fs.IntVar(&c.conversations, "conversations", 200, "conversations, one customer connection each (1-20000)")
	fs.IntVar(&c.agents, "agents", 4, "agent connections; each conversation is watched by one, on another hub when there are several (1-1000)")
	fs.IntVar(&c.messages, "messages", 20, "messages each customer sends (1-100000)")
	fs.Float64Var(&c.rate, "rate", 5, "messages per second per customer; 0 sends as fast as -window allows")
	fs.IntVar(&c.window, "window", 8, "messages a customer may have sent but not yet seen acknowledged (1-1000)")
	fs.BoolVar(&c.classify, "classify", false, "classify every customer message with the offline classifier, as the reference server does")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, r := range []struct {
		name     string
		v, lo, h int
	}{
		{"hubs", c.hubs, 1, 16}, {"conversations", c.conversations, 1, 20000}, {"agents", c.agents, 1, 1000},
		{"messages", c.messages, 1, 100000}, {"window", c.window, 1, 1000},
	} {
		if r.v < r.lo || r.v > r.h {
			return c, fmt.Errorf("-%s %d is outside %d..%d", r.name, r.v, r.lo, r.h)
		}
	}
	if c.rate < 0 || c.rate > 10000 {
		return c, fmt.Errorf("-rate %g is outside 0..10000", c.rate)
	}
	if c.timeout <= 0 {
		return c, fmt.Errorf("-timeout must be positive")
	}
	// A customer's frames must stay under the hub's rate limit, which is
	// set from -rate below.
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "chatload:", err)
		}
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := load(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "chatload:", err)
		if icc.ErrorCode(err) == icc.EINVALID { // a bad -database-url
			return 2
		}
		return 1
	}
	rep.print(stdout)
	if !rep.ok() {
		return 1
	}
	return 0
}

// cluster is the hubs under load, each served on its own listener.
type cluster struct {
	backend icc.Backend
	hubs    []*chat.Hub
	servers []*http.Server
	urls    []string // ws://127.0.0.1:port/ws
}

// agentHeader names the agent a load-test agent connection speaks for.
const agentHeader = "X-Chatload-Agent"

func startCluster(ctx context.Context, cfg config, log *slog.Logger) (*cluster, error) {
	be, err := storage.Open(ctx, cfg.databaseURL, storage.WithLogger(log))
	if err != nil {
		return nil, err
	}
	cl := &cluster{backend: be}
	var clf classify.Classifier
	if cfg.classify {
		if clf, err = classify.NewOffline(classify.OfflineConfig{}); err != nil {
			cl.close()
			return nil, err
		}
	}
	for i := range cfg.hubs {
		hub, err := chat.NewHub(chat.Config{
			Store: be, Bus: be, Logger: log, Classifier: clf,
			Instance: fmt.Sprintf("chatload-%d", i),
			AuthenticateAgent: func(r *http.Request) (chat.Participant, error) {
				if id := r.Header.Get(agentHeader); id != "" {
					return chat.Participant{Role: chat.RoleAgent, ID: id}, nil
				}
				return chat.Participant{}, icc.Errorf(icc.EUNAUTHORIZED, "no agent")
			},
			// The load is the customers' messages, not the bot's: it never
			// answers, so every conversation holds exactly what was sent
			// (and the system messages of escalations, with -classify).
			BotReply: func(context.Context, chat.BotInput) (string, bool) { return "", false },
			// Customers send at most -rate messages a second (with -rate 0,
			// as fast as their window allows), plus their subscribe frame.
			RateLimit: rateLimit(cfg.rate), RateBurst: max(40, 2*cfg.window),
			// An agent follows every conversation it watches on one
			// connection.
			MaxSubscriptions: max(1000, cfg.conversations),
		})
		if err != nil {
			cl.close()
			return nil, err
		}
		cl.hubs = append(cl.hubs, hub)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			cl.close()
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /ws", hub)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		cl.servers = append(cl.servers, srv)
		cl.urls = append(cl.urls, "ws://"+ln.Addr().String()+"/ws")
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("chatload: serving a hub", "err", err)
			}
		}()
	}
	return cl, nil
}

// rateLimit is the hub's frames-per-second limit per connection for
// customers sending rate messages a second (0: unpaced).
func rateLimit(rate float64) float64 {
	if rate == 0 {
		return 1e6
	}
	return max(20, 2*rate)
}

// close stops the servers and hubs, then closes the store.
func (cl *cluster) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, hub := range cl.hubs {
		_ = hub.Shutdown(ctx)
		if i < len(cl.servers) {
			_ = cl.servers[i].Shutdown(ctx)
		}
	}
	_ = cl.backend.Close()
}

// conversation is one customer's conversation under load.
type conversation struct {
	id, token string
	hub       int            // the hub its customer is connected to
	agent     int            // the agent watching it
	sentAt    []atomic.Int64 // unix nanos each message was written, by message number
	acked     atomic.Int64
	delivered atomic.Int64
}

// report is what a run measured.
type report struct {
	cfg                  config
	started, finished    time.Time
	sent, acked, dupAcks int64
	delivered, dupDeliv  int64
	outOfOrder           int64
	reconnects           int64
	customerErrors       []string
	ackLat, delivLat     []time.Duration
	timedOut             bool
}

func (r *report) ok() bool {
	want := int64(r.cfg.conversations * r.cfg.messages)
	return !r.timedOut && r.acked == want && r.delivered == want && r.dupAcks == 0 && r.dupDeliv == 0 &&
		r.outOfOrder == 0 && len(r.customerErrors) == 0
}

func load(ctx context.Context, cfg config, log *slog.Logger) (*report, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	cl, err := startCluster(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer cl.close()

	// Conversations, each watched by an agent on another hub than its
	// customer's when there is one, so that delivery crosses the bus.
	convs := make([]*conversation, cfg.conversations)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range convs {
		cust := &icc.Customer{Email: fmt.Sprintf("load-%s-%d@chatload.example", run, i), Name: fmt.Sprintf("Load customer %d", i)}
		if err := cl.backend.CreateCustomer(ctx, cust); err != nil {
			return nil, fmt.Errorf("creating customers: %w", err)
		}
		hub := i % cfg.hubs
		c, token, err := cl.hubs[hub].StartConversation(ctx, cust.ID, "load test")
		if err != nil {
			return nil, err
		}
		convs[i] = &conversation{id: c.ID, token: token, hub: hub, agent: pickAgent(i, hub, cfg), sentAt: make([]atomic.Int64, cfg.messages)}
	}
	rep := &report{cfg: cfg}
	var mu sync.Mutex // guards rep's slices
	byID := make(map[string]*conversation, len(convs))
	for _, c := range convs {
		byID[c.id] = c
	}

	// Agents first, so that every message has somebody to reach.
	want := int64(cfg.conversations * cfg.messages)
	var deliveredAll atomic.Int64
	allDelivered := make(chan struct{})
	var agentWG sync.WaitGroup
	agentCtx, stopAgents := context.WithCancel(ctx)
	defer stopAgents()
	ready := make(chan error, cfg.agents)
	for a := range cfg.agents {
		var mine []*conversation
		for _, c := range convs {
			if c.agent == a {
				mine = append(mine, c)
			}
		}
		ag := &agent{id: fmt.Sprintf("agent-%s-%d", run, a), url: cl.urls[a%cfg.hubs], convs: mine, byID: byID,
			last: map[string]int64{}, onMessage: func(c *conversation, seq int64, m wireMessage, at time.Time) {
				if m.SenderType != string(icc.SenderCustomer) {
					return
				}
				n, ok := messageNumber(m.ClientID, c)
				if !ok {
					return
				}
				if c.delivered.Add(1) > int64(cfg.messages) {
					atomic.AddInt64(&rep.dupDeliv, 1)
					return
				}
				d := at.Sub(time.Unix(0, c.sentAt[n].Load()))
				mu.Lock()
				rep.delivLat = append(rep.delivLat, d)
				mu.Unlock()
				if deliveredAll.Add(1) == want {
					close(allDelivered)
				}
			}}
		agentWG.Add(1)
		go func() {
			defer agentWG.Done()
			ag.run(agentCtx, ready, &rep.outOfOrder, &rep.reconnects, log)
		}()
	}
	for range cfg.agents {
		select {
		case err := <-ready:
			if err != nil {
				return nil, fmt.Errorf("connecting agents: %w", err)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting agents: %w", ctx.Err())
		}
	}

	// Customers: connect everyone, then start sending together.
	customers := make([]*customer, len(convs))
	for i, c := range convs {
		u := cl.urls[c.hub] + "?" + url.Values{"conversation_id": {c.id}, "token": {c.token}}.Encode()
		cu, err := dialCustomer(ctx, u, c)
		if err != nil {
			for _, done := range customers[:i] {
				done.ws.CloseNow()
			}
			return nil, fmt.Errorf("connecting customer %d: %w", i, err)
		}
		customers[i] = cu
	}
	rep.started = time.Now()
	var custWG sync.WaitGroup
	for i, cu := range customers {
		custWG.Add(1)
		go func() {
			defer custWG.Done()
			lat, err := cu.run(ctx, cfg, i)
			mu.Lock()
			defer mu.Unlock()
			rep.ackLat = append(rep.ackLat, lat...)
			if err != nil {
				rep.customerErrors = append(rep.customerErrors, fmt.Sprintf("customer %d: %v", i, err))
			}
		}()
	}
	custWG.Wait()
	select {
	case <-allDelivered:
	case <-ctx.Done():
		rep.timedOut = true
	}
	rep.finished = time.Now()
	stopAgents()
	agentWG.Wait()
	for _, c := range convs {
		rep.acked += min(c.acked.Load(), int64(cfg.messages))
		rep.dupAcks += max(0, c.acked.Load()-int64(cfg.messages))
		rep.delivered += min(c.delivered.Load(), int64(cfg.messages))
	}
	for _, c := range convs {
		for n := range c.sentAt {
			if c.sentAt[n].Load() != 0 {
				rep.sent++
			}
		}
	}
	return rep, nil
}

// pickAgent chooses the agent watching conversation i whose customer is on
// hub: agents are spread over the hubs (agent a on hub a mod hubs), and
// one on another hub is chosen when there is one.
func pickAgent(i, hub int, cfg config) int {
	var others []int
	for a := range cfg.agents {
		if cfg.hubs == 1 || a%cfg.hubs != hub {
			others = append(others, a)
		}
	}
	if len(others) == 0 { // fewer agents than hubs: every agent is on this hub
		return i % cfg.agents
	}
	return others[(i/cfg.hubs)%len(others)]
}

// clientID is the idempotency key of a customer's message number n.
func clientID(n int) string { return "m-" + strconv.Itoa(n) }

// messageNumber recovers n from a clientID.
func messageNumber(id string, c *conversation) (int, bool) {
	s, ok := strings.CutPrefix(id, "m-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= len(c.sentAt) {
		return 0, false
	}
	return n, true
}

// frame is the part of a server frame the load generator reads. Message
// is the stored message of a message frame, and the text of an error frame.
type frame struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	ClientID       string          `json:"client_id"`
	Seq            int64           `json:"seq"`
	Duplicate      bool            `json:"duplicate"`
	Code           string          `json:"code"`
	Message        json.RawMessage `json:"message"`
}

// wireMessage is a stored message as frames carry it.
type wireMessage struct {
	Seq        int64  `json:"seq"`
	ClientID   string `json:"client_id"`
	SenderType string `json:"sender_type"`
}

// customer is one customer's connection.
type customer struct {
	ws   *websocket.Conn
	conv *conversation
}

func dialCustomer(ctx context.Context, u string, c *conversation) (*customer, error) {
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	cu := &customer{ws: ws, conv: c}
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "conversation_id": c.id, "after_seq": 0})
	if err := ws.Write(ctx, websocket.MessageText, sub); err != nil {
		ws.CloseNow()
		return nil, err
	}
	// Wait for the end of the (empty) replay, so that sending starts on a
	// subscribed connection.
	for {
		var f frame
		if err := readFrame(ctx, ws, &f); err != nil {
			ws.CloseNow()
			return nil, err
		}
		if f.Type == "error" {
			ws.CloseNow()
			return nil, fmt.Errorf("subscribing: %s: %s", f.Code, f.Message)
		}
		if f.Type == "subscribed" {
			return cu, nil
		}
	}
}

// run sends cfg.messages messages at cfg.rate with at most cfg.window
// unacknowledged, reads the acknowledgements and returns their latencies.
func (cu *customer) run(ctx context.Context, cfg config, i int) ([]time.Duration, error) {
	c := cu.conv
	credit := make(chan struct{}, cfg.window)
	for range cfg.window {
		credit <- struct{}{}
	}
	type result struct {
		lat []time.Duration
		err error
	}
	done := make(chan result, 1)
	go func() { // reader: acknowledgements
		lat := make([]time.Duration, 0, cfg.messages)
		for c.acked.Load() < int64(cfg.messages) {
			var f frame
			if err := readFrame(ctx, cu.ws, &f); err != nil {
				done <- result{lat, err}
				return
			}
			switch f.Type {
			case "ack":
				n, ok := messageNumber(f.ClientID, c)
				if !ok || f.Duplicate {
					done <- result{lat, fmt.Errorf("unexpected ack for %q (duplicate %v)", f.ClientID, f.Duplicate)}
					return
				}
				lat = append(lat, time.Since(time.Unix(0, c.sentAt[n].Load())))
				c.acked.Add(1)
				credit <- struct{}{}
			case "error":
				done <- result{lat, fmt.Errorf("error frame %q for %s: %s", f.Code, f.ClientID, f.Message)}
				return
			}
		}
		done <- result{lat, nil}
	}()
	// stop ends the reader early and returns what it measured with err.
	stop := func(err error) ([]time.Duration, error) {
		cu.ws.CloseNow()
		r := <-done
		if r.err != nil && err == nil {
			err = r.err
		}
		return r.lat, err
	}
	var tick *time.Ticker
	if cfg.rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
		defer tick.Stop()
	}
	body := bodies[i%len(bodies)]
	for n := range cfg.messages {
		if tick != nil {
			select {
			case <-tick.C:
			case r := <-done:
				cu.ws.CloseNow()
				return r.lat, early(r.err)
			case <-ctx.Done():
				return stop(ctx.Err())
			}
		}
		select {
		case <-credit:
		case r := <-done:
			cu.ws.CloseNow()
			return r.lat, early(r.err)
		case <-ctx.Done():
			return stop(ctx.Err())
		}
		b, _ := json.Marshal(map[string]any{"type": "message", "conversation_id": c.id, "client_id": clientID(n),
			"body": fmt.Sprintf("%s (%d)", body, n)})
		c.sentAt[n].Store(time.Now().UnixNano())
		if err := cu.ws.Write(ctx, websocket.MessageText, b); err != nil {
			return stop(err)
		}
	}
	select {
	case r := <-done:
		cu.ws.CloseNow()
		return r.lat, r.err
	case <-ctx.Done():
		return stop(ctx.Err())
	}
}

// early is the error of a reader that ended before every message was sent.
func early(err error) error {
	if err == nil {
		return errors.New("acknowledgements ended before every message was sent")
	}
	return err
}

// bodies are the customers' messages: ordinary requests, none of which
// escalates, so that -classify measures classification without turning
// conversations over to humans.
var bodies = []string{
	"Where is my order? It was due yesterday",
	"How do I download the invoice for last month",
	"Can I change the delivery address on my order",
	"What payment methods do you accept",
	"I forgot my password and the reset email never came",
	"How long does shipping to Canada take",
}

// agent is one agent's connection, resumed after a disconnect.
type agent struct {
	id, url   string
	convs     []*conversation
	byID      map[string]*conversation
	last      map[string]int64 // highest seq seen per conversation
	onMessage func(c *conversation, seq int64, m wireMessage, at time.Time)
}

// run connects, subscribes to the agent's conversations and reads until
// ctx ends, reconnecting after errors. The first connection's outcome goes
// to ready.
func (ag *agent) run(ctx context.Context, ready chan<- error, outOfOrder, reconnects *int64, log *slog.Logger) {
	first := true
	for ctx.Err() == nil {
		err := ag.session(ctx, func(err error) {
			if first {
				first = false
				ready <- err
			}
		}, outOfOrder)
		if ctx.Err() != nil {
			return
		}
		if first { // could not even connect once
			first = false
			ready <- err
			return
		}
		atomic.AddInt64(reconnects, 1)
		log.Warn("chatload: agent reconnects", "agent", ag.id, "err", err)
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// session is one connection: subscribe to every conversation after the
// last seq seen, then read.
func (ag *agent) session(ctx context.Context, subscribed func(error), outOfOrder *int64) error {
	h := http.Header{}
	h.Set(agentHeader, ag.id)
	ws, _, err := websocket.Dial(ctx, ag.url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	for _, c := range ag.convs {
		b, _ := json.Marshal(map[string]any{"type": "subscribe", "conversation_id": c.id, "after_seq": ag.last[c.id]})
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			return err
		}
	}
	pending := len(ag.convs)
	if pending == 0 {
		subscribed(nil)
	}
	for {
		var f frame
		if err := readFrame(ctx, ws, &f); err != nil {
			return err
		}
		switch f.Type {
		case "subscribed":
			if pending--; pending == 0 {
				subscribed(nil)
			}
		case "message":
			at := time.Now()
			c := ag.byID[f.ConversationID]
			var m wireMessage
			if c == nil || json.Unmarshal(f.Message, &m) != nil {
				continue
			}
			seq := m.Seq
			switch last := ag.last[c.id]; {
			case seq <= last:
				continue // a resumed replay may repeat nothing; ignore if it does
			case seq != last+1:
				atomic.AddInt64(outOfOrder, 1)
			}
			ag.last[c.id] = seq
			ag.onMessage(c, seq, m, at)
		case "error":
			return fmt.Errorf("error frame %q: %s", f.Code, f.Message)
		}
	}
}

func readFrame(ctx context.Context, ws *websocket.Conn, f *frame) error {
	_, b, err := ws.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, f)
}

func (r *report) print(w io.Writer) {
	c := r.cfg
	want := c.conversations * c.messages
	elapsed := r.finished.Sub(r.started)
	where := "memory"
	if strings.HasPrefix(c.databaseURL, "postgres") {
		where = "postgres"
	}
	fmt.Fprintf(w, "chatload: %d hub(s) on %s, %d conversations, %d agents, %d messages each (%d in all), rate %g/s per customer, window %d, classify %v\n",
		c.hubs, where, c.conversations, c.agents, c.messages, want, c.rate, c.window, c.classify)
	fmt.Fprintf(w, "sent %d, acknowledged %d (%d twice), delivered to agents %d (%d twice), out of order %d, agent reconnects %d\n",
		r.sent, r.acked, r.dupAcks, r.delivered, r.dupDeliv, r.outOfOrder, r.reconnects)
	if elapsed > 0 {
		fmt.Fprintf(w, "throughput %.0f messages/s over %.2fs\n", float64(r.delivered)/elapsed.Seconds(), elapsed.Seconds())
	}
	fmt.Fprintf(w, "ack latency (sent -> stored and acknowledged):      %s\n", percentiles(r.ackLat))
	fmt.Fprintf(w, "delivery latency (sent -> received by the agent): %s\n", percentiles(r.delivLat))
	for i, e := range r.customerErrors {
		if i == 5 {
			fmt.Fprintf(w, "… and %d more customer errors\n", len(r.customerErrors)-5)
			break
		}
		fmt.Fprintln(w, e)
	}
	if r.timedOut {
		fmt.Fprintf(w, "timed out after %s with %d of %d messages delivered\n", c.timeout, r.delivered, want)
	}
	verdict := "ok"
	if !r.ok() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "result=%s messages=%d lost=%d duplicated=%d out_of_order=%d msgs_per_s=%.0f\n", verdict, want,
		int64(want)-r.delivered, r.dupAcks+r.dupDeliv, r.outOfOrder, float64(r.delivered)/max(elapsed.Seconds(), 1e-9))
}

// percentiles formats p50, p95, p99 and the maximum of ds.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	p := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s", r(p(0.50)), r(p(0.95)), r(p(0.99)), r(s[len(s)-1]))
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findChrome returns the path of a Chromium or Chrome binary, or skips the
// test with a message saying what to install.
func findChrome(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser test skipped: no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
	return ""
}

// newBrowser starts a headless browser for the test, with a fresh profile,
// and returns a context for its first tab.
func newBrowser(t *testing.T, chrome string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx), "start the browser")
	return ctx
}

// step runs browser actions under a timeout, failing the test with what
// was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, actions...), what)
}

// value runs one browser action that returns a value, under a timeout.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	require.NoError(t, err, what)
	return v
}

// pollText waits until the element matched by selector contains text.
func pollText(selector, text string) chromedp.Action[chromedp.Void] {
	js := `(() => { const el = document.querySelector(` + jsString(selector) + `);
		return !!el && el.textContent.includes(` + jsString(text) + `); })()`
	return poll(js)
}

// poll waits until the JavaScript expression js is true.
func poll(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second),
			chromedp.WithPollingInterval(50*time.Millisecond))(ctx, t)
		return chromedp.Void{}, err
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// seenUnder is a JavaScript expression that is true when the page has one
// element matching selector, it says exactly text, and it directly follows
// the message that contains msg: the "Seen" line of read receipts.
func seenUnder(selector, text, msg string) string {
	return `(() => { const all = document.querySelectorAll(` + jsString(selector) + `);
		if (all.length !== 1) return false;
		const s = all[0], prev = s.previousElementSibling;
		return s.textContent === ` + jsString(text) + ` && !!prev && prev.textContent.includes(` + jsString(msg) + `); })()`
}

// apiClient is a signed-in agent talking to the API over plain HTTP, for
// changes "by someone else" while the browser's agent looks on.
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

// signIn signs in as the agent with email and password.
func signIn(t *testing.T, base, email, password string) *apiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	a := &apiClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	code := a.do("POST", "/api/auth/login", map[string]string{"email": email, "password": password}, nil)
	require.Equal(t, http.StatusOK, code, "sign in as %s", email)
	return a
}

// do sends body as JSON (unless nil), decodes a 2xx answer into out (unless
// nil) and returns the status code.
func (a *apiClient) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := a.c.Do(req)
	require.NoError(a.t, err, "%s %s", method, path)
	defer res.Body.Close()
	if out != nil && res.StatusCode/100 == 2 {
		require.NoError(a.t, json.NewDecoder(res.Body).Decode(out), "%s %s", method, path)
	}
	return res.StatusCode
}

// TestBrowserUI drives the real server in headless Chromium: an admin
// signs in and sees the dashboard, opens a ticket and replies; a customer
// chats from the widget page in a separate browser context, and the
// message shows up in the agent's chat console; integrations, logs,
// maintenance (scheduling one) and analytics render. Read receipts show
// both ways ("Seen by customer" in the console, "Seen" in the widget), and
// an unsaved edit of a ticket's fields survives a change by another agent.
// The screens follow what others do live: the ticket list shows a new
// ticket, the open conversation's header and reply box follow another
// agent's assign, convert and close, and a send the hub refuses says "Not
// sent" and why. The widget refuses a blank first message, keeps messages
// in seq order across a reconnect (the back/forward cache's pagehide and
// pageshow), and leaves "no agent is online" when one comes. A server
// without demo data shows no demo logins and no mock switches, and after
// it restarts (in memory: everything is gone) the widget offers a new
// conversation and the console asks to sign in again.
// Set ICC_UI_SCREENSHOTS to a directory to keep the screenshots there.
func TestBrowserUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChrome(t)
	srv := startRun(t, []string{"-addr", "127.0.0.1:0"}, nil)
	shots := os.Getenv("ICC_UI_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100 means PNG
		require.NoError(t, os.WriteFile(filepath.Join(shots, "ui-"+name+".png"), png, 0o644))
	}

	agent := newBrowser(t, chrome)
	// Tom is another agent, acting through the API while the browser's
	// agent looks on.
	tom := signIn(t, srv.url, "tom@example.com", "demo-agent")

	// Sign in (a demo server shows the demo logins); the dashboard shows
	// the integrations and ticket figures.
	step(t, agent, "sign in",
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		pollText("#login-help", "Demo: admin@example.com / demo-admin"),
		chromedp.SendKeys(chromedp.CSS("#login-email"), "admin@example.com"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "demo-admin"),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#integration-status li")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-figures .kpi")),
		pollText("#integration-status", "Mock CRM"),
		pollText("#me", "Ada Admin"),
	)
	status := value(t, agent, "read statuses", chromedp.Text(chromedp.CSS("#integration-status")))
	for _, name := range []string{"Mock CRM", "Mock ERP", "Billing API"} {
		assert.Contains(t, status, name)
	}
	shot(agent, "dashboard")
	// "Skip to content" moves the focus to the main region, without routing.
	step(t, agent, "skip to content",
		chromedp.Navigate(srv.url+"/#/analytics"),
		chromedp.WaitVisible(chromedp.CSS("#analytics .kpi")),
		poll(`(() => { document.querySelector(".skip").click();
			return document.activeElement?.id === "main" && location.hash === "#/analytics"; })()`),
	)
	// Count axes have whole-number ticks only.
	assert.True(t, value(t, agent, "whole-number ticks", chromedp.Evaluate[bool](`(() => {
		const ticks = [...document.querySelectorAll('#analytics svg.chart:not(.hbars) text.axis[text-anchor="end"]')];
		return ticks.length > 0 && ticks.every((t) => /^\d+$/.test(t.textContent)); })()`)))
	// API errors read as sentences.
	assert.Equal(t, "Status max must not be below status min|Too many failed sign-ins; try again in 6 minutes",
		value(t, agent, "error texts", chromedp.Evaluate[string](`import("/static/api.js").then((m) => [
			m.errorText(new m.APIError(422, "invalid", "must not be below status_min", "status_max")),
			m.errorText(new m.APIError(429, "rate_limited", "too many failed sign-ins; try again in 356s"))].join("|"))`,
			chromedp.EvalAwaitPromise)))

	// The ticket list, one ticket, and a reply that lands in its trail.
	const reply = "Thanks, we are on it (browser test)"
	step(t, agent, "open a ticket",
		chromedp.Click(chromedp.CSS(`a[data-nav="tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-rows tr a")),
	)
	// The list is live: a ticket another agent creates shows up.
	const liveSubject = "Created while the list was open (browser test)"
	require.Equal(t, http.StatusCreated, tom.do("POST", "/api/tickets", map[string]string{
		"subject": liveSubject, "body": "Please call me back", "customer_email": "live.list@test.example"}, nil))
	step(t, agent, "see the new ticket in the list", pollText("#ticket-rows", liveSubject))
	shot(agent, "tickets")
	step(t, agent, "reply to a ticket",
		chromedp.Click(chromedp.CSS("#ticket-rows tr:first-child a")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-trail li")),
		chromedp.WaitVisible(chromedp.CSS("#ticket-fields")),
		pollText("#ticket-customer", "@"), // the customer's email, looked up
		chromedp.SendKeys(chromedp.CSS("#reply-body"), reply),
		chromedp.Click(chromedp.CSS(`#reply-form button[value="reply"]`)),
		pollText("#ticket-trail", reply),
	)
	shot(agent, "ticket")

	// A customer writes from the widget in their own browser context (no
	// agent cookie), and the agent's console shows the message.
	customer, cancel := chromedp.NewContext(agent, chromedp.WithNewBrowserContext())
	defer cancel()
	require.NoError(t, chromedp.Do(customer), "open a second browser context")
	const subject, hello = "Widget browser test", "Hello from the widget, order 4711"
	step(t, customer, "start a chat",
		chromedp.Navigate(srv.url+"/widget"),
		chromedp.WaitVisible(chromedp.CSS(`#start input[name="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`#start input[name="name"]`), "Wanda Widget"),
		chromedp.SendKeys(chromedp.CSS(`#start input[name="email"]`), "wanda@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#start input[name="subject"]`), subject),
		// A first message of only spaces is refused, as an empty one is.
		chromedp.SendKeys(chromedp.CSS(`#start textarea[name="message"]`), "   "),
		chromedp.Click(chromedp.CSS(`#start button[type="submit"]`)),
		poll(`document.querySelector('#start textarea[name="message"]').validationMessage !== ""`),
	)
	assert.True(t, value(t, customer, "no conversation for a blank message", chromedp.Evaluate[bool](
		`!document.querySelector("#start").hidden && document.querySelector("#chat").hidden && sessionStorage.getItem("icc.widget") === null`)))
	step(t, customer, "start the chat",
		chromedp.SendKeys(chromedp.CSS(`#start textarea[name="message"]`), "Hi there"),
		chromedp.Click(chromedp.CSS(`#start button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#messages li")),
		// Enter that picks a word of an input method (IME) sends nothing.
		poll(`(() => { const b = document.querySelector("#body"); b.value = "にほんご";
			b.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", isComposing: true, bubbles: true, cancelable: true }));
			const kept = b.value === "にほんご" && !document.querySelector("#messages li.pending");
			b.value = ""; return kept; })()`),
		chromedp.SendKeys(chromedp.CSS("#body"), hello),
		chromedp.Click(chromedp.CSS(`#send button[type="submit"]`)),
		poll(`[...document.querySelectorAll("#messages li[data-seq]")].some(li => li.textContent.includes(`+jsString(hello)+`))`),
		// Once the chat is on, the start form is gone and the status is
		// friendly text, not a protocol error.
		chromedp.WaitNotVisible(chromedp.CSS("#start")),
		pollText("#widget-status", "Connected"),
	)
	// The hello was acked, so any error frame for the subscribe, sent
	// before it, has arrived by now.
	page := value(t, customer, "read the widget", chromedp.TextContent(chromedp.CSS("#widget")))
	assert.NotContains(t, page, "already subscribed")
	assert.NotContains(t, page, "bad_frame")
	// No agent has read anything yet: the customer's own read marks,
	// which the hub echoes, are no "Seen".
	assert.False(t, value(t, customer, "no Seen yet", chromedp.Evaluate[bool](`document.querySelector("#seen") !== null`)))
	shot(customer, "widget")

	step(t, agent, "see it in the chat console",
		chromedp.Click(chromedp.CSS(`a[data-nav="chat"]`)),
		pollText("#conversations", subject),
		chromedp.Click(chromedp.CSS(`#conversations button[data-subject="`+subject+`"]`)),
		pollText("#chat-messages", hello),
	)
	shot(agent, "chat")
	// Opening the conversation read it: the widget says "Seen" under the
	// customer's last message.
	step(t, customer, "see Seen in the widget", poll(seenUnder("#seen", "Seen", hello)))

	// The agent answers, and the widget says an agent is here; a reply of
	// only spaces is refused with a validation message.
	const answer = "Hi Wanda, looking into it"
	step(t, agent, "answer in the chat console",
		chromedp.SendKeys(chromedp.CSS("#chat-body"), "   "),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		poll(`document.querySelector("#chat-body").validationMessage !== ""`),
		chromedp.SendKeys(chromedp.CSS("#chat-body"), answer),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		pollText("#chat-messages", answer),
	)
	step(t, customer, "see the agent in the widget",
		pollText("#messages", answer),
		pollText("#widget-status", "an agent is here"),
	)
	// The widget read the answer: the console says so under it, and the
	// line moves on when the customer reads the next one.
	step(t, agent, "see Seen by customer in the console", poll(seenUnder("#chat-seen", "Seen by customer", answer)))
	const answer2 = "It was a duplicate add-on; I have removed it"
	step(t, agent, "answer again",
		chromedp.SendKeys(chromedp.CSS("#chat-body"), answer2),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		poll(seenUnder("#chat-seen", "Seen by customer", answer2)),
	)
	shot(agent, "chat-seen")
	// After a reload the console draws "Seen by customer" with the history,
	// from the stored read marks: no read frame comes (the customer has
	// read everything already), and the hub replays none.
	step(t, agent, "reload the console",
		chromedp.Reload(),
		pollText("#chat-messages", answer2),
	)
	assert.True(t, value(t, agent, "Seen by customer at once after the reload",
		chromedp.Evaluate[bool](seenUnder("#chat-seen", "Seen by customer", answer2))))
	// The customer writes again; the open console reads it, and the
	// widget's "Seen" moves under it.
	const thanks = "Thank you, that was quick"
	step(t, customer, "write again and see Seen move",
		pollText("#messages", answer2),
		chromedp.SendKeys(chromedp.CSS("#body"), thanks),
		chromedp.Click(chromedp.CSS(`#send button[type="submit"]`)),
		poll(seenUnder("#seen", "Seen", thanks)),
	)
	shot(customer, "widget-seen")

	// The widget's page goes into the back/forward cache (pagehide): its
	// socket closes. The customer writes meanwhile and the agent answers;
	// back on the page (pageshow) the widget reconnects, the agent's
	// answer is replayed and the customer's message sent: they show in
	// seq order, the answer first, not the pending bubble's place first.
	const away, still = "Still here while you were away", "Are you still there?"
	step(t, customer, "leave the widget's page",
		poll(`(() => { window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true })); return true; })()`),
		pollText("#widget-status", "Reconnecting"),
		chromedp.SendKeys(chromedp.CSS("#body"), still),
		chromedp.Click(chromedp.CSS(`#send button[type="submit"]`)),
		poll(`[...document.querySelectorAll("#messages li.pending")].some((li) => li.textContent.includes(`+jsString(still)+`))`),
	)
	step(t, agent, "answer while the customer is away",
		chromedp.SendKeys(chromedp.CSS("#chat-body"), away),
		chromedp.Click(chromedp.CSS(`.composer button[type="submit"]`)),
		poll(`[...document.querySelectorAll("#chat-messages li[data-seq]")].some((li) => li.textContent.includes(`+jsString(away)+`))`),
	)
	step(t, customer, "come back: messages in seq order",
		poll(`(() => { window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true })); return true; })()`),
		poll(`(() => { const lis = [...document.querySelectorAll("#messages li.msg")];
			const seqs = lis.map((li) => Number(li.dataset.seq));
			const a = lis.findIndex((li) => li.textContent.includes(`+jsString(away)+`));
			const s = lis.findIndex((li) => li.textContent.includes(`+jsString(still)+`));
			return a >= 0 && s > a && seqs.every((q, i) => q > 0 && (i === 0 || q > seqs[i - 1])); })()`),
		pollText("#widget-status", "an agent is here"),
	)
	// The console's page too: its live connection closes on pagehide (the
	// agent is no longer online) and comes back on pageshow.
	step(t, agent, "the console leaves and comes back",
		poll(`(() => { window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true })); return true; })()`),
		poll(`!document.querySelector("#live-dot").classList.contains("on")`),
		poll(`(() => { window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true })); return true; })()`),
		poll(`document.querySelector("#live-dot").classList.contains("on")`),
	)

	// Another agent assigns the open conversation, converts it to a ticket
	// and closes it: the console's header, buttons and reply box follow.
	convID := value(t, agent, "the open conversation's id", chromedp.Evaluate[string](`decodeURIComponent(location.hash.split("/")[2])`))
	require.NotEmpty(t, convID)
	convPath := "/api/conversations/" + convID
	var tomMe struct {
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
	}
	require.Equal(t, http.StatusOK, tom.do("GET", "/api/auth/me", nil, &tomMe))
	require.Equal(t, http.StatusOK, tom.do("POST", convPath+"/assign", map[string]string{"agent_id": tomMe.Agent.ID}, nil))
	step(t, agent, "see Tom assigned", pollText("#chat-assignee", "Assigned to Tom Technical"))
	require.Equal(t, http.StatusCreated, tom.do("POST", convPath+"/ticket", map[string]any{}, nil))
	step(t, agent, "see the ticket",
		poll(`[...document.querySelectorAll("#chat-state a")].some((a) => a.textContent === "Open ticket")`),
		poll(`!!document.querySelector("#chat-actions") && ![...document.querySelectorAll("#chat-actions button")].some((b) => b.textContent === "Convert to ticket")`),
	)
	// Closed through the API, as the console's Close button asks for
	// confirmation: the widget turns read-only, and stays so after a reload.
	require.Equal(t, http.StatusOK, tom.do("POST", convPath+"/close", nil, nil))
	step(t, agent, "see it closed",
		poll(`document.querySelector("#chat-body").disabled && document.querySelector(".composer button[type=submit]").disabled`),
		poll(`!document.querySelector("#chat-actions")`),
		pollText("#chat-state", "closed"),
	)
	// A send that raced the close (the box re-enabled here to make one) is
	// refused by the hub: the bubble says "Not sent" and why.
	const late = "One more thing (browser test)"
	step(t, agent, "a refused send says so",
		poll(`(() => { const t = document.querySelector("#chat-body"); t.disabled = false; t.value = `+jsString(late)+`;
			t.form.requestSubmit(); return true; })()`),
		poll(`[...document.querySelectorAll("#chat-messages li.msg.failed")].some((li) => li.textContent.includes(`+jsString(late)+`)
			&& li.querySelector(".meta").textContent === "Not sent: the conversation is closed.")`),
	)
	assert.False(t, value(t, agent, "nothing left Sending…", chromedp.Evaluate[bool](`document.querySelector("#chat-messages").textContent.includes("Sending…")`)))
	shot(agent, "chat-closed")
	closed := []chromedp.Action[chromedp.Void]{
		poll(`document.querySelector("#body").disabled && document.querySelector("#send button").disabled`),
		pollText("#widget-status", "closed"),
	}
	step(t, customer, "see the widget closed", closed...)
	step(t, customer, "reload the closed widget", append([]chromedp.Action[chromedp.Void]{chromedp.Reload()}, closed...)...)
	// The widget keeps the agents' read mark over the reload, and loads it
	// from the API when the page has forgotten it.
	step(t, customer, "Seen after the reload", poll(seenUnder("#seen", "Seen", still)))
	require.True(t, value(t, customer, "forget the stored read mark", chromedp.Evaluate[bool](`(() => {
		const s = JSON.parse(sessionStorage.getItem("icc.widget"));
		s.seen = 0; sessionStorage.setItem("icc.widget", JSON.stringify(s)); return true; })()`)))
	step(t, customer, "Seen from the API after a reload",
		chromedp.Reload(),
		pollText("#messages", still),
		poll(seenUnder("#seen", "Seen", still)),
	)
	shot(customer, "widget-closed")

	// The other screens render from the API.
	step(t, agent, "integrations",
		chromedp.Click(chromedp.CSS(`a[data-nav="integrations"]`)),
		chromedp.WaitVisible(chromedp.CSS("#integration-rows tr")),
		pollText("#integration-rows", "Mock ERP"),
		pollText("#mocks", "Demo: mock systems"), // a demo server's mocks
	)
	step(t, agent, "logs",
		chromedp.Click(chromedp.CSS(`a[data-nav="logs"]`)),
		chromedp.WaitVisible(chromedp.CSS("#log-rows tr")),
	)
	step(t, agent, "maintenance",
		chromedp.Click(chromedp.CSS(`a[data-nav="maintenance"]`)),
		chromedp.WaitVisible(chromedp.CSS("#maintenance-rows tr")),
		chromedp.SendKeys(chromedp.CSS(`input[name="title"]`), "ERP upgrade (browser test)"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		pollText("#maintenance-rows", "ERP upgrade (browser test)"),
	)
	step(t, agent, "analytics",
		chromedp.Click(chromedp.CSS(`a[data-nav="analytics"]`)),
		chromedp.WaitVisible(chromedp.CSS("#analytics .kpi")),
		pollText("#analytics", "Mock CRM"),
	)
	shot(agent, "analytics")
	// Per hour there are 168 bars; the chart keeps a readable height.
	step(t, agent, "analytics per hour",
		chromedp.SetValue(chromedp.CSS(`select[name="bucket"]`), "hour"),
		chromedp.Click(chromedp.CSS(`#main form.filters button[type="submit"]`)),
		poll(`(() => { const svg = document.querySelector("#analytics svg.chart");
			return !!svg && svg.querySelectorAll("rect.bar").length > 100 && svg.getBoundingClientRect().height > 80; })()`),
	)
	shot(agent, "analytics-hour")

	// The mock ERP goes down; a ticket that names it is linked to the
	// incident, and its trail names the integration, not its id.
	ticketID := value(t, agent, "an ERP incident and a ticket about it", chromedp.Evaluate[string](`(async () => {
		const call = (method, path, body) => fetch(path, { method, headers: { "Content-Type": "application/json" },
			body: body && JSON.stringify(body) }).then((r) => r.json());
		const ints = await call("GET", "/api/integrations?limit=500");
		const erp = ints.items.find((i) => i.name === "Mock ERP");
		await call("POST", "/api/mocks/erp/mode", { mode: "down" });
		for (let i = 0; i < 3; i++) await call("POST", "/api/integrations/" + erp.id + "/check");
		const t = await call("POST", "/api/tickets", { subject: "Invoices missing", body: "The Mock ERP shows no invoices today", customer_email: "erp.user@test.example" });
		await call("POST", "/api/mocks/erp/mode", { mode: "healthy" });
		return t.id;
	})()`, chromedp.EvalAwaitPromise))
	step(t, agent, "incident linked by name",
		chromedp.Navigate(srv.url+"/#/tickets/"+ticketID),
		chromedp.WaitVisible(chromedp.CSS("#ticket-trail li")),
		pollText("#ticket-trail", "incident linked: Mock ERP"),
		pollText("#ticket-tags", "incident:Mock ERP"),
	)

	// Another agent changes the ticket while the admin has an unsaved edit
	// in its fields: the edit stays, a notice says what changed, and saving
	// reports the conflict and shows the ticket as it now is.
	type ticketFields struct {
		Version  int64  `json:"version"`
		Priority string `json:"priority"`
		Category string `json:"category"`
	}
	// patch changes the ticket's priority as Tom, retrying if something
	// else (the classifier, say) changed it first.
	patch := func(priority string) ticketFields {
		t.Helper()
		for range 5 {
			var cur, got ticketFields
			require.Equal(t, http.StatusOK, tom.do("GET", "/api/tickets/"+ticketID, nil, &cur))
			code := tom.do("PATCH", "/api/tickets/"+ticketID, map[string]any{"version": cur.Version, "priority": priority}, &got)
			if code == http.StatusOK {
				return got
			}
			require.Equal(t, http.StatusConflict, code, "PATCH the ticket as another agent")
		}
		t.Fatal("the ticket kept changing")
		return ticketFields{}
	}
	var before ticketFields
	require.Equal(t, http.StatusOK, tom.do("GET", "/api/tickets/"+ticketID, nil, &before))
	other := func(vals []string, not string) string {
		for _, v := range vals {
			if v != not {
				return v
			}
		}
		return ""
	}
	myCategory := other([]string{"billing", "technical"}, before.Category)
	theirPriority := other([]string{"urgent", "low"}, before.Priority)
	fieldIs := func(name, want string) string {
		return `document.querySelector('#ticket-fields select[name="` + name + `"]')?.value === ` + jsString(want)
	}
	step(t, agent, "edit a field without saving",
		poll(`document.querySelector("#live-dot").classList.contains("on")`),
		chromedp.SetValue(chromedp.CSS(`#ticket-fields select[name="category"]`), myCategory),
	)
	after := patch(theirPriority)
	step(t, agent, "the edit survives the other agent's change",
		pollText("#ticket-changed", "Someone else changed this ticket"),
		pollText("#ticket-changed", fmt.Sprintf("version %d", after.Version)),
		pollText("#ticket-changed", "priority "+before.Priority+" → "+theirPriority),
		poll(fieldIs("category", myCategory)),
		poll(fieldIs("priority", before.Priority)),
	)
	shot(agent, "ticket-changed")
	step(t, agent, "saving reports the conflict",
		chromedp.Click(chromedp.CSS(`#ticket-fields button[type="submit"]`)),
		poll(`[...document.querySelectorAll('#main p[role="alert"]')].some((p) => p.textContent.includes("Someone else changed this ticket"))`),
		poll(`document.querySelector("#ticket-changed")?.hidden`),
		poll(fieldIs("category", before.Category)),
		poll(fieldIs("priority", theirPriority)),
	)
	// Or the agent drops their edit and reloads from the notice.
	step(t, agent, "edit again",
		chromedp.SetValue(chromedp.CSS(`#ticket-fields select[name="category"]`), myCategory),
	)
	patch(before.Priority)
	step(t, agent, "discard the edit from the notice",
		pollText("#ticket-changed", "Someone else changed this ticket"),
		poll(fieldIs("category", myCategory)),
		chromedp.Click(chromedp.CSS(`#ticket-changed button`)),
		poll(`document.querySelector("#ticket-changed")?.hidden`),
		poll(fieldIs("category", before.Category)),
		poll(fieldIs("priority", before.Priority)),
	)
	// The agent's own note is no one else's change: the edit moves on to
	// the new version without a notice, and saving it works.
	const note = "Checked the ERP again (browser test)"
	step(t, agent, "a note of one's own keeps the edit",
		chromedp.SetValue(chromedp.CSS(`#ticket-fields select[name="category"]`), myCategory),
		chromedp.SendKeys(chromedp.CSS("#reply-body"), note),
		chromedp.Click(chromedp.CSS(`#reply-form button[value="note"]`)),
		pollText("#ticket-trail", note),
		poll(`!document.querySelector("#reply-body").value`),
		poll(fieldIs("category", myCategory)),
		chromedp.Click(chromedp.CSS(`#ticket-fields button[type="submit"]`)),
		pollText("#ticket-trail", "category changed"),
	)
	assert.True(t, value(t, agent, "no notice after one's own note", chromedp.Evaluate[bool](`document.querySelector("#ticket-changed")?.hidden`)))
	var saved ticketFields
	require.Equal(t, http.StatusOK, tom.do("GET", "/api/tickets/"+ticketID, nil, &saved))
	assert.Equal(t, myCategory, saved.Category, "the edit kept over the agent's own note was saved")

	browserWithoutDemo(t, agent, shot)
}

// browserWithoutDemo drives a server started with -demo=false (and an
// admin from the environment), in browser contexts of its own next to
// parent's: a customer who writes while no agent is online is told so
// until an agent signs in; the sign-in page shows no demo logins and the
// integrations screen no mock switches. Then the server restarts on the
// same address: in memory, the conversation and the session are gone, so
// the widget offers a new conversation and the console, left on the ticket
// list, asks the agent to sign in again.
func browserWithoutDemo(t *testing.T, parent context.Context, shot func(context.Context, string)) {
	const email, password = "root@example.net", "browser-test-admin-secret"
	env := map[string]string{"ICC_ADMIN_EMAIL": email, "ICC_ADMIN_PASSWORD": password}
	srv := startRun(t, []string{"-addr", "127.0.0.1:0", "-demo=false"}, env)
	newContext := func() context.Context {
		ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		require.NoError(t, chromedp.Do(ctx), "open a browser context")
		return ctx
	}
	customer, agent := newContext(), newContext()

	step(t, customer, "write while no agent is online",
		chromedp.Navigate(srv.url+"/widget"),
		chromedp.WaitVisible(chromedp.CSS(`#start input[name="email"]`)),
		chromedp.SendKeys(chromedp.CSS(`#start input[name="email"]`), "night.owl@example.org"),
		chromedp.SendKeys(chromedp.CSS(`#start textarea[name="message"]`), "Is anybody there tonight?"),
		chromedp.Click(chromedp.CSS(`#start button[type="submit"]`)),
		pollText("#widget-status", "No agent is online right now"),
	)
	step(t, agent, "a sign-in page without demo logins",
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		pollText("#login-help", "widget page"),
	)
	help := value(t, agent, "read the sign-in help", chromedp.TextContent(chromedp.CSS("#login-help")))
	assert.NotContains(t, help, "Demo")
	assert.NotContains(t, help, "demo-admin")
	shot(agent, "login-no-demo")
	step(t, agent, "sign in",
		chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-figures .kpi")),
		poll(`document.querySelector("#live-dot").classList.contains("on")`),
	)
	// The agent is online now (a presence frame): the widget stops saying
	// that nobody is.
	step(t, customer, "an agent came online", pollText("#widget-status", "An agent will be with you shortly"))
	step(t, agent, "integrations without mock switches",
		chromedp.Click(chromedp.CSS(`a[data-nav="integrations"]`)),
		pollText("#main", "Choose an integration"),
	)
	assert.False(t, value(t, agent, "no mocks panel", chromedp.Evaluate[bool](`document.querySelector("#mocks") !== null || document.querySelector("#main").textContent.includes("Demo")`)))
	step(t, agent, "the ticket list",
		chromedp.Click(chromedp.CSS(`a[data-nav="tickets"]`)),
		pollText("#main", "No tickets match these filters."),
	)

	// The server restarts on the same address, with nothing stored.
	srv.stop()
	select {
	case <-srv.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	startRun(t, []string{"-addr", strings.TrimPrefix(srv.url, "http://"), "-demo=false"}, env)
	step(t, customer, "the widget offers a new conversation",
		pollText("#widget-status", "Your previous conversation is no longer available"),
		chromedp.WaitVisible(chromedp.CSS("#start")),
		poll(`document.querySelector("#chat").hidden && sessionStorage.getItem("icc.widget") === null`),
	)
	shot(customer, "widget-gone")
	step(t, agent, "the console asks to sign in again",
		pollText("#login-error", "Your session has ended. Please sign in again."),
	)
}

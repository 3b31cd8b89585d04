package main

import (
	"context"
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

// TestBrowserUI drives the real server in headless Chromium: an admin
// signs in and sees the dashboard, opens a ticket and replies; a customer
// chats from the widget page in a separate browser context, and the
// message shows up in the agent's chat console; integrations, logs,
// maintenance (scheduling one) and analytics render. Set ICC_UI_SCREENSHOTS to
// a directory to keep the screenshots there.
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

	// Sign in; the dashboard shows the integrations and ticket figures.
	step(t, agent, "sign in",
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
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

	// The ticket list, one ticket, and a reply that lands in its trail.
	const reply = "Thanks, we are on it (browser test)"
	step(t, agent, "open a ticket",
		chromedp.Click(chromedp.CSS(`a[data-nav="tickets"]`)),
		chromedp.WaitVisible(chromedp.CSS("#ticket-rows tr a")),
	)
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
		chromedp.SendKeys(chromedp.CSS(`#start textarea[name="message"]`), "Hi there"),
		chromedp.Click(chromedp.CSS(`#start button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#messages li")),
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
	shot(customer, "widget")

	step(t, agent, "see it in the chat console",
		chromedp.Click(chromedp.CSS(`a[data-nav="chat"]`)),
		pollText("#conversations", subject),
		chromedp.Click(chromedp.CSS(`#conversations button[data-subject="`+subject+`"]`)),
		pollText("#chat-messages", hello),
	)
	shot(agent, "chat")

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
	// The agent closes the conversation (through the API, as the console's
	// Close button asks for confirmation): the widget turns read-only, and
	// stays so after a reload.
	step(t, agent, "close the conversation",
		poll(`(() => { if (!window.__closing) { window.__closing = "pending";
			import("/static/api.js").then(async (m) => {
				const r = await m.api("GET", "/api/conversations?status=open&limit=100");
				const c = r.items.find((c) => c.subject === `+jsString(subject)+`);
				await m.api("POST", "/api/conversations/" + encodeURIComponent(c.id) + "/close");
			}).then(() => (window.__closing = "done"), (e) => (window.__closing = "error: " + e)); }
			return window.__closing === "done"; })()`),
	)
	closed := []chromedp.Action[chromedp.Void]{
		poll(`document.querySelector("#body").disabled && document.querySelector("#send button").disabled`),
		pollText("#widget-status", "closed"),
	}
	step(t, customer, "see the widget closed", closed...)
	step(t, customer, "reload the closed widget", append([]chromedp.Action[chromedp.Void]{chromedp.Reload()}, closed...)...)
	shot(customer, "widget-closed")

	// The other screens render from the API.
	step(t, agent, "integrations",
		chromedp.Click(chromedp.CSS(`a[data-nav="integrations"]`)),
		chromedp.WaitVisible(chromedp.CSS("#integration-rows tr")),
		pollText("#integration-rows", "Mock ERP"),
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
}

// Command server is the reference server of the Integration Command Center:
// one binary that serves the HTTP API on top of a storage backend.
//
// It is the skeleton that each capability (tickets, chat, monitoring,
// analytics) plugs its routes into. It serves
//
//	GET /healthz  200 {"status":"ok"} while the process is up
//	GET /readyz   200 {"status":"ok"} when storage answers a ping,
//	              503 with a JSON error when it does not
//	GET /api/openapi.json  the OpenAPI 3.1 document of every route
//	              (openapi.json, embedded; openapi_test.go checks it
//	              against the registered routes, the Go types and the
//	              handlers' answers)
//
// It also serves the ticket desk and agent sign-in under /api/ (auth,
// tickets, customers, agents, classify, and a public ticket form): see the
// API table in the repository's README. Agents sign in with cookie
// sessions (kept in PostgreSQL when a database is configured); routes
// check the agent and admin roles; a changed password signs out the
// agent's sessions; cross-origin state-changing requests are rejected,
// except that pages on a -chat-origins site may call the routes a
// customer's page uses (start and read a chat, the ticket form) with CORS
// and without credentials; sign-in failures are rate limited. A sign-in lasts 12 hours
// at most and ends sooner when unused for the idle timeout. Per-IP limits
// and the access log use the connection's address, or, from a
// -trusted-proxies proxy, the client its X-Forwarded-For names (read from
// the right, past trusted proxies).
//
// The desk's classifier (classifier_api.go) is the offline model, or Gemini
// with it as the fallback. An agent's change of a ticket's category teaches
// the offline model at once, on every instance (the instance that took it
// announces it on the bus); at start-up and on POST /api/classifier/train
// (admins), in the background, it is retrained from the corrections in the
// store, and a retrain an admin asked for is announced on the bus so that
// the other instances retrain too: a cluster converges on one model.
// GET /api/classifier says which model serves.
//
// Integration monitoring runs in the server (monitor_api.go): the monitor
// checks every enabled integration on its interval and is closed, with the
// integration-log recorder, on shutdown. Its API, for signed-in agents
// (creating, changing and deleting integrations for admins):
//
//	GET/POST /api/integrations, GET/PATCH/DELETE /api/integrations/{id}
//	POST /api/integrations/{id}/check     check now
//	GET  /api/integrations/{id}/results   check results (cursor pages)
//	GET  /api/integrations/{id}/stats     ?window=1h|24h|7d|30d (any duration up to 31d)
//	GET  /api/logs                        integration call logs, filtered
//	GET/POST /api/maintenance, GET /api/maintenance/{id}
//	DELETE /api/maintenance/{id}, POST /api/maintenance/{id}/cancel
//	GET  /api/alerts, GET /api/alerts/{id}, POST /api/alerts/{id}/ack
//	GET  /api/incidents                   integrations down or degraded
//	GET  /api/mocks, POST /api/mocks/{system}/mode
//
// The same process serves a mock CRM and ERP under /mock/crm/ and
// /mock/erp/ (mocks.go) whose mode (healthy, slow, flaky, down) any agent
// can switch, to watch a status change, an alert fire and maintenance
// silence it. The ticket desk looks customers up in the mock CRM over
// HTTP through the monitor's logging RoundTripper (directory.go), so each
// lookup is an integration log. With demo data on, three integrations
// checking the mocks every 10s are seeded with a few days of history
// (demo_monitor.go).
//
// Live chat (chat_api.go) runs a chat.Hub on the server's storage and bus,
// with the desk's classifier and the desk for tickets:
//
//	GET  /ws                                  WebSocket: agents by session cookie,
//	                                          customers by ?token= (or a header)
//	POST /api/conversations                   public, rate limited: start a chat
//	                                          {"name","email","subject","message"}
//	                                          -> {"id","token",...}
//	GET  /api/conversations                   agents: open ones with unread counts
//	GET  /api/conversations/{id}              agents, or the customer's token
//	GET  /api/conversations/{id}/messages     ?after_seq=&limit=; agents or the token
//	GET  /api/conversations/{id}/read-marks   agents or the token: {"items":[read marks]}
//	POST /api/conversations/{id}/assign       agents: {"agent_id"}
//	POST /api/conversations/{id}/close        agents
//	POST /api/conversations/{id}/ticket       agents: a desk ticket with the transcript
//
// On REST routes a customer sends the token as "Authorization: Bearer
// <token>" or "X-Conversation-Token: <token>"; a token for another
// conversation is a 403. /ws refuses with JSON errors before the upgrade:
// 426 (code upgrade_required) for a request without the upgrade headers,
// 400 for a bad WebSocket version or key, 401 without credentials, and 403
// for an Origin other than the server's host or a -chat-origins pattern. The frames are described in the chat package's
// documentation. On shutdown the hub stores what it has received, lets the
// assistant finish its work on the stored customer messages (within
// -shutdown-timeout; what is left is logged), and closes every WebSocket
// with 1001 before storage closes; the access log never
// records query strings, so tokens stay out of it. With demo data on, two
// conversations are seeded (chat_demo.go).
//
// Errors are JSON, {"error":{"code":"...","message":"...","field":"..."}},
// with the status chosen from the icc error code. The access log is at
// info level, except probes at debug: successful health checks and
// scrapes, and every request to the mocks under /mock/. Every response carries an
// X-Request-ID header (a sane incoming one is kept) that also appears in the
// access log.
//
// Usage:
//
//	go run ./examples/server [flags]
//
// With no flags it listens on 127.0.0.1:8080 with in-memory storage. Every
// flag has an environment variable that is used when the flag is not given:
//
//	-addr                  ICC_ADDR                  listen address (default 127.0.0.1:8080)
//	-database-url          DATABASE_URL              memory:// or postgres://... (default memory)
//	-log-level             ICC_LOG_LEVEL             debug, info, warn or error (default info)
//	-log-format            ICC_LOG_FORMAT            text or json (default text)
//	-shutdown-timeout      ICC_SHUTDOWN_TIMEOUT      time allowed to drain on shutdown (default 15s)
//	-migrate-only                                    apply database migrations and exit
//	-demo                  ICC_DEMO                  seed demo data (default on with memory, off with PostgreSQL)
//	-admin-email           ICC_ADMIN_EMAIL           admin to create or update at start (password: ICC_ADMIN_PASSWORD)
//	-secure-cookies        ICC_SECURE_COOKIES        mark the session cookie Secure on plain HTTP
//	-gemini-model          ICC_GEMINI_MODEL          Gemini model when GEMINI_API_KEY is set
//	-chat-origins          ICC_CHAT_ORIGINS          other sites' host patterns allowed to open /ws and call the customer routes (comma-separated)
//	-session-idle-timeout  ICC_SESSION_IDLE_TIMEOUT  unused sign-ins end after this (default 2h; 0: off; at most 12h)
//	-trusted-proxies       ICC_TRUSTED_PROXIES       proxy IPs and CIDRs whose X-Forwarded-For names the client (comma-separated)
//
// ICC_ADMIN_PASSWORD and GEMINI_API_KEY are read from the environment only.
// While the agent store holds no admin (PostgreSQL without -demo or
// -admin-email), the server logs a warning at start saying how to create
// one.
// With GEMINI_API_KEY tickets are classified by Gemini with the offline
// classifier as fallback; without it by the offline classifier alone.
//
// Logs go to standard error; the line saying where the server listens also
// goes to standard output. On SIGINT or SIGTERM the server stops accepting
// connections, lets in-flight requests finish within the shutdown timeout,
// runs its shutdown hooks and closes storage. The exit status is 0 after a
// clean shutdown, 2 for bad flags or settings (a -database-url with an
// unsupported scheme or that is no URL included), and 1 for any other
// failure, such as a database that cannot be reached.
package main

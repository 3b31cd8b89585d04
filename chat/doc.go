// Package chat is live chat between customers and support agents over
// WebSocket (github.com/coder/websocket): a Hub stores every message with a
// per-conversation sequence number, acknowledges it once stored, and fans it
// out to every participant, on this process and on every other hub sharing
// the same store and icc.Bus. Clients that lose their connection resume
// with nothing lost or duplicated.
//
// # Mounting
//
// Build a Hub from a Config and mount it, or authenticate yourself and call
// Serve:
//
//	hub, err := chat.NewHub(chat.Config{Store: st, Bus: st, Logger: log,
//		AuthenticateAgent: sessionAgent, OriginPatterns: []string{"support.example.com"}})
//	mux.Handle("GET /ws", hub)           // customers: ?token=<conversation id>.<secret>
//	// or: hub.Serve(w, r, chat.Participant{Role: chat.RoleAgent, ID: agentID})
//	defer hub.Shutdown(ctx)
//
// StartConversation opens a conversation and returns a secret for the
// customer (only its SHA-256 is stored, in Conversation.TokenHash); hand
// the customer CustomerToken(id, secret), "<conversation id>.<secret>".
// Authenticate and AuthenticateToken check it in constant time;
// RequestToken reads it from a request's headers, for the host's own
// routes. Agents are who the host says they are. A customer can only read
// and write their own conversation: frames naming another one get an error
// frame with code "forbidden".
//
// ServeHTTP takes a customer's token as the token query parameter (browsers
// cannot set headers on a WebSocket), an "Authorization: Bearer" header or
// the X-Conversation-Token header (TokenHeader), in the combined form or,
// with the conversation id as the conversation_id query parameter, the
// secret alone; a conversation_id other than the combined token's is
// refused. Any request without a token goes to Config.AuthenticateAgent.
// Every refusal is answered before the upgrade as JSON,
// {"error":{"code":"…","message":"…"}}: 426 upgrade_required (with
// "Upgrade: websocket") without the upgrade headers, 405
// method_not_allowed for a method other than GET, 400 invalid for a bad
// Sec-WebSocket-Version or Sec-WebSocket-Key, 401 unauthorized without
// valid credentials, 403 forbidden for another conversation's token or an
// Origin that is neither the request's host nor one of
// Config.OriginPatterns, 503 unavailable while the hub shuts down. Serve
// makes the same checks but authentication.
//
// # Protocol
//
// Every frame is one JSON object in a text message, with a "type". Client
// to server:
//
//	{"type":"subscribe","conversation_id":"c1","after_seq":41}
//	{"type":"message","conversation_id":"c1","client_id":"k-17","body":"My invoice is wrong"}
//	{"type":"typing","conversation_id":"c1","typing":true}
//	{"type":"read","conversation_id":"c1","seq":42}
//	{"type":"presence","status":"away"}
//	{"type":"ping","id":"p1"}
//
// subscribe replays every message with a seq above after_seq, in order,
// then continues live; a "subscribed" frame marks the end of the replay
// and carries the client's position. An after_seq above the
// conversation's last seq is clamped to it: the subscribed frame then says
// the last seq, and the next message stored is delivered. A client keeps
// the highest seq it has received and sends it as after_seq when it
// reconnects. A replay the store cannot serve ends with an error frame
// (code unavailable, with the conversation_id) instead of subscribed; the
// client may subscribe again. message is stored once per client_id (the idempotency
// key: resend with the same client_id after a lost ack). typing is
// forwarded at most once per Config.TypingThrottle and never stored; a
// client shows it for expires_in_ms unless "typing":false arrives. read
// stores the participant's read mark (it never moves back; a seq above the
// conversation's last seq is clamped to it). presence is for
// agents: online or away. ping is answered with pong.
//
// Server to client:
//
//	{"type":"ready","role":"agent","server_time":"2026-01-02T15:04:05Z"}
//	{"type":"message","conversation_id":"c1","message":{"id":"…","conversation_id":"c1","seq":42,"client_id":"k-17","sender_type":"customer","sender_id":"u9","body":"My invoice is wrong","created_at":"2026-01-02T15:04:05Z"}}
//	{"type":"ack","conversation_id":"c1","client_id":"k-17","seq":42,"message_id":"…","duplicate":false}
//	{"type":"subscribed","conversation_id":"c1","seq":42}
//	{"type":"typing","conversation_id":"c1","sender_type":"agent","sender_id":"a1","typing":true,"expires_in_ms":6000}
//	{"type":"presence","agent_id":"a1","status":"online"}
//	{"type":"read","conversation_id":"c1","participant_id":"a1","seq":42}
//	{"type":"classification","conversation_id":"c1","seq":42,"classification":{"category":"billing","priority":"high","sentiment":"negative","escalate":false,"intent":"invoice_problem","confidence":0.91,"suggested_reply":"…"}}
//	{"type":"event","event":{"topic":"tickets","type":"ticket.created","id":"t1","at":"…"}}
//	{"type":"error","code":"forbidden","message":"not your conversation","conversation_id":"c2","client_id":"k-18"}
//	{"type":"pong","id":"p1"}
//
// ready is the first frame on every connection. The hub sends it once it
// has registered the connection for presence and event delivery, which
// completes only after the WebSocket handshake that Dial waits for: an
// event published before ready arrives may be missed, and every event
// published after it is delivered. Wait for ready before relying on
// events. It carries the connection's role and the server's clock (UTC).
//
// An ack is sent only after the store has committed the message; a
// duplicate client_id is acked with the first message's seq and
// "duplicate":true. Every participant subscribed to the conversation,
// the sender included, then gets the message frame, in seq order, once.
// presence says whether an agent is online, away or offline across every
// hub: an agent with two tabs is online once and offline when the last tab
// closes; new connections get the presence of every agent not offline.
// read shows how far a participant has read (from which a UI shows
// delivered and read). classification frames (agents only) carry what the
// classifier said about a customer message (a sensitive message's has no
// suggested_reply); the same reading is stored with the conversation, as
// icc.Conversation.Triage with the message's seq, before the frame is
// sent, so a console that opens the conversation later or reloads shows
// it from there. event frames (agents only)
// forward bus events of Config.EventTopics, including the conversation
// life-cycle events of TopicChat, and an EventResync event after the hub's
// bus subscription may have missed events (it has caught up its
// conversations from the store; a dashboard should reload its lists).
//
// Error codes: bad_frame (not JSON, unknown type, missing or invalid
// fields; the message names the field, as in "bad frame: body: is
// required"), forbidden, not_found, closed (the conversation is closed),
// rate_limited (more than Config.RateLimit frames a second; subscribe
// frames do not count, so that a console can resubscribe everything it
// follows at once), too_many_subscriptions (the connection already follows
// Config.MaxSubscriptions conversations), unavailable
// (storage failed or the hub is shutting down; retry with the same
// client_id).
//
// Close codes: 4008 (StatusSlowConsumer) when the client's send queue
// (Config.SendQueue frames) is full: it read too slowly; nothing is lost,
// it reconnects and subscribes with after_seq. If the connection cannot
// even take the close frame within Config.WriteTimeout it is dropped and
// the client sees 1006. 1009 (message too big) for a frame over
// Config.ReadLimit; 1008 (policy violation) after Config.MaxAbuse error
// frames; 1001 (going away) on Shutdown.
//
// # Group commit and fan-out
//
// Messages from every connection go to one committer goroutine, which
// stores everything queued (up to Config.MaxBatch) with one
// icc.ConversationStore.AppendMessages call, then sends the acks, delivers
// the messages to this hub's subscribers, and publishes one small bus event
// per conversation carrying only its newest seq. Another hub that hears the
// event reads the messages it has not delivered from the store
// (ListMessages after its last delivered seq), so delivery is in order, with
// no gaps or duplicates, however the bus coalesces or drops events; a hub
// whose bus subscription dropped events catches every open conversation up
// from the store. Typing, read marks, classifications and presence ride the
// bus directly. Events a hub published itself are recognised by
// icc.Event.Origin (Config.Instance) and skipped. Each hub re-announces its
// agents every Config.PresenceInterval; a hub that starts, or whose
// subscription may have missed events, asks the others to announce theirs
// at once (a "chat.presence_request" event on icc.TopicAgents, which hubs
// that predate it ignore), so that it does not take agents connected
// elsewhere for offline meanwhile.
//
// # AI in the loop
//
// Each stored customer message is classified by Config.Classifier on a
// small worker pool, never on the committer's path. The result is stored
// with the conversation (icc.ConversationStore.SetConversationTriage: a
// result about an older message, from a slower worker, never replaces a
// newer one; a failure to store it is logged) and the conversation's
// agents get a classification frame. A sensitive or escalated message hands
// the conversation to a human at once: a system message tells the customer
// (that an agent will take over or, when an agent is assigned or has
// written there already, when no agent is online, or when it is a ticket,
// that the team was told),
// Config.OnEscalate runs once, and the bot never answers that conversation
// again. When no agent is online (Config.AgentsOnline, or the presence of
// every hub) and nobody is assigned, the customer is told so once,
// escalated or not. With Config.Tickets they are asked for an email address (or, when
// Config.Contact knows it, told where the answer will go); a message with
// an address (or any later message, when it is known) turns the
// conversation into a ticket with the transcript, whose senders
// Config.Contact names, and the bot answers neither that message nor any
// later one in a conversation that has a ticket (however it got one).
// Without Config.Tickets no email is asked for or promised: the customer
// is told that an agent will answer in the conversation once one is online.
// Config.BotReply (default DefaultBotReply) decides whether the bot answers;
// the bot shows typing first and its message is stored as icc.SenderBot.
// The bot never posts the same text twice in a conversation: when the
// policy suggests a reply it gave there before (a classifier's canned
// reply to a follow-up such as "thanks, it was order 1234"), it stays
// silent and withdraws its typing indicator.
// Config.Notices lets the host post information, such as a known outage,
// as system messages once per key and conversation, in escalated
// conversations too.
//
// Shutdown does not lose this work: it lets the assistant finish every
// customer message stored (and acknowledged) before it, storing and
// delivering what the assistant posts, before it closes the connections.
// Only when Shutdown's context ends first (or on Close) is the rest
// dropped, and the messages left unassisted are logged with their
// conversations. Customer messages that find the classification queue
// full (Config.ClassifyQueue) are not assisted at all, and logged.
//
// # Goroutines
//
// Each connection has one reader (the goroutine that called Serve) and one
// writer, which owns every write (frames, replays, pings, the close
// handshake) and uses a connection-scoped context, never the request's.
// The hub owns its committer, its classification workers, its bus listener
// and short-lived catch-up readers; Shutdown stops them all after storing
// what was received and letting the assistant finish its work on it, Close
// stops them at once.
package chat

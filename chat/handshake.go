package chat

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/icc"
)

// TokenHeader is the request header that may carry a customer token (see
// CustomerToken), as an alternative to "Authorization: Bearer <token>".
const TokenHeader = "X-Conversation-Token"

// CustomerToken joins a conversation id and the secret StartConversation
// returned into the one token a customer keeps: "<conversation id>.<secret>".
// The id in front tells which conversation the token is for, so that the
// token of another conversation can be refused as forbidden rather than
// unauthorized. ServeHTTP and AuthenticateToken accept it.
func CustomerToken(conversationID, secret string) string {
	return conversationID + "." + secret
}

// RequestToken returns the customer token a request carries in a header:
// "Authorization: Bearer <token>" or TokenHeader; "" when there is none. It
// does not read the URL: tokens in query strings belong on WebSocket
// upgrades only, where browsers cannot set headers (ServeHTTP reads the
// token query parameter too).
func RequestToken(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		scheme, tok, ok := strings.Cut(v, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	return strings.TrimSpace(r.Header.Get(TokenHeader))
}

// Codes of the JSON errors that refuse a request before the upgrade, besides
// the icc error codes ("invalid", "unauthorized", "forbidden",
// "unavailable", "internal").
const (
	codeUpgradeRequired  = "upgrade_required"
	codeMethodNotAllowed = "method_not_allowed"
)

// ServeHTTP authenticates the request and upgrades it to a WebSocket
// connection served until it ends (see Serve).
//
// A customer brings a token in one of these forms:
//   - the combined token "<conversation id>.<secret>" (CustomerToken) in the
//     token query parameter, which browsers need since they cannot set
//     headers on a WebSocket, or in an "Authorization: Bearer" or
//     TokenHeader header (the headers win over the query);
//   - the secret alone, as the token query parameter (or a header), with the
//     conversation id as the conversation_id query parameter.
//
// Any request with a token is a customer's; any other is authenticated by
// Config.AuthenticateAgent (so that hook cannot use bearer tokens of its
// own; such hosts authenticate themselves and call Serve). A
// conversation_id parameter naming another conversation than a customer's
// token is refused as forbidden.
//
// Every refusal is answered before the upgrade with a JSON body
// {"error":{"code":"…","message":"…"}}, in this order: 426 (code
// upgrade_required, with "Upgrade: websocket") for a request without the
// WebSocket upgrade headers, 405 for a method other than GET, 400 (invalid)
// for a bad Sec-WebSocket-Version or Sec-WebSocket-Key, 401 (unauthorized)
// without valid credentials, 403 (forbidden) for the token of another
// conversation or a refused Origin (see Config.OriginPatterns), 503
// (unavailable) while the hub shuts down. An error of AuthenticateAgent
// gets the status of its icc code (EUNAUTHORIZED 401, EFORBIDDEN 403,
// EUNAVAILABLE 503, anything unknown 500 with the message "internal error").
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.handshake(w, r) {
		return
	}
	p, err := h.authenticateRequest(r)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if err := checkOrigin(r, h.cfg.OriginPatterns); err != nil {
		h.refuse(w, r, err)
		return
	}
	h.serve(w, r, p)
}

// Serve upgrades the request to a WebSocket connection for a participant
// the host has authenticated and serves it until it ends. It refuses the
// request as ServeHTTP does, less authentication: without the upgrade
// headers, with a bad handshake, from a refused Origin (see
// Config.OriginPatterns), or while the hub shuts down. After the upgrade
// the connection no longer depends on the request's context: it ends when
// the client leaves, misbehaves or is too slow, or the hub shuts down.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, p Participant) {
	if !h.handshake(w, r) {
		return
	}
	if err := checkOrigin(r, h.cfg.OriginPatterns); err != nil {
		h.refuse(w, r, err)
		return
	}
	h.serve(w, r, p)
}

// authenticateRequest returns the participant of a WebSocket request: a
// customer by the token it carries (see ServeHTTP), anyone else by
// Config.AuthenticateAgent.
func (h *Hub) authenticateRequest(r *http.Request) (Participant, error) {
	q := r.URL.Query()
	tok := RequestToken(r)
	if tok == "" {
		tok = q.Get("token")
	}
	want := q.Get("conversation_id")
	switch {
	case tok == "" && h.cfg.AuthenticateAgent != nil:
		return h.cfg.AuthenticateAgent(r)
	case tok == "":
		return Participant{}, icc.Errorf(icc.EUNAUTHORIZED, "a conversation token is required")
	case !strings.Contains(tok, "."): // the secret alone; conversation_id says whose
		return h.Authenticate(r.Context(), want, tok)
	}
	p, err := h.AuthenticateToken(r.Context(), tok)
	if err != nil {
		return Participant{}, err
	}
	if want != "" && want != p.ConversationID {
		return Participant{}, icc.Errorf(icc.EFORBIDDEN, "this token is for another conversation")
	}
	return p, nil
}

// handshake checks that r is a WebSocket opening handshake as the
// websocket library will (RFC 6455 section 4.2.1), so that a refusal is a
// JSON error rather than the library's plain text. It answers a bad one
// and reports whether r may go on.
func (h *Hub) handshake(w http.ResponseWriter, r *http.Request) bool {
	if !r.ProtoAtLeast(1, 1) || !headerHasToken(r.Header, "Connection", "upgrade") ||
		!headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		h.writeError(w, http.StatusUpgradeRequired, icc.ErrorDetail{Code: codeUpgradeRequired,
			Message: "this is a chat WebSocket: connect with a WebSocket client (Connection: Upgrade, Upgrade: websocket)"})
		return false
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		h.writeError(w, http.StatusMethodNotAllowed, icc.ErrorDetail{Code: codeMethodNotAllowed, Message: "a WebSocket handshake is a GET"})
		return false
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		h.refuse(w, r, icc.Errorf(icc.EINVALID, "Sec-WebSocket-Version must be 13"))
		return false
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		h.refuse(w, r, icc.Errorf(icc.EINVALID, "exactly one Sec-WebSocket-Key header is required"))
		return false
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		h.refuse(w, r, icc.Errorf(icc.EINVALID, "Sec-WebSocket-Key must be 16 bytes in base64"))
		return false
	}
	return true
}

// headerHasToken reports whether one of the comma-separated values of
// header name is token, ignoring case.
func headerHasToken(hd http.Header, name, token string) bool {
	for _, v := range hd.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// CheckOrigin applies the origin rule of GET /ws (see Config.OriginPatterns)
// to any request: nil when r has no Origin, comes from a page on r's own
// host or from a page whose origin matches a pattern, else an EFORBIDDEN
// error saying why. An embedding server uses it to let the same pages call
// the REST routes customers use (with CORS), so that one rule decides.
func (h *Hub) CheckOrigin(r *http.Request) error {
	return checkOrigin(r, h.cfg.OriginPatterns)
}

// checkOrigin is the hub's one origin check, made before the upgrade (the
// websocket library's own is then skipped), with the library's rule
// (websocket.AcceptOptions.OriginPatterns): a request without Origin (not
// from a browser), or from a page on the request's own host, may connect;
// a page elsewhere only when its host (or, for a pattern with "://", its
// scheme and host) matches one of patterns (path.Match syntax, ignoring
// case). An Origin without a host (such as "null", from a sandboxed frame
// or a file) matches only a pattern that matches an empty host, such as
// "*". A refusal is EFORBIDDEN.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return icc.Errorf(icc.EFORBIDDEN, "the Origin header is not a URL")
	}
	if strings.EqualFold(r.Host, u.Host) {
		return nil
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return nil
		}
	}
	if u.Host == "" {
		return icc.Errorf(icc.EFORBIDDEN, "the Origin header %q is not a URL with a host", origin)
	}
	return icc.Errorf(icc.EFORBIDDEN, "pages on %s may not open this chat WebSocket", u.Host)
}

// serve upgrades a checked request for participant p and serves the
// connection until it ends.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, p Participant) {
	if err := p.validate(); err != nil {
		h.refuse(w, r, icc.Errorf(icc.EINTERNAL, "chat: bad participant: %w", err))
		return
	}
	if !h.track() {
		h.refuse(w, r, errShuttingDown)
		return
	}
	defer h.connWG.Done()
	// checkOrigin has run: the library's copy of the rule is skipped.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.log.DebugContext(r.Context(), "websocket upgrade refused", "err", err)
		return
	}
	ws.SetReadLimit(h.cfg.ReadLimit)
	c := newConn(h, ws, p)
	if !h.register(c) {
		_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
		c.cancel()
		return
	}
	go c.writeLoop()
	c.readLoop()
	c.cancel()
	<-c.writerDone
	h.unregister(c)
}

// refuse answers a request refused before the upgrade with the JSON error
// of err's icc code. An internal error is logged in full and shown only as
// "internal error".
func (h *Hub) refuse(w http.ResponseWriter, r *http.Request, err error) {
	code, field, msg := icc.ErrorCode(err), icc.ErrorField(err), icc.ErrorMessage(err)
	status := icc.HTTPStatus(code, field)
	switch status {
	case http.StatusInternalServerError:
		h.log.ErrorContext(r.Context(), "chat: websocket request failed", "err", err)
		code, field, msg = icc.EINTERNAL, "", "internal error"
	case http.StatusServiceUnavailable:
		h.log.WarnContext(r.Context(), "chat: websocket request refused", "status", status, "err", err)
	default:
		h.log.DebugContext(r.Context(), "chat: websocket request refused", "status", status, "code", code,
			"err", err, "origin", r.Header.Get("Origin"))
	}
	h.writeError(w, status, icc.ErrorDetail{Code: code, Message: msg, Field: field})
}

// writeError writes d as a JSON error response with status.
func (h *Hub) writeError(w http.ResponseWriter, status int, d icc.ErrorDetail) {
	b, err := json.Marshal(icc.ErrorBody{Error: d})
	if err != nil { // cannot happen for strings
		h.log.Error("chat: encoding an error response", "err", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

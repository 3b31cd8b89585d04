package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// Frame types. Client to server: TypeMessage, TypeTyping, TypeRead,
// TypeSubscribe, TypePresence (agents only) and TypePing. Server to client:
// every type but TypeSubscribe; TypeReady is always the first.
const (
	// TypeReady is the first frame on every connection, sent once the hub
	// has registered it: every event published after the client receives
	// it reaches the client. Wait for ready before relying on events.
	TypeReady          = "ready"
	TypeMessage        = "message"
	TypeAck            = "ack"
	TypeTyping         = "typing"
	TypePresence       = "presence"
	TypeRead           = "read"
	TypeSubscribe      = "subscribe"
	TypeSubscribed     = "subscribed"
	TypeEvent          = "event"
	TypeClassification = "classification"
	TypeError          = "error"
	TypePing           = "ping"
	TypePong           = "pong"
)

// Error codes of error frames.
const (
	CodeBadFrame    = "bad_frame"    // not JSON, unknown type, missing or bad fields
	CodeForbidden   = "forbidden"    // the conversation is not the sender's
	CodeNotFound    = "not_found"    // no such conversation
	CodeClosed      = "closed"       // the conversation is closed
	CodeRateLimited = "rate_limited" // too many frames; slow down
	// CodeTooManySubscriptions: the connection follows
	// Config.MaxSubscriptions conversations already.
	CodeTooManySubscriptions = "too_many_subscriptions"
	CodeUnavailable          = "unavailable" // storage failed or the hub is shutting down
)

// Close codes the hub uses besides the standard ones. The hub closes a
// connection with:
//   - StatusSlowConsumer (4008) when its send queue is full: the client did
//     not read fast enough. Nothing is lost; reconnect and subscribe with
//     after_seq set to the last seq received.
//   - websocket.StatusMessageTooBig (1009) when a frame exceeds the read
//     limit.
//   - websocket.StatusPolicyViolation (1008) after repeated bad frames or
//     rate-limit violations (Config.MaxAbuse).
//   - websocket.StatusGoingAway (1001) on Shutdown, after every message
//     received before it was stored and acknowledged.
const StatusSlowConsumer websocket.StatusCode = 4008

// Limits on frame fields.
const (
	maxIDLen     = 100
	maxStatusLen = 20
)

// inFrame is a decoded client frame.
type inFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	ClientID       string `json:"client_id"`
	Body           string `json:"body"`
	Seq            int64  `json:"seq"`
	AfterSeq       int64  `json:"after_seq"`
	Typing         *bool  `json:"typing"`
	Status         string `json:"status"`
	ID             string `json:"id"`
}

// errBadFrame wraps every decoding error.
var errBadFrame = errors.New("bad frame")

// decodeFrame parses and checks one client frame.
func decodeFrame(b []byte) (inFrame, error) {
	var f inFrame
	if !utf8.Valid(b) {
		return f, fmt.Errorf("%w: not UTF-8", errBadFrame)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&f); err != nil {
		return inFrame{}, fmt.Errorf("%w: %s", errBadFrame, jsonProblem(err))
	}
	if d.More() {
		return inFrame{}, fmt.Errorf("%w: trailing data", errBadFrame)
	}
	if len(f.ConversationID) > maxIDLen || len(f.ID) > maxIDLen || len(f.ClientID) > maxIDLen {
		return inFrame{}, fmt.Errorf("%w: ids must be at most %d bytes", errBadFrame, maxIDLen)
	}
	needConv := func() error {
		if f.ConversationID == "" {
			return fmt.Errorf("%w: conversation_id is required", errBadFrame)
		}
		return nil
	}
	switch f.Type {
	case TypeMessage:
		if err := needConv(); err != nil {
			return inFrame{}, err
		}
		if f.ClientID == "" {
			return inFrame{}, fmt.Errorf("%w: client_id is required", errBadFrame)
		}
		m := icc.NewMessage{ConversationID: f.ConversationID, ClientID: f.ClientID, SenderType: icc.SenderCustomer, Body: f.Body}
		if err := m.Validate(); err != nil {
			return inFrame{}, fmt.Errorf("%w: %s", errBadFrame, problem(err))
		}
	case TypeTyping:
		if err := needConv(); err != nil {
			return inFrame{}, err
		}
	case TypeRead:
		if err := needConv(); err != nil {
			return inFrame{}, err
		}
		if f.Seq < 0 {
			return inFrame{}, fmt.Errorf("%w: seq must not be negative", errBadFrame)
		}
	case TypeSubscribe:
		if err := needConv(); err != nil {
			return inFrame{}, err
		}
		if f.AfterSeq < 0 {
			return inFrame{}, fmt.Errorf("%w: after_seq must not be negative", errBadFrame)
		}
	case TypePresence:
		switch icc.Availability(f.Status) {
		case icc.AvailabilityOnline, icc.AvailabilityAway:
		default:
			return inFrame{}, fmt.Errorf("%w: status must be online or away", errBadFrame)
		}
	case TypePing:
	case "":
		return inFrame{}, fmt.Errorf("%w: type is required", errBadFrame)
	default:
		return inFrame{}, fmt.Errorf("%w: unknown type %q", errBadFrame, truncate(f.Type, 40))
	}
	return f, nil
}

// jsonProblem describes a JSON error without echoing large input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", truncate(te.Field, 40))
	}
	return "malformed JSON"
}

// problem is err's client-safe message, prefixed with the field at fault
// when err names one ("body: is required").
func problem(err error) string {
	if f := icc.ErrorField(err); f != "" {
		return f + ": " + icc.ErrorMessage(err)
	}
	return icc.ErrorMessage(err)
}

func truncate(s string, n int) string { return classify.Truncate(s, n) }

// Server frames. Each is encoded once and shared by every recipient.

// readyFrame opens every connection; see TypeReady.
type readyFrame struct {
	Type       string    `json:"type"`
	Role       Role      `json:"role"`
	ServerTime time.Time `json:"server_time"`
}

type messageFrame struct {
	Type           string       `json:"type"`
	ConversationID string       `json:"conversation_id"`
	Message        *icc.Message `json:"message"`
}

type ackFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	ClientID       string `json:"client_id"`
	Seq            int64  `json:"seq"`
	MessageID      string `json:"message_id"`
	Duplicate      bool   `json:"duplicate,omitempty"`
}

// typingData is a typing frame and the data of a typing bus event.
type typingData struct {
	Type           string         `json:"type"`
	ConversationID string         `json:"conversation_id"`
	SenderType     icc.SenderType `json:"sender_type"`
	SenderID       string         `json:"sender_id"`
	Typing         bool           `json:"typing"`
	ExpiresInMS    int64          `json:"expires_in_ms,omitempty"`
}

type presenceFrame struct {
	Type    string           `json:"type"`
	AgentID string           `json:"agent_id"`
	Status  icc.Availability `json:"status"`
}

type readFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	ParticipantID  string `json:"participant_id"`
	Seq            int64  `json:"seq"`
}

type subscribedFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
}

type eventFrame struct {
	Type  string    `json:"type"`
	Event icc.Event `json:"event"`
}

// Classification is what the classifier said about a customer message; it
// reaches the agents of the conversation in a classification frame.
type Classification struct {
	Category       classify.Category  `json:"category"`
	Priority       classify.Priority  `json:"priority"`
	Sentiment      classify.Sentiment `json:"sentiment"`
	Escalate       bool               `json:"escalate"`
	Reasons        []classify.Reason  `json:"reasons,omitempty"`
	Intent         string             `json:"intent,omitempty"`
	Confidence     float64            `json:"confidence"`
	SuggestedReply string             `json:"suggested_reply,omitempty"`
	Model          string             `json:"model,omitempty"`
}

type classificationFrame struct {
	Type           string         `json:"type"`
	ConversationID string         `json:"conversation_id"`
	Seq            int64          `json:"seq"`
	Classification Classification `json:"classification"`
}

type errorFrame struct {
	Type           string `json:"type"`
	Code           string `json:"code"`
	Message        string `json:"message"`
	ConversationID string `json:"conversation_id,omitempty"`
	ClientID       string `json:"client_id,omitempty"`
}

type pongFrame struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
}

// encode marshals a server frame; the frames above cannot fail to encode.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("chat: encoding %T: %v", v, err))
	}
	return b
}

package chat

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeFrame(t *testing.T) {
	for raw, ok := range map[string]bool{
		`{"type":"message","conversation_id":"c","client_id":"k","body":"hi"}`: true,
		`{"type":"message","conversation_id":"c","client_id":"k","body":"  "}`: false,
		`{"type":"message","conversation_id":"c","body":"hi"}`:                 false,
		`{"type":"typing","conversation_id":"c"}`:                              true,
		`{"type":"typing"}`:                                          false,
		`{"type":"read","conversation_id":"c","seq":3}`:              true,
		`{"type":"read","conversation_id":"c","seq":-3}`:             false,
		`{"type":"subscribe","conversation_id":"c","after_seq":0}`:   true,
		`{"type":"subscribe","conversation_id":"c","after_seq":"x"}`: false,
		`{"type":"presence","status":"away"}`:                        true,
		`{"type":"presence","status":"offline"}`:                     false,
		`{"type":"ping"}`:                                            true,
		`{"type":"ping"} {"type":"ping"}`:                            false,
		`{}`:                                                         false,
		`null`:                                                       false,
		`"message"`:                                                  false,
		`{"type":"message","conversation_id":"` + strings.Repeat("c", 101) + `","client_id":"k","body":"hi"}`: false,
		"{\"type\":\"ping\",\"id\":\"\xff\"}": false,
	} {
		_, err := decodeFrame([]byte(raw))
		if ok {
			assert.NoError(t, err, raw)
		} else {
			assert.ErrorIs(t, err, errBadFrame, raw)
		}
	}
}

// FuzzDecodeFrame: decoding never panics, and what it accepts is a known
// frame with sane fields.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"message","conversation_id":"c","client_id":"k","body":"hi"}`,
		`{"type":"typing","conversation_id":"c","typing":false}`,
		`{"type":"read","conversation_id":"c","seq":3}`,
		`{"type":"subscribe","conversation_id":"c","after_seq":9223372036854775807}`,
		`{"type":"presence","status":"online"}`,
		`{"type":"ping","id":"p"}`,
		`{"type":"message","body":{"nested":[1,2,3]}}`,
		`[`, `{"type":1e999}`, "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		if err != nil {
			require.ErrorIs(t, err, errBadFrame)
			require.Less(t, len(err.Error()), 300, "error messages must not echo input")
			return
		}
		switch fr.Type {
		case TypeMessage, TypeTyping, TypeRead, TypeSubscribe:
			require.NotEmpty(t, fr.ConversationID)
		case TypePresence, TypePing:
		default:
			t.Fatalf("accepted unknown type %q", fr.Type)
		}
		require.GreaterOrEqual(t, fr.Seq, int64(0))
		require.GreaterOrEqual(t, fr.AfterSeq, int64(0))
		_, err = json.Marshal(fr)
		require.NoError(t, err)
	})
}

package icc

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// NewID returns a new random identifier: 32 lower-case hex digits whose first
// twelve encode the creation time in milliseconds, so ids sort roughly by age
// (the layout of a version 7 UUID without the dashes).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// NewToken returns a random URL-safe secret of n bytes of entropy.
func NewToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Page is one page of a list. Next is the cursor for the following page and
// is empty on the last page.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// Cursor is the position after the last item of a page: the sort key of that
// item and its id as a tie-breaker. Backends encode it with Encode and read it
// back with ParseCursor; clients treat it as opaque.
type Cursor struct {
	// Time is the sort key of the last item returned.
	Time time.Time `json:"t"`
	// Int is an integer sort key, for lists ordered by number.
	Int int64 `json:"n,omitempty"`
	// ID is the id of the last item returned.
	ID string `json:"i"`
}

// Encode returns the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor decodes a cursor made by Encode. The empty string is the zero
// Cursor (the first page). A malformed cursor is an EINVALID error on field
// "cursor".
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return Cursor{}, Invalid("cursor", "malformed cursor")
	}
	c.Time = c.Time.UTC()
	return c, nil
}

// Default and maximum page sizes for every list.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ClampLimit returns the page size to use for a requested limit: DefaultLimit
// for zero or less, at most MaxLimit.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// Timestamp normalises t the way every store keeps times: in UTC, truncated
// to the microsecond (PostgreSQL's precision), so times round-trip exactly
// whichever backend holds them.
func Timestamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// MinYear and MaxYear bound the years, in UTC, of the times a store may
// keep (see CheckTime).
const (
	MinYear = 1
	MaxYear = 9999
)

// CheckTime returns an EINVALID error naming field when t, in UTC as every
// store keeps it, falls outside the years MinYear to MaxYear. RFC 3339 and
// JSON write a time with a four-digit year, so such a time could be
// stored but not written back: every answer holding it would fail to
// encode. The zero time passes (it is year 1).
func CheckTime(field string, t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return Invalid(field, "must be a time in the years %d to %d (UTC)", MinYear, MaxYear)
	}
	return nil
}

// TimestampPtr is Timestamp for optional times.
func TimestampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Timestamp(*t)
	return &v
}

// Terms splits a free-text query into lower-case terms. Text search in every
// store matches a record when each term occurs in its searchable text as a
// case-insensitive substring.
func Terms(q string) []string {
	return strings.Fields(strings.ToLower(q))
}

// MatchTerms reports whether every term occurs in one of texts, ignoring case.
// It is the reference semantics of text search that backends implement.
func MatchTerms(terms []string, texts ...string) bool {
	if len(terms) == 0 {
		return true
	}
	lower := make([]string, len(texts))
	for i, t := range texts {
		lower[i] = strings.ToLower(t)
	}
	for _, term := range terms {
		found := false
		for _, t := range lower {
			if strings.Contains(t, term) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

package icc

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CheckText returns an EINVALID error naming field when s is not text that
// every backend can store: it must be valid UTF-8 and must not contain a
// NUL byte. PostgreSQL's text type holds neither, so without this check
// the same input would be accepted by the memory backend and fail inside
// PostgreSQL as an internal error. Every Validate of a stored type and of
// a filter calls it for each of its strings; callers with other input that
// reaches a store (an id or email to look up) can call it too.
func CheckText(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return Invalid(field, "must not contain NUL bytes")
	}
	if !utf8.ValidString(s) {
		return Invalid(field, "must be valid UTF-8")
	}
	return nil
}

// CleanText returns s as text CheckText accepts: invalid UTF-8 and NUL
// bytes are removed. For text a program did not choose, such as an error
// quoting a response body, that should be kept rather than refused.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// longerThan reports whether s has more than n characters (runes, as
// JSON Schema's maxLength counts): limits on what people write are in
// characters, so that a name in Greek or Japanese gets as many as one in
// English. Byte limits (MaxBodyLen, MaxSubjectLen) say so.
func longerThan(s string, n int) bool {
	return len(s) > n && utf8.RuneCountInString(s) > n
}

// checkTexts is CheckText for each of fields, given as name, value pairs,
// in order.
func checkTexts(fieldValues ...string) error {
	for i := 0; i+1 < len(fieldValues); i += 2 {
		if err := CheckText(fieldValues[i], fieldValues[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// normalizeTags checks a ticket's tags and returns them trimmed, with
// duplicates dropped (the first is kept); see Ticket.Tags for the rules. It
// returns a new slice and never changes tags.
func normalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, min(len(tags), MaxTags))
	for _, tag := range tags {
		tag, err := checkTag(tag)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, tag) {
			continue
		}
		if len(out) == MaxTags {
			return nil, Invalid("tags", "a ticket has at most %d tags", MaxTags)
		}
		out = append(out, tag)
	}
	return out, nil
}

// checkTag checks one tag and returns it trimmed.
func checkTag(tag string) (string, error) {
	if err := CheckText("tags", tag); err != nil {
		return "", err
	}
	tag = strings.TrimSpace(tag)
	limit := MaxTagLen
	if strings.HasPrefix(tag, incidentTagPrefix) {
		limit = len(incidentTagPrefix) + maxIntegrationNameLen
	}
	if tag == "" || utf8.RuneCountInString(tag) > limit {
		return "", Invalid("tags", "each tag must be 1 to %d characters", limit)
	}
	if strings.ContainsFunc(tag, unicode.IsControl) {
		return "", Invalid("tags", "tag %q must not contain control characters", tag)
	}
	return tag, nil
}

// HumanDuration writes d for people, as messages should: "7 days", "12
// hours", "1 minute" when d is a whole number of its largest unit (days,
// hours, minutes, seconds), else as Go does ("1h30m0s").
func HumanDuration(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d < u.d || d%u.d != 0 {
			continue
		}
		if n := d / u.d; n != 1 {
			return fmt.Sprintf("%d %ss", n, u.name)
		}
		return "1 " + u.name
	}
	return d.String()
}

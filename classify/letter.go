package classify

import (
	"strings"
	"unicode"
)

// A letter's salutation ("Dear Customer Services,") and sign-off ("Kind
// regards, Office Manager, Lyons Pharmacy") name people and departments
// without asking for anything: read as request words, "Customer
// Services" looks like a request to contact them and "Office Manager"
// like a request for a human. stripLetter removes both before the text is
// analysed.

// salutations open a letter; each allows up to maxWords more words (a
// name or department) before the comma, colon or line break that ends it.
var salutations = []struct {
	prefix   string
	maxWords int
}{
	{"dear", 5}, {"to whom it may concern", 0}, {"good morning", 3}, {"good afternoon", 3},
	{"good evening", 3}, {"greetings", 2}, {"hello", 2}, {"hi", 2}, {"hey", 2},
}

// signOffs close a letter when a sentence boundary comes before them and
// only a comma, line break or the end follows.
var signOffs = []string{
	"kind regards", "best regards", "warm regards", "many thanks", "with thanks", "with many thanks",
	"yours faithfully", "yours sincerely", "yours truly", "sincerely", "respectfully", "best wishes",
	"regards", "thank you", "thanks", "cheers",
}

// maxSignature is the longest tail after a sign-off that still reads as a
// signature (a name, a title, a company), in bytes.
const maxSignature = 80

// stripLetter returns text without a leading salutation and a trailing
// sign-off with its signature; text that is nothing else is kept as is.
func stripLetter(text string) string {
	body := stripSalutation(text)
	body = stripSignOff(body)
	if strings.TrimSpace(body) == "" {
		return text
	}
	return body
}

func stripSalutation(text string) string {
	t := strings.TrimLeftFunc(text, unicode.IsSpace)
	head := asciiLower(t[:min(len(t), 80)])
	for _, s := range salutations {
		rest, ok := strings.CutPrefix(head, s.prefix)
		if !ok || rest != "" && !strings.ContainsAny(rest[:1], " ,:\n!") {
			continue
		}
		end := strings.IndexAny(rest, ",:\n!")
		if end < 0 || len(strings.Fields(rest[:end])) > s.maxWords {
			return text
		}
		return t[len(s.prefix)+end+1:]
	}
	return text
}

func stripSignOff(text string) string {
	t := strings.TrimRightFunc(text, unicode.IsSpace)
	from := max(0, len(t)-maxSignature-len("with many thanks")-2)
	tail := asciiLower(t[from:])
	best := -1
	for _, s := range signOffs {
		for off := 0; ; {
			i := strings.Index(tail[off:], s)
			if i < 0 {
				break
			}
			i += off
			off = i + 1
			if best >= 0 && i >= best {
				continue
			}
			before := strings.TrimRightFunc(tail[:i], unicode.IsSpace)
			if before == "" && from == 0 || before != "" && !strings.ContainsAny(before[len(before)-1:], ".!?,\n)") {
				continue
			}
			after := tail[i+len(s):]
			rest := strings.TrimLeft(after, " \t")
			if rest != "" && !strings.ContainsAny(rest[:1], ",.!\n") || len(after) > maxSignature || strings.Contains(after, "?") {
				continue
			}
			best = i
		}
	}
	if best < 0 {
		return text
	}
	return t[:from+best]
}

// asciiLower lowercases the ASCII letters of s and leaves every other byte
// as it is, so that an index into the result is an index into s
// (strings.ToLower may change the length of non-ASCII text and of invalid
// UTF-8).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

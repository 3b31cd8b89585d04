package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A letter's salutation ("Dear Customer Services,") and sign-off ("Kind
// regards, Office Manager, Lyons Pharmacy") name people and departments
// without asking for anything: read as request words, "Customer
// Services" looks like a request to contact them and "Office Manager"
// like a request for a human. stripLetter removes both before the text is
// analysed. Both must look like what they are: words that ask for
// something ("Dear sir please refund me,", "Thanks, I'll be contacting my
// lawyer") are never taken for a salutation or a signature.

// salutations open a letter; each allows up to maxWords more words (a
// name or department) before the comma, colon or line break that ends it.
var salutations = []struct {
	prefix   string
	maxWords int
}{
	{"dear", 5}, {"to whom it may concern", 0}, {"good morning", 3}, {"good afternoon", 3},
	{"good evening", 3}, {"greetings", 2}, {"hello", 2}, {"hi", 2}, {"hey", 2},
}

// addressWords may follow a salutation in lower case ("dear customer
// services", "hi team"); any other word there must be capitalised, as a
// name is.
var addressWords = wordSet(`sir sirs madam madame team support customer customers service services care
	all everyone there folks guys people friends colleagues and or to whom it may concern the`)

// signOffs close a letter when a sentence boundary comes before them and
// only a comma, line break or the end follows.
var signOffs = []string{
	"kind regards", "best regards", "warm regards", "many thanks", "with thanks", "with many thanks",
	"yours faithfully", "yours sincerely", "yours truly", "sincerely", "respectfully", "best wishes",
	"regards", "thank you", "thanks", "cheers",
}

// notSignature are words a signature (a name, a title, a company) does not
// have but a sentence does: a tail after "Thanks," with one of them is part
// of the request ("Thanks, but I want to speak to a manager").
var notSignature = wordSet(`i im ill ive id me my mine we were our you your youre it its is are was
	be been will would can could should shall must may might do does did dont not no but and so if
	please pls want need like get give send call contact speak talk let know see think hope wait
	waiting expect going gonna now still again already`)

// maxSignature is the longest tail after a sign-off that still reads as a
// signature (a name, a title, a company), in bytes.
const maxSignature = 80

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

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
	for _, s := range salutations {
		if len(t) < len(s.prefix) || !strings.EqualFold(t[:len(s.prefix)], s.prefix) {
			continue
		}
		rest := t[len(s.prefix):]
		if rest != "" && !strings.ContainsAny(rest[:1], " ,:\n!") {
			continue // "Hidden", "Dearest": another word
		}
		end := strings.IndexAny(rest[:min(len(rest), 80)], ",:\n!")
		if end < 0 {
			return text
		}
		words := strings.Fields(rest[:end])
		if len(words) > s.maxWords {
			return text
		}
		for _, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsUpper(r) && !addressWords[strings.ToLower(w)] {
				return text // "Dear sir please refund me,": a request, not a name
			}
		}
		return rest[end+1:]
	}
	return text
}

func stripSignOff(text string) string {
	t := strings.TrimRightFunc(text, unicode.IsSpace)
	from := max(0, len(t)-maxSignature-len("with many thanks")-2)
	// Lower case ASCII only, so that an index into tail is one into t.
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
			if rest != "" && !strings.ContainsAny(rest[:1], ",.!\n") || len(after) > maxSignature ||
				!isSignature(after, t[from+i+len(s):]) {
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

// isSignature reports whether the tail after a sign-off (lower case, and
// as written) reads as a name, a title or a company: no question, no word
// a sentence needs, and no cue unless every word is capitalised, as names
// are ("Thanks, Sue" is signed by Sue; "Thanks, sue you" is a threat).
func isSignature(tail, written string) bool {
	if strings.Contains(tail, "?") {
		return false
	}
	words := tokenize(tail, nil)
	for _, w := range words {
		if notSignature[w] {
			return false
		}
	}
	if capitalised(written) {
		return true
	}
	return cues.scan(words)&^cueHuman == 0 // a title such as "Office Manager" may name a human
}

// capitalised reports whether every word of s is written as names are: a
// capital letter and then lower case ("Sue", "O'Neill", an initial "J"), or
// digits. Words in capitals are not names: "REGARDS, LAWSUIT PENDING" is
// shouting.
func capitalised(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }) {
		r, n := utf8.DecodeRuneInString(w)
		switch {
		case unicode.IsDigit(r):
		case !unicode.IsUpper(r):
			return false
		case n < len(w) && !strings.ContainsFunc(w[n:], unicode.IsLower):
			return false // "LAWSUIT"
		}
	}
	return true
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

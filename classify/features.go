package classify

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Feature groups. Each group's vector is L2-normalised on its own and then
// scaled by its weight, so that no group drowns the others.
const (
	groupWord    = 'w' // corrected words
	groupConcept = 'c' // lexicon concepts
	groupBigram  = 'b' // pairs of content tokens (concepts or words)
	groupChar    = 'g' // character n-grams of the words as typed
	groupBias    = 'x'
)

// featureConfig selects the ingredients; the zero value turns everything off
// and defaultFeatures is what the shipped model uses.
type featureConfig struct {
	Words, Concepts, Bigrams, Chars float32 // group weights; 0 leaves a group out
	CharMin, CharMax                int
	Lexicon                         bool // map synonyms onto concepts
	Spell                           bool // correct unknown words against the vocabulary
}

var defaultFeatures = featureConfig{
	Words: 0, Concepts: 1, Bigrams: 1, Chars: 0.5, CharMin: 3, CharMax: 5,
	Lexicon: true, Spell: true,
}

// feature is one hashed feature with its value.
type feature struct {
	h uint64
	v float32
}

// analysis is a request's text broken down for features and rules.
type analysis struct {
	typed    []string // tokens as typed (after slang normalisation)
	words    []string // tokens after spelling correction
	concepts []string // words with lexicon phrases replaced by concepts
}

// tokenize lowercases s and splits it into runs of letters and digits.
// Apostrophes inside a word are dropped ("don't" -> "dont"). Plain
// lowercase ASCII words are sliced from s without copying.
func tokenize(s string, dst []string) []string {
	var b []byte
	start, simple := -1, true
	flush := func(end int) {
		switch {
		case start < 0:
		case simple:
			dst = append(dst, s[start:end])
		case len(b) > 0:
			dst = append(dst, string(b))
		}
		start, simple, b = -1, true, b[:0]
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				if start < 0 {
					start = i
				}
				if !simple {
					b = append(b, c)
				}
			case 'A' <= c && c <= 'Z':
				if start < 0 {
					start = i
				}
				if simple {
					simple, b = false, append(b[:0], s[start:i]...)
				}
				b = append(b, c+'a'-'A')
			case c == '\'' && start >= 0:
				if simple {
					simple, b = false, append(b[:0], s[start:i]...)
				}
			default:
				flush(i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '’' && start >= 0:
			if simple {
				simple, b = false, append(b[:0], s[start:i]...)
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
			if simple {
				simple, b = false, append(b[:0], s[start:i]...)
			}
			b = utf8.AppendRune(b, unicode.ToLower(r))
		default:
			flush(i)
		}
		i += n
	}
	flush(len(s))
	return dst
}

// phraseHash hashes words joined by single spaces.
func phraseHash(words []string) uint64 {
	h := uint64(fnvOffset)
	for i, w := range words {
		if i > 0 {
			h = (h ^ ' ') * fnvPrime
		}
		h = hashStr(h, w)
	}
	return h
}

// normalize replaces slang and common misspellings by their standard form.
func (lx *lexicon) normalize(toks, dst []string) []string {
	for _, t := range toks {
		if rep, ok := lx.norm[t]; ok {
			dst = append(dst, rep...)
			continue
		}
		dst = append(dst, t)
	}
	return dst
}

// concepts replaces each lexicon phrase in words (longest match first) by
// its concept and keeps other words as they are. A phrase of a combined
// concept ("#payment+#problem") gives each of its concepts.
func (lx *lexicon) concepts(words, dst []string) []string {
	negated := 0 // words left in a negation's scope
	for i := 0; i < len(words); {
		n, concept := lx.match(words[i:])
		if n == 0 {
			dst = append(dst, words[i])
			negated--
			i++
			continue
		}
		if concept == negation {
			negated = negationScope
			i += n
			continue
		}
		if negated > 0 {
			// "I don't want to cancel, just ...": the negated concept
			// says what the request is not, so it is left out.
			negated = 0
			i += n
			continue
		}
		for concept != "" {
			var c string
			c, concept, _ = strings.Cut(concept, "+")
			dst = append(dst, c)
		}
		i += n
	}
	return dst
}

// negation is the lexicon concept of phrases that deny what follows ("I
// don't want to", "not asking for"); the first concept within
// negationScope words after one is dropped.
const (
	negation      = "#not"
	negationScope = 4
)

// match returns the length and concept of the longest lexicon phrase (of
// at most maxMatch words) at the start of words, or 0. It extends the run
// only while some longer phrase begins with it.
func (lx *lexicon) match(words []string) (int, string) {
	best, concept := 0, ""
	h := uint64(fnvOffset)
	n := min(lx.maxLen, len(words), maxMatch)
	for j := range n {
		if j > 0 {
			h = (h ^ ' ') * fnvPrime
		}
		h = hashStr(h, words[j])
		if c, ok := lx.phrases[h]; ok {
			best, concept = j+1, c
		}
		if !lx.prefixes[h] {
			break
		}
	}
	return best, concept
}

// maxMatch is the longest phrase, in words, that match looks for.
const maxMatch = 8

// speller corrects words it does not know to the most frequent known word
// one edit away (deletion, insertion, substitution or transposition).
// Everyday English words (commonText) count as known, so they are never
// corrected, and are candidates with the lowest frequency. Words shorter
// than minSpellLen are left alone, and a correction keeps the first letter
// (or swaps the first two): slips at the start of a word are rare, and
// short words are too close to each other to correct safely.
type speller struct {
	known      map[string]uint32   // word -> frequency
	common     map[string]bool     // everyday words, known but not in the data
	dels       map[string][]string // known word with one letter deleted -> known words
	commonDels map[string][]string // the same for the everyday words, shared by every speller
}

// minSpellLen is the shortest word the speller corrects.
const minSpellLen = 5

func newSpeller(known map[string]uint32) *speller {
	lx := loadLexicon()
	sp := &speller{known: known, common: lx.common, dels: make(map[string][]string, len(known)*6), commonDels: lx.commonDels}
	for w := range known {
		indexDeletions(sp.dels, w)
	}
	return sp
}

// indexDeletions records w under each of its one-letter deletions.
func indexDeletions(dels map[string][]string, w string) {
	if len(w) < minSpellLen-1 {
		return
	}
	for i := range len(w) {
		d := w[:i] + w[i+1:]
		dels[d] = append(dels[d], w)
	}
}

// freq is w's weight as a correction: its count in the data, or 1 for an
// everyday word.
func (sp *speller) freq(w string) uint32 {
	if n := sp.known[w]; n > 0 {
		return n + 1
	}
	if sp.common[w] {
		return 1
	}
	return 0
}

// correct returns w or its best correction.
func (sp *speller) correct(w string) string {
	if len(w) < minSpellLen || len(w) > 24 || sp.isWord(w) || isDigits(w) {
		return w
	}
	best, bestN := w, uint32(0)
	try := func(c string) {
		if len(c) < 2 || !sameStart(c, w) {
			return
		}
		if n := sp.freq(c); n > bestN || (n == bestN && n > 0 && c < best) {
			best, bestN = c, n
		}
	}
	for _, dels := range [...]map[string][]string{sp.dels, sp.commonDels} {
		// w has one letter too few: known words that lose a letter to become w.
		for _, c := range dels[w] {
			try(c)
		}
		for i := range len(w) {
			d := w[:i] + w[i+1:]
			try(d) // w has one letter too many
			for _, c := range dels[d] {
				// substitution or transposition (same length, one edit apart)
				if len(c) == len(w) && oneEdit(c, w) {
					try(c)
				}
			}
		}
	}
	return best
}

// isWord reports whether w is known, or an inflection of a known word
// ("showed", "refreshes", "windows").
func (sp *speller) isWord(w string) bool {
	known := func(w string) bool { return len(w) >= 3 && (sp.known[w] > 0 || sp.common[w]) }
	if known(w) {
		return true
	}
	for _, suf := range [...]string{"s", "es", "ed", "d", "ing", "ly", "er", "ers"} {
		stem, ok := strings.CutSuffix(w, suf)
		if !ok {
			continue
		}
		if known(stem) || known(stem+"e") {
			return true
		}
		// a doubled last consonant: "logged", "shipping"
		if n := len(stem); n >= 4 && stem[n-1] == stem[n-2] && known(stem[:n-1]) {
			return true
		}
	}
	if stem, ok := strings.CutSuffix(w, "ies"); ok && known(stem+"y") {
		return true
	}
	return false
}

// sameStart reports whether a correction c of w keeps w's first letter,
// or swaps w's first two letters.
func sameStart(c, w string) bool {
	return c[0] == w[0] || len(w) > 1 && c[0] == w[1] && c[1] == w[0]
}

// oneEdit reports whether a and b (same length) differ by one substitution
// or one transposition of neighbours.
func oneEdit(a, b string) bool {
	diff := -1
	for i := 0; i < len(a); i++ {
		if a[i] == b[i] {
			continue
		}
		if diff >= 0 {
			return i == diff+1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
		}
		diff = i
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// analyze breaks text down into tokens, corrected words and concepts.
func analyze(text string, lx *lexicon, sp *speller, fc featureConfig) analysis {
	var a analysis
	raw := tokenize(text, make([]string, 0, 32))
	a.typed = lx.normalize(raw, make([]string, 0, len(raw)+4))
	a.words = a.typed
	if fc.Spell && sp != nil {
		a.words = make([]string, len(a.typed))
		for i, t := range a.typed {
			a.words[i] = sp.correct(t)
		}
	}
	if fc.Lexicon {
		a.concepts = lx.concepts(a.words, make([]string, 0, len(a.words)))
	} else {
		a.concepts = a.words
	}
	return a
}

// hashing: FNV-1a, 64 bit, over a group byte and the feature's text.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashStr(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func hashGroup(g byte) uint64 { return (fnvOffset ^ uint64(g)) * fnvPrime }

// features turns an analysis into hashed, weighted features, appended to dst.
func (a *analysis) features(fc featureConfig, dst []feature) []feature {
	group := func(start int, weight float32) {
		if weight == 0 || len(dst) == start {
			dst = dst[:start]
			return
		}
		norm := weight / float32(math.Sqrt(float64(len(dst)-start)))
		for i := start; i < len(dst); i++ {
			dst[i].v = norm
		}
	}
	if fc.Words > 0 {
		s := len(dst)
		for _, w := range a.words {
			dst = append(dst, feature{h: hashStr(hashGroup(groupWord), w)})
		}
		group(s, fc.Words)
	}
	if fc.Concepts > 0 {
		s := len(dst)
		for _, c := range a.concepts {
			if len(c) > 0 && c[0] == '#' {
				dst = append(dst, feature{h: hashStr(hashGroup(groupConcept), c)})
			}
		}
		group(s, fc.Concepts)
	}
	if fc.Bigrams > 0 {
		s := len(dst)
		prev := "^"
		for _, c := range a.concepts {
			if stopwords[c] {
				continue
			}
			h := hashStr(hashGroup(groupBigram), prev)
			h = hashStr(h^' ', c)
			dst = append(dst, feature{h: h})
			prev = c
		}
		group(s, fc.Bigrams)
	}
	if fc.Chars > 0 {
		s := len(dst)
		var buf [64]byte
		for _, w := range a.typed {
			if len(w)+2 > len(buf) {
				continue
			}
			b := buf[:0]
			b = append(b, '<')
			b = append(b, w...)
			b = append(b, '>')
			for n := fc.CharMin; n <= fc.CharMax; n++ {
				for i := 0; i+n <= len(b); i++ {
					h := hashGroup(groupChar)
					for _, c := range b[i : i+n] {
						h ^= uint64(c)
						h *= fnvPrime
					}
					dst = append(dst, feature{h: h})
				}
			}
		}
		group(s, fc.Chars)
	}
	dst = append(dst, feature{h: hashGroup(groupBias), v: 1})
	return dst
}

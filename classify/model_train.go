package classify

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// trainOptions are the knobs of training; TrainConfig fills them.
type trainOptions struct {
	fc        featureConfig
	epochs    int
	lr        float64
	l2        float64
	augment   int     // extra, perturbed copies of each example
	swapP     float64 // chance a lexicon phrase is replaced by a synonym
	typoP     float64 // chance a word gets a typo
	dropP     float64 // chance a word is dropped
	noiseP    float64 // chance an everyday word is inserted before a word
	calibrate bool
	ensemble  int // models averaged
	seed      uint64
	keep      func(i int, e Example) bool // which examples the model may store
}

// sample is a training example reduced to its label and text.
type sample struct {
	text string
	y    int
}

// buildVocab counts the words of the examples plus the lexicon's words,
// which the speller corrects towards.
func buildVocab(lx *lexicon, texts []string) map[string]uint32 {
	v := map[string]uint32{}
	for _, w := range lx.words {
		v[w]++
	}
	addVocab(v, lx, texts)
	return v
}

// addVocab counts the words of texts into v.
func addVocab(v map[string]uint32, lx *lexicon, texts []string) {
	var toks []string
	for _, t := range texts {
		toks = lx.normalize(tokenize(t, toks[:0]), nil)
		for _, w := range toks {
			if len(w) > 1 && len(w) <= 24 {
				v[w]++
			}
		}
	}
}

// perturber makes variants of training texts: synonyms from the lexicon,
// typos and dropped words, so that the model sees wording the data lacks.
type perturber struct {
	lx       *lexicon
	synonyms map[string][]string // concept -> phrases
	noise    []string            // everyday words to insert
}

func newPerturber(lx *lexicon) *perturber {
	p := &perturber{lx: lx, synonyms: lx.list}
	for w := range lx.common {
		if _, c := lx.match([]string{w}); c == "" {
			p.noise = append(p.noise, w)
		}
	}
	slices.Sort(p.noise)
	return p
}

func (p *perturber) vary(text string, rng *rand.Rand, o trainOptions) string {
	swapP, typoP, dropP := o.swapP, o.typoP, o.dropP
	words := p.lx.normalize(tokenize(text, nil), nil)
	var out []string
	for i := 0; i < len(words); {
		if o.noiseP > 0 && rng.Float64() < o.noiseP {
			out = append(out, p.noise[rng.IntN(len(p.noise))])
		}
		n, concept := p.lx.match(words[i:])
		if n > 0 && concept != "#help" && rng.Float64() < swapP {
			syn := p.synonyms[concept]
			out = append(out, syn[rng.IntN(len(syn))])
			i += n
			continue
		}
		if n == 0 {
			n = 1
		}
		for _, w := range words[i : i+n] {
			switch {
			case rng.Float64() < dropP && len(words) > 3:
			case len(w) >= 4 && rng.Float64() < typoP:
				out = append(out, typo(w, rng))
			default:
				out = append(out, w)
			}
		}
		i += n
	}
	return strings.Join(out, " ")
}

// typo applies one random keyboard slip to w.
func typo(w string, rng *rand.Rand) string {
	b := []byte(w)
	i := rng.IntN(len(b))
	switch rng.IntN(4) {
	case 0: // drop
		return string(append(b[:i:i], b[i+1:]...))
	case 1: // double
		return string(b[:i+1]) + string(b[i:])
	case 2: // swap with the next
		if i+1 < len(b) {
			b[i], b[i+1] = b[i+1], b[i]
		}
		return string(b)
	default: // substitute
		b[i] = byte('a' + rng.IntN(26))
		return string(b)
	}
}

// fit trains m's weights on samples with AdaGrad and L2 decay.
// ctxEvery is how many examples training handles between looks at its
// context, so that a cancelled or expired training stops within a few
// milliseconds rather than at the end of an epoch.
const ctxEvery = 1024

func (m *model) fit(ctx context.Context, samples []sample, o trainOptions, p *perturber) error {
	rng := rand.New(rand.NewPCG(o.seed, 0x1cc))
	// Expand with perturbed copies and featurise once, in parallel.
	type row struct {
		fs []feature
		y  int
	}
	texts := make([]sample, 0, len(samples)*(1+o.augment))
	for _, s := range samples {
		texts = append(texts, s)
		for range o.augment {
			texts = append(texts, sample{text: p.vary(s.text, rng, o), y: s.y})
		}
	}
	rows := make([]row, len(texts))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n, i := 0, wk; i < len(texts); n, i = n+1, i+workers {
				if n%ctxEvery == ctxEvery-1 && ctx.Err() != nil {
					return // reported below
				}
				a := m.analyze(texts[i].text)
				rows[i] = row{fs: a.features(m.fc, nil), y: texts[i].y}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("classify: training stopped before the first epoch: %w", err)
	}
	// Resolve feature hashes to rows.
	idx := make([][]int32, len(rows))
	for i, r := range rows {
		idx[i] = make([]int32, len(r.fs))
		for j, f := range r.fs {
			idx[i][j] = int32(m.ensureRow(f.h))
		}
	}
	k := m.k()
	g2 := make([]float32, len(m.w)) // AdaGrad accumulators
	order := rng.Perm(len(rows))
	z := make([]float32, k)
	lr, l2 := float32(o.lr), float32(o.l2)
	for ep := range o.epochs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("classify: training stopped after %d epochs: %w", ep, err)
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for n, i := range order {
			if n%ctxEvery == 0 && n > 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("classify: training stopped in epoch %d: %w", ep+1, err)
				}
			}
			r := rows[i]
			clear(z)
			for j, f := range r.fs {
				w := m.w[int(idx[i][j])*k:][:k]
				for c := range k {
					z[c] += w[c] * f.v
				}
			}
			softmax(z, 1)
			z[r.y]--
			for j, f := range r.fs {
				base := int(idx[i][j]) * k
				w, acc := m.w[base:base+k], g2[base:base+k]
				for c := range k {
					g := z[c]*f.v + l2*w[c]
					if g == 0 {
						continue
					}
					acc[c] += g * g
					w[c] -= lr * g / float32(math.Sqrt(float64(acc[c]))+1e-6)
				}
			}
		}
	}
	return nil
}

// categoryNLL is the mean negative log-likelihood of the true categories at
// temperature t, used to fit t.
func (m *model) categoryNLL(logits [][]float32, cats []Category, t float32) float64 {
	var nll float64
	p := make([]float32, m.k())
	for i, z := range logits {
		copy(p, z)
		softmax(p, t)
		var pc float32
		for j, l := range m.labels {
			if l.Category == cats[i] {
				pc += p[j]
			}
		}
		nll -= math.Log(max(float64(pc), 1e-9))
	}
	return nll / float64(len(logits))
}

// fitTemperature picks the temperature that minimises the category NLL of
// held-out texts.
func (m *model) fitTemperature(texts []string, cats []Category) float32 {
	logits := make([][]float32, len(texts))
	var fs []feature
	for i, t := range texts {
		a := m.analyze(t)
		fs = a.features(m.fc, fs[:0])
		logits[i] = make([]float32, m.k())
		m.logits(fs, logits[i])
	}
	best, bestNLL := float32(1), math.Inf(1)
	for t := float32(0.3); t <= 4; t += 0.05 {
		if nll := m.categoryNLL(logits, cats, t); nll < bestNLL {
			best, bestNLL = t, nll
		}
	}
	return best
}

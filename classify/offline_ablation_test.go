package classify

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// devDataPath finds the dev set: $ICC_DEV_DATA or ../../shared/data from
// this package's directory.
func devDataPath() string {
	if p := os.Getenv("ICC_DEV_DATA"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "shared", "data", "support-intents-dev.csv")
}

// readExamplesCSV reads text,category,intent,escalate rows.
func readExamplesCSV(tb testing.TB, path string) []Example {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("no labelled data at %s (set ICC_DEV_DATA): %v", path, err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var out []Example
	for _, r := range recs[1:] {
		esc, _ := strconv.ParseBool(r[col["escalate"]])
		out = append(out, Example{Text: r[col["text"]], Category: Category(r[col["category"]]), Intent: r[col["intent"]], Escalate: esc})
	}
	return out
}

// holdoutWords are dev-set words whose rows are held out, one word at a
// time: the model is trained without any row that uses the word and tested
// on those rows, so it must label them from the rest of their wording.
var holdoutWords = []string{"money", "refunds", "invoice", "password", "feedback", "complaint", "delete",
	"switch", "track", "edit", "profile", "cancel", "subscription", "talk", "contact", "purchase"}

type scores struct {
	n, cat, intent, escTP, escFP, escFN int
	bins                                [10]struct {
		n, ok int
		conf  float64
	}
}

func (s *scores) add(m *model, exs []Example) {
	o := &Offline{m: m}
	for _, e := range exs {
		r, err := o.Classify(context.Background(), Request{Body: e.Text})
		if err != nil {
			panic(err)
		}
		s.n++
		b := &s.bins[min(int(r.Confidence*10), 9)]
		b.n++
		b.conf += r.Confidence
		if r.Category == e.Category {
			s.cat++
			b.ok++
		}
		if r.Intent == e.Intent {
			s.intent++
		}
		switch {
		case r.Escalate && e.Escalate:
			s.escTP++
		case r.Escalate:
			s.escFP++
		case e.Escalate:
			s.escFN++
		}
	}
}

func (s scores) String() string {
	f1 := 2 * float64(s.escTP) / float64(max(1, 2*s.escTP+s.escFP+s.escFN))
	var ece float64
	for _, b := range s.bins {
		if b.n > 0 {
			ece += math.Abs(b.conf-float64(b.ok)) / float64(s.n)
		}
	}
	return fmt.Sprintf("cat=%.3f intent=%.3f escF1=%.3f ece=%.3f n=%d", float64(s.cat)/float64(s.n), float64(s.intent)/float64(s.n), f1, ece, s.n)
}

func hasWord(text, w string) bool {
	return slices.Contains(tokenize(text, nil), w)
}

// TestAblation measures each ingredient on the three blind paraphrase files
// (i, j and o) and on word hold-outs of the dev set. It is slow, so it runs only with ICC_ABLATION=1:
//
//	ICC_ABLATION=1 go test -run TestAblation -v -timeout 90m ./classify
func TestAblation(t *testing.T) {
	if os.Getenv("ICC_ABLATION") == "" {
		t.Skip("set ICC_ABLATION=1 to run the ablation study")
	}
	dev := readExamplesCSV(t, devDataPath())
	// The blind files: written by writers who never saw the lexicon, and
	// never looked at row by row while tuning.
	para := readExamplesCSV(t, filepath.Join("testdata", "paraphrases-i.csv"))
	para = append(para, readExamplesCSV(t, filepath.Join("testdata", "paraphrases-j.csv"))...)
	para = append(para, readExamplesCSV(t, filepath.Join("testdata", "paraphrases-o.csv"))...)
	final, _ := TrainConfig{Seed: 1}.options()
	base := final
	base.ensemble = 1 // the ingredients are measured on single models
	type variant struct {
		name string
		o    trainOptions
	}
	v := func(name string, f func(o *trainOptions)) variant {
		o := base
		f(&o)
		return variant{name, o}
	}
	only := os.Getenv("ICC_ABLATION_ONLY")
	variants := []variant{
		v("words+pairs only", func(o *trainOptions) {
			o.fc = featureConfig{Words: 1, Bigrams: 1}
			o.augment = 0
		}),
		v("+char n-grams", func(o *trainOptions) {
			o.fc = featureConfig{Words: 1, Bigrams: 1, Chars: 0.5, CharMin: 3, CharMax: 5}
			o.augment = 0
		}),
		v("+spelling", func(o *trainOptions) {
			o.fc = featureConfig{Words: 1, Bigrams: 1, Chars: 0.5, CharMin: 3, CharMax: 5, Spell: true}
			o.augment = 0
		}),
		v("+lexicon", func(o *trainOptions) { o.fc.Words = 1; o.augment = 0 }),
		v("+augmentation", func(o *trainOptions) { o.fc.Words = 1 }),
		v("-word unigrams", func(o *trainOptions) {}),
		v("  same, seed 2", func(o *trainOptions) { o.seed = 2 }),
		v("  same, seed 3", func(o *trainOptions) { o.seed = 3 }),
		v("+ensemble of 3 (final)", func(o *trainOptions) { *o = final }),
		v("  final, seed 2", func(o *trainOptions) { *o = final; o.seed = 2 }),
		v("final without spelling", func(o *trainOptions) { *o = final; o.fc.Spell = false }),
		v("final without chars", func(o *trainOptions) { *o = final; o.fc.Chars = 0 }),
		v("final without word insertion", func(o *trainOptions) { *o = final; o.noiseP = 0 }),
		v("final with calibration", func(o *trainOptions) { *o = final; o.calibrate = true }),
	}
	for _, vr := range variants {
		if only != "" && !slices.ContainsFunc(strings.Split(only, "|"), func(s string) bool { return strings.Contains(vr.name, s) }) {
			continue
		}
		start := time.Now()
		m, err := train(context.Background(), dev, vr.o, "ablation")
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		var p, h scores
		p.add(m, para)
		for _, w := range holdoutWords {
			if os.Getenv("ICC_ABLATION_FAST") != "" {
				break
			}
			var tr, te []Example
			for _, e := range dev {
				if hasWord(e.Text, w) {
					te = append(te, e)
				} else {
					tr = append(tr, e)
				}
			}
			hm, err := train(context.Background(), tr, vr.o, "holdout")
			if err != nil {
				t.Fatal(err)
			}
			h.add(hm, te)
		}
		t.Logf("%-28s paraphrases i+j+o: %s | word hold-outs: %s | train %.1fs", vr.name, p, h, took.Seconds())
	}
}

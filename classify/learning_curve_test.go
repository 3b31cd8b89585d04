package classify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLearningCurve measures what a deployment's own requests are worth:
// models trained on the dev set plus N requests of the wording files
// (written for this project in other words, standing in for a company's
// resolved tickets), from scratch and on top of the dev-set model
// (TrainConfig.Base), and, for comparison, the dev-set model taught the
// same requests one at a time with Learn. Each is measured on the four
// blind files. It is slow, so it runs only with ICC_LEARNING_CURVE=1 (or
// =2, for a second shuffle of the requests):
//
//	ICC_LEARNING_CURVE=1 go test -run TestLearningCurve -v -timeout 60m ./classify
func TestLearningCurve(t *testing.T) {
	if os.Getenv("ICC_LEARNING_CURVE") == "" {
		t.Skip("set ICC_LEARNING_CURVE=1 to measure the learning curve")
	}
	ctx := context.Background()
	dev := readExamplesCSV(t, devDataPath())
	blind := map[string][]Example{}
	names := []string{"i", "j", "o", "x"}
	for _, n := range names {
		blind[n] = readExamplesCSV(t, filepath.Join("testdata", "paraphrases-"+n+".csv"))
	}
	files, err := filepath.Glob(filepath.Join("internal", "cmd", "trainmodel", "wording-*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no wording files: %v", err)
	}
	var own []Example
	for _, f := range files {
		own = append(own, readExamplesCSV(t, f)...)
	}
	report := func(what string, n int, m *Offline, took time.Duration) {
		var all scores
		var per []string
		for _, name := range names {
			var s scores
			s.add(m.m, blind[name])
			all.add(m.m, blind[name])
			per = append(per, fmt.Sprintf("%s %.3f", name, float64(s.intent)/float64(s.n)))
		}
		t.Logf("%-8s N=%-5d intent %s | all four: %s | %.1fs", what, n, strings.Join(per, " "), all, took.Seconds())
	}
	start := time.Now()
	devModel, err := Train(ctx, dev, TrainConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	report("dev only", 0, devModel, time.Since(start))
	for _, seed := range []uint64{1, 2} {
		shuffled := append([]Example(nil), own...)
		rand.New(rand.NewPCG(seed, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for _, n := range []int{250, 500, 1000, 2000, len(own)} {
			add := shuffled[:n]
			start := time.Now()
			fresh, err := Train(ctx, append(append([]Example(nil), dev...), add...), TrainConfig{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			report("scratch", n, fresh, time.Since(start))
			start = time.Now()
			warm, err := Train(ctx, add, TrainConfig{Seed: 1, Base: devModel})
			if err != nil {
				t.Fatal(err)
			}
			report("on base", n, warm, time.Since(start))
			if n <= 1000 {
				learned, err := Train(ctx, dev, TrainConfig{Seed: 1}) // Learn changes its model
				if err != nil {
					t.Fatal(err)
				}
				start = time.Now()
				for _, e := range add {
					if err := learned.Learn(ctx, e); err != nil {
						t.Fatal(err)
					}
				}
				report("Learn", n, learned, time.Since(start))
			}
		}
		// Requests of three intents only: what the rest loses.
		var narrow []Example
		for _, e := range shuffled {
			if len(narrow) < 60 && (e.Intent == "get_refund" || e.Intent == "track_order" || e.Intent == "complaint") {
				narrow = append(narrow, e)
			}
		}
		start := time.Now()
		warm, err := Train(ctx, narrow, TrainConfig{Seed: 1, Base: devModel})
		if err != nil {
			t.Fatal(err)
		}
		report("3 intents", len(narrow), warm, time.Since(start))
		if os.Getenv("ICC_LEARNING_CURVE") != "2" {
			break // one shuffle unless asked for two
		}
	}
}

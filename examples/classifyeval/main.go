// Command classifyeval measures a classifier on a labelled CSV file.
//
//	go run ./examples/classifyeval [-model default | -train TRAIN.csv [-base default|MODEL] [-save MODEL]] [-gemini] [-allow-unknown-intents] -data EVAL.csv
//
// -base trains on top of the shipped model (default) or of a model file
// instead of from nothing, and -save writes the trained model, which the
// reference server loads with -classifier-model.
//
// Both files have a header row with a text column and any of category,
// intent and escalate (true/false). It prints accuracy, macro-F1, a
// confusion matrix, per-class precision and recall, calibration (expected
// calibration error and a reliability table) and microseconds per message,
// and ends with one summary line such as
//
//	category_accuracy=0.912 category_macro_f1=0.880 intent_accuracy=0.874 escalate_f1=0.801 ece=0.041 n=19498
//
// Bad input (a missing file or column, an unknown label) exits with code 2.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/classify"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// row is one labelled request; empty fields were not given.
type row struct {
	text, category, intent string
	escalate               *bool
}

// table is a parsed CSV with which label columns it has.
type table struct {
	rows                           []row
	hasCategory, hasIntent, hasEsc bool
}

// usageError is bad input: exit code 2.
type usageError struct{ error }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("classifyeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelName := fs.String("model", "default", "model to evaluate: default (the shipped model)")
	trainPath := fs.String("train", "", "train a fresh offline model on this CSV and evaluate it")
	useGemini := fs.Bool("gemini", false, "evaluate the Gemini classifier (needs GEMINI_API_KEY)")
	dataPath := fs.String("data", "", "CSV to evaluate on (required)")
	allowUnknown := fs.Bool("allow-unknown-intents", false, "count rows whose intent the model does not know as intent errors instead of failing")
	basePath := fs.String("base", "", "with -train: train on top of this model, default (the shipped model) or a file written by -save, instead of from nothing")
	savePath := fs.String("save", "", "with -train: write the trained model to this file (a server loads it with -classifier-model)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: classifyeval [-model default | -train TRAIN.csv] [-gemini] -data EVAL.csv")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := options{model: *modelName, train: *trainPath, base: *basePath, save: *savePath, gemini: *useGemini,
		allowUnknown: *allowUnknown, data: *dataPath}
	if err := evaluate(context.Background(), o, stdout); err != nil {
		fmt.Fprintln(stderr, "classifyeval:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// options are classifyeval's flags.
type options struct {
	model, train, base, save string
	gemini, allowUnknown     bool
	data                     string
}

func evaluate(ctx context.Context, o options, stdout io.Writer) error {
	modelName, trainPath, useGemini, allowUnknown, dataPath := o.model, o.train, o.gemini, o.allowUnknown, o.data
	if dataPath == "" {
		return usageError{errors.New("-data is required")}
	}
	if trainPath == "" && (o.base != "" || o.save != "") {
		return usageError{errors.New("-base and -save go with -train")}
	}
	if fs := fsArgs(modelName, trainPath, useGemini); fs > 1 {
		return usageError{errors.New("use only one of -model, -train and -gemini")}
	}
	if trainPath == "" && !useGemini && modelName != "default" {
		return usageError{fmt.Errorf("unknown model %q (want default)", modelName)}
	}
	data, err := readTable(dataPath)
	if err != nil {
		return err
	}
	var (
		c      classify.Classifier
		labels []string // intents the classifier knows; nil if unknown
	)
	switch {
	case useGemini:
		key := os.Getenv("GEMINI_API_KEY")
		if key == "" {
			return usageError{errors.New("-gemini needs GEMINI_API_KEY set in the environment")}
		}
		g, err := newGemini(ctx, key)
		if err != nil {
			return err
		}
		c = g
	case trainPath != "":
		tr, err := readTable(trainPath)
		if err != nil {
			return err
		}
		if !tr.hasCategory && !tr.hasIntent {
			return usageError{fmt.Errorf("%s: needs a category or intent column to train on", trainPath)}
		}
		exs := make([]classify.Example, len(tr.rows))
		for i, r := range tr.rows {
			exs[i] = classify.Example{Text: r.text, Category: classify.Category(r.category), Intent: r.intent}
			if r.escalate != nil {
				exs[i].Escalate = *r.escalate
			}
		}
		cfg := classify.TrainConfig{Name: "trained"}
		if o.base != "" {
			base, err := loadModel(o.base)
			if err != nil {
				return err
			}
			cfg.Base = base
		}
		start := time.Now()
		off, err := classify.Train(ctx, exs, cfg)
		if err != nil {
			return usageError{fmt.Errorf("training on %s: %w", trainPath, err)}
		}
		on := ""
		if o.base != "" {
			on = " on top of " + cfg.Base.Model()
		}
		fmt.Fprintf(stdout, "trained on %d examples from %s%s in %.1fs\n", len(exs), trainPath, on, time.Since(start).Seconds())
		if o.save != "" {
			if err := saveModel(off, o.save); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote the model to %s\n", o.save)
		}
		c, labels = off, off.Labels()
	default:
		off, err := classify.NewOffline(classify.OfflineConfig{})
		if err != nil {
			return err
		}
		c, labels = off, off.Labels()
	}
	if data.hasIntent && labels != nil {
		known := map[string]bool{}
		for _, l := range labels {
			known[l] = true
		}
		unknown := 0
		for i, r := range data.rows {
			if !known[r.intent] {
				if !allowUnknown {
					return usageError{fmt.Errorf("%s: row %d: intent %q is unknown to the model", dataPath, i+2, r.intent)}
				}
				unknown++
			}
		}
		if unknown > 0 {
			fmt.Fprintf(stdout, "%d rows have an intent the model does not know; they count as intent errors\n", unknown)
		}
	}
	return report(ctx, c, data, stdout)
}

// loadModel returns the shipped model for "default", else the model in
// the file at path; a missing or bad file is a usageError.
func loadModel(path string) (*classify.Offline, error) {
	if path == "default" {
		return classify.NewOffline(classify.OfflineConfig{})
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("-base: %w", err)}
	}
	defer f.Close()
	off, err := classify.NewOffline(classify.OfflineConfig{Model: f})
	if err != nil {
		return nil, usageError{fmt.Errorf("-base %s: %w", path, err)}
	}
	return off, nil
}

// saveModel writes off to path through a temporary file, so that a
// failure never leaves half a model where a server would load it.
func saveModel(off *classify.Offline, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".classifyeval-*")
	if err != nil {
		return usageError{fmt.Errorf("-save: %w", err)}
	}
	defer os.Remove(tmp.Name())
	if err := off.Save(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("-save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("-save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return usageError{fmt.Errorf("-save: %w", err)}
	}
	return nil
}

func fsArgs(modelName, trainPath string, useGemini bool) int {
	n := 0
	if modelName != "default" {
		n++
	}
	if trainPath != "" {
		n++
	}
	if useGemini {
		n++
	}
	return n
}

// readTable reads a labelled CSV; any problem is a usageError.
func readTable(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: reading header: %w", path, err)}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	ti, ok := col["text"]
	if !ok {
		return nil, usageError{fmt.Errorf("%s: no text column in header %q", path, strings.Join(head, ","))}
	}
	ci, hasC := col["category"]
	ii, hasI := col["intent"]
	ei, hasE := col["escalate"]
	t := &table{hasCategory: hasC, hasIntent: hasI, hasEsc: hasE}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", path, err)}
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r := row{text: get(ti)}
		if r.text == "" {
			return nil, usageError{fmt.Errorf("%s: line %d: empty text", path, line)}
		}
		if hasC {
			r.category = strings.ToLower(get(ci))
			if !classify.Category(r.category).Valid() {
				return nil, usageError{fmt.Errorf("%s: line %d: unknown category %q", path, line, r.category)}
			}
		}
		if hasI {
			r.intent = get(ii)
			if r.intent == "" {
				return nil, usageError{fmt.Errorf("%s: line %d: empty intent", path, line)}
			}
		}
		if hasE {
			b, err := strconv.ParseBool(get(ei))
			if err != nil {
				return nil, usageError{fmt.Errorf("%s: line %d: escalate %q is not true or false", path, line, get(ei))}
			}
			r.escalate = &b
		}
		t.rows = append(t.rows, r)
	}
	if len(t.rows) == 0 {
		return nil, usageError{fmt.Errorf("%s: no rows", path)}
	}
	return t, nil
}

// confusion counts (gold, predicted) pairs.
type confusion struct {
	classes []string
	n       map[[2]string]int
}

func newConfusion() *confusion { return &confusion{n: map[[2]string]int{}} }

func (c *confusion) add(gold, pred string) {
	for _, s := range []string{gold, pred} {
		if !slices.Contains(c.classes, s) {
			c.classes = append(c.classes, s)
		}
	}
	c.n[[2]string{gold, pred}]++
}

func (c *confusion) accuracy() float64 {
	var ok, all int
	for k, v := range c.n {
		all += v
		if k[0] == k[1] {
			ok += v
		}
	}
	return float64(ok) / float64(max(all, 1))
}

// prf returns precision, recall and F1 of one class.
func (c *confusion) prf(class string) (p, r, f float64) {
	var tp, fp, fn int
	for k, v := range c.n {
		switch {
		case k[0] == class && k[1] == class:
			tp += v
		case k[1] == class:
			fp += v
		case k[0] == class:
			fn += v
		}
	}
	if tp+fp > 0 {
		p = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		r = float64(tp) / float64(tp+fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// macroF1 averages F1 over the classes that occur in the gold labels.
func (c *confusion) macroF1() float64 {
	var sum float64
	var n int
	for _, cl := range c.classes {
		gold := 0
		for k, v := range c.n {
			if k[0] == cl {
				gold += v
			}
		}
		if gold == 0 {
			continue
		}
		_, _, f := c.prf(cl)
		sum += f
		n++
	}
	return sum / float64(max(n, 1))
}

func (c *confusion) print(w io.Writer, title string, matrix bool) {
	slices.Sort(c.classes)
	fmt.Fprintf(w, "\n== %s: accuracy %.3f, macro-F1 %.3f\n", title, c.accuracy(), c.macroF1())
	width := 8
	for _, cl := range c.classes {
		width = max(width, len(cl))
	}
	if matrix {
		fmt.Fprintf(w, "confusion (rows gold, columns predicted):\n%*s", width, "")
		for i := range c.classes {
			fmt.Fprintf(w, " %5d", i)
		}
		fmt.Fprintln(w)
		for i, g := range c.classes {
			fmt.Fprintf(w, "%*s", width, fmt.Sprintf("%d %s", i, g))
			for _, p := range c.classes {
				fmt.Fprintf(w, " %5d", c.n[[2]string{g, p}])
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "%*s %9s %6s %6s\n", width, "class", "precision", "recall", "f1")
	for _, cl := range c.classes {
		p, r, f := c.prf(cl)
		fmt.Fprintf(w, "%*s %9.3f %6.3f %6.3f\n", width, cl, p, r, f)
	}
}

func report(ctx context.Context, c classify.Classifier, data *table, w io.Writer) error {
	cat, intent, esc := newConfusion(), newConfusion(), newConfusion()
	type calib struct {
		n, correct int
		conf       float64
	}
	var bins [10]calib
	var elapsed time.Duration
	var misses []string
	for _, r := range data.rows {
		start := time.Now()
		res, err := c.Classify(ctx, classify.Request{Body: r.text})
		elapsed += time.Since(start)
		if err != nil {
			return fmt.Errorf("classifying %q: %w", r.text, err)
		}
		if data.hasCategory {
			cat.add(r.category, string(res.Category))
			b := min(int(res.Confidence*10), 9)
			bins[b].n++
			bins[b].conf += res.Confidence
			if r.category == string(res.Category) {
				bins[b].correct++
			} else if len(misses) < 15 {
				misses = append(misses, fmt.Sprintf("  %-9s -> %-9s %.2f  %s", r.category, res.Category, res.Confidence, r.text))
			}
		}
		if data.hasIntent {
			intent.add(r.intent, res.Intent)
		}
		if r.escalate != nil {
			esc.add(strconv.FormatBool(*r.escalate), strconv.FormatBool(res.Escalate))
		}
	}
	n := len(data.rows)
	fmt.Fprintf(w, "%d requests, %.1f µs per message\n", n, float64(elapsed.Microseconds())/float64(n))
	var line []string
	var ece float64
	if data.hasCategory {
		cat.print(w, "category", true)
		fmt.Fprintf(w, "\n== calibration of category confidence\n%-9s %6s %9s %9s\n", "bin", "n", "mean conf", "accuracy")
		for i, b := range bins {
			if b.n == 0 {
				continue
			}
			mc, acc := b.conf/float64(b.n), float64(b.correct)/float64(b.n)
			ece += float64(b.n) / float64(n) * abs(mc-acc)
			fmt.Fprintf(w, "%.1f-%.1f  %6d %9.3f %9.3f\n", float64(i)/10, float64(i+1)/10, b.n, mc, acc)
		}
		fmt.Fprintf(w, "expected calibration error (10 bins): %.3f\n", ece)
		if len(misses) > 0 {
			fmt.Fprintf(w, "\nfirst category errors (gold -> predicted confidence text):\n%s\n", strings.Join(misses, "\n"))
		}
		line = append(line,
			fmt.Sprintf("category_accuracy=%.3f", cat.accuracy()),
			fmt.Sprintf("category_macro_f1=%.3f", cat.macroF1()))
	}
	if data.hasIntent {
		intent.print(w, "intent", false)
		line = append(line, fmt.Sprintf("intent_accuracy=%.3f", intent.accuracy()))
	}
	if data.hasEsc {
		esc.print(w, "escalate", true)
		_, _, f := esc.prf("true")
		line = append(line, fmt.Sprintf("escalate_f1=%.3f", f))
	}
	if data.hasCategory {
		line = append(line, fmt.Sprintf("ece=%.3f", ece))
	}
	line = append(line, fmt.Sprintf("n=%d", n))
	fmt.Fprintln(w, strings.Join(line, " "))
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

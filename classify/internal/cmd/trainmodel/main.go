// Command trainmodel builds the offline classifier's default model from the
// dev set and writes it where the classify package embeds it:
//
//	go generate ./classify    (runs: go run ./internal/cmd/trainmodel)
//
// The dev set is read from ../shared/data/support-intents-dev.csv relative
// to the repository, or from the file named by ICC_DEV_DATA. The model also
// learns from the examples in extra.go and from the wording-*.csv files in
// this directory, all written for this project.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/icclabs/commandcenter/classify"
)

func main() {
	data := flag.String("data", "", "dev set CSV (default $ICC_DEV_DATA or ../../shared/data/support-intents-dev.csv from classify/)")
	out := flag.String("out", "defaultmodel/offline-v1.iccm", "model file to write")
	flag.Parse()
	if err := run(*data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "trainmodel:", err)
		os.Exit(1)
	}
}

func run(data, out string) error {
	if data == "" {
		data = os.Getenv("ICC_DEV_DATA")
	}
	if data == "" {
		data = filepath.Join("..", "..", "shared", "data", "support-intents-dev.csv")
	}
	exs, err := readExamples(data)
	if err != nil {
		return err
	}
	devRows := len(exs)
	exs = append(exs, extraExamples()...)
	// Wording files: requests written for this project by people who had
	// not seen the lexicon, used to find its gaps and then as training data.
	wording, err := filepath.Glob(filepath.Join("internal", "cmd", "trainmodel", "wording-*.csv"))
	if err != nil {
		return err
	}
	for _, p := range wording {
		more, err := readExamples(p)
		if err != nil {
			return err
		}
		exs = append(exs, more...)
	}
	start := time.Now()
	// The model file keeps rehearsal examples for training on top of it;
	// only this project's own examples may ship in it, not the dev set's.
	keep := func(i int, _ classify.Example) bool { return i >= devRows }
	m, err := classify.Train(context.Background(), exs, classify.TrainConfig{Name: "v1", Seed: 1, KeepExample: keep})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("trained on %d examples in %.1fs, wrote %s (%d bytes)\n", len(exs), time.Since(start).Seconds(), out, buf.Len())
	return nil
}

func readExamples(path string) ([]classify.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"text", "category", "intent", "escalate"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: no %s column", path, c)
		}
	}
	var exs []classify.Example
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return exs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		esc, _ := strconv.ParseBool(rec[col["escalate"]])
		exs = append(exs, classify.Example{
			Text:     rec[col["text"]],
			Category: classify.Category(rec[col["category"]]),
			Intent:   rec[col["intent"]],
			Escalate: esc,
		})
	}
}

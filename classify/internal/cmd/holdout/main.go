// Command holdout splits a labelled CSV by word, to measure how a model
// does on wording it has not seen: for each word, train-WORD.csv holds the
// rows that do not use the word and test-WORD.csv the rows that do.
//
//	go run ./classify/internal/cmd/holdout -data ../shared/data/support-intents-dev.csv -dir /tmp/holdout money password
//	go run ./examples/classifyeval -train /tmp/holdout/train-money.csv -data /tmp/holdout/test-money.csv
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

func main() {
	data := flag.String("data", "", "labelled CSV with a text column (required)")
	dir := flag.String("dir", "holdout", "directory for the split files")
	flag.Parse()
	if err := run(*data, *dir, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "holdout:", err)
		os.Exit(2)
	}
}

func run(data, dir string, words []string) error {
	if data == "" || len(words) == 0 {
		return fmt.Errorf("usage: holdout -data FILE.csv [-dir DIR] WORD...")
	}
	f, err := os.Open(data)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", data, err)
	}
	if len(recs) < 2 {
		return fmt.Errorf("%s: no rows", data)
	}
	ti := slices.Index(recs[0], "text")
	if ti < 0 {
		return fmt.Errorf("%s: no text column", data)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, w := range words {
		w = strings.ToLower(w)
		train, test := [][]string{recs[0]}, [][]string{recs[0]}
		for _, r := range recs[1:] {
			toks := strings.FieldsFunc(strings.ToLower(strings.ReplaceAll(r[ti], "'", "")), func(c rune) bool {
				return !unicode.IsLetter(c) && !unicode.IsDigit(c)
			})
			if slices.Contains(toks, w) {
				test = append(test, r)
			} else {
				train = append(train, r)
			}
		}
		for name, rows := range map[string][][]string{"train": train, "test": test} {
			p := filepath.Join(dir, name+"-"+w+".csv")
			out, err := os.Create(p)
			if err != nil {
				return err
			}
			cw := csv.NewWriter(out)
			cw.WriteAll(rows)
			if err := cw.Error(); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d training rows, %d test rows\n", w, len(train)-1, len(test)-1)
	}
	return nil
}

package classify_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/classify"
)

// exampleRemote stands in for a remote classifier such as Gemini that is
// out of quota.
type exampleRemote struct{}

func (exampleRemote) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	return classify.Result{}, fmt.Errorf("%w: quota exhausted", classify.ErrUnavailable)
}

// exampleKeywords stands in for a local classifier: it files anything that
// mentions money under billing and everything else under general, and
// counts how often it is asked.
type exampleKeywords struct{ calls int }

func (k *exampleKeywords) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	k.calls++
	r := classify.Result{
		Category:   classify.CategoryGeneral,
		Priority:   classify.PriorityLow,
		Sentiment:  classify.SentimentNeutral,
		Intent:     "ask_question",
		Confidence: 0.6,
		Model:      "keywords/v1",
	}
	text := strings.ToLower(req.Text())
	if strings.Contains(text, "invoice") || strings.Contains(text, "charged") {
		r.Category, r.Priority, r.Intent = classify.CategoryBilling, classify.PriorityMedium, "billing_question"
	}
	return r, nil
}

// A Chain tries its classifiers in order and says which one answered and
// why the earlier ones did not.
func ExampleChain() {
	chain, err := classify.NewChain(
		classify.ChainStep{Name: "gemini", Classifier: exampleRemote{}, Timeout: 3 * time.Second},
		classify.ChainStep{Name: "offline", Classifier: &exampleKeywords{}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := chain.Classify(context.Background(), classify.Request{
		Subject: "Invoice 2024-113",
		Body:    "I was charged twice this month.",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Category, res.Priority, res.Model)
	fmt.Println("fallback:", res.Fallback)
	// Output:
	// billing medium keywords/v1
	// fallback: gemini: classify: classifier unavailable: quota exhausted
}

// A Cache answers a repeated request without asking the classifier again,
// even when case and spacing differ.
func ExampleCache() {
	local := &exampleKeywords{}
	cache, err := classify.NewCache(local, 1000)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{
		"Where is my invoice?",
		"  where IS my\n invoice? ",
		"How do I add a user?",
	} {
		res, err := cache.Classify(context.Background(), classify.Request{Body: body, Channel: "email"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Category)
	}
	s := cache.Stats()
	fmt.Printf("hits=%d misses=%d classifier calls=%d\n", s.Hits, s.Misses, local.calls)
	// Output:
	// billing
	// billing
	// general
	// hits=1 misses=2 classifier calls=2
}

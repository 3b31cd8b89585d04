//go:build !race

// Training on top of the shipped model rehearses its stored examples, which
// takes about a minute under the race detector; the race detector covers
// training through the package's tests.

package classify_test

import (
	"context"
	"fmt"

	"github.com/icclabs/commandcenter/classify"
)

// A company trains on top of the shipped model with its own resolved
// tickets, here of an intent the shipped model does not know; what the
// shipped model knew is kept.
func ExampleTrain_onTopOfTheDefaultModel() {
	ctx := context.Background()
	shipped, err := classify.NewOffline(classify.OfflineConfig{})
	if err != nil {
		panic(err)
	}
	tickets := []classify.Example{
		{Text: "please rotate our api key", Category: classify.CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "our api key leaked, we need a new one", Category: classify.CategoryTechnical, Intent: "rotate_api_key"},
		{Text: "how do we regenerate the api token", Category: classify.CategoryTechnical, Intent: "rotate_api_key"},
	}
	c, err := classify.Train(ctx, tickets, classify.TrainConfig{Base: shipped, Name: "acme", Seed: 1})
	if err != nil {
		panic(err)
	}
	for _, text := range []string{"the api key leaked again, please rotate it", "where is my parcel"} {
		r, _ := c.Classify(ctx, classify.Request{Body: text})
		fmt.Println(r.Intent, r.Model)
	}
	// Output:
	// rotate_api_key offline/acme
	// track_order offline/acme
}

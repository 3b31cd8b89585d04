package classify_test

import (
	"context"
	"fmt"

	"github.com/icclabs/commandcenter/classify"
)

func ExampleOffline() {
	c, err := classify.NewOffline(classify.OfflineConfig{}) // the default model
	if err != nil {
		panic(err)
	}
	r, err := c.Classify(context.Background(), classify.Request{
		Subject: "cant get in",
		Body:    "i forgot my pasword and the reset mail never came, pls help",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Category, r.Intent, r.Escalate, r.Model)

	// An agent corrects a request the model has never seen; similar
	// requests follow the correction from then on.
	err = c.Learn(context.Background(), classify.Example{
		Text: "the barcode scanner app shows a blank screen", Category: classify.CategoryTechnical,
		Intent: "registration_problems",
	})
	if err != nil {
		panic(err)
	}
	r, _ = c.Classify(context.Background(), classify.Request{Body: "barcode scanner app: blank screen again"})
	fmt.Println(r.Category, r.Intent)
	// Output:
	// technical recover_password false offline/v1
	// technical registration_problems
}

package main

import "github.com/icclabs/commandcenter/classify"

// extraExamples are requests written for this project (not taken from the
// dev set or elsewhere) that widen the default model's wording.
func extraExamples() []classify.Example {
	return nil
}

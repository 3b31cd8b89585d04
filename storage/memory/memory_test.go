package memory_test

import (
	"testing"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
	"github.com/icclabs/commandcenter/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) icc.Backend {
			s := memory.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
	})
}

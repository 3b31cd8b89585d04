package postgres

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/storagetest"
)

// testURL returns the database of the PostgreSQL tests, or skips the test.
func testURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("ICC_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("set ICC_TEST_DATABASE_URL=postgres://... to run the PostgreSQL tests")
	}
	return url
}

// newSchema returns the name of a fresh schema for one test and drops it,
// with everything in it, when the test ends. Tests with their own schemas
// run in parallel and leave nothing behind.
func newSchema(t testing.TB) string {
	t.Helper()
	url := testURL(t)
	name := "icc_test_" + icc.NewID()[16:]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// testLogger logs warnings and errors into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openStore opens a Store on schema, closed when the test ends (before the
// schema is dropped, since cleanups run last-registered first).
func openStore(t testing.TB, schema string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{URL: testURL(t), Schema: schema, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// newStore opens a Store on a fresh schema.
func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, newSchema(t))
}

func TestConformance(t *testing.T) {
	testURL(t)
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) icc.Backend { return newStore(t) },
		Peer: func(t *testing.T, b icc.Backend) icc.Backend {
			return openStore(t, b.(*Store).schema)
		},
	})
}

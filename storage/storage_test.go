package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestOpenMemory(t *testing.T) {
	for _, u := range []string{"", "memory:", "memory://", "MEMORY://", "  memory://\n"} {
		t.Run(u, func(t *testing.T) {
			ctx := context.Background()
			b, err := Open(ctx, u)
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			require.NoError(t, b.Ping(ctx))
		})
	}
}

func TestOpenMemoryIsABackend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := Open(ctx, "memory://", WithLogger(nil), WithoutMigrations())
	require.NoError(t, err)
	defer b.Close()

	sub, err := b.Subscribe(ctx, icc.TopicTickets)
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, b.Publish(ctx, icc.Event{Topic: icc.TopicTickets, Type: "ticket.created", ID: "t1"}))
	select {
	case e := <-sub.Events():
		assert.Equal(t, "t1", e.ID)
	case <-ctx.Done():
		t.Fatal("no event from the memory bus")
	}

	ok, err := b.Acquire(ctx, "job", "me", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestOpenRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"unknown scheme", "mysql://root:hunter2@localhost/icc", `unsupported scheme "mysql"`},
		{"sqlite", "sqlite:///tmp/icc.db", `unsupported scheme "sqlite"`},
		{"no scheme", "/var/lib/icc", "has no scheme"},
		{"host and port only", "localhost:5432", `unsupported scheme "localhost"`},
		{"bad port", "postgres://app:hunter2@db:notaport/icc", "is not a valid URL"},
		{"control character", "postgres://app:hunter2@db/icc\x7f", "is not a valid URL"},
		{"bad escape", "postgres://app:hun%zzter2@db/icc", "is not a valid URL"},
		{"opaque postgres", "postgres:hunter2@db", "is not a valid PostgreSQL URL"},
		{"bad sslmode", "postgres://app:hunter2@db/icc?sslmode=sometimes", "is not a valid PostgreSQL URL"},
		{"bad postgres port", "postgres://app:hunter2@db:99999/icc", "is not a valid PostgreSQL URL"},
		{"memory with a path", "memory://hunter2/db", "a memory URL takes no host"},
		{"memory with options", "memory://?password=hunter2", "a memory URL takes no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Open(context.Background(), tt.url)
			require.Error(t, err)
			assert.Nil(t, b)
			assert.True(t, errors.Is(err, icc.ErrInvalid), "code %q", icc.ErrorCode(err))
			assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
			assert.Equal(t, "database_url", icc.ErrorField(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "hunter2", "the error repeats a secret")
			assert.NotContains(t, icc.ErrorMessage(err), "hunter2", "the message repeats a secret")
		})
	}
}

func TestOpenNamesAcceptedSchemes(t *testing.T) {
	_, err := Open(context.Background(), "redis://localhost")
	require.Error(t, err)
	for _, s := range []string{"memory://", "postgres://", "postgresql://"} {
		assert.Contains(t, icc.ErrorMessage(err), s)
	}
}

func TestOpenCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, "memory://")
	require.ErrorIs(t, err, context.Canceled)
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"memory://", "memory://"},
		{"postgres://app:hunter2@db:5432/icc?sslmode=disable", "postgres://app:xxxxx@db:5432/icc?sslmode=disable"},
		{"postgres://app@db/icc", "postgres://app@db/icc"},
		{"postgres://db/icc?password=hunter2&sslmode=disable", "postgres://db/icc?password=xxxxx&sslmode=disable"},
		{"postgres://db/icc?sslpassword=hunter2", "postgres://db/icc?sslpassword=xxxxx"},
		{"postgres://app:hunter2@db:port/icc", "(unparsable URL)"},
		{"postgres:app:hunter2@db", "postgres:xxxxx"},
	}
	for _, tt := range tests {
		got := Redact(tt.in)
		assert.Equal(t, tt.want, got, "Redact(%q)", tt.in)
		assert.NotContains(t, got, "hunter2")
	}
}

// testDatabaseURL returns the PostgreSQL URL for tests, or skips the test.
func testDatabaseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ICC_TEST_DATABASE_URL")
	if u == "" {
		t.Skip("set ICC_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/icc_test?sslmode=disable) to run the PostgreSQL tests")
	}
	return u
}

func TestOpenPostgres(t *testing.T) {
	u := testDatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	b, err := Open(ctx, u)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.Ping(ctx))

	// The same database opened again without migrations works too, since
	// the first open applied them.
	b2, err := Open(ctx, u, WithoutMigrations())
	require.NoError(t, err)
	defer b2.Close()
	require.NoError(t, b2.Ping(ctx))

	if rest, ok := strings.CutPrefix(u, "postgres://"); ok {
		b3, err := Open(ctx, "postgresql://"+rest)
		require.NoError(t, err)
		defer b3.Close()
		require.NoError(t, b3.Ping(ctx))
	}
}

func TestOpenPostgresFailureHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Port 1 on the loopback interface refuses connections.
	_, err := Open(ctx, "postgres://app:hunter2@127.0.0.1:1/icc?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(err))
	assert.NotContains(t, err.Error(), "hunter2")
	assert.NotContains(t, icc.ErrorMessage(err), "hunter2")
}

func TestPostgresErrorRedacts(t *testing.T) {
	const u = "postgres://app:s3cr%2Ft@db/icc?password=other"
	cause := errors.New("dial postgres://app:s3cr/t@db/icc (password=other): refused")
	tests := []struct {
		name     string
		in       error
		code     string
		field    string
		wantCode error
	}{
		{"plain error", cause, icc.EINTERNAL, "", nil},
		{"unavailable", icc.Unavailable(cause, "cannot reach s3cr/t"), icc.EUNAVAILABLE, "", icc.ErrUnavailable},
		{"bad URL", &icc.Error{Code: icc.EINVALID, Field: "url", Message: "bad", Err: cause}, icc.EINVALID, "database_url", icc.ErrInvalid},
		{"bad setting", icc.Invalid("schema", "bad"), icc.EINVALID, "schema", icc.ErrInvalid},
		{"wrapped", fmt.Errorf("migrate: %w", icc.Errorf(icc.ECONFLICT, "other")), icc.ECONFLICT, "", icc.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := postgresError(u, tt.in)
			assert.Equal(t, tt.code, icc.ErrorCode(err))
			assert.Equal(t, tt.field, icc.ErrorField(err))
			if tt.wantCode != nil {
				assert.ErrorIs(t, err, tt.wantCode)
			}
			for _, secret := range []string{"s3cr/t", "s3cr%2Ft", "other"} {
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, icc.ErrorMessage(err), secret)
			}
		})
	}
}

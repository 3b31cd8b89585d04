package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// Schemes accepted by Open, as shown in its error messages.
const acceptedSchemes = `"memory://", "postgres://" or "postgresql://"`

// errField is the input field named by Open's EINVALID errors: the setting
// that programs read from DATABASE_URL.
const errField = "database_url"

// Option changes how Open opens a backend.
type Option func(*options)

type options struct {
	logger  *slog.Logger
	migrate bool
}

// WithLogger sets the logger the backend reports to. Without it nothing is
// logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithoutMigrations opens a PostgreSQL backend without applying its schema
// migrations, for a database whose schema is managed separately. It has no
// effect on the memory backend.
func WithoutMigrations() Option {
	return func(o *options) { o.migrate = false }
}

// Open returns the backend that rawURL names: the in-memory backend for ""
// "memory:" or "memory://", and the PostgreSQL backend for a "postgres://"
// or "postgresql://" URL, after applying its migrations. Any other value is
// an EINVALID *icc.Error whose Field is "database_url". The caller closes
// the backend.
func Open(ctx context.Context, rawURL string, opts ...Option) (icc.Backend, error) {
	o := options{logger: slog.New(slog.DiscardHandler), migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}

	rawURL = strings.TrimSpace(rawURL)
	scheme, err := schemeOf(rawURL)
	if err != nil {
		return nil, err
	}
	switch scheme {
	case "memory":
		o.logger.DebugContext(ctx, "storage opened", "backend", "memory")
		return memory.New(), nil
	case "postgres", "postgresql":
		st, err := postgres.Open(ctx, postgres.Config{
			URL:         rawURL,
			Logger:      o.logger,
			SkipMigrate: !o.migrate,
		})
		if err != nil {
			return nil, postgresError(rawURL, err)
		}
		o.logger.DebugContext(ctx, "storage opened", "backend", "postgres",
			"url", Redact(rawURL), "migrations", o.migrate)
		return st, nil
	default:
		return nil, icc.Invalid(errField, "unsupported scheme %q: use %s", scheme, acceptedSchemes)
	}
}

// schemeOf returns the lower-case scheme of a database URL, "memory" for
// the empty string, or an EINVALID error. It never puts the URL itself in
// an error, since the URL may hold a password.
func schemeOf(rawURL string) (string, error) {
	if rawURL == "" {
		return "memory", nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error repeats the whole URL, password included, so
		// only a fixed message is returned.
		return "", icc.Invalid(errField, "is not a valid URL: use %s", acceptedSchemes)
	}
	switch {
	case u.Scheme == "":
		return "", icc.Invalid(errField, "has no scheme: use %s", acceptedSchemes)
	case u.Scheme == "memory":
		if u.User != nil || u.Host != "" || u.Path != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
			return "", icc.Invalid(errField, `a memory URL takes no host, path or options: use "memory://"`)
		}
	case u.Scheme == "postgres" || u.Scheme == "postgresql":
		if u.Opaque != "" {
			return "", icc.Invalid(errField, `is not a valid PostgreSQL URL: use "postgres://user:password@host:5432/dbname"`)
		}
	}
	return u.Scheme, nil
}

// postgresError wraps an error from postgres.Open so that no secret of the
// URL appears in its message, not even through icc.ErrorMessage. A URL the
// driver rejects becomes an EINVALID error for the database_url field; any
// other *icc.Error keeps its code.
func postgresError(rawURL string, err error) error {
	secrets := secretsOf(rawURL)
	hide := func(err error) error {
		if err == nil {
			return nil
		}
		return &redactedError{err: err, secrets: secrets}
	}
	var ie *icc.Error
	if !errors.As(err, &ie) {
		return hide(fmt.Errorf("postgres: %w", err))
	}
	// The cause under the new *icc.Error: the original's own cause, or the
	// whole error when it wraps the *icc.Error in more context.
	cause := err
	if ie == err {
		cause = ie.Err
	}
	if ie.Code == icc.EINVALID && ie.Field == "url" {
		return &icc.Error{Code: icc.EINVALID, Field: errField, Message: "is not a valid PostgreSQL URL", Err: hide(cause)}
	}
	return &icc.Error{Code: ie.Code, Field: ie.Field, Message: redact(ie.Message, secrets), Err: hide(cause)}
}

// Redact returns rawURL with its password, and the value of any query
// parameter whose name contains "password", replaced by "xxxxx", so that it
// can be logged or shown. A value that does not parse as a URL is replaced
// as a whole, since any part of it may be secret.
func Redact(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return "(unparsable URL)"
	}
	if u.Opaque != "" {
		return u.Scheme + ":xxxxx"
	}
	if len(secretsOf(rawURL)) == 0 {
		return strings.TrimSpace(rawURL)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if isSecretParam(k) {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func isSecretParam(name string) bool {
	return strings.Contains(strings.ToLower(name), "password")
}

// secretsOf returns the secrets a URL holds, in the forms they may take
// in a message: its password and the values of password parameters.
func secretsOf(rawURL string) []string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil
	}
	var s []string
	add := func(v string) {
		if v != "" {
			s = append(s, v, url.QueryEscape(v), url.PathEscape(v))
		}
	}
	if p, ok := u.User.Password(); ok {
		add(p)
	}
	for k, vs := range u.Query() {
		if isSecretParam(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	return s
}

// redactedError hides secrets in the message of an error it wraps, in case
// a driver repeats the URL it was given. errors.Is and errors.As still see
// the wrapped error.
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string { return redact(e.err.Error(), e.secrets) }

// redact replaces every secret in msg.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }

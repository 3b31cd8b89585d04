package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/icclabs/commandcenter/icc"
)

// Config configures Open. The zero value of every field but URL is a sensible
// default.
type Config struct {
	// URL is the PostgreSQL connection string, e.g.
	// "postgres://user:pass@host:5432/db?sslmode=disable". Required.
	URL string
	// Logger receives the store's logs (listener reconnects, dropped
	// notifications). Nil discards them.
	Logger *slog.Logger
	// MaxOpenConns bounds the connection pool; default 4 × GOMAXPROCS, at
	// least 10. The bus listener uses one more connection outside the pool.
	MaxOpenConns int
	// MaxIdleConns is how many idle connections the pool keeps; default
	// MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime closes pooled connections after this long; default 30
	// minutes.
	ConnMaxLifetime time.Duration
	// Schema, when set, is the schema that holds every table: it is created
	// when missing and becomes the search_path of every connection. Several
	// stores can share one database with different schemas; the bus channel
	// is derived from it so that they do not hear each other.
	Schema string
	// SkipMigrate leaves the schema as it is on Open; call Migrate to apply
	// the embedded migrations.
	SkipMigrate bool
}

// Store is the PostgreSQL backend: every icc store, the event bus, the
// leaser and the rate limiter, sharing one connection pool. It is safe for concurrent use.
type Store struct {
	db      *bun.DB
	log     *slog.Logger
	connCfg *pgx.ConnConfig // for the listener's own connection
	schema  string
	channel string // NOTIFY channel of the bus
	origin  string // identifies this Store on the bus

	bus *bus
	// rateSweepAt is when (Unix nanoseconds) this Store next deletes
	// expired rate limits (sweepRates).
	rateSweepAt atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// Static checks that *Store implements every interface of a backend.
var _ icc.Backend = (*Store)(nil)

var schemaRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to PostgreSQL, applies the embedded migrations unless
// cfg.SkipMigrate is set, and starts the event bus. An invalid
// configuration is an EINVALID error; a database that cannot be reached is
// EUNAVAILABLE.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, icc.Invalid("url", "postgres: the database URL is required")
	}
	connCfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		// pgconn redacts passwords from its parse errors.
		return nil, &icc.Error{Code: icc.EINVALID, Field: "url", Message: "postgres: invalid database URL", Err: err}
	}
	if cfg.Schema != "" && !schemaRE.MatchString(cfg.Schema) {
		return nil, icc.Invalid("schema", "postgres: schema %q must be a lower-case SQL identifier of at most 63 characters", cfg.Schema)
	}
	if cfg.MaxOpenConns < 0 || cfg.MaxIdleConns < 0 || cfg.ConnMaxLifetime < 0 {
		return nil, icc.Invalid("max_open_conns", "postgres: pool settings must not be negative")
	}
	if cfg.MaxOpenConns == 0 {
		cfg.MaxOpenConns = max(10, 4*runtime.GOMAXPROCS(0))
	}
	if cfg.MaxIdleConns == 0 || cfg.MaxIdleConns > cfg.MaxOpenConns {
		cfg.MaxIdleConns = cfg.MaxOpenConns
	}
	if cfg.ConnMaxLifetime == 0 {
		cfg.ConnMaxLifetime = 30 * time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// bun formats every value into the SQL text itself, so queries reach the
	// driver without arguments. The simple protocol then runs each in one
	// round trip; pgx's default would prepare (and cache) every distinct text.
	connCfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if connCfg.RuntimeParams == nil {
		connCfg.RuntimeParams = map[string]string{}
	}
	if _, ok := connCfg.RuntimeParams["application_name"]; !ok {
		connCfg.RuntimeParams["application_name"] = "icc"
	}
	connCfg.RuntimeParams["timezone"] = "UTC"
	connCfg.OnNotice = noticeLogger(log)

	if err := prepareSchema(ctx, connCfg, cfg.Schema); err != nil {
		return nil, err
	}
	if cfg.Schema != "" {
		connCfg.RuntimeParams["search_path"] = cfg.Schema
	}

	// Driver: pgx's database/sql adapter under bun with pgdialect. pgx is
	// actively maintained, parses and validates connection strings and pool
	// settings well, and gives a native connection for LISTEN and
	// WaitForNotification (the bus) and COPY; bun's own pgdriver is in
	// maintenance mode.
	sqldb := stdlib.OpenDB(*connCfg)
	sqldb.SetMaxOpenConns(cfg.MaxOpenConns)
	sqldb.SetMaxIdleConns(cfg.MaxIdleConns)
	sqldb.SetConnMaxLifetime(cfg.ConnMaxLifetime)

	s := &Store{
		db:      bun.NewDB(sqldb, pgdialect.New()),
		log:     log,
		connCfg: connCfg,
		schema:  cfg.Schema,
		channel: channelName(cfg.Schema),
		origin:  icc.NewID(),
	}
	if !cfg.SkipMigrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.db.Close()
			return nil, err
		}
	}
	b, err := startBus(ctx, s)
	if err != nil {
		_ = s.db.Close()
		return nil, err
	}
	s.bus = b
	return s, nil
}

// prepareSchema checks that the database can be reached and creates schema
// when it is set and missing.
func prepareSchema(ctx context.Context, connCfg *pgx.ConnConfig, schema string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, connCfg)
	if err != nil {
		return icc.Unavailable(err, "postgres: cannot connect to the database")
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if schema == "" {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	var pgErr *pgconn.PgError
	// Two sessions creating the same schema at once: one of them sees a
	// unique violation on the catalog, which means the schema now exists.
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42P06") {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("postgres: create schema %s: %w", schema, err)
	}
	return nil
}

// channelName is the NOTIFY channel of a schema. Channels are database-wide,
// so stores in different schemas use different channels; a channel name is
// at most 63 bytes.
func channelName(schema string) string {
	if schema == "" {
		return "icc_events"
	}
	name := "icc_events_" + schema
	if len(name) > 63 {
		h := fnv.New64a()
		h.Write([]byte(schema))
		name = fmt.Sprintf("icc_events_%x", h.Sum64())
	}
	return name
}

// Ping reports whether the database can be reached.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return icc.Unavailable(err, "postgres: database unreachable")
	}
	return nil
}

// Close stops the bus (ending every subscription and flushing events not yet
// sent), waits for its goroutines and closes the connection pool.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.bus != nil {
			s.bus.close()
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// DB returns the underlying bun database, for tools and tests that need
// plain SQL. Most code should use the icc interfaces.
func (s *Store) DB() *bun.DB { return s.db }

// SQLDB returns the connection pool under DB as a plain *sql.DB, for
// libraries that take one, such as a session store sharing the database.
func (s *Store) SQLDB() *sql.DB { return s.db.DB }

// dbErr converts a database error to an *icc.Error: unique violations become
// ECONFLICT, foreign key violations ENOTFOUND, connection failures
// EUNAVAILABLE; anything else is wrapped as is (EINTERNAL).
func dbErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ie *icc.Error
	if errors.As(err, &ie) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return &icc.Error{Code: icc.ECONFLICT, Message: what + ": already exists", Err: err}
		case "23503":
			return &icc.Error{Code: icc.ENOTFOUND, Message: what + ": a referenced record does not exist", Err: err}
		case "40001", "40P01":
			return &icc.Error{Code: icc.ECONFLICT, Message: what + ": concurrent update, try again", Err: err}
		case "57P01", "57P02", "57P03", "53300":
			return icc.Unavailable(err, "%s: database unavailable", what)
		}
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, sql.ErrConnDone) || isConnErr(err) || isPoolClosed(err) {
		return icc.Unavailable(err, "%s: database unavailable", what)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// isPoolClosed reports whether err is database/sql's error for a call on a
// closed pool, which the package does not export: the store has been
// closed, so the database is unavailable to this caller.
func isPoolClosed(err error) bool {
	return strings.Contains(err.Error(), "sql: database is closed")
}

func isConnErr(err error) bool {
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr)
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
}

// noticeLogger logs the notices the database sends: a RAISE NOTICE of
// this package's SQL (a migration saying which integrations it renamed) at
// info level, warnings at warn level, and routine notices, such as those
// of IF NOT EXISTS statements, at debug level only.
func noticeLogger(log *slog.Logger) pgconn.NoticeHandler {
	return func(_ *pgconn.PgConn, n *pgconn.Notice) {
		lvl := slog.LevelDebug
		switch {
		case n.Severity == "WARNING":
			lvl = slog.LevelWarn
		case n.Code == "00000": // RAISE NOTICE without an error code
			lvl = slog.LevelInfo
		}
		log.Log(context.Background(), lvl, "postgres: "+strings.ToLower(n.Severity), "message", n.Message, "code", n.Code)
	}
}

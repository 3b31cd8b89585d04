// Package postgres is the PostgreSQL backend of the Integration Command
// Center: one *Store implements every icc store interface, the event bus
// (icc.Bus), the leaser (icc.Leaser) and the rate limiter
// (icc.RateLimiter) on a single connection pool, and passes the
// conformance suite in storage/storagetest.
//
// # Driver
//
// Queries are built with github.com/uptrace/bun and its pgdialect, over
// pgx's database/sql adapter (github.com/jackc/pgx/v5/stdlib). pgx is
// actively maintained, parses connection strings and pool settings well and
// gives native connections for LISTEN/WaitForNotification and COPY; bun's
// own pgdriver is in maintenance mode. bun models are private to this
// package and converted to and from icc types at the edge.
//
// # Migrations
//
// Schema changes are versioned SQL files embedded in the binary
// (migrations/*.sql) and applied with bun's migrate package by Open, unless
// Config.SkipMigrate is set, or by Store.Migrate. Several processes may start
// at once: a PostgreSQL advisory lock, held on a dedicated connection,
// serialises them. Config.Schema puts every table into one schema (created
// when missing), so that several stores, or parallel tests, can share one
// database. Text search uses trigram indexes when the pg_trgm extension can
// be installed, and plain scans otherwise, with the same results.
//
// # Semantics
//
// Lists use keyset pagination on (time, id), so rows inserted between pages
// are never repeated and existing rows are never skipped. Updates are
// optimistic (UPDATE … WHERE version = $v). AssignTicket locks the agent and
// then the ticket row, so an agent never exceeds its capacity and a ticket is
// never assigned twice. AppendMessages is a group commit: a batch of messages
// for many conversations is one transaction of three statements, with
// gap-free sequence numbers per conversation and idempotent client ids.
//
// # Bus
//
// Events travel with LISTEN/NOTIFY on a channel named after the schema.
// Publish never touches the database in the caller's goroutine: local
// subscribers receive the event at once, and a flusher sends what was
// published in the last few milliseconds to the other processes with one
// statement (one notifying commit), keeping only the newest event of each
// topic, type and id. A listener goroutine owns one connection outside the
// pool, reconnects with backoff when it breaks (then every subscription's
// Dropped count grows by one: events published meanwhile are lost, and its
// owner catches up from the store) and ignores the echo of its own Store's
// events. Close stops both goroutines and waits for them.
//
// # Leases
//
// Acquire is one upsert on the leases table that takes a lease when it is
// free, expired or already held by the same holder, judged by the database
// clock, so that one process of a cluster runs each job at a time.
//
// # Rate limits
//
// The rate_limits table (migration 00008) keeps, per key, the times of its
// last events (at most the limit) and when the row may go; keys are stored
// as their SHA-256, so any length fits. HitRate and AddRate are one
// transaction: an upsert that creates or locks the key's row and returns
// its events with the database clock, the sliding-window arithmetic shared
// with the memory backend, and an UPDATE; the row lock makes concurrent
// calls from every process count together, never past the limit. CheckRate
// is one SELECT. Each Store deletes expired rows at most once a minute, a
// bounded batch through the index on expires_at.
package postgres

// Package storage opens the storage backend a database URL names.
//
// A backend is an icc.Backend: every icc store, the event bus, the leaser
// and the rate limiter, sharing one set of resources. Open chooses the
// implementation by the URL's scheme:
//
//	""  "memory:"  "memory://"          storage/memory: in-process, nothing kept
//	"postgres://user:pass@host/db"      storage/postgres: PostgreSQL, shared by
//	"postgresql://..."                  every process that uses the same database
//
// Programs that take a DATABASE_URL pass it straight to Open and get the
// in-memory backend when it is empty. The PostgreSQL backend applies its
// embedded schema migrations on open unless WithoutMigrations is given.
//
// Errors from Open and messages logged by it never contain the password of
// a URL; Redact gives the same protection to a program's own log lines.
// Programs that need a specific backend's own options may call
// memory.New or postgres.Open directly.
package storage

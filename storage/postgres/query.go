package postgres

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/icclabs/commandcenter/icc"
)

// keyset restricts q to the rows after cursor c in the order (timeCol, id),
// ascending or descending, orders it so and fetches one row more than limit
// so that the caller knows whether a next page exists. Because the position
// is a key and not an offset, rows inserted meanwhile are never repeated and
// rows that existed are never skipped.
func keyset(q *bun.SelectQuery, timeCol string, desc bool, c icc.Cursor, limit int) *bun.SelectQuery {
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if c.ID != "" {
		q = q.Where("(?, id) "+op+" (?, ?)", bun.Ident(timeCol), c.Time, c.ID)
	}
	return q.OrderExpr("? "+dir+", id "+dir, bun.Ident(timeCol)).Limit(int64(limit) + 1)
}

// page converts the rows of a keyset query to a page of at most limit items.
func page[M, T any](rows []M, limit int, conv func(*M) T, key func(*M) (time.Time, string)) icc.Page[T] {
	p := icc.Page[T]{Items: make([]T, 0, min(len(rows), limit))}
	for i := range rows {
		if i == limit {
			t, id := key(&rows[i-1])
			p.Next = icc.Cursor{Time: icc.Timestamp(t), ID: id}.Encode()
			break
		}
		p.Items = append(p.Items, conv(&rows[i]))
	}
	return p
}

// matchTerms keeps the rows whose text contains every term of query as a
// case-insensitive substring (see icc.MatchTerms). expr concatenates the
// searchable columns with newlines, which no term contains, so a term
// matches the concatenation exactly when it matches one column; expr is
// lower-cased as in the trigram indexes of migration 00002, which these
// LIKE conditions can use.
func matchTerms(q *bun.SelectQuery, expr, query string) *bun.SelectQuery {
	for _, term := range icc.Terms(query) {
		q = q.Where("lower("+expr+") LIKE lower(?)", "%"+escapeLike(term)+"%")
	}
	return q
}

// escapeLike escapes LIKE's wildcards and its escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Searchable text of each table, matching the indexes of migration 00002.
const (
	ticketSearchExpr   = `subject || E'\n' || body`
	customerSearchExpr = `email || E'\n' || name || E'\n' || account`
	logSearchExpr      = `method || E'\n' || endpoint || E'\n' || url || E'\n' || error || E'\n' || message`
)

// notFound maps sql.ErrNoRows to ENOTFOUND for the given kind and id.
func notFound(err error, kind, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return icc.NotFound(kind, id)
	}
	return dbErr(err, "get "+kind)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// now is the time stamped on new and updated records.
func now() time.Time { return icc.Timestamp(time.Now()) }

package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Acquire takes the lease name for holder for ttl when it is free, expired,
// or already held by holder (which renews it), with one upsert judged by the
// database clock, so that the processes' clocks do not matter. It reports
// whether holder now has the lease.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := validateLease(name, holder); err != nil {
		return false, err
	}
	if ttl < time.Microsecond {
		return false, icc.Invalid("ttl", "must be positive")
	}
	var got []string
	err := s.db.NewRaw(`INSERT INTO leases AS l (name, holder, expires_at)
VALUES (?, ?, clock_timestamp() + ? * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
RETURNING holder`, name, holder, ttl.Microseconds()).Scan(ctx, &got)
	if err != nil {
		return false, dbErr(err, "acquire lease")
	}
	return len(got) == 1, nil
}

// Release gives up holder's lease on name; releasing a lease one does not
// hold is not an error.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	if err := validateLease(name, holder); err != nil {
		return err
	}
	_, err := s.db.NewDelete().Table("leases").Where("name = ?", name).Where("holder = ?", holder).Exec(ctx)
	return dbErr(err, "release lease")
}

func validateLease(name, holder string) error {
	if strings.TrimSpace(name) == "" {
		return icc.Invalid("name", "is required")
	}
	if strings.TrimSpace(holder) == "" {
		return icc.Invalid("holder", "is required")
	}
	return nil
}

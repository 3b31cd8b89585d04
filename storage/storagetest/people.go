package storagetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) customers(t *testing.T) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := &icc.Customer{Email: "Ann.Lee@Example.com", Name: "Ann Lee", Tier: "pro", Account: "Acme GmbH"}
		require.NoError(t, st.CreateCustomer(ctx(t), c))
		require.NotEmpty(t, c.ID)
		requireStamped(t, c.CreatedAt, "created_at")
		requireStamped(t, c.UpdatedAt, "updated_at")

		got, err := st.GetCustomer(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c.ID, got.ID)
		assert.Equal(t, icc.NormalizeEmail(c.Email), icc.NormalizeEmail(got.Email))
		assert.Equal(t, "Ann Lee", got.Name)
		assert.Equal(t, "pro", got.Tier)
		assert.Equal(t, "Acme GmbH", got.Account)
		assert.Equal(t, c.CreatedAt, got.CreatedAt)
		assert.Equal(t, c.UpdatedAt, got.UpdatedAt)

		for _, email := range []string{"ann.lee@example.com", "ANN.LEE@EXAMPLE.COM", " Ann.Lee@Example.com "} {
			got, err = st.GetCustomerByEmail(ctx(t), email)
			require.NoError(t, err, email)
			assert.Equal(t, c.ID, got.ID, email)
		}
		_, err = st.GetCustomerByEmail(ctx(t), "nobody@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetCustomer(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		err := st.CreateCustomer(ctx(t), &icc.Customer{Email: "not an email"})
		requireCode(t, err, icc.EINVALID, "email")
		err = st.CreateCustomer(ctx(t), &icc.Customer{})
		requireCode(t, err, icc.EINVALID, "email")
		// Text that PostgreSQL cannot hold (a NUL byte, invalid UTF-8) is
		// EINVALID naming the field in every backend.
		for _, bad := range []string{"a\x00b", "\x00", "a\xffb"} {
			err = st.CreateCustomer(ctx(t), &icc.Customer{Email: "nul@example.com", Name: bad})
			requireCode(t, err, icc.EINVALID, "name", fmt.Sprintf("%q", bad))
			err = st.CreateCustomer(ctx(t), &icc.Customer{Email: "nul@example.com", Account: bad})
			requireCode(t, err, icc.EINVALID, "account", fmt.Sprintf("%q", bad))
			err = st.CreateCustomer(ctx(t), &icc.Customer{Email: "nul@example.com", Tier: bad})
			requireCode(t, err, icc.EINVALID, "tier", fmt.Sprintf("%q", bad))
			_, err = st.ListCustomers(ctx(t), icc.CustomerFilter{Text: bad})
			requireCode(t, err, icc.EINVALID, "text", fmt.Sprintf("%q", bad))
			_, err = st.ListCustomers(ctx(t), icc.CustomerFilter{Tier: bad})
			requireCode(t, err, icc.EINVALID, "tier", fmt.Sprintf("%q", bad))
		}
		page, err := st.ListCustomers(ctx(t), icc.CustomerFilter{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
		c := newCustomer(t, st)
		bad := *c
		bad.Name = "a\x00b"
		requireCode(t, st.UpdateCustomer(ctx(t), &bad), icc.EINVALID, "name")
		got, err := st.GetCustomer(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c.Name, got.Name)
		// No record has such an id or email: looking one up is ENOTFOUND.
		_, err = st.GetCustomer(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetCustomerByEmail(ctx(t), "a\x00b@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetCustomerByEmail(ctx(t), "a\xffb@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("UniqueEmail", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		newCustomer(t, st, func(c *icc.Customer) { c.Email = "Dup@Example.com" })
		err := st.CreateCustomer(ctx(t), &icc.Customer{Email: "dup@example.com"})
		requireCode(t, err, icc.ECONFLICT, "email")
		require.Equal(t, "the email dup@example.com is taken by another customer", icc.ErrorMessage(err))

		b := newCustomer(t, st)
		b.Email = "DUP@example.com"
		requireCode(t, st.UpdateCustomer(ctx(t), b), icc.ECONFLICT, "email")
		got, err := st.GetCustomer(ctx(t), b.ID)
		require.NoError(t, err)
		assert.NotEqual(t, "dup@example.com", icc.NormalizeEmail(got.Email))

		// Concurrent creates with one email: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				errs[i] = st.CreateCustomer(ctx(t), &icc.Customer{Email: "Race@example.com"})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				requireCode(t, err, icc.ECONFLICT, "")
			}
		}
		assert.Equal(t, 1, won)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newCustomer(t, st, func(c *icc.Customer) { c.Email = "old@example.com"; c.Tier = "free" })
		created := c.CreatedAt
		c.Email = "new@example.com"
		c.Name = "Renamed"
		c.Tier = "enterprise"
		c.Account = "Initech"
		require.NoError(t, st.UpdateCustomer(ctx(t), c))

		got, err := st.GetCustomer(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, "new@example.com", icc.NormalizeEmail(got.Email))
		assert.Equal(t, "Renamed", got.Name)
		assert.Equal(t, "enterprise", got.Tier)
		assert.Equal(t, "Initech", got.Account)
		assert.Equal(t, created, got.CreatedAt)
		assert.False(t, got.UpdatedAt.Before(created))

		_, err = st.GetCustomerByEmail(ctx(t), "old@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
		got, err = st.GetCustomerByEmail(ctx(t), "NEW@example.com")
		require.NoError(t, err)
		assert.Equal(t, c.ID, got.ID)
		// The freed email can be taken again.
		newCustomer(t, st, func(c *icc.Customer) { c.Email = "old@example.com" })

		bad := *got
		bad.Email = "broken"
		requireCode(t, st.UpdateCustomer(ctx(t), &bad), icc.EINVALID, "email")
		missing := icc.Customer{ID: icc.NewID(), Email: "ghost@example.com"}
		requireCode(t, st.UpdateCustomer(ctx(t), &missing), icc.ENOTFOUND, "")
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		var all []*icc.Customer
		for i, spec := range []struct{ tier, name, account string }{
			{"free", "Zoe Quinn", "Umbrella"},
			{"pro", "Max Power", "Acme 100%"},
			{"pro", "Ann Acme", "Globex"},
			{"enterprise", "Bob_Builder", "Acme"},
		} {
			all = append(all, newCustomer(t, st, func(c *icc.Customer) {
				c.Tier, c.Name, c.Account, c.CreatedAt = spec.tier, spec.name, spec.account, at(i)
			}))
		}
		list := func(f icc.CustomerFilter) []string {
			t.Helper()
			page, err := st.ListCustomers(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, customerID)
		}
		// Newest first.
		assert.Equal(t, ids(reversed(all), customerID), list(icc.CustomerFilter{}))
		assert.Equal(t, []string{all[2].ID, all[1].ID}, list(icc.CustomerFilter{Tier: "pro"}))
		assert.Equal(t, []string{all[3].ID, all[2].ID, all[1].ID}, list(icc.CustomerFilter{Text: "ACME"}))
		assert.Equal(t, []string{all[2].ID}, list(icc.CustomerFilter{Text: "acme ann"}))
		assert.Equal(t, []string{all[2].ID}, list(icc.CustomerFilter{Text: "acme", Tier: "pro", Limit: 1}))
		assert.Equal(t, []string{all[1].ID}, list(icc.CustomerFilter{Text: "100%"}))
		assert.Empty(t, list(icc.CustomerFilter{Text: "10%"}))
		assert.Equal(t, []string{all[3].ID}, list(icc.CustomerFilter{Text: "b_b"}))
		assert.Empty(t, list(icc.CustomerFilter{Text: "x_b"}))
		// The email is searched too.
		assert.Equal(t, []string{all[0].ID}, list(icc.CustomerFilter{Text: all[0].Email[:10]}))
	})
}

func (s *suite) agents(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a := &icc.Agent{Email: "Kim@Example.com", Name: "Kim", PasswordHash: "$2a$10$hash"}
		require.NoError(t, st.CreateAgent(ctx(t), a))
		require.NotEmpty(t, a.ID)
		assert.Equal(t, icc.RoleAgent, a.Role)
		assert.Equal(t, icc.AvailabilityOffline, a.Availability)
		assert.Equal(t, 5, a.Capacity)
		assert.NotNil(t, a.Skills)
		assert.Equal(t, int64(1), a.Version)
		requireStamped(t, a.CreatedAt, "created_at")
		requireStamped(t, a.UpdatedAt, "updated_at")

		got, err := st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		assert.Equal(t, "Kim", got.Name)
		assert.Equal(t, "$2a$10$hash", got.PasswordHash)
		assert.Equal(t, icc.RoleAgent, got.Role)
		assert.Equal(t, icc.AvailabilityOffline, got.Availability)
		assert.Equal(t, 5, got.Capacity)
		assert.Equal(t, []string{}, got.Skills)
		assert.Equal(t, int64(1), got.Version)
		assert.Equal(t, a.CreatedAt, got.CreatedAt)

		got, err = st.GetAgentByEmail(ctx(t), "kim@EXAMPLE.com")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		_, err = st.GetAgentByEmail(ctx(t), "nobody@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetAgent(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a := &icc.Agent{Email: "full@example.com", Name: "Full", Role: icc.RoleAdmin, PasswordHash: "h",
			Skills: []string{"billing", "de"}, Capacity: 7, Availability: icc.AvailabilityAway}
		require.NoError(t, st.CreateAgent(ctx(t), a))
		got, err := st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@example.com"}), icc.EINVALID, "name")
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@example.com", Name: "X", Role: "boss"}), icc.EINVALID, "role")
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@example.com", Name: "X", Capacity: -1}), icc.EINVALID, "capacity")
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@", Name: "X"}), icc.EINVALID, "email")
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@example.com", Name: "a\x00b"}), icc.EINVALID, "name")
		requireCode(t, st.CreateAgent(ctx(t), &icc.Agent{Email: "x@example.com", Name: "X", Skills: []string{"a\x00b"}}), icc.EINVALID, "skills")
		_, err := st.ListAgents(ctx(t), icc.AgentFilter{Skill: "a\x00b"})
		requireCode(t, err, icc.EINVALID, "skill")
		_, err = st.GetAgent(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetAgentByEmail(ctx(t), "a\x00b@example.com")
		requireCode(t, err, icc.ENOTFOUND, "")
		a := newAgent(t, st)
		a.Availability = "sleeping"
		requireCode(t, st.UpdateAgent(ctx(t), a), icc.EINVALID, "availability")
	})

	t.Run("UniqueEmail", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		newAgent(t, st, func(a *icc.Agent) { a.Email = "Same@Example.com" })
		err := st.CreateAgent(ctx(t), &icc.Agent{Email: "same@example.com", Name: "Two"})
		requireCode(t, err, icc.ECONFLICT, "email")
		require.Equal(t, "the email same@example.com is taken by another agent", icc.ErrorMessage(err))
		b := newAgent(t, st)
		b.Email = "SAME@example.com"
		requireCode(t, st.UpdateAgent(ctx(t), b), icc.ECONFLICT, "email")
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a := newAgent(t, st)
		stale := *a
		a.Name = "Renamed"
		a.Skills = []string{"tech"}
		a.Availability = icc.AvailabilityOnline
		a.Capacity = 3
		require.NoError(t, st.UpdateAgent(ctx(t), a))
		assert.Equal(t, int64(2), a.Version)
		requireStamped(t, a.UpdatedAt, "updated_at")

		got, err := st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Renamed", got.Name)
		assert.Equal(t, []string{"tech"}, got.Skills)
		assert.Equal(t, icc.AvailabilityOnline, got.Availability)
		assert.Equal(t, 3, got.Capacity)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, stale.CreatedAt, got.CreatedAt)

		stale.Name = "Stale"
		requireCode(t, st.UpdateAgent(ctx(t), &stale), icc.ECONFLICT, "")
		got, err = st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, "Renamed", got.Name)
		assert.Equal(t, int64(2), got.Version)

		missing := icc.Agent{ID: icc.NewID(), Email: "ghost@example.com", Name: "Ghost", Version: 1}
		requireCode(t, st.UpdateAgent(ctx(t), &missing), icc.ENOTFOUND, "")
	})

	t.Run("ConcurrentUpdate", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a := newAgent(t, st)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				v := *a
				v.Skills = []string{"s"}
				v.Capacity = i + 1
				errs[i] = st.UpdateAgent(ctx(t), &v)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				requireCode(t, err, icc.ECONFLICT, "")
			}
		}
		assert.Equal(t, 1, won)
		got, err := st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(2), got.Version)
	})

	t.Run("Copies", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a := newAgent(t, st, func(a *icc.Agent) { a.Skills = []string{"billing", "de"} })
		a.Skills[0] = "mutated"
		got, err := st.GetAgent(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{"billing", "de"}, got.Skills)
		got.Skills[1] = "mutated"
		page, err := st.ListAgents(ctx(t), icc.AgentFilter{})
		require.NoError(t, err)
		require.Len(t, page.Items, 1)
		assert.Equal(t, []string{"billing", "de"}, page.Items[0].Skills)
		page.Items[0].Skills[0] = "mutated"
		got, err = st.GetAgentByEmail(ctx(t), a.Email)
		require.NoError(t, err)
		assert.Equal(t, []string{"billing", "de"}, got.Skills)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		var all []*icc.Agent
		for i, spec := range []struct {
			role   icc.Role
			avail  icc.Availability
			skills []string
		}{
			{icc.RoleAgent, icc.AvailabilityOnline, []string{"billing", "de"}},
			{icc.RoleAdmin, icc.AvailabilityOnline, []string{"tech"}},
			{icc.RoleAgent, icc.AvailabilityAway, []string{"billing"}},
			{icc.RoleAgent, icc.AvailabilityOffline, nil},
		} {
			all = append(all, newAgent(t, st, func(a *icc.Agent) {
				a.Role, a.Availability, a.Skills, a.CreatedAt = spec.role, spec.avail, spec.skills, at(i)
			}))
		}
		list := func(f icc.AgentFilter) []string {
			t.Helper()
			page, err := st.ListAgents(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, agentID)
		}
		// Oldest first.
		assert.Equal(t, ids(all, agentID), list(icc.AgentFilter{}))
		assert.Equal(t, []string{all[1].ID}, list(icc.AgentFilter{Role: icc.RoleAdmin}))
		assert.Equal(t, []string{all[0].ID, all[1].ID}, list(icc.AgentFilter{Availability: icc.AvailabilityOnline}))
		assert.Equal(t, []string{all[0].ID, all[2].ID}, list(icc.AgentFilter{Skill: "billing"}))
		assert.Equal(t, []string{all[0].ID}, list(icc.AgentFilter{Skill: "billing", Availability: icc.AvailabilityOnline, Role: icc.RoleAgent}))
		assert.Empty(t, list(icc.AgentFilter{Skill: "bill"}))
	})
}

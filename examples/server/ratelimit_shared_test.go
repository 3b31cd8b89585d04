package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// TestRateLimitsSharedByInstances: two servers on one backend count the
// documented limits together, as instances behind a load balancer do:
// failed sign-ins split across them are refused on the sixth, per email
// and per IP, and so are public tickets past ten. On PostgreSQL the two
// servers have their own connection pools, like two processes.
func TestRateLimitsSharedByInstances(t *testing.T) {
	for _, bk := range sharedStores("icc_server_ratelimit_") {
		t.Run(bk.name, func(t *testing.T) {
			// two returns two servers on one fresh store, with an admin and
			// an agent.
			two := func(t *testing.T) (*deskEnv, *deskEnv) {
				b1, b2 := bk.open(t)
				e1 := newDeskEnvOn(t, b1, deskOptions{Classifier: keywordClassifier{}})
				t.Cleanup(func() { runShutdownHooks(t, e1.s) })
				e2 := newDeskEnvOn(t, b2, deskOptions{Classifier: keywordClassifier{}})
				t.Cleanup(func() { runShutdownHooks(t, e2.s) })
				e1.admin = e1.createAgent("admin@test.example", testAdminPassword, icc.RoleAdmin, []string{"technical"}, 10)
				e1.agent = e1.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, []string{"technical"}, 10)
				e2.admin, e2.agent = e1.admin, e1.agent
				return e1, e2
			}
			login := func(c *client, email, password string) *http.Response {
				return c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": password}).Result()
			}

			t.Run("PerEmail", func(t *testing.T) {
				e1, e2 := two(t)
				for i := range loginFailures {
					e := []*deskEnv{e1, e2}[i%2]
					c := e.anon()
					c.remote = "198.51.100." + strconv.Itoa(i+1) + ":999" // a new IP each time
					require.Equal(t, http.StatusUnauthorized, login(c, e.agent.Email, "wrong-password").StatusCode, "failure %d", i+1)
				}
				for _, e := range []*deskEnv{e1, e2} {
					w := e.anon().do("POST", "/api/auth/login", map[string]string{"email": e.agent.Email, "password": testAgentPassword})
					requireError(t, w, http.StatusTooManyRequests, "rate_limited", "")
					assert.Equal(t, "60", w.Header().Get("Retry-After"))
				}
				e2.asAdmin() // other emails are not affected

				e1.clock.Advance(loginWindow)
				e2.clock.Advance(loginWindow)
				e2.asAgent()
			})

			t.Run("PerIP", func(t *testing.T) {
				e1, e2 := two(t)
				for i := range loginFailures {
					e := []*deskEnv{e1, e2}[i%2]
					email := "guess" + strconv.Itoa(i) + "@test.example"
					require.Equal(t, http.StatusUnauthorized, login(e.anon(), email, "guess-password").StatusCode, "failure %d", i+1)
				}
				for _, e := range []*deskEnv{e1, e2} {
					requireError(t, e.anon().do("POST", "/api/auth/login", map[string]string{"email": e.admin.Email, "password": testAdminPassword}),
						http.StatusTooManyRequests, "rate_limited", "")
				}
				other := e1.anon()
				other.remote = "203.0.113.7:4000"
				assert.Equal(t, http.StatusOK, login(other, e1.admin.Email, testAdminPassword).StatusCode, "another address still signs in")
			})

			t.Run("PublicTickets", func(t *testing.T) {
				e1, e2 := two(t)
				for i := range publicTicketsPerWindow {
					e := []*deskEnv{e1, e2}[i%2]
					w := e.anon().do("POST", "/api/public/tickets", map[string]string{"subject": "Help", "customer_email": "widget@test.example"})
					require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
				}
				for _, e := range []*deskEnv{e1, e2} {
					w := e.anon().do("POST", "/api/public/tickets", map[string]string{"subject": "One too many", "customer_email": "widget@test.example"})
					requireError(t, w, http.StatusTooManyRequests, "rate_limited", "")
				}
				// Sign-ins from the same address are counted apart.
				e1.asAgent()
			})
		})
	}
}

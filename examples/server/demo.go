package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/icclabs/commandcenter/icc"
)

// demoLogin is a demo agent's sign-in, printed at start-up.
type demoLogin struct {
	Email, Password string
	Role            icc.Role
}

// String formats the login as "email / password (role)".
func (l demoLogin) String() string {
	return fmt.Sprintf("%s / %s (%s)", l.Email, l.Password, l.Role)
}

// formatLogins joins logins for the start-up line.
func formatLogins(ls []demoLogin) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.String()
	}
	return strings.Join(parts, ", ")
}

// demoAgent describes one demo agent.
type demoAgent struct {
	name, email, password string
	role                  icc.Role
	skills                []string
	capacity              int
}

// demoAgents returns the demo team: an admin who covers every queue and an
// agent per queue. Their passwords are public; never seed them into a
// database that matters.
func demoAgents() []demoAgent {
	return []demoAgent{
		{"Ada Admin", "admin@example.com", "demo-admin", icc.RoleAdmin, []string{"technical", "billing", "sensitive"}, 10},
		{"Tom Technical", "tom@example.com", "demo-agent", icc.RoleAgent, []string{"technical"}, 5},
		{"Bea Billing", "bea@example.com", "demo-agent", icc.RoleAgent, []string{"billing"}, 5},
		{"Gus General", "gus@example.com", "demo-agent", icc.RoleAgent, []string{"sensitive"}, 5},
	}
}

// demoCustomer describes one demo customer.
type demoCustomer struct {
	email, name, tier, account string
}

func demoCustomers() []demoCustomer {
	return []demoCustomer{
		{"lena@northwind.example", "Lena Fischer", "enterprise", "Northwind Traders"},
		{"raj@contoso.example", "Raj Patel", "pro", "Contoso"},
		{"mia@fabrikam.example", "Mia Wong", "free", "Fabrikam"},
		{"omar@tailspin.example", "Omar Haddad", "pro", "Tailspin Toys"},
		{"sofia@adatum.example", "Sofia Rossi", "enterprise", "Adatum"},
	}
}

// demoTicket is a demo ticket and what happens to it after it is filed.
type demoTicket struct {
	customer      int // index into demoCustomers
	subject, body string
	channel       icc.Channel
	reply, note   string
	resolve       bool
	rating        int
	comment       string
}

func demoTickets() []demoTicket {
	return []demoTicket{
		{customer: 0, subject: "API returns 500 on order sync", channel: icc.ChannelEmail,
			body:  "Since this morning every call to /v2/orders/sync fails with HTTP 500. Our ERP integration is stuck and orders are piling up.",
			reply: "We found a faulty deployment on our side and rolled it back. Syncs should work again; please confirm.", resolve: true, rating: 5, comment: "Fast fix, thanks!"},
		{customer: 1, subject: "Charged twice this month", channel: icc.ChannelWeb,
			body:  "My credit card was charged twice for the Pro plan in March. Please refund the duplicate payment.",
			reply: "Sorry about that. The duplicate charge has been refunded; it shows on your statement in 3-5 days.", resolve: true, rating: 4},
		{customer: 2, subject: "How do I export my contacts?", channel: icc.ChannelChat,
			body:  "Is there a way to export all contacts to CSV?",
			reply: "Yes: Settings > Data > Export, then choose CSV.", resolve: true, rating: 3, comment: "Hard to find in the menu."},
		{customer: 3, subject: "Webhook deliveries delayed", channel: icc.ChannelEmail,
			body:  "Webhooks arrive 10-15 minutes late since yesterday. Is there an incident?",
			reply: "We are looking into a queue backlog and will update you within the hour."},
		{customer: 4, subject: "Invoice missing VAT number", channel: icc.ChannelEmail,
			body: "Our latest invoice does not show our VAT number, so accounting cannot book it. Please reissue it.",
			note: "Check the billing profile: VAT id was added after the invoice run."},
		{customer: 0, subject: "Login page very slow", channel: icc.ChannelWeb,
			body: "Signing in takes more than 30 seconds for all our users. This is blocking our support team."},
		{customer: 2, subject: "Upgrade to the Pro plan", channel: icc.ChannelChat,
			body: "What does the Pro plan include and can I upgrade in the middle of the month?"},
		{customer: 1, subject: "Cancel my subscription", channel: icc.ChannelEmail,
			body: "Please cancel my subscription at the end of the billing period. I am not happy with the service at all."},
		{customer: 3, subject: "SSO with Okta", channel: icc.ChannelWeb,
			body:  "We want to set up single sign-on with Okta. Is SAML supported on our plan?",
			reply: "SAML SSO is available on Pro and Enterprise; here is the setup guide.", resolve: true, rating: 5},
		{customer: 4, subject: "Data deletion request", channel: icc.ChannelEmail,
			body: "Under GDPR I request deletion of all personal data you hold about our former employee."},
		{customer: 0, subject: "CRM sync drops custom fields", channel: icc.ChannelEmail,
			body: "Custom fields from Salesforce are not synced anymore since the last update. Standard fields still work."},
		{customer: 2, subject: "Thanks for the quick help", channel: icc.ChannelChat,
			body: "Just wanted to say the new dashboard is great."},
	}
}

// seedDemo fills empty storage with demo agents, customers and tickets, and
// returns the demo logins. The tickets go through the Desk, so they are
// classified, routed and assigned like real ones; some are then answered,
// resolved and rated. When the demo admin already exists nothing is added
// and no logins are returned.
func (s *server) seedDemo(ctx context.Context) ([]demoLogin, error) {
	agents := demoAgents()
	if _, err := s.backend.GetAgentByEmail(ctx, agents[0].email); err == nil {
		s.logger.InfoContext(ctx, "demo data already present")
		return nil, nil
	} else if !errors.Is(err, icc.ErrNotFound) {
		return nil, fmt.Errorf("demo: %w", err)
	}

	var logins []demoLogin
	ids := make(map[string]string) // email -> agent id
	for _, d := range agents {
		hash, err := s.hashPassword(d.password)
		if err != nil {
			return nil, err
		}
		a := &icc.Agent{Email: d.email, Name: d.name, Role: d.role, PasswordHash: hash,
			Skills: d.skills, Capacity: d.capacity, Availability: icc.AvailabilityOnline}
		if err := s.backend.CreateAgent(ctx, a); err != nil {
			return nil, fmt.Errorf("demo: agent %s: %w", d.email, err)
		}
		ids[d.email] = a.ID
		logins = append(logins, demoLogin{Email: d.email, Password: d.password, Role: d.role})
	}
	admin := icc.Actor{Type: icc.ActorAgent, ID: ids[agents[0].email]}

	custs := demoCustomers()
	custIDs := make([]string, len(custs))
	for i, d := range custs {
		c := &icc.Customer{Email: d.email, Name: d.name, Tier: d.tier, Account: d.account}
		if err := s.backend.CreateCustomer(ctx, c); err != nil {
			return nil, fmt.Errorf("demo: customer %s: %w", d.email, err)
		}
		custIDs[i] = c.ID
	}

	for _, d := range demoTickets() {
		t, err := s.desk.CreateTicket(ctx, icc.NewTicket{Subject: d.subject, Body: d.body,
			Channel: d.channel, CustomerID: custIDs[d.customer]})
		if err != nil {
			return nil, fmt.Errorf("demo: ticket %q: %w", d.subject, err)
		}
		by := admin
		if t.AssigneeID != "" {
			by = icc.Actor{Type: icc.ActorAgent, ID: t.AssigneeID}
		}
		if d.note != "" {
			if t, err = s.desk.Reply(ctx, t.ID, d.note, true, by); err != nil {
				return nil, fmt.Errorf("demo: note on %q: %w", d.subject, err)
			}
		}
		if d.reply != "" {
			if t, err = s.desk.Reply(ctx, t.ID, d.reply, false, by); err != nil {
				return nil, fmt.Errorf("demo: reply to %q: %w", d.subject, err)
			}
		}
		if d.resolve {
			resolved := icc.StatusResolved
			if t, err = s.desk.UpdateTicket(ctx, t.ID, icc.TicketUpdate{Version: t.Version, Status: &resolved}, by); err != nil {
				return nil, fmt.Errorf("demo: resolve %q: %w", d.subject, err)
			}
		}
		if d.rating > 0 {
			if _, err = s.desk.Rate(ctx, t.ID, d.rating, d.comment, icc.Actor{Type: icc.ActorCustomer, ID: t.CustomerID}); err != nil {
				return nil, fmt.Errorf("demo: rate %q: %w", d.subject, err)
			}
		}
	}
	s.logger.InfoContext(ctx, "demo data seeded", "agents", len(agents), "customers", len(custs), "tickets", len(demoTickets()))
	return logins, nil
}

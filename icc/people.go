package icc

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Customer is a person or company that asks for support.
type Customer struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// Tier is the customer's plan, e.g. "free", "pro", "enterprise";
	// routing rules may match it.
	Tier string `json:"tier,omitempty"`
	// Account is the customer's account or company name in the CRM.
	Account   string    `json:"account,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Validate checks the customer's fields: a valid email, a name of at most
// 200 characters and a tier of at most 50 (the account's length is checked
// by CheckAccountLimit, on new input only). Text must be valid UTF-8
// without NUL bytes. Stores call it on every write; reads do not, so a row
// stored before a limit existed still loads.
func (c *Customer) Validate() error {
	if err := validateEmail("email", c.Email); err != nil {
		return err
	}
	if err := checkTexts("id", c.ID, "name", c.Name, "tier", c.Tier, "account", c.Account); err != nil {
		return err
	}
	if longerThan(c.Name, 200) {
		return Invalid("name", "must be at most 200 characters")
	}
	if longerThan(c.Tier, 50) {
		return Invalid("tier", "must be at most 50 characters")
	}
	return nil
}

// MaxAccountLen is the longest account reference, in characters, a
// customer may be given.
const MaxAccountLen = 200

// CheckAccountLimit returns an EINVALID error naming "account" when account
// is longer than MaxAccountLen. Validate does not check it, so that a
// customer stored with a longer one before the limit existed can still be
// written; callers run it on an account a request sets.
func CheckAccountLimit(account string) error {
	if longerThan(account, MaxAccountLen) {
		return Invalid("account", "must be at most %d characters", MaxAccountLen)
	}
	return nil
}

// CustomerFilter selects customers. Results are ordered by creation time,
// newest first.
type CustomerFilter struct {
	// Tier keeps customers of one tier.
	Tier string
	// Text keeps customers whose email, name or account contains every term.
	Text   string
	Limit  int
	Cursor string
}

// Validate checks that the filter's texts are valid UTF-8 without NUL
// bytes.
func (f *CustomerFilter) Validate() error {
	return checkTexts("tier", f.Tier, "text", f.Text)
}

// Role is what an agent may do.
type Role string

// Roles.
const (
	RoleAgent Role = "agent"
	RoleAdmin Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAgent || r == RoleAdmin }

// Availability is whether an agent takes new work.
type Availability string

// Availabilities.
const (
	AvailabilityOnline  Availability = "online"
	AvailabilityAway    Availability = "away"
	AvailabilityOffline Availability = "offline"
)

// Valid reports whether a is a known availability.
func (a Availability) Valid() bool {
	return a == AvailabilityOnline || a == AvailabilityAway || a == AvailabilityOffline
}

// Agent is a support team member who signs in, answers tickets and chats.
type Agent struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// PasswordHash is a bcrypt hash; never serialised.
	PasswordHash string `json:"-"`
	// Skills are matched against a queue's required skills, e.g. "billing", "de".
	Skills []string `json:"skills"`
	// Capacity is the most open tickets the agent works on at once.
	Capacity     int          `json:"capacity"`
	Availability Availability `json:"availability"`
	// Version increases with every update, for optimistic concurrency.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// HasSkills reports whether the agent has every one of skills.
func (a *Agent) HasSkills(skills []string) bool {
	for _, s := range skills {
		if !slices.Contains(a.Skills, s) {
			return false
		}
	}
	return true
}

// MaxSkills is the most skills an agent may be given, as MaxTags is the
// most tags a ticket carries. Validate does not check it, so that an agent
// stored with more before the limit existed can still sign in and change
// availability; CheckSkillLimit does, for new input.
const MaxSkills = 20

// CheckSkillLimit returns an EINVALID error naming "skills" when skills
// has more than MaxSkills entries. Callers run it on skills a request
// sets.
func CheckSkillLimit(skills []string) error {
	if len(skills) > MaxSkills {
		return Invalid("skills", "an agent has at most %d skills", MaxSkills)
	}
	return nil
}

// Validate checks the agent's fields and fills defaults: role agent,
// availability offline, capacity 5. Skills are 1 to 50 characters each
// (how many is checked by CheckSkillLimit, on new input only). Text must
// be valid UTF-8 without NUL bytes. Stores call it on every write; reads do not, so a row stored
// before a limit existed still loads.
func (a *Agent) Validate() error {
	if err := validateEmail("email", a.Email); err != nil {
		return err
	}
	if err := checkTexts("id", a.ID, "name", a.Name); err != nil {
		return err
	}
	if strings.TrimSpace(a.Name) == "" {
		return Invalid("name", "is required")
	}
	if longerThan(a.Name, 200) {
		return Invalid("name", "must be at most 200 characters")
	}
	if a.Role == "" {
		a.Role = RoleAgent
	}
	if !a.Role.Valid() {
		return Invalid("role", "must be agent or admin")
	}
	if a.Availability == "" {
		a.Availability = AvailabilityOffline
	}
	if !a.Availability.Valid() {
		return Invalid("availability", "must be online, away or offline")
	}
	if a.Capacity == 0 {
		a.Capacity = 5
	}
	if a.Capacity < 0 || a.Capacity > 1000 {
		return Invalid("capacity", "must be between 1 and 1000")
	}
	for _, s := range a.Skills {
		if err := CheckText("skills", s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" || longerThan(s, 50) {
			return Invalid("skills", "each skill must be 1 to 50 characters")
		}
	}
	if a.Skills == nil {
		a.Skills = []string{}
	}
	return nil
}

// AgentFilter selects agents. Results are ordered by creation time, oldest first.
type AgentFilter struct {
	Role         Role
	Availability Availability
	// Skill keeps agents who have this skill.
	Skill  string
	Limit  int
	Cursor string
}

// Validate checks that the filter's texts are valid UTF-8 without NUL
// bytes. Unknown roles and availabilities are not errors: they match no
// agent.
func (f *AgentFilter) Validate() error {
	return checkTexts("role", string(f.Role), "availability", string(f.Availability), "skill", f.Skill)
}

func validateEmail(field, s string) error {
	if s == "" {
		return Invalid(field, "is required")
	}
	if err := CheckText(field, s); err != nil {
		return err
	}
	if len(s) > 254 {
		return Invalid(field, "must be at most 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return Invalid(field, "is not a valid email address")
	}
	return nil
}

// NormalizeEmail lower-cases and trims an email address, so that lookups by
// email do not depend on how it was typed.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// EmailTaken is the error of a store asked to give a customer or agent
// (kind) an email address that another of that kind has (compared after
// NormalizeEmail), the same on every backend.
func EmailTaken(kind, email string, cause error) *Error {
	return &Error{Code: ECONFLICT, Field: "email",
		Message: fmt.Sprintf("the email %s is taken by another %s", email, kind), Err: cause}
}

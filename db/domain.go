package db

import (
	"context"
	"database/sql"
	_ "embed" // the list of public email providers
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// Domain is an email domain an account claims (account_domain,
// lifecycle.md "Joining by email domain"): once verified, people whose
// email is at exactly that domain may join the account as its enrollment
// says.
type Domain struct {
	Object       string             `db:"object" json:"object"`
	ID           string             `db:"id" json:"id"`
	WorkspaceID  string             `db:"workspace_id" json:"-"`
	AccountID    string             `db:"account_id" json:"account_id"`
	Domain       string             `db:"domain" json:"domain"`
	State        string             `db:"state" json:"state"`
	Enrollment   string             `db:"enrollment" json:"enrollment"`
	Role         DomainRole         `db:"role" json:"role"`
	Token        string             `db:"token" json:"-"`
	Verification DomainVerification `db:"-" json:"verification"`
	VerifiedAt   *time.Time         `db:"verified_at" json:"verified_at"`
	Livemode     bool               `db:"livemode" json:"livemode"`
	Version      int64              `db:"version" json:"version"`
	CreatedAt    time.Time          `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time          `db:"updated_at" json:"updated_at"`
	Links        Links              `db:"-" json:"links"`
}

// DomainRole is the role a domain's joins get, as the domain shows it.
type DomainRole struct {
	ID   string `db:"id" json:"id"`
	Slug string `db:"slug" json:"slug"`
	Name string `db:"name" json:"name"`
}

// DomainVerification is the DNS TXT record that proves a domain's claim.
type DomainVerification struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Domain states.
const (
	DomainPending  = "pending"
	DomainVerified = "verified"
	DomainFailed   = "failed"
)

// Enrollments: what a verified domain does for a person whose email is
// at it.
const (
	EnrollManual   = "manual"    // nothing
	EnrollSuggest  = "suggest"   // lists the account so the person may join
	EnrollAutoJoin = "auto_join" // makes them an active member
)

// Enrollments lists every enrollment, as forms offer them.
var Enrollments = []string{EnrollManual, EnrollSuggest, EnrollAutoJoin}

// The DNS record of a domain's claim.
const (
	ChallengePrefix = "_roster-challenge."
	ChallengeValue  = "roster-verify="
)

// Domain errors.
var (
	ErrDomainNotFound = notFound("account_domain.not_found", "Domain not found")
	// ErrPublicProvider refuses a domain of a public email provider.
	ErrPublicProvider = &Error{Kind: KindInvalid, Type: "domain.public_provider",
		Message: "This is a public email provider's domain: anyone can have an address there, so no account can claim it"}
	// ErrDomainClaimed refuses a domain another account of the workspace
	// and mode has verified.
	ErrDomainClaimed = conflict("domain.already_claimed", "Another account has already verified this domain")
	// errManualByMember refuses a member principal's verification by hand.
	errManualByMember = ErrStaffOnly.Saying("Only the workspace's staff may mark a domain verified by hand: publish the TXT record instead")
)

//go:embed public_email_domains.txt
var publicProvidersText string

// publicProviders are the domains of public email providers.
var publicProviders = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(publicProvidersText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// IsPublicProvider reports whether domain (lower-cased punycode) is a
// public email provider's.
func IsPublicProvider(domain string) bool { return publicProviders[domain] }

// NewDomain is a domain an account claims (POST /v1/accounts/{id}/domains).
type NewDomain struct {
	Domain     string
	Enrollment string // "" for suggest
	Role       string // a role's slug or id; "" for the default role
}

// DomainPatch changes what is set (PATCH /v1/account-domains/{id}).
type DomainPatch struct {
	Enrollment *string
	Role       *string
}

// Validate trims and normalises the input (the domain to lower-cased
// punycode) and checks its fields; a public provider's domain is
// ErrPublicProvider.
func (in *NewDomain) Validate() error {
	f := fieldErrors{}
	if f.text("domain", &in.Domain) {
		d, why := NormalizeDomain(in.Domain)
		if why != "" {
			f["domain"] = why
		}
		in.Domain = d
	}
	if in.Enrollment == "" {
		in.Enrollment = EnrollSuggest
	}
	f.enrollment(&in.Enrollment)
	f.ref("role", &in.Role)
	if err := f.err(); err != nil {
		return err
	}
	if IsPublicProvider(in.Domain) {
		return ErrPublicProvider.With(map[string]any{"domain": in.Domain})
	}
	return nil
}

// Validate trims the patch and checks its fields.
func (p *DomainPatch) Validate() error {
	f := fieldErrors{}
	if p.Enrollment != nil {
		f.enrollment(p.Enrollment)
	}
	if p.Role != nil {
		f.required("role", p.Role)
	}
	return f.err()
}

// enrollment checks an enrollment's name.
func (f fieldErrors) enrollment(s *string) {
	if f.text("enrollment", s) && !slices.Contains(Enrollments, *s) {
		f["enrollment"] = "must be manual, suggest or auto_join"
	}
}

// NormalizeDomain is a domain name as accounts claim it: trimmed, without
// a final dot, lower-cased and in punycode (IDNA lookup rules), or why it
// is not a domain name.
func NormalizeDomain(raw string) (string, string) {
	s := strings.TrimSuffix(strings.TrimSpace(raw), ".")
	if s == "" {
		return s, "is required"
	}
	if strings.Contains(s, "@") {
		return s, "must be a domain such as example.com, without the name@ of an address"
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil || len(ascii) > 253 || !strings.Contains(ascii, ".") || net.ParseIP(ascii) != nil {
		return s, "must be a domain name such as example.com"
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return s, "must be a domain name such as example.com"
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return s, "must be a domain name such as example.com"
	}
	return ascii, ""
}

// EmailDomain is the domain of an email address, normalised as
// NormalizeDomain does; "" when it has none.
func EmailDomain(email string) string {
	at := strings.LastIndex(email, "@")
	if at < 0 {
		return ""
	}
	d, why := NormalizeDomain(email[at+1:])
	if why != "" {
		return ""
	}
	return d
}

// domainSQL reads domains with their role: the one they name, or the
// workspace's default role when it was deleted since. Open to more
// "AND …" conditions; its arguments are the workspace id and the mode.
const domainSQL = `SELECT 'account_domain' AS object, d.id, d.workspace_id, d.account_id, d.domain, d.state,
	d.enrollment, d.token, d.verified_at, d.livemode, d.version, d.created_at, d.updated_at,
	COALESCE(r.id, dr.id) AS "role.id", COALESCE(r.slug, dr.slug) AS "role.slug", COALESCE(r.name, dr.name) AS "role.name"
	FROM account_domains d
	LEFT JOIN roles r ON r.workspace_id = d.workspace_id AND r.id = d.role_id
	LEFT JOIN roles dr ON dr.workspace_id = d.workspace_id AND dr.is_default
	WHERE d.workspace_id = ? AND d.livemode = ?`

// loadDomains runs a domain query and completes what it read.
func (s *DB) loadDomains(ctx context.Context, query string, args ...any) ([]Domain, error) {
	var ds []Domain
	if err := s.selectAll(ctx, &ds, query, args...); err != nil {
		return nil, err
	}
	for i := range ds {
		ds[i].complete()
	}
	return ds, nil
}

// complete fills what is derived from the stored columns.
func (d *Domain) complete() {
	d.Verification = DomainVerification{Type: "dns_txt", Name: ChallengePrefix + d.Domain, Value: ChallengeValue + d.Token}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if d.VerifiedAt != nil {
		t := d.VerifiedAt.UTC()
		d.VerifiedAt = &t
	}
	d.Links = Links{Self: "/v1/account-domains/" + d.ID}
}

// domain reads one domain of the scope, the query ending with lock.
func (s *DB) domain(ctx context.Context, sc Scope, id, lock string) (Domain, error) {
	ds, err := s.loadDomains(ctx, domainSQL+` AND d.id = ?`+lock, sc.WorkspaceID, sc.Live, id)
	if err != nil {
		return Domain{}, wrap(err, "get domain %s", id)
	}
	if len(ds) == 0 {
		return Domain{}, ErrDomainNotFound.For(id)
	}
	return ds[0], nil
}

// lockDomain reads a domain for a change and locks its row until the
// transaction ends (see forUpdate).
func (s *DB) lockDomain(ctx context.Context, sc Scope, id string) (Domain, error) {
	var locked string
	err := s.get(ctx, &locked, `SELECT id FROM account_domains WHERE workspace_id = ? AND livemode = ? AND id = ?`+s.forUpdate(),
		sc.WorkspaceID, sc.Live, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Domain{}, ErrDomainNotFound.For(id)
	}
	if err != nil {
		return Domain{}, wrap(err, "lock domain %s", id)
	}
	return s.domain(ctx, sc, id, "")
}

// memberManaging checks that the scope's member principal holds org.manage
// in the account (nil for staff and keys), for reads of its domains.
func (s *DB) memberManaging(ctx context.Context, sc Scope, accountID string) error {
	by, err := s.actingMember(ctx, sc, accountID, false)
	if err == nil && by.ID != "" && !by.mayUse(PermOrgManage) {
		return lacking(PermOrgManage)
	}
	return err
}

// ListDomains returns a page of an account's domains, oldest first.
func (s *DB) ListDomains(ctx context.Context, sc Scope, accountID string, page Page) ([]Domain, error) {
	if _, err := s.Account(ctx, sc, accountID); err != nil {
		return nil, err
	}
	if err := s.memberManaging(ctx, sc, accountID); err != nil {
		return nil, err
	}
	ds, err := s.loadDomains(ctx, domainSQL+` AND d.account_id = ? AND d.id > ? ORDER BY d.id LIMIT ?`,
		sc.WorkspaceID, sc.Live, accountID, page.After, page.fetch())
	return ds, wrap(err, "list domains of account %s", accountID)
}

// AccountDomain returns one domain of the scope; a member principal
// reaches the domains of their accounts where they hold org.manage.
func (s *DB) AccountDomain(ctx context.Context, sc Scope, id string) (Domain, error) {
	d, err := s.domain(ctx, sc, id, "")
	if err != nil {
		return d, err
	}
	return d, hideDomain(id, s.memberManaging(ctx, sc, d.AccountID))
}

// hideDomain answers account_domain.not_found for a domain of an account
// the member principal is not in.
func hideDomain(id string, err error) error {
	if errors.Is(err, ErrAccountNotFound) {
		return ErrDomainNotFound.For(id)
	}
	return err
}

// domainRole resolves the role a domain names for its joins: not owner,
// nor beyond what a member principal holds themselves.
func (s *DB) domainRole(ctx context.Context, sc Scope, by Membership, ref string) (Role, error) {
	r, err := s.roleOrDefault(ctx, sc.WorkspaceID, ref)
	if errors.Is(err, ErrRoleNotFound) {
		return r, ErrUnknownRole
	}
	if err != nil {
		return r, err
	}
	if r.Slug == OwnerRoleSlug {
		return r, Invalid(map[string]string{"role": "cannot be owner: a domain gives a role, owners are made by hand"})
	}
	return r, by.mayGive(&r, nil)
}

// claimedElsewhere refuses a domain another account of the scope verified.
func (s *DB) claimedElsewhere(ctx context.Context, sc Scope, accountID, domain string) error {
	var n int
	err := s.get(ctx, &n, `SELECT COUNT(*) FROM account_domains WHERE workspace_id = ? AND livemode = ?
		AND domain = ? AND state = 'verified' AND account_id <> ?`, sc.WorkspaceID, sc.Live, domain, accountID)
	if err != nil {
		return wrap(err, "find claims of domain %s", domain)
	}
	if n > 0 {
		return ErrDomainClaimed.With(map[string]any{"domain": domain})
	}
	return nil
}

// CreateDomain claims a domain for an account, pending verification.
func (s *DB) CreateDomain(ctx context.Context, sc Scope, accountID string, in NewDomain) (Domain, error) {
	if err := in.Validate(); err != nil {
		return Domain{}, err
	}
	var d Domain
	err := s.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.account(ctx, sc, accountID, "")
		if err != nil {
			return err
		}
		by, ctx, err := s.memberActing(ctx, sc, a.ID, PermOrgManage)
		if err != nil {
			return err
		}
		r, err := s.domainRole(ctx, sc, by, in.Role)
		if err != nil {
			return err
		}
		if err := s.claimedElsewhere(ctx, sc, a.ID, in.Domain); err != nil {
			return err
		}
		id, t := NewID("ad"), now()
		_, err = s.exec(ctx, `INSERT INTO account_domains (workspace_id, id, livemode, account_id, domain, state, enrollment,
			role_id, token, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sc.WorkspaceID, id, sc.Live, a.ID, in.Domain, DomainPending, in.Enrollment, r.ID, RandomToken(32), t, t)
		if isUniqueViolation(err) {
			return Invalid(map[string]string{"domain": "is already claimed by this account"})
		}
		if err != nil {
			return wrap(err, "insert domain")
		}
		if d, err = s.domain(ctx, sc, id, ""); err != nil {
			return err
		}
		return s.record(ctx, sc, change{Type: "domain.created", TargetID: id, AccountID: a.ID, Data: d})
	})
	return d, err
}

// domainActing locks the domain id names for a change by the caller, who
// must hold org.manage in its account when a member principal (staff and
// keys pass); a member who may not is told the domain does not exist.
func (s *DB) domainActing(ctx context.Context, sc Scope, id string) (Domain, Membership, context.Context, error) {
	d, err := s.lockDomain(ctx, sc, id)
	if err != nil {
		return d, Membership{}, ctx, err
	}
	by, ctx, err := s.memberActing(ctx, sc, d.AccountID, PermOrgManage)
	if err != nil {
		return d, by, ctx, hideDomain(id, err)
	}
	return d, by, ctx, nil
}

// UpdateDomain changes a domain's enrollment or role.
func (s *DB) UpdateDomain(ctx context.Context, sc Scope, id string, p DomainPatch) (Domain, error) {
	if err := p.Validate(); err != nil {
		return Domain{}, err
	}
	var d Domain
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var by Membership
		var err error
		if d, by, ctx, err = s.domainActing(ctx, sc, id); err != nil {
			return err
		}
		prev, enrollment, roleID := map[string]any{}, d.Enrollment, d.Role.ID
		if p.Enrollment != nil && *p.Enrollment != d.Enrollment {
			prev["enrollment"], enrollment = d.Enrollment, *p.Enrollment
		}
		if p.Role != nil {
			r, err := s.domainRole(ctx, sc, by, *p.Role)
			if err != nil {
				return err
			}
			if r.ID != d.Role.ID {
				prev["role"], roleID = d.Role, r.ID
			}
		}
		if len(prev) == 0 {
			return nil
		}
		prev["version"], prev["updated_at"] = d.Version, d.UpdatedAt
		if _, err := s.exec(ctx, `UPDATE account_domains SET enrollment = ?, role_id = ?, version = version + 1, updated_at = ?
			WHERE workspace_id = ? AND livemode = ? AND id = ?`, enrollment, roleID, now(), sc.WorkspaceID, sc.Live, id); err != nil {
			return wrap(err, "update domain %s", id)
		}
		return s.domainChanged(ctx, sc, &d, "domain.updated", prev)
	})
	return d, err
}

// DeleteDomain gives up an account's claim of a domain.
func (s *DB) DeleteDomain(ctx context.Context, sc Scope, id string) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		d, _, ctx, err := s.domainActing(ctx, sc, id)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, `DELETE FROM account_domains WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			sc.WorkspaceID, sc.Live, id); err != nil {
			return wrap(err, "delete domain %s", id)
		}
		return s.record(ctx, sc, change{Type: "domain.deleted", TargetID: id, AccountID: d.AccountID, Data: d})
	})
}

// DomainCheck is the outcome of a verification: marked by hand (Manual,
// staff and secret keys only), or the TXT records found at the domain's
// verification name.
type DomainCheck struct {
	Manual  bool
	Records []string
}

// proves reports whether the check proves the domain's claim.
func (c DomainCheck) proves(d Domain) bool {
	return c.Manual || slices.Contains(c.Records, d.Verification.Value)
}

// VerifyDomain records a verification of a domain and returns the domain
// in its new state: verified when the check proves it (domain.verified),
// else failed. A verified domain stays as it is. Whatever the
// concurrency, a domain is verified by at most one account of the
// workspace and mode (the index account_domains_claimed): the others get
// domain.already_claimed.
func (s *DB) VerifyDomain(ctx context.Context, sc Scope, id string, check DomainCheck) (Domain, error) {
	var d Domain
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var by Membership
		var err error
		if d, by, ctx, err = s.domainActing(ctx, sc, id); err != nil {
			return err
		}
		if check.Manual && by.ID != "" {
			return errManualByMember
		}
		if d.State == DomainVerified {
			return nil
		}
		if !check.proves(d) {
			return s.failDomain(ctx, sc, &d)
		}
		return s.markVerified(ctx, sc, &d)
	})
	return d, err
}

// markVerified makes the (locked) domain verified and records it.
func (s *DB) markVerified(ctx context.Context, sc Scope, d *Domain) error {
	prev := map[string]any{"state": d.State, "verified_at": nil, "version": d.Version, "updated_at": d.UpdatedAt}
	t := now()
	_, err := s.exec(ctx, `UPDATE account_domains SET state = 'verified', verified_at = ?, version = version + 1, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, t, t, sc.WorkspaceID, sc.Live, d.ID)
	if isUniqueViolation(err) {
		return ErrDomainClaimed.With(map[string]any{"domain": d.Domain})
	}
	if err != nil {
		return wrap(err, "verify domain %s", d.ID)
	}
	return s.domainChanged(ctx, sc, d, "domain.verified", prev)
}

// failDomain records that a check did not prove the (locked) domain.
func (s *DB) failDomain(ctx context.Context, sc Scope, d *Domain) error {
	if d.State == DomainFailed {
		return nil
	}
	prev := map[string]any{"state": d.State, "version": d.Version, "updated_at": d.UpdatedAt}
	if _, err := s.exec(ctx, `UPDATE account_domains SET state = 'failed', version = version + 1, updated_at = ?
		WHERE workspace_id = ? AND livemode = ? AND id = ?`, now(), sc.WorkspaceID, sc.Live, d.ID); err != nil {
		return wrap(err, "fail domain %s", d.ID)
	}
	return s.domainChanged(ctx, sc, d, "domain.updated", prev)
}

// domainChanged reads the domain d after its change into d and records
// the change's event of type typ.
func (s *DB) domainChanged(ctx context.Context, sc Scope, d *Domain, typ string, prev map[string]any) error {
	changed, err := s.domain(ctx, sc, d.ID, "")
	if err != nil {
		return err
	}
	*d = changed
	return s.record(ctx, sc, change{Type: typ, TargetID: d.ID, AccountID: d.AccountID, Data: changed, Previous: prev})
}

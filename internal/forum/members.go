package forum

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"hearth/internal/password"
)

// Setting keys.
const (
	settingRequireApproval = "require_approval"
	settingSetupToken      = "setup_token_hash"
)

// Session lifetimes.
const (
	WebSessionTTL = 30 * 24 * time.Hour
	APISessionTTL = 90 * 24 * time.Hour
)

// NewMember is what registration and the admin tools provide.
type NewMember struct {
	Email    string
	Name     string
	Password string
	Role     Role         // defaults to RoleMember
	Status   MemberStatus // set by the Service for registrations
}

// ProfileUpdate holds the fields a member may change on their profile.
type ProfileUpdate struct {
	Name, Title, Location, Bio string
}

// newToken returns a random URL-safe token and its stored hash.
func newToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validateMember checks and normalizes a NewMember and hashes its password.
func (s *Service) validateMember(nm NewMember) (*Member, error) {
	email, err := validEmail(nm.Email)
	if err != nil {
		return nil, err
	}
	name, err := text("name", "Display name", nm.Name, 2, MaxNameLen)
	if err != nil {
		return nil, err
	}
	if err := validPassword(nm.Password, email, name); err != nil {
		return nil, err
	}
	role := nm.Role
	if role == "" {
		role = RoleMember
	}
	if !role.Valid() {
		return nil, FieldError("role", "Unknown role %q.", role)
	}
	status := nm.Status
	if status == "" {
		status = StatusActive
	}
	hash, err := password.Hash(nm.Password)
	if err != nil {
		return nil, err
	}
	return &Member{Email: email, Name: name, PasswordHash: hash, Role: role, Status: status, CreatedAt: s.now()}, nil
}

// CreateMember adds a member directly, for the shell and setup. It trusts
// its caller: no approval step.
func (s *Service) CreateMember(ctx context.Context, nm NewMember) (*Member, error) {
	m, err := s.validateMember(nm)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateMember(ctx, m); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, FieldError("email", "A member with the email %s already exists.", m.Email)
		}
		return nil, fmt.Errorf("create member: %w", err)
	}
	if s.hooks.MemberJoined != nil {
		s.hooks.MemberJoined(ctx, m)
	}
	return m, nil
}

// Register signs up a new member. When the admin requires approval the
// member is created pending and cannot take part until approved.
func (s *Service) Register(ctx context.Context, nm NewMember) (*Member, error) {
	if err := s.writable(nil); err != nil {
		return nil, err
	}
	nm.Role, nm.Status = RoleMember, StatusActive
	approval, err := s.RequireApproval(ctx)
	if err != nil {
		return nil, err
	}
	if approval {
		nm.Status = StatusPending
	}
	return s.CreateMember(ctx, nm)
}

// dummyHash is verified against when an email is unknown, so a login takes
// as long for unknown emails as for wrong passwords. It is made on first
// use, not at init: nothing runs before main decides what to do.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash("not a real password")
	return h
})

// Authenticate checks an email and password. Returns EUNAUTHORIZED with one
// message for unknown emails and wrong passwords, EFORBIDDEN if suspended.
// Pending members authenticate: the surfaces show them the waiting page.
func (s *Service) Authenticate(ctx context.Context, email, pw string) (*Member, error) {
	wrong := Errorf(EUNAUTHORIZED, "Wrong email or password.")
	if len(pw) > MaxPasswordLen {
		return nil, wrong
	}
	m, err := s.store.MemberByEmail(ctx, normalizeEmail(email))
	if errors.Is(err, ErrNotFound) {
		password.Verify(pw, dummyHash())
		return nil, wrong
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	ok, err := password.Verify(pw, m.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("authenticate member %d: %w", m.ID, err)
	}
	if !ok {
		return nil, wrong
	}
	if m.Status == StatusSuspended {
		return nil, Errorf(EFORBIDDEN, "This account is suspended. Contact the forum's admin.")
	}
	return m, nil
}

// StartSession logs m in and returns the token for a cookie ("web") or an
// Authorization header ("api").
func (s *Service) StartSession(ctx context.Context, m *Member, kind string) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	ttl := WebSessionTTL
	if kind == "api" {
		ttl = APISessionTTL
	}
	now := s.now()
	if err := s.store.CreateSession(ctx, &Session{TokenHash: hash, MemberID: m.ID, Kind: kind, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return token, nil
}

// SessionMember returns the member a session token belongs to, or
// ENOTFOUND-coded error if it is unknown or expired.
func (s *Service) SessionMember(ctx context.Context, token string) (*Member, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNotFound
	}
	hash, now, global := hashToken(token), s.now(), s.changes.globalVersion()
	if m, ok := s.sessions.get(hash, global, now); ok {
		return m, nil
	}
	m, err := s.store.SessionMember(ctx, hash, now)
	if err != nil {
		return nil, err
	}
	if m.Status == StatusSuspended {
		return nil, ErrNotFound
	}
	s.sessions.put(hash, m, global, now)
	return m, nil
}

// EndSession logs a session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	hash := hashToken(token)
	s.sessions.forget(hash)
	return s.store.DeleteSession(ctx, hash)
}

// SetupRequired reports whether the forum has no members yet, so the first
// visitor with the setup link creates the admin.
func (s *Service) SetupRequired(ctx context.Context) (bool, error) {
	n, err := s.store.CountMembers(ctx)
	if err != nil {
		return false, fmt.Errorf("count members: %w", err)
	}
	return n == 0, nil
}

// NewSetupToken makes (or replaces) the one-time token that lets the first
// visitor create the admin account.
func (s *Service) NewSetupToken(ctx context.Context) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	if err := s.store.SetSetting(ctx, settingSetupToken, hash); err != nil {
		return "", fmt.Errorf("save setup token: %w", err)
	}
	return token, nil
}

// CheckSetupToken returns an error unless token is the current setup token
// and the forum has no members yet.
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	required, err := s.SetupRequired(ctx)
	if err != nil {
		return err
	}
	if !required {
		return Errorf(EFORBIDDEN, "This forum is already set up. Log in instead.")
	}
	want, err := s.store.Setting(ctx, settingSetupToken)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(hashToken(token))) != 1 {
		return Errorf(EFORBIDDEN, "This setup link is not valid. Use the link printed by 'hearth serve' on the console.")
	}
	return nil
}

// Setup creates the first admin with a valid setup token, then voids the token.
func (s *Service) Setup(ctx context.Context, token string, nm NewMember) (*Member, error) {
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return nil, err
	}
	nm.Role, nm.Status = RoleAdmin, StatusActive
	m, err := s.CreateMember(ctx, nm)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetSetting(ctx, settingSetupToken, ""); err != nil {
		return nil, fmt.Errorf("void setup token: %w", err)
	}
	s.changes.everything() // the welcome page gives way to the forum
	return m, nil
}

// RequireApproval reports whether new registrations wait for an admin.
func (s *Service) RequireApproval(ctx context.Context) (bool, error) {
	v, err := s.store.Setting(ctx, settingRequireApproval)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read setting: %w", err)
	}
	return v == "1", nil
}

// SetRequireApproval turns registration approval on or off (admins).
func (s *Service) SetRequireApproval(ctx context.Context, actor *Member, on bool) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can change registration settings.")
	}
	v := "0"
	if on {
		v = "1"
	}
	return s.store.SetSetting(ctx, settingRequireApproval, v)
}

// Member returns a member's public profile. Pending and suspended members
// are visible only to admins.
func (s *Service) Member(ctx context.Context, actor *Member, id int64) (*Member, error) {
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusActive && !actor.IsAdmin() && (actor == nil || actor.ID != m.ID) {
		return nil, ErrNotFound
	}
	return m, nil
}

// UpdateProfile changes a member's profile: their own, or anyone's for admins.
func (s *Service) UpdateProfile(ctx context.Context, actor *Member, id int64, u ProfileUpdate) (*Member, error) {
	if actor == nil || (actor.ID != id && !actor.IsAdmin()) {
		return nil, Errorf(EFORBIDDEN, "You can only edit your own profile.")
	}
	if err := s.writable(actor); err != nil {
		return nil, err
	}
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Name, err = text("name", "Display name", u.Name, 2, MaxNameLen); err != nil {
		return nil, err
	}
	if m.Title, err = text("title", "Title or organization", u.Title, 0, MaxProfileLen); err != nil {
		return nil, err
	}
	if m.Location, err = text("location", "Location", u.Location, 0, MaxProfileLen); err != nil {
		return nil, err
	}
	if m.Bio, err = text("bio", "Bio", u.Bio, 0, MaxBioLen); err != nil {
		return nil, err
	}
	if err := s.store.UpdateMember(ctx, m); err != nil {
		return nil, fmt.Errorf("update member %d: %w", id, err)
	}
	s.changes.everything() // names and titles show beside every post
	return m, nil
}

// ChangePassword sets a new password after checking the current one.
func (s *Service) ChangePassword(ctx context.Context, actor *Member, current, next string) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in first.")
	}
	if ok, err := password.Verify(current, actor.PasswordHash); err != nil || !ok {
		return FieldError("current", "Your current password is not right.")
	}
	if err := validPassword(next, actor.Email, actor.Name); err != nil {
		return err
	}
	hash, err := password.Hash(next)
	if err != nil {
		return err
	}
	actor.PasswordHash = hash
	defer s.changes.everything() // cached sessions hold the old hash
	return s.store.UpdateMember(ctx, actor)
}

// Members lists members with a status (all if empty), for admins.
func (s *Service) Members(ctx context.Context, actor *Member, status MemberStatus) ([]*Member, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can list members.")
	}
	return s.store.ListMembers(ctx, status, 500)
}

// SetMemberStatus approves, suspends or reactivates a member (admins).
func (s *Service) SetMemberStatus(ctx context.Context, actor *Member, id int64, status MemberStatus) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can approve or suspend members.")
	}
	if actor.ID == id {
		return Errorf(EINVALID, "You cannot change your own status.")
	}
	switch status {
	case StatusActive, StatusPending, StatusSuspended:
	default:
		return Errorf(EINVALID, "Unknown status %q.", status)
	}
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return err
	}
	m.Status = status
	defer s.changes.everything()
	return s.store.UpdateMember(ctx, m)
}

// SetMemberRole makes a member a moderator, admin or plain member (admins).
func (s *Service) SetMemberRole(ctx context.Context, actor *Member, id int64, role Role) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can change roles.")
	}
	if actor.ID == id {
		return Errorf(EINVALID, "You cannot change your own role.")
	}
	if !role.Valid() {
		return Errorf(EINVALID, "Unknown role %q.", role)
	}
	m, err := s.store.MemberByID(ctx, id)
	if err != nil {
		return err
	}
	m.Role = role
	defer s.changes.everything() // role badges show beside posts
	return s.store.UpdateMember(ctx, m)
}

func normalizeEmail(s string) string {
	e, err := validEmail(s)
	if err != nil {
		return ""
	}
	return e
}

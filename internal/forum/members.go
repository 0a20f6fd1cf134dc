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
	"strconv"
	"strings"
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
	Handle   string // "" for one made from the name
	Password string
	Role     Role         // defaults to RoleMember
	Status   MemberStatus // set by the Service for registrations
	// What registration asks besides: the weekly digest (off unless
	// ticked) and the time zone the browser guessed ("" for UTC).
	Digest   bool
	TimeZone string
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
	handle := ""
	if strings.TrimSpace(nm.Handle) != "" {
		if handle, err = handleField(nm.Handle); err != nil {
			return nil, err
		}
	}
	hash, err := password.Hash(nm.Password)
	if err != nil {
		return nil, err
	}
	return &Member{Email: email, Name: name, Handle: handle, PasswordHash: hash, Role: role, Status: status, CreatedAt: s.now()}, nil
}

// CreateMember adds a member directly, for the shell and tests. It trusts
// its caller: no approval step, and it says when the email is taken.
func (s *Service) CreateMember(ctx context.Context, nm NewMember) (*Member, error) {
	m, err := s.validateMember(nm)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateMember(ctx, m); err != nil {
		if errors.Is(err, ErrHandleTaken) {
			return nil, handleTaken(m.Handle)
		}
		if errors.Is(err, ErrConflict) {
			return nil, FieldError("email", "A member with the email %s already exists.", m.Email)
		}
		return nil, fmt.Errorf("create member: %w", err)
	}
	return m, nil
}

// RegisteredMessage is the one answer to a registration that passed
// validation, whether its email was free or taken.
const RegisteredMessage = "Your account is ready: log in with your email and password."

// Register signs up a new member. When the admin requires approval the
// member is created pending and cannot take part until approved. It
// answers the same (nil) whether or not the email is taken, and does the
// same work (the password is hashed first), so registering tells nobody
// which addresses have accounts. Until setup has created the first admin
// it refuses: nothing but the setup link makes the first member.
func (s *Service) Register(ctx context.Context, nm NewMember) error {
	if err := s.writable(nil); err != nil {
		return err
	}
	if required, err := s.SetupRequired(ctx); err != nil {
		return err
	} else if required {
		return Errorf(EFORBIDDEN, "This forum is not set up yet: its admin must first open the setup link.")
	}
	nm.Role, nm.Status = RoleMember, StatusActive
	approval, err := s.RequireApproval(ctx)
	if err != nil {
		return err
	}
	if approval {
		nm.Status = StatusPending
	}
	m, err := s.validateMember(nm)
	if err != nil {
		return err
	}
	m.Unconfirmed = true
	prefs := DefaultMailPrefs()
	prefs.TimeZone = guessedZone(nm.TimeZone)
	if nm.Digest {
		prefs.Freq[ListDigest] = FreqWeekly
	}
	c, err := s.newConfirmation(m)
	if err != nil {
		return err
	}
	err = s.store.RegisterMember(ctx, m, c, &prefs)
	if errors.Is(err, ErrHandleTaken) {
		return handleTaken(m.Handle) // handles are public: saying so tells nothing of emails
	}
	if errors.Is(err, ErrConflict) {
		// Tell the address's owner, not the requester: the answer is the
		// same either way. One notice an hour at most (the key), so the
		// form cannot be used to flood someone's inbox.
		return s.registeredAgainMail(ctx, m.Email)
	}
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return nil
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
	err = s.store.CreateSession(ctx, &Session{TokenHash: hash, MemberID: m.ID, Kind: kind,
		CreatedAt: now, ExpiresAt: now.Add(ttl), Epoch: m.SessionEpoch})
	if errors.Is(err, ErrNotFound) {
		// The password changed or the member was suspended while this
		// login checked the old state: it must not outlive that change.
		return "", Errorf(EUNAUTHORIZED, "Your account changed while you were logging in. Log in again.")
	}
	if err != nil {
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
	hash := hashToken(token)
	v := s.changes.MembersVersion() // before reading: see Changes.Shows
	e, err := s.sessions.Load(hash, v.Stamp, func() (*sessionEntry, int, error) {
		m, err := s.store.SessionMember(ctx, hash, s.now())
		if err != nil {
			return nil, 0, err
		}
		if m.Status == StatusSuspended {
			return nil, 0, ErrNotFound
		}
		e := &sessionEntry{member: *m, shown: s.changes.Holds(v, m.ID)}
		if e.shown == nil {
			return e, -1, nil // the member changed while it was read: use it once, keep it not
		}
		return e, e.size(), nil
	})
	if err != nil {
		return nil, err
	}
	m := e.member
	s.reads.seen(m.ID, s.now())
	return &m, nil
}

// EndSession logs a session out, at once on this node: a lookup of the
// session that raced with the logout is not kept either.
func (s *Service) EndSession(ctx context.Context, token string) error {
	hash := hashToken(token)
	m, err := s.SessionMember(ctx, token)
	if errors.Is(err, ErrNotFound) {
		m, err = nil, nil // ended or expired already
	}
	if err != nil {
		return err
	}
	err = s.store.DeleteSession(ctx, hash)
	s.sessions.Delete(hash)
	if m != nil {
		s.changes.SessionsEnded(m.ID)
	}
	return err
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

var (
	errSetUp     = Errorf(EFORBIDDEN, "This forum is already set up. Log in instead.")
	errSetupLink = Errorf(EFORBIDDEN, "This setup link is not valid. Use the link printed by 'hearth serve' on the console.")
)

// CheckSetupToken returns an error unless token is the current setup token
// and the forum has no members yet.
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	// The token first: a setup that voids it commits its admin with it, so
	// the count read after sees that admin, and a visitor who lost the race
	// hears that the forum is set up, not that the link is wrong.
	want, err := s.store.Setting(ctx, settingSetupToken)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	required, err := s.SetupRequired(ctx)
	if err != nil {
		return err
	}
	if !required {
		return errSetUp
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(hashToken(token))) != 1 {
		return errSetupLink
	}
	return nil
}

// Setup creates the first admin with a valid setup token. Checking the
// token, voiding it and creating the admin happen in one transaction, so of
// concurrent setups with one link exactly one succeeds; the others are told
// the forum is set up.
func (s *Service) Setup(ctx context.Context, token string, nm NewMember) (*Member, error) {
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return nil, err // a wrong link costs no password hashing
	}
	nm.Role, nm.Status = RoleAdmin, StatusActive
	m, err := s.validateMember(nm)
	if err != nil {
		return nil, err
	}
	switch err := s.store.CreateFirstMember(ctx, m, settingSetupToken, hashToken(token)); {
	case errors.Is(err, ErrConflict):
		return nil, errSetUp
	case errors.Is(err, ErrNotFound):
		return nil, errSetupLink
	case err != nil:
		return nil, fmt.Errorf("setup: %w", err)
	}
	s.changes.ForumChanged() // the welcome page gives way to the forum
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
	if err := s.store.UpdateProfile(ctx, m); err != nil {
		return nil, fmt.Errorf("update member %d: %w", id, err)
	}
	s.changes.MemberChanged(id) // its name and title show beside its posts, and its sessions hold them
	return m, nil
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the member (web and API alike): whoever
// knew the old password is logged out. session is the token of the
// session making the change, which stays logged in ("" for none). It
// returns how many other sessions ended. Attempts are limited per member,
// checked before the current password is, so guessing it is slow.
func (s *Service) ChangePassword(ctx context.Context, actor *Member, session, current, next string) (int, error) {
	if actor == nil {
		return 0, Errorf(EUNAUTHORIZED, "Log in first.")
	}
	if !s.limits.PasswordChange.Allow(strconv.FormatInt(actor.ID, 10)) {
		return 0, &Error{Code: ERATELIMIT, Field: "current", Message: "Too many password change attempts. Wait a minute and try again."}
	}
	if ok, err := password.Verify(current, actor.PasswordHash); err != nil || !ok {
		return 0, FieldError("current", "Your current password is not right.")
	}
	if err := validPassword(next, actor.Email, actor.Name); err != nil {
		return 0, err
	}
	hash, err := password.Hash(next)
	if err != nil {
		return 0, err
	}
	keep := ""
	if session != "" {
		keep = hashToken(session)
	}
	ended, err := s.store.SetPassword(ctx, actor.ID, hash, keep, s.now(), s.passwordChangedMail(actor, s.now()))
	if err != nil {
		return 0, fmt.Errorf("change password of member %d: %w", actor.ID, err)
	}
	actor.PasswordHash = hash
	s.changes.SessionsEnded(actor.ID) // its cached sessions hold the old password, and the others ended
	return ended, nil
}

// Members lists members with a status (all if empty), for admins.
func (s *Service) Members(ctx context.Context, actor *Member, status MemberStatus) ([]*Member, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "Only admins can list members.")
	}
	return s.store.ListMembers(ctx, status, 500)
}

// SetMemberStatus approves, suspends or reactivates a member (admins).
// from is the status the admin saw ("" for any): if the member is no
// longer in it (another admin acted meanwhile), nothing changes and the
// admin is told. Suspending ends all the member's sessions, web and API,
// for good: reactivating does not bring them back.
func (s *Service) SetMemberStatus(ctx context.Context, actor *Member, id int64, from, to MemberStatus) error {
	if !actor.IsAdmin() {
		return Errorf(EFORBIDDEN, "Only admins can approve or suspend members.")
	}
	if actor.ID == id {
		return Errorf(EINVALID, "You cannot change your own status.")
	}
	if !to.Valid() || (from != "" && !from.Valid()) {
		return Errorf(EINVALID, "Unknown status: choose active, pending or suspended.")
	}
	var notice *Mail
	if to == StatusActive {
		if m, err := s.store.MemberByID(ctx, id); err == nil && m.Status == StatusPending {
			notice = s.approvedMail(m)
		}
	}
	err := s.store.SetMemberStatus(ctx, id, from, to, notice)
	if errors.Is(err, ErrConflict) {
		return Errorf(ECONFLICT, "This member is no longer %s: another admin changed their status meanwhile. Check the list and try again.", from)
	}
	if err != nil {
		return err
	}
	s.changes.MemberChanged(id) // its cached sessions hold the status
	return nil
}

// SetMemberRole makes a member a moderator, admin or plain member (admins).
// It takes effect at once on this node: cached sessions are forgotten.
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
	if err := s.store.SetMemberRole(ctx, id, role); err != nil {
		return err
	}
	s.changes.MemberChanged(id) // role badges show beside its posts; its cached sessions hold the role
	return nil
}

func normalizeEmail(s string) string {
	e, err := validEmail(s)
	if err != nil {
		return ""
	}
	return e
}

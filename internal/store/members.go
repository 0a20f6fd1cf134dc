package store

import (
	"context"
	"database/sql"
	"fmt"

	"hearth/internal/forum"
)

const memberColumns = `m.id, m.email, m.name, m.password_hash, m.role, m.status,
	m.title, m.location, m.bio, m.post_count, m.created_at`

func scanMember(row interface{ Scan(...any) error }) (*forum.Member, error) {
	var m forum.Member
	var created int64
	err := row.Scan(&m.ID, &m.Email, &m.Name, &m.PasswordHash, &m.Role, &m.Status,
		&m.Title, &m.Location, &m.Bio, &m.PostCount, &created)
	if err != nil {
		return nil, err
	}
	m.CreatedAt = fromMillis(created)
	return &m, nil
}

// CreateMember inserts m and sets m.ID; ErrConflict if the email is taken.
func (db *DB) CreateMember(ctx context.Context, m *forum.Member) error {
	err := db.writeRow(ctx, `INSERT INTO members
		(email, name, password_hash, role, status, title, location, bio, post_count, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		m.Email, m.Name, m.PasswordHash, string(m.Role), string(m.Status),
		m.Title, m.Location, m.Bio, m.PostCount, toMillis(m.CreatedAt)).Scan(&m.ID)
	return db.wrap("create member", err)
}

// MemberByID returns ErrNotFound if there is no such member.
func (db *DB) MemberByID(ctx context.Context, id int64) (*forum.Member, error) {
	m, err := scanMember(db.read.QueryRowContext(ctx,
		"SELECT "+memberColumns+" FROM members m WHERE m.id = $1", id))
	return m, db.wrap(fmt.Sprintf("load member %d", id), err)
}

// MemberByEmail looks up a lower-cased email; ErrNotFound if absent.
func (db *DB) MemberByEmail(ctx context.Context, email string) (*forum.Member, error) {
	m, err := scanMember(db.read.QueryRowContext(ctx,
		"SELECT "+memberColumns+" FROM members m WHERE m.email = $1", email))
	return m, db.wrap("load member by email", err)
}

// UpdateMember saves name, password hash, role, status, title, location and bio.
func (db *DB) UpdateMember(ctx context.Context, m *forum.Member) error {
	err := mustAffect(db.writeExec(ctx, `UPDATE members SET name = $2, password_hash = $3,
		role = $4, status = $5, title = $6, location = $7, bio = $8 WHERE id = $1`,
		m.ID, m.Name, m.PasswordHash, string(m.Role), string(m.Status), m.Title, m.Location, m.Bio))
	return db.wrap(fmt.Sprintf("update member %d", m.ID), err)
}

// ListMembers returns members with the given status (all if empty), oldest first.
func (db *DB) ListMembers(ctx context.Context, status forum.MemberStatus, limit int) ([]*forum.Member, error) {
	var rows *sql.Rows
	var err error
	if status == "" {
		rows, err = db.readRows(ctx, "SELECT "+memberColumns+
			" FROM members m ORDER BY m.created_at, m.id LIMIT $1", limitOrAll(limit))
	} else {
		rows, err = db.readRows(ctx, "SELECT "+memberColumns+
			" FROM members m WHERE m.status = $1 ORDER BY m.created_at, m.id LIMIT $2", string(status), limitOrAll(limit))
	}
	if err != nil {
		return nil, db.wrap("list members", err)
	}
	defer rows.Close()
	var out []*forum.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, db.wrap("list members", err)
		}
		out = append(out, m)
	}
	return out, db.wrap("list members", rows.Err())
}

// CountMembers returns the number of members of any status.
func (db *DB) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := db.readRow(ctx, "SELECT COUNT(*) FROM members").Scan(&n)
	return n, db.wrap("count members", err)
}

-- Email confirmation, mail preferences and notification mail.

-- A member who registered and has not yet opened the link mailed to them
-- reads but does not post. Every member before this migration, and every
-- member made by an admin, the shell, setup, seed or the demo, is
-- confirmed: only registration sets the flag.
ALTER TABLE members ADD COLUMN email_unconfirmed BOOLEAN NOT NULL DEFAULT FALSE;

-- Confirmation links: only the token's SHA-256 is kept; a link works
-- once, until expires_at, and only for the address it was mailed to.
CREATE TABLE email_confirmations (
    token_hash TEXT   PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    email      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX email_confirmations_member ON email_confirmations (member_id, created_at);

-- What mail a member wants: per kind 'instant', 'daily', 'weekly' or
-- 'never'. No row means the defaults (forum.DefaultMailPrefs). digest is
-- the forum digest (active and new threads); broadcast_off is the status
-- broadcast's opt-out, which the roster reads. last_digest_at is when the
-- member's last digest was written.
CREATE TABLE mail_prefs (
    member_id          BIGINT  PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    replies            TEXT    NOT NULL DEFAULT 'instant',
    mentions           TEXT    NOT NULL DEFAULT 'instant',
    quotes             TEXT    NOT NULL DEFAULT 'instant',
    watched_threads    TEXT    NOT NULL DEFAULT 'instant',
    watched_categories TEXT    NOT NULL DEFAULT 'instant',
    digest             TEXT    NOT NULL DEFAULT 'never',
    time_zone          TEXT    NOT NULL DEFAULT 'UTC',
    broadcast_off      BOOLEAN NOT NULL DEFAULT FALSE,
    last_digest_at     BIGINT  NOT NULL DEFAULT 0,
    updated_at         BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX mail_prefs_digest ON mail_prefs (digest);

-- Whether a notification was turned into mail: 0 waiting (its window is
-- open), 1 mailed, 2 not to be mailed (read meanwhile, a kind the member
-- does not want, the daily cap), 3 kept for the member's digest.
-- Notifications before this migration are not mailed.
ALTER TABLE notifications ADD COLUMN mail_state INTEGER NOT NULL DEFAULT 0;
UPDATE notifications SET mail_state = 2;
CREATE INDEX notifications_mail_waiting ON notifications (created_at) WHERE mail_state = 0;
CREATE INDEX notifications_mail_digest ON notifications (member_id, created_at) WHERE mail_state = 3;

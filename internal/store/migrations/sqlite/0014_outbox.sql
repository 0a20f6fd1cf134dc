-- The mail outbox: every mail is first a row here, written in the same
-- transaction as what caused it (or by an event consumer, keyed so a
-- replay adds nothing), then sent by the one mail worker of the forum.
-- A row holds the message as composed, so a later change (a new address,
-- a used token) never changes what was promised; dedupe_key makes a
-- second enqueue of the same mail a no-op.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    dedupe_key  TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    member_id   BIGINT  NOT NULL DEFAULT 0,
    to_addr     TEXT    NOT NULL,
    sender      TEXT    NOT NULL DEFAULT 'account', -- which From: 'account' or 'notify'
    message_id  TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body_text   TEXT    NOT NULL,
    body_html   TEXT    NOT NULL DEFAULT '',
    headers     TEXT    NOT NULL DEFAULT '',        -- extra headers, JSON
    state       TEXT    NOT NULL DEFAULT 'pending', -- pending, sending, sent, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    in_doubt    INTEGER NOT NULL DEFAULT 0,         -- found in 'sending' after a crash: may have gone out
    next_at     BIGINT  NOT NULL,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    sent_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_member ON outbox (member_id, created_at);

-- Password reset links: only the token's SHA-256 is kept; a link works
-- once, until expires_at.
CREATE TABLE password_resets (
    token_hash TEXT   PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_member ON password_resets (member_id, created_at);

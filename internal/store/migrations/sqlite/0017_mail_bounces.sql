-- Bounces: every delivery report received for an outbox mail, once per
-- mail (a report delivered twice counts once), and per member whether
-- mail to their address is stopped. A hard bounce stops it at once; soft
-- ones when they repeat (counted since cleared_at, when the member last
-- turned mail back on). address is the address that bounced: a member
-- who changes theirs gets mail again.
CREATE TABLE mail_bounces (
    outbox_id BIGINT  PRIMARY KEY,
    member_id BIGINT  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    address   TEXT    NOT NULL,
    hard      INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    at        BIGINT  NOT NULL
);
CREATE INDEX mail_bounces_member ON mail_bounces (member_id, at);

CREATE TABLE member_mail_state (
    member_id  BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    address    TEXT   NOT NULL,
    stopped_at BIGINT NOT NULL DEFAULT 0, -- 0: mail goes out
    reason     TEXT   NOT NULL DEFAULT '',
    cleared_at BIGINT NOT NULL DEFAULT 0
);

-- The automatic answers to refused replies by mail: when the last one
-- went to each sender (a hash of the address), so each gets one an hour.
CREATE TABLE mail_answers (
    sender_key  TEXT   PRIMARY KEY,
    answered_at BIGINT NOT NULL
);

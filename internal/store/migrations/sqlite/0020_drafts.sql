-- Drafts: what a member typed into a reply box ("t:THREAD") or a new
-- thread's form ("c:CATEGORY") and left without posting, one per member
-- and form, so nothing typed is lost. Posting deletes it; drafts older
-- than 30 days are pruned (drafts_updated).
CREATE TABLE drafts (
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    key        TEXT   NOT NULL,
    title      TEXT   NOT NULL DEFAULT '',
    body       TEXT   NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, key)
);
CREATE INDEX drafts_updated ON drafts (updated_at);

-- A member may keep "last seen" off their profile (admins still see it).
ALTER TABLE members ADD COLUMN hide_last_seen BOOLEAN NOT NULL DEFAULT FALSE;

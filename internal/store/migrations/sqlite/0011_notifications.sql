-- Handles, likes and notifications.

-- A member's handle, lower-case (so the unique index is case-insensitive).
-- NULL only until the Go step of this migration (migrate_steps.go) has
-- made one from each existing member's name; every insert sets one.
ALTER TABLE members ADD COLUMN handle TEXT;
CREATE UNIQUE INDEX members_handle ON members (handle);
ALTER TABLE members ADD COLUMN likes_given INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN likes_received INTEGER NOT NULL DEFAULT 0;

-- Handles members had before: /u/{old} still leads to them, until another
-- member takes the handle.
CREATE TABLE member_handles (
    handle     TEXT   PRIMARY KEY,
    member_id  BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);

-- One row per member and post they like; posts.like_count counts them in
-- the same transaction.
CREATE TABLE post_likes (
    post_id    BIGINT NOT NULL,
    member_id  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, member_id)
);
CREATE INDEX post_likes_member ON post_likes (member_id, created_at DESC, post_id DESC);
ALTER TABLE posts ADD COLUMN like_count INTEGER NOT NULL DEFAULT 0;

-- One row per event, recipient and kind, written by the notifications
-- consumer of the event stream: the unique key makes a replay after a
-- crash add nothing. group_key is what the bell groups by (a thread's
-- posts, a post's likes).
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    member_id  BIGINT NOT NULL,
    kind       TEXT   NOT NULL,
    group_key  TEXT   NOT NULL,
    event_id   BIGINT NOT NULL,
    actor_id   BIGINT NOT NULL,
    thread_id  BIGINT NOT NULL,
    post_id    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT NOT NULL DEFAULT 0,
    UNIQUE (event_id, member_id, kind)
);
-- The bell's count and the page: a member's newest, unread first.
CREATE INDEX notifications_member ON notifications (member_id, read_at, group_key);
CREATE INDEX notifications_member_new ON notifications (member_id, id DESC);


-- What a member knows of a thread: one row per member and thread they have
-- opened or set a level on, never a row per post. last_read_position is the
-- highest post position they have seen (it never moves back), so "unread"
-- is arithmetic against threads.post_count-style positions. level is the
-- notification level: 3 watching (every post), 2 tracking (counts and
-- mentions), 1 normal (mentions and replies to them), 0 muted (nothing, and
-- hidden from lists); NULL means "no choice made": the category's level or
-- normal applies.
CREATE TABLE thread_members (
    member_id          BIGINT  NOT NULL,
    thread_id          BIGINT  NOT NULL,
    last_read_position INTEGER NOT NULL DEFAULT 0,
    level              INTEGER,
    last_visited_at    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, thread_id)
);
-- Who watches a thread, for the notification consumer.
CREATE INDEX thread_members_thread ON thread_members (thread_id, level);

-- A member's level on a category (same numbers as thread_members.level),
-- and when they last marked it read: threads whose activity is older count
-- as read.
CREATE TABLE category_members (
    member_id      BIGINT  NOT NULL,
    category_id    BIGINT  NOT NULL,
    level          INTEGER,
    marked_read_at BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, category_id)
);
CREATE INDEX category_members_category ON category_members (category_id, level);

-- When a member last visited the forum (a "new" thread is one that
-- appeared since then) and when they last marked everything read.
ALTER TABLE members ADD COLUMN last_visit_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN marked_read_at BIGINT NOT NULL DEFAULT 0;

-- A member's bookmarks: one row per member and post. The list is read
-- newest first (bookmarks_member_recent); a thread page asks which of a
-- member's posts are bookmarked by the primary key.
CREATE TABLE bookmarks (
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, post_id)
);
CREATE INDEX bookmarks_member_recent ON bookmarks (member_id, created_at DESC, post_id DESC);

-- A category's feed: its newest threads, newest first. Neither column
-- moves on a reply, so replies do not pay for this index.
CREATE INDEX threads_category_newest ON threads (category_id, deleted_at, id DESC);

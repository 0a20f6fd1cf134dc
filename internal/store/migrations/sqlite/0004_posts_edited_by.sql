-- Who last edited a post: the author, or a moderator changing someone
-- else's words. The moderation log (later) shows it.
ALTER TABLE posts ADD COLUMN edited_by BIGINT REFERENCES members (id);

-- Full-text search over thread titles and post bodies. One FTS5 row per
-- post (rowid = posts.id); a thread's title is indexed with its first post,
-- so "only first posts" is position 1 and a title match ranks that post.
-- External content: the text lives once, in posts and threads, read
-- through the view below by 'rebuild' (hearth repair). Visibility
-- (deleted, category, permissions) is NOT in the index: searches join
-- posts, threads and categories, so deletes, restores and moves need no
-- index change at all, and the triggers keep the text in step with every
-- write in the write's own transaction.
CREATE VIEW post_search_source AS
SELECT p.id AS id, CASE WHEN p.position = 1 THEN t.title ELSE '' END AS title, p.body AS body
FROM posts p JOIN threads t ON t.id = p.thread_id;

CREATE VIRTUAL TABLE post_search USING fts5(
    title, body,
    content = 'post_search_source', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT INTO post_search (rowid, title, body) VALUES (new.id,
        CASE WHEN new.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = new.thread_id), '') ELSE '' END,
        new.body);
END;

-- 'delete' must be given exactly the text that was indexed: the old body,
-- and the title as it is (title changes reindex in their own trigger).
CREATE TRIGGER posts_search_update AFTER UPDATE OF body, position, thread_id ON posts BEGIN
    INSERT INTO post_search (post_search, rowid, title, body) VALUES ('delete', old.id,
        CASE WHEN old.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = old.thread_id), '') ELSE '' END,
        old.body);
    INSERT INTO post_search (rowid, title, body) VALUES (new.id,
        CASE WHEN new.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = new.thread_id), '') ELSE '' END,
        new.body);
END;

CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO post_search (post_search, rowid, title, body) VALUES ('delete', old.id,
        CASE WHEN old.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = old.thread_id), '') ELSE '' END,
        old.body);
END;

CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads BEGIN
    INSERT INTO post_search (post_search, rowid, title, body)
        SELECT 'delete', p.id, old.title, p.body FROM posts p WHERE p.thread_id = old.id AND p.position = 1;
    INSERT INTO post_search (rowid, title, body)
        SELECT p.id, new.title, p.body FROM posts p WHERE p.thread_id = new.id AND p.position = 1;
END;

-- What a search reads of each candidate post, without its body and HTML:
-- reaching created_at past them in the table row walks overflow pages
-- (3-4x slower over a thousand candidates). Search names it (INDEXED BY).
CREATE INDEX posts_search_rows ON posts (id, thread_id, position, created_at, deleted_at, author_id);

INSERT INTO post_search (post_search) VALUES ('rebuild');

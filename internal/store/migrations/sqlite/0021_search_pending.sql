-- New posts wait in post_search_pending and reach the index once per
-- write transaction (flushSearch, before the commit), not once per post:
-- FTS5 writes its pending terms out as a new segment at every savepoint,
-- and group commit gives every write in a batch its own, so each reply
-- made a segment of one post and later merges of them. A post waiting
-- here is not in the index yet: an edit, a delete or a title change of it
-- leaves the index alone (the flush reads the text as it then is), and
-- its delete takes it out of the queue.
CREATE TABLE post_search_pending (id INTEGER PRIMARY KEY);

DROP TRIGGER posts_search_insert;
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT OR IGNORE INTO post_search_pending (id) VALUES (new.id);
END;

DROP TRIGGER posts_search_update;
CREATE TRIGGER posts_search_update AFTER UPDATE OF body, position, thread_id ON posts
WHEN NOT EXISTS (SELECT 1 FROM post_search_pending WHERE id = old.id) BEGIN
    INSERT INTO post_search (post_search, rowid, title, body) VALUES ('delete', old.id,
        CASE WHEN old.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = old.thread_id), '') ELSE '' END,
        old.body);
    INSERT INTO post_search (rowid, title, body) VALUES (new.id,
        CASE WHEN new.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = new.thread_id), '') ELSE '' END,
        new.body);
END;

DROP TRIGGER posts_search_delete;
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO post_search (post_search, rowid, title, body) SELECT 'delete', old.id,
        CASE WHEN old.position = 1 THEN COALESCE((SELECT title FROM threads WHERE id = old.thread_id), '') ELSE '' END,
        old.body
        WHERE NOT EXISTS (SELECT 1 FROM post_search_pending WHERE id = old.id);
    DELETE FROM post_search_pending WHERE id = old.id;
END;

DROP TRIGGER threads_search_title;
CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads BEGIN
    INSERT INTO post_search (post_search, rowid, title, body)
        SELECT 'delete', p.id, old.title, p.body FROM posts p WHERE p.thread_id = old.id AND p.position = 1
            AND p.id NOT IN (SELECT id FROM post_search_pending);
    INSERT INTO post_search (rowid, title, body)
        SELECT p.id, new.title, p.body FROM posts p WHERE p.thread_id = new.id AND p.position = 1
            AND p.id NOT IN (SELECT id FROM post_search_pending);
END;

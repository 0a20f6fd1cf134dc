-- Full-text search over thread titles and post bodies: a tsvector per post,
-- the thread's title (weight A) indexed with its first post, the body
-- (weight D), under a configuration that stems English and removes
-- diacritics (unaccent is a trusted extension: the database owner may
-- create it). Visibility is NOT in the vector: searches join posts,
-- threads and categories, so deletes, restores and moves need no index
-- change; the triggers keep the text in step in the write's transaction.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION hearth_search (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION hearth_search
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

CREATE FUNCTION hearth_post_search(title text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE AS $$
    SELECT setweight(to_tsvector('hearth_search', title), 'A') || setweight(to_tsvector('hearth_search', body), 'D')
$$;

ALTER TABLE posts ADD COLUMN search tsvector;

CREATE FUNCTION posts_search_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := hearth_post_search(CASE WHEN NEW.position = 1
        THEN COALESCE((SELECT title FROM threads WHERE id = NEW.thread_id), '') ELSE '' END, NEW.body);
    RETURN NEW;
END
$$;
CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE OF body, position, thread_id ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_row();

CREATE FUNCTION threads_search_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET search = hearth_post_search(NEW.title, body) WHERE thread_id = NEW.id AND position = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER threads_search_title AFTER UPDATE OF title ON threads
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION threads_search_title();

UPDATE posts p SET search = hearth_post_search(CASE WHEN p.position = 1 THEN t.title ELSE '' END, p.body)
FROM threads t WHERE t.id = p.thread_id;

CREATE INDEX posts_search ON posts USING GIN (search);

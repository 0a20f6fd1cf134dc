-- Hearth schema, SQLite flavour. Kept in step with ../postgres/0001_init.sql:
-- times are BIGINT unix milliseconds (0 = unset), flags are BOOLEAN (stored 0/1),
-- optional references are NULL.

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL DEFAULT 'member',
    status        TEXT    NOT NULL DEFAULT 'active',
    title         TEXT    NOT NULL DEFAULT '',
    location      TEXT    NOT NULL DEFAULT '',
    bio           TEXT    NOT NULL DEFAULT '',
    post_count    INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX members_status ON members (status, created_at, id);

CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL DEFAULT 'web',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    parent_id    BIGINT  REFERENCES categories (id),
    name         TEXT    NOT NULL,
    slug         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    members_only BOOLEAN NOT NULL DEFAULT FALSE,
    thread_count INTEGER NOT NULL DEFAULT 0,
    post_count   INTEGER NOT NULL DEFAULT 0,
    last_post_id BIGINT,
    last_post_at BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE threads (
    id             INTEGER PRIMARY KEY,
    category_id    BIGINT  NOT NULL REFERENCES categories (id),
    author_id      BIGINT  NOT NULL REFERENCES members (id),
    title          TEXT    NOT NULL,
    slug           TEXT    NOT NULL,
    post_count     INTEGER NOT NULL DEFAULT 0,
    last_position  INTEGER NOT NULL DEFAULT 0,
    sticky         BOOLEAN NOT NULL DEFAULT FALSE,
    locked         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT  NOT NULL,
    last_post_at   BIGINT  NOT NULL DEFAULT 0,
    last_post_id   BIGINT,
    last_poster_id BIGINT,
    deleted_at     BIGINT  NOT NULL DEFAULT 0
);
-- Serves ListThreads with and without deleted threads: deleted ones are
-- rare, so filtering them while walking the index costs little.
CREATE INDEX threads_category_activity ON threads (category_id, sticky DESC, last_post_at DESC, id DESC);
-- A category's latest activity: its newest visible thread, one index seek.
CREATE INDEX threads_category_last ON threads (category_id, deleted_at, last_post_at DESC, last_post_id DESC);
CREATE INDEX threads_author ON threads (author_id);

CREATE TABLE posts (
    id            INTEGER PRIMARY KEY,
    thread_id     BIGINT  NOT NULL REFERENCES threads (id),
    author_id     BIGINT  NOT NULL REFERENCES members (id),
    position      INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    html          TEXT    NOT NULL,
    quote_post_id BIGINT,
    created_at    BIGINT  NOT NULL,
    edited_at     BIGINT  NOT NULL DEFAULT 0,
    deleted_at    BIGINT  NOT NULL DEFAULT 0,
    deleted_by    BIGINT  REFERENCES members (id),
    UNIQUE (thread_id, position)
);
CREATE INDEX posts_author ON posts (author_id);

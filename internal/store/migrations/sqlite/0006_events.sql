-- The event stream: every write that anything else must learn of appends
-- a row here in its own transaction. Consumers read by cursor (the last id
-- they finished: one writer commits in id order) and keep their cursor in
-- event_cursors. An event names what happened and to whom, never a copy of
-- their data.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    member_id   BIGINT  NOT NULL DEFAULT 0,
    category_id BIGINT  NOT NULL DEFAULT 0,
    thread_id   BIGINT  NOT NULL DEFAULT 0,
    post_id     BIGINT  NOT NULL DEFAULT 0,
    node        TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX events_at ON events (at);

CREATE TABLE event_cursors (
    consumer   TEXT   PRIMARY KEY,
    position   TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

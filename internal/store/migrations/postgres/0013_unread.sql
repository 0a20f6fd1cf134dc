-- Unread tracking. A visit starts after an hour without requests; "new"
-- compares against the visit before the current one, so the member row
-- keeps both: last_visit_at (the last request seen, to the minute) and
-- previous_visit_at (the last request of the visit before).
ALTER TABLE members ADD COLUMN previous_visit_at BIGINT NOT NULL DEFAULT 0;
-- New threads are found by creation time: a member's "new since my last
-- visit" counts walk this index from that time on.
CREATE INDEX threads_created ON threads (created_at);

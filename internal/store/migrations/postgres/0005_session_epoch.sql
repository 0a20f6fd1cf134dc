-- Session epochs. A session counts only while its epoch equals its
-- member's; changing the password or suspending the member moves the
-- member's epoch on. So no session outlives the password (or the standing)
-- it was made with, not even one written by a login that raced the change.
ALTER TABLE members ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;

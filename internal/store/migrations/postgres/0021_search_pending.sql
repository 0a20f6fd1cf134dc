-- SQLite only (its FTS5 index takes new posts once per transaction); the
-- version is kept here so both engines count the same.
SELECT 1;

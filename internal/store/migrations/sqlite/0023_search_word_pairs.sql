-- PostgreSQL only (its GIN index takes phrases as word pairs; FTS5 keeps
-- positions); the version is kept here so both engines count the same.
SELECT 1;

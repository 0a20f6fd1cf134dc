-- hearth verify's own check account and hidden check category, made when
-- it runs on the forum's machine: the account (checker) may read and post
-- in check-only categories and nowhere else, and is no moderator; a
-- check-only category is staff-only too, so every query that hides
-- staff-only categories hides it. Threads deleted there are removed for
-- good, so a check every five minutes leaves nothing behind.
ALTER TABLE categories ADD COLUMN check_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN checker BOOLEAN NOT NULL DEFAULT FALSE;

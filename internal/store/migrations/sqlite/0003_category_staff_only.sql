-- Staff-only categories: visible to moderators and admins only (the
-- moderators' lounge, and the hidden category `hearth verify` posts to).
ALTER TABLE categories ADD COLUMN staff_only BOOLEAN NOT NULL DEFAULT FALSE;

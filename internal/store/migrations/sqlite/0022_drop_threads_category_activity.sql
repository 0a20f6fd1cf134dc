-- Every reply moves its thread in each index holding last_post_at, a leaf
-- page written for the old entry and one for the new: the three such
-- indexes were half the pages a batch of replies wrote. This one served
-- only moderators' category pages (deleted threads included), which now
-- merge the visible threads of threads_category_list, in order, with the
-- few deleted ones.
DROP INDEX threads_category_activity;

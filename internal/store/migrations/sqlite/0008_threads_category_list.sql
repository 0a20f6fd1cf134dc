-- The index a category page reads, in the page's exact order, for the
-- threads members see (not deleted): a page is found by walking the index
-- alone, however deep it is, and only its 30 threads are joined.
CREATE INDEX threads_category_list ON threads (category_id, deleted_at, sticky DESC, last_post_at DESC, id DESC);

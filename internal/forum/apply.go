package forum

// Apply records what an event from the stream changed, for the caches of
// this process: the tailer calls it for events other nodes (or other
// processes on the same database, such as hearth repair) wrote. The
// service records its own writes as it makes them; applying one twice
// only costs a page rendered again.
func (c *Changes) Apply(e Event) {
	switch e.Kind {
	case EventPostCreated, EventThreadCreated, EventThreadFlags, EventPostRestored, EventThreadRestored:
		c.thread(e.ThreadID)
	case EventPostEdited, EventPostDeleted, EventThreadDeleted:
		c.threadHidden(e.ThreadID) // saved copies must not keep what is gone
	case EventCategoryChanged:
		c.visibilityChanged() // it may have become members- or staff-only
	default:
		// Members (names beside posts, roles, sessions), new categories,
		// settings, recounts and imports may show on any page.
		c.everything()
	}
}

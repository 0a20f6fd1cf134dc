package api

// Route is one entry of the route table, for tests that drive every route.
type Route struct {
	Pattern    string
	MemberOnly bool // guests get 401 whatever they send
}

// Routes returns the route table.
func Routes() []Route {
	var out []Route
	for _, rt := range (&API{}).routes() {
		out = append(out, Route{rt.pattern, rt.access == member})
	}
	return out
}

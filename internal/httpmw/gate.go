package httpmw

import (
	"log/slog"
	"net/http"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
	"hearth/internal/status"
)

// DownMessage is what members and clients are told while the database is
// not answering.
const DownMessage = "The forum's database is not answering right now. We are on it, and the forum will come back by itself as soon as it answers again."

// Gate answers for the forum while it cannot serve a request: its
// database is down (a monitor pings it, so requests get the degraded
// answer at once instead of waiting for timeouts), or the admin has it in
// maintenance mode. Both surfaces put it in front of their routes.
type Gate struct {
	Status *status.Store // the forum's mode; nil means always normal
	DBDown func() bool   // nil means never
}

// Closed returns the answer for a request while the forum cannot serve
// it, and whether it cannot. passMaintenance lets the request through
// maintenance mode (an admin; the login form, so one can get in), never
// through the database being down.
func (g Gate) Closed(passMaintenance bool) (httperr.Outcome, bool) {
	o := httperr.Outcome{Code: forum.EUNAVAILABLE, Status: http.StatusServiceUnavailable, Level: slog.LevelDebug}
	st := g.State()
	switch {
	case g.DBDown != nil && g.DBDown():
		o.Message, o.Event = DownMessage, "database unavailable"
	case st.Mode == status.Maintenance && !passMaintenance:
		o.Message, o.Event, o.Maintenance = "The forum is down for maintenance.", "maintenance", true
		if st.Reason != "" {
			o.Message += " " + st.Reason
		}
	default:
		return httperr.Outcome{}, false
	}
	o.RetryAfter = st.RetryAfter(time.Now())
	return o, true
}

// State returns the forum's mode and updates (normal when not configured).
func (g Gate) State() status.State {
	if g.Status == nil {
		return status.State{Mode: status.Normal}
	}
	return g.Status.Get()
}

// Handler returns next behind the gate, answered through rs while the
// forum is closed to the request; passMaintenance (nil: nobody) says which
// requests go through maintenance mode.
func (g Gate) Handler(next http.Handler, rs httperr.Responder, passMaintenance func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o, closed := g.Closed(passMaintenance != nil && passMaintenance(r)); closed {
			rs.Answer(w, r, o)
			return
		}
		next.ServeHTTP(w, r)
	})
}

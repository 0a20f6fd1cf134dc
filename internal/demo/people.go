package demo

import "hearth/internal/forum"

// Demo passwords are meant to be read off the console, hence readable.
const (
	adminPassword     = "demo-hannah-pass" // not "admin": the password rule refuses the email's local part
	moderatorPassword = "demo-moderator-pass"
	memberPassword    = "demo-member-pass"
)

type person struct {
	key, email, name, password string
	role                       forum.Role
	title, location, bio       string
}

// people are created in this order; the admin must come first.
var people = []person{
	{"hannah", "admin@demo.hearth", "Hannah Okafor", adminPassword, forum.RoleAdmin,
		"Community manager, Hearth Travel Network", "Manchester, UK",
		"I look after this forum. Fifteen years in retail travel before that, mostly long-haul and groups."},
	{"tomas", "tomas@demo.hearth", "Tomás Ferreira", moderatorPassword, forum.RoleModerator,
		"Senior Travel Consultant, Atlântico Viagens", "Lisbon",
		"Lisbon born and based. Portugal, Spain and river cruises on the Douro. Moderator, so be nice."},
	{"priya", "priya@demo.hearth", "Priya Raman", memberPassword, forum.RoleMember,
		"Owner, Monsoon Journeys", "Leicester, UK",
		"Tailor-made India, Sri Lanka and the Maldives. Three consultants and a very old coffee machine."},
	{"jake", "jake@demo.hearth", "Jake Whitfield", memberPassword, forum.RoleMember,
		"Cruise Specialist, Harbour & Sail Travel", "Southampton, UK",
		"Ocean and expedition cruises. 41 ships so far, and I remember every buffet."},
	{"meilin", "meilin@demo.hearth", "Mei Lin Tan", memberPassword, forum.RoleMember,
		"Asia Product Manager, Lotus Gate Travel", "Singapore",
		"I build the Japan, Korea and South-East Asia programmes for a wholesaler. Ask me about ground handlers."},
	{"sofia", "sofia@demo.hearth", "Sofia Marchetti", memberPassword, forum.RoleMember,
		"Home-based Travel Advisor", "Bologna, Italy",
		"Home-based since 2019: weddings and honeymoons in Italy and Portugal."},
	{"daniel", "daniel@demo.hearth", "Daniel Brooks", memberPassword, forum.RoleMember,
		"Managing Director, Brooks & Hale Travel", "Denver, CO",
		"Two offices, eleven staff, and opinions on fees."},
}

type categorySpec struct {
	parent string // name of the parent, created earlier; "" for top level
	in     forum.CategoryInput
}

var categories = []categorySpec{
	{"", forum.CategoryInput{Name: "Announcements", Description: "News from the admins: forum changes, events and house rules."}},
	{"", forum.CategoryInput{Name: "Destinations", Description: "Where your clients are going: trip reports, questions and local know-how."}},
	{"Destinations", forum.CategoryInput{Name: "Europe", Description: "From the Algarve to the Arctic."}},
	{"Destinations", forum.CategoryInput{Name: "Asia & Pacific", Description: "Japan to New Zealand, and everything in between."}},
	{"", forum.CategoryInput{Name: "Suppliers & cruise lines", Description: "Commission, booking portals, service levels and who to call."}},
	{"", forum.CategoryInput{Name: "Running an agency", Description: "Marketing, fees, software and staff: the business side."}},
	{"", forum.CategoryInput{Name: "The lounge", Description: "Off-topic. Coffee, rants and the odd holiday of your own."}},
	{"", forum.CategoryInput{Name: "Members' deals", Description: "Agent rates, fam trips and supplier offers. Visible to logged-in members only.", MembersOnly: true}},
}

package seed

// Templates for titles and bodies. {slot} names are filled by textGen.fill;
// a slot ending in 2 ({place2}) picks a different value from the same list.

var sentences = []string{
	"We booked {client} on {aproduct} to {place} last {month} and the feedback was excellent.",
	"Has anyone dealt with {supplier} since they changed their cancellation terms?",
	"Our rep at {supplier} says commission stays at {pct}% for now, but only on bookings made through the portal.",
	"I'd steer clear of {month} for {place}: prices jump and the crowds are brutal.",
	"Honestly, **always** get the final itinerary in writing before you take a deposit.",
	"There's a decent summary on [the agent notices page](https://agents.example.com/notices) if you have a login.",
	"Use the code `AGENT{pct}` on the agent portal and the discount shows on the second screen.",
	"We now charge a planning fee of €{price} for anything over {n} nights, refundable against the booking.",
	"Clients on {aproduct} almost always ask about travel insurance, so I send our checklist up front.",
	"{name} at our branch swears by {supplier} for groups of {n} or more.",
	"If you have clients going to {place} in {month}, book the ferries and transfers early.",
	"Our clients loved the small family-run hotels around {place}.",
	"Three clients this year have asked for {place} after seeing it on social media.",
	"The fam trip to {place} was well organised, though the schedule was **very** packed.",
	"Payment schedules are the real issue: {supplier} now wants the balance {n} weeks before departure.",
	"For {client}, I'd combine {place} with a few nights in {place2}.",
	"Trains between {place} and {place2} are easy, but leave a buffer for connections.",
	"We switched our booking system last year and it took about {n} months before everyone was comfortable with it.",
	"My rule of thumb: quote the fee first, then the trip.",
	"I'll ask our BDM at {supplier} on Monday and report back.",
	"Same experience here, and it's not just {place}.",
	"Their agent helpline kept me on hold for {minutes} minutes yesterday.",
	"The rooms at {hotel} in {place} are small, but the location is unbeatable.",
	"Entry rules for {place} changed in {month}, so double-check before you ticket.",
	"We bundle airport lounges into our premium packages; clients rarely notice the cost but always notice the lounge.",
	"Does anyone have a contact for group bookings at {supplier}?",
	"Shoulder season for {place} is roughly {month} to {month2}, and that's when I push it.",
	"I sent {client} to {hotel} and they've already rebooked for next {season}.",
	"The new {supplier} brochure is out, and the {product} prices are up about {pct}% on last year.",
	"Worth knowing: {supplier} pays commission on the **net** fare only, not on taxes or port fees.",
	"We lost {aproduct} booking to an online agency over €{price}, which still stings.",
	"A {n}-night {product} in {place} is an easy sell in {season} if you get the flights right.",
	"I keep a shared spreadsheet of supplier contacts and cut-off dates; happy to share a template.",
	"Our newsletter about {place} got a {pct}% open rate, the best we've had all year.",
	"The guide in {place} was outstanding, ask for {name} if you book through {supplier}.",
	"Not sure about {place} for {client}; there's a lot of walking on cobbles and steep hills.",
	"Check the baggage rules with {supplier}: the cheapest fares now exclude a checked bag.",
	"When {supplier} cancelled the {month} departure, they rebooked everyone within {n} days.",
	"Anyone else noticed the hotel allocations for {place} in {month} are already tight?",
	"For what it's worth, see the [supplier's FAQ](https://www.example.com/faq) on deposits.",
}

var shortReplies = []string{
	"Thanks, this is really useful.", "+1, same here.", "Great write-up, bookmarking this.",
	"Following: I have a client asking exactly the same thing.", "Good to know, thanks for the heads-up.",
	"Any update on this?", "Spot on.", "We had the same issue last month.", "Interesting, I hadn't heard that.",
	"Thanks all, very helpful replies.", "Agree with everything above.", "Sent you a private message.",
	"This matches what our BDM told us.", "Exactly why we stopped selling them.", "Ha, been there.",
	"Following this thread.", "Brilliant, thank you!", "Same here, fingers crossed it gets sorted.",
	"Useful, thanks. Passing this on to the team.", "I'd second that recommendation.",
	"Not in my experience, but good to hear other views.", "**Yes**, book early.",
	"Couldn't agree more.", "That's a relief, thanks for checking.", "Lovely photos, thanks for sharing!",
}

var listIntros = []string{
	"A few things that worked for us:", "What I'd pass on to clients:", "Quick summary:",
	"The itinerary, roughly:", "Things to check before booking:", "Pros and cons as I see them:",
}

var listItems = []string{
	"book transfers in advance", "{place}: {n} nights", "check passport validity for {place}",
	"ask {supplier} about group rates", "**{place}**, great for {client}", "avoid {month} if you can",
	"{hotel}, ask for a sea-view room", "travel insurance sorted before the deposit", "a day trip to {place2}",
	"agent rate at {hotel}, about {pct}% off", "`{n}` free cancellations a year on the portal",
	"lounge access at the departure airport", "a local guide for the first day",
}

var codeSnippets = []string{
	"AN{day}{mon}LISLHR\nSS1Y1\nNM1SMITH/JANE MRS",
	"=IF(B2>5000, B2*0.1, 250)",
	"Subject: Your {place} itinerary\n\nDear {name},\n\nPlease find your final documents attached.",
	"FQD{mon}LHRJFK/A{pct}",
	"Deposit: 20%\nBalance due: {n} weeks before departure\nPlanning fee: non-refundable",
}

var tableRows = []string{
	"| {product} | €{price} |", "| Flights only | €{small} |", "| Tailor-made {product} | €{price} |",
	"| Group of {n}+ | €{price} |", "| Changes after ticketing | €{small} |", "| Visa support | €{small} |",
}

var headings = []string{
	"### Day {n}: {place}", "### Getting there", "### Where we stayed", "### The verdict", "### Costs",
}

// Title templates per category topic.
var titles = map[string][]string{
	"news": {
		"Welcome to the forum: please read before posting", "Forum rules, updated {month}",
		"Scheduled maintenance this weekend", "Meet-up at the {place} travel trade show",
		"New members-only deals category", "Spam and self-promotion: a reminder",
		"{season} webinar series: {product} selling", "Moderator team changes",
	},
	"dest": {
		"{place} in {month}: worth it?", "Fam trip report: {place}", "Honeymoon ideas: {place} or {place2}?",
		"Best area to stay in {place} for {client}?", "{place} with kids: what would you skip?",
		"Getting from {place} to {place2}", "Is {place} too busy in {month} now?",
		"Recommendations for {aproduct} in {place}", "Trip report: {n} nights in {place}",
		"Clients back from {place}: a few notes", "Entry rules for {place} changed?", "Hidden gems near {place}",
		"{place} or {place2} for {client}?", "Hotel suggestions in {place} for {aproduct}",
	},
	"supplier": {
		"{supplier} commission change to {pct}%", "Anyone else waiting on {supplier} refunds?",
		"{supplier} agent portal down again?", "Review: {supplier} {product} with {client}",
		"Good contacts at {supplier}?", "{supplier} new cancellation terms: thoughts?",
		"Who do you use for {product}s?", "{supplier} vs {supplier2} for {client}",
		"Overbooking at {supplier}: what did you do?", "{supplier} {month} departures cancelled",
	},
	"agency": {
		"How do you charge for {product} planning?", "Which CRM are you using?",
		"Instagram vs newsletters: what actually brings bookings?", "Hiring our {n}th consultant: worth it?",
		"Clients who book direct after you plan", "Service fees: flat or percentage?",
		"Home-based vs high street, {n} years in", "Website quote forms that actually convert",
		"Accounting software recommendations", "Handling complaints about {supplier}",
		"Marketing {product}s to younger clients", "Deposits and card fees in {month}",
	},
	"lounge": {
		"What are you reading this {season}?", "Your own holiday: where to this year?",
		"Worst airport you've been stuck in", "Coffee or tea on a long shift?", "Favourite travel film?",
		"Photo thread: your view from {place}", "Friday off-topic thread", "Language apps: any good?",
	},
	"deals": {
		"Agent rates: {hotel}, {place} ({pct}% off)", "Fam trip places: {place} in {month}",
		"{supplier} agent discount on {product}s", "Educational: {place} with {supplier}",
		"Free upgrades for agent bookings at {hotel}",
	},
}

// catDef is a category of the catalogue. parent is an index into catalogue
// (-1 for a top-level one), listed before its children.
type catDef struct {
	name, desc, topic string
	parent            int
	membersOnly       bool
	weight            float64 // share of threads
	places            []string
}

var catalogue = []catDef{
	{"Announcements", "News from the admins: forum changes, events and house rules.", "news", -1, false, 0.3, nil},
	{"Destinations", "Where clients are going: trip reports, questions and local know-how.", "dest", -1, false, 1, nil},
	{"Europe", "From the Algarve to the Arctic.", "dest", 1, false, 3, placesEurope},
	{"Asia & Pacific", "Japan to New Zealand, and everything in between.", "dest", 1, false, 2, placesAsia},
	{"The Americas", "North, Central and South America and the Caribbean.", "dest", 1, false, 1.5, placesAmericas},
	{"Africa & Middle East", "Safaris, souks and desert camps.", "dest", 1, false, 1, placesAfricaME},
	{"Suppliers & cruise lines", "Commission, booking portals, service levels and who to call.", "supplier", -1, false, 2.5, nil},
	{"River cruises", "Rhine, Danube, Douro, Mekong and the rest.", "supplier", 6, false, 1, nil},
	{"Running an agency", "Marketing, fees, software and staff: the business side.", "agency", -1, false, 2, nil},
	{"Marketing & social media", "Newsletters, Instagram, websites and events.", "agency", 8, false, 1, nil},
	{"Members' lounge", "Agent rates, fam trips and supplier offers, for logged-in members only.", "deals", -1, true, 0.8, nil},
	{"Off-topic", "Coffee, rants and your own holidays.", "lounge", -1, false, 1.2, nil},
	{"Technology & booking tools", "GDS, CRMs, portals and the spreadsheets that hold it all together.", "agency", 8, false, 0.8, nil},
	{"Groups & weddings", "Anything with more than ten travellers and a seating plan.", "dest", -1, false, 0.8, nil},
}

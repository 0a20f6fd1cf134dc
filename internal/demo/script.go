package demo

import "time"

// thread is one conversation of the script. start is from the demo's base
// time (20 days ago); each post's after is from the post before it.
type thread struct {
	cat, title string
	start      time.Duration
	pin        bool
	posts      []post
}

type post struct {
	who   string // a person's key
	after time.Duration
	body  string
	quote int       // 1-based position of the post quoted; 0 for none
	edit  [2]string // if set, the author later replaces edit[0] with edit[1]
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

var script = []thread{
	{cat: "Announcements", title: "Welcome to the forum: start here", start: 10 * hour, pin: true, posts: []post{
		{who: "hannah", body: `Welcome to **Hearth**, a forum for independent travel agents and advisors to swap notes, ask questions and help each other out.

A few house rules:

- Be kind and assume good intent. We have all had *that* client.
- No client names, booking references or anything else personal in posts.
- Criticising suppliers is fine; keep it factual.
- Self-promotion goes in your profile, not in threads.

Trip reports and destination questions go in **Destinations**, commission and portal woes in **Suppliers & cruise lines**, fees, marketing and software in **Running an agency**. **Members' deals** is only visible once you are logged in.

Tomás is our moderator; reach either of us if something needs attention.`},
		{who: "tomas", after: 2 * hour, body: "Olá everyone! Happy to help with anything Portugal or Douro-related. If you spot spam, reply with a short note and I'll tidy up."},
		{who: "priya", after: day, body: "Thanks Hannah, great to have somewhere that isn't a social media group with 40,000 people shouting."},
	}},
	{cat: "Suppliers & cruise lines", title: "Bluewave Cruises cutting commission to 10% on non-refundable fares?", start: day + 9*hour, posts: []post{
		{who: "jake", body: `Just had an email from our BDM at Bluewave Cruises: from 1 March, commission on their non-refundable "Saver" fares drops from 12% to **10%**, and they stop paying on port fees altogether. Refundable fares stay at 12%.

Has anyone else had this? It's not on the agent portal yet, and I'd like to know before I quote three families for the summer Baltic sailings.`},
		{who: "daniel", after: 3 * hour, body: `Same email here. Ours came with a "growth incentive" that gets you back to 12% if your sailings are up 15% year on year, which is a neat way of saying no to most of us.

We're moving our default quotes to refundable fares and explaining the difference to clients. The price gap is about 8% on the sailings I checked.`},
		{who: "sofia", after: 5 * hour, body: "Not the first line to do it, won't be the last. I'd rather they were upfront about it than quietly changing the portal."},
		{who: "jake", after: hour, quote: 2, body: "That's useful, thanks. I hadn't spotted the growth incentive: it was in the PDF, not the email. Quoting refundable by default makes sense; the families are flexible anyway."},
		{who: "tomas", after: day, body: "I asked our contact: the change applies to bookings *made* from 1 March, not to departures. So anything you confirm this month still pays 12%."},
		{who: "priya", after: 4 * hour, body: "Good to know, Tomás. Just confirmed two cabins before the deadline."},
	}},
	{cat: "Europe", title: "Fam trip report: Lisbon and the Alentejo, 5 days", start: 3*day + 16*hour, posts: []post{
		{who: "sofia", body: `Back from the Atlântico Viagens fam trip with eight other agents. Short version: Lisbon is as busy as you've heard, and the Alentejo is the answer for clients who want Portugal without the queues.

**The itinerary**

1. Lisbon, 2 nights: Alfama walking tour, a fado dinner, a day trip to Sintra (go early: the Pena Palace queue at 11:00 was an hour).
2. Évora, 1 night: the Roman temple, the bone chapel, an excellent wine bar in the old town.
3. Alentejo wine estate, 2 nights: cellar tour, cooking class, bikes, and absolutely nothing else to do, which is the point.

**Hotels worth knowing**

- Lisbon: a small boutique hotel in Príncipe Real, quiet, a 10-minute walk from the Chiado.
- Évora: a converted convent inside the walls; rooms vary a lot, ask for the cloister side.
- Alentejo: the wine estate has only 18 rooms, so it books out for the harvest in September.

**Who I'd sell it to:** couples, food-and-wine clients, anyone who has "done" Lisbon. Not ideal without a car after Évora.

Happy to answer questions.`,
			edit: [2]string{"a 10-minute walk from the Chiado.", "a 15-minute walk (uphill!) from the Chiado.\n\n_Edit: fixed the walking time. My feet remembered it better than my notes._"}},
		{who: "tomas", after: 4 * hour, body: "Great report, and glad you made it to the Alentejo! One tip for clients: the trains to Évora are fine, but from there a car, or a driver for a day, is the only realistic way to get around the estates."},
		{who: "priya", after: day, body: `Saving this. I have a couple celebrating their 40th anniversary in October who said "somewhere like Tuscany but not Tuscany". This sounds perfect.`},
		{who: "daniel", after: 6 * hour, body: "How did the fado dinner work for a group? We've had mixed feedback: some clients love it, some find it two hours of sad songs and a cold dinner."},
		{who: "sofia", after: 2 * hour, quote: 4, body: "Ha, fair. It works when it's a small place and dinner comes *before* the singing. Ours seated 30 and was lovely, but I'd only sell it to clients who like music."},
	}},
	{cat: "Running an agency", title: "How are you structuring planning fees?", start: 5*day + 11*hour, posts: []post{
		{who: "daniel", body: `We've charged planning fees for six years and are reviewing them for next year. Here's what we charge now:

| Trip | Fee | Credited to the booking? |
| --- | ---: | :---: |
| Flights only | $50 | No |
| Package or cruise | $0 | n/a |
| Tailor-made, up to 14 nights | $250 | Yes |
| Tailor-made, 15+ nights or multi-country | $450 | Yes |
| Groups and weddings | $750 | Partly |

Roughly one enquiry in ten walks away when they hear about the fee, and honestly those were mostly people shopping for an itinerary to book online.

What do you charge, and do you credit the fee against the booking?`},
		{who: "priya", after: 2 * hour, body: "Ours is simpler: £150 for any tailor-made trip, not credited, paid before I start work. Since we introduced it, the \"just getting ideas\" enquiries have almost disappeared, and conversion went from about 30% to over 70%."},
		{who: "sofia", after: 3 * hour, body: "I charge €200 for honeymoons and credit it if they book. Weddings are a flat €1,500 planning fee plus commission; without that the hours just don't add up."},
		{who: "meilin", after: day, body: "On the wholesale side we see it too: agents who charge a fee send us fewer but much better briefs. One suggestion: put the fee on your website. Clients are less surprised when it's public."},
		{who: "jake", after: 5 * hour, body: "Cruise is different for us. We don't charge for standard bookings because the commission covers it, but expedition cruises (Antarctica, Svalbard) carry a £100 fee because of the paperwork."},
		{who: "daniel", after: 2 * hour, quote: 2, body: "70% conversion is impressive. Does the non-credited fee put off repeat clients? We credit ours mainly because our regulars complained."},
		{who: "priya", after: 3 * hour, body: "Repeat clients get it waived from their third trip. They feel looked after, and it costs us less than we thought."},
		{who: "tomas", after: day, body: "Fees are a harder sell culturally here in Portugal, but we've started charging €75 for complex multi-city trips. Nobody has complained yet."},
	}},
	{cat: "Asia & Pacific", title: "Japan in cherry blossom season: hotel allocations already tight", start: 7*day + 8*hour, posts: []post{
		{who: "meilin", body: `Heads-up for anyone selling Japan next spring: our hotel partners in Kyoto and Tokyo have released their allocations for late March to mid-April, and they're about half of what we had this year. Rates are up 20–30% on top.

If you have clients who want the blossoms:

- confirm **now**, even on a refundable rate;
- consider Kanazawa or Takayama instead of Kyoto for two of the nights;
- the late blossoms in Tohoku (mid to late April) are lovely and far quieter.

Rail passes are the other thing: the national pass went up a lot, so do the sums. Point-to-point tickets are often cheaper for a simple Tokyo, Kyoto, Osaka route.`},
		{who: "priya", after: 5 * hour, body: "Thanks Mei Lin, that's exactly the kind of thing we don't hear until it's too late."},
		{who: "jake", after: day, body: "Any idea whether the cruise lines with spring Japan itineraries are affected? I have a client on a Yokohama round trip who wants pre-cruise nights in Kyoto."},
		{who: "meilin", after: 3 * hour, quote: 3, body: "Pre-cruise nights are fine if you book them through the line's land package: they hold separate allocations. Booking independently right now, you'll struggle to find anything under $400 a night in central Kyoto."},
	}},
	{cat: "Suppliers & cruise lines", title: "Northstar Rail agent portal: anyone else locked out since the update?", start: 9*day + 14*hour, posts: []post{
		{who: "priya", body: `Since Northstar Rail updated their agent portal on Monday, two of my consultants can't log in: the password reset email never arrives. The helpline says it's a "known issue", with no date for a fix.

Has anyone found a workaround? We have tickets to issue for a group going to Scotland next week.`},
		{who: "daniel", after: 2 * hour, body: "Same here for one account. What worked for us: reset from a private browser window and use the *agency* email address rather than the consultant's. Something to do with how they migrated accounts."},
		{who: "priya", after: hour, body: "That worked! Thank you, Daniel. Two very relieved consultants here."},
		{who: "hannah", after: 3 * hour, body: "Glad it's sorted. If anyone else hits this, Daniel's tip above is the fix for now."},
	}},
	{cat: "Running an agency", title: "Which booking and CRM software are you using?", start: 11*day + 10*hour, posts: []post{
		{who: "sofia", body: `I'm outgrowing my spreadsheet-and-inbox setup. I need something that keeps client preferences, passport expiry dates and trip documents in one place, and ideally sends reminders (final payment due, passport renewals).

What are you all using? The budget is modest: it's just me and a part-time assistant.`},
		{who: "daniel", after: 3 * hour, body: "We use a travel-specific CRM that connects to our accounting. It isn't cheap (about $90 per user per month), but the automatic payment reminders alone pay for it."},
		{who: "meilin", after: day, body: "Whatever you choose, check that it can export everything as CSV, for example:\n\n```\nclient_id,name,passport_expiry,last_trip\n1042,J. Smith,2027-03-14,Lisbon\n```\n\nMoving data out of a tool is always harder than moving it in."},
		{who: "priya", after: 2 * hour, body: "We tried three. Honestly, the best one was the one the team actually used. Get a trial and run real bookings through it for a month."},
		{who: "sofia", after: day, body: "Thanks, all. Trialling two of them now; I'll report back in a month."},
	}},
	{cat: "The lounge", title: "What was your own best holiday this year?", start: 13*day + 19*hour, posts: []post{
		{who: "jake", body: "Friday evening question. We spend all day sending other people on holiday, so: where did *you* go this year, and would you sell it to a client?\n\nMe: a week walking the Pembrokeshire coast path in the rain, and I loved every minute."},
		{who: "sofia", after: hour, body: "The Azores in June. Whale watching off Pico and hot springs in the rain. Yes, I would sell it, and I have."},
		{who: "tomas", after: 2 * hour, body: "A week of doing nothing at all in a Greek village. No itinerary, no Wi-Fi. I wouldn't sell it: clients would ask what the plan was."},
		{who: "meilin", after: 10 * hour, body: "Hokkaido in February for the snow festival. Cold beyond belief, worth it."},
		{who: "daniel", after: day, body: "Camping in Utah with three kids. Ask me again next year."},
		{who: "hannah", after: 3 * hour, body: "Love these. Mine was Edinburgh in August, which as a Mancunian I'm contractually obliged to describe as \"all right\"."},
	}},
	{cat: "Announcements", title: "New: a members-only deals category", start: 14*day + 9*hour, posts: []post{
		{who: "hannah", body: "We've added **Members' deals**, visible only when you're logged in. Use it for agent rates, fam trip places and supplier offers that shouldn't be public.\n\nPlease include the dates, any conditions, and who to contact. Tomás and I will move deal posts there from other categories."},
		{who: "daniel", after: 5 * hour, body: "Good idea. A category for job openings would be useful too, at some point."},
		{who: "hannah", after: hour, quote: 2, body: "Noted! If there's enough interest we'll add one: tell us in this thread."},
	}},
	{cat: "Members' deals", title: "Agent rates: Porto riverside hotel, 40% off until March", start: 15*day + 9*hour, posts: []post{
		{who: "tomas", body: "A riverside hotel in Porto's Ribeira is offering agent rates at **40% off** the public rate for stays until the end of March (New Year excluded). Up to two stays per agent, with proof of employment.\n\nSend me a private message for the booking contact; they asked us not to post it publicly."},
		{who: "jake", after: 4 * hour, body: "Very tempting for a long weekend. Messaging you now."},
		{who: "sofia", after: day, body: "Booked for February. Thanks, Tomás!"},
	}},
}

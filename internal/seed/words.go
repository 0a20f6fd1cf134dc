package seed

// Word lists for names, profiles and text. The suppliers, agencies and
// hotels are invented so the data never looks like it speaks for a real
// company.

var firstNames = []string{
	"Maria", "João", "Ana", "Pedro", "Sofia", "Lucas", "Emma", "Noah", "Olivia", "Liam",
	"Chloé", "Hugo", "Léa", "Louis", "Giulia", "Marco", "Elena", "Luca", "Francesca", "Matteo",
	"Lena", "Jonas", "Mia", "Felix", "Hannah", "Paul", "Ingrid", "Lars", "Astrid", "Mikkel",
	"Zofia", "Jakub", "Katarzyna", "Tomasz", "Eva", "Petr", "Aoife", "Cian", "Siobhan", "Declan",
	"Priya", "Arjun", "Ananya", "Rohan", "Mei", "Wei", "Yuki", "Haruto", "Ji-woo", "Min-jun",
	"Aisha", "Omar", "Fatima", "Youssef", "Amara", "Kwame", "Zanele", "Thabo", "Nia", "Tunde",
	"Sarah", "James", "Emily", "Michael", "Jessica", "David", "Laura", "Daniel", "Rachel", "Thomas",
	"Grace", "Samuel", "Charlotte", "Oliver", "Amelia", "Harry", "Isabella", "Jack", "Sophie", "George",
	"Camila", "Mateo", "Valentina", "Santiago", "Lucía", "Diego", "Gabriela", "Rafael", "Isabel", "Andrés",
	"Kirra", "Jarrah", "Tama", "Aroha", "Nikos", "Eleni", "Mehmet", "Elif", "Dmitri", "Irina",
}

var lastNames = []string{
	"Silva", "Santos", "Ferreira", "Costa", "Oliveira", "Martin", "Bernard", "Dubois", "Laurent", "Moreau",
	"Rossi", "Russo", "Bianchi", "Romano", "Ricci", "Müller", "Schmidt", "Weber", "Fischer", "Becker",
	"Hansen", "Johansson", "Nielsen", "Lindqvist", "Berg", "Nowak", "Kowalski", "Novák", "Horvat", "Murphy",
	"O'Brien", "Kelly", "Walsh", "Byrne", "Patel", "Sharma", "Iyer", "Reddy", "Chen", "Wang",
	"Tanaka", "Sato", "Kim", "Park", "Nguyen", "Tran", "Haddad", "Mansour", "Okafor", "Mensah",
	"Dlamini", "Nkosi", "Smith", "Jones", "Williams", "Brown", "Taylor", "Wilson", "Evans", "Thomas",
	"Johnson", "Davies", "Clarke", "Hughes", "Wright", "Walker", "Green", "Hall", "Wood", "Turner",
	"García", "Rodríguez", "Fernández", "López", "Martínez", "Gómez", "Díaz", "Herrera", "Castro", "Morales",
	"Papadopoulos", "Yılmaz", "Kaya", "Ivanova", "Petrov", "Ngata", "Walker-Brown", "MacDonald", "Fraser", "Campbell",
}

var jobTitles = []string{
	"Travel Consultant", "Senior Travel Consultant", "Owner", "Managing Director", "Cruise Specialist",
	"Groups Coordinator", "Home-based Travel Advisor", "Luxury Travel Advisor", "Operations Manager",
	"Corporate Travel Manager", "Destination Wedding Specialist", "Product Manager", "Branch Manager",
	"Independent Travel Agent", "Tailor-made Specialist", "Reservations Agent", "Sales Director",
}

var agencies = []string{
	"Bluewave Travel", "Compass Rose Journeys", "Far Horizons Travel", "Atlântico Viagens", "Northern Lights Travel Co.",
	"Monsoon Journeys", "Harbour & Sail Travel", "Lotus Gate Travel", "Via Appia Viaggi", "Brooks & Hale Travel",
	"Sunline Holidays", "Wanderwell Travel", "Meridian Travel Group", "Little Atlas Travel", "Kestrel Journeys",
	"Saltmarsh Travel", "Open Road Travel", "Silk Thread Tours", "Evergreen Escapes", "Cartwright Travel",
	"Azul Viajes", "Fjord & Forest Reisen", "Pacific Drift Travel", "Savannah Trails", "Tidewater Travel",
}

var locations = []string{
	"Lisbon", "Porto", "Madrid", "Barcelona", "Seville", "Paris", "Lyon", "Brussels", "Amsterdam", "Rotterdam",
	"Berlin", "Munich", "Hamburg", "Vienna", "Zurich", "Milan", "Rome", "Bologna", "Athens", "Istanbul",
	"Copenhagen", "Stockholm", "Oslo", "Helsinki", "Warsaw", "Prague", "Dublin", "Cork", "Edinburgh", "Glasgow",
	"London", "Manchester, UK", "Leicester, UK", "Bristol, UK", "Southampton, UK", "Toronto", "Vancouver", "Montréal",
	"New York, NY", "Boston, MA", "Austin, TX", "Denver, CO", "Chicago, IL", "Seattle, WA", "Miami, FL",
	"Mexico City", "Bogotá", "São Paulo", "Buenos Aires", "Cape Town", "Johannesburg", "Nairobi", "Lagos",
	"Dubai", "Mumbai", "Bangalore", "Singapore", "Kuala Lumpur", "Hong Kong", "Tokyo", "Seoul", "Sydney",
	"Melbourne", "Brisbane", "Auckland", "Wellington",
}

var bios = []string{
	"Twenty years in the trade, mostly cruises and long-haul.",
	"Started as a rep in the Algarve, now run a small agency with my sister.",
	"Home-based advisor specialising in family holidays and multi-generation trips.",
	"Corporate travel by day, adventure travel by night.",
	"I sell the trips I would take myself: slow, small hotels, lots of trains.",
	"Groups, weddings and anything with more than ten people and a spreadsheet.",
	"Ex-airline, now tailor-made Asia and Australasia.",
	"Always happy to swap supplier contacts.",
}

var placesEurope = []string{
	"Lisbon", "Porto", "the Algarve", "Madeira", "the Azores", "Seville", "Barcelona", "Mallorca", "Rome",
	"the Amalfi Coast", "Sicily", "Puglia", "Santorini", "Crete", "Dubrovnik", "Reykjavik", "Edinburgh",
	"the Scottish Highlands", "Dublin", "Paris", "Provence", "Vienna", "Prague", "Budapest", "Copenhagen",
	"the Norwegian fjords", "Lapland", "the Swiss Alps", "the Dolomites", "Istanbul",
}

var placesAsia = []string{
	"Bali", "Phuket", "Kyoto", "Tokyo", "Hokkaido", "Hanoi", "Ha Long Bay", "Siem Reap", "Luang Prabang",
	"Sri Lanka", "the Maldives", "Rajasthan", "Kerala", "Singapore", "Borneo", "Sydney", "Queenstown",
	"Fiji", "Tasmania", "the Great Barrier Reef", "Seoul", "Taipei",
}

var placesAmericas = []string{
	"Cancún", "Costa Rica", "Peru", "Patagonia", "New York", "Banff", "Alaska", "Hawaii", "Cuba",
	"the Galápagos", "Cartagena", "Buenos Aires", "Quebec City", "the Caribbean", "Yellowstone",
}

var placesAfricaME = []string{
	"Cape Town", "Zanzibar", "Marrakech", "Dubai", "Jordan", "Oman", "the Serengeti", "Kruger",
	"Namibia", "Egypt", "Mauritius", "the Seychelles",
}

var suppliers = []string{
	"Bluewave Cruises", "Northstar Rail", "Sunmeadow Resorts", "Atlas Air", "Coral Line", "Meridian River Cruises",
	"Harbourlight Hotels", "Kestrel Tours", "Orchid Air", "TerraVista Tours", "Evenwind Sailing", "Polar Crest Expeditions",
	"Greenleaf Transfers", "Solstice Villas", "Azure Sky Airways", "Pinecone Lodges", "Marisol Hotels", "Overland Trails",
}

var hotels = []string{
	"Hotel Miramar", "the Harbour House", "Casa do Rio", "the Grand Pavilion", "Villa Serena", "the Old Customs House",
	"Palácio das Flores", "the Cliffside Lodge", "Hotel Aurora", "the Lantern Inn", "Riad Yasmine", "the Coral Bay Resort",
}

var products = []string{
	"river cruise", "ocean cruise", "safari", "ski holiday", "city break", "honeymoon", "rail journey",
	"self-drive tour", "beach holiday", "small-group tour", "villa stay", "expedition cruise", "wellness retreat",
	"multi-centre trip", "family holiday",
}

var clients = []string{
	"a couple in their sixties", "a family of five", "two first-time cruisers", "a group of twelve friends",
	"a solo traveller", "a honeymoon couple", "a multi-generation family", "a corporate incentive group",
	"a client with limited mobility", "a school group", "regular clients of ours", "a wedding party",
}

var months = []string{
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December",
}

var seasons = []string{"spring", "summer", "autumn", "winter"}

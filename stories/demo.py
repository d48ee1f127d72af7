"""Demo content for `manage.py seed_demo`: a fictional port city, written for this project.

No real people are named; officials are named by role. URLs point at example.org hosts.
"""

USERS = [
    # username, first name, last name, group, superuser
    ("writer", "Demo", "Writer", "Writers", False),
    ("reviewer", "Demo", "Reviewer", "Reviewers", False),
    ("reviewer2", "Second", "Reviewer", "Reviewers", False),
    ("editor", "Demo", "Editor", "Editors", True),
]

SOURCES = [
    {"key": "port-annual-2025", "kind": "report", "outlet": "Eastmere Port Authority",
     "title": "Annual Report 2025: Throughput, Finances and Fleet Renewal",
     "url": "https://port.example.org/reports/annual-2025", "published_on": "2026-03-14"},
    {"key": "council-minutes-0412", "kind": "filing", "outlet": "Eastmere City Council",
     "title": "Minutes of the Harbour Committee, 12 April 2026",
     "url": "https://council.example.org/minutes/harbour-2026-04-12", "published_on": "2026-04-15"},
    {"key": "ledger-cranes", "kind": "article", "outlet": "The Harbour Ledger",
     "title": "Electric cranes arrive at Berth 4 after two-year delay",
     "url": "https://ledger.example.org/2026/05/electric-cranes-berth-4",
     "published_on": "2026-05-02"},
    {"key": "stats-freight-q1", "kind": "dataset", "outlet": "National Statistics Office",
     "title": "Port freight statistics, first quarter 2026",
     "url": "https://stats.example.org/datasets/port-freight-2026-q1",
     "published_on": "2026-05-20"},
    {"key": "dockers-union-pr", "kind": "press_release", "outlet": "Eastmere Dockworkers' Union",
     "title": "Union welcomes retraining guarantee for crane operators",
     "url": "https://union.example.org/news/retraining-guarantee", "published_on": "2026-04-18"},
    {"key": "env-agency-air", "kind": "report", "outlet": "Regional Environment Agency",
     "title": "Air quality around Eastmere harbour, 2020-2025",
     "url": "https://environment.example.org/air/eastmere-harbour-2020-2025",
     "published_on": "2026-02-10"},
    {"key": "operator-filing", "kind": "filing", "outlet": "Eastmere Terminals plc",
     "title": "Half-year results and capital expenditure statement",
     "url": "https://terminals.example.org/investors/half-year-2026", "published_on": "2026-07-29"},
    {"key": "freight-weekly-grid", "kind": "article", "outlet": "Freight Weekly",
     "title": "Ports race to secure grid capacity for electrified quays",
     "url": "https://freightweekly.example.org/grid-capacity-quays", "published_on": "2026-06-11"},
    {"key": "interview-harbourmaster", "kind": "interview", "outlet": "Newsroom",
     "title": "Interview with the Eastmere harbourmaster",
     "url": "", "description": "Recorded phone interview with the harbourmaster's office, "
     "9 August 2026; recording and notes in the newsroom's shared drive."},
    {"key": "grid-operator-notice", "kind": "press_release", "outlet": "Coastal Grid",
     "title": "Connection agreement signed for Eastmere harbour substation",
     "url": "https://grid.example.org/notices/eastmere-substation", "published_on": "2026-06-30"},
    {"key": "ledger-ferry", "kind": "article", "outlet": "The Harbour Ledger",
     "title": "Night ferry to the islands returns for the summer",
     "url": "https://ledger.example.org/2026/06/night-ferry-returns", "published_on": "2026-06-05"},
    {"key": "tourism-board-survey", "kind": "report", "outlet": "Eastmere Tourism Board",
     "title": "Visitor survey 2025",
     "url": "https://tourism.example.org/research/visitor-survey-2025",
     "published_on": "2026-01-22"},
    {"key": "ferry-timetable", "kind": "dataset", "outlet": "Island Ferries",
     "title": "Summer timetable 2026",
     "url": "https://ferries.example.org/timetables/summer-2026", "published_on": "2026-05-01"},
    {"key": "council-budget-2026", "kind": "filing", "outlet": "Eastmere City Council",
     "title": "Budget book 2026/27: transport and harbour",
     "url": "https://council.example.org/budget/2026-27/transport", "published_on": "2026-02-28"},
    {"key": "seawall-study", "kind": "report", "outlet": "Coastal Engineering Institute",
     "title": "Eastmere seawall condition survey",
     "url": "https://coastal.example.org/studies/eastmere-seawall", "published_on": "2025-11-03"},
]

CRANES_TITLE = "Eastmere's electric cranes cut harbour emissions, but the grid is the bottleneck"
CRANES_DEK = ("Four electric ship-to-shore cranes are now working at Berth 4. Port figures show "
              "lower diesel use; the harder question is whether the grid can keep up.")
CRANES_BODY = """\
Eastmere's container port has switched its busiest berth to electric cranes, two years later \
than first promised [@ledger-cranes]. The four ship-to-shore cranes at Berth 4 replaced diesel \
machines that had been working the quay since the 1990s [@port-annual-2025, p. 12].

The port authority says the new cranes used 38% less energy per container moved in their first \
three months than the machines they replaced [@port-annual-2025, p. 14]. Throughput held up \
during the changeover: the port handled 412,000 containers in 2025, up 3.1% on the year before \
[@port-annual-2025, p. 6; @stats-freight-q1].

## What the cranes cost

The project cost 84 million euros, of which the city contributed 12 million euros through its \
harbour fund [@council-minutes-0412; @council-budget-2026, p. 41]. The terminal operator paid \
the rest and told investors it expects the cranes to pay for themselves within nine years \
[@operator-filing, p. 7].

Councillors on the harbour committee approved the city's share by seven votes to two \
[@council-minutes-0412]. Those who voted against said the money would have been better spent on \
the seawall, which an engineering survey rated "poor" along 600 metres of its length \
[@seawall-study, p. 3].

## Cleaner air on the waterfront

Diesel cranes were one of the largest sources of nitrogen dioxide on the waterfront, according \
to the regional environment agency [@env-agency-air, p. 22]. Its monitoring station at the \
harbour gate recorded an annual average of 41 micrograms per cubic metre in 2023, above the \
legal limit of 40 [@env-agency-air, p. 9].

The agency has not yet published figures for the months since the electric cranes started \
work. Residents' groups have asked for a second monitoring station closer to the terraces on \
Quay Street, and the port authority says it will fund one [@port-annual-2025, p. 31].

## The people who run them

Crane operators were the group most worried by the change. The dockworkers' union says every \
one of the 46 operators who worked the old cranes has been offered retraining, with pay \
protected during the course [@dockers-union-pr]. The union called the agreement "a model for \
the rest of the coast" [@dockers-union-pr].

The harbourmaster's office said the electric cranes are quieter and need less maintenance, \
and that the first breakdown came after eleven weeks of work [@interview-harbourmaster].

- The new cranes lift up to 65 tonnes under the spreader [@operator-filing, p. 9].
- Each crane draws up to 2.4 megawatts at peak [@freight-weekly-grid].
- The old diesel cranes are being sold to a port overseas [@ledger-cranes].

## The grid is the bottleneck

The harder problem is power. Berth 4 runs on a temporary connection that cannot serve all four \
cranes at full load at the same time [@freight-weekly-grid]. Coastal Grid signed an agreement \
in June to build a new harbour substation, due to be energised in 2028 [@grid-operator-notice].

Until then, the terminal schedules the heaviest lifts so that no more than three cranes draw \
peak power at once, which the operator says costs about four minutes per ship call \
[@operator-filing, p. 11]. Freight Weekly reports that at least five other ports on the coast \
are waiting for similar connections [@freight-weekly-grid].

> Electrifying the quay was the easy part. Getting the megawatts to it is the project \
that will take the rest of the decade [@freight-weekly-grid].

The port authority plans to electrify Berths 2 and 3 next, but only once the substation is \
running [@port-annual-2025, p. 33; @grid-operator-notice]. Its annual report puts the cost of \
that second phase at 120 million euros, with no funding yet agreed [@port-annual-2025, p. 34].

## Who pays for the power

Electric cranes move the port's energy bill from diesel to electricity. The terminal operator \
says its electricity costs rose by 2.9 million euros in the first half of 2026, while its fuel \
bill fell by 4.1 million euros over the same period [@operator-filing, p. 8]. The operator does \
not say how much of the saving came from the cranes and how much from lower fuel prices.

The city's budget book sets aside 1.5 million euros a year for the harbour's share of grid \
reinforcement from 2027 [@council-budget-2026, p. 43]. Councillors asked at the April meeting \
whether that sum would rise if the substation is delayed; officers said they would report back \
in the autumn [@council-minutes-0412].

## What happens to the old cranes

The four diesel cranes are being dismantled on the quay and shipped overseas in sections \
[@ledger-cranes]. The port authority says the sale raised 3.6 million euros, which it will put \
towards the second phase of electrification [@port-annual-2025, p. 35]. The operator expects \
the last of the old machines to leave Eastmere by the end of the year [@operator-filing, p. 9].

## Ferries and the outer berths

Electrification has so far been limited to container traffic. The ferry berths at the eastern \
end of the harbour still rely on ships running their own engines while they are alongside, \
which the environment agency lists as the second-largest source of nitrogen dioxide on the \
waterfront [@env-agency-air, p. 23]. Shore power for ferries is not in the port's current \
investment plan, although the annual report says it will be "considered once grid capacity \
allows" [@port-annual-2025, p. 36].

## What readers can check

Every figure in this story is linked to its source in the numbered list below. The \
environment agency's monitoring data, the council minutes and the port's annual report are all \
public documents. The interview with the harbourmaster's office was recorded with permission.
"""

FERRY_TITLE = "Night ferry to the islands returns for the summer"
FERRY_DEK = "The late sailing is back after a year's absence, with two departures a week."
FERRY_BODY = """\
The night ferry from Eastmere to the outer islands is running again this summer, after a year \
in which it was cut to save fuel [@ledger-ferry]. Sailings leave at 22:30 on Fridays and \
Saturdays until the end of September [@ferry-timetable].

The tourism board says one visitor in five to the islands arrived on a late boat before the \
service was suspended [@tourism-board-survey, p. 8].
"""

SEAWALL_TITLE = "Seawall repairs: what the survey found"
SEAWALL_DEK = ("A condition survey rates part of the harbour seawall poor. "
               "The council has not yet budgeted for repairs.")
SEAWALL_BODY = """\
An engineering survey of Eastmere's seawall found 600 metres in poor condition \
[@seawall-study, p. 3]. The council's budget for 2026/27 includes no money for repairs \
[@council-budget-2026].

Repairs could cost 30 million euros, according to an estimate still being checked [@estimate-tbc].
"""

"""A simulated public for the sandbox network: residents, local press, community groups and staff talking
about the organisation's services, with praise, questions and complaints, quiet nights and sudden bursts.

`SandboxPublic(seed).posts(now, count)` is deterministic for a seed, so tests can rely on it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from townsquare.posts.normalise import AuthorRecord, PostRecord

TOPICS: dict[str, dict[str, list[str]]] = {
    "bins": {
        "complaint": [
            "Bin collection missed again on {street}. Third week running. {handle} what is going on?",
            "Our recycling has sat on {street} since Monday. {handle} please sort this out #bins",
        ],
        "question": [
            "{handle} is the garden waste collection still running this week on {street}?",
            "Does anyone know if bins are collected on the bank holiday? {handle}",
        ],
        "praise": [
            "Shout out to the bin crew on {street} this morning, always cheerful {handle}",
            "Bins collected early and they even put the lids back. Thanks {handle}!",
        ],
    },
    "roads": {
        "complaint": [
            "Huge pothole on {street} nearly took my tyre off. {handle} when will it be fixed? #potholes",
            "{handle} the road closure on {street} has no diversion signs at all, total chaos",
        ],
        "question": [
            "{handle} how long will the roadworks on {street} last?",
            "Is {street} open again after the resurfacing? {handle}",
        ],
        "praise": ["{street} resurfaced in two days, impressive work {handle}"],
    },
    "floods": {
        "complaint": [
            "{street} flooded again and the drains are blocked. {handle} we reported this last month #flood",
            "Water coming up through the drains on {street}. Nobody answering the phone {handle} #flooding",
        ],
        "question": [
            "{handle} where can we get sandbags near {street}? #flood",
            "Is the {place} open as a rest centre tonight? {handle} #floodwarning",
        ],
        "praise": ["Council teams out clearing drains on {street} in the rain. Thank you {handle} #flood"],
    },
    "events": {
        "complaint": ["Tickets for the {event} sold out in minutes, why no more dates {handle}?"],
        "question": [
            "{handle} is the {event} at {place} still on if it rains?",
            "What time does the {event} start on Saturday? {handle}",
        ],
        "praise": [
            "Brilliant {event} at {place} today, well done {handle} and all the volunteers!",
            "The kids loved the {event}. More of this please {handle} #community",
        ],
    },
    "libraries": {
        "complaint": ["{place} closed without notice again. {handle} the website still says open"],
        "question": ["{handle} can I renew library books online or do I need to visit {place}?"],
        "praise": ["Lovely story time at {place} this morning, the staff are wonderful {handle}"],
    },
}
INFORMATION = [
    "Road closure on {street} from 9am tomorrow for gas works, plan ahead #traffic",
    "Volunteers needed for the litter pick at {place} on Sunday, all welcome #community",
    "Reminder: council tax bills arrive this week, direct debit saves time",
    "New play equipment installed at {place}, opening to families next week",
]
STREETS = [
    "Mill Lane",
    "Station Road",
    "Church Street",
    "Park Avenue",
    "Victoria Road",
    "High Street",
    "Riverside Walk",
    "Orchard Close",
]
PLACES = ["Northfield Library", "Riverside Park", "the Civic Centre", "Greenway Community Hall", "Market Square"]
EVENTS = ["summer fair", "lantern parade", "farmers market", "Christmas lights switch-on", "family fun day"]


@dataclass(frozen=True)
class Persona:
    handle: str
    display_name: str
    kind: str  # resident, press, community, staff
    followers: int


PERSONAS = [
    Persona("jo_mill_lane", "Jo Parker", "resident", 212),
    Persona("ravi_s", "Ravi Sharma", "resident", 1045),
    Persona("grandadgeoff", "Geoff", "resident", 38),
    Persona("amira_k", "Amira Khan", "resident", 530),
    Persona("tomw_cycles", "Tom Walsh", "resident", 1890),
    Persona("sue_allotments", "Sue Bennett", "resident", 96),
    Persona("northfield_echo", "Northfield Echo", "press", 24800),
    Persona("radio_northfield", "Radio Northfield", "press", 15200),
    Persona("greenway_hall", "Greenway Community Hall", "community", 2100),
    Persona("friends_of_riverside", "Friends of Riverside Park", "community", 3400),
    Persona("northfield_foodbank", "Northfield Foodbank", "community", 5600),
    Persona("libby_librarian", "Libby (Northfield Libraries)", "staff", 780),
]
KIND_WEIGHTS = {"complaint": 3, "question": 3, "praise": 2}


class SandboxPublic:
    """Produces posts addressed to, or about, the organisation's sandbox channels."""

    def __init__(self, seed: int | None = None, *, org_handles: list[str]) -> None:
        self.random = random.Random(seed)
        self.org_handles = org_handles or ["council"]
        self.burst_topic: str | None = None
        self.burst_left = 0

    def rate_per_minute(self, now: datetime) -> float:
        """Quiet at night, busier at commuting and lunch hours, much busier in a burst."""
        hour = now.hour
        base = 1.0 if 0 <= hour < 6 else 6.0 if hour in (8, 12, 13, 17, 18) else 3.0
        return base * (5 if self.burst_left else 1)

    def posts(self, now: datetime, count: int) -> list[PostRecord]:
        return [self.post(now - timedelta(seconds=self.random.randint(0, 20))) for _ in range(count)]

    def post(self, when: datetime) -> PostRecord:
        pick = self.random
        if not self.burst_left and pick.random() < 0.02:
            self.burst_topic, self.burst_left = pick.choice(["floods", "roads", "bins"]), pick.randint(10, 30)
        persona = pick.choice(PERSONAS)
        handle = "@" + pick.choice(self.org_handles)
        if persona.kind in {"press", "community"} and pick.random() < 0.5:
            text, kind, topic = pick.choice(INFORMATION), "information", "information"
        else:
            topic = self.burst_topic if self.burst_left else pick.choice(list(TOPICS))
            kinds = [name for name in KIND_WEIGHTS if name in TOPICS[topic]]
            kind = (
                "complaint"
                if self.burst_left and pick.random() < 0.7
                else pick.choices(kinds, weights=[KIND_WEIGHTS[name] for name in kinds])[0]
            )
            text = pick.choice(TOPICS[topic][kind])
        if self.burst_left:
            self.burst_left -= 1
        text = text.format(
            handle=handle, street=pick.choice(STREETS), place=pick.choice(PLACES), event=pick.choice(EVENTS)
        )
        return PostRecord(
            network="sandbox",
            external_id=f"sim-{when:%Y%m%d%H%M%S}-{pick.getrandbits(48):012x}",
            author=AuthorRecord(
                external_id=persona.handle,
                handle=persona.handle,
                display_name=persona.display_name,
                followers=persona.followers,
                location="Northfield",
                country="GB",
            ),
            created_at=when,
            text=text,
            language="en",
            hashtags=[word[1:].lower().strip(".,!?") for word in text.split() if word.startswith("#")],
            mentions=[word[1:].lower().strip(".,!?") for word in text.split() if word.startswith("@")],
            extra={"simulated": {"persona": persona.kind, "topic": topic, "kind": kind}},
        )

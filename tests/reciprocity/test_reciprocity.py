"""Reciprocity: a constructed week of Northfield's posts, counted exactly; week edges across the spring DST
change in Europe/London; the calendar page and the stats command; other organisations never count."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_channel, store_posts
from townsquare.publishing.reciprocity import Week, has_call_to_action, reciprocity_weeks

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 3, 12, 0, tzinfo=UTC)  # Friday of the week starting Monday 30 March (BST)
WEEK = date(2026, 3, 30)


def at(day: int, hour: int = 9, minute: int = 0) -> str:
    return datetime(2026, 3 if day > 20 else 4, day, hour, minute, tzinfo=UTC).isoformat()


@pytest.fixture
def week_of_posts(organisation):
    make_channel(organisation, handle="council")
    make_channel(organisation, handle="CouncilNews")
    store_posts(
        organisation,
        # Other people's posts, which never count on either side.
        {"id": "r1", "author": "alice", "text": "Bins missed again on Elm Road", "created_at": at(30, 7)},
        {"id": "r2", "author": "bob", "text": "Lovely new benches in the park", "created_at": at(30, 7, 5)},
        {
            "id": "g1",
            "author": "NorthfieldGardens",
            "text": "Litter pick Saturday, all welcome",
            "created_at": at(30, 7, 10),
        },
        {"id": "p1", "author": "localpress", "text": "Council budget: what it means", "created_at": at(30, 7, 15)},
        {
            "id": "r3",
            "author": "alice",
            "in_reply_to": "o1",
            "text": "Please share this with Elm Road!",
            "created_at": at(31),
        },
        {"id": "r4", "author": "councillor_jo", "text": "Tell us what you think", "created_at": at(31)},
        # The organisation's originals: four asks, two with a call to action.
        {"id": "o1", "author": "council", "text": "Bin collections change next week.", "created_at": at(30, 8)},
        {"id": "o2", "author": "Council", "text": "Have your say on the park plans", "created_at": at(31, 10)},
        {"id": "o3", "author": "councilnews", "text": "Please  SHARE: road closures", "created_at": at(1, 10)},
        {"id": "o4", "author": "council", "text": "Voters' guide published", "created_at": at(2, 10)},
        # Six gives: two replies to alice, one to bob, a share, a quote, a reply to a post never stored.
        {
            "id": "c1",
            "author": "council",
            "in_reply_to": "r1",
            "text": "Sorry, a crew is on its way",
            "created_at": at(30, 9),
        },
        {"id": "c2", "author": "councilnews", "in_reply_to": "r1", "text": "Collected now", "created_at": at(30, 15)},
        {"id": "c3", "author": "council", "in_reply_to": "r2", "text": "Thank you!", "created_at": at(31, 9)},
        {"id": "c4", "author": "council", "shared": "g1", "created_at": at(1, 9)},
        {"id": "c5", "author": "council", "quoted": "p1", "text": "Our answers", "created_at": at(2, 9)},
        {"id": "c6", "author": "council", "in_reply_to": "never-stored", "text": "Thanks", "created_at": at(2, 11)},
        # Upkeep, not giving: a reply to its own post; and re-sharing its own ask is neither.
        {
            "id": "u1",
            "author": "CouncilNews",
            "in_reply_to": "o1",
            "text": "Tell us if unsure",
            "created_at": at(1, 11),
        },
        {"id": "u2", "author": "council", "shared": "o2", "created_at": at(1, 12)},
    )
    return organisation


def test_a_constructed_week_is_counted_exactly(week_of_posts):
    (week,) = reciprocity_weeks(organisation=week_of_posts, weeks=1, now=NOW)
    assert (week.start, week.iso_week) == (WEEK, "2026-W14")
    assert (week.gives, week.asks, week.asks_with_call, week.replies_to_own) == (6, 4, 2, 1)
    assert week.ratio == 1.5
    assert week.verdict == "giving as much as asking"
    assert [(a.handle, a.times) for a in week.engaged] == [
        ("alice", 2),
        ("bob", 1),
        ("localpress", 1),
        ("northfieldgardens", 1),
    ]
    assert [ask.text for ask in week.calls] == ["Please  SHARE: road closures", "Have your say on the park plans"]


def test_weeks_are_newest_first_and_empty_weeks_are_quiet(week_of_posts):
    weeks = reciprocity_weeks(organisation=week_of_posts, weeks=3, now=NOW)
    assert [w.start for w in weeks] == [WEEK, date(2026, 3, 23), date(2026, 3, 16)]
    assert (weeks[1].gives, weeks[1].asks, weeks[1].ratio, weeks[1].verdict) == (0, 0, None, "quiet week")


@pytest.mark.parametrize(
    ("gives", "asks", "ratio", "verdict"),
    [
        (2, 2, 1.0, "giving as much as asking"),
        (1, 2, 0.5, "asking a little more than giving"),
        (1, 3, 0.33, "mostly asking"),
        (3, 0, None, "giving without asking"),
    ],
)
def test_verdict_thresholds(gives, asks, ratio, verdict):
    week = Week(start=WEEK, gives=gives, asks=asks)
    assert (week.ratio, week.verdict) == (ratio, verdict)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please RT and let us\nknow", True),
        ("Sign up for the garden waste service", True),
        ("Follow us for updates; click the link", True),
        ("We would like to thank the volunteers", False),
        ("Votes are being counted; signup closed", False),
        ("Shared ownership homes", False),
    ],
)
def test_calls_to_action_are_whole_words_in_any_case(text, expected):
    assert has_call_to_action(text) is expected


def test_week_edges_follow_london_time_across_the_clock_change(organisation):
    make_channel(organisation, handle="council")
    store_posts(
        organisation,
        # Sunday 22 March 23:30 GMT: still the week of 16 March.
        {"id": "a1", "author": "council", "text": "one", "created_at": "2026-03-22T23:30:00Z"},
        # Clocks go forward on 29 March; Sunday 23:59 BST is 22:59 UTC, the week of 23 March...
        {"id": "a2", "author": "council", "text": "two", "created_at": "2026-03-29T22:59:00Z"},
        # ...and 23:30 UTC is already Monday 30 March 00:30 BST.
        {"id": "a3", "author": "council", "text": "three", "created_at": "2026-03-29T23:30:00Z"},
        {"id": "a4", "author": "council", "text": "four", "created_at": "2026-03-30T00:30:00Z"},
    )
    weeks = reciprocity_weeks(organisation=organisation, weeks=3, now=datetime(2026, 3, 31, tzinfo=UTC))
    assert [(w.start, w.asks) for w in weeks] == [(WEEK, 2), (date(2026, 3, 23), 1), (date(2026, 3, 16), 1)]


def test_other_organisations_posts_never_count(week_of_posts, other_organisation):
    make_channel(other_organisation, handle="council")
    store_posts(
        other_organisation,
        {"id": "x1", "author": "council", "text": "Please share our survey", "created_at": at(31)},
        {"id": "x2", "author": "council", "in_reply_to": "x1", "text": "Vote", "created_at": at(31)},
        {"id": "x3", "author": "council", "in_reply_to": "r1", "text": "Hello", "created_at": at(31)},
    )
    # Northfield replies to a post that only Southby stored, written by Southby's own channel: to Northfield it
    # is someone else's (never stored) post, so a give, not upkeep.
    store_posts(week_of_posts, {"id": "c7", "author": "council", "in_reply_to": "x1", "created_at": at(2)})
    (week,) = reciprocity_weeks(organisation=week_of_posts, weeks=1, now=NOW)
    assert (week.gives, week.asks, week.asks_with_call, week.replies_to_own) == (7, 4, 2, 1)
    (theirs,) = reciprocity_weeks(organisation=other_organisation, weeks=1, now=NOW)
    assert (theirs.gives, theirs.asks, theirs.asks_with_call, theirs.replies_to_own) == (1, 1, 1, 1)
    assert theirs.engaged == []


def test_without_channels_nothing_counts(organisation):
    store_posts(organisation, {"id": "o1", "author": "council", "text": "Have your say", "created_at": at(31)})
    (week,) = reciprocity_weeks(organisation=organisation, weeks=1, now=NOW)
    assert (week.gives, week.asks) == (0, 0)


def test_calendar_page_shows_the_give_and_ask_table(week_of_posts, client_for):
    path = reverse("calendar", kwargs={"org_slug": week_of_posts.slug})
    page = client_for("viewer").get(path + "?date=2026-04-01").content.decode()
    assert '<h2 id="give-and-ask">Give and ask</h2>' in page
    assert "<caption>Gives and asks per week" in page
    assert '<th scope="col">Asks with a call to action</th>' in page
    assert '<th scope="row"><time datetime="2026-W14">30 Mar 2026</time></th>' in page
    assert "<td>6</td><td>4</td><td>2</td>\n      <td>1.5</td><td>giving as much as asking</td>" in page
    assert "@alice (sandbox), 2 times" in page
    assert "Have your say on the park plans" in page
    assert page.count('<th scope="row">') == 8
    # A week before any posts: the table is there, every week quiet.
    earlier = client_for("viewer").get(path + "?date=2026-01-07").content.decode()
    assert "<td>6</td>" not in earlier and earlier.count("quiet week") == 9


def test_stats_command_prints_the_weeks_as_json(week_of_posts, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = StringIO()
    call_command("stats", "reciprocity", "--org", week_of_posts.slug, "--json", "--weeks", "2", stdout=out)
    weeks = json.loads(out.getvalue())["weeks"]
    assert [w["iso_week"] for w in weeks] == ["2026-W14", "2026-W13"]
    first = weeks[0]
    assert (first["gives"], first["asks"], first["asks_with_call"], first["replies_to_own"]) == (6, 4, 2, 1)
    assert (first["ratio"], first["verdict"], first["start"]) == (1.5, "giving as much as asking", "2026-03-30")
    assert first["engaged"][0] == {"network": "sandbox", "handle": "alice", "times": 2}
    assert first["calls"][0]["created_at"] == "2026-04-01T10:00:00+00:00"

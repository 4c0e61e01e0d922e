"""Recurring posting slots: computed occurrences at the local wall-clock time, open slots on the calendar,
"Fill this slot", and the page that manages them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from unittest import mock

import pytest
from django.urls import reverse
from icalendar import Calendar

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.feeds import subscription_rotate
from townsquare.publishing.models import Campaign, PostingSlot, PostStatus, ScheduledPost
from townsquare.publishing.slots import open_slots, slot_occurrences, slot_save

pytestmark = pytest.mark.django_db

LONDON = "Europe/London"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def london(organisation):
    organisation.time_zone = LONDON
    organisation.save()


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


@pytest.fixture
def spotlight(organisation, channel):
    theme = Campaign.objects.create(organisation=organisation, name="Community spotlight", colour="#1e6b34")
    slot = PostingSlot(organisation=organisation, name="Spotlight", weekdays=[1], local_time=time(10, 0))
    return slot_save(slot=slot, channels=[channel], campaign=theme)


def url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


def test_occurrences_keep_the_wall_clock_time_across_both_clock_changes(spotlight):
    march = slot_occurrences(slots=[spotlight], first=date(2026, 3, 23), after=date(2026, 4, 1), time_zone=LONDON)
    october = slot_occurrences(slots=[spotlight], first=date(2026, 10, 19), after=date(2026, 10, 28), time_zone=LONDON)
    # Tuesdays either side of Sunday 29 March and Sunday 25 October 2026.
    assert [o.at for o in march] == [datetime(2026, 3, 24, 10, 0, tzinfo=UTC), datetime(2026, 3, 31, 9, 0, tzinfo=UTC)]
    assert [o.at for o in october] == [
        datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 10, 0, tzinfo=UTC),
    ]
    assert {f"{o.local:%H:%M}" for o in march + october} == {"10:00"}
    assert not any(o.moved_by_clock_change for o in march + october)


def test_a_time_the_clocks_skip_moves_on_with_the_clocks_and_says_so(organisation):
    night = PostingSlot(organisation=organisation, name="Night owls", weekdays=[6], local_time=time(1, 30))
    slot_save(slot=night, channels=[], campaign=None)
    (spring,) = slot_occurrences(slots=[night], first=date(2026, 3, 29), after=date(2026, 3, 30), time_zone=LONDON)
    (autumn,) = slot_occurrences(slots=[night], first=date(2026, 10, 25), after=date(2026, 10, 26), time_zone=LONDON)
    assert spring.moved_by_clock_change and f"{spring.local:%H:%M}" == "02:30"
    assert spring.at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 01:30 happens twice in October: the first, still in summer time.
    assert not autumn.moved_by_clock_change and autumn.at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_slot_is_open_until_a_post_on_its_channel_fills_it(organisation, channel, spotlight):
    other = make_channel(organisation, handle="northfieldlibraries")
    week = {"first": date(2026, 3, 23), "after": date(2026, 4, 6)}
    assert [o.day for o in open_slots(organisation=organisation, now=NOW, **week)] == [
        date(2026, 3, 24),
        date(2026, 3, 31),
    ]
    make_post(organisation, other, at=datetime(2026, 3, 24, 10, 0, tzinfo=UTC))  # another channel: still open
    make_post(organisation, channel, at=datetime(2026, 3, 31, 9, 0, tzinfo=UTC), status=PostStatus.DRAFT)
    assert [o.day for o in open_slots(organisation=organisation, now=NOW, **week)] == [date(2026, 3, 24)]
    # Past occurrences are not offered.
    later = datetime(2026, 3, 25, tzinfo=UTC)
    assert open_slots(organisation=organisation, now=later, **week) == []


def test_calendar_shows_open_slots_in_week_and_month_with_a_fill_link(client_for, organisation, channel, spotlight):
    client = client_for("contributor")
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        week = client.get(url("calendar", organisation) + "?date=2026-03-31").content.decode()
        month = client.get(url("calendar", organisation) + "?view=month&date=2026-03-01").content.decode()
    assert "Open slot" in week and "Spotlight" in week
    fill = (
        url("compose", organisation)
        + f"?at=2026-03-31T10%3A00&amp;channel={channel.id}&amp;campaign={spotlight.campaign_id}"
    )
    assert fill in week and fill in month
    assert month.count("Open slot") == 2  # 24 and 31 March; 17 March is past


def test_fill_this_slot_prefills_a_draft_and_the_draft_fills_the_slot(client_for, organisation, channel, spotlight):
    client = client_for("contributor")
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = client.get(
            url("compose", organisation) + f"?at=2026-03-31T10:00&channel={channel.id}&campaign={spotlight.campaign_id}"
        ).content.decode()
        assert 'value="2026-03-31T10:00"' in page
        assert f'value="{channel.id}" id="channel-{channel.id}"' in page and "checked" in page
        assert f'<option value="{spotlight.campaign_id}" selected>' in page
        response = client.post(
            url("compose", organisation),
            {
                "channels": [channel.id],
                "text": "Meet the volunteers",
                "at": "2026-03-31T10:00",
                "campaign": spotlight.campaign_id,
                "action": "draft",
            },
        )
        assert response.status_code == 302
        post = ScheduledPost.objects.get(text="Meet the volunteers")
        assert post.scheduled_at == datetime(2026, 3, 31, 9, 0, tzinfo=UTC) and post.campaign == spotlight.campaign
        week = client.get(url("calendar", organisation) + "?date=2026-03-31").content.decode()
    assert "2026-03-31T10%3A00" not in week


def test_editors_create_edit_and_delete_slots(client_for, organisation, channel):
    client = client_for("editor")
    response = client.post(
        url("posting_slot_create", organisation),
        {"name": "Bin reminders", "weekdays": ["0", "3"], "local_time": "08:15", "channels": [channel.id]},
    )
    assert response.status_code == 302
    slot = PostingSlot.objects.get(organisation=organisation)
    assert slot.weekdays == [0, 3] and slot.local_time == time(8, 15) and list(slot.channels.all()) == [channel]
    page = client.get(url("posting_slots", organisation)).content.decode()
    assert "Bin reminders" in page and "Monday, Thursday" in page and "08:15" in page

    assert client.get(url("posting_slot", organisation, slot_id=slot.id)).status_code == 200
    client.post(
        url("posting_slot", organisation, slot_id=slot.id), {"name": "Bins", "weekdays": ["4"], "local_time": "09:00"}
    )
    slot.refresh_from_db()
    assert (slot.name, slot.weekdays, slot.local_time, list(slot.channels.all())) == ("Bins", [4], time(9, 0), [])

    assert client.post(url("posting_slot_delete", organisation, slot_id=slot.id)).status_code == 302
    assert not PostingSlot.objects.exists()


def test_bad_slots_are_refused_saying_what_and_where(client_for, organisation):
    response = client_for("editor").post(url("posting_slot_create", organisation), {"name": "", "local_time": "25:00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose at least one day of the week." in body and 'id="slot-time-error"' in body
    assert 'id="slot-name-error"' in body and not PostingSlot.objects.exists()


def test_another_organisations_channel_or_campaign_is_refused(organisation, other_organisation):
    southby = make_channel(other_organisation, handle="southbycc")
    slot = PostingSlot(organisation=organisation, name="Spotlight", weekdays=[1], local_time=time(10, 0))
    with pytest.raises(Exception, match="channels: not this organisation's channels"):
        slot_save(slot=slot, channels=[southby], campaign=None)


@pytest.mark.parametrize("who", ["contributor", "viewer"])
def test_only_approvers_manage_slots(client_for, organisation, spotlight, who):
    client = client_for(who)
    page = client.get(url("posting_slots", organisation))
    assert page.status_code == 200 and "Spotlight" in page.content.decode() and "New slot" not in page.content.decode()
    assert (
        client.post(
            url("posting_slot_create", organisation), {"name": "X", "weekdays": ["1"], "local_time": "10:00"}
        ).status_code
        == 403
    )
    assert client.post(url("posting_slot_delete", organisation, slot_id=spotlight.id)).status_code == 403
    assert PostingSlot.objects.count() == 1


def test_both_calendar_feeds_show_the_open_slots_of_the_coming_weeks(
    client, client_for, organisation, channel, spotlight, people
):
    make_post(organisation, channel, at=datetime(2026, 3, 24, 10, 0, tzinfo=UTC))  # fills the first Tuesday
    token = subscription_rotate(organisation=organisation, actor=people["admin"])
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        members = Calendar.from_ical(client_for("viewer").get(url("calendar_ics", organisation)).content)
        subscribed = Calendar.from_ical(
            client.get(reverse("calendar_subscription", kwargs={"org_slug": organisation.slug, "token": token})).content
        )
    for feed in (members, subscribed):
        slots = [event for event in feed.walk("VEVENT") if str(event["summary"]) == "Open slot: Spotlight"]
        # 31 March at 10:00 London is 09:00 UTC (summer time); 24 March is filled; four weeks ahead only.
        assert [event.decoded("dtstart") for event in slots] == [
            datetime(2026, 3, 31, 9, 0, tzinfo=UTC),
            datetime(2026, 4, 7, 9, 0, tzinfo=UTC),
            datetime(2026, 4, 14, 9, 0, tzinfo=UTC),
        ]
        assert {str(event["status"]) for event in slots} == {"TENTATIVE"}
        assert {str(event["transp"]) for event in slots} == {"TRANSPARENT"}
        assert slots[0]["categories"].cats == ["Community spotlight"]
    first = next(event for event in members.walk("VEVENT") if str(event["summary"]) == "Open slot: Spotlight")
    assert str(first["url"]).startswith("http://testserver" + url("compose", organisation) + "?at=2026-03-31T10%3A00")
    assert "URL" not in subscribed.to_ical().decode()

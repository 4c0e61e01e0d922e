"""The calendar feed that Outlook and Google Calendar subscribe to: a secret address instead of a sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from icalendar import Calendar

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.feeds import subscription_rotate, subscription_token
from townsquare.publishing.models import CalendarSubscription, Campaign, PostStatus

pytestmark = pytest.mark.django_db

# Sunday 29 March 2026 is when London's clocks go forward; the posts straddle it.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


def feed_url(organisation, token: str) -> str:
    return reverse("calendar_subscription", kwargs={"org_slug": organisation.slug, "token": token})


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_valid_token_gives_the_organisations_planned_posts_only(
    client, organisation, other_organisation, people, channel
):
    theme = Campaign.objects.create(organisation=organisation, name="Spring clean", colour="#1e6b34")
    scheduled = make_post(
        organisation, channel, text="Bins as normal\nsecond line stays private", at=NOW + timedelta(days=2)
    )
    scheduled.campaign = theme
    scheduled.save()
    make_post(organisation, channel, text="Secret draft", at=NOW + timedelta(days=3), status=PostStatus.DRAFT)
    make_post(organisation, channel, text="Awaiting approval", at=NOW + timedelta(days=3), status=PostStatus.SUBMITTED)
    southby = make_channel(other_organisation, handle="southbycc")
    make_post(other_organisation, southby, text="Southby news", at=NOW + timedelta(days=2))
    token = subscription_rotate(organisation=organisation, actor=people["admin"])
    subscription_rotate(organisation=other_organisation, actor=people["outsider"])

    response = client.get(feed_url(organisation, token))  # not signed in

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert list(found) == ["@northfieldcc (Sandbox (rehearsal network)): Bins as normal"]
    event = found["@northfieldcc (Sandbox (rehearsal network)): Bins as normal"]
    assert event["categories"].cats == ["Spring clean"]
    body = response.content.decode()
    assert "second line" not in body and "Secret draft" not in body and "Southby" not in body
    assert "URL" not in body and "DESCRIPTION" not in body


def test_a_wrong_or_another_organisations_token_is_a_404(client, organisation, other_organisation, people):
    token = subscription_rotate(organisation=organisation, actor=people["owner"])
    southby_token = subscription_rotate(organisation=other_organisation, actor=people["outsider"])
    assert client.get(feed_url(organisation, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    assert client.get(feed_url(organisation, southby_token)).status_code == 404
    assert client.get(feed_url(other_organisation, token)).status_code == 404
    assert (
        client.get(reverse("calendar_subscription", kwargs={"org_slug": "nowhere", "token": token})).status_code == 404
    )
    assert client.post(feed_url(organisation, token)).status_code == 405


def test_no_feed_until_an_admin_makes_one(client, organisation):
    assert subscription_token(organisation=organisation) is None
    assert client.get(feed_url(organisation, "anything")).status_code == 404


def test_rotating_kills_the_old_address_and_the_token_is_not_stored_in_clear(
    client_for, client, organisation, settings
):
    admin = client_for("admin")
    calendar_page = reverse("calendar", kwargs={"org_slug": organisation.slug})
    rotate = reverse("calendar_subscription_rotate", kwargs={"org_slug": organisation.slug})
    assert admin.post(rotate).status_code == 302
    old = subscription_token(organisation=organisation)
    assert old and old not in CalendarSubscription.objects.get(organisation=organisation).token_encrypted
    page = admin.get(calendar_page).content.decode()
    assert f'value="{settings.TOWNSQUARE_PUBLIC_URL}{feed_url(organisation, old)}"' in page and "Rotate" in page

    assert admin.post(rotate).status_code == 302
    new = subscription_token(organisation=organisation)
    assert new != old
    client.logout()
    assert client.get(feed_url(organisation, old)).status_code == 404
    assert client.get(feed_url(organisation, new)).status_code == 200


@pytest.mark.parametrize("who", ["editor", "contributor", "viewer"])
def test_only_admins_see_and_rotate_the_address(client_for, organisation, people, who):
    token = subscription_rotate(organisation=organisation, actor=people["owner"])
    client = client_for(who)
    page = client.get(reverse("calendar", kwargs={"org_slug": organisation.slug})).content.decode()
    assert token not in page and "Subscribe in Outlook" not in page
    assert (
        client.post(reverse("calendar_subscription_rotate", kwargs={"org_slug": organisation.slug})).status_code == 403
    )
    assert subscription_token(organisation=organisation) == token


def test_rotating_needs_the_csrf_token(organisation, people):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["admin"])
    assert (
        strict.post(reverse("calendar_subscription_rotate", kwargs={"org_slug": organisation.slug})).status_code == 403
    )
    assert subscription_token(organisation=organisation) is None


def test_times_are_utc_on_both_sides_of_the_clock_change(client, organisation, people, channel):
    organisation.time_zone = "Europe/London"
    organisation.save()
    # 09:30 in London: 09:30 UTC on Saturday 28 March (GMT), 08:30 UTC on Monday 30 March (BST).
    make_post(organisation, channel, text="Before", at=datetime(2026, 3, 28, 9, 30, tzinfo=UTC))
    make_post(organisation, channel, text="After", at=datetime(2026, 3, 30, 8, 30, tzinfo=UTC))
    token = subscription_rotate(organisation=organisation, actor=people["owner"])
    found = events(client.get(feed_url(organisation, token)))
    before = found["@northfieldcc (Sandbox (rehearsal network)): Before"]["dtstart"].dt
    after = found["@northfieldcc (Sandbox (rehearsal network)): After"]["dtstart"].dt
    assert before == datetime(2026, 3, 28, 9, 30, tzinfo=UTC) and before.utcoffset() == timedelta(0)
    assert after == datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
    assert "DTSTART:20260330T083000Z" in client.get(feed_url(organisation, token)).content.decode()


def test_the_feed_is_the_only_organisation_address_outside_org_view():
    """The isolation test walks the routes included under /o/<slug>/ (all behind org_view); the feed is routed
    beside them on purpose, and nothing else may be."""
    beside = []

    def walk(entries) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver) and "org_slug" not in str(entry.pattern):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern) and "org_slug" in str(entry.pattern):
                beside.append(entry.name)

    walk(get_resolver().url_patterns)
    assert beside == ["calendar_subscription"]

"""The calendar, compose, approvals and post pages, and the iCal feed, as each role sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.models import PostStatus, PublishAttempt, PublishingPolicy, ScheduledPost
from townsquare.publishing.publisher import scheduled_posts_publish_due
from townsquare.publishing.text import text_length

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


def url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("calendar", ["owner", "admin", "editor", "contributor", "viewer"], []),
        ("calendar_ics", ["owner", "viewer"], []),
        ("compose", ["owner", "admin", "editor", "contributor"], ["viewer"]),
        ("approvals", ["owner", "admin", "editor"], ["contributor", "viewer"]),
    ],
)
def test_pages_render_for_the_right_roles_and_refuse_the_others(client_for, organisation, name, allowed, refused):
    for who in allowed:
        assert client_for(who).get(url(name, organisation)).status_code == 200, who
    for who in refused:
        assert client_for(who).get(url(name, organisation)).status_code == 403, who


def test_contributor_drafts_and_submits_editor_approves_and_it_publishes_at_its_time(
    client_for, organisation, channel, people, settings, tmp_path
):
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(tmp_path / "outbox.jsonl")
    organisation.time_zone = "Europe/London"
    organisation.save()
    client = client_for("contributor")
    form = {"channels": [channel.id], "text": "Libraries open late on Thursday", "at": "2026-07-02T18:30"}
    response = client.post(url("compose", organisation), {**form, "action": "draft"})
    post = ScheduledPost.objects.get()
    assert response.status_code == 302 and post.status == PostStatus.DRAFT and post.author == people["contributor"]
    # 18:30 in London in summer is 17:30 UTC.
    assert post.scheduled_at == datetime(2026, 7, 2, 17, 30, tzinfo=UTC)
    assert client.post(url("compose", organisation), {**form, "action": "schedule"}).status_code == 403

    client.post(url("scheduled_post_submit", organisation, scheduled_post_id=post.id))
    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED

    editor = client_for("editor")
    queue = editor.get(url("approvals", organisation)).content.decode()
    assert "Libraries open late on Thursday" in queue
    editor.post(url("scheduled_post_approve", organisation, scheduled_post_id=post.id), {"back": "approvals"})
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.approved_by == people["editor"]

    with mock.patch("django.utils.timezone.now", return_value=post.scheduled_at - timedelta(minutes=1)):
        assert scheduled_posts_publish_due().published == []
    with mock.patch("django.utils.timezone.now", return_value=post.scheduled_at):
        assert scheduled_posts_publish_due().published == [post.id]
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED

    page = client.get(url("calendar", organisation) + "?date=2026-07-02").content.decode()
    assert "Libraries open late on Thursday" in page
    assert "Published" in page
    assert '<time datetime="2026-07-02T18:30:00+01:00">18:30</time>' in page
    detail = client.get(url("scheduled_post", organisation, scheduled_post_id=post.id)).content.decode()
    assert "editor" in detail and "Published" in detail


def test_editor_schedules_directly_on_several_channels(client_for, organisation, channel, people):
    second = make_channel(organisation, handle="libraries")
    form = {"channels": [channel.id, second.id], "text": "Parks open", "at": "2026-05-01T09:00", "action": "schedule"}
    assert client_for("editor").post(url("compose", organisation), form).status_code == 302
    posts = ScheduledPost.objects.all()
    assert {post.channel_id for post in posts} == {channel.id, second.id}
    assert {(post.status, post.approved_by) for post in posts} == {(PostStatus.SCHEDULED, people["editor"])}


def test_compose_offers_only_channels_townsquare_can_publish_on(client_for, organisation, channel):
    feed = make_channel(organisation, handle="gazette", network="rss", options={"url": "https://g.example/feed"})
    export_only = make_channel(organisation, handle="northfield_x", network="twitter")
    client = client_for("editor")
    page = client.get(url("compose", organisation)).content.decode()
    assert f'value="{channel.id}"' in page
    assert f'value="{feed.id}"' not in page and f'value="{export_only.id}"' not in page
    assert "Not offered, as Townsquare cannot publish there: @gazette on RSS" in page
    form = {"channels": [export_only.id], "text": "Parks open", "at": "2026-05-01T09:00", "action": "schedule"}
    assert client.post(url("compose", organisation), form).status_code == 422
    assert not ScheduledPost.objects.exists()


def test_blocking_policy_findings_stop_submission_and_say_what_and_where(client_for, organisation, channel):
    form = {"channels": [channel.id], "text": "Call 020 7946 0958 now", "at": "2026-05-01T09:00", "action": "submit"}
    response = client_for("contributor").post(url("compose", organisation), form)
    page = response.content.decode()
    assert response.status_code == 422 and not ScheduledPost.objects.exists()
    assert "Blocks posting" in page and "UK phone number" in page and "characters 5 to 18" in page


def test_warnings_do_not_stop_submission(client_for, organisation, channel):
    PublishingPolicy.objects.create(organisation=organisation, words_to_avoid=["free"])
    form = {"channels": [channel.id], "text": "Free parking today", "at": "2026-05-01T09:00", "action": "submit"}
    response = client_for("contributor").post(url("compose", organisation), form, follow=True)
    assert ScheduledPost.objects.get().status == PostStatus.SUBMITTED
    assert "Policy warning: word to avoid (free)" in response.content.decode()


def test_text_over_the_networks_limit_is_refused(client_for, organisation, channel):
    form = {"channels": [channel.id], "text": "x" * 501, "at": "2026-05-01T09:00", "action": "draft"}
    response = client_for("editor").post(url("compose", organisation), form)
    assert response.status_code == 422 and "501 characters" in response.content.decode()
    assert not ScheduledPost.objects.exists()


def test_a_time_the_clocks_skip_is_refused(client_for, organisation, channel):
    organisation.time_zone = "Europe/London"
    organisation.save()
    form = {"channels": [channel.id], "text": "Hello", "at": "2026-03-29T01:30", "action": "draft"}
    response = client_for("editor").post(url("compose", organisation), form)
    assert response.status_code == 422 and "does not exist" in response.content.decode()


def test_sent_back_post_shows_the_comment_to_its_author(client_for, organisation, channel, people):
    post = make_post(organisation, channel, status=PostStatus.SUBMITTED, author=people["contributor"])
    send_back = url("scheduled_post_send_back", organisation, scheduled_post_id=post.id)
    assert client_for("contributor").post(send_back, {"comment": "x"}).status_code == 403
    client_for("editor").post(send_back, {"comment": "Say which library, please"})
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    page = client_for("contributor").get(url("scheduled_post", organisation, scheduled_post_id=post.id))
    assert "Say which library, please" in page.content.decode()


def test_post_page_explains_failures_and_lists_attempts(client_for, organisation, channel):
    post = make_post(organisation, channel, status=PostStatus.SCHEDULED)
    ScheduledPost.objects.filter(id=post.id).update(status=PostStatus.FAILED, attempts=1, last_error="token revoked")
    now = timezone.now()
    PublishAttempt.objects.create(
        post=post, number=1, worker="w1", started_at=now, finished_at=now, outcome="failed", error="token revoked"
    )
    page = client_for("viewer").get(url("scheduled_post", organisation, scheduled_post_id=post.id)).content.decode()
    assert "Townsquare stopped trying: token revoked" in page and "Failed permanently" in page


def test_week_and_month_views_navigate_in_the_organisations_time_zone(client_for, organisation, channel):
    organisation.time_zone = "America/New_York"
    organisation.save()
    # 02:00 UTC on Tuesday 3 March is 21:00 on Monday 2 March in New York.
    make_post(organisation, channel, text="Evening update", at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    client = client_for("viewer")
    week = client.get(url("calendar", organisation) + "?date=2026-03-04").content.decode()
    monday = week.index('<time datetime="2026-03-02">')
    assert monday < week.index("Evening update") < week.index('<time datetime="2026-03-03">')
    assert "date=2026-02-23" in week and "date=2026-03-09" in week
    month = client.get(url("calendar", organisation) + "?view=month&date=2026-03-20").content.decode()
    assert "March 2026" in month and "Evening update" in month and "date=2026-04-01" in month
    assert "Evening update" not in client.get(url("calendar", organisation) + "?date=2026-03-10").content.decode()


def test_ical_feed_has_the_events_in_utc(client_for, organisation, channel):
    organisation.time_zone = "Europe/London"
    organisation.save()
    at = timezone.now().replace(microsecond=0) + timedelta(days=2)
    post = make_post(organisation, channel, text="Bin day moves", at=at)
    response = client_for("viewer").get(url("calendar_ics", organisation))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert f"UID:{post.idempotency_key}@townsquare" in body
    assert f"DTSTART:{at.astimezone(UTC):%Y%m%dT%H%M%S}Z" in body
    assert "Bin day moves" in body and body.startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("text", "graphemes"),
    [("abc", 3), ("e\u0301", 1), ("👍🏽", 1), ("👩\u200d👩\u200d👧", 1), ("🇬🇧🇫🇷", 2), ("❤\ufe0f", 1)],
)
def test_bluesky_counts_graphemes_other_networks_characters(text, graphemes):
    assert text_length(text=text, network="bluesky") == graphemes
    assert text_length(text=text, network="mastodon") == len(text)


def test_a_channel_can_have_its_own_text_checked_against_its_limit_and_the_policy(client_for, organisation, channel):
    bluesky = make_channel(
        organisation, handle="northfield.bsky.social", network="bluesky", credentials={"app_password": "p"}
    )
    client = client_for("editor")
    common = {"channels": [channel.id, bluesky.id], "text": "Parks open late all summer", "at": "2026-05-01T09:00"}
    page = client.get(url("compose", organisation)).content.decode()
    assert f'<label for="variant-{bluesky.id}">Text for @northfield.bsky.social (up to 300 graphemes)</label>' in page
    too_long = client.post(
        url("compose", organisation), {**common, f"variant_{bluesky.id}": "x" * 301, "action": "schedule"}
    )
    assert too_long.status_code == 422 and "300" in too_long.content.decode()
    assert not ScheduledPost.objects.exists()
    blocked = {**common, f"variant_{bluesky.id}": "Parks open: ring 07700 900123", "action": "schedule"}
    refused = client.post(url("compose", organisation), blocked).content.decode()
    assert "UK phone number (in the text for @northfield.bsky.social)" in refused and not ScheduledPost.objects.exists()
    own = {**common, f"variant_{bluesky.id}": "Parks open late 🌳 #summer", "action": "schedule"}
    assert client.post(url("compose", organisation), own).status_code == 302
    texts = dict(ScheduledPost.objects.values_list("channel__handle", "text"))
    assert texts == {
        "northfieldcc": "Parks open late all summer",
        "northfield.bsky.social": "Parks open late 🌳 #summer",
    }

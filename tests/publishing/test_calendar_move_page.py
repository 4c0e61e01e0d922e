"""The calendar's Move form (what drag and drop sends): local times in, UTC stored, clock changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.models import PostStatus, ScheduledPost

pytestmark = pytest.mark.django_db

# Friday 27 March 2026, before the clocks go forward in London on Sunday 29 March.
BEFORE_CHANGE = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
def channel(organisation):
    organisation.time_zone = "Europe/London"
    organisation.save()
    return make_channel(organisation, handle="northfieldcc")


@pytest.fixture
def frozen_now():
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, 20, 9, 0, tzinfo=UTC)):
        yield


def move(client, organisation, post, **form):
    path = reverse("calendar_move", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id})
    return client.post(path, form, follow=True)


def test_moving_across_the_spring_clock_change_keeps_the_local_time(client_for, organisation, channel, frozen_now):
    post = make_post(organisation, channel, text="Spring clean", at=BEFORE_CHANGE)  # 10:00 GMT
    response = move(client_for("editor"), organisation, post, date="2026-03-30", time="10:00", view="month")
    # 10:00 in London on Monday 30 March is 09:00 UTC (summer time).
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    page = response.content.decode()
    assert "Moved to Monday 30 March 2026 at 10:00 (Europe/London)" in page
    assert response.redirect_chain[-1][0].endswith("?view=month&date=2026-03-30")
    assert '<time datetime="2026-03-30T10:00:00+01:00">10:00</time>' in page


def test_moving_across_the_autumn_clock_change(client_for, organisation, channel, frozen_now):
    post = make_post(organisation, channel, text="Half term", at=datetime(2026, 10, 23, 8, 30, tzinfo=UTC))
    move(client_for("owner"), organisation, post, date="2026-10-26", time="09:30")
    # 09:30 BST on Friday 23 October was 08:30 UTC; 09:30 GMT on Monday 26 October is 09:30 UTC.
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == datetime(2026, 10, 26, 9, 30, tzinfo=UTC)


def test_a_time_the_clocks_skip_and_bad_input_are_refused_with_a_reason(client_for, organisation, channel, frozen_now):
    post = make_post(organisation, channel, at=BEFORE_CHANGE)
    client = client_for("editor")
    page = move(client, organisation, post, date="2026-03-29", time="01:30").content.decode()
    assert "Not moved: 2026-03-29 01:30 does not exist in Europe/London" in page
    page = move(client, organisation, post, date="30/03/2026", time="10:00").content.decode()
    assert "Not moved: give a date (YYYY-MM-DD) and a time (HH:MM)." in page
    page = move(client, organisation, post, date="2026-03-01", time="10:00").content.decode()
    assert "Not moved: time: that time has passed" in page
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == BEFORE_CHANGE


def test_only_those_who_may_move_a_post_get_the_control_and_the_endpoint(
    client_for, organisation, channel, people, frozen_now
):
    scheduled = make_post(organisation, channel, text="Council meeting live", at=BEFORE_CHANGE)
    own_draft = make_post(
        organisation, channel, text="My draft", status=PostStatus.DRAFT, author=people["contributor"], at=BEFORE_CHANGE
    )
    calendar = reverse("calendar", kwargs={"org_slug": organisation.slug}) + "?date=2026-03-27"
    contributor = client_for("contributor")
    page = contributor.get(calendar).content.decode()
    assert f'id="move-{own_draft.id}"' in page and f'id="move-{scheduled.id}"' not in page
    assert 'draggable="true"' in page and "calendar.js" in page
    assert move(contributor, organisation, scheduled, date="2026-03-28", time="10:00").status_code == 403
    assert move(client_for("viewer"), organisation, own_draft, date="2026-03-28", time="10:00").status_code == 403
    viewer_page = client_for("viewer").get(calendar).content.decode()
    assert "move-" not in viewer_page and "calendar.js" not in viewer_page
    assert ScheduledPost.objects.get(id=scheduled.id).scheduled_at == BEFORE_CHANGE
    move(client_for("contributor"), organisation, own_draft, date="2026-03-28", time="12:15")
    assert ScheduledPost.objects.get(id=own_draft.id).scheduled_at == datetime(2026, 3, 28, 12, 15, tzinfo=UTC)


def test_the_month_lists_every_day_as_a_place_to_drop_a_post(client_for, organisation, channel, frozen_now):
    make_post(organisation, channel, text="Only post", at=BEFORE_CHANGE + timedelta(days=7))
    month = reverse("calendar", kwargs={"org_slug": organisation.slug}) + "?view=month&date=2026-04-10"
    html = client_for("editor").get(month).content.decode()
    assert html.count('data-date="2026-04-') == 30 and "weekday-3" in html  # 1 April 2026 is a Wednesday

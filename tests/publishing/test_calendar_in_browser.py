"""Rescheduling on the calendar in real chromium: dragging a post to another day, the keyboard path, and axe."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser import accessibility_violations, chromium_page
from tests.conftest import PASSWORD
from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.campaigns import campaign_save
from townsquare.publishing.models import Campaign, PostStatus, ScheduledPost

pytestmark = pytest.mark.browser
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def editor_page(live_server, organisation, people, transactional_db):
    with chromium_page() as page:
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill("editor")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/o/**")
        # Tall enough that a week's source and target days are both in view: a drag must not need scrolling.
        page.set_viewport_size({"width": 1280, "height": 1400})
        yield page


def next_week(weekday: int, hour: int) -> datetime:
    """A wall-clock time in London on a weekday of next week (Monday is 0), so it is always in the future."""
    today = timezone.now().astimezone(LONDON).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday + timedelta(days=weekday), time(hour), LONDON)


def calendar_url(live_server, organisation, day, view="week") -> str:
    path = reverse("calendar", kwargs={"org_slug": organisation.slug})
    return f"{live_server.url}{path}?view={view}&date={day:%Y-%m-%d}"


def test_dragging_a_post_to_another_day_moves_it_keeping_its_time(editor_page, live_server, organisation):
    channel = make_channel(organisation, handle="northfieldcc")
    tuesday = next_week(1, 10)
    post = make_post(organisation, channel, text="Library late opening", at=tuesday)
    page = editor_page
    page.goto(calendar_url(live_server, organisation, tuesday))
    thursday = (tuesday + timedelta(days=2)).date()
    page.locator(f'li[data-post="{post.id}"]').drag_to(page.locator(f'section[data-date="{thursday}"]'))
    page.wait_for_url(f"**date={thursday}")
    assert "Moved to" in page.locator(".messages").inner_text()
    stored = ScheduledPost.objects.get(id=post.id)
    assert stored.scheduled_at.astimezone(LONDON) == tuesday + timedelta(days=2)
    assert stored.next_attempt_at == stored.scheduled_at and stored.status == PostStatus.SCHEDULED
    assert page.locator(f'section[data-date="{thursday}"]').get_by_text("Library late opening").is_visible()


def test_dragging_in_the_month_view_onto_an_empty_day(editor_page, live_server, organisation):
    channel = make_channel(organisation, handle="northfieldcc")
    monday = next_week(0, 9)
    post = make_post(organisation, channel, text="Recycling reminder", at=monday)
    page = editor_page
    page.goto(calendar_url(live_server, organisation, monday, view="month"))
    target = (monday + timedelta(days=1)).date()
    page.locator(f'li[data-post="{post.id}"]').drag_to(page.locator(f'section[data-date="{target}"]'))
    page.wait_for_url(f"**view=month&date={target}")
    assert ScheduledPost.objects.get(id=post.id).scheduled_at.astimezone(LONDON) == monday + timedelta(days=1)


def test_keyboard_users_move_a_post_with_its_move_form(editor_page, live_server, organisation):
    channel = make_channel(organisation, handle="northfieldcc")
    wednesday = next_week(2, 14)
    post = make_post(organisation, channel, text="Consultation closes", at=wednesday)
    page = editor_page
    page.goto(calendar_url(live_server, organisation, wednesday))
    page.get_by_role("link", name="Consultation closes").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "date"
    friday = (wednesday + timedelta(days=2)).date()
    page.get_by_label("Date").fill(friday.isoformat())
    page.get_by_label("Time").fill("16:45")
    page.get_by_label("Time").press("Enter")
    page.wait_for_url(f"**date={friday}")
    expected = datetime.combine(friday, time(16, 45), LONDON)
    assert ScheduledPost.objects.get(id=post.id).scheduled_at == expected
    assert "Moved to" in page.locator(".messages").inner_text()


def test_the_calendar_with_move_controls_and_campaigns_meets_wcag_22_aa(editor_page, live_server, organisation, people):
    channel = make_channel(organisation, handle="northfieldcc")
    monday = next_week(0, 9)
    spotlight = campaign_save(
        campaign=Campaign(organisation=organisation, name="Spotlight", kind="theme", colour="#1e6b34")
    )
    post = make_post(organisation, channel, text="Scheduled one", at=monday)
    make_post(organisation, channel, text="A draft", status=PostStatus.DRAFT, author=people["editor"], at=monday)
    ScheduledPost.objects.filter(id=post.id).update(campaign=spotlight)
    page = editor_page
    problems = {}
    for view in ("week", "month"):
        page.goto(calendar_url(live_server, organisation, monday, view=view))
        page.locator("details.move summary").first.click()
        problems[view] = accessibility_violations(page)
    page.goto(f"{live_server.url}{reverse('campaigns', kwargs={'org_slug': organisation.slug})}")
    problems["campaigns"] = accessibility_violations(page)
    post_path = reverse("scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id})
    page.goto(f"{live_server.url}{post_path}")
    problems["post"] = accessibility_violations(page)
    assert problems == {"week": [], "month": [], "campaigns": [], "post": []}

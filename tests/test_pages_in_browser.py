"""The workplace pages in a real browser: WCAG 2.2 AA checks by axe-core, and keyboard use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser import accessibility_violations, chromium_page
from tests.conftest import PASSWORD
from tests.factories import make_channel, store_posts
from tests.publishing.helpers import make_post
from townsquare.publishing.models import PostStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in_page(live_server, organisation, people, transactional_db):
    store_posts(
        organisation,
        {"id": "1", "text": "Pothole on Mill Lane @council #roads"},
        {"id": "2", "text": "Thanks for fixing it!", "in_reply_to": "1"},
    )
    with chromium_page() as page:
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill("owner")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/posts/")
        yield page


def test_workplace_pages_meet_wcag_22_aa(signed_in_page, live_server, organisation):
    channel = make_channel(organisation, handle="northfieldcc")
    post = make_post(organisation, channel, status=PostStatus.SUBMITTED, at=timezone.now() + timedelta(hours=1))
    names = ["posts", "team", "channels", "organisation_settings", "inbox", "listening", "calendar"]
    names += ["compose", "approvals", "listening_new", "listening_mentions", "inbox_figures", "inbox_settings"]
    urls = [reverse(name, kwargs={"org_slug": organisation.slug}) for name in names]
    urls.append(reverse("channel", kwargs={"org_slug": organisation.slug, "channel_id": channel.id}))
    urls.append(reverse("calendar", kwargs={"org_slug": organisation.slug}) + "?view=month")
    urls.append(reverse("scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id}))
    problems = {}
    for url in urls:
        signed_in_page.goto(f"{live_server.url}{url}")
        violations = accessibility_violations(signed_in_page)
        if violations:
            problems[url] = violations
    assert problems == {}


def test_keyboard_users_can_skip_to_the_content_and_filter_posts(signed_in_page):
    page = signed_in_page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Words").focus()
    page.keyboard.type("pothole")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=pothole**")
    assert page.locator("#post-list > li.post").count() == 1
    assert page.get_by_role("link", name="Posts").get_attribute("aria-current") == "page"

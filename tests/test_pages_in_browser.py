"""The workplace pages in a real browser: WCAG 2.2 AA checks by axe-core, and keyboard use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser import accessibility_violations, chromium_page
from tests.conftest import PASSWORD
from tests.every_kind import objects_of_every_kind, org_url_patterns
from tests.factories import store_posts
from tests.publishing.helpers import make_post
from townsquare.channels.models import Channel

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


def test_every_workplace_page_meets_wcag_22_aa(
    signed_in_page, live_server, organisation, people, client, settings, tmp_path
):
    """Every page under /o/<slug>/ (found by walking the URL patterns, so a new page is checked without being
    listed here), with the organisation's own objects, as its owner sees it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    objects = objects_of_every_kind(organisation, people["owner"])
    make_post(organisation, Channel.objects.get(id=objects["channel_id"]), at=timezone.now() + timedelta(hours=1))
    client.force_login(people["owner"])
    urls = []
    for pattern in org_url_patterns():
        url = reverse(
            pattern.name, kwargs={"org_slug": organisation.slug, **{n: objects[n] for n in pattern.pattern.converters}}
        )
        response = client.get(url)
        # Whole pages only: actions (POST only), feeds, images, exports and the fragments pages poll for are not.
        if (
            response.status_code == 200
            and response["Content-Type"].startswith("text/html")
            and b"<html" in response.content
        ):
            urls.append(url)
    urls.append(reverse("calendar", kwargs={"org_slug": organisation.slug}) + "?view=month")
    assert len(urls) >= 30, urls
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
    assert page.get_by_role("link", name="Posts", exact=True).get_attribute("aria-current") == "page"

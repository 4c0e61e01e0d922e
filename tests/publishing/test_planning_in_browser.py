"""Recurring slots, the subscribe address and posts to share in real chromium: the copy button, and axe."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from tests.browser import accessibility_violations, chromium_page
from tests.conftest import PASSWORD
from tests.factories import make_channel
from tests.publishing.helpers import make_post
from tests.publishing.test_calendar_in_browser import calendar_url, next_week
from townsquare.publishing.ambassadors import share_offer_save
from townsquare.publishing.feeds import subscription_rotate
from townsquare.publishing.models import Campaign, PostingSlot
from townsquare.publishing.slots import slot_save

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(live_server, organisation, people, transactional_db):
    with chromium_page() as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/o/**")
        yield page


def org_url(live_server, organisation, name: str, **kwargs) -> str:
    return f"{live_server.url}{reverse(name, kwargs={'org_slug': organisation.slug, **kwargs})}"


def test_copy_button_puts_the_members_text_with_their_link_on_the_clipboard(
    admin_page, live_server, organisation, people
):
    channel = make_channel(organisation, handle="northfieldcc")
    post = make_post(organisation, channel, at=next_week(1, 10))
    share_offer_save(post=post, actor=people["admin"], copy={"mastodon": "Join us https://northfield.example/a"})
    page = admin_page
    page.goto(org_url(live_server, organisation, "shares"))
    page.get_by_role("button", name="Copy the text for Mastodon").click()
    page.get_by_text("Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Join us ") and "/l/" in copied and "northfield.example" not in copied


def test_the_planning_pages_meet_wcag_22_aa(admin_page, live_server, organisation, people):
    channel = make_channel(organisation, handle="northfieldcc")
    theme = Campaign.objects.create(organisation=organisation, name="Spotlight", colour="#1e6b34")
    slot_save(
        slot=PostingSlot(organisation=organisation, name="Community spotlight", weekdays=[1, 3], local_time=time(10)),
        channels=[channel],
        campaign=theme,
    )
    post = make_post(organisation, channel, at=next_week(0, 9))
    offer = share_offer_save(post=post, actor=people["admin"], copy={"mastodon": "Come along https://example.org/x"})
    subscription_rotate(organisation=organisation, actor=people["admin"])
    page = admin_page
    problems = {}
    monday = next_week(0, 9)
    for view in ("week", "month"):
        page.goto(calendar_url(live_server, organisation, monday, view=view))
        page.get_by_text("Subscribe in Outlook or Google Calendar").click()
        problems[view] = accessibility_violations(page)
    assert page.get_by_role("link", name="Fill this slot").first.is_visible()
    pages = {
        "slots": org_url(live_server, organisation, "posting_slots"),
        "shares": org_url(live_server, organisation, "shares"),
        "offer": org_url(live_server, organisation, "share_offer", offer_id=offer.id),
        "offer form": org_url(live_server, organisation, "share_offer_edit", scheduled_post_id=post.id),
    }
    for name, address in pages.items():
        page.goto(address)
        problems[name] = accessibility_violations(page)
    page.goto(pages["slots"])
    page.get_by_role("button", name="Add").click()  # empty: the errors are shown, and must be accessible too
    problems["slot errors"] = accessibility_violations(page)
    assert problems == {name: [] for name in problems}

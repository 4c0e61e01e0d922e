"""The draft editor's images in a real browser: attach an image with alt text, see it in the preview, fix
missing alt text by keyboard, and axe (WCAG 2.2 AA) finds nothing at each step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import accessibility_violations, chromium_page
from tests.conftest import PASSWORD
from tests.factories import make_channel
from tests.publishing.helpers import make_post, png_bytes
from townsquare.publishing.models import PostStatus

pytestmark = pytest.mark.browser


def test_the_author_attaches_images_and_describes_them(
    live_server, organisation, people, settings, tmp_path, transactional_db
):
    settings.MEDIA_ROOT = tmp_path / "media"
    post = make_post(organisation, make_channel(organisation), status=PostStatus.DRAFT, author=people["contributor"])
    page_url = live_server.url + reverse(
        "scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id}
    )
    with chromium_page() as page:
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill("contributor")
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda address: "/login" not in address)
        page.goto(page_url)
        assert accessibility_violations(page) == []

        png = {"name": "park.png", "mimeType": "image/png", "buffer": png_bytes(8, 6)}
        page.get_by_label("Image file").set_input_files(png)
        page.get_by_label("Alt text", exact=True).fill("Oak trees by the pond in Northfield Park")
        with page.expect_navigation(url=page_url):
            page.get_by_role("button", name="Attach image").click()
        image = page.get_by_role("img", name="Oak trees by the pond in Northfield Park")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 8  # served and decoded
        assert accessibility_violations(page) == []

        page.get_by_label("Image file").set_input_files({**png, "name": "map.png"})
        with page.expect_navigation(url=page_url):
            page.get_by_role("button", name="Attach image").click()
        assert "missing alt text, image 2: map.png" in page.get_by_role("region", name="Policy check").inner_text()
        assert accessibility_violations(page) == []

        # Keyboard only: into image 2's alt text, type, and save with the button after it.
        page.get_by_label("Alt text for image 2 (map.png)").focus()
        page.keyboard.type("Map of the new bus route")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Save alt text for image 2"
        with page.expect_navigation(url=page_url):
            page.keyboard.press("Enter")
        assert page.get_by_role("img", name="Map of the new bus route").count() == 1
        assert page.get_by_role("region", name="Policy check").count() == 0
        assert accessibility_violations(page) == []
    assert [item.alt_text for item in post.media.all()] == [
        "Oak trees by the pond in Northfield Park",
        "Map of the new bus route",
    ]

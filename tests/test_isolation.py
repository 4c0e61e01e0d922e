"""No page, action or export of one organisation shows or touches another's data."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.every_kind import objects_of_every_kind, org_url_patterns
from tests.factories import store_posts


def test_every_organisation_view_is_checked_by_the_one_access_decorator():
    patterns = org_url_patterns()
    assert len(patterns) >= 15
    unchecked = [p.name for p in patterns if not hasattr(p.callback, "org_permission")]
    assert unchecked == []


@pytest.fixture
def other_org_objects(other_organisation, people, settings, tmp_path):
    """Another organisation's objects, one of every kind its URLs name: every kind must be here, or the
    tests below cannot build the URL."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return objects_of_every_kind(other_organisation, people["outsider"])


@pytest.mark.parametrize("pattern", org_url_patterns(), ids=lambda p: p.name)
def test_outsider_gets_404_on_every_page_and_action(pattern, client_for, organisation, other_org_objects):
    """The outsider (owner of another organisation) asks for northfield's pages: all 404, GET and POST."""
    client = client_for("outsider")
    kwargs = {"org_slug": organisation.slug}
    kwargs.update({name: other_org_objects[name] for name in pattern.pattern.converters})
    url = reverse(pattern.name, kwargs=kwargs)
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "owner", "handle": "x", "network": "sandbox"}).status_code == 404


@pytest.mark.parametrize("pattern", [p for p in org_url_patterns() if p.pattern.converters], ids=lambda p: p.name)
def test_member_cannot_reach_another_organisations_objects_by_id(pattern, client_for, organisation, other_org_objects):
    """An owner of northfield uses northfield's URL with southby's object ids: 404, nothing changes."""
    client = client_for("owner")
    kwargs = {"org_slug": organisation.slug, **{n: other_org_objects[n] for n in pattern.pattern.converters}}
    url = reverse(pattern.name, kwargs=kwargs)
    assert client.get(url).status_code in (404, 405)  # 405: an action that only takes POST
    assert client.post(url, {"role": "viewer", "handle": "x"}).status_code == 404


def test_post_list_and_exports_show_only_the_organisations_own_posts(client_for, organisation, other_organisation):
    store_posts(organisation, {"id": "n1", "text": "Northfield bins collected"})
    store_posts(other_organisation, {"id": "s1", "text": "Southby secret roadworks"})
    client = client_for("owner")
    page = client.get(reverse("posts", kwargs={"org_slug": organisation.slug})).content.decode()
    assert "Northfield bins collected" in page and "Southby" not in page
    export = b"".join(client.get(reverse("post_export", kwargs={"org_slug": organisation.slug})).streaming_content)
    ids = [json.loads(line)["id"] for line in export.decode().splitlines()]
    assert ids == ["n1"]
    csv_export = b"".join(
        client.get(reverse("post_export", kwargs={"org_slug": organisation.slug}) + "?format=csv").streaming_content
    ).decode()
    assert "Northfield bins" in csv_export and "Southby" not in csv_export
    updates = client.get(reverse("post_updates", kwargs={"org_slug": organisation.slug}) + "?after=0").content
    assert b"Northfield bins" in updates and b"Southby" not in updates


def test_anonymous_visitors_are_sent_to_sign_in(client, organisation):
    response = client.get(reverse("posts", kwargs={"org_slug": organisation.slug}))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

"""No page, action or export of one organisation shows or touches another's data."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import make_channel, store_posts
from tests.publishing.helpers import make_post
from townsquare.inbox.models import OutgoingReply, SavedReply, SavedView
from townsquare.mentions.services import query_create
from townsquare.orgs.models import Invitation, Membership
from townsquare.publishing.media import post_media_add
from townsquare.publishing.models import Campaign, PostingSlot, PostStatus, ShareOffer


def org_url_patterns() -> list[URLPattern]:
    """Every URL pattern under /o/<org_slug>/."""
    found = []

    def walk(entries, under_org: bool) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, under_org or "org_slug" in str(entry.pattern))
            elif under_org:
                found.append(entry)

    walk(get_resolver().url_patterns, False)
    return found


def test_every_organisation_view_is_checked_by_the_one_access_decorator():
    patterns = org_url_patterns()
    assert len(patterns) >= 15
    unchecked = [p.name for p in patterns if not hasattr(p.callback, "org_permission")]
    assert unchecked == []


@pytest.fixture
def other_org_objects(other_organisation, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    channel = make_channel(other_organisation, handle="southbycc")
    invitation = Invitation.objects.create(
        organisation=other_organisation, email="x@example.org", expires_at="2099-01-01T00:00:00Z"
    )
    member = Membership.objects.get(organisation=other_organisation, user=people["outsider"])
    (post,) = store_posts(other_organisation, {"id": "s-q1", "text": "@southbycc potholes"})
    conversation = other_organisation.conversations.get()
    scheduled = make_post(other_organisation, channel, status=PostStatus.SUBMITTED)
    media = post_media_add(post=scheduled, data=b"GIF89a;", filename="southby.gif")
    query = query_create(organisation=other_organisation, name="Potholes", text="potholes")
    saved_reply = SavedReply.objects.create(organisation=other_organisation, title="Thanks", body="Thanks!")
    campaign = Campaign.objects.create(organisation=other_organisation, name="Southby in bloom", colour="#1e6b34")
    offer = ShareOffer.objects.create(organisation=other_organisation, post=scheduled, copy={"sandbox": "Share"})
    slot = PostingSlot.objects.create(
        organisation=other_organisation, name="Spotlight", weekdays=[1], local_time="10:00"
    )
    return {
        "channel_id": channel.id,
        "member_id": member.id,
        "invitation_id": invitation.id,
        "conversation_id": conversation.id,
        "contact_id": conversation.contact_id,
        "scheduled_post_id": scheduled.id,
        "query_id": query.id,
        "post_id": post.id,
        "saved_reply_id": saved_reply.id,
        "media_id": media.id,
        "campaign_id": campaign.id,
        "outgoing_reply_id": OutgoingReply.objects.create(
            organisation=other_organisation,
            conversation=conversation,
            author=people["outsider"],
            text="Held",
            idempotency_key=uuid.uuid4(),
            state=OutgoingReply.State.AWAITING,
        ).id,
        "saved_view_id": SavedView.objects.create(
            organisation=other_organisation, user=people["outsider"], name="Theirs", filters={}
        ).id,
        "slot_id": slot.id,
        "offer_id": offer.id,
    }


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

"""Every URL under /o/<org_slug>/, and one object of every kind those URLs name by id, so that tests can walk
all of an organisation's pages: the isolation tests with another organisation's ids, the browser's
accessibility check with the organisation's own."""

from __future__ import annotations

import uuid

from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import make_channel, store_posts
from tests.publishing.helpers import make_post
from townsquare.inbox.models import OutgoingReply, SavedReply, SavedView
from townsquare.mentions.services import query_create
from townsquare.orgs.models import Invitation, Membership, Organisation
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


def objects_of_every_kind(organisation: Organisation, member) -> dict[str, int]:
    """One object of each kind an organisation URL names (id converter name -> id); `member` belongs to the
    organisation. Needs settings.MEDIA_ROOT pointed somewhere temporary (an image is stored)."""
    channel = make_channel(organisation, handle=f"{organisation.slug}cc")
    invitation = Invitation.objects.create(
        organisation=organisation, email="x@example.org", expires_at="2099-01-01T00:00:00Z"
    )
    membership = Membership.objects.get(organisation=organisation, user=member)
    (post,) = store_posts(organisation, {"id": f"{organisation.slug}-q1", "text": f"@{channel.handle} potholes"})
    conversation = organisation.conversations.get(root_post=post)
    scheduled = make_post(organisation, channel, status=PostStatus.SUBMITTED)
    media = post_media_add(post=scheduled, data=b"GIF89a;", filename="photo.gif")
    query = query_create(organisation=organisation, name="Potholes", text="potholes")
    saved_reply = SavedReply.objects.create(organisation=organisation, title="Thanks", body="Thanks!")
    campaign = Campaign.objects.create(organisation=organisation, name="In bloom", colour="#1e6b34")
    offer = ShareOffer.objects.create(organisation=organisation, post=scheduled, copy={"sandbox": "Share"})
    slot = PostingSlot.objects.create(organisation=organisation, name="Spotlight", weekdays=[1], local_time="10:00")
    outgoing = OutgoingReply.objects.create(
        organisation=organisation,
        conversation=conversation,
        author=member,
        text="Held",
        idempotency_key=uuid.uuid4(),
        state=OutgoingReply.State.AWAITING,
    )
    saved_view = SavedView.objects.create(organisation=organisation, user=member, name="Mine", filters={})
    return {
        "channel_id": channel.id,
        "member_id": membership.id,
        "invitation_id": invitation.id,
        "conversation_id": conversation.id,
        "contact_id": conversation.contact_id,
        "scheduled_post_id": scheduled.id,
        "query_id": query.id,
        "post_id": post.id,
        "saved_reply_id": saved_reply.id,
        "media_id": media.id,
        "campaign_id": campaign.id,
        "outgoing_reply_id": outgoing.id,
        "saved_view_id": saved_view.id,
        "slot_id": slot.id,
        "offer_id": offer.id,
    }

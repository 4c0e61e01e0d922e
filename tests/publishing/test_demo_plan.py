"""The demo organisation's calendar has a plan: the editor's scheduled posts and one awaiting approval."""

from __future__ import annotations

import pytest

from townsquare.demo import demo_organisation_ensure
from townsquare.publishing.models import PostingSlot, PostStatus, ScheduledPost, ShareOffer


@pytest.mark.django_db
def test_demo_seeds_scheduled_posts_and_one_awaiting_approval():
    organisation, created = demo_organisation_ensure()
    assert created
    posts = ScheduledPost.objects.filter(organisation=organisation)
    awaiting = posts.get(status=PostStatus.SUBMITTED)
    assert awaiting.author.username == "lee.ambassador"
    scheduled = posts.filter(status=PostStatus.SCHEDULED)
    assert scheduled.count() == 4
    assert {post.approved_by.username for post in scheduled} == {"priya.editor"}
    offer = ShareOffer.objects.get(organisation=organisation)
    assert offer.post.text.startswith("Have your say") and set(offer.copy) == {"mastodon", "bluesky"}
    slot = PostingSlot.objects.get(organisation=organisation)
    assert slot.weekdays == [1] and [c.handle for c in slot.channels.all()] == ["northfieldlibraries"]

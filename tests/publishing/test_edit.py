"""Editing a draft an approver sent back, and the review history kept through it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.models import PostStatus, ReviewEvent
from townsquare.publishing.workflow import (
    scheduled_post_approve,
    scheduled_post_edit,
    scheduled_post_send_back,
    scheduled_post_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_back(organisation, people):
    post = make_post(organisation, make_channel(organisation), text="Bins late", status=PostStatus.DRAFT)
    post.author = people["contributor"]
    post.save(update_fields=["author"])
    scheduled_post_submit(post=post, actor=people["contributor"])
    scheduled_post_send_back(post=post, actor=people["editor"], comment="Say which streets")
    return post


def test_the_author_edits_and_resubmits_and_the_history_keeps_who_when_and_why(sent_back, people):
    scheduled_post_edit(post=sent_back, actor=people["contributor"], text="  Bins late on Mill Lane and Oak Road ")
    scheduled_post_submit(post=sent_back, actor=people["contributor"])
    scheduled_post_approve(post=sent_back, actor=people["editor"])
    sent_back.refresh_from_db()
    assert sent_back.text == "Bins late on Mill Lane and Oak Road" and sent_back.status == PostStatus.SCHEDULED
    history = [(e.action, e.actor.username, e.comment) for e in sent_back.review_events.all()]
    assert history == [
        ("submitted", "contributor", ""),
        ("sent_back", "editor", "Say which streets"),
        ("edited", "contributor", ""),
        ("submitted", "contributor", ""),
        ("approved", "editor", ""),
    ]
    times = [event.at for event in sent_back.review_events.all()]
    assert times == sorted(times)


def test_edits_are_checked_and_limited_to_the_right_people_and_states(sent_back, people, organisation):
    with pytest.raises(ValidationError, match="a post needs some text"):
        scheduled_post_edit(post=sent_back, actor=people["contributor"], text="   ")
    with pytest.raises(PermissionDenied):
        scheduled_post_edit(post=sent_back, actor=people["viewer"], text="Hello")
    scheduled_post_submit(post=sent_back, actor=people["contributor"])
    with pytest.raises(ValidationError, match="awaiting approval and can no longer be edited"):
        scheduled_post_edit(post=sent_back, actor=people["contributor"], text="Sneaky change")
    scheduled_post_edit(post=sent_back, actor=people["editor"], text="Bins late on Mill Lane")  # approvers may
    scheduled_post_approve(post=sent_back, actor=people["editor"])
    with pytest.raises(ValidationError, match="scheduled and can no longer be edited"):
        scheduled_post_edit(post=sent_back, actor=people["editor"], text="After approval")
    assert ReviewEvent.objects.filter(post=sent_back, action="edited").count() == 1


def test_the_page_shows_the_comment_lets_the_author_edit_and_lists_the_history(client_for, organisation, sent_back):
    client = client_for("contributor")
    page_url = reverse("scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": sent_back.id})
    page = client.get(page_url).content.decode()
    assert "Say which streets" in page and 'id="edit-text"' in page
    assert "Sent back by editor: <q>Say which streets</q>" in page
    edit = reverse("scheduled_post_edit", kwargs={"org_slug": organisation.slug, "scheduled_post_id": sent_back.id})
    response = client.post(edit, {"text": "Bins late on Mill Lane"}, follow=True)
    assert "Text saved. Submit it again when it is ready." in response.content.decode()
    sent_back.refresh_from_db()
    assert sent_back.text == "Bins late on Mill Lane"
    assert "Edited by contributor" in client.get(page_url).content.decode()

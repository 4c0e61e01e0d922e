"""Approvals: contributors submit, approvers approve or send back; the policy check can block."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from townsquare.publishing.models import PostStatus, PublishingPolicy
from townsquare.publishing.workflow import scheduled_post_approve, scheduled_post_send_back, scheduled_post_submit

from ..factories import make_channel
from .helpers import make_post


@pytest.fixture
def draft(organisation, people):
    return make_post(
        organisation,
        make_channel(organisation),
        text="Library open late",
        author=people["contributor"],
        status=PostStatus.DRAFT,
    )


def test_a_contributor_submits_and_an_editor_approves(draft, people):
    assert scheduled_post_submit(post=draft, actor=people["contributor"]) == []
    with pytest.raises(PermissionDenied):
        scheduled_post_approve(post=draft, actor=people["contributor"])
    scheduled_post_approve(post=draft, actor=people["editor"])
    draft.refresh_from_db()
    assert draft.status == PostStatus.SCHEDULED and draft.approved_by == people["editor"]
    with pytest.raises(ValidationError, match="no longer awaiting approval"):
        scheduled_post_approve(post=draft, actor=people["owner"])


def test_sending_back_needs_a_comment_and_returns_a_draft(draft, people):
    scheduled_post_submit(post=draft, actor=people["contributor"])
    with pytest.raises(ValidationError, match="say what should change"):
        scheduled_post_send_back(post=draft, actor=people["editor"], comment=" ")
    scheduled_post_send_back(post=draft, actor=people["editor"], comment="Add the opening hours")
    draft.refresh_from_db()
    assert draft.status == PostStatus.DRAFT and draft.review_comment == "Add the opening hours"


def test_viewers_and_outsiders_cannot_submit(draft, people):
    for who in ("viewer", "outsider"):
        with pytest.raises(PermissionDenied):
            scheduled_post_submit(post=draft, actor=people[who])


def test_personal_data_blocks_submission_and_warnings_are_returned(organisation, people):
    channel = make_channel(organisation)
    leaky = make_post(
        organisation,
        channel,
        text="Thanks Mrs Jones of 4 Mill Lane, Northfield NF2 3CD, call 07700 900456",
        status=PostStatus.DRAFT,
    )
    with pytest.raises(ValidationError) as error:
        scheduled_post_submit(post=leaky, actor=people["contributor"])
    assert "07700 900456" in str(error.value) and "4 Mill Lane, Northfield NF2 3CD" in str(error.value)
    leaky.refresh_from_db()
    assert leaky.status == PostStatus.DRAFT
    PublishingPolicy.objects.create(organisation=organisation, words_to_avoid=["unfortunately"])
    text = "Unfortunately the library is closed today"
    warned = make_post(organisation, channel, text=text, status=PostStatus.DRAFT)
    findings = scheduled_post_submit(post=warned, actor=people["contributor"])
    assert [(finding.text, finding.action) for finding in findings] == [("Unfortunately", "warn")]

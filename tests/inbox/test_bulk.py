"""Bulk actions on the inbox list: every selected conversation of the organisation changes, with an event each."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import make_channel, store_posts
from townsquare.inbox.models import Conversation, ConversationEvent, Status, Team


def two_conversations(organisation):
    make_channel(organisation, handle="council")
    store_posts(
        organisation,
        {"id": "q1", "text": "@council bins not collected", "author": "ann"},
        {"id": "q2", "text": "@council streetlight out", "author": "bob"},
    )
    return list(Conversation.objects.filter(organisation=organisation).order_by("id"))


def bulk(client, organisation, data):
    return client.post(reverse("inbox_bulk", kwargs={"org_slug": organisation.slug}), data)


def test_bulk_assign_status_and_priority_record_an_event_each(client_for, organisation, people):
    first, second = two_conversations(organisation)
    team = Team.objects.create(organisation=organisation, name="Roads")
    client = client_for("contributor")
    ids = [first.id, second.id]
    response = bulk(
        client,
        organisation,
        {
            "conversation": ids,
            "action": "assign",
            "assignee": people["editor"].pk,
            "team": team.pk,
            "back": "view=mine&evil=1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("/inbox/?view=mine")
    bulk(client, organisation, {"conversation": ids, "action": "status", "status": "resolved"})
    bulk(client, organisation, {"conversation": [first.id], "action": "priority", "priority": "urgent"})
    for conversation in (first, second):
        conversation.refresh_from_db()
        assert (conversation.assignee, conversation.team, conversation.status) == (people["editor"], team, "resolved")
    assert (first.priority, second.priority_override) == ("urgent", "")
    events = ConversationEvent.objects.filter(kind__in=["assignment", "status", "priority"])
    assert sorted((e.conversation_id, e.kind, e.actor.username) for e in events) == sorted(
        [(c.id, kind, "contributor") for c in (first, second) for kind in ("assignment", "status")]
        + [(first.id, "priority", "contributor")]
    )
    assert all(event.at for event in events)


def test_bulk_ignores_other_organisations_conversations(client_for, organisation, other_organisation):
    (ours, _) = two_conversations(organisation)
    make_channel(other_organisation, handle="southbycc")
    store_posts(other_organisation, {"id": "s1", "text": "@southbycc potholes"})
    theirs = Conversation.objects.get(organisation=other_organisation)
    bulk(
        client_for("owner"),
        organisation,
        {"conversation": [ours.id, theirs.id], "action": "status", "status": "pending"},
    )
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (ours.status, theirs.status) == (Status.PENDING, Status.OPEN)
    assert not theirs.events.exists()


def test_a_refused_bulk_change_changes_nothing(client_for, organisation):
    first, second = two_conversations(organisation)
    client = client_for("owner")
    bulk(client, organisation, {"conversation": [first.id, second.id], "action": "status", "status": "snoozed"})
    assert set(Conversation.objects.values_list("status", flat=True)) == {Status.OPEN}
    assert not ConversationEvent.objects.filter(kind="status").exists()


def test_viewers_cannot_bulk_change_and_see_no_checkboxes(client_for, organisation):
    first, _ = two_conversations(organisation)
    client = client_for("viewer")
    assert (
        bulk(client, organisation, {"conversation": [first.id], "action": "status", "status": "resolved"}).status_code
        == 403
    )
    first.refresh_from_db()
    assert first.status == Status.OPEN
    assert (
        'name="conversation"'
        not in client.get(reverse("inbox", kwargs={"org_slug": organisation.slug})).content.decode()
    )
    assert (
        'name="conversation"'
        in client_for("contributor").get(reverse("inbox", kwargs={"org_slug": organisation.slug})).content.decode()
    )

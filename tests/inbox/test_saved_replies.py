"""Saved replies: placeholders checked on save and filled in per conversation; only PUBLISH manages them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.inbox.test_pages import setup_conversation, url
from townsquare.inbox.models import SavedReply
from townsquare.inbox.saved_replies import saved_reply_fill, saved_reply_save


def saved_url(name, organisation, reply=None):
    kwargs = {"org_slug": organisation.slug} | ({"saved_reply_id": reply.id} if reply else {})
    return reverse(name, kwargs=kwargs)


def test_unknown_placeholders_are_refused_naming_them(organisation):
    with pytest.raises(ValidationError) as refused:
        saved_reply_save(reply=SavedReply(organisation=organisation, title="Hi", body="Hi {contact_nmae} {x}"))
    assert "{contact_nmae}, {x}" in str(refused.value)
    assert not SavedReply.objects.exists()


def test_placeholders_are_filled_for_the_conversation_and_the_member(organisation, people):
    conversation = setup_conversation(organisation)
    people["editor"].first_name, people["editor"].last_name = "Edie", "Tor"
    body = "Hi {contact_name} ({contact_handle}), {agent_name} of {organisation}. {{literal}}"
    reply = SavedReply(organisation=organisation, title="Hi", body=body)
    text = saved_reply_fill(reply=reply, conversation=conversation, agent=people["editor"])
    assert text == "Hi ann (@ann), Edie Tor of Northfield Council. {{literal}}"


def test_editors_manage_saved_replies_and_viewers_cannot(client_for, organisation):
    editor = client_for("editor")
    refused = editor.post(saved_url("saved_reply_create", organisation), {"title": "Hi", "body": "Hi {name}"})
    assert refused.status_code == 400 and "Unknown placeholder(s): {name}" in refused.content.decode()
    editor.post(saved_url("saved_reply_create", organisation), {"title": "Hi", "body": "Hi {contact_name}"})
    reply = SavedReply.objects.get(organisation=organisation)
    editor.post(saved_url("saved_reply", organisation, reply), {"title": "Hello", "body": "Hello {contact_name}"})
    reply.refresh_from_db()
    assert (reply.title, reply.body) == ("Hello", "Hello {contact_name}")

    viewer = client_for("viewer")
    assert "Hello {contact_name}" in viewer.get(saved_url("saved_replies", organisation)).content.decode()
    assert viewer.post(saved_url("saved_reply_create", organisation), {"title": "X", "body": "X"}).status_code == 403
    assert viewer.post(saved_url("saved_reply", organisation, reply), {"title": "X", "body": "X"}).status_code == 403
    assert viewer.post(saved_url("saved_reply_delete", organisation, reply)).status_code == 403
    assert SavedReply.objects.filter(pk=reply.pk, title="Hello").exists()

    client_for("editor").post(saved_url("saved_reply_delete", organisation, reply))
    assert not SavedReply.objects.exists()


def test_a_saved_reply_prefills_the_reply_box_without_javascript(client_for, organisation, other_organisation):
    conversation = setup_conversation(organisation)
    reply = SavedReply.objects.create(organisation=organisation, title="Thanks", body="Thanks {contact_handle}!")
    other = SavedReply.objects.create(organisation=other_organisation, title="Theirs", body="Southby secret")
    client = client_for("editor")
    page = client.get(url("conversation", organisation, conversation) + f"?saved_reply={reply.id}").content.decode()
    assert '<textarea id="reply-text" name="text" rows="3"' in page
    assert ">Thanks @ann!</textarea>" in page
    assert 'data-text="Thanks @ann!"' in page and "Theirs" not in page
    foreign = client.get(url("conversation", organisation, conversation) + f"?saved_reply={other.id}").content
    assert b"Southby secret" not in foreign

"""The contact page: conversations, identities and followers; merge with the suggestion and split from it."""

from __future__ import annotations

from django.urls import reverse

from tests.factories import make_channel, store_posts
from townsquare.inbox.models import Contact, Conversation
from townsquare.posts.models import Identity


def ann_on_two_networks(organisation) -> tuple[Contact, Contact]:
    make_channel(organisation, handle="council")
    make_channel(organisation, handle="council", network="mastodon")
    store_posts(organisation, {"id": "1", "author": "ann", "text": "@council bins on Elm Road"})
    store_posts(organisation, {"id": "2", "author": "ann", "text": "@council still no bins"}, network="mastodon")
    Identity.objects.filter(network="mastodon").update(followers=1200)
    Identity.objects.filter(network="sandbox").update(followers=300)
    sandbox, mastodon = (Conversation.objects.get(channel__network=n).contact for n in ("sandbox", "mastodon"))
    return sandbox, mastodon


def contact_url(name, organisation, contact) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, "contact_id": contact.id})


def test_merge_the_suggested_contact_then_split_it_off_again(client_for, organisation):
    ann, ann_elsewhere = ann_on_two_networks(organisation)
    client = client_for("contributor")
    page = client.get(contact_url("contact", organisation, ann)).content.decode()
    assert "bins on Elm Road" in page and "still no bins" not in page
    assert f'name="other" value="{ann_elsewhere.id}" checked' in page

    client.post(contact_url("contact_merge", organisation, ann), {"other": ann_elsewhere.id})
    assert not Contact.objects.filter(pk=ann_elsewhere.pk).exists()
    page = client.get(contact_url("contact", organisation, ann)).content.decode()
    assert "bins on Elm Road" in page and "still no bins" in page and "1500 across 2 identities" in page

    mastodon = Identity.objects.get(network="mastodon")
    response = client.post(contact_url("contact_split", organisation, ann), {"identity": mastodon.id})
    new = Contact.objects.get(links__identity=mastodon)
    assert new != ann and response["Location"] == contact_url("contact", organisation, new)
    assert list(new.conversations.values_list("channel__network", flat=True)) == ["mastodon"]
    assert list(ann.conversations.values_list("channel__network", flat=True)) == ["sandbox"]


def test_the_conversation_page_links_to_the_contact(client_for, organisation):
    ann, _ = ann_on_two_networks(organisation)
    conversation = ann.conversations.get()
    page = client_for("viewer").get(
        reverse("conversation", kwargs={"org_slug": organisation.slug, "conversation_id": conversation.id})
    )
    assert contact_url("contact", organisation, ann) in page.content.decode()


def test_viewers_see_the_contact_but_cannot_merge_or_split(client_for, organisation, other_organisation):
    ann, ann_elsewhere = ann_on_two_networks(organisation)
    client = client_for("viewer")
    page = client.get(contact_url("contact", organisation, ann)).content.decode()
    assert "bins on Elm Road" in page and "Merge into" not in page
    assert client.post(contact_url("contact_merge", organisation, ann), {"other": ann_elsewhere.id}).status_code == 403
    assert Contact.objects.filter(pk=ann_elsewhere.pk).exists()


def test_a_contact_of_another_organisation_is_not_merged(client_for, organisation, other_organisation):
    ann, _ = ann_on_two_networks(organisation)
    make_channel(other_organisation, handle="southbycc")
    store_posts(other_organisation, {"id": "s1", "author": "ann", "text": "@southbycc potholes"})
    theirs = Conversation.objects.get(organisation=other_organisation).contact
    client_for("owner").post(contact_url("contact_merge", organisation, ann), {"other": theirs.id})
    assert Contact.objects.filter(pk=theirs.pk, organisation=other_organisation).exists()
    assert theirs.conversations.count() == 1

"""Ambassadors: approved posts offered to staff with suggested copy per network, "I shared it", and who shared
what and the clicks their own links brought."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.ambassadors import copy_for, offer_results, share_offer_save, share_record
from townsquare.publishing.links import text_with_short_links
from townsquare.publishing.models import PostStatus, Share, ShareOffer, ShortLink

pytestmark = pytest.mark.django_db

COPY = "Our libraries open late this week: https://northfield.gov.uk/libraries"


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


@pytest.fixture
def post(organisation, channel):
    return make_post(organisation, channel, text="Libraries open late https://northfield.gov.uk/libraries")


@pytest.fixture
def offer(post, people):
    return share_offer_save(post=post, actor=people["editor"], copy={"mastodon": COPY, "bluesky": COPY, "linkedin": ""})


def url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


def personal_code(text: str) -> str:
    (code,) = re.findall(r"/l/([\w-]+)", text)
    return code


def test_an_offer_keeps_the_copy_per_network_and_drops_only_the_empty_ones(offer):
    assert offer.copy == {"mastodon": COPY, "bluesky": COPY}


def test_only_approvers_offer_and_only_approved_posts(organisation, channel, post, people):
    with pytest.raises(PermissionDenied):
        share_offer_save(post=post, actor=people["contributor"], copy={"mastodon": COPY})
    draft = make_post(organisation, channel, status=PostStatus.DRAFT)
    with pytest.raises(ValidationError, match="only approved posts"):
        share_offer_save(post=draft, actor=people["editor"], copy={"mastodon": COPY})
    with pytest.raises(ValidationError, match="at least one network"):
        share_offer_save(post=post, actor=people["editor"], copy={"mastodon": "  "})
    with pytest.raises(
        ValidationError, match="copy for Mastodon: the policy check blocks it: UK phone number at characters 22-34"
    ):
        share_offer_save(post=post, actor=people["editor"], copy={"mastodon": "Questions? Call Jo on 07700 900123"})
    with pytest.raises(ValidationError, match="Bluesky allows 300"):
        share_offer_save(post=post, actor=people["editor"], copy={"bluesky": "x" * 290 + " https://example.org/a"})


def test_each_member_gets_their_own_tagged_links_and_the_posts_own_links_stay_apart(offer, people):
    viewer = copy_for(offer=offer, ambassador=people["viewer"])
    contributor = copy_for(offer=offer, ambassador=people["contributor"])
    assert [item["network"] for item in viewer] == ["mastodon", "bluesky"]
    assert copy_for(offer=offer, ambassador=people["viewer"]) == viewer  # the same links on every visit
    codes = {personal_code(item["text"]) for item in viewer + contributor}
    assert len(codes) == 4
    link = ShortLink.objects.get(code=personal_code(viewer[0]["text"]))
    assert link.ambassador == people["viewer"] and link.network == "mastodon"
    assert f"utm_content=ambassador-{people['viewer'].id}" in link.target and "utm_source=mastodon" in link.target
    # Publishing the post still makes (and reuses) the post's own link, not a member's.
    published = text_with_short_links(post=offer.post)
    own = ShortLink.objects.get(code=personal_code(published))
    assert own.ambassador is None and personal_code(published) not in codes
    assert text_with_short_links(post=offer.post) == published


def test_the_posts_to_share_page_copy_button_and_i_shared_it(client_for, organisation, offer, people):
    client = client_for("viewer")
    page = client.get(url("shares", organisation)).content.decode()
    assert "Suggested text for Mastodon" in page and "Suggested text for Bluesky" in page
    assert 'data-copy="copy-' in page and "share.js" in page and "I shared it" in page
    code = personal_code(copy_for(offer=offer, ambassador=people["viewer"])[0]["text"])
    assert f"/l/{code}" in page

    response = client.post(
        url("share_done", organisation, offer_id=offer.id),
        {"network": "mastodon", "url": "https://mastodon.social/@v/1"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#offer-{offer.id}")
    share = Share.objects.get()
    assert (share.ambassador, share.network, share.url) == (
        people["viewer"],
        "mastodon",
        "https://mastodon.social/@v/1",
    )
    assert "You shared it 1 time" in client.get(url("shares", organisation)).content.decode()


def test_a_bad_share_is_refused_saying_why(offer, people, organisation, other_organisation, make_user):
    with pytest.raises(ValidationError, match="networks this post is offered for"):
        share_record(offer=offer, actor=people["viewer"], network="linkedin")
    with pytest.raises(ValidationError, match="not a web address"):
        share_record(offer=offer, actor=people["viewer"], network="mastodon", url="javascript:alert(1)")
    with pytest.raises(PermissionDenied):
        share_record(offer=offer, actor=people["outsider"], network="mastodon")
    assert not Share.objects.exists()


def test_the_offer_page_shows_who_shared_where_and_the_clicks_they_brought(
    client, client_for, organisation, offer, people
):
    viewer_code = personal_code(copy_for(offer=offer, ambassador=people["viewer"])[0]["text"])
    personal_code(copy_for(offer=offer, ambassador=people["contributor"])[0]["text"])
    share_record(offer=offer, actor=people["viewer"], network="mastodon")
    share_record(offer=offer, actor=people["contributor"], network="bluesky")  # no clicks on their bluesky link
    for _ in range(3):
        assert client.get(f"/l/{viewer_code}").status_code == 302

    results = offer_results(offer=offer)
    assert [(r.ambassador, len(r.shares), r.clicks) for r in results] == [
        (people["viewer"], 1, 3),
        (people["contributor"], 1, 0),
    ]
    page = client_for("editor").get(url("share_offer", organisation, offer_id=offer.id)).content.decode()
    assert "2 shares by 2 members" in page and "3 clicks on their links" in page
    assert "viewer" in page and "contributor" in page


def test_approvers_offer_from_the_post_page_and_see_refusals_in_words(client_for, organisation, post):
    client = client_for("editor")
    post_page = client.get(url("scheduled_post", organisation, scheduled_post_id=post.id)).content.decode()
    assert "Offer to staff to share" in post_page
    form = url("share_offer_edit", organisation, scheduled_post_id=post.id)
    assert 'id="copy-sandbox"' in client.get(form).content.decode()
    refused = client.post(form, {"copy-bluesky": "y" * 301})
    assert refused.status_code == 400 and "Bluesky allows 300" in refused.content.decode()
    response = client.post(form, {"copy-mastodon": COPY})
    offer = ShareOffer.objects.get(post=post)
    assert response.status_code == 302 and offer.copy == {"mastodon": COPY}


@pytest.mark.parametrize("who", ["contributor", "viewer"])
def test_members_share_but_only_approvers_offer_and_see_results(client_for, organisation, offer, post, who):
    client = client_for(who)
    assert client.get(url("shares", organisation)).status_code == 200
    assert client.get(url("share_offer", organisation, offer_id=offer.id)).status_code == 403
    assert (
        client.post(
            url("share_offer_edit", organisation, scheduled_post_id=post.id), {"copy-mastodon": "x"}
        ).status_code
        == 403
    )


def test_offers_of_failed_posts_are_not_shown(client_for, organisation, offer):
    offer.post.status = PostStatus.FAILED
    offer.post.save()
    assert "Nothing to share" in client_for("viewer").get(url("shares", organisation)).content.decode()


def test_posts_to_share_is_a_section_of_its_own_in_the_navigation(client_for, organisation, offer):
    page = client_for("contributor").get(url("shares", organisation)).content.decode()
    assert f'<a href="{url("shares", organisation)}" aria-current="page">Posts to share</a>' in page
    assert f'<a href="{url("calendar", organisation)}">Calendar</a>' in page


def test_a_withdrawn_offer_leaves_the_staff_list_keeps_its_shares_and_can_be_offered_again(
    client_for, organisation, offer, post, people
):
    share_record(offer=offer, actor=people["viewer"], network="mastodon")
    response = client_for("editor").post(url("share_offer_stop", organisation, offer_id=offer.id))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.withdrawn_at is not None and offer.withdrawn_by == people["editor"]
    assert "Nothing to share" in client_for("viewer").get(url("shares", organisation)).content.decode()
    with pytest.raises(ValidationError, match="no longer offered"):
        share_record(offer=offer, actor=people["viewer"], network="bluesky")
    page = client_for("editor").get(url("share_offer", organisation, offer_id=offer.id)).content.decode()
    assert "Withdrawn" in page and "1 share by 1 member" in page

    share_offer_save(post=post, actor=people["editor"], copy={"mastodon": COPY})
    offer.refresh_from_db()
    assert offer.withdrawn_at is None
    assert COPY.split(":")[0] in client_for("viewer").get(url("shares", organisation)).content.decode()


@pytest.mark.parametrize("who", ["contributor", "viewer"])
def test_only_approvers_withdraw_an_offer(client_for, organisation, offer, who):
    assert client_for(who).post(url("share_offer_stop", organisation, offer_id=offer.id)).status_code == 403
    offer.refresh_from_db()
    assert offer.withdrawn_at is None

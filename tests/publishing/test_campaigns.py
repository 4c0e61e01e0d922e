"""Campaigns and content themes: colours that can be seen, who may define and assign them, the calendar's
legend and filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import make_post
from townsquare.publishing.campaigns import campaign_save, scheduled_post_set_campaign
from townsquare.publishing.colours import contrast_ratio, validate_campaign_colour
from townsquare.publishing.models import Campaign, PostStatus, ScheduledPost

pytestmark = pytest.mark.django_db
AT = datetime(2026, 6, 9, 9, 0, tzinfo=UTC)


def url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="northfieldcc")


@pytest.mark.parametrize(
    ("colour", "ratio"), [("#000000", 21.0), ("#ffffff", 1.0), ("#767676", 4.54), ("#0b5cad", 6.7), ("#ffff00", 1.07)]
)
def test_contrast_ratio_against_white_follows_wcag(colour, ratio):
    assert contrast_ratio(colour, "#ffffff") == pytest.approx(ratio, abs=0.01 if ratio < 5 else 0.1)


def test_colours_too_pale_to_see_or_not_colours_are_refused_saying_why():
    validate_campaign_colour("#949494")  # 3.03:1
    with pytest.raises(ValidationError, match=r"#ffff00 has a contrast of 1\.1:1 against white"):
        validate_campaign_colour("#ffff00")
    with pytest.raises(ValidationError, match="is not a colour like"):
        validate_campaign_colour("red")


def test_editors_add_and_change_campaigns_contributors_cannot(client_for, organisation):
    form = {"name": "Have your say on buses", "kind": "campaign", "colour": "#a4161a", "description": "Until June"}
    assert client_for("contributor").post(url("campaign_create", organisation), form).status_code == 403
    response = client_for("editor").post(url("campaign_create", organisation), form, follow=True)
    campaign = Campaign.objects.get(organisation=organisation)
    assert campaign.colour == "#a4161a" and "Campaign “Have your say on buses” added." in response.content.decode()
    again = client_for("editor").post(url("campaign_create", organisation), form)
    assert again.status_code == 400 and "already exists" in again.content.decode()
    pale = client_for("editor").post(
        url("campaign_create", organisation), {**form, "name": "Pale", "colour": "#fafafa"}
    )
    assert pale.status_code == 400 and "pick a darker colour" in pale.content.decode()
    edit = url("campaign", organisation, campaign_id=campaign.id)
    assert client_for("contributor").get(edit).status_code == 403
    client_for("admin").post(edit, {**form, "kind": "theme", "colour": "#1e6b34"})
    campaign.refresh_from_db()
    assert (campaign.kind, campaign.colour) == ("theme", "#1e6b34")
    listing = client_for("viewer").get(url("campaigns", organisation)).content.decode()
    assert "Have your say on buses" in listing and "Edit" not in listing


def test_who_may_file_a_post_under_a_campaign(organisation, other_organisation, channel, people):
    campaign = campaign_save(campaign=Campaign(organisation=organisation, name="Spotlight", colour="#0b5cad"))
    own = make_post(organisation, channel, status=PostStatus.DRAFT, author=people["contributor"], at=AT)
    scheduled_post_set_campaign(post=own, actor=people["contributor"], campaign=campaign)
    assert ScheduledPost.objects.get(id=own.id).campaign == campaign
    others = make_post(organisation, channel, author=people["editor"], at=AT)
    with pytest.raises(PermissionDenied):
        scheduled_post_set_campaign(post=others, actor=people["contributor"], campaign=campaign)
    with pytest.raises(PermissionDenied):
        scheduled_post_set_campaign(post=others, actor=people["viewer"], campaign=campaign)
    theirs = campaign_save(campaign=Campaign(organisation=other_organisation, name="Spotlight", colour="#0b5cad"))
    with pytest.raises(ValidationError, match="not one of this organisation's campaigns"):
        scheduled_post_set_campaign(post=others, actor=people["editor"], campaign=theirs)
    scheduled_post_set_campaign(post=own, actor=people["editor"], campaign=None)
    assert ScheduledPost.objects.get(id=own.id).campaign is None


def test_the_calendar_names_colours_and_filters_by_campaign(client_for, organisation, channel):
    buses = campaign_save(campaign=Campaign(organisation=organisation, name="Buses", colour="#a4161a"))
    spotlight = campaign_save(
        campaign=Campaign(organisation=organisation, name="Spotlight", kind="theme", colour="#1e6b34")
    )
    bus_post = make_post(organisation, channel, text="Bus consultation opens", at=AT)
    make_post(organisation, channel, text="Meet our librarian", at=AT)
    client = client_for("editor")
    client.post(url("scheduled_post_campaign", organisation, scheduled_post_id=bus_post.id), {"campaign": buses.id})
    calendar = url("calendar", organisation) + "?date=2026-06-09"
    page = client.get(calendar).content.decode()
    assert "--campaign-colour: #a4161a" in page and "Spotlight" in page  # the legend lists every campaign
    item = page[page.index(f'data-post="{bus_post.id}"') :]
    assert item.index("Buses") < item.index("Bus consultation opens")  # the name is on the item itself
    filtered = client.get(calendar + f"&campaign={buses.id}").content.decode()
    assert "Bus consultation opens" in filtered and "Meet our librarian" not in filtered
    assert f"date=2026-06-15&amp;campaign={buses.id}" in filtered  # next week keeps the filter
    assert "Meet our librarian" not in client.get(calendar + f"&campaign={spotlight.id}").content.decode()
    assert client.get(calendar + "&campaign=999999").status_code == 404
    post_page = client.get(url("scheduled_post", organisation, scheduled_post_id=bus_post.id)).content.decode()
    assert f'<option value="{buses.id}" selected>Buses' in post_page

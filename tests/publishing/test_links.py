"""Short links with UTM tags: made when a post is published, counted on click and on action, kept apart per
organisation, and shown on the post's page and in `stats publishing`."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_channel
from tests.publishing.helpers import NOW, make_post
from townsquare.publishing.claims import scheduled_posts_claim
from townsquare.publishing.links import text_with_short_links, utm_tagged
from townsquare.publishing.models import Campaign, LinkEvent, ShortLink
from townsquare.publishing.publisher import scheduled_post_publish

pytestmark = pytest.mark.django_db

PUBLIC = "https://town.example.org"


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.TOWNSQUARE_PUBLIC_URL = PUBLIC


def publish(post, settings, tmp_path) -> dict:
    settings.TOWNSQUARE_SANDBOX_OUTBOX = str(tmp_path / "outbox.jsonl")
    [claimed] = scheduled_posts_claim(worker="w", now=NOW)
    assert scheduled_post_publish(post=claimed) == "published"
    return json.loads((tmp_path / "outbox.jsonl").read_text().splitlines()[-1])


def test_utm_tags_are_added_and_existing_ones_kept():
    tagged = urlsplit(
        utm_tagged("www.northfield.gov.uk/bins?ward=3&utm_campaign=spring", network="bluesky", campaign="northfield")
    )
    assert (tagged.scheme, tagged.hostname, tagged.path) == ("https", "www.northfield.gov.uk", "/bins")
    assert parse_qs(tagged.query) == {
        "ward": ["3"],
        "utm_campaign": ["spring"],
        "utm_source": ["bluesky"],
        "utm_medium": ["social"],
    }


def test_published_text_carries_short_links_to_the_tagged_targets(organisation, settings, tmp_path):
    text = "Book a bin: https://northfield.gov.uk/bins?size=large. Ours stays: https://town.example.org/about"
    post = make_post(organisation, make_channel(organisation), text=text)
    line = publish(post, settings, tmp_path)
    link = ShortLink.objects.get()
    assert line["text"] == f"Book a bin: {PUBLIC}/l/{link.code}. Ours stays: https://town.example.org/about"
    assert link.original == "https://northfield.gov.uk/bins?size=large" and link.network == "sandbox"
    assert link.target == (
        "https://northfield.gov.uk/bins?size=large&utm_source=sandbox&utm_medium=social&utm_campaign=northfield"
    )
    assert len(link.code) == 12


def test_a_post_in_a_campaign_tags_its_links_with_the_campaign(organisation, settings, tmp_path):
    post = make_post(organisation, make_channel(organisation), text="Plant a tree: https://northfield.gov.uk/trees")
    post.campaign = Campaign.objects.create(organisation=organisation, name="Northfield in Bloom", colour="#1e6b34")
    post.save(update_fields=["campaign"])
    publish(post, settings, tmp_path)
    assert parse_qs(urlsplit(ShortLink.objects.get().target).query)["utm_campaign"] == ["northfield-in-bloom"]


def test_a_retry_publishes_the_same_short_links(organisation):
    post = make_post(organisation, make_channel(organisation), text="See https://a.example/x and https://b.example/y")
    first = text_with_short_links(post=post)
    assert text_with_short_links(post=post) == first and ShortLink.objects.count() == 2
    codes = set(ShortLink.objects.values_list("code", flat=True))
    assert len(codes) == 2 and all(f"/l/{code}" in first for code in codes)


def test_links_are_left_as_written_when_short_ones_would_pass_the_networks_limit(organisation):
    channel = make_channel(organisation, network="bluesky")
    text = "x" * 270 + " https://ab.uk"  # 284 graphemes; with a 39-character short link, 310 > 300
    post = make_post(organisation, channel, text=text)
    assert text_with_short_links(post=post) == text
    assert not ShortLink.objects.exists()


def test_a_click_is_counted_and_redirected_and_an_action_behind_it_too(client, organisation, settings, tmp_path):
    post = make_post(organisation, make_channel(organisation), text="Sign up https://northfield.gov.uk/join")
    publish(post, settings, tmp_path)
    link = ShortLink.objects.get()
    response = client.get(f"/l/{link.code}")
    assert response.status_code == 302 and response["Location"] == link.target
    assert response["Cache-Control"] == "no-store"
    client.get(f"/l/{link.code}")
    assert client.head(f"/l/{link.code}").status_code == 405  # a preview fetcher's look is not a click
    pixel = client.get(f"/l/{link.code}/done")
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert client.post(f"/l/{link.code}/done").status_code == 204
    assert list(LinkEvent.objects.order_by("id").values_list("kind", flat=True)) == [
        "click",
        "click",
        "action",
        "action",
    ]


def test_unknown_codes_are_404_and_count_nothing(client, organisation):
    post = make_post(organisation, make_channel(organisation), text="https://northfield.gov.uk")
    link = ShortLink.objects.create(
        organisation=organisation, post=post, code="known", original="https://a.example", target="https://a.example"
    )
    assert client.get("/l/unknown").status_code == 404
    assert client.post("/l/unknown/done").status_code == 404
    assert client.get("/l/KNOWN").status_code == 404  # codes are exact
    assert not LinkEvent.objects.exists() and link.events.count() == 0


def test_counts_show_on_the_post_and_in_stats_per_organisation(
    client, client_for, organisation, other_organisation, settings, tmp_path, capsys
):
    post = make_post(organisation, make_channel(organisation), text="Have your say https://northfield.gov.uk/say")
    publish(post, settings, tmp_path)
    other = make_post(other_organisation, make_channel(other_organisation), text="https://southby.gov.uk")
    theirs = ShortLink.objects.create(
        organisation=other_organisation,
        post=other,
        code="theirs",
        original="https://s.example",
        target="https://s.example",
    )
    ours = ShortLink.objects.get(organisation=organisation)
    for _ in range(3):
        client.get(f"/l/{ours.code}")
    client.post(f"/l/{ours.code}/done")
    client.get(f"/l/{theirs.code}")

    call_command("stats", "publishing", "--org", organisation.slug, "--json")
    figures = json.loads(capsys.readouterr().out)
    assert (figures["link_clicks"], figures["link_actions"]) == (3, 1)
    call_command("stats", "publishing", "--org", other_organisation.slug, "--json")
    figures = json.loads(capsys.readouterr().out)
    assert (figures["link_clicks"], figures["link_actions"]) == (1, 0)

    page = client_for("viewer").get(
        reverse("scheduled_post", kwargs={"org_slug": organisation.slug, "scheduled_post_id": post.id})
    )
    row = page.content.decode().split(f"{PUBLIC}/l/{ours.code}</code>")[1].split("</tr>")[0]
    assert row == "</td><td>3</td><td>1</td>"

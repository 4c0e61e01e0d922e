"""Listening in the product: the pipeline's matching, the incremental matcher and the pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import store_posts
from townsquare.listening.matcher import TOKEN
from townsquare.mentions import matching
from townsquare.mentions.matching import matcher_forget_all
from townsquare.mentions.models import ListeningQuery, Mention
from townsquare.mentions.services import query_create, query_delete, query_set_paused, query_update


@pytest.fixture(autouse=True)
def fresh_cache():
    matcher_forget_all()
    yield
    matcher_forget_all()


def found(query) -> list[str]:
    return sorted(Mention.objects.filter(query=query).values_list("post__external_id", flat=True))


def test_pipeline_stores_mentions_for_matching_posts_only_and_once(organisation):
    bins = query_create(organisation=organisation, name="Bins", text='"bin collection" OR bins')
    store_posts(organisation, {"id": "1", "text": "Missed bin collection again"}, {"id": "2", "text": "Lovely park"})
    store_posts(organisation, {"id": "1", "text": "Missed bin collection again"}, {"id": "3", "text": "Bins!"})
    assert found(bins) == ["1", "3"]


def test_pausing_stops_matching_and_resuming_starts_again(organisation):
    query = query_create(organisation=organisation, name="Floods", text="flood*")
    query_set_paused(query=query, paused=True)
    store_posts(organisation, {"id": "1", "text": "Flooding on Mill Lane"})
    query_set_paused(query=query, paused=False)
    store_posts(organisation, {"id": "2", "text": "Flooded again"})
    assert found(query) == ["2"]


def test_editing_a_query_changes_what_new_posts_match_without_a_restart(organisation):
    query = query_create(organisation=organisation, name="Roads", text="pothole")
    store_posts(organisation, {"id": "1", "text": "pothole here"})
    query_update(query=query, name="Roads", text="roadworks", kind="topic")
    store_posts(organisation, {"id": "2", "text": "pothole there"}, {"id": "3", "text": "roadworks at noon"})
    assert found(query) == ["1", "3"]


def test_changes_by_another_process_are_picked_up(organisation):
    query = query_create(organisation=organisation, name="Roads", text="pothole")
    store_posts(organisation, {"id": "1", "text": "pothole"})  # the cache is warm now
    # Another process edits the row directly: this process's cache is not told.
    ListeningQuery.objects.filter(id=query.id).update(text="library", updated_at=query.updated_at.replace(year=2099))
    other = ListeningQuery.objects.create(organisation=organisation, name="Parks", text="park")
    store_posts(organisation, {"id": "2", "text": "pothole"}, {"id": "3", "text": "library park"})
    assert found(query) == ["1", "3"] and found(other) == ["3"]
    ListeningQuery.objects.filter(id=other.id).delete()
    store_posts(organisation, {"id": "4", "text": "park library"})
    assert found(query) == ["1", "3", "4"]


def test_deleted_query_stops_matching(organisation):
    query = query_create(organisation=organisation, name="Parks", text="park")
    keep = query_create(organisation=organisation, name="Trees", text="tree")
    query_delete(query=query)
    store_posts(organisation, {"id": "1", "text": "park tree"})
    assert Mention.objects.count() == 1 and found(keep) == ["1"]


def test_validation_endpoint_returns_the_column_and_a_caret(client_for, organisation):
    url = reverse("listening_check", kwargs={"org_slug": organisation.slug})
    page = client_for("editor").post(url, {"text": "flood NEAR/x drains"}).content.decode()
    assert "Column 12:" in page and "NEAR/ needs a number" in page
    assert "flood NEAR/x drains\n           ^" in page
    page = client_for("editor").post(url, {"text": "bins  or   flood"}).content.decode()
    assert "Reads as: <code>bins AND or AND flood</code>" in page


def test_preview_shows_what_the_query_would_have_matched(client_for, organisation, other_organisation):
    store_posts(organisation, {"id": "1", "text": "Gritters out tonight"}, {"id": "2", "text": "Sunny day"})
    store_posts(other_organisation, {"id": "9", "text": "Gritters in Southby"})
    url = reverse("listening_preview", kwargs={"org_slug": organisation.slug})
    page = client_for("editor").post(url, {"text": "gritter*"}).content.decode()
    assert "1 of the latest 2 stored posts match" in page
    assert "Gritters out tonight" in page and "Sunny" not in page and "Southby" not in page
    assert Mention.objects.count() == 0


def test_stream_filters_by_network_language_and_date(client_for, organisation):
    query = query_create(organisation=organisation, name="Bins", text="bins")
    store_posts(
        organisation, {"id": "1", "text": "bins english", "lang": "en"}, {"id": "2", "text": "bins welsh", "lang": "cy"}
    )
    store_posts(organisation, {"id": "3", "text": "bins on rss", "lang": "en"}, network="rss")
    client = client_for("viewer")
    url = reverse("listening_query", kwargs={"org_slug": organisation.slug, "query_id": query.id})
    page = client.get(url + "?lang=en&network=sandbox").content.decode()
    assert "bins english" in page and "bins welsh" not in page and "bins on rss" not in page
    assert "0 mentions." in client.get(url + "?since=2026-03-02").content.decode()
    everything = client.get(reverse("listening_mentions", kwargs={"org_slug": organisation.slug})).content.decode()
    assert "3 mentions." in everything and "Found by" in everything


def test_viewer_reads_but_cannot_create_or_pause(client_for, organisation):
    query = query_create(organisation=organisation, name="Bins", text="bins")
    client = client_for("viewer")
    assert client.get(reverse("listening", kwargs={"org_slug": organisation.slug})).status_code == 200
    new = reverse("listening_new", kwargs={"org_slug": organisation.slug})
    assert client.post(new, {"name": "x", "text": "y", "kind": "topic"}).status_code == 403
    pause = reverse("listening_query_pause", kwargs={"org_slug": organisation.slug, "query_id": query.id})
    assert client.post(pause, {"paused": "1"}).status_code == 403
    assert ListeningQuery.objects.get().paused is False and ListeningQuery.objects.count() == 1


def test_editor_creates_with_canonical_text_and_refused_text_shows_the_column(client_for, organisation):
    client = client_for("editor")
    new = reverse("listening_new", kwargs={"org_slug": organisation.slug})
    page = client.post(new, {"name": "Bad", "text": '"bin', "kind": "topic"}).content.decode()
    assert "column" in page and ListeningQuery.objects.count() == 0
    client.post(new, {"name": "Floods", "text": "flood*  drains", "kind": "topic"})
    assert ListeningQuery.objects.get().text == "flood* AND drains"


def test_suggestions_are_offered_not_created_and_accepted_with_one_click(client_for, organisation):
    from tests.factories import make_channel

    make_channel(organisation, handle="northfieldcc")
    client = client_for("editor")
    page = client.get(reverse("listening", kwargs={"org_slug": organisation.slug})).content.decode()
    assert "&quot;Northfield Council&quot;" in page and "@northfieldcc" in page
    assert ListeningQuery.objects.count() == 0
    accept = reverse("listening_suggestion_accept", kwargs={"org_slug": organisation.slug})
    client.post(accept, {"text": "@northfieldcc"})
    assert list(ListeningQuery.objects.values_list("text", flat=True)) == ["@northfieldcc"]
    page = client.get(reverse("listening", kwargs={"org_slug": organisation.slug})).content.decode()
    assert "Suggested" in page and 'value="@northfieldcc"' not in page


def test_stream_volume_counts_mentions_per_day_in_the_organisations_time_zone(client_for, organisation):
    # Auckland is 12-13 hours ahead of UTC, so a post late in a UTC day counts on the next local day.
    organisation.time_zone = "Pacific/Auckland"
    organisation.save()
    zone = ZoneInfo(organisation.time_zone)
    today = timezone.now().astimezone(zone).date()

    def at(days_ago: int, hour: int) -> str:
        return datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=zone).isoformat()

    query = query_create(organisation=organisation, name="Bins", text="bins")
    store_posts(
        organisation,
        {"id": "1", "text": "bins today", "created_at": at(0, 0)},
        {"id": "2", "text": "bins today again", "created_at": at(0, 0)},
        {"id": "3", "text": "bins two days ago", "created_at": at(2, 23)},
        {"id": "4", "text": "bins thirteen days ago", "created_at": at(13, 12)},
        {"id": "5", "text": "bins twenty days ago", "created_at": at(20, 12)},  # only in the 30-day view
        {"id": "6", "text": "nothing about it", "created_at": at(0, 1)},  # not a mention
    )
    client = client_for("viewer")
    url = reverse("listening_query", kwargs={"org_slug": organisation.slug, "query_id": query.id})
    volume = client.get(url).context["volume"]
    assert len(volume) == 14 and volume[-1][0] == today
    assert {day: n for day, n in volume if n} == {
        today: 2,
        today - timedelta(days=2): 1,
        today - timedelta(days=13): 1,
    }
    month = dict(client.get(url + "?days=30").context["volume"])
    assert len(month) == 30 and month[today - timedelta(days=20)] == 1 and sum(month.values()) == 5


def test_mention_streams_poll_for_new_mentions_that_pass_the_filters(client_for, organisation):
    bins = query_create(organisation=organisation, name="Bins", text="bins")
    query_create(organisation=organisation, name="Parks", text="parks")
    store_posts(organisation, {"id": "1", "text": "bins old", "lang": "en"})
    client = client_for("viewer")
    slug = organisation.slug
    stream = reverse("listening_query", kwargs={"org_slug": slug, "query_id": bins.id})
    page = client.get(stream + "?lang=en").content.decode()
    newest = Mention.objects.get(post__external_id="1").id
    updates = reverse("listening_query_updates", kwargs={"org_slug": slug, "query_id": bins.id})
    assert f'hx-get="{updates}?lang=en&amp;after={newest}"' in page and 'id="mention-list"' in page

    store_posts(
        organisation,
        {"id": "2", "text": "bins new", "lang": "en"},
        {"id": "3", "text": "bins in welsh", "lang": "cy"},  # filtered out
        {"id": "4", "text": "parks new", "lang": "en"},  # another query
    )
    polled = client.get(f"{updates}?lang=en&after={newest}").content.decode()
    assert "bins new" in polled and "bins in welsh" not in polled and "parks new" not in polled
    assert 'hx-swap-oob="afterbegin:#mention-list"' in polled and "1 new mention found just now" in polled
    latest = Mention.objects.get(post__external_id="2").id
    assert f"after={latest}" in polled
    assert "new mention" not in client.get(f"{updates}?lang=en&after={latest}").content.decode()

    everything = reverse("listening_mentions_updates", kwargs={"org_slug": slug})
    polled_all = client.get(f"{everything}?after={newest}").content.decode()
    assert "bins new" in polled_all and "parks new" in polled_all and "Found by" in polled_all
    assert "bins old" in client.get(f"{everything}?after=nonsense").content.decode()  # unreadable: from the start


def test_a_new_matcher_anchors_queries_on_the_words_rare_in_the_organisations_own_posts(organisation, monkeypatch):
    monkeypatch.setattr(matching, "STATISTICS_MINIMUM", 20)
    # "council" is in every post this organisation hears; "bins" in one. Without statistics the longer,
    # rarer-looking word "council" would be the anchor.
    store_posts(organisation, *({"id": f"c{i}", "text": f"The council meeting number {i}"} for i in range(30)))
    store_posts(organisation, {"id": "b", "text": "Bins not collected"})
    assert organisation.id not in matching._cache  # no query yet: no words counted, no matcher kept
    query = query_create(organisation=organisation, name="Council bins", text="council bins")
    store_posts(organisation, {"id": "new", "text": "council bins missed again"})
    assert matching._cache[organisation.id].matcher.anchored_on(query.id) == {(TOKEN, "bins")}
    assert found(query) == ["new"]


def test_with_too_few_posts_to_count_a_new_matcher_uses_the_static_estimate(organisation):
    store_posts(organisation, *({"id": f"c{i}", "text": f"The council meeting number {i}"} for i in range(30)))
    matcher_forget_all()
    query = query_create(organisation=organisation, name="Council bins", text="council bins")
    store_posts(organisation, {"id": "new", "text": "council bins missed again"})
    assert matching._cache[organisation.id].matcher.anchored_on(query.id) == {(TOKEN, "council")}
    assert found(query) == ["new"]

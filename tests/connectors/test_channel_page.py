"""The channel's page: what Townsquare can and cannot do on its network (and why), what the last sync fetched,
the last error in plain words, and the switch for listening by search where the network offers it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_channel, store_posts
from townsquare.channels.models import ChannelEvent
from townsquare.channels.services import channel_create, channel_record_error, channel_record_sync
from townsquare.inbox.models import Conversation
from townsquare.networks.abilities import channel_abilities, channel_can
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.sync import SyncReport


def page(client, channel) -> str:
    url = reverse("channel", kwargs={"org_slug": channel.organisation.slug, "channel_id": channel.id})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def bluesky(organisation):
    return channel_create(
        organisation=organisation,
        network="bluesky",
        handle="northfieldcc.bsky.social",
        options={"service": "https://pds.example", "listen": "true"},
        credentials={"app_password": "abcd-efgh-ijkl-mnop"},
    )


def test_every_capability_is_said_yes_or_no_with_the_reason(organisation, bluesky):
    feed = channel_create(
        organisation=organisation, network="rss", handle="gazette", options={"url": "https://g.example"}
    )
    archive = channel_create(organisation=organisation, network="twitter", handle="northfieldcc")
    assert channel_can(feed, "fetch_mentions") and not channel_can(feed, "publish")
    # An X channel added for its exports holds no token: nothing works on the network until one is stored.
    assert not channel_can(archive, "publish") and "twitter" in CONNECTORS
    said = {ability.capability: ability for ability in channel_abilities(archive)}
    assert not said["publish"].available and "no access is stored" in said["publish"].why
    assert not said["search"].available and "no access is stored" in said["search"].why
    said = {ability.capability: ability for ability in channel_abilities(bluesky)}
    assert all(said[name].available for name in ("fetch_mentions", "search", "publish", "like", "share", "metrics"))


def test_the_page_lists_what_works_and_why_not(client_for, organisation, bluesky):
    feed = channel_create(
        organisation=organisation, network="rss", handle="gazette", options={"url": "https://g.example"}
    )
    html = page(client_for("viewer"), feed)
    assert "Yes: Read what people say to the account" in html
    assert "No: Publish posts (RSS / Atom feed does not offer this to Townsquare)" in html
    assert "No: Search public posts for the listening queries (RSS / Atom feed does not offer" in html
    assert "Yes: Search public posts for the listening queries" in page(client_for("viewer"), bluesky)


def test_the_page_shows_what_the_last_sync_fetched_and_searched(client_for, bluesky):
    report = SyncReport(fetched=3, stored=2, duplicates=1, searched={"northfield": 5, "#binday": 0}, matched=2)
    report.unsearchable = ["Welsh posts"]
    channel_record_sync(channel=bluesky, summary=report.summary())
    html = page(client_for("viewer"), bluesky)
    assert "3 posts read, 2 new stored, 1 already known." in html
    # In term order: PostgreSQL's jsonb does not keep a dict's order.
    assert "Searched for #binday (0 found), northfield (5 found): 2 matched a listening query." in html
    assert "Cannot search this network for: Welsh posts" in html


def test_the_last_error_and_the_wait_are_in_plain_words(client_for, bluesky):
    channel_record_error(
        channel=bluesky, message="the Bluesky server is limiting requests (HTTP 429)", permanent=False, retry_after=600
    )
    html = page(client_for("viewer"), bluesky)
    assert "the Bluesky server is limiting requests (HTTP 429)" in html
    assert "the network asked Townsquare to wait" in html
    # A later success says so beside the old error.
    bluesky.last_error_at = timezone.now() - timedelta(hours=1)
    bluesky.save(update_fields=["last_error_at"])
    channel_record_sync(channel=bluesky, summary=SyncReport().summary())
    assert "a later sync worked" in page(client_for("viewer"), bluesky)


def test_listening_by_search_is_switched_on_the_page_where_the_network_searches(client_for, organisation, bluesky):
    admin = client_for("admin")
    assert 'name="listen"' in page(admin, bluesky)
    url = reverse("channel_edit", kwargs={"org_slug": organisation.slug, "channel_id": bluesky.id})
    admin.post(url, {"handle": bluesky.handle, "display_name": "Northfield"})
    bluesky.refresh_from_db()
    # Switching off keeps the other options, and the audit says what changed.
    assert bluesky.options == {"service": "https://pds.example", "listen": False}
    assert ChannelEvent.objects.filter(channel=bluesky, action="changed").exists()
    assert "No: Search public posts for the listening queries (switched off" in page(admin, bluesky)
    admin.post(url, {"handle": bluesky.handle, "display_name": "Northfield", "listen": "on"})
    bluesky.refresh_from_db()
    assert bluesky.options["listen"] is True
    feed = channel_create(
        organisation=organisation, network="rss", handle="gazette", options={"url": "https://g.example"}
    )
    assert 'name="listen"' not in page(admin, feed)
    url = reverse("channel_edit", kwargs={"org_slug": organisation.slug, "channel_id": feed.id})
    admin.post(url, {"handle": "gazette", "display_name": "Gazette", "listen": "on"})
    feed.refresh_from_db()
    assert feed.options == {"url": "https://g.example"}


def test_search_is_a_capability_exactly_where_a_search_is_implemented():
    for connector in CONNECTORS.values():
        assert ("search" in connector.capabilities) == bool(connector.search_kinds), connector.kind


@pytest.mark.parametrize(
    "network, options, credentials, words",
    [
        ("sandbox", {}, None, None),
        (
            "rss",
            {"url": "https://g.example"},
            None,
            "Townsquare cannot reply on RSS / Atom feed: its connector does not send replies",
        ),
        ("twitter", {}, None, "no access is stored for @council on X / Twitter"),
        ("mastodon", {"instance": "https://social.example"}, {"access_token": "t"}, None),
        # YouTube reads with an API key but replies only as the signed-in owner.
        (
            "youtube",
            {"channel_id": "UCnorthfield"},
            {"api_key": "AIza-k"},
            "replying on YouTube needs the channel owner",
        ),
        ("youtube", {"channel_id": "UCnorthfield"}, {"refresh_token": "1//r", "client_id": "c"}, None),
    ],
)
def test_the_conversation_page_explains_a_reply_it_cannot_send(
    client_for, organisation, network, options, credentials, words
):
    make_channel(organisation, handle="council", network=network, options=options, credentials=credentials)
    store_posts(organisation, {"id": "q1", "text": "@council flooding on Mill Lane", "author": "ann"}, network=network)
    conversation = Conversation.objects.get(organisation=organisation)
    url = reverse("conversation", kwargs={"org_slug": organisation.slug, "conversation_id": conversation.id})
    html = client_for("editor").get(url).content.decode()
    if words is None:
        assert "Send reply" in html and "reply-unavailable" not in html
    else:
        assert "Send reply" not in html and words in html


def edit(client, channel, **fields):
    url = reverse("channel_edit", kwargs={"org_slug": channel.organisation.slug, "channel_id": channel.id})
    return client.post(url, {"handle": channel.handle, "display_name": channel.display_name, **fields}, follow=True)


@pytest.mark.parametrize(
    "network, option, good, bad, words",
    [
        ("facebook", "page_id", "104567890123456", "northfieldcouncil", "The Facebook Page id is digits only"),
        ("instagram", "ig_user_id", "17841400000000001", "17841400000000001 ", None),
        ("instagram", "ig_user_id", "17841400000000001", "١٧٨٤١", "The Instagram account id is digits only"),
        ("linkedin", "organization_id", "2414183", "urn:li:organization:2414183", "The LinkedIn organisation id is"),
        ("youtube", "channel_id", "UCnorthfield0000000000a1", "UCnorthfield", "The YouTube channel id is UC followed"),
        ("reddit", "subreddit", "northfield", "r/northfield", "The Subreddit is 3 to 21 letters, digits or _"),
    ],
)
def test_the_accounts_id_is_seen_and_set_in_the_details_form(
    client_for, organisation, people, network, option, good, bad, words
):
    channel = channel_create(organisation=organisation, network=network, handle="council", options={"keep": "me"})
    admin = client_for("admin")
    assert f'name="{option}"' in page(admin, channel)
    html = edit(admin, channel, **{option: good}).content.decode()
    assert "Saved." in html and f'value="{good}"' in html
    channel.refresh_from_db()
    assert channel.options == {"keep": "me", option: good}
    event = ChannelEvent.objects.filter(channel=channel, action="changed").latest("id")
    assert event.actor == people["admin"] and event.detail == {"options": [{"keep": "me"}, channel.options]}
    html = edit(admin, channel, **{option: bad}).content.decode()
    channel.refresh_from_db()
    if words is None:
        # Spaces around a pasted id are not part of it.
        assert "Saved." in html and channel.options[option] == bad.strip()
        return
    assert "Nothing was saved." in html and words in html and channel.options[option] == good
    assert ChannelEvent.objects.filter(channel=channel, action="changed").count() == 1
    # Emptied, the channel names no account any more.
    edit(admin, channel, **{option: ""})
    channel.refresh_from_db()
    assert channel.options == {"keep": "me"}


@pytest.mark.parametrize(
    ("network", "option", "first", "second"),
    [
        ("facebook", "page_id", "111", "222"),
        ("instagram", "ig_user_id", "17841400000000001", "17841400000000002"),
        ("linkedin", "organization_id", "2414183", "2414184"),
        ("youtube", "channel_id", "UCnorthfield0000000000a1", "UCnorthfield0000000000a2"),
    ],
)
def test_another_account_id_starts_the_sync_again(client_for, organisation, network, option, first, second):
    channel = channel_create(organisation=organisation, network=network, handle="council", options={option: first})
    channel.sync_cursor = {"since": "1700000000"}
    channel.save()
    admin = client_for("admin")
    edit(admin, channel, **{option: first}, display_name="Council")  # same account: the cursor stays
    channel.refresh_from_db()
    assert channel.display_name == "Council" and channel.sync_cursor == {"since": "1700000000"}
    edit(admin, channel, **{option: second})
    channel.refresh_from_db()
    assert channel.options == {option: second} and channel.sync_cursor == {}


def test_another_subreddit_keeps_the_sync_where_it_is(client_for, organisation):
    # The subreddit is only where new posts go; the mentions the channel reads are the account's.
    reddit = channel_create(organisation=organisation, network="reddit", handle="cc", options={"subreddit": "aaa"})
    reddit.sync_cursor = {"inbox": "t1_x"}
    reddit.save()
    edit(client_for("admin"), reddit, subreddit="bbb")
    reddit.refresh_from_db()
    assert reddit.options == {"subreddit": "bbb"} and reddit.sync_cursor == {"inbox": "t1_x"}


def test_a_reddit_channel_publishes_only_once_it_names_its_subreddit(organisation):
    signed_in = {"client_id": "c", "client_secret": "s", "refresh_token": "r"}
    reddit = channel_create(organisation=organisation, network="reddit", handle="northfieldcc", credentials=signed_in)
    said = {ability.capability: ability for ability in channel_abilities(reddit)}
    assert not channel_can(reddit, "publish") and "name it in Details" in said["publish"].why
    assert channel_can(reddit, "reply") and said["reply"].available  # replies go where the parent is
    reddit.options = {"subreddit": "northfield"}
    assert channel_can(reddit, "publish")
    bare = channel_create(organisation=organisation, network="reddit", handle="other")
    said = {ability.capability: ability for ability in channel_abilities(bare)}
    assert "no access is stored" in said["publish"].why  # the first thing to mend


def test_only_networks_that_need_an_account_id_ask_for_one(client_for, organisation, bluesky):
    admin = client_for("admin")
    html = page(admin, bluesky)
    assert not any(f'name="{option}"' in html for option in ("page_id", "ig_user_id", "organization_id", "channel_id"))
    # A field the form does not offer for this network is not stored.
    edit(admin, bluesky, page_id="104567890123456", listen="on")
    bluesky.refresh_from_db()
    assert bluesky.options == {"service": "https://pds.example", "listen": True}


def test_another_organisations_channel_or_a_member_who_may_not_manage_channels_changes_nothing(
    client_for, organisation, other_organisation
):
    theirs = channel_create(
        organisation=other_organisation, network="facebook", handle="southby", options={"page_id": "111"}
    )
    url = reverse("channel_edit", kwargs={"org_slug": organisation.slug, "channel_id": theirs.id})
    response = client_for("owner").post(url, {"handle": "southby", "page_id": "222"})
    assert response.status_code == 404
    ours = channel_create(organisation=organisation, network="facebook", handle="council", options={"page_id": "111"})
    url = reverse("channel_edit", kwargs={"org_slug": organisation.slug, "channel_id": ours.id})
    assert client_for("editor").post(url, {"handle": "council", "page_id": "222"}).status_code == 403
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.options == {"page_id": "111"} and ours.options == {"page_id": "111"}
    assert not ChannelEvent.objects.filter(action="changed").exists()

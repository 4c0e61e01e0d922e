"""Mastodon through the local stand-in: mentions in, replies out, every failure recorded and nothing lost."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.connectors.conftest import Canned, mastodon_account, mastodon_notification, mastodon_status
from tests.publishing.helpers import NOW, make_post
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.channels.services import channel_credentials
from townsquare.labels.services import label_correct
from townsquare.mentions.services import query_create
from townsquare.networks import sync as sync_module
from townsquare.networks.base import MediaItem, PostGone
from townsquare.networks.connectors import CONNECTORS
from townsquare.networks.mastodon import connector as mastodon_connector
from townsquare.networks.sync import channels_due
from townsquare.posts.models import Post
from townsquare.publishing.claims import scheduled_posts_claim
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.publisher import scheduled_post_publish

TOKEN = "mastodon-token-7f3e-secret"
NOTIFICATIONS = "/api/v1/notifications"


def add_channel(fake_network) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "mastodon", "--handle", "northfieldcc",
        "--instance", fake_network.url + "/", "--token", TOKEN,
    )  # fmt: skip
    return Channel.objects.get(network="mastodon", handle="northfieldcc")


def sync(capsys, *args: str) -> str:
    call_command("sync", "--org", "northfield", *args)
    return capsys.readouterr().out


def mentions(first: int, count: int) -> list[dict]:
    return [
        mastodon_notification(1000 + n, mastodon_status(str(5000 + n), text=f"@northfieldcc mention {n}"))
        for n in range(first, first + count)
    ]


def stored_ids() -> list[str]:
    return sorted(Post.objects.filter(network="mastodon").values_list("external_id", flat=True))


def test_add_keeps_the_instance_in_options_and_the_token_only_in_the_vault(organisation, fake_network):
    channel = add_channel(fake_network)
    assert channel.options == {"instance": fake_network.url}
    assert channel_credentials(channel=channel) == {"access_token": TOKEN}
    assert TOKEN not in json.dumps(channel.options) and TOKEN not in channel.credentials_encrypted


def test_add_without_a_token_says_what_is_missing(organisation):
    with pytest.raises(CommandError, match="--instance URL and --token"):
        call_command("channel", "add", "--org", "northfield", "--network", "mastodon", "--handle", "x")


def test_mentions_are_mapped_and_stored_once(organisation, fake_network, capsys):
    original = mastodon_status("4000", text="Road closed on Mill Lane", acct="northfieldcc")
    fake_network.notifications = [
        mastodon_notification(
            101,
            mastodon_status(
                "5001",
                content=(
                    '<p><span class="h-card"><a href="https://social.example/@northfieldcc" class="u-url mention">'
                    "@<span>northfieldcc</span></a></span> the bins on Elm St were missed again "
                    '<a href="https://social.example/tags/bins" class="mention hashtag" rel="tag">'
                    "#<span>bins</span></a>"
                    '</p><p>Photo: <a href="https://photos.example/elm-street" rel="nofollow noopener" target="_blank">'
                    '<span class="invisible">https://</span><span class="">photos.example/elm-street</span></a>'
                    "<br />Thanks &amp; regards</p>"
                ),
                in_reply_to_id="4000",
                mentions=[{"id": "1", "username": "northfieldcc", "acct": "northfieldcc", "url": "https://x/@n"}],
                tags=[{"name": "Bins", "url": "https://social.example/tags/bins"}],
                media_attachments=[
                    {
                        "id": "77",
                        "type": "image",
                        "url": "https://files.social.example/elm.jpg",
                        "preview_url": "https://files.social.example/elm-small.jpg",
                        "description": "Overflowing bins on a pavement",
                    }
                ],
            ),
        ),
        mastodon_notification(
            102, mastodon_status("5002", content="", acct="press@news.example", reblog=original), kind="mention"
        ),
    ]
    channel = add_channel(fake_network)
    out = sync(capsys)
    assert "fetched 2, stored 2, duplicates 0" in out
    post = Post.objects.get(external_id="5001")
    expected = "@northfieldcc the bins on Elm St were missed again #bins\n\nPhoto: photos.example/elm-street"
    assert post.text == expected + "\nThanks & regards"
    assert post.mentions == ["northfieldcc"] and post.hashtags == ["bins"]
    assert post.links == ["https://photos.example/elm-street"]
    assert post.media == [
        {"type": "image", "url": "https://files.social.example/elm.jpg", "alt": "Overflowing bins on a pavement"}
    ]
    assert post.in_reply_to_external_id == "4000" and post.source == "sync"
    assert post.author.handle == "resident@social.example" and post.likes_count == 2
    assert Post.objects.get(external_id="5002").shared_external_id == "4000"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"min_id": "102"} and channel.status == ChannelStatus.OK and channel.last_synced_at
    # Every request carried the token, and the second run asks only for what is newer.
    assert all(headers.get("Authorization") == f"Bearer {TOKEN}" for _, _, headers in fake_network.requests)
    assert "fetched 0, stored 0" in sync(capsys)
    assert Post.objects.filter(network="mastodon").count() == 2


def test_pages_are_followed_until_the_network_has_no_more(organisation, fake_network, capsys):
    fake_network.notifications = mentions(0, 3)
    add_channel(fake_network)
    sync(capsys)
    fake_network.notifications += mentions(3, 95)
    out = sync(capsys)
    assert "fetched 95, stored 95, duplicates 0" in out
    assert fake_network.hits(NOTIFICATIONS) == 1 + 3  # 40 + 40 + 15
    assert stored_ids() == sorted(str(5000 + n) for n in range(98))


def test_a_new_channel_starts_from_the_newest_page_not_the_whole_history(organisation, fake_network, capsys):
    fake_network.notifications = mentions(0, 100)
    add_channel(fake_network)
    assert "stored 40" in sync(capsys)
    assert stored_ids() == sorted(str(5000 + n) for n in range(60, 100))


FAILURES = {
    "rate limited with Retry-After": (
        Canned(429, b'{"error":"Too many requests"}', {"Retry-After": "30", "Content-Type": "application/json"}),
        "limiting requests (HTTP 429); trying again in 30 seconds",
        ChannelStatus.ERROR,
    ),
    "server error": (Canned(503, b"<html>down</html>"), "had a problem of its own (HTTP 503)", ChannelStatus.ERROR),
    "malformed JSON": (
        Canned(200, b'[{"id": "1", "type": "mention", ', {"Content-Type": "application/json"}),
        "not valid JSON",
        ChannelStatus.ERROR,
    ),
    "timeout": (Canned(200, b"[]", delay=1.5), "the request timed out", ChannelStatus.ERROR),
    "expired token": (
        Canned(401, b'{"error":"The access token is invalid"}', {"Content-Type": "application/json"}),
        "refused the stored access (HTTP 401): reconnect the account",
        ChannelStatus.DISABLED,
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(
    case, organisation, fake_network, capsys, monkeypatch
):
    answer, words, status = FAILURES[case]
    monkeypatch.setattr(mastodon_connector, "TIMEOUT_SECONDS", 0.5)
    fake_network.notifications = mentions(0, 2)
    channel = add_channel(fake_network)
    sync(capsys)
    fake_network.notifications += mentions(2, 50)
    fake_network.fail_next(NOTIFICATIONS, answer)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    assert words in capsys.readouterr().out
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor == {"min_id": "1001"}
    assert channel.events.filter(action="error").count() == 1
    if status == ChannelStatus.DISABLED:
        assert "skipped, disabled" in sync(capsys)
        assert stored_ids() == ["5000", "5001"]
        return
    assert "stored 50, duplicates 0" in sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.OK
    assert stored_ids() == sorted(str(5000 + n) for n in range(52))


def test_a_rate_limit_between_pages_keeps_the_pages_already_stored(organisation, fake_network, capsys, monkeypatch):
    fake_network.notifications = mentions(0, 1)
    channel = add_channel(fake_network)
    sync(capsys)
    fake_network.notifications += mentions(1, 90)
    connector = CONNECTORS["mastodon"]
    real_fetch = connector.fetch
    cursors = []

    def limited_on_the_second_page(**kwargs):
        cursors.append(kwargs["cursor"])
        if len(cursors) == 2:
            reset = {"X-RateLimit-Reset": "2099-01-01T00:00:00.000Z"}
            fake_network.fail_next(NOTIFICATIONS, Canned(429, b'{"error":"Too many requests"}', reset))
        return real_fetch(**kwargs)

    monkeypatch.setattr(connector, "fetch", limited_on_the_second_page)
    with pytest.raises(CommandError):
        sync(capsys)
    channel.refresh_from_db()
    assert "HTTP 429" in channel.last_error and channel.status == ChannelStatus.ERROR
    assert channel.sync_cursor == {"min_id": "1040"} and len(stored_ids()) == 41
    assert "stored 50, duplicates 0" in sync(capsys)
    assert stored_ids() == sorted(str(5000 + n) for n in range(91))


RATE_LIMITS = {
    "Retry-After in seconds": {"Retry-After": "1800"},
    "X-RateLimit-Reset as an ISO time": {"X-RateLimit-Reset": "{reset}"},
}


@pytest.mark.parametrize("case", list(RATE_LIMITS))
def test_a_rate_limit_moves_the_next_scheduled_sync_to_the_reset_time(case, organisation, fake_network, capsys):
    channel = add_channel(fake_network)
    sync(capsys)
    reset = (timezone.now() + timedelta(seconds=1800)).isoformat().replace("+00:00", "Z")
    headers = {name: value.format(reset=reset) for name, value in RATE_LIMITS[case].items()}
    fake_network.fail_next(NOTIFICATIONS, Canned(429, b'{"error":"Too many requests"}', headers))
    with pytest.raises(CommandError):
        sync(capsys)
    channel.refresh_from_db()
    waited = (channel.next_sync_at - channel.last_error_at).total_seconds()
    assert 1790 <= waited <= 1800
    assert channel.events.get(action="error").detail["retry_after"] in range(1790, 1801)
    # Past the network's 5-minute interval the channel would be due again, but the server said to wait.
    assert channel not in channels_due(now=channel.last_error_at + timedelta(minutes=10))
    assert channel not in channels_due(now=channel.next_sync_at - timedelta(seconds=1))
    assert channel in channels_due(now=channel.next_sync_at)
    # A success clears the wait.
    sync(capsys)
    channel.refresh_from_db()
    assert channel.next_sync_at is None and channel.status == ChannelStatus.OK


def test_an_error_without_a_wait_retries_after_the_interval(organisation, fake_network, capsys):
    channel = add_channel(fake_network)
    fake_network.fail_next(NOTIFICATIONS, Canned(503, b"down"))
    with pytest.raises(CommandError):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.next_sync_at is None
    assert channel not in channels_due(now=channel.last_error_at + timedelta(minutes=4))
    assert channel in channels_due(now=channel.last_error_at + timedelta(minutes=5))


def test_a_crash_before_the_cursor_is_saved_resumes_without_gaps(organisation, fake_network, capsys, monkeypatch):
    fake_network.notifications = mentions(0, 1)
    channel = add_channel(fake_network)
    sync(capsys)
    fake_network.notifications += mentions(1, 60)
    real_ingest = sync_module.ingest_records
    batches = []

    def crash_on_the_second_batch(**kwargs):
        batches.append(len(kwargs["records"]))
        if len(batches) == 2:
            raise RuntimeError("worker killed")
        return real_ingest(**kwargs)

    monkeypatch.setattr(sync_module, "ingest_records", crash_on_the_second_batch)
    with pytest.raises(RuntimeError):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.sync_cursor == {"min_id": "1040"} and len(stored_ids()) == 41
    monkeypatch.setattr(sync_module, "ingest_records", real_ingest)
    assert "stored 20, duplicates 0" in sync(capsys)
    assert stored_ids() == sorted(str(5000 + n) for n in range(61))


def test_an_edited_status_shows_its_new_text_keeps_the_first_and_is_matched_again(
    organisation, fake_network, capsys, people
):
    owner = people["owner"]
    query = query_create(organisation=organisation, name="Elm St", text='"elm st"', created_by=owner)
    fake_network.notifications = [mastodon_notification(1, mastodon_status("700", text="@northfieldcc bins missed"))]
    add_channel(fake_network)
    sync(capsys)
    post = Post.objects.get(external_id="700")
    assert not post.listening_mentions.exists()
    label_correct(organisation=organisation, post=post, task="complaint", label="complaint", user=owner)
    edited = mastodon_status(
        "700",
        text="@northfieldcc bins missed on Elm St, thanks for nothing",
        edited_at="2026-03-02T10:05:00.000Z",
        media_attachments=[{"id": "8", "type": "image", "url": "https://f.example/b.jpg", "description": "Bins"}],
    )
    fake_network.notifications.append(mastodon_notification(2, edited, kind="update"))
    assert "fetched 1, stored 0, duplicates 1 (edited 1)" in sync(capsys)
    post = Post.objects.get(external_id="700")
    assert post.text == "@northfieldcc bins missed on Elm St, thanks for nothing"
    assert post.media == [{"type": "image", "url": "https://f.example/b.jpg", "alt": "Bins"}]
    assert post.extra["edits"] == [
        {"text": "@northfieldcc bins missed", "title": "", "media": [], "replaced_at": "2026-03-02T10:05:00+00:00"}
    ]
    assert post.extra["edited_at"] == "2026-03-02T10:05:00+00:00"
    # Listening and enrichment ran again on the new text; the person's correction stands.
    assert list(post.listening_mentions.values_list("query", flat=True)) == [query.id]
    assert post.labels["complaint"]["corrected_by"] == owner.username and post.complaint is True
    assert post.labels["sentiment"]["label"] and Post.objects.filter(external_id="700").count() == 1


def test_a_stale_copy_of_an_edited_status_does_not_revert_it(organisation, fake_network, capsys):
    first = mastodon_status("710", text="first", edited_at="2026-03-02T10:05:00.000Z")
    second = mastodon_status("710", text="second", edited_at="2026-03-02T10:09:00.000Z")
    fake_network.notifications = [mastodon_notification(1, first)]
    add_channel(fake_network)
    sync(capsys)
    fake_network.notifications += [mastodon_notification(2, second, kind="update")]
    assert "(edited 1)" in sync(capsys)
    fake_network.notifications += [mastodon_notification(3, first, kind="update")]
    out = sync(capsys)
    assert "duplicates 1" in out and "edited" not in out
    post = Post.objects.get(external_id="710")
    assert post.text == "second" and [edit["text"] for edit in post.extra["edits"]] == ["first"]


def test_a_notification_whose_status_was_deleted_is_skipped(organisation, fake_network, capsys):
    fake_network.notifications = [
        mastodon_notification(1, None),
        mastodon_notification(2, mastodon_status("701", text="still here")),
    ]
    channel = add_channel(fake_network)
    assert "fetched 1, stored 1" in sync(capsys)
    channel.refresh_from_db()
    assert channel.sync_cursor == {"min_id": "2"}


def test_publishing_replies_once_per_idempotency_key(organisation, fake_network):
    fake_network.statuses["4000"] = mastodon_status("4000", text="When are bins collected?")
    channel = add_channel(fake_network)
    connector = CONNECTORS["mastodon"]
    credentials = channel_credentials(channel=channel)
    first = connector.publish(
        channel=channel, credentials=credentials, text="Tuesdays", idempotency_key="reply-1", in_reply_to="4000"
    )
    again = connector.publish(
        channel=channel, credentials=credentials, text="Tuesdays", idempotency_key="reply-1", in_reply_to="4000"
    )
    assert first.external_id == again.external_id and len(fake_network.published) == 1
    assert fake_network.statuses[first.external_id]["in_reply_to_id"] == "4000"
    assert [h.get("Idempotency-Key") for m, _, h in fake_network.requests if m == "POST"] == ["reply-1", "reply-1"]


def test_replying_to_a_deleted_status_says_so_and_keeps_the_channel_working(organisation, fake_network):
    channel = add_channel(fake_network)
    with pytest.raises(PostGone, match="no longer exists") as raised:
        CONNECTORS["mastodon"].publish(
            channel=channel,
            credentials=channel_credentials(channel=channel),
            text="Sorry to hear that",
            idempotency_key="reply-2",
            in_reply_to="123456",
        )
    assert not raised.value.permanent


def test_the_account_record_keeps_the_profile(organisation, fake_network, capsys):
    account = mastodon_account("clinic@health.example", account_id="42")
    fake_network.notifications = [mastodon_notification(1, mastodon_status("702", text="hi", account=account))]
    add_channel(fake_network)
    sync(capsys)
    author = Post.objects.get(external_id="702").author
    assert (author.external_id, author.handle, author.display_name) == ("42", "clinic@health.example", "Clinic")
    assert author.followers == 120 and author.profile_url == "https://social.example/@clinic"


def test_a_scheduled_post_is_published_once_with_its_idempotency_key(organisation, fake_network):
    """The publisher calls the connector generically; a retry after a lost lease sends the same key, and the
    server (which honours Idempotency-Key, as Mastodon does) keeps one status."""
    post = make_post(organisation, add_channel(fake_network), text="Bins collected as normal on Monday")
    [claimed] = scheduled_posts_claim(worker="w1", now=NOW)
    assert scheduled_post_publish(post=claimed) == "published"
    # As if the first worker had died after the server accepted the status: the post is claimed again.
    ScheduledPost.objects.filter(id=post.id).update(status=PostStatus.SCHEDULED)
    [again] = scheduled_posts_claim(worker="w2", now=NOW)
    assert scheduled_post_publish(post=again) == "published"
    post.refresh_from_db()
    assert len(fake_network.published) == 1
    assert post.published_external_id in fake_network.statuses
    keys = [headers.get("Idempotency-Key") for method, _, headers in fake_network.requests if method == "POST"]
    assert keys == [str(post.idempotency_key)] * 2


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_images_are_uploaded_with_their_alt_text_and_attached(organisation, fake_network):
    channel = add_channel(fake_network)
    images = [
        MediaItem(data=PNG, mime_type="image/png", alt_text="Map of the road closure on Mill Lane", filename="m.png"),
        MediaItem(data=PNG + b"2", mime_type="image/png", alt_text="Diversion signs at the junction"),
    ]
    result = CONNECTORS["mastodon"].publish(
        channel=channel,
        credentials=channel_credentials(channel=channel),
        text="Mill Lane is closed until Friday",
        idempotency_key="post-media-1",
        media=images,
    )
    uploads = sorted(fake_network.media.values(), key=lambda item: item["id"])
    assert [(item["description"], item["data"], item["mime_type"]) for item in uploads] == [
        ("Map of the road closure on Mill Lane", PNG, "image/png"),
        ("Diversion signs at the junction", PNG + b"2", "image/png"),
    ]
    status = fake_network.statuses[result.external_id]
    assert [item["description"] for item in status["media_attachments"]] == [item.alt_text for item in images]
    assert fake_network.hits("/api/v2/media") == 2


def test_like_and_boost_act_on_the_status_and_say_when_it_is_gone(organisation, fake_network):
    fake_network.statuses["4100"] = mastodon_status("4100", text="Great work on the park!")
    channel = add_channel(fake_network)
    connector, credentials = CONNECTORS["mastodon"], channel_credentials(channel=channel)
    connector.like(channel=channel, credentials=credentials, external_id="4100")
    boost = connector.share(channel=channel, credentials=credentials, external_id="4100")
    assert fake_network.favourited == ["4100"] and fake_network.reblogged == ["4100"]
    assert boost.external_id == "800001"
    with pytest.raises(PostGone, match="the post being liked no longer exists"):
        connector.like(channel=channel, credentials=credentials, external_id="4999")


def test_metrics_read_followers_and_each_status_in_batches(organisation, fake_network):
    for n in range(25):
        fake_network.statuses[str(6000 + n)] = mastodon_status(str(6000 + n), text=f"post {n}", favourites_count=n)
    fake_network.followers = 1234
    channel = add_channel(fake_network)
    wanted = [str(6000 + n) for n in range(25)] + ["6999"]  # the last one was deleted
    metrics = CONNECTORS["mastodon"].fetch_metrics(
        channel=channel, credentials=channel_credentials(channel=channel), external_ids=wanted
    )
    assert metrics.followers == 1234
    assert set(metrics.posts) == set(wanted[:25])
    assert metrics.posts["6007"] == {"replies": 0, "shares": 1, "likes": 7}
    assert fake_network.hits("/api/v1/statuses") == 2  # 20 + 6 ids


def test_a_direct_message_is_a_direct_conversation_and_its_reply_stays_private(organisation, fake_network, capsys):
    us = mastodon_account("northfieldcc", account_id="1")
    message = mastodon_status(
        "6100",
        text="@northfieldcc my council tax reference is 4411",
        visibility="direct",
        mentions=[{"id": us["id"], "acct": "northfieldcc", "username": "northfieldcc", "url": us["url"]}],
    )
    fake_network.statuses["6100"] = message
    fake_network.notifications = [mastodon_notification(1, message)]
    channel = add_channel(fake_network)
    sync(capsys)
    conversation = organisation.conversations.get()
    assert conversation.kind == "direct" and conversation.participant.handle == "resident@social.example"
    reply = CONNECTORS["mastodon"].publish(
        channel=channel,
        credentials=channel_credentials(channel=channel),
        text="Thanks, we have it",
        idempotency_key="dm-reply-1",
        in_reply_to="6100",
    )
    sent = fake_network.statuses[reply.external_id]
    # Only the accounts a direct status mentions receive it, so the person answered is mentioned.
    assert sent["visibility"] == "direct" and sent["content"] == "<p>@resident@social.example Thanks, we have it</p>"
    # A public mention is answered with the account's default visibility (nothing is sent).
    fake_network.statuses["6101"] = mastodon_status("6101", text="@northfieldcc bins?")
    public = CONNECTORS["mastodon"].publish(
        channel=channel,
        credentials=channel_credentials(channel=channel),
        text="Tuesdays",
        idempotency_key="reply-6101",
        in_reply_to="6101",
    )
    assert fake_network.statuses[public.external_id]["visibility"] == "public"

"""YouTube comments through google-api-python-client (its bundled discovery document) pointed at the local
stand-in: new comments on the channel's videos in, every failure recorded and nothing lost."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connectors.conftest import Canned
from townsquare.channels.models import Channel, ChannelStatus
from townsquare.networks.youtube import connector as youtube_connector
from townsquare.posts.models import Post

THREADS = "/youtube/v3/commentThreads"
CHANNEL_ID = "UCnorthfield0000000000a1"
API_KEY = "AIzaSyFakeLocalKey-0000000000000000000"


def thread(number: int, text: str = "", video: str = "vid00000001") -> dict:
    comment_id = f"Ugx{number:06d}AaBbCc"
    snippet = {
        "channelId": CHANNEL_ID,
        "videoId": video,
        "textDisplay": text or f"Great update on the bins {number}",
        "textOriginal": text or f"Great update on the bins {number}",
        "authorDisplayName": "@resident-jo",
        "authorProfileImageUrl": "https://yt3.ggpht.example/photo.jpg",
        "authorChannelUrl": "http://www.youtube.com/@resident-jo",
        "authorChannelId": {"value": "UCresident00000000000001"},
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 3,
        "publishedAt": f"2026-03-02T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z",
        "updatedAt": f"2026-03-02T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z",
    }
    return {
        "kind": "youtube#commentThread",
        "etag": f"etag{number}",
        "id": comment_id,
        "snippet": {
            "channelId": CHANNEL_ID,
            "videoId": video,
            "topLevelComment": {"kind": "youtube#comment", "etag": f"c{number}", "id": comment_id, "snippet": snippet},
            "canReply": True,
            "totalReplyCount": 1,
            "isPublic": True,
        },
    }


class FakeYouTube:
    def __init__(self, network) -> None:
        self.network = network
        self.threads: list[dict] = []
        network.routes[("GET", THREADS)] = self._list

    def _list(self, query: dict[str, list[str]], body, headers) -> tuple[int, dict]:
        if query.get("key") != [API_KEY]:
            detail = {"message": "API key not valid.", "domain": "global", "reason": "keyInvalid"}
            error = {"code": 400, "message": "API key not valid. Please pass a valid API key.", "errors": [detail]}
            return 400, {"error": error}
        assert query["allThreadsRelatedToChannelId"] == [CHANNEL_ID] and query["order"] == ["time"]
        items = sorted(self.threads, key=lambda item: item["id"], reverse=True)
        start = int(query.get("pageToken", ["0"])[-1])
        size = int(query["maxResults"][-1])
        page = items[start : start + size]
        answer = {"kind": "youtube#commentThreadListResponse", "etag": "list",
                  "pageInfo": {"totalResults": len(items), "resultsPerPage": size}, "items": page}  # fmt: skip
        if start + size < len(items):
            answer["nextPageToken"] = str(start + size)
        return 200, answer

    def add(self, first: int, count: int) -> list[str]:
        made = [thread(n) for n in range(first, first + count)]
        self.threads += made
        return [item["id"] for item in made]


@pytest.fixture
def youtube(fake_network, monkeypatch) -> FakeYouTube:
    monkeypatch.setattr(youtube_connector, "API_ENDPOINT", fake_network.url + "/")
    monkeypatch.setattr(youtube_connector, "TIMEOUT_SECONDS", 0.5)
    return FakeYouTube(fake_network)


def add_channel(api_key: str = API_KEY) -> Channel:
    call_command(
        "channel", "add", "--org", "northfield", "--network", "youtube", "--handle", "northfieldcouncil",
        "--option", f"channel_id={CHANNEL_ID}", "--credential", f"api_key={api_key}",
    )  # fmt: skip
    return Channel.objects.get(network="youtube")


def sync(capsys) -> str:
    call_command("sync", "--org", "northfield")
    return capsys.readouterr().out


def stored() -> set[str]:
    return set(Post.objects.filter(network="youtube").values_list("external_id", flat=True))


def test_add_needs_the_channel_id_and_an_api_key(organisation):
    with pytest.raises(CommandError, match="youtube needs --option channel_id"):
        call_command("channel", "add", "--org", "northfield", "--network", "youtube", "--handle", "x")


def test_comments_are_mapped_and_stored_once(organisation, youtube, capsys):
    youtube.threads = [thread(7, "When is the next @northfield meeting? #council https://agenda.example/7")]
    channel = add_channel()
    assert "fetched 1, stored 1, duplicates 0" in sync(capsys)
    post = Post.objects.get(external_id="Ugx000007AaBbCc")
    assert post.text.startswith("When is the next") and post.hashtags == ["council"]
    assert post.links == ["https://agenda.example/7"]
    assert post.author.handle == "resident-jo" and post.author.external_id == "UCresident00000000000001"
    assert post.in_reply_to_external_id == "vid00000001" and post.likes_count == 3 and post.replies_count == 1
    assert post.url == "https://www.youtube.com/watch?v=vid00000001&lc=Ugx000007AaBbCc"
    channel.refresh_from_db()
    assert channel.sync_cursor == {"newest": "2026-03-02T00:00:07+00:00"} and channel.status == ChannelStatus.OK
    assert "fetched 1, stored 0, duplicates 1" in sync(capsys)


def test_a_new_channel_takes_the_newest_page_and_later_runs_read_back(organisation, youtube, capsys):
    old = youtube.add(0, 120)
    add_channel()
    sync(capsys)
    assert stored() == set(old[20:])
    new = youtube.add(120, 250)
    sync(capsys)
    assert stored() == set(old[20:] + new)
    assert youtube.network.hits(THREADS) == 1 + 3


FAILURES = {
    "quota used up": (
        Canned(
            403,
            json.dumps(
                {
                    "error": {
                        "code": 403,
                        "message": "quota",
                        "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
                    }
                }
            ).encode(),
            {"Content-Type": "application/json"},
        ),  # fmt: skip
        "daily quota is used up",
        ChannelStatus.ERROR,
    ),
    "server error": (Canned(503, b"<html>down</html>"), "had a problem of its own (HTTP 503)", ChannelStatus.ERROR),
    "malformed JSON": (
        Canned(200, b'{"items": [', {"Content-Type": "application/json"}),
        "not valid JSON",
        ChannelStatus.ERROR,
    ),
    "timeout": (Canned(200, b"{}", delay=1.5), "the request timed out", ChannelStatus.ERROR),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_are_recorded_in_plain_words_and_nothing_is_lost(case, organisation, youtube, capsys):
    answer, words, status = FAILURES[case]
    first = youtube.add(0, 2)
    channel = add_channel()
    sync(capsys)
    later = youtube.add(2, 30)
    youtube.network.fail_next(THREADS, answer)
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == status and words in channel.last_error
    assert channel.sync_cursor == {"newest": "2026-03-02T00:00:01+00:00"}
    sync(capsys)
    assert stored() == set(first + later)


def test_an_invalid_api_key_disables_the_channel(organisation, youtube, capsys):
    channel = add_channel(api_key="AIzaWrong")
    with pytest.raises(CommandError, match="1 channel"):
        sync(capsys)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISABLED and "refused the API key (keyInvalid)" in channel.last_error

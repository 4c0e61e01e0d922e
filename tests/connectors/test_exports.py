"""Importing the archives people download from X, Facebook and Instagram: every item stored, a duplicate,
or rejected by its position in the file; X's counts go to the engagement history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from townsquare.posts.models import MetricSnapshot, Post


def tweet(tweet_id: str, text: str, **fields) -> dict:
    return {
        "tweet": {
            "edit_info": {"initial": {"editTweetIds": [tweet_id], "editableUntil": "2026-03-02T10:15:00.000Z"}},
            "retweeted": False,
            "source": '<a href="https://mobile.x.com" rel="nofollow">X Web App</a>',
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
            "display_text_range": ["0", str(len(text))],
            "favorite_count": "0",
            "id_str": tweet_id,
            "truncated": False,
            "retweet_count": "0",
            "id": tweet_id,
            "created_at": "Mon Mar 02 09:15:00 +0000 2026",
            "favorited": False,
            "full_text": text,
            "lang": "en",
            **fields,
        }
    }


def run_import(capsys, path, file_format: str, *extra: str) -> tuple[str, str]:
    call_command("import", str(path), "--org", "northfield", "--format", file_format, *extra)
    captured = capsys.readouterr()
    return captured.out, captured.err


def write_x_archive(path, items: list) -> None:
    path.write_text("window.YTD.tweets.part0 = " + json.dumps(items, indent=2), encoding="utf-8")


def test_an_x_archive_is_imported_with_entities_replies_and_counts(organisation, tmp_path, capsys):
    archive = tmp_path / "tweets.js"
    write_x_archive(
        archive,
        [
            tweet(
                "1763912345678901249",
                "@resident Bins on Elm St go out Tuesday #bins https://t.co/AbC123",
                entities={
                    "hashtags": [{"text": "Bins", "indices": ["40", "45"]}],
                    "symbols": [],
                    "user_mentions": [
                        {"name": "A Resident", "screen_name": "Resident", "indices": ["0", "9"], "id_str": "4411"}
                    ],
                    "urls": [
                        {
                            "url": "https://t.co/AbC123",
                            "expanded_url": "https://northfield.example/bins",
                            "display_url": "northfield.example/bins",
                            "indices": ["46", "69"],
                        }
                    ],
                },
                in_reply_to_status_id_str="1763900000000000000",
                in_reply_to_screen_name="resident",
                favorite_count="12",
                retweet_count="3",
            ),
            tweet("1763999999999999999", "Library closed on Monday"),
            {"like": {"tweetId": "1"}},
            "not a tweet",
        ],
    )
    out, err = run_import(capsys, archive, "x-archive", "--author", "@northfieldcc")
    assert "rows read 4 = stored 2 + duplicates 0 + rejected 2" in out
    assert f"{archive}:3: rejected: cannot read this post: it has no 'tweet' field" in err
    assert f"{archive}:4: rejected: expected an object, found str" in err
    post = Post.objects.get(network="twitter", external_id="1763912345678901249")
    assert post.text == "@resident Bins on Elm St go out Tuesday #bins https://northfield.example/bins"
    assert post.created_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert post.hashtags == ["bins"] and post.mentions == ["resident"]
    assert post.links == ["https://northfield.example/bins"]
    assert post.in_reply_to_external_id == "1763900000000000000" and post.source == "import"
    assert post.author.handle == "northfieldcc" and post.url == "https://x.com/northfieldcc/status/1763912345678901249"
    assert (post.likes_count, post.shares_count) == (12, 3)
    assert list(MetricSnapshot.objects.filter(post=post).values_list("likes", "shares")) == [(12, 3)]
    out, _ = run_import(capsys, archive, "x-archive", "--author", "northfieldcc")
    assert "rows read 4 = stored 0 + duplicates 2 + rejected 2" in out


def test_a_file_that_is_not_an_x_archive_is_refused_whole(organisation, tmp_path, capsys):
    path = tmp_path / "tweets.js"
    path.write_text(json.dumps([tweet("1", "hi")]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"window.YTD.tweets.part0"):
        run_import(capsys, path, "x-archive")
    write_x_archive(path, [])
    path.write_text(path.read_text() + "]", encoding="utf-8")
    with pytest.raises(CommandError, match="tweets.js: not valid JSON"):
        run_import(capsys, path, "x-archive")
    assert not Post.objects.exists()


def test_facebook_posts_are_imported_with_repaired_text_and_attachments(organisation, tmp_path, capsys):
    # Facebook writes UTF-8 bytes as Latin-1 characters: "Caf\u00c3\u00a9" is "Café".
    path = tmp_path / "your_posts_1.json"
    items = [
        {
            "timestamp": 1772442900,
            "attachments": [
                {
                    "data": [
                        {"external_context": {"url": "https://northfield.example/market"}},
                        {
                            "media": {
                                "uri": "your_facebook_activity/posts/media/market.jpg",
                                "creation_timestamp": 1772442800,
                                "title": "",
                            }
                        },
                    ]
                }
            ],  # fmt: skip
            "data": [{"post": "Caf\u00c3\u00a9 market this Saturday \u00e2\u0080\u0093 all welcome #market"}],
            "title": "Northfield Council shared a link.",
        },
        {"timestamp": 1772529300, "data": [{"update_timestamp": 1772529300}, {"post": "Road works on Mill Lane"}]},
        {"data": [{"post": "no timestamp"}]},
    ]
    path.write_text(json.dumps(items), encoding="utf-8")
    out, err = run_import(capsys, path, "facebook", "--author", "northfieldcouncil")
    assert "rows read 3 = stored 2 + duplicates 0 + rejected 1" in out
    assert f"{path}:3: rejected: cannot read this post: it has no 'timestamp' field" in err
    post = Post.objects.get(network="facebook", text__startswith="Café")
    assert post.text == "Café market this Saturday – all welcome #market" and post.hashtags == ["market"]
    assert post.links == ["https://northfield.example/market"]
    assert post.media == [{"type": "image", "url": "your_facebook_activity/posts/media/market.jpg"}]
    assert post.created_at == datetime.fromtimestamp(1772442900, tz=UTC)
    assert post.author.handle == "northfieldcouncil"
    assert "stored 0 + duplicates 2" in run_import(capsys, path, "facebook", "--author", "northfieldcouncil")[0]


def test_instagram_posts_are_imported_from_single_photos_and_albums(organisation, tmp_path, capsys):
    path = tmp_path / "posts_1.json"
    items = [
        {"media": [{"uri": "media/posts/202603/1234_n.jpg", "creation_timestamp": 1772442900,
                    "media_metadata": {"photo_metadata": {"exif_data": []}},
                    "title": "Spring planting \u00f0\u009f\u008c\u00b7",
                    "cross_post_source": {"source_app": "FB"}}]},
        {"media": [{"uri": "media/posts/202603/2001_n.jpg", "creation_timestamp": 1772529300, "title": ""},
                   {"uri": "media/posts/202603/2002_n.mp4", "creation_timestamp": 1772529300, "title": ""}],
         "title": "Park opening", "creation_timestamp": 1772529300},
        {"media": []},
    ]  # fmt: skip
    path.write_text(json.dumps(items), encoding="utf-8")
    out, err = run_import(capsys, path, "instagram")
    assert "rows read 3 = stored 2 + duplicates 0 + rejected 1" in out
    assert f"{path}:3: rejected: cannot read this post: it has no media" in err
    texts = dict(Post.objects.filter(network="instagram").values_list("text", "media"))
    assert texts["Spring planting 🌷"] == [{"type": "image", "url": "media/posts/202603/1234_n.jpg"}]
    assert [item["type"] for item in texts["Park opening"]] == ["image", "video"]

"""Import: every row stored, counted as a duplicate or rejected with its line; threads rebuilt; export round trip."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest
from django.core.management import call_command

from tests.conftest import shared_data
from tests.factories import store_posts
from townsquare.posts.models import Post
from townsquare.posts.normalise import post_schema

TWCS_MAP = "id=tweet_id,author=author_id,text=text,created_at=created_at,in_reply_to=in_response_to_tweet_id"


def run_import(capsys, *args) -> tuple[str, str]:
    call_command("import", *args)
    captured = capsys.readouterr()
    return captured.out, captured.err


def twcs_rows(path) -> list[dict]:
    """An independent reading of the file: the rows Python's csv module sees when only \\n ends a line."""
    with path.open(encoding="utf-8", newline="\n") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = []
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return rows
            except csv.Error:
                continue
            rows.append(dict(zip(header, fields, strict=True)))


def test_twcs_sample_imports_once_and_reports_its_broken_row(organisation, capsys):
    path = shared_data("twcs_sample/twcs_sample.csv")
    out, err = run_import(capsys, str(path), "--org", organisation.slug, "--map", TWCS_MAP)
    assert out.strip() == "rows read 5000 = stored 4999 + duplicates 0 + rejected 1"
    assert f"{path}:2589: rejected: a line break inside an unquoted field" in err
    out, _ = run_import(capsys, str(path), "--org", organisation.slug, "--map", TWCS_MAP)
    assert out.strip() == "rows read 5000 = stored 0 + duplicates 4999 + rejected 1"
    assert Post.objects.filter(organisation=organisation).count() == 4999
    rows = twcs_rows(path)
    assert {row["tweet_id"] for row in rows} == set(Post.objects.values_list("external_id", flat=True))


def test_twcs_reply_chains_are_threaded_to_their_first_tweet(organisation, capsys):
    path = shared_data("twcs_sample/twcs_sample.csv")
    run_import(capsys, str(path), "--org", organisation.slug, "--map", TWCS_MAP)
    parent = {row["tweet_id"]: row["in_response_to_tweet_id"].removesuffix(".0") for row in twcs_rows(path)}

    def root(tweet_id: str) -> str:
        while parent.get(tweet_id) and parent[tweet_id] in parent:
            tweet_id = parent[tweet_id]
        return tweet_id

    stored = Post.objects.filter(organisation=organisation).select_related("conversation_root")
    mismatches = [p.external_id for p in stored if p.conversation_root.external_id != root(p.external_id)]
    assert mismatches == []
    assert stored.exclude(in_reply_to=None).count() == sum(1 for t, p in parent.items() if p in parent)


@pytest.mark.parametrize(
    ("relative", "mapping", "extra_args", "expected_read"),
    [
        (
            "airline_sentiment/Tweets.csv",
            "id=tweet_id,text=text,created_at=tweet_created",
            ["--date-format", "%m/%d/%Y %H:%M"],
            14640,
        ),
        (
            "crisislex_t26/2013_Alberta_floods/2013_Alberta_floods-tweets_labeled.csv",
            "id=Tweet ID,text=Tweet Text",
            [],
            1000,
        ),
        (
            "crisislex_t6/2013_Alberta_Floods/2013_Alberta_Floods-ontopic_offtopic.csv",
            "id=tweet id,text=tweet",
            [],
            10031,
        ),
    ],
)
def test_airline_and_crisislex_files_import_completely(
    organisation, capsys, relative, mapping, extra_args, expected_read
):
    out, _ = run_import(capsys, str(shared_data(relative)), "--org", organisation.slug, "--map", mapping, *extra_args)
    numbers = [int(word) for word in out.split() if word.isdigit()]
    read, stored, duplicates, rejected = numbers
    assert read == expected_read and rejected == 0 and read == stored + duplicates
    assert Post.objects.filter(organisation=organisation).count() == stored
    # The columns that were not mapped are kept with the post.
    assert Post.objects.filter(organisation=organisation).exclude(extra={}).count() == stored


def test_bad_jsonl_rows_are_reported_by_line_and_the_rest_imported(organisation, capsys, tmp_path):
    lines = [
        json.dumps({"id": "1", "text": "fine", "created_at": "2026-03-01T10:00:00Z", "author": "a"}),
        "{not json",
        json.dumps({"text": "no id", "created_at": "2026-03-01T10:00:00Z"}),
        json.dumps({"id": "4", "text": "bad time", "created_at": "yesterday-ish"}),
        json.dumps(
            {
                "id": "5",
                "text": "bad followers",
                "created_at": "2026-03-01T10:00:00Z",
                "author": {"handle": "b", "followers": -3},
            }
        ),
        "",
        json.dumps({"id": "1", "text": "again", "created_at": "2026-03-01T10:00:00Z", "author": "a"}),
        json.dumps([1, 2]),
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err = run_import(capsys, str(path), "--org", organisation.slug, "--network", "mastodon")
    assert out.strip() == "rows read 7 = stored 1 + duplicates 1 + rejected 5"
    assert f"{path}:2: rejected: not valid JSON" in err
    assert f"{path}:3: rejected: post: 'id' is a required property" in err
    assert f"{path}:4: rejected: created_at: 'yesterday-ish' is not a time" in err
    assert f"{path}:5: rejected: author: " in err
    assert f"{path}:8: rejected: expected a JSON object, found list" in err
    assert Post.objects.get(organisation=organisation).network == "mastodon"


def test_csv_mapping_errors_name_the_problem(organisation, tmp_path):
    path = tmp_path / "posts.csv"
    path.write_text("tweet_id,body\n1,hello\n")
    with pytest.raises(Exception, match="columns the file does not have: text"):
        call_command("import", str(path), "--org", organisation.slug, "--map", "id=tweet_id,text=text")
    with pytest.raises(Exception, match="unknown field 'txt'"):
        call_command("import", str(path), "--org", organisation.slug, "--map", "id=tweet_id,txt=body")


def test_a_reply_that_arrives_before_its_parent_is_threaded_when_the_parent_comes(organisation):
    store_posts(organisation, {"id": "3", "text": "reply to reply", "in_reply_to": "2"})
    store_posts(organisation, {"id": "2", "text": "reply", "in_reply_to": "1"})
    store_posts(organisation, {"id": "1", "text": "first"})
    posts = {p.external_id: p for p in Post.objects.select_related("conversation_root", "in_reply_to")}
    assert {key: post.conversation_root.external_id for key, post in posts.items()} == {"1": "1", "2": "1", "3": "1"}
    assert posts["3"].in_reply_to.external_id == "2"


def test_reimport_with_new_figures_adds_to_the_engagement_history(organisation):
    store_posts(organisation, {"id": "9", "text": "hi", "metrics": {"likes": 1, "observed_at": "2026-03-01T10:00Z"}})
    store_posts(organisation, {"id": "9", "text": "hi", "metrics": {"likes": 7, "observed_at": "2026-03-02T10:00Z"}})
    post = Post.objects.get(external_id="9")
    assert post.likes_count == 7
    assert [snapshot.likes for snapshot in post.metric_snapshots.all()] == [1, 7]


def test_export_is_valid_against_the_schema_and_reimports_to_the_same_posts(
    organisation, other_organisation, capsys, tmp_path
):
    store_posts(
        organisation,
        {
            "id": "a1",
            "text": "Flooding on #MillLane @council https://example.org/x",
            "lang": "en",
            "author": {"handle": "jo", "followers": 12, "country": "gb"},
        },
        {"id": "a2", "text": "Thanks!", "in_reply_to": "a1", "metrics": {"likes": 2}},
    )
    out_path = tmp_path / "export.jsonl"
    call_command("export", "--org", organisation.slug, "--out", str(out_path))
    exported = [json.loads(line) for line in out_path.read_text().splitlines()]
    for item in exported:
        jsonschema.validate(item, post_schema())
    first = next(item for item in exported if item["id"] == "a1")
    assert first["hashtags"] == ["milllane"] and first["mentions"] == ["council"]
    assert first["links"] == ["https://example.org/x"] and first["author"]["country"] == "GB"
    out, _ = run_import(capsys, str(out_path), "--org", other_organisation.slug)
    assert out.strip() == "rows read 2 = stored 2 + duplicates 0 + rejected 0"
    again = tmp_path / "again.jsonl"
    call_command("export", "--org", other_organisation.slug, "--out", str(again))
    strip = lambda items: sorted(json.dumps(i, sort_keys=True) for i in items)  # noqa: E731
    assert strip(json.loads(line) for line in again.read_text().splitlines()) == strip(exported)

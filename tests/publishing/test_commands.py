"""The command line: schedule one post or a file of them, and the figures."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from townsquare.publishing.models import PostStatus, ScheduledPost

from ..factories import make_channel


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_post_is_scheduled_in_the_organisations_time_zone(organisation):
    make_channel(organisation, handle="council")
    out, _ = run("schedule", "--org", "northfield", "--channel", "council", "--at", "2026-07-01T09:30", "--text", "Hi")
    post = ScheduledPost.objects.get()
    assert post.scheduled_at == datetime(2026, 7, 1, 8, 30, tzinfo=UTC) and post.status == PostStatus.SCHEDULED
    assert str(post.idempotency_key) in out


def test_bad_lines_are_reported_by_number_and_the_rest_scheduled(organisation, tmp_path):
    make_channel(organisation, handle="council")
    lines = [
        {"channel": "council", "at": "2026-05-01T10:00", "text": "first"},
        "not json at all",
        {"channel": "nobody", "at": "2026-05-01T10:00", "text": "no such channel"},
        {"channel": "council", "at": "2026-03-29T01:15", "text": "a time the clocks skip"},
        {"channel": "council", "at": "2026-05-01T11:00", "text": ""},
        {"channel": "council", "at": "2026-05-01T12:00", "text": "x" * 501},
        ["a", "list"],
        {"channel": "council", "at": "2026-05-02T10:00Z", "text": "last"},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    out, err = run("schedule", "--org", "northfield", "--file", str(path))
    assert out.strip() == "scheduled 2, rejected 6"
    reported = [line.split(":")[0] for line in err.strip().splitlines()]
    assert reported == ["line 2", "line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "does not exist in Europe/London" in err and "allows 500" in err
    assert sorted(ScheduledPost.objects.values_list("text", flat=True)) == ["first", "last"]


def test_scheduling_needs_a_channel_time_and_text(organisation):
    with pytest.raises(CommandError, match="--at, --text"):
        run("schedule", "--org", "northfield", "--channel", "council")


def test_stats_count_posts_by_state(organisation):
    channel = make_channel(organisation)
    when = datetime(2026, 5, 1, 9, tzinfo=UTC)
    for status, count in [(PostStatus.SCHEDULED, 3), (PostStatus.DRAFT, 2), (PostStatus.SUBMITTED, 1)]:
        for n in range(count):
            ScheduledPost.objects.create(
                organisation=organisation,
                channel=channel,
                text=f"{n}",
                scheduled_at=when,
                next_attempt_at=when,
                status=status,
            )
    ScheduledPost.objects.filter(status=PostStatus.SCHEDULED).filter(text="0").update(status=PostStatus.PUBLISHED)
    out, _ = run("stats", "publishing", "--org", "northfield", "--json")
    assert json.loads(out) == {
        "drafts": 2,
        "awaiting_approval": 1,
        "approved": 0,
        "scheduled": 2,
        "published": 1,
        "failed": 0,
        "link_clicks": 0,
        "link_actions": 0,
    }

"""The decisive test: real worker processes, one killed mid-run, and still every post published exactly once.

Runs on a file-based SQLite database, or on a fresh PostgreSQL database when DATABASE_URL points to one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

POSTS = 300
KILL_AFTER = 40  # published lines in the outbox before the first worker is killed
# Only there so that a stuck run ends: the test is about publishing exactly once, not how fast. Generous,
# because each check starts a `townsquare` process, which takes seconds on a loaded 2-core machine.
PATIENCE_SECONDS = 120
FIGURES = (
    "import json; from townsquare.publishing.models import ScheduledPost as S;"
    "print(json.dumps([[str(k), s, e] for k, s, e in S.objects.values_list('idempotency_key', 'status',"
    " 'published_external_id')]))"
)
SANDBOX_POSTS = (
    "from townsquare.posts.models import Post;print(Post.objects.filter(network='sandbox', source='published').count())"
)


@pytest.fixture
def database_url():
    """None for SQLite (a file under the test's var folder), or the URL of a throwaway PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    name = f"townsquare_pub_{uuid.uuid4().hex[:10]}"
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def outbox_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.slow
def test_every_post_is_published_exactly_once_although_a_worker_is_killed(tmp_path, database_url):
    outbox = tmp_path / "outbox.jsonl"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        TOWNSQUARE_VAR_DIR=str(tmp_path),
        TOWNSQUARE_SANDBOX_OUTBOX=str(outbox),
        TOWNSQUARE_SANDBOX_LATENCY="0.01",
        TOWNSQUARE_PUBLISH_LEASE_SECONDS="2",
        LOG_LEVEL="WARNING",
    )
    if database_url:
        env["DATABASE_URL"] = database_url

    def townsquare(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "townsquare", *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "townsquare", "publish-due", "--loop", "--interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    townsquare("migrate", "-v0")
    townsquare("org", "create", "pub", "--name", "Publishing test")
    townsquare("channel", "add", "--org", "pub", "--network", "sandbox", "--handle", "council")
    due = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    lines = [json.dumps({"channel": "council", "at": due, "text": f"Notice number {n}"}) for n in range(POSTS)]
    (tmp_path / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert townsquare("schedule", "--org", "pub", "--file", str(tmp_path / "posts.jsonl")) == (
        f"scheduled {POSTS}, rejected 0"
    )
    keys = {key for key, _, _ in json.loads(townsquare("shell", "--no-imports", "-c", FIGURES))}
    assert len(keys) == POSTS

    first = worker()
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while len(outbox_lines(outbox)) < KILL_AFTER:
            assert first.poll() is None, "the first worker stopped by itself"
            assert time.monotonic() < deadline, f"the first worker published too little within {PATIENCE_SECONDS} s"
            time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    before_kill = len(outbox_lines(outbox))
    left_publishing = sum(
        status == "publishing" for _, status, _ in json.loads(townsquare("shell", "--no-imports", "-c", FIGURES))
    )
    assert 0 < before_kill < POSTS, "the kill must land in the middle of the run"

    second, third = worker(), worker()
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while json.loads(townsquare("stats", "publishing", "--org", "pub", "--json"))["published"] < POSTS:
            assert time.monotonic() < deadline, f"two workers left posts unpublished after {PATIENCE_SECONDS} s"
            time.sleep(0.5)
    finally:
        for process in (second, third):
            process.terminate()
            process.wait(timeout=10)

    published = outbox_lines(outbox)
    references = Counter(line["reference"] for line in published)
    duplicates = sum(count - 1 for count in references.values())
    print(
        f"\nscheduled {POSTS}, published before the kill {before_kill}, left publishing by the kill "
        f"{left_publishing}, outbox lines {len(published)}, duplicates {duplicates}"
    )
    assert duplicates == 0
    assert set(references) == keys
    rows = json.loads(townsquare("shell", "--no-imports", "-c", FIGURES))
    assert {status for _, status, _ in rows} == {"published"}
    assert {external_id for _, _, external_id in rows} == {line["id"] for line in published}
    assert all(external_id == f"pub-{key}" for key, _, external_id in rows)
    assert townsquare("shell", "--no-imports", "-c", SANDBOX_POSTS) == str(POSTS)
    assert json.loads(townsquare("stats", "publishing", "--org", "pub", "--json"))["scheduled"] == 0

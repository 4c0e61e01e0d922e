"""Background jobs through a real consumer process, on the embedded SQLite queue and on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis

from tests.conftest import require_service

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CREATE_EXPIRED = (
    "from datetime import timedelta; from django.utils import timezone;"
    "from townsquare.orgs.services import organisation_create; from townsquare.orgs.models import Invitation;"
    "o = organisation_create(slug='jobs', name='Jobs');"
    "Invitation.objects.create(organisation=o, email='old@example.org', expires_at=timezone.now()-timedelta(days=30))"
)
ENQUEUE = "from townsquare.jobs.tasks import purge_expired_invitations; purge_expired_invitations()"
COUNT = "from townsquare.orgs.models import Invitation; print(Invitation.objects.count())"


def redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as error:
        return f"{REDIS_URL}: {error}"


@pytest.mark.slow
@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_task_enqueued_by_one_process_is_run_by_a_worker_process(tmp_path, queue):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(TOWNSQUARE_VAR_DIR=str(tmp_path), TOWNSQUARE_HUEY_NAME=f"test-{uuid.uuid4().hex[:8]}")
    if queue == "redis":
        require_service("Redis", redis_problem())
        env["REDIS_URL"] = REDIS_URL

    def townsquare(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "townsquare", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    townsquare("migrate", "-v0")
    townsquare("shell", "--no-imports", "-c", CREATE_EXPIRED)
    townsquare("shell", "--no-imports", "-c", ENQUEUE)
    assert townsquare("shell", "--no-imports", "-c", COUNT) == "1"  # queued, not yet run
    worker = subprocess.Popen(
        [sys.executable, "-m", "townsquare", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while townsquare("shell", "--no-imports", "-c", COUNT) != "0":
            assert time.monotonic() < deadline, "the worker did not run the task within 60 s"
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

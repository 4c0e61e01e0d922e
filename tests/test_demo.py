"""`make demo` end to end: the login page is served within 60 s, and a signed-in demo user sees new simulated
posts arrive in the post list without reloading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser import accessibility_violations, chromium_page, free_port
from townsquare.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["TOWNSQUARE_VAR_DIR"] = str(tmp_path / "var")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "townsquare", "demo", "--port", str(port), "--speed", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() - started < 60, "the login page was not served within 60 seconds"
                time.sleep(0.5)
        yield url, time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)


def test_demo_serves_login_and_new_posts_arrive_live(demo_server):
    url, startup_seconds = demo_server
    assert startup_seconds < 60
    with chromium_page() as page:
        page.goto(f"{url}/accounts/login/")
        assert accessibility_violations(page) == []
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/o/northfield/posts/")
        first_ids = page.locator("#post-list > li.post").evaluate_all("items => items.map(i => i.id)")
        assert len(first_ids) == 50
        page.wait_for_function(
            "known => document.querySelector('#post-list > li.post').id !== known", arg=first_ids[0], timeout=45_000
        )
        assert "arrived just now" in page.locator("#live-status").inner_text()
        assert accessibility_violations(page) == []

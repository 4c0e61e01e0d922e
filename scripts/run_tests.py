"""Run the test suite on SQLite, then on PostgreSQL.

PostgreSQL is taken from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/townsquare). Where it
cannot be reached the PostgreSQL run is skipped with a clear message, except on CI (CI=true), where that is a
failure. Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/townsquare")
ON_CI = os.environ.get("CI", "").lower() == "true"


def postgres_reachable(url: str) -> str | None:
    """None when a connection works, else why not."""
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, connect_timeout=5):
            return None
    except psycopg.Error as error:
        return str(error).strip()


def run(label: str, database_url: str | None, args: list[str]) -> int:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    print(f"\n=== tests on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main() -> int:
    args = sys.argv[1:]
    failures = 0
    failures += run("SQLite", None, args) != 0
    problem = postgres_reachable(POSTGRES_URL)
    if problem is None:
        failures += run("PostgreSQL", POSTGRES_URL, args) != 0
    elif ON_CI:
        print(f"FAILED: PostgreSQL is required on CI but cannot be reached at {POSTGRES_URL}: {problem}")
        failures += 1
    else:
        print(f"SKIPPED the PostgreSQL run: cannot reach {POSTGRES_URL} ({problem}); set TEST_POSTGRES_URL")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Configuration: production refuses unsafe settings; `check --deploy` is clean when configured properly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from townsquare.vault.crypto import generate_key

GOOD_SECRET = "k" * 30 + "-production-secret-for-tests-only-0123456789"


def townsquare(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "townsquare", *args],
        env={**base, "TOWNSQUARE_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {"TOWNSQUARE_ENV": "production", "ALLOWED_HOSTS": "townsquare.example.org"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "true", "SECRET_KEY": GOOD_SECRET}, "DEBUG is on in production"),
        ({}, "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ({"SECRET_KEY": GOOD_SECRET}, "TOWNSQUARE_VAULT_KEY (or TOWNSQUARE_VAULT_KEY_FILE) must be set"),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
    ],
)
def test_production_refuses_to_start_unsafely(tmp_path, env, message):
    result = townsquare(["check"], {**PRODUCTION, **env}, tmp_path)
    assert result.returncode != 0 and message in result.stderr


def test_production_deploy_check_is_clean_with_secrets_from_files(tmp_path):
    (tmp_path / "secret").write_text(GOOD_SECRET)
    (tmp_path / "vault").write_text(generate_key())
    env = {
        **PRODUCTION,
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
        "TOWNSQUARE_VAULT_KEY_FILE": str(tmp_path / "vault"),
    }
    result = townsquare(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_an_unreadable_secret_file_is_named(tmp_path):
    result = townsquare(["check"], {**PRODUCTION, "SECRET_KEY_FILE": str(tmp_path / "missing")}, tmp_path)
    assert result.returncode != 0 and f"SECRET_KEY_FILE={tmp_path / 'missing'}: cannot read it" in result.stderr

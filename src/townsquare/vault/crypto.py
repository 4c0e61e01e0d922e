"""The vault: encrypts credentials with the first key, decrypts with any (so keys can be rotated).

Keys come from TOWNSQUARE_VAULT_KEY (comma-separated Fernet keys, newest first) or
TOWNSQUARE_VAULT_KEY_FILE. In the embedded (non-production) mode with no key configured, a key is
generated once into var/vault.key so a fresh machine works; production refuses to start without one.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class VaultError(RuntimeError):
    pass


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _embedded_key_file() -> Path:
    return Path(settings.VAR_DIR) / "vault.key"


def _load_keys() -> list[str]:
    if settings.TOWNSQUARE_VAULT_KEYS:
        return list(settings.TOWNSQUARE_VAULT_KEYS)
    key_file = _embedded_key_file()
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(generate_key())
    return [key_file.read_text().strip()]


@cache
def _fernet() -> MultiFernet:
    keys = _load_keys()
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, TypeError) as error:
        raise VaultError(
            "TOWNSQUARE_VAULT_KEY holds a value that is not a Fernet key (make one with: townsquare vault generate-key)"
        ) from error


def reset_keys() -> None:
    """Forget the cached keys (after the settings change, e.g. in tests or after rotation)."""
    _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise VaultError("a stored secret cannot be decrypted with any configured vault key") from error


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise VaultError("a stored secret cannot be decrypted with any configured vault key") from error

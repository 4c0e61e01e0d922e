"""The `townsquare` command: Django's management commands plus the product's own (demo, serve, worker,
org, user, channel, vault, import, export, simulate). Reads the same environment as the web application."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townsquare.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["townsquare", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()

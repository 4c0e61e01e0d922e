"""UTC in the database, the organisation's time zone on screen and on the command line (DST included)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from django.core.exceptions import ValidationError


def local_to_utc(*, local: datetime, time_zone: str) -> datetime:
    """A wall-clock time in `time_zone` as UTC. A time the clocks skip (spring forward) is refused; a time
    that happens twice (autumn) means the first, i.e. still in summer time."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    zone = zoneinfo.ZoneInfo(time_zone)
    aware = local.replace(tzinfo=zone, fold=0)
    result = aware.astimezone(UTC)
    if result.astimezone(zone).replace(tzinfo=None) != local:
        raise ValidationError(f"{local:%Y-%m-%d %H:%M} does not exist in {time_zone}: the clocks go forward then")
    return result


def utc_to_local(*, moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone))


def parse_at(*, text: str, time_zone: str) -> datetime:
    """ISO 8601; with an offset (or Z) it is exact, without one it is read in the organisation's time zone."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"at: {text!r} is not an ISO 8601 time, e.g. 2026-03-29T09:30") from None
    return local_to_utc(local=parsed, time_zone=time_zone)

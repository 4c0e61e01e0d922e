"""Times are stored in UTC and read in the organisation's time zone, across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from townsquare.publishing.times import local_to_utc, parse_at, utc_to_local

LONDON = "Europe/London"


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-03-28T09:00", datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),  # the day before: GMT
        ("2026-03-29T00:30", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),  # last Sunday of March, before 01:00
        ("2026-03-29T09:00", datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # after the change: BST
        ("2026-10-25T00:30", datetime(2026, 10, 24, 23, 30, tzinfo=UTC)),  # last Sunday of October, still BST
        ("2026-10-25T01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # happens twice: the first one
        ("2026-10-25T09:00", datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),  # back to GMT
        ("2026-07-01T12:00+02:00", datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),  # an explicit offset wins
    ],
)
def test_local_times_in_london_become_utc(local, utc):
    assert parse_at(text=local, time_zone=LONDON) == utc


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(ValidationError, match="does not exist in Europe/London"):
        local_to_utc(local=datetime(2026, 3, 29, 1, 30), time_zone=LONDON)


def test_utc_is_shown_in_the_organisations_zone():
    summer = utc_to_local(moment=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), time_zone=LONDON)
    winter = utc_to_local(moment=datetime(2026, 10, 25, 1, 30, tzinfo=UTC), time_zone=LONDON)
    assert (summer.hour, summer.tzname()) == (1, "BST")
    assert (winter.hour, winter.tzname()) == (1, "GMT")
    assert utc_to_local(moment=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), time_zone="America/New_York").hour == 4


def test_an_unreadable_time_is_refused_with_an_example():
    with pytest.raises(ValidationError, match="not an ISO 8601 time"):
        parse_at(text="next tuesday", time_zone=LONDON)

"""Forcing Matcher.match_many onto its batch path, whatever the number of posts and queries."""

from unittest import mock

from townsquare.listening import matcher


def always_batch() -> mock._patch:
    return mock.patch.multiple(matcher, BATCH_MIN=1, BATCH_MIN_QUERIES=1)

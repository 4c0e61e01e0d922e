"""The computed priority of a conversation, from its first public message (a member may override it)."""

from __future__ import annotations

import re

from townsquare.inbox.models import Priority

URGENT_WORDS = re.compile(r"\b(emergency|urgent|danger|unsafe|flood(?:ing)?|fire|asap)\b", re.IGNORECASE)
HIGH_WORDS = re.compile(r"\b(complain\w*|refund|broken|worst|terrible|still waiting|no one)\b", re.IGNORECASE)
INFLUENTIAL_FOLLOWERS = 10_000


def priority_compute(*, text: str, verified: bool, followers: int | None) -> str:
    if URGENT_WORDS.search(text):
        return Priority.URGENT
    if HIGH_WORDS.search(text) or verified or (followers or 0) >= INFLUENTIAL_FOLLOWERS:
        return Priority.HIGH
    return Priority.NORMAL

"""The computed priority of a conversation, from its first public message (a member may override it):
urgent words first; then a complaint (the enrichment label), complaint words, a verified or influential author,
or a negative post from an author with a following (a reputation risk)."""

from __future__ import annotations

import re

from townsquare.inbox.models import Priority

URGENT_WORDS = re.compile(r"\b(emergency|urgent|danger|unsafe|flood(?:ing)?|fire|asap)\b", re.IGNORECASE)
HIGH_WORDS = re.compile(r"\b(complain\w*|refund|broken|worst|terrible|still waiting|no one)\b", re.IGNORECASE)
INFLUENTIAL_FOLLOWERS = 10_000
FOLLOWED = 1_000


def priority_compute(
    *, text: str, verified: bool, followers: int | None, complaint: bool = False, negative: bool = False
) -> str:
    if URGENT_WORDS.search(text):
        return Priority.URGENT
    reach = followers or 0
    if complaint or HIGH_WORDS.search(text) or verified or reach >= INFLUENTIAL_FOLLOWERS:
        return Priority.HIGH
    if negative and reach >= FOLLOWED:
        return Priority.HIGH
    return Priority.NORMAL

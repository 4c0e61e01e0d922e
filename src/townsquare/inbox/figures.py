"""Inbox figures: volumes, first-response and resolution times, target breaches.

Times are calendar seconds, or business seconds where the organisation's policy sets business hours.
"""

from __future__ import annotations

import math
import statistics
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from townsquare.inbox.models import Conversation, InboxPolicy, Status
from townsquare.orgs.models import Organisation

DEFAULT_FIRST_RESPONSE = {"urgent": 15 * 60, "high": 60 * 60, "normal": 4 * 3600, "low": 24 * 3600}
DEFAULT_RESOLUTION = {"urgent": 4 * 3600, "high": 24 * 3600, "normal": 72 * 3600, "low": 7 * 24 * 3600}


def policy_for(organisation: Organisation) -> InboxPolicy:
    """The organisation's policy, or the defaults (unsaved) where none is set."""
    return InboxPolicy.objects.filter(organisation=organisation).first() or InboxPolicy(organisation=organisation)


def first_response_target(policy: InboxPolicy, priority: str) -> int:
    return int({**DEFAULT_FIRST_RESPONSE, **policy.first_response_targets}[priority])


def resolution_target(policy: InboxPolicy, priority: str) -> int:
    return int({**DEFAULT_RESOLUTION, **policy.resolution_targets}[priority])


def elapsed_seconds(policy: InboxPolicy, start: datetime, end: datetime) -> float:
    """Seconds from start to end, counting only business hours where the policy sets them."""
    if end <= start:
        return 0.0
    if policy.business_start is None or policy.business_end is None:
        return (end - start).total_seconds()
    zone = zoneinfo.ZoneInfo(policy.time_zone or policy.organisation.time_zone)
    days = set(policy.business_days or range(5))
    total = 0.0
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if day.weekday() in days:
            opens = datetime.combine(day, policy.business_start, zone)
            closes = datetime.combine(day, policy.business_end, zone)
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0.0)
        day += timedelta(days=1)
    return total


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `fraction` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def inbox_figures(
    *, organisation: Organisation, since: date | None = None, until: date | None = None, now: datetime | None = None
) -> dict:
    """Figures for conversations whose first public message falls in [since, until] (whole days)."""
    now = now or timezone.now()
    policy = policy_for(organisation)
    conversations = Conversation.objects.filter(organisation=organisation, first_public_message_at__isnull=False)
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    if since:
        conversations = conversations.filter(first_public_message_at__gte=datetime.combine(since, time.min, zone))
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, zone)
        conversations = conversations.filter(first_public_message_at__lt=end)
    counts = {status: 0 for status in Status.values}
    first_responses, resolutions = [], []
    breaches = unanswered_breaches = 0
    rows = conversations.values_list(
        "status",
        "priority_computed",
        "priority_override",
        "first_public_message_at",
        "first_response_at",
        "resolved_at",
    )
    for status, computed, override, first_public, first_response, resolved in rows.iterator(chunk_size=2000):
        counts[status] += 1
        target = first_response_target(policy, override or computed)
        if first_response is not None:
            seconds = elapsed_seconds(policy, first_public, first_response)
            first_responses.append(seconds)
            breaches += seconds > target
        elif elapsed_seconds(policy, first_public, now) > target:
            unanswered_breaches += 1
        if resolved is not None and status == Status.RESOLVED:
            resolutions.append(elapsed_seconds(policy, first_public, resolved))
    return {
        "conversations": sum(counts.values()),
        **counts,
        "answered": len(first_responses),
        "first_response_median_s": statistics.median(first_responses) if first_responses else None,
        "first_response_p90_s": percentile(first_responses, 0.9),
        "resolution_median_s": statistics.median(resolutions) if resolutions else None,
        "breaches": breaches,
        "unanswered_breaches": unanswered_breaches,
        "business_hours": policy.business_start is not None and policy.business_end is not None,
    }

"""Reciprocity: how often the organisation engages with other people's content, week by week, compared with
how often it asks people to engage with its own.

"If we are conscious of how many times we engage with our audience's content compared to how much we ask
them to engage with us we'll be doing our jobs better." Both sides are counted from the stored posts
written by the organisation's own channels (author handle == channel handle on the same network, ignoring
case):

- a **give** replies to, shares or quotes a post that is not written by one of its channels. A target that
  was never stored counts as someone else's: the organisation's channels sync their own posts, so a missing
  target is almost always another account's;
- a reply to one of its own posts is conversation upkeep, not giving: counted as `replies_to_own`;
- an **ask** is an original post (neither a reply nor a share; quoting its own post is an ask too), and an
  ask **with a call to action** matches one of CALL_PHRASES;
- sharing its own post is neither: it repeats an ask already counted.

Verdict thresholds (ratio = gives / asks): at 1 or more the organisation gives at least as often as it asks,
which is the party etiquette of the seed essay. Below 0.5 it asks more than twice for each give, which
readers feel as broadcasting; between the two it leans towards asking.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

# Phrases that ask the reader to do something for the organisation. Kept short on purpose: every phrase
# here should read as an ask in almost any post; matched whole-word, any case, any spacing between words.
CALL_PHRASES = (
    "please comment",
    "please like",
    "please share",
    "please rt",
    "please retweet",
    "like and share",
    "share this",
    "retweet",
    "tell us",
    "let us know",
    "have your say",
    "fill in our survey",
    "sign up",
    "vote",
    "follow us",
    "click the link",
)
CALL_TO_ACTION = re.compile(
    r"\b(?:" + "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in CALL_PHRASES) + r")\b",
    re.IGNORECASE,
)
TOP_ACCOUNTS = 5
LAST_CALLS = 5
GIVING = 1.0
MOSTLY_ASKING = 0.5


@dataclass(frozen=True)
class Account:
    network: str
    handle: str
    times: int


@dataclass(frozen=True)
class Ask:
    network: str
    handle: str
    created_at: datetime
    text: str
    url: str


@dataclass
class Week:
    start: date  # Monday, in the organisation's time zone
    gives: int = 0
    asks: int = 0
    asks_with_call: int = 0
    replies_to_own: int = 0
    engaged: list[Account] = field(default_factory=list)
    calls: list[Ask] = field(default_factory=list)  # newest first

    @property
    def iso_week(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def ratio(self) -> float | None:
        return round(self.gives / self.asks, 2) if self.asks else None

    @property
    def verdict(self) -> str:
        if not self.asks:
            return "giving without asking" if self.gives else "quiet week"
        if self.ratio >= GIVING:
            return "giving as much as asking"
        if self.ratio >= MOSTLY_ASKING:
            return "asking a little more than giving"
        return "mostly asking"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        for ask in data["calls"]:
            ask["created_at"] = ask["created_at"].isoformat()
        return {"iso_week": self.iso_week, **data, "ratio": self.ratio, "verdict": self.verdict}


def has_call_to_action(text: str) -> bool:
    return CALL_TO_ACTION.search(text) is not None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def reciprocity_weeks(*, organisation: Organisation, weeks: int = 8, now: datetime | None = None) -> list[Week]:
    """The last `weeks` ISO weeks up to the one holding `now` (default: the current time), newest first."""
    zone = ZoneInfo(organisation.time_zone)
    this_monday = _monday((now or timezone.now()).astimezone(zone).date())
    result = [Week(start=this_monday - timedelta(weeks=n)) for n in range(weeks)]
    own = {(c.network, c.handle.lower()) for c in organisation.channels.all()}
    if not own or not result:
        return result
    by_start = {week.start: week for week in result}
    written_by_own = Q()
    for network, handle in own:
        written_by_own |= Q(network=network, author__handle__iexact=handle)
    start = datetime.combine(result[-1].start, time(), zone).astimezone(UTC)
    end = datetime.combine(this_monday + timedelta(weeks=1), time(), zone).astimezone(UTC)
    posts = list(
        Post.objects.filter(written_by_own, organisation=organisation, created_at__gte=start, created_at__lt=end)
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    targets = _target_authors(organisation=organisation, posts=posts)
    engaged: dict[date, Counter] = {week.start: Counter() for week in result}
    for post in posts:
        week = by_start[_monday(post.created_at.astimezone(zone).date())]
        _count(week=week, post=post, own=own, targets=targets, engaged=engaged[week.start])
    for week in result:
        ranked = sorted(engaged[week.start].items(), key=lambda item: (-item[1], item[0]))[:TOP_ACCOUNTS]
        week.engaged = [Account(network=network, handle=handle, times=n) for (network, handle), n in ranked]
    return result


def _target_authors(*, organisation: Organisation, posts: list[Post]) -> dict[tuple[str, str], str]:
    """(network, external id) -> author handle, for every stored post that `posts` reply to, share or quote."""
    wanted = {
        (post.network, ref)
        for post in posts
        for ref in (post.in_reply_to_external_id, post.shared_external_id, post.quoted_external_id)
        if ref
    }
    found = Post.objects.filter(organisation=organisation, external_id__in={ref for _, ref in wanted})
    return {
        (network, ref): handle
        for network, ref, handle in found.values_list("network", "external_id", "author__handle")
        if (network, ref) in wanted
    }


def _count(*, week: Week, post: Post, own: set, targets: dict, engaged: Counter) -> None:
    def others(ref: str) -> str | None:
        """The other account's handle ('' when the target was never stored), or None for an own post."""
        handle = targets.get((post.network, ref), "")
        return None if (post.network, handle.lower()) in own else handle

    refs = [ref for ref in (post.in_reply_to_external_id, post.shared_external_id, post.quoted_external_id) if ref]
    given_to = [handle for handle in map(others, refs) if handle is not None]
    if given_to:
        week.gives += 1
        # Unstored targets cannot be named; the count still includes them.
        engaged.update({(post.network, handle.lower()) for handle in given_to if handle})
    elif post.in_reply_to_external_id:
        week.replies_to_own += 1
    elif not post.shared_external_id:
        week.asks += 1
        if has_call_to_action(f"{post.title} {post.text}"):
            week.asks_with_call += 1
            if len(week.calls) < LAST_CALLS:
                week.calls.append(
                    Ask(
                        network=post.network,
                        handle=post.author.handle,
                        created_at=post.created_at,
                        text=post.text or post.title,
                        url=post.url,
                    )
                )

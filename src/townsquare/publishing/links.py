"""Short links with UTM tags: each link in a post goes out as Townsquare's own /l/<code>, which counts the click
and redirects to the link tagged with utm_source (the network), utm_medium=social and utm_campaign (the
post's campaign or theme, else the organisation). Actions behind a click (a sign-up, a booking) are reported
to /l/<code>/done.

Codes are 12 random URL-safe characters (72 bits): unguessable, so nobody counts clicks by guessing codes.
Only the kind of event and its time are stored, nothing about the person.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.text import slugify

from townsquare.orgs.models import Organisation
from townsquare.publishing.models import LinkEvent, ScheduledPost, ShortLink
from townsquare.publishing.policy import LINK
from townsquare.publishing.text import text_length, text_limit

CODE_BYTES = 9  # 12 characters once encoded


def _new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def short_url(code: str) -> str:
    return f"{settings.TOWNSQUARE_PUBLIC_URL}/l/{code}"


def _absolute(url: str) -> str:
    return url if "://" in url else f"https://{url}"


def _ours(url: str) -> bool:
    return urlsplit(_absolute(url)).hostname == urlsplit(settings.TOWNSQUARE_PUBLIC_URL).hostname


def utm_tagged(url: str, *, network: str, campaign: str, content: str = "") -> str:
    """`url` with the UTM tags added; tags the link already has are kept as they are. `content` (utm_content)
    tells an ambassador's shares apart."""
    parts = urlsplit(_absolute(url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    tags = [("utm_source", network), ("utm_medium", "social"), ("utm_campaign", campaign)]
    if content:
        tags.append(("utm_content", content))
    query += [(name, value) for name, value in tags if name not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _links_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of each link that is not already one of ours."""
    found = []
    for match in LINK.finditer(text):
        url = match.group().rstrip(".,;:!?)")
        if not _ours(url):
            found.append((match.start(), match.start() + len(url), url))
    return found


def _replaced(text: str, links: list[tuple[int, int, str]], codes: list[str]) -> str:
    pieces, last = [], 0
    for (start, end, _), code in zip(links, codes, strict=True):
        pieces += [text[last:start], short_url(code)]
        last = end
    return "".join(pieces) + text[last:]


def _campaign_tag(post: ScheduledPost) -> str:
    """The post's campaign or theme, as analytics tools expect it (lower case, hyphens); else the organisation."""
    if post.campaign_id is None:
        return post.organisation.slug
    return slugify(post.campaign.name) or post.organisation.slug


def _short_link(post: ScheduledPost, url: str) -> ShortLink:
    # One code per link of a post, whichever worker or retry asks first: the text published stays the same.
    link, _ = ShortLink.objects.get_or_create(
        post=post,
        original=url,
        ambassador=None,
        defaults={
            "organisation_id": post.organisation_id,
            "code": _new_code(),
            "target": utm_tagged(url, network=post.channel.network, campaign=_campaign_tag(post)),
            "network": post.channel.network,
        },
    )
    return link


def text_with_short_links(*, post: ScheduledPost) -> str:
    """The text to publish: each link (but ours) replaced by its short link. When the short links would take
    the text past the network's limit, the text goes out as written, and no short link is made."""
    links = _links_in(post.text)
    if not links:
        return post.text
    network = post.channel.network
    limit = text_limit(network)
    if limit and length_with_short_links(text=post.text, network=network) > limit:
        return post.text
    return _replaced(post.text, links, [_short_link(post, url).code for _, _, url in links])


def _personal_link(*, post: ScheduledPost, url: str, network: str, ambassador) -> ShortLink:
    link, _ = ShortLink.objects.get_or_create(
        post=post,
        original=url,
        network=network,
        ambassador=ambassador,
        defaults={
            "organisation_id": post.organisation_id,
            "code": _new_code(),
            "target": utm_tagged(
                url, network=network, campaign=_campaign_tag(post), content=f"ambassador-{ambassador.id}"
            ),
        },
    )
    return link


def length_with_short_links(*, text: str, network: str) -> int:
    """The length of `text` on `network` once its links are short links."""
    links = _links_in(text)
    return text_length(text=_replaced(text, links, ["x" * 12] * len(links)), network=network)


def text_with_personal_links(*, text: str, post: ScheduledPost, network: str, ambassador) -> str:
    """Suggested copy for one ambassador: each link (but ours) replaced by their own short link for this post
    and network, tagged utm_content=ambassador-<id>, so the clicks their shares bring can be counted."""
    links = _links_in(text)
    codes = [_personal_link(post=post, url=url, network=network, ambassador=ambassador).code for _, _, url in links]
    return _replaced(text, links, codes)


def _record(code: str, kind: str) -> ShortLink | None:
    link = ShortLink.objects.filter(code=code).first()
    if link is not None:
        LinkEvent.objects.create(link=link, kind=kind)
    return link


def link_click(*, code: str) -> str | None:
    """Count a click; the tagged target to redirect to, or None for an unknown code."""
    link = _record(code, LinkEvent.Kind.CLICK)
    return link.target if link else None


def link_action(*, code: str) -> bool:
    """Count an action behind a click (a sign-up, a booking); False for an unknown code."""
    return _record(code, LinkEvent.Kind.ACTION) is not None


def _counted(links: QuerySet[ShortLink]) -> QuerySet[ShortLink]:
    return links.annotate(
        clicks=Count("events", filter=Q(events__kind=LinkEvent.Kind.CLICK)),
        actions=Count("events", filter=Q(events__kind=LinkEvent.Kind.ACTION)),
    )


def post_links(*, post: ScheduledPost) -> QuerySet[ShortLink]:
    """The post's own short links (not the ambassadors'), each with `clicks` and `actions`."""
    return _counted(ShortLink.objects.filter(post=post, ambassador=None)).order_by("id")


def ambassador_clicks(*, post: ScheduledPost) -> dict[tuple[int, str], int]:
    """Clicks on the ambassadors' personal links of `post`, per (ambassador id, network)."""
    rows = (
        ShortLink.objects.filter(post=post, ambassador__isnull=False)
        .values("ambassador_id", "network")
        .annotate(clicks=Count("events", filter=Q(events__kind=LinkEvent.Kind.CLICK)))
        .order_by()
    )
    return {(row["ambassador_id"], row["network"]): row["clicks"] for row in rows}


def organisation_link_totals(*, organisation: Organisation) -> dict[str, int]:
    events = LinkEvent.objects.filter(link__organisation=organisation)
    return {
        "link_clicks": events.filter(kind=LinkEvent.Kind.CLICK).count(),
        "link_actions": events.filter(kind=LinkEvent.Kind.ACTION).count(),
    }

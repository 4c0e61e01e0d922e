"""Ambassadors: approved posts offered to the organisation's staff to share from their own accounts.

An approver (Permission.PUBLISH) offers a post with suggested copy per network. Every member sees the offers
with the copy, in which each link is their own short link (publishing.links.text_with_personal_links), says
"I shared it" (network, optionally the address of their post), and the offer's page shows who shared where and
when, and the clicks their personal links brought. A member who shares without the personal link is counted
as a share, not as clicks: Townsquare cannot see the member's own post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone

from townsquare.networks.registry import NETWORKS
from townsquare.orgs.models import Membership, Organisation
from townsquare.orgs.roles import Permission
from townsquare.publishing.links import ambassador_clicks, length_with_short_links, text_with_personal_links
from townsquare.publishing.models import PostStatus, ScheduledPost, Share, ShareOffer
from townsquare.publishing.policy import BLOCK, policy_check
from townsquare.publishing.text import text_limit, text_unit
from townsquare.publishing.workflow import policy_for

OFFERABLE = (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.PUBLISHED)


def _membership(*, organisation_id: int, actor) -> Membership | None:
    return Membership.objects.filter(organisation_id=organisation_id, user=actor).first()


def checked_copy(copy: dict[str, str]) -> dict[str, str]:
    """The suggested copy, each text stripped; empty texts mean "not for that network". Refused: no copy at
    all, an unknown network, or a text past the network's limit once its links are short links."""
    result = {}
    for network, text in copy.items():
        if network not in NETWORKS:
            raise ValidationError(f"copy: unknown network {network!r}")
        text = text.strip()
        if not text:
            continue
        limit = text_limit(network)
        length = length_with_short_links(text=text, network=network)
        if limit and length > limit:
            label = NETWORKS[network].label
            raise ValidationError(
                f"copy for {label}: {length} {text_unit(network)} with its links shortened, but {label} allows {limit}"
            )
        result[network] = text
    if not result:
        raise ValidationError("copy: write the suggested text for at least one network")
    return result


def share_offer_save(*, post: ScheduledPost, actor, copy: dict[str, str]) -> ShareOffer:
    """Offer `post` to staff to share (or change the copy of its offer)."""
    membership = _membership(organisation_id=post.organisation_id, actor=actor)
    if membership is None or not membership.can(Permission.PUBLISH):
        raise PermissionDenied("Only an approver can offer a post to share")
    if post.status not in OFFERABLE:
        raise ValidationError(
            f"post: only approved posts can be offered to share; this one is {post.get_status_display().lower()}"
        )
    copy = checked_copy(copy)
    # Staff post the copy under the organisation's name: the policy holds for it as for the post itself.
    policy = policy_for(organisation=post.organisation)
    for network, text in copy.items():
        blocking = [finding for finding in policy_check(text=text, policy=policy) if finding.action == BLOCK]
        if blocking:
            findings = "; ".join(finding.describe() for finding in blocking)
            raise ValidationError(f"copy for {NETWORKS[network].label}: the policy check blocks it: {findings}")
    # Saving a withdrawn offer offers it again.
    offer, _ = ShareOffer.objects.update_or_create(
        post=post,
        defaults={
            "organisation_id": post.organisation_id,
            "copy": copy,
            "offered_by": actor,
            "withdrawn_at": None,
            "withdrawn_by": None,
        },
    )
    return offer


def share_offer_withdraw(*, offer: ShareOffer, actor) -> ShareOffer:
    """Stop offering a post to staff (a mistake, news that changed). Shares already made stay on record."""
    membership = _membership(organisation_id=offer.organisation_id, actor=actor)
    if membership is None or not membership.can(Permission.PUBLISH):
        raise PermissionDenied("Only an approver can withdraw an offer")
    if offer.withdrawn_at is None:
        offer.withdrawn_at, offer.withdrawn_by = timezone.now(), actor
        offer.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return offer


def share_record(*, offer: ShareOffer, actor, network: str, url: str = "") -> Share:
    """A member says they shared `offer` on `network` (and, if they like, where)."""
    if _membership(organisation_id=offer.organisation_id, actor=actor) is None:
        raise PermissionDenied("Only the organisation's members share its posts")
    if offer.withdrawn_at is not None:
        raise ValidationError("offer: this post is no longer offered to share")
    if network not in offer.copy:
        raise ValidationError("network: choose one of the networks this post is offered for")
    url = url.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(f"url: {url!r} is not a web address (https://...)") from None
    return Share.objects.create(offer=offer, ambassador=actor, network=network, url=url)


def offers_for(*, organisation: Organisation) -> QuerySet[ShareOffer]:
    """Offers not withdrawn, of posts still planned or published (a failed post is not worth sharing), newest
    first."""
    return (
        ShareOffer.objects.filter(organisation=organisation, post__status__in=OFFERABLE, withdrawn_at__isnull=True)
        .select_related("post", "post__channel", "post__campaign")
        .prefetch_related("shares")
    )


def copy_for(*, offer: ShareOffer, ambassador) -> list[dict]:
    """The offer's copy per network, with the ambassador's own links in it."""
    return [
        {
            "network": network,
            "label": NETWORKS[network].label,
            "text": text_with_personal_links(text=text, post=offer.post, network=network, ambassador=ambassador),
        }
        for network, text in offer.copy.items()
    ]


@dataclass
class AmbassadorResult:
    """What one member's shares of an offer brought."""

    ambassador: object
    shares: list[Share] = field(default_factory=list)
    clicks: int = 0

    @property
    def last_shared_at(self) -> datetime:
        return max(share.shared_at for share in self.shares)


def offer_results(*, offer: ShareOffer) -> list[AmbassadorResult]:
    """Who shared, where and when, and the clicks on each one's personal links for the networks they shared
    on; most clicks first."""
    clicks = ambassador_clicks(post=offer.post)
    results: dict[int | None, AmbassadorResult] = {}
    for share in offer.shares.select_related("ambassador"):
        result = results.setdefault(share.ambassador_id, AmbassadorResult(ambassador=share.ambassador))
        result.shares.append(share)
    for ambassador_id, result in results.items():
        networks = {share.network for share in result.shares}
        result.clicks = sum(clicks.get((ambassador_id, network), 0) for network in networks)
    return sorted(results.values(), key=lambda result: (-result.clicks, -len(result.shares)))

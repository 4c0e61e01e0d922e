"""Ambassadors: approvers offer an approved post to staff with suggested copy per network; every member sees
the posts to share and says when they shared one; the offer's page shows who shared and what it brought."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from townsquare.networks.registry import NETWORKS
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.ambassadors import (
    copy_for,
    offer_results,
    offers_for,
    share_offer_save,
    share_offer_withdraw,
    share_record,
)
from townsquare.publishing.models import ScheduledPost, ShareOffer
from townsquare.publishing.text import text_limit, text_unit
from townsquare.web.views.calendar import render_local

# Networks a member might share on from their own account (an RSS feed is not one).
SHAREABLE = [network for network in NETWORKS.values() if network.kind != "rss"]


@org_view(Permission.PUBLISH)
def share_offer_edit(request, scheduled_post_id: int):
    post = get_object_or_404(
        ScheduledPost.objects.select_related("channel"), id=scheduled_post_id, organisation=request.organisation
    )
    offer = ShareOffer.objects.filter(post=post).first()
    copy = dict(offer.copy) if offer else {post.channel.network: post.text}
    error = ""
    if request.method == "POST":
        copy = {network.kind: request.POST.get(f"copy-{network.kind}", "") for network in SHAREABLE}
        try:
            offer = share_offer_save(post=post, actor=request.user, copy=copy)
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, "Offered to staff to share. They see it under Posts to share.")
            return redirect("share_offer", org_slug=request.organisation.slug, offer_id=offer.id)
    fields = [
        {"network": n, "text": copy.get(n.kind, ""), "limit": text_limit(n.kind), "unit": text_unit(n.kind)}
        for n in SHAREABLE
    ]
    return render_local(
        request,
        "web/share_offer_form.html",
        {"post": post, "offer": offer, "fields": fields, "error": error},
        status=400 if error else 200,
    )


@org_view()
def shares(request):
    """Posts to share, each with the copy (this member's own links in it) and their shares so far."""
    offers = []
    for offer in offers_for(organisation=request.organisation):
        mine = [share for share in offer.shares.all() if share.ambassador_id == request.user.id]
        offers.append({"offer": offer, "copy": copy_for(offer=offer, ambassador=request.user), "mine": mine})
    return render_local(
        request,
        "web/shares.html",
        {"offers": offers, "can_manage": request.membership.can(Permission.PUBLISH)},
    )


@org_view()
@require_POST
def share_done(request, offer_id: int):
    offer = get_object_or_404(ShareOffer, id=offer_id, organisation=request.organisation)
    network = request.POST.get("network", "")
    try:
        share_record(offer=offer, actor=request.user, network=network, url=request.POST.get("url", ""))
    except ValidationError as error:
        messages.error(request, f"Not recorded: {' '.join(error.messages)}.")
    else:
        messages.success(request, f"Recorded: you shared it on {NETWORKS[network].label}. Thank you!")
    return redirect(f"{reverse('shares', kwargs={'org_slug': request.organisation.slug})}#offer-{offer.id}")


@org_view(Permission.PUBLISH)
def share_offer(request, offer_id: int):
    offer = get_object_or_404(
        ShareOffer.objects.select_related("post", "post__channel", "withdrawn_by"),
        id=offer_id,
        organisation=request.organisation,
    )
    results = offer_results(offer=offer)
    return render_local(
        request,
        "web/share_offer.html",
        {
            "offer": offer,
            "results": results,
            "share_count": sum(len(result.shares) for result in results),
            "click_count": sum(result.clicks for result in results),
            "networks": {kind: NETWORKS[kind].label for kind in offer.copy},
        },
    )


@org_view(Permission.PUBLISH)
@require_POST
def share_offer_stop(request, offer_id: int):
    offer = get_object_or_404(ShareOffer, id=offer_id, organisation=request.organisation)
    share_offer_withdraw(offer=offer, actor=request.user)
    messages.success(request, "Withdrawn: staff no longer see it under Posts to share. Its shares stay on record.")
    return redirect("share_offer", org_slug=request.organisation.slug, offer_id=offer.id)

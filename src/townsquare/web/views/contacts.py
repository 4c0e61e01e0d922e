"""The contact page: one person's identities, conversations and influence; merge and split.

Members who work conversations (DRAFT) may merge and split, since both only regroup who is who."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from townsquare.inbox.contacts import contact_merge, contact_split, contact_suggestions
from townsquare.inbox.models import Contact, ContactIdentity
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.posts.models import Identity


def _contact(request, contact_id: int) -> Contact:
    return get_object_or_404(Contact, organisation=request.organisation, pk=contact_id)


@org_view()
def contact_detail(request, contact_id: int):
    contact = _contact(request, contact_id)
    identities = list(Identity.objects.filter(contact_link__contact=contact).order_by("network", "handle"))
    conversations = list(contact.conversations.select_related("channel", "assignee"))
    suggested = [
        other
        for group in contact_suggestions(organisation=request.organisation)
        if contact in group
        for other in group
        if other != contact
    ]
    return render(
        request,
        "web/contact.html",
        {
            "contact": contact,
            "identities": identities,
            "followers": sum(identity.followers or 0 for identity in identities),
            "conversations": conversations,
            "labels": sorted({label for conversation in conversations for label in conversation.labels}),
            "suggested": suggested,
            "can_work": request.membership.can(Permission.DRAFT),
        },
    )


@org_view(Permission.DRAFT)
@require_POST
def contact_merge_view(request, contact_id: int):
    """The other contact (suggested, or given by number) is merged into this one."""
    contact = _contact(request, contact_id)
    other = Contact.objects.filter(organisation=request.organisation, pk=request.POST.get("other") or None).first()
    if other is None or other == contact:
        messages.error(request, "Choose another contact of this organisation to merge.")
    else:
        contact_merge(organisation=request.organisation, into=contact, others=[other])
        messages.success(request, f"{other} merged into {contact}.")
    return redirect("contact", org_slug=request.organisation.slug, contact_id=contact.pk)


@org_view(Permission.DRAFT)
@require_POST
def contact_split_view(request, contact_id: int):
    """The identity, with the conversations it began, becomes a contact of its own."""
    contact = _contact(request, contact_id)
    link = get_object_or_404(ContactIdentity, contact=contact, identity_id=request.POST.get("identity") or None)
    new = contact_split(organisation=request.organisation, contact=contact, identity=link.identity)
    if new == contact:
        messages.error(request, "A contact's only identity cannot be split off.")
    else:
        messages.success(request, f"{link.identity} is now a contact of its own.")
    return redirect("contact", org_slug=request.organisation.slug, contact_id=new.pk)

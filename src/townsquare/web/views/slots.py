"""Recurring posting slots: the list (everyone), adding, changing and deleting them (Permission.PUBLISH, as for
campaigns). The calendar shows their open occurrences."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.publishing.models import PostingSlot
from townsquare.publishing.slots import slot_save, slots_for
from townsquare.web.forms import PostingSlotForm
from townsquare.web.views.calendar import render_local


def _saved(request, form: PostingSlotForm, slot: PostingSlot) -> PostingSlot | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    slot.name, slot.weekdays, slot.local_time = data["name"], data["weekdays"], data["local_time"]
    try:
        return slot_save(slot=slot, channels=list(data["channels"]), campaign=data["campaign"])
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _render_list(request, form: PostingSlotForm, status: int = 200):
    return render_local(
        request,
        "web/slots.html",
        {
            "slots": slots_for(organisation=request.organisation),
            "form": form,
            "can_manage": request.membership.can(Permission.PUBLISH),
            "time_zone": request.organisation.time_zone,
        },
        status=status,
    )


@org_view()
def posting_slots(request):
    return _render_list(request, PostingSlotForm(organisation=request.organisation))


@org_view(Permission.PUBLISH)
@require_POST
def posting_slot_create(request):
    form = PostingSlotForm(request.POST, organisation=request.organisation)
    slot = _saved(request, form, PostingSlot(organisation=request.organisation))
    if slot is None:
        return _render_list(request, form, status=400)
    messages.success(request, f"Slot “{slot.name}” added.")
    return redirect("posting_slots", org_slug=request.organisation.slug)


@org_view(Permission.PUBLISH)
def posting_slot_edit(request, slot_id: int):
    slot = get_object_or_404(PostingSlot, id=slot_id, organisation=request.organisation)
    initial = {
        "name": slot.name,
        "weekdays": slot.weekdays,
        "local_time": slot.local_time,
        "channels": list(slot.channels.all()),
        "campaign": slot.campaign,
    }
    form = PostingSlotForm(request.POST or None, organisation=request.organisation, initial=initial)
    if request.method == "POST" and _saved(request, form, slot):
        messages.success(request, f"Slot “{slot.name}” changed.")
        return redirect("posting_slots", org_slug=request.organisation.slug)
    return render_local(
        request, "web/slot_form.html", {"slot": slot, "form": form}, status=400 if form.is_bound else 200
    )


@org_view(Permission.PUBLISH)
@require_POST
def posting_slot_delete(request, slot_id: int):
    slot = get_object_or_404(PostingSlot, id=slot_id, organisation=request.organisation)
    slot.delete()
    messages.success(request, f"Slot “{slot.name}” deleted. Posts already planned in it stay.")
    return redirect("posting_slots", org_slug=request.organisation.slug)

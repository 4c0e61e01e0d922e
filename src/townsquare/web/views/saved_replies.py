"""Saved replies of the inbox: everyone reads and uses them; managing them needs PUBLISH, like replying."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from townsquare.inbox.forms import SavedReplyForm
from townsquare.inbox.models import SavedReply
from townsquare.inbox.saved_replies import saved_replies_for, saved_reply_save
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission


def _saved_reply(request, saved_reply_id: int) -> SavedReply:
    return get_object_or_404(SavedReply, organisation=request.organisation, pk=saved_reply_id)


def _render_list(request, form: SavedReplyForm, status: int = 200):
    return render(
        request,
        "web/saved_replies.html",
        {
            "replies": saved_replies_for(request.organisation),
            "form": form,
            "can_manage": request.membership.can(Permission.PUBLISH),
        },
        status=status,
    )


@org_view()
def saved_replies(request):
    return _render_list(request, SavedReplyForm())


@org_view(Permission.PUBLISH)
@require_POST
def saved_reply_create(request):
    form = SavedReplyForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    reply = form.save(commit=False)
    reply.organisation = request.organisation
    reply.created_by = request.user
    saved_reply_save(reply=reply)
    messages.success(request, f"Saved reply “{reply.title}” added.")
    return redirect("saved_replies", org_slug=request.organisation.slug)


@org_view(Permission.PUBLISH)
def saved_reply_edit(request, saved_reply_id: int):
    reply = _saved_reply(request, saved_reply_id)
    form = SavedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        saved_reply_save(reply=form.save(commit=False))
        messages.success(request, f"Saved reply “{reply.title}” changed.")
        return redirect("saved_replies", org_slug=request.organisation.slug)
    status = 400 if form.is_bound else 200
    return render(request, "web/saved_reply_form.html", {"form": form, "reply": reply}, status=status)


@org_view(Permission.PUBLISH)
@require_POST
def saved_reply_delete(request, saved_reply_id: int):
    reply = _saved_reply(request, saved_reply_id)
    reply.delete()
    messages.success(request, f"Saved reply “{reply.title}” deleted.")
    return redirect("saved_replies", org_slug=request.organisation.slug)

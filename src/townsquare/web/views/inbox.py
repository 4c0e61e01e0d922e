"""The shared inbox: the list of conversations and the page to work one."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from townsquare.inbox.bulk import conversations_bulk_change
from townsquare.inbox.models import Conversation, Priority, Status, Team
from townsquare.inbox.saved_replies import saved_replies_for, saved_reply_fill
from townsquare.inbox.selectors import (
    VIEWS,
    InboxFilters,
    conversation_events,
    conversation_list,
    conversation_posts,
    time_left_s,
)
from townsquare.inbox.senders import ConnectorUnavailable, reply_unavailable
from townsquare.inbox.services import (
    ReplyNotSent,
    conversation_add_note,
    conversation_assign,
    conversation_reply,
    conversation_set_priority,
    conversation_set_status,
    draft_touch,
    reply_conflicts,
)
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission

PAGE_SIZE = 50


@org_view()
def inbox(request):
    filters = InboxFilters(
        view=request.GET.get("view") if request.GET.get("view") in VIEWS else "all",
        status=request.GET.get("status") if request.GET.get("status") in Status.values else "",
        priority=request.GET.get("priority") if request.GET.get("priority") in Priority.values else "",
        assignee=request.GET.get("assignee", ""),
    )
    conversations = conversation_list(organisation=request.organisation, user=request.user, filters=filters)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for conversation in page:
        conversation.time_left = time_left_s(conversation=conversation, organisation=request.organisation, now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/inbox.html",
        {
            "page": page,
            "filters": filters,
            "views": VIEWS,
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "members": _members(request.organisation),
            "teams": Team.objects.filter(organisation=request.organisation),
            "bulk_statuses": [(value, label) for value, label in Status.choices if value in BULK_STATUSES],
            "can_work": request.membership.can(Permission.DRAFT),
            "query": query.urlencode(),
        },
    )


# Snoozing needs a time per conversation, so it stays on the conversation page.
BULK_STATUSES = (Status.OPEN, Status.PENDING, Status.RESOLVED)


@org_view(Permission.DRAFT)
@require_POST
def inbox_bulk(request):
    """Assign, change status or set priority of every selected conversation of the organisation."""
    ids = [int(value) for value in request.POST.getlist("conversation") if value.isdigit()]
    try:
        change = _bulk_change(request, request.POST.get("action"))
        changed = conversations_bulk_change(organisation=request.organisation, conversation_ids=ids, change=change)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        if changed:
            messages.success(request, f"{changed} conversation{'s' if changed != 1 else ''} changed.")
        else:
            messages.error(request, "Select conversations first.")
    return redirect(reverse("inbox", kwargs={"org_slug": request.organisation.slug}) + _query_string(request))


def _bulk_change(request, action: str | None):
    post, actor = request.POST, request.user
    if action == "assign":
        user = _members(request.organisation).filter(pk=post.get("assignee") or None).first()
        team = Team.objects.filter(organisation=request.organisation, pk=post.get("team") or None).first()
        return lambda conversation: conversation_assign(
            conversation=conversation, actor=actor, assignee=user, team=team
        )
    if action == "status":
        status = post.get("status", "")
        if status not in BULK_STATUSES:
            raise ValueError("choose open, pending or resolved")
        return lambda conversation: conversation_set_status(conversation=conversation, actor=actor, status=status)
    if action == "priority":
        priority = post.get("priority", "")
        if priority not in ("", *Priority.values):
            raise ValueError("unknown priority")
        return lambda conversation: conversation_set_priority(conversation=conversation, actor=actor, priority=priority)
    raise ValueError("unknown action")


def _query_string(request) -> str:
    """Back to the list as the member filtered it (only the inbox's own filters are kept)."""
    back = QueryDict(request.POST.get("back", ""))
    kept = QueryDict(mutable=True)
    for key in ("view", "status", "priority", "assignee"):
        if back.get(key):
            kept[key] = back[key]
    return f"?{kept.urlencode()}" if kept else ""


def _members(organisation):
    return get_user_model().objects.filter(memberships__organisation=organisation).order_by("username")


def _conversation(request, conversation_id: int) -> Conversation:
    return get_object_or_404(
        Conversation.objects.select_related("channel", "contact", "assignee", "team", "root_post", "participant"),
        pk=conversation_id,
        organisation=request.organisation,
    )


@org_view()
def conversation_detail(request, conversation_id: int):
    conversation = _conversation(request, conversation_id)
    # Without JavaScript, picking a saved reply reloads the page with its text in the reply box.
    picked = saved_replies_for(request.organisation).filter(pk=request.GET.get("saved_reply") or None).first()
    draft = saved_reply_fill(reply=picked, conversation=conversation, agent=request.user) if picked else ""
    return _render_detail(request, conversation, draft=draft)


def _render_detail(request, conversation: Conversation, *, conflict=None, draft: str = "", status: int = 200):
    events = list(conversation_events(conversation=conversation))
    saved = [
        (reply, saved_reply_fill(reply=reply, conversation=conversation, agent=request.user))
        for reply in saved_replies_for(request.organisation)
    ]
    seen = request.POST.get("seen_event_id") if conflict else None
    return render(
        request,
        "web/conversation.html",
        {
            "conversation": conversation,
            "posts": conversation_posts(conversation=conversation),
            "events": events,
            "seen_event_id": max([event.id for event in events], default=0) if seen is None else seen,
            "last_event_id": max([event.id for event in events], default=0),
            "time_left": time_left_s(conversation=conversation, organisation=request.organisation),
            "members": _members(request.organisation),
            "teams": Team.objects.filter(organisation=request.organisation),
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "can_work": request.membership.can(Permission.DRAFT),
            "can_reply": request.membership.can(Permission.PUBLISH),
            "reply_unavailable": reply_unavailable(conversation.channel),
            "conflict": conflict,
            "draft": draft,
            "saved_replies": saved,
        },
        status=status,
    )


@org_view(Permission.DRAFT)
@require_POST
def conversation_work(request, conversation_id: int):
    """Assign, change status or priority, snooze, or add an internal note."""
    conversation = _conversation(request, conversation_id)
    action = request.POST.get("action")
    try:
        if action == "assign":
            user = _members(request.organisation).filter(pk=request.POST.get("assignee") or None).first()
            team = Team.objects.filter(organisation=request.organisation, pk=request.POST.get("team") or None).first()
            conversation_assign(conversation=conversation, actor=request.user, assignee=user, team=team)
        elif action == "status":
            until = _parse_until(request.POST.get("snoozed_until", ""), request.organisation.time_zone)
            conversation_set_status(
                conversation=conversation,
                actor=request.user,
                status=request.POST.get("status", ""),
                snoozed_until=until,
            )
        elif action == "priority":
            priority = request.POST.get("priority", "")
            if priority not in ("", *Priority.values):
                raise ValueError("unknown priority")
            conversation_set_priority(conversation=conversation, actor=request.user, priority=priority)
        elif action == "note":
            if not request.POST.get("text", "").strip():
                raise ValueError("write the note first")
            conversation_add_note(conversation=conversation, actor=request.user, text=request.POST["text"])
        else:
            raise ValueError("unknown action")
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("conversation", org_slug=request.organisation.slug, conversation_id=conversation.pk)


def _parse_until(value: str, time_zone: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("snooze until: give a date and time") from None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))
    return parsed


@org_view(Permission.PUBLISH)
@require_POST
def conversation_reply_view(request, conversation_id: int):
    conversation = _conversation(request, conversation_id)
    text = request.POST.get("text", "")
    try:
        conversation_reply(
            conversation=conversation,
            actor=request.user,
            text=text,
            seen_event_id=int(request.POST.get("seen_event_id") or 0),
            confirmed=request.POST.get("confirmed") == "yes",
        )
    except ReplyNotSent as not_sent:
        return _render_detail(request, conversation, conflict=not_sent.conflict, draft=text, status=409)
    except (ValueError, ConnectorUnavailable) as error:
        messages.error(request, str(error))
        return _render_detail(request, conversation, draft=text, status=400)
    messages.success(request, "Reply sent.")
    return redirect("conversation", org_slug=request.organisation.slug, conversation_id=conversation.pk)


@org_view(Permission.DRAFT)
@require_POST
def conversation_typing(request, conversation_id: int):
    """Sent by the reply box while a member types: others see that someone is writing."""
    draft_touch(conversation=_conversation(request, conversation_id), user=request.user)
    return HttpResponse(status=204)


@org_view()
def conversation_updates(request, conversation_id: int):
    """Polled by the conversation page: events after `after`, and who else is writing."""
    conversation = _conversation(request, conversation_id)
    after = int(request.GET.get("after") or 0)
    events = list(conversation_events(conversation=conversation, after=after))
    conflict = reply_conflicts(conversation=conversation, user=request.user, seen_event_id=after)
    return render(
        request,
        "web/_conversation_updates.html",
        {
            "conversation": conversation,
            "events": events,
            "after": max([event.id for event in events], default=after),
            "writers": conflict.writers,
        },
    )

"""The shared inbox: the list of conversations and the page to work one."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from townsquare.inbox.bulk import conversations_bulk_change
from townsquare.inbox.figures import inbox_figures, policy_for
from townsquare.inbox.forms import InboxPolicyForm
from townsquare.inbox.models import Conversation, ConversationEvent, OutgoingReply, Priority, Status, Team
from townsquare.inbox.saved_replies import saved_replies_for, saved_reply_fill
from townsquare.inbox.saved_views import saved_view_create, saved_views_for
from townsquare.inbox.selectors import (
    SORTS,
    VIEWS,
    conversation_events,
    conversation_list,
    conversation_posts,
    inbox_filters,
    time_left_s,
)
from townsquare.inbox.senders import ReplyFailed, ReplyUnavailable
from townsquare.inbox.services import (
    ReplyNotSent,
    conversation_add_note,
    conversation_assign,
    conversation_reply,
    conversation_reply_unavailable,
    conversation_set_priority,
    conversation_set_status,
    draft_touch,
    replies_pending,
    reply_approve,
    reply_conflicts,
    reply_needs_approval,
    reply_return,
    reply_returned_to,
)
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission

PAGE_SIZE = 50


def _inbox_context(request) -> dict:
    """The filtered, paginated conversations: shared by the page and the rows it polls for."""
    filters = inbox_filters(request.GET)
    conversations = conversation_list(organisation=request.organisation, user=request.user, filters=filters)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for conversation in page:
        conversation.time_left = time_left_s(conversation=conversation, organisation=request.organisation, now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "filters": filters,
        "can_work": request.membership.can(Permission.DRAFT),
        "query": query.urlencode(),
        # The rows poll for the same filters and page the member is on.
        "rows_query": request.GET.urlencode(),
    }


@org_view()
def inbox(request):
    context = _inbox_context(request)
    saved = [
        (view, urlencode(view.filters), view.filters == context["filters"].as_query())
        for view in saved_views_for(organisation=request.organisation, user=request.user)
    ]
    return render(
        request,
        "web/inbox.html",
        {
            **context,
            "views": VIEWS,
            "sorts": SORTS,
            "saved_views": saved,
            "statuses": Status.choices,
            "priorities": Priority.choices,
            "members": _members(request.organisation),
            "teams": Team.objects.filter(organisation=request.organisation),
            "bulk_statuses": [(value, label) for value, label in Status.choices if value in BULK_STATUSES],
        },
    )


@org_view()
def inbox_rows(request):
    """Polled by the inbox every few seconds: the table body for the member's filters and page."""
    return render(request, "web/_inbox_rows.html", _inbox_context(request))


@org_view()
@require_POST
def saved_view_create_view(request):
    """Save the filters the member is looking at under a name (only they see it)."""
    filters = inbox_filters(QueryDict(request.POST.get("back", "")))
    try:
        saved_view_create(
            organisation=request.organisation, user=request.user, name=request.POST.get("name", ""), filters=filters
        )
    except ValueError as error:
        messages.error(request, f"View not saved: {error}.")
    else:
        messages.success(request, "View saved.")
    return redirect(reverse("inbox", kwargs={"org_slug": request.organisation.slug}) + _query_string(request))


@org_view()
@require_POST
def saved_view_delete_view(request, saved_view_id: int):
    view = get_object_or_404(saved_views_for(organisation=request.organisation, user=request.user), pk=saved_view_id)
    view.delete()
    messages.success(request, f"View {view.name!r} deleted.")
    return redirect("inbox", org_slug=request.organisation.slug)


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


def _render_detail(
    request, conversation: Conversation, *, conflict=None, draft: str = "", status: int = 200, key: str = ""
):
    events = list(conversation_events(conversation=conversation))
    saved = [
        (reply, saved_reply_fill(reply=reply, conversation=conversation, agent=request.user))
        for reply in saved_replies_for(request.organisation)
    ]
    seen = request.POST.get("seen_event_id") if conflict else None
    can_draft = request.membership.can(Permission.DRAFT)
    returned = reply_returned_to(conversation=conversation, author=request.user) if can_draft else None
    if returned and not draft and not conflict:
        draft = returned.text
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
            "can_work": can_draft,
            "can_reply": can_draft,
            "reply_unavailable": conversation_reply_unavailable(conversation),
            "reply_held": can_draft and reply_needs_approval(conversation=conversation, actor=request.user),
            # A resent form keeps its key, so the network publishes it once (see conversation_reply).
            "reply_key": key or uuid.uuid4(),
            "can_approve": request.membership.can(Permission.PUBLISH),
            "pending_replies": replies_pending(conversation=conversation),
            "conflict": conflict,
            "draft": draft,
            "returned": returned,
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


@org_view(Permission.DRAFT)
@require_POST
def conversation_reply_view(request, conversation_id: int):
    """Send a reply (members who may publish, or all who draft where no approval is needed) or hold it for
    an approver. Whatever goes wrong, the page comes back with the text still in the box."""
    conversation = _conversation(request, conversation_id)
    text = request.POST.get("text", "")
    key = request.POST.get("reply_key", "")
    try:
        event = conversation_reply(
            conversation=conversation,
            actor=request.user,
            text=text,
            seen_event_id=int(request.POST.get("seen_event_id") or 0),
            confirmed=request.POST.get("confirmed") == "yes",
            key=key,
        )
    except ReplyNotSent as not_sent:
        return _render_detail(request, conversation, conflict=not_sent.conflict, draft=text, status=409, key=key)
    except (ValueError, ReplyUnavailable) as error:
        messages.error(request, f"Reply not sent: {error}.")
        return _render_detail(request, conversation, draft=text, status=400, key=key)
    except ReplyFailed as failure:
        advice = "Fix the cause, then send again" if failure.permanent else "Send again in a moment"
        messages.error(request, f"Reply not sent: {failure}. Your text is kept below. {advice}.")
        return _render_detail(request, conversation, draft=text, status=502, key=key)
    if event.kind == ConversationEvent.REPLY_SUBMITTED:
        messages.success(request, "Reply held for an approver; you will see it in the activity once reviewed.")
    else:
        messages.success(request, "Reply sent.")
    return redirect("conversation", org_slug=request.organisation.slug, conversation_id=conversation.pk)


@org_view(Permission.PUBLISH)
@require_POST
def conversation_reply_review(request, outgoing_reply_id: int):
    """An approver sends a held reply (approve) or returns it to its author with a comment."""
    outgoing = get_object_or_404(
        OutgoingReply.objects.select_related("conversation__channel", "author"),
        pk=outgoing_reply_id,
        organisation=request.organisation,
    )
    try:
        if request.POST.get("action") == "approve":
            reply_approve(outgoing=outgoing, actor=request.user)
            messages.success(request, "Reply approved and sent.")
        elif request.POST.get("action") == "return":
            reply_return(outgoing=outgoing, actor=request.user, comment=request.POST.get("comment", ""))
            messages.success(request, "Reply sent back to its author with your comment.")
        else:
            raise ValueError("choose approve or send back")
    except (ValueError, ReplyUnavailable) as error:
        messages.error(request, f"Reply not reviewed: {error}.")
    except ReplyFailed as failure:
        messages.error(request, f"Reply approved but not sent: {failure}. It stays here to try again.")
    return redirect("conversation", org_slug=request.organisation.slug, conversation_id=outgoing.conversation_id)


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


FIGURE_LABELS = {
    "conversations": "Conversations",
    "open": "Open",
    "pending": "Pending",
    "snoozed": "Snoozed",
    "resolved": "Resolved",
    "answered": "Answered (with a first response)",
    "first_response_median_s": "First response, median",
    "first_response_p90_s": "First response, 90th percentile",
    "resolution_median_s": "Resolution, median",
    "breaches": "Answered later than the target",
    "unanswered_breaches": "Not answered, target passed",
}


@org_view()
def inbox_figures_view(request):
    """The inbox figures (as `townsquare stats inbox`) for conversations begun in the period picked."""
    errors = {}
    days = {}
    for name, label in (("since", "From"), ("until", "To")):
        value = request.GET.get(name, "").strip()
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = f"{label}: {value!r} is not a date; give one as YYYY-MM-DD"
    if not errors and days["since"] and days["until"] and days["since"] > days["until"]:
        errors["until"] = "To: must be on or after From"
    figures = None if errors else inbox_figures(organisation=request.organisation, **days)
    rows = []
    for name, label in FIGURE_LABELS.items() if figures else ():
        value = figures[name]
        duration = _duration(value) if name.endswith("_s") and value is not None else ""
        rows.append({"name": name, "label": label, "value": value, "duration": duration})
    return render(
        request,
        "web/inbox_figures.html",
        {
            "rows": rows,
            "figures": figures,
            "errors": errors,
            "since": request.GET.get("since", ""),
            "until": request.GET.get("until", ""),
        },
        status=400 if errors else 200,
    )


def _duration(seconds: float) -> str:
    """Seconds in words, e.g. 3 h 25 min, for reading beside the exact figure."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{amount} {unit}" for amount, unit in parts if amount][:2]
    return " ".join(shown) or "0 s"


@org_view(Permission.MANAGE_TEAM)
def inbox_settings(request):
    """The organisation's inbox policy: replies that need approval, response targets, business hours."""
    policy = policy_for(request.organisation)
    form = InboxPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST":
        if form.is_valid():
            form.save(policy)
            messages.success(request, "Inbox settings saved.")
            return redirect("inbox_settings", org_slug=request.organisation.slug)
        return render(request, "web/inbox_settings.html", {"form": form}, status=400)
    return render(request, "web/inbox_settings.html", {"form": form})

"""Listening: saved queries, their live check and preview, and the mentions they found.

Everyone in the organisation reads; changing queries needs PUBLISH, because a query shapes what the whole
team sees and what is stored.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from townsquare.listening import QueryError, parse, to_text
from townsquare.mentions.forms import MentionFilterForm, QueryForm
from townsquare.mentions.models import ListeningQuery
from townsquare.mentions.selectors import (
    MentionFilters,
    mention_list,
    mention_volume,
    query_list,
    query_preview,
    sentiments_present,
)
from townsquare.mentions.services import query_create, query_delete, query_set_paused, query_update
from townsquare.mentions.suggestions import query_suggestions
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission

PAGE_SIZE = 50
PREVIEW_SHOWN = 20


def _query(request, query_id: int) -> ListeningQuery:
    return get_object_or_404(ListeningQuery, organisation=request.organisation, id=query_id)


@org_view()
def listening(request):
    can_edit = request.membership.can(Permission.PUBLISH)
    return render(
        request,
        "web/listening.html",
        {
            "queries": query_list(organisation=request.organisation),
            "suggestions": query_suggestions(organisation=request.organisation) if can_edit else [],
            "can_edit": can_edit,
        },
    )


@org_view(Permission.PUBLISH)
def query_new(request):
    form = QueryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        query = query_create(organisation=request.organisation, created_by=request.user, **form.cleaned_data)
        messages.success(request, f"Listening for “{query.name}”. New posts that match appear below.")
        return redirect("listening_query", org_slug=request.organisation.slug, query_id=query.id)
    return render(request, "web/listening_form.html", {"form": form, "query": None})


@org_view(Permission.PUBLISH)
def query_edit(request, query_id: int):
    query = _query(request, query_id)
    form = QueryForm(request.POST or None, instance=query)
    if request.method == "POST" and form.is_valid():
        query_update(query=query, **form.cleaned_data)
        messages.success(request, f"“{query.name}” saved. New posts are matched against the new query.")
        return redirect("listening_query", org_slug=request.organisation.slug, query_id=query.id)
    return render(request, "web/listening_form.html", {"form": form, "query": query})


@org_view(Permission.PUBLISH)
@require_POST
def query_check(request):
    """Live validation while typing: the canonical form, or the error with a caret under its column."""
    text = request.POST.get("text", "")
    context = {"text": text}
    if text.strip():
        try:
            context["canonical"] = to_text(parse(text))
        except QueryError as error:
            context["error"] = error
            # The caret line: the query's line up to the column, spaces for every character but tabs.
            context["pad"] = "".join("\t" if c == "\t" else " " for c in text[: error.column - 1])
    return render(request, "web/_listening_check.html", context)


@org_view(Permission.PUBLISH)
@require_POST
def query_preview_view(request):
    text = request.POST.get("text", "")
    try:
        looked_at, posts = query_preview(organisation=request.organisation, text=text)
    except (QueryError, ValueError) as error:
        return render(request, "web/_listening_preview.html", {"error": error})
    context = {"looked_at": looked_at, "total": len(posts), "posts": posts[:PREVIEW_SHOWN]}
    return render(request, "web/_listening_preview.html", context)


@org_view(Permission.PUBLISH)
@require_POST
def query_pause(request, query_id: int):
    query = query_set_paused(query=_query(request, query_id), paused=request.POST.get("paused") == "1")
    state = "paused: new posts are not matched" if query.paused else "resumed: new posts are matched again"
    messages.success(request, f"“{query.name}” {state}.")
    return redirect("listening", org_slug=request.organisation.slug)


@org_view(Permission.PUBLISH)
def query_delete_view(request, query_id: int):
    query = _query(request, query_id)
    if request.method == "POST":
        query_delete(query=query)
        messages.success(request, f"“{query.name}” and its mentions were deleted.")
        return redirect("listening", org_slug=request.organisation.slug)
    return render(request, "web/listening_delete.html", {"query": query, "mentions": query.mentions.count()})


@org_view(Permission.PUBLISH)
@require_POST
def suggestion_accept(request):
    offered = {s.text: s for s in query_suggestions(organisation=request.organisation)}
    suggestion = offered.get(request.POST.get("text", ""))
    if suggestion is not None:
        query_create(
            organisation=request.organisation,
            name=suggestion.name,
            text=suggestion.text,
            kind=suggestion.kind,
            created_by=request.user,
        )
        messages.success(request, f"Listening for “{suggestion.name}”.")
    return redirect("listening", org_slug=request.organisation.slug)


def _filters(request) -> tuple[MentionFilterForm, MentionFilters]:
    form = MentionFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, MentionFilters(
            network=data["network"],
            language=data["lang"],
            since=data["since"],
            until=data["until"],
            sentiment=data["sentiment"],
        )
    return form, MentionFilters()


def _updates_url(request, query: ListeningQuery | None) -> str:
    slug = request.organisation.slug
    if query is None:
        return reverse("listening_mentions_updates", kwargs={"org_slug": slug})
    return reverse("listening_query_updates", kwargs={"org_slug": slug, "query_id": query.id})


def _stream(request, query: ListeningQuery | None):
    form, filters = _filters(request)
    organisation = request.organisation
    mentions = mention_list(organisation=organisation, query=query, filters=filters)
    days = 30 if request.GET.get("days") == "30" else 14
    volume = mention_volume(mentions=mentions, organisation=organisation, days=days)
    query_string = request.GET.copy()
    query_string.pop("page", None)
    page = Paginator(mentions, PAGE_SIZE).get_page(request.GET.get("page"))
    updates = query_string.copy()
    updates["after"] = mentions.aggregate(newest=Max("id"))["newest"] or 0
    return render(
        request,
        "web/listening_stream.html",
        {
            "query": query,
            "form": form,
            "show_sentiment": bool(filters.sentiment) or sentiments_present(organisation=organisation),
            "page": page,
            "volume": volume,
            "volume_max": max([n for _, n in volume], default=0) or 1,
            "days": days,
            "query_string": query_string.urlencode(),
            # New mentions are polled for and put at the top, as on the post list; only on the first page.
            "live": page.number == 1,
            "updates_url": f"{_updates_url(request, query)}?{updates.urlencode()}",
            "can_edit": request.membership.can(Permission.PUBLISH),
        },
    )


def _updates(request, query: ListeningQuery | None):
    """Polled by a mention stream: the mentions stored after `after` (a mention id) that pass the filters."""
    _, filters = _filters(request)
    after = request.GET.get("after", "")
    after_id = int(after) if after.isdigit() else 0
    mentions = mention_list(organisation=request.organisation, query=query, filters=filters)
    new = list(mentions.filter(id__gt=after_id).order_by("-id")[:PAGE_SIZE])
    updates = request.GET.copy()
    updates["after"] = max([m.id for m in new], default=after_id)
    context = {"mentions": new, "query": query, "updates_url": f"{_updates_url(request, query)}?{updates.urlencode()}"}
    return render(request, "web/_mention_updates.html", context)


@org_view()
def query_detail(request, query_id: int):
    return _stream(request, _query(request, query_id))


@org_view()
def mention_stream(request):
    return _stream(request, None)


@org_view()
def query_updates(request, query_id: int):
    return _updates(request, _query(request, query_id))


@org_view()
def mention_updates(request):
    return _updates(request, None)

import csv
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from townsquare.labels.services import label_correct
from townsquare.orgs.access import org_view
from townsquare.orgs.roles import Permission
from townsquare.posts.models import Post
from townsquare.posts.selectors import PostFilters, post_languages, post_list
from townsquare.posts.serialise import CSV_COLUMNS, post_to_csv_row, post_to_json
from townsquare.web.forms import LabelCorrectionForm, PostFilterForm

PAGE_SIZE = 50


def _filters(request) -> tuple[PostFilterForm, PostFilters]:
    form = PostFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, PostFilters(
            sentiment=data["sentiment"],
            complaint={"yes": True, "no": False}.get(data["complaint"]),
            offensive={"yes": True, "no": False}.get(data["offensive"]),
            text=data["q"],
            network=data["network"],
            author=data["author"],
            language=data["lang"],
            since=data["since"],
            until=data["until"],
        )
    return form, PostFilters()


@org_view()
def post_index(request):
    form, filters = _filters(request)
    posts = post_list(organisation=request.organisation, filters=filters)
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    newest = posts.first()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/posts.html",
        {
            "form": form,
            "page": page,
            "total": page.paginator.count,
            "query": query.urlencode(),
            "newest_id": newest.id if newest else 0,
            "languages": post_languages(organisation=request.organisation),
            "live": page.number == 1,
            "can_export": request.membership.can(Permission.IMPORT_EXPORT),
            "can_label": request.membership.can(Permission.DRAFT),
        },
    )


@org_view()
def post_updates(request):
    """Polled by the post list: the posts stored after `after`, to put at the top."""
    _, filters = _filters(request)
    after = int(request.GET.get("after") or 0)
    posts = list(post_list(organisation=request.organisation, filters=filters).filter(id__gt=after)[:PAGE_SIZE])
    newest = max([post.id for post in posts], default=after)
    query = request.GET.copy()
    query["after"] = newest
    context = {
        "posts": posts,
        "after": newest,
        "query": query.urlencode(),
        "can_label": request.membership.can(Permission.DRAFT),
    }
    return render(request, "web/_post_updates.html", context)


@org_view(Permission.IMPORT_EXPORT)
def post_export(request):
    _, filters = _filters(request)
    posts = post_list(organisation=request.organisation, filters=filters).iterator(chunk_size=1000)
    slug = request.organisation.slug
    if request.GET.get("format") == "csv":

        def rows():
            yield ",".join(CSV_COLUMNS) + "\r\n"
            buffer = _Line()
            writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
            for post in posts:
                writer.writerow(post_to_csv_row(post))
                yield buffer.take()

        response: HttpResponse = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}-posts.csv"'
        return response
    lines = (json.dumps(post_to_json(post), ensure_ascii=False) + "\n" for post in posts)
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-posts.jsonl"'
    return response


@org_view(Permission.DRAFT)
@require_POST
def post_label(request, post_id: int):
    """A team member corrects a model's label; the correction is kept for the next training run."""
    post = get_object_or_404(Post, id=post_id, organisation=request.organisation)
    form = LabelCorrectionForm(request.POST)
    if form.is_valid():
        try:
            label_correct(organisation=request.organisation, post=post, user=request.user, **form.cleaned_data)
            messages.success(request, f"{form.cleaned_data['task'].capitalize()} corrected.")
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
    return redirect(request.POST.get("next") or reverse("posts", kwargs={"org_slug": request.organisation.slug}))


class _Line:
    """A write target for csv.writer that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text

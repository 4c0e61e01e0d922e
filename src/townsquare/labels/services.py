"""Labelling stored posts with the enrichment models, and correcting labels by hand."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from townsquare.enrichment import enrich_all, get_enricher
from townsquare.labels.models import LabelCorrection
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post

TASKS = ("language", "sentiment", "complaint", "offensive")
CORRECTABLE = ("sentiment", "complaint", "offensive")


def _apply(post: Post, task: str, label: str) -> None:
    """Set the column a task's label lives in."""
    if task == "language":
        post.language = "" if label == "und" else label
    elif task == "sentiment":
        post.sentiment = label
    else:
        setattr(post, task, label == task)


def posts_enrich(*, posts: list[Post]) -> None:
    """Label a batch in one pass of every model. A language the network declared is kept, and so is a label a
    team member corrected (relabelling an edited post must not undo a person's judgement)."""
    if not posts:
        return
    results = enrich_all([f"{post.title}\n{post.text}" if post.title else post.text for post in posts])
    for post, by_task in zip(posts, results, strict=True):
        for task, result in by_task.items():
            if task == "language" and post.language:
                continue
            if "corrected_by" in post.labels.get(task, {}):
                continue
            _apply(post, task, result.label)
            post.labels[task] = {
                "label": result.label,
                "score": round(result.score, 4),
                "model": result.model,
                "version": result.version,
            }
    Post.objects.bulk_update(posts, ["language", "sentiment", "complaint", "offensive", "labels"], batch_size=500)


def label_correct(*, organisation: Organisation, post: Post, task: str, label: str, user) -> LabelCorrection:
    if post.organisation_id != organisation.id:
        raise ValidationError("this post belongs to another organisation")
    if task not in CORRECTABLE:
        raise ValidationError(f"task {task!r}: expected one of {', '.join(CORRECTABLE)}")
    allowed = get_enricher(task).labels
    if label not in allowed:
        raise ValidationError(f"label {label!r} for {task}: expected one of {', '.join(allowed)}")
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        old = post.labels.get(task, {}).get("label", "")
        _apply(post, task, label)
        post.labels[task] = {**post.labels.get(task, {}), "label": label, "corrected_by": user.get_username()}
        post.save(update_fields=["sentiment", "complaint", "offensive", "labels"])
        return LabelCorrection.objects.create(
            organisation=organisation, post=post, task=task, old_label=old, new_label=label, corrected_by=user
        )

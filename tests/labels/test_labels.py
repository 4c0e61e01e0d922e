"""Enrichment in the product: every stored post is labelled; team members correct labels; corrections export."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_channel, store_posts
from townsquare.inbox.models import Conversation
from townsquare.labels.models import LabelCorrection
from townsquare.posts.models import Post

COMPLAINT = "@northfieldcc my bin has not been collected for three weeks, this is disgraceful, awful service"
PRAISE = "Thank you @northfieldcc, the new library is lovely and the staff were wonderful"


def test_every_stored_post_is_labelled_with_model_and_version(organisation):
    store_posts(organisation, {"id": "c", "text": COMPLAINT}, {"id": "p", "text": PRAISE, "lang": "cy"})
    complaint, praise = Post.objects.get(external_id="c"), Post.objects.get(external_id="p")
    assert (complaint.sentiment, complaint.complaint) == ("negative", True)
    assert (praise.sentiment, praise.complaint) == ("positive", False)
    assert complaint.language == "en"
    assert praise.language == "cy"  # a language the network declared is kept
    assert set(complaint.labels) == {"language", "sentiment", "complaint", "offensive"}
    assert complaint.labels["sentiment"]["version"].startswith("sentiment-")


def test_a_complaint_label_raises_the_conversation_priority(organisation):
    make_channel(organisation, handle="northfieldcc")
    store_posts(organisation, {"id": "c", "text": COMPLAINT}, {"id": "p", "text": PRAISE})
    priorities = {c.root_post.external_id: c.priority for c in Conversation.objects.select_related("root_post")}
    assert priorities == {"c": "high", "p": "normal"}


def test_the_post_list_filters_by_label(client_for, organisation):
    store_posts(organisation, {"id": "c", "text": COMPLAINT}, {"id": "p", "text": PRAISE})
    client = client_for("viewer")
    url = reverse("posts", kwargs={"org_slug": organisation.slug})
    negative = client.get(url, {"sentiment": "negative"}).content.decode()
    assert "disgraceful" in negative and "lovely" not in negative
    not_complaints = client.get(url, {"complaint": "no"}).content.decode()
    assert "lovely" in not_complaints and "disgraceful" not in not_complaints


def test_a_member_corrects_a_label_and_the_correction_is_kept_and_exported(client_for, people, organisation, tmp_path):
    (post,) = store_posts(organisation, {"id": "p", "text": PRAISE})
    url = reverse("post_label", kwargs={"org_slug": organisation.slug, "post_id": post.id})
    assert client_for("viewer").post(url, {"task": "sentiment", "label": "negative"}).status_code == 403
    client_for("contributor").post(url, {"task": "sentiment", "label": "neutral"})
    post.refresh_from_db()
    assert post.sentiment == "neutral" and post.labels["sentiment"]["corrected_by"] == "contributor"
    correction = LabelCorrection.objects.get()
    assert (correction.old_label, correction.new_label, correction.corrected_by) == (
        "positive",
        "neutral",
        people["contributor"],
    )
    out = tmp_path / "corrections.jsonl"
    call_command("export-corrections", "--org", organisation.slug, "--out", str(out))
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    assert line["text"] == PRAISE and line["task"] == "sentiment" and line["new_label"] == "neutral"


@pytest.mark.parametrize(("task", "label"), [("sentiment", "furious"), ("language", "fr"), ("complaint", "yes")])
def test_impossible_corrections_are_refused(client_for, organisation, task, label):
    (post,) = store_posts(organisation, {"id": "p", "text": PRAISE})
    url = reverse("post_label", kwargs={"org_slug": organisation.slug, "post_id": post.id})
    client_for("editor").post(url, {"task": task, "label": label})
    assert LabelCorrection.objects.count() == 0


def test_classify_command_labels_a_jsonl_file(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "1", "text": COMPLAINT}) + "\n")
    call_command("classify", "--task", "complaint", "--in", str(source), "--out", str(target))
    (row,) = [json.loads(text) for text in target.read_text().splitlines()]
    assert row["label"] == "complaint" and 0.5 <= row["score"] <= 1

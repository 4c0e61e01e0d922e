"""The conversation list: live rows, members' own saved views, and the figures page for a period."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_channel, store_posts
from townsquare.inbox.models import Conversation, SavedView
from townsquare.inbox.saved_views import saved_view_create
from townsquare.inbox.selectors import InboxFilters
from townsquare.posts.models import Post


def org_url(name: str, organisation, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})


@pytest.fixture
def channel(organisation):
    return make_channel(organisation, handle="council")


def test_the_list_polls_for_its_rows_with_the_members_filters(channel, organisation, people, client_for):
    store_posts(organisation, {"id": "q1", "text": "@council potholes on Elm Road", "author": "ann"})
    client = client_for("editor")
    page = client.get(org_url("inbox", organisation) + "?view=mine&priority=normal").content.decode()
    rows_url = org_url("inbox_rows", organisation) + "?view=mine&amp;priority=normal"
    assert f'hx-get="{rows_url}"' in page and 'hx-trigger="every 10s [' in page
    # A colleague assigns the conversation to this member; a new one arrives: the next poll shows both changes.
    Conversation.objects.update(assignee=people["editor"])
    store_posts(organisation, {"id": "q2", "text": "@council streetlight out on Oak Lane", "author": "bob"})
    rows = client.get(html.unescape(rows_url)).content.decode()
    assert rows.lstrip().startswith("<tbody") and "<html" not in rows
    assert "Elm Road" in rows and "Oak Lane" not in rows  # Oak Lane is nobody's yet: not in "mine"
    everything = client.get(org_url("inbox_rows", organisation)).content.decode()
    assert "Elm Road" in everything and "Oak Lane" in everything
    assert 'id="conversation-rows"' in everything


def test_viewers_see_the_rows_without_selection_boxes(channel, organisation, client_for):
    store_posts(organisation, {"id": "q1", "text": "@council potholes", "author": "ann"})
    rows = client_for("viewer").get(org_url("inbox_rows", organisation)).content.decode()
    assert "potholes" in rows and 'type="checkbox"' not in rows


def test_a_member_saves_deletes_and_alone_sees_their_views(channel, organisation, people, client_for):
    store_posts(organisation, {"id": "q1", "text": "@council urgent: flooding", "author": "ann"})
    editor = client_for("editor")
    back = "status=open&priority=urgent&page=2"
    response = editor.post(org_url("inbox_view_create", organisation), {"name": "Urgent open", "back": back})
    assert response.status_code == 302 and response["Location"].endswith("?status=open&priority=urgent")
    view = SavedView.objects.get()
    assert (view.user, view.organisation, view.filters) == (
        people["editor"],
        organisation,
        {"status": "open", "priority": "urgent"},
    )
    page = editor.get(org_url("inbox", organisation) + "?status=open&priority=urgent").content.decode()
    assert '<a href="?status=open&amp;priority=urgent" aria-current="page">Urgent open</a>' in page
    again = editor.post(org_url("inbox_view_create", organisation), {"name": "Urgent open", "back": ""}, follow=True)
    assert "already have a view called" in again.content.decode() and SavedView.objects.count() == 1
    blank = editor.post(org_url("inbox_view_create", organisation), {"name": " ", "back": ""}, follow=True)
    assert "give the view a name" in blank.content.decode()
    # Another member of the same organisation neither sees nor deletes it.
    owner = client_for("owner")
    assert "Urgent open" not in owner.get(org_url("inbox", organisation)).content.decode()
    delete = org_url("inbox_view_delete", organisation, saved_view_id=view.id)
    assert owner.post(delete).status_code == 404 and SavedView.objects.exists()
    editor = client_for("editor")
    assert editor.post(delete).status_code == 302 and not SavedView.objects.exists()


def test_another_organisations_saved_view_is_not_found(organisation, other_organisation, people, client_for):
    theirs = saved_view_create(
        organisation=other_organisation, user=people["outsider"], name="Theirs", filters=InboxFilters(status="open")
    )
    delete = org_url("inbox_view_delete", organisation, saved_view_id=theirs.id)
    assert client_for("owner").post(delete).status_code == 404 and SavedView.objects.filter(pk=theirs.pk).exists()


def figure_cells(page: str) -> dict[str, str]:
    cells = re.findall(r'<tr id="figure-(\w+)"><th scope="row">[^<]*</th>\s*<td>(.*?)</td>', page, re.S)
    return {name: (m.group(1) if (m := re.search(r'<data value="([^"]*)"', cell)) else cell) for name, cell in cells}


def test_the_figures_page_shows_the_same_numbers_as_the_command(channel, organisation, client_for):
    day = "2026-03-01T09:{:02d}:00+00:00"
    store_posts(
        organisation,
        {"id": "q1", "text": "@council bins not collected", "author": "ann", "created_at": day.format(0)},
        {"id": "r1", "text": "Sorry, today", "author": "council", "in_reply_to": "q1", "created_at": day.format(30)},
        {"id": "q2", "text": "@council urgent: flooding", "author": "bob", "created_at": day.format(1)},
        {"id": "r2", "text": "Crew sent", "author": "council", "in_reply_to": "q2", "created_at": day.format(50)},
        {"id": "q3", "text": "@council hello", "author": "cat", "created_at": day.format(2)},
        {"id": "q4", "text": "@council next day", "author": "dan", "created_at": "2026-03-02T09:00:00+00:00"},
    )
    out = StringIO()
    call_command("stats", "inbox", "--org", "northfield", "--json", "--since", "2026-03-01", "--until", "2026-03-01",
                 stdout=out)  # fmt: skip
    expected = json.loads(out.getvalue())
    assert expected["conversations"] == 3 and expected["answered"] == 2  # q4 is outside the period
    page = client_for("viewer").get(org_url("inbox_figures", organisation) + "?since=2026-03-01&until=2026-03-01")
    cells = figure_cells(page.content.decode())
    shown = {name: value for name, value in expected.items() if name != "business_hours"}
    assert set(cells) == set(shown)
    for name, value in shown.items():
        assert cells[name] == ("none yet" if value is None else str(value)), name
    assert "49 min" in page.content.decode()  # the p90 (q2: 49 minutes) in words beside the seconds


def test_the_figures_page_says_what_is_wrong_with_the_period(organisation, client_for):
    client = client_for("viewer")
    bad = client.get(org_url("inbox_figures", organisation) + "?since=1%20March&until=2026-03-01")
    assert bad.status_code == 400 and "From: &#x27;1 March&#x27; is not a date" in bad.content.decode()
    backwards = client.get(org_url("inbox_figures", organisation) + "?since=2026-03-02&until=2026-03-01")
    assert backwards.status_code == 400 and "To: must be on or after From" in backwards.content.decode()


def test_the_complaints_view_lists_conversations_holding_a_message_labelled_a_complaint(
    channel, organisation, client_for
):
    store_posts(
        organisation,
        {"id": "p1", "text": "@council lovely new benches", "author": "ann"},
        {"id": "p2", "text": "@council the bins", "author": "bob"},
        {"id": "p3", "text": "still not collected", "author": "bob", "in_reply_to": "p2"},
        {"id": "d1", "text": "my address", "author": "cy", "extra": {"direct_to": "council"}},
        {"id": "d2", "text": "hello", "author": "di", "extra": {"direct_to": "council"}},
    )
    # The labels as the enrichment model might give them: a later message in a thread, and a private message.
    Post.objects.update(complaint=False)
    Post.objects.filter(external_id__in=["p3", "d1"]).update(complaint=True)
    page = client_for("viewer").get(org_url("inbox", organisation) + "?view=complaints").content.decode()
    assert "the bins" in page and "my address" in page
    assert "lovely new benches" not in page and "hello" not in page


def test_ordered_by_target_the_longest_waiting_past_it_comes_first_whatever_its_priority(
    channel, organisation, client_for
):
    now = timezone.now()
    store_posts(
        organisation,
        {
            "id": "a",
            "text": "@council URGENT flooding on Mill Lane",
            "author": "ann",
            "created_at": (now - timedelta(minutes=10)).isoformat(),
        },
        {
            "id": "b",
            "text": "@council when is the library open",
            "author": "bob",
            "created_at": (now - timedelta(hours=6)).isoformat(),
        },
        {
            "id": "c",
            "text": "@council thanks for the bins",
            "author": "cy",
            "created_at": (now - timedelta(minutes=1)).isoformat(),
        },
        {
            "id": "d",
            "text": "@council is the tip open",
            "author": "di",
            "created_at": (now - timedelta(hours=9)).isoformat(),
        },
        {
            "id": "r",
            "text": "@di yes, until 4pm",
            "author": "council",
            "in_reply_to": "d",
            "created_at": now.isoformat(),
        },
    )
    client = client_for("viewer")
    page = client.get(org_url("inbox", organisation) + "?sort=target").content.decode()
    # b: normal, 4 h target, passed 2 h ago; a: urgent, 15 min target, due in 5 min; c: normal, due in ~4 h;
    # d was answered: last.
    order = [page.index(words) for words in ("the library", "URGENT flooding", "thanks for the bins", "the tip")]
    assert order == sorted(order)
    assert '<option value="target" selected>' in page
    recent = client.get(org_url("inbox", organisation)).content.decode()
    assert recent.index("the tip") < recent.index("the library")  # by default, the most recent activity first

"""The Graph API (Facebook Pages, and Instagram business accounts through their Page) over requests.

Meta's only official Python client, the Business SDK, is made for the Marketing API (ads) and keeps one
process-wide session; the Page and Instagram endpoints Townsquare calls are plain JSON over HTTPS, so one
small client here does the HTTP and turns Graph's error objects into ConnectorError in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from townsquare.networks.base import ConnectorError, PostGone, ReplyRefused, error_for_status, retry_after_seconds
from townsquare.posts.normalise import parse_datetime

# Tests point this at the local stand-in.
API_URL = "https://graph.facebook.com"
API_VERSION = "v23.0"
TIMEOUT_SECONDS = 20
# Graph error codes (the `code` of the error object): the token or its permissions are gone.
AUTH_CODES = {102, 190, 10}
PERMISSION_CODES = range(200, 300)
# Application, account, page and business-use-case rate limits.
RATE_CODES = {4, 17, 32, 613, *range(80001, 80015)}
# Temporary problems on Meta's side.
TEMPORARY_CODES = {1, 2}
# code 100 with this subcode: the object does not exist (deleted) or the token cannot see it.
MISSING_SUBCODE = 33
# Send API: code 10 with one of these subcodes is a message outside the 24-hour window (not lost access,
# despite the code): 2018278 from Messenger, 2534022 from Instagram; code 551 is a person who cannot be
# messaged (blocked the Page, or deactivated).
OUTSIDE_WINDOW_SUBCODES = {2018278, 2534022}
UNREACHABLE_CODE = 551
# A conversation's newest messages come with it, newest first.
MESSAGE_FIELDS = "id,message,from,to,created_time"
CONVERSATION_FIELDS = f"id,updated_time,messages.limit(25){{{MESSAGE_FIELDS}}}"
MAX_PAGES = 10
PAGE_SIZE = 25


class Graph:
    def __init__(self, token: str, *, what: str) -> None:
        self.what = what
        self.session = requests.Session()
        # The token goes in a header rather than the query string, so it stays out of server logs.
        self.session.headers["Authorization"] = f"OAuth {token}"

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None, *, gone: str = "") -> dict[str, Any]:
        return self._call("GET", path_or_url, params=params, gone=gone)

    def items(self, answer: dict[str, Any], *, pages: int) -> Iterator[dict[str, Any]]:
        """The items of a list answer and of the pages after it (`paging.next`), at most `pages` pages."""
        for number in range(pages):
            yield from answer.get("data") or []
            following = (answer.get("paging") or {}).get("next")
            if not following or number + 1 == pages:
                return
            answer = self.get(following)

    def post(self, path: str, data: Mapping[str, Any], *, files=None, gone: str = "") -> dict[str, Any]:
        return self._call("POST", path, data=data, files=files, gone=gone)

    def create(self, path: str, data: Mapping[str, Any], *, files=None, gone: str = "") -> str:
        """POST that makes something, and its new id. An answer without one may follow a success, so trying
        again could make it twice: that is left to a person."""
        made = self.post(path, data, files=files, gone=gone).get("id")
        if not made:
            raise ConnectorError(
                f"{self.what} answered without the new id: it may have been made; check before trying again",
                permanent=True,
            )
        return str(made)

    def _call(self, method: str, path_or_url: str, *, gone: str = "", **kwargs: Any) -> dict[str, Any]:
        # Paging links (`paging.next`) come whole; everything else is a path under the API version.
        url = path_or_url if "://" in path_or_url else f"{API_URL}/{API_VERSION}/{path_or_url.lstrip('/')}"
        try:
            response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.Timeout as error:
            raise ConnectorError(f"could not reach {self.what}: the request timed out; will try again later") from error
        except requests.ConnectionError as error:
            raise ConnectorError(f"could not reach {self.what}: no answer; will try again later") from error
        try:
            body = response.json()
        except ValueError as error:
            if response.status_code >= 400:
                raise error_for_status(response.status_code, what=self.what, headers=response.headers) from error
            raise ConnectorError(f"{self.what} sent an answer that is not valid JSON; will try again later") from error
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise graph_error(body["error"], status=response.status_code, headers=response.headers, what=self.what,
                              gone=gone)  # fmt: skip
        if response.status_code >= 400:
            raise error_for_status(response.status_code, what=self.what, headers=response.headers)
        if not isinstance(body, dict):
            raise ConnectorError(f"{self.what} sent an answer Townsquare cannot read; will try again later")
        return body


def graph_error(
    error: dict[str, Any], *, status: int, headers: Mapping[str, str], what: str, gone: str = ""
) -> ConnectorError:
    """Graph's error object ({"message", "type", "code", "error_subcode", "fbtrace_id"}) in plain words."""
    code, subcode = error.get("code"), error.get("error_subcode")
    said = str(error.get("message") or "")
    if subcode in OUTSIDE_WINDOW_SUBCODES:
        return ReplyRefused(
            f"{what} did not send the message: it is more than 24 hours since their last message, and the account "
            "may only answer within 24 hours of it; it goes out once they write again"
        )
    if code == UNREACHABLE_CODE:
        return ReplyRefused(f"{what} did not send the message: the person cannot be reached there ({said})")
    if code in AUTH_CODES or code in PERMISSION_CODES:
        return ConnectorError(
            f"{what} refused the stored access (code {code}: {said}): reconnect the account with a new token",
            permanent=True,
        )
    if code in RATE_CODES or status == 429:
        wait = usage_wait(headers)
        hint = f"; trying again in {wait:.0f} seconds" if wait is not None else ""
        return ConnectorError(f"{what} is limiting requests (code {code}){hint}", retry_after=wait)
    if gone and code == 100 and subcode == MISSING_SUBCODE:
        return PostGone(f"{gone} no longer exists on {what} (it was deleted) or cannot be seen")
    if code in TEMPORARY_CODES or status >= 500:
        return ConnectorError(f"{what} had a problem of its own (code {code}); will try again later")
    return ConnectorError(f"{what} refused the request (code {code}): {said}")


def usage_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns: Retry-After, or the longest estimated_time_to_regain_access (minutes) in
    X-Business-Use-Case-Usage ({"<page id>": [{"type": "pages", "call_count": 100, ...}]}). X-App-Usage only
    gives percentages used, so an app-level limit waits for the next scheduled run."""
    wait = retry_after_seconds(headers)
    if wait is not None:
        return wait
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
    except ValueError:
        return None
    groups = usage.values() if isinstance(usage, dict) else []
    minutes = [
        entry.get("estimated_time_to_regain_access") or 0
        for group in groups
        if isinstance(group, list)
        for entry in group
        if isinstance(entry, dict)
    ]
    return max(minutes) * 60.0 if minutes and max(minutes) > 0 else None


def graph_time(value: str) -> datetime:
    return parse_datetime(value).astimezone(UTC)


def newer(graph: Graph, page: dict[str, Any] | None, newest: datetime | None) -> Iterator[dict[str, Any]]:
    """The items of a nested list (newest first) created at or after `newest`; further pages only while a whole
    page is new (a first run reads only the first page)."""
    page = page or {}
    for _ in range(MAX_PAGES):
        items = page.get("data") or []
        fresh = [item for item in items if newest is None or graph_time(item["created_time"]) >= newest]
        yield from fresh
        following = (page.get("paging") or {}).get("next")
        if newest is None or len(fresh) < len(items) or not following:
            return
        page = graph.get(following)


def conversation_messages(
    graph: Graph, owner: str, *, platform: str, newest: datetime | None
) -> Iterator[dict[str, Any]]:
    """The messages of `owner`'s conversations (a Page's, on Messenger or on its linked Instagram account)
    created since `newest`. Conversations come most recently updated first, so reading stops at the first one
    not updated since; a first run reads the newest page of them."""
    params = {"platform": platform, "fields": CONVERSATION_FIELDS, "limit": PAGE_SIZE}
    answer = graph.get(f"{owner}/conversations", params)
    for conversation in graph.items(answer, pages=1 if newest is None else MAX_PAGES):
        if newest is not None and graph_time(conversation["updated_time"]) < newest:
            return
        yield from newer(graph, conversation.get("messages"), newest)


def private_reply(graph: Graph, owner: str, *, own_id: str, text: str, in_reply_to: str) -> str:
    """A private answer through the Send API (`POST {owner}/messages`) to the person in the message answered
    (whoever in its `from`/`to` is not `own_id`: their page- or Instagram-scoped id); the new message's id."""
    message = graph.get(in_reply_to, {"fields": "from,to"}, gone="the message being answered")
    people = [
        str(who["id"])
        for who in [message.get("from") or {}, *((message.get("to") or {}).get("data") or [])]
        if who.get("id") and str(who["id"]) != own_id
    ]
    if not people:
        raise ConnectorError(f"{graph.what} sent a message without the person in it; will try again later")
    data = {
        "recipient": json.dumps({"id": people[0]}),
        "messaging_type": "RESPONSE",
        "message": json.dumps({"text": text}),
    }
    sent = graph.post(f"{owner}/messages", data).get("message_id")
    if not sent:
        raise ConnectorError(
            f"{graph.what} answered without the new message id: it may have been sent; check before trying again",
            permanent=True,
        )
    return str(sent)

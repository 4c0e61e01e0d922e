"""The Graph API (Facebook Pages, and Instagram business accounts through their Page) over requests.

Meta's only official Python client, the Business SDK, is made for the Marketing API (ads) and keeps one
process-wide session; the Page and Instagram endpoints Townsquare calls are plain JSON over HTTPS, so one
small client here does the HTTP and turns Graph's error objects into ConnectorError in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import requests

from townsquare.networks.base import ConnectorError, PostGone, ReplyRefused, error_for_status, retry_after_seconds

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
# Send API: code 10 with this subcode is a message outside the 24-hour window (not lost access, despite the
# code); code 551 is a person who cannot be messaged (blocked the Page, or deactivated).
OUTSIDE_WINDOW_SUBCODE = 2018278
UNREACHABLE_CODE = 551


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
    if subcode == OUTSIDE_WINDOW_SUBCODE:
        return ReplyRefused(
            "Facebook did not send the message: it is more than 24 hours since their last message, and a Page may "
            "only answer within 24 hours of it; it goes out once they write again"
        )
    if code == UNREACHABLE_CODE:
        return ReplyRefused(f"Facebook did not send the message: the person cannot be reached there ({said})")
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

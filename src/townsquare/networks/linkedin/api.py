"""LinkedIn's versioned REST API (Rest.li 2.0) over requests.

LinkedIn's own Python client (linkedin-api-client) is a 0.x beta unchanged since 2023 that sends requests
without a timeout and hands back error answers as results; the Community Management endpoints Townsquare calls
need little of Rest.li's encoding (a URN in the path or the query), so this small client does the HTTP and
classes errors in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import quote

import requests

from townsquare.networks.base import ConnectorError, PostGone, error_for_status

# Tests point this at the local stand-in.
API_URL = "https://api.linkedin.com/rest"
# LinkedIn versions its API by month and retires a version after about a year.
API_VERSION = "202610"
TIMEOUT_SECONDS = 20
WHAT = "the LinkedIn API"


def urn_path(urn: str) -> str:
    """A URN as one path segment (Rest.li wants its colons and parentheses escaped)."""
    return quote(urn, safe="")


class LinkedIn:
    """With `renew` (the channel stored a refresh token), a 401 renews the access token once and sends the request
    again with the new one: LinkedIn's access tokens expire after 60 days."""

    def __init__(self, token: str, renew: Callable[[], str] | None = None) -> None:
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
        )
        self.renew = renew

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, gone: str = "") -> dict[str, Any]:
        return self.call("GET", path, params=params, gone=gone).json()

    def post_json(self, path: str, body: dict[str, Any], *, params=None, gone: str = "") -> dict[str, Any]:
        """POST that makes something and answers with it (LinkedIn's 201 with a body)."""
        answer = self.call("POST", path, json=body, params=params, gone=gone)
        try:
            made = answer.json()
        except ValueError:
            made = None
        if not isinstance(made, dict):
            raise ConnectorError(
                f"{WHAT} answered without what it made: it may have been made; check before trying again",
                permanent=True,
            )
        return made

    def call(
        self, method: str, path_or_url: str, *, gone: str = "", done: Collection[int] = (), **kwargs: Any
    ) -> requests.Response:
        """The answer; an error status raises, except those in `done` (statuses that mean it is already so)."""
        url = path_or_url if "://" in path_or_url else f"{API_URL}{path_or_url}"
        response = self._send(method, url, **kwargs)
        if response.status_code == 401 and self.renew is not None:
            # Once: a 401 with a new token is the account's access refused, reported as such.
            renew, self.renew = self.renew, None
            response.close()
            self.session.headers["Authorization"] = f"Bearer {renew()}"
            response = self._send(method, url, **kwargs)
        if response.status_code >= 400 and response.status_code not in done:
            raise _error(response, gone=gone)
        if method == "GET":
            try:
                body = response.json()
            except ValueError as error:
                raise ConnectorError(f"{WHAT} sent an answer that is not valid JSON; will try again later") from error
            if not isinstance(body, dict):
                raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later")
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.Timeout as error:
            raise ConnectorError(f"could not reach {WHAT}: the request timed out; will try again later") from error
        except requests.ConnectionError as error:
            raise ConnectorError(f"could not reach {WHAT}: no answer; will try again later") from error


def _error(response: requests.Response, *, gone: str) -> ConnectorError:
    """LinkedIn's error answers: {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
    "message": "..."}; the status says what to do, the code and message say why."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if gone and response.status_code in (404, 410):
        return PostGone(f"{gone} no longer exists on LinkedIn (it was deleted)")
    found = error_for_status(response.status_code, what=WHAT, headers=response.headers)
    why = " ".join(str(part) for part in (body.get("code"), body.get("message")) if part)
    if why and response.status_code != 429:
        found = ConnectorError(f"{found.message} ({why})", permanent=found.permanent, retry_after=found.retry_after)
    return found

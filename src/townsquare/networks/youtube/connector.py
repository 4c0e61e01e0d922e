"""YouTube comments through google-api-python-client: new top-level comments on the channel's videos.

The cursor is `{"newest": publishedAt of the newest comment stored}`. commentThreads.list with
allThreadsRelatedToChannelId and order=time runs newest first; a run reads pages back until it meets that time.
Reading public comments needs only an API key (in the vault), or the owner's OAuth grant when the channel was
connected by signing in (its refresh token); replying is not built yet, so this network only fetches.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from townsquare.networks import oauth2
from townsquare.networks.base import Connector, ConnectorError, FetchResult, error_for_status
from townsquare.networks.youtube.mapping import thread_to_record
from townsquare.posts.normalise import parse_datetime

# Tests point this at the local stand-in; the discovery document is the one bundled with the library.
API_ENDPOINT = "https://youtube.googleapis.com/"
TIMEOUT_SECONDS = 20
PAGE_SIZE = 100
# A new channel takes the newest page only; an old one reads back at most this many pages in a run.
MAX_PAGES = 10
WHAT = "the YouTube Data API"


class YouTubeConnector(Connector):
    kind = "youtube"
    capabilities = frozenset({"fetch_mentions"})
    # Each page costs 1 unit of the project's default 10,000 a day.
    sync_interval = 900

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        channel_id = (channel.options or {}).get("channel_id")
        if not channel_id or not (credentials.get("api_key") or credentials.get("refresh_token")):
            raise ConnectorError(
                "the channel has no channel id or API key: add it again with --option channel_id=UC... and "
                "--credential api_key=..., or connect it by signing in",
                permanent=True,
            )
        service = build(
            "youtube",
            "v3",
            **_access(credentials),
            client_options={"api_endpoint": API_ENDPOINT},
            static_discovery=True,
            cache_discovery=False,
        )
        newest = cursor.get("newest")
        threads = service.commentThreads()
        request = threads.list(
            part="snippet", allThreadsRelatedToChannelId=channel_id, order="time", textFormat="plainText",
            maxResults=PAGE_SIZE,
        )  # fmt: skip
        records = []
        with _errors():
            for _ in range(MAX_PAGES if newest else 1):
                page = request.execute(num_retries=0)
                if not isinstance(page, dict):
                    # The client hands back the raw text of an answer it could not parse as JSON.
                    raise ValueError("not a JSON object")
                items = page.get("items") or []
                fresh = [item for item in items if not newest or _published(item) >= _time(newest)]
                records.extend(thread_to_record(item) for item in fresh)
                request = threads.list_next(request, page)
                if request is None or len(fresh) < len(items):
                    break
        top = max((record.created_at for record in records), default=None)
        return FetchResult(records=records, cursor={"newest": top.isoformat()} if top else dict(cursor))


def _access(credentials: dict[str, str]) -> dict[str, Any]:
    """An API key where one is stored; otherwise the owner's OAuth grant from signing in (networks/oauth2.py),
    whose refresh token google-auth trades for access tokens at Google's token endpoint."""
    http = httplib2.Http(timeout=TIMEOUT_SECONDS)
    if credentials.get("api_key"):
        return {"developerKey": credentials["api_key"], "http": http}
    grant = Credentials(
        token=None,
        refresh_token=credentials["refresh_token"],
        client_id=credentials.get("client_id"),
        client_secret=credentials.get("client_secret"),
        token_uri=oauth2.PROVIDERS["youtube"].token_url,
    )
    return {"http": AuthorizedHttp(grant, http=http)}


def _time(value: str) -> datetime:
    return parse_datetime(value)


def _published(thread: dict[str, Any]) -> datetime:
    return _time(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the client's exceptions into ConnectorError in plain words."""
    try:
        yield
    except HttpError as error:
        details = error.error_details if isinstance(error.error_details, list) else []
        reason = (details[0].get("reason") if details else "") or ""
        if reason == "quotaExceeded":
            raise ConnectorError(f"{WHAT}: the project's daily quota is used up; will try again later") from error
        if reason in {"keyInvalid", "keyExpired"}:
            raise ConnectorError(
                f"{WHAT} refused the API key ({reason}): add the channel again", permanent=True
            ) from error
        headers = {key.title(): value for key, value in error.resp.items()}
        raise error_for_status(error.resp.status, what=WHAT, headers=headers) from error
    except TimeoutError as error:
        raise ConnectorError(f"could not reach {WHAT}: the request timed out; will try again later") from error
    except (OSError, httplib2.HttpLib2Error) as error:
        raise ConnectorError(f"could not reach {WHAT}: {error}; will try again later") from error
    except ValueError as error:
        raise ConnectorError(f"{WHAT} sent an answer that is not valid JSON; will try again later") from error

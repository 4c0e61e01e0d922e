"""YouTube comments through google-api-python-client: new top-level comments on the channel's videos in,
replies out, the channel's subscribers and its own videos' and comments' counts.

The cursor is `{"newest": publishedAt of the newest comment stored}`. commentThreads.list with
allThreadsRelatedToChannelId and order=time runs newest first; a run reads pages back until it meets that time.
Reading public comments and counts needs only an API key (in the vault), or the owner's OAuth grant when the
channel was connected by signing in (its refresh token); replying needs that grant, whatever else is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from townsquare.networks import oauth2
from townsquare.networks.base import (
    AccountMetrics,
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
    ReplyRefused,
    error_for_status,
    refuse_media,
    retry_after_seconds,
)
from townsquare.networks.youtube.mapping import thread_to_record
from townsquare.posts.normalise import parse_datetime

# Tests point this at the local stand-in; the discovery document is the one bundled with the library.
API_ENDPOINT = "https://youtube.googleapis.com/"
TIMEOUT_SECONDS = 20
PAGE_SIZE = 100
# A new channel takes the newest page only; an old one reads back at most this many pages in a run.
MAX_PAGES = 10
# videos.list and comments.list take at most 50 ids a call.
LOOKUP_SIZE = 50
WHAT = "the YouTube Data API"
# A video id is 11 characters; comment ids are longer (a reply's is its thread's id, a dot, and its own).
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
REPLY_NEEDS_SIGN_IN = (
    "replying on YouTube needs the channel owner's sign-in (an API key only reads public comments): an admin "
    "connects the channel by signing in on its page"
)
# Reasons that say YouTube is limiting requests, also when it answers 403 rather than 429.
RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded"}


class YouTubeConnector(Connector):
    kind = "youtube"
    capabilities = frozenset({"fetch_mentions", "reply", "metrics"})
    credential_needs = {"reply": (("refresh_token",), REPLY_NEEDS_SIGN_IN)}
    # Each page costs 1 unit of the project's default 10,000 a day.
    sync_interval = 900

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        channel_id = _channel_id(channel, credentials)
        newest = cursor.get("newest")
        threads = _service(credentials).commentThreads()
        request = threads.list(
            part="snippet", allThreadsRelatedToChannelId=channel_id, order="time", textFormat="plainText",
            maxResults=PAGE_SIZE,
        )  # fmt: skip
        records = []
        with _errors():
            for _ in range(MAX_PAGES if newest else 1):
                page = _object(request.execute(num_retries=0))
                items = page.get("items") or []
                fresh = [item for item in items if not newest or _published(item) >= _time(newest)]
                records.extend(thread_to_record(item) for item in fresh)
                request = threads.list_next(request, page)
                if request is None or len(fresh) < len(items):
                    break
        top = max((record.created_at for record in records), default=None)
        return FetchResult(records=records, cursor={"newest": top.isoformat()} if top else dict(cursor))

    def publish(
        self,
        *,
        channel,
        credentials: dict[str, str],
        text: str,
        idempotency_key: str,
        in_reply_to: str | None = None,
        media: Sequence[MediaItem] = (),
    ) -> PublishResult:
        """A reply to a comment (comments.insert) or a new comment on a video named by its id
        (commentThreads.insert), as the signed-in owner."""
        refuse_media(self.kind, media)
        if not in_reply_to:
            raise ConnectorError(
                "Townsquare only replies on YouTube (publishing a video is not offered)", permanent=True
            )
        if not credentials.get("refresh_token"):
            # The channel still reads with its API key: this reply cannot go, the channel is fine.
            raise ReplyRefused(REPLY_NEEDS_SIGN_IN)
        service = _service(credentials, grant=True)
        # YouTube has no idempotency key: a reply retried after a lost answer can be made twice.
        with _errors(gone="the comment or video being replied to"):
            if VIDEO_ID.fullmatch(in_reply_to):
                body = {"snippet": {"videoId": in_reply_to, "topLevelComment": {"snippet": {"textOriginal": text}}}}
                thread = _object(service.commentThreads().insert(part="snippet", body=body).execute(num_retries=0))
                comment = thread["snippet"]["topLevelComment"]
            else:
                # Threads are one level deep: a reply to a reply goes under the thread's top-level comment.
                body = {"snippet": {"parentId": in_reply_to.split(".")[0], "textOriginal": text}}
                comment = _object(service.comments().insert(part="snippet", body=body).execute(num_retries=0))
            video = comment["snippet"].get("videoId") or (in_reply_to if VIDEO_ID.fullmatch(in_reply_to) else "")
        url = f"https://www.youtube.com/watch?v={video}&lc={comment['id']}" if video else ""
        return PublishResult(external_id=comment["id"], url=url)

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        """The channel's subscriberCount (YouTube rounds it to three significant figures; None where the owner
        hides it); own videos' views, likes and comments; own comments' likes."""
        channel_id = _channel_id(channel, credentials)
        service = _service(credentials)
        videos = [post_id for post_id in external_ids if VIDEO_ID.fullmatch(post_id)]
        comments = [post_id for post_id in external_ids if not VIDEO_ID.fullmatch(post_id)]
        posts: dict[str, dict[str, int]] = {}
        with _errors():
            found = _object(service.channels().list(part="statistics", id=channel_id).execute(num_retries=0))
            if not found.get("items"):
                raise ConnectorError(
                    f"YouTube has no channel {channel_id}: check the channel's channel_id option", permanent=True
                )
            statistics = found["items"][0].get("statistics") or {}
            hidden = statistics.get("hiddenSubscriberCount") or statistics.get("subscriberCount") is None
            followers = None if hidden else int(statistics["subscriberCount"])
            # Deleted videos and comments are simply absent from the answers.
            for batch in _batches(videos):
                answer = _object(service.videos().list(part="statistics", id=batch).execute(num_retries=0))
                for video in answer.get("items") or []:
                    counts = video.get("statistics") or {}
                    posts[video["id"]] = {
                        name: int(counts[field])
                        for name, field in (("views", "viewCount"), ("likes", "likeCount"), ("replies", "commentCount"))
                        # likeCount is absent where the owner hides likes.
                        if counts.get(field) is not None
                    }
            for batch in _batches(comments):
                request = service.comments().list(part="snippet", id=batch, textFormat="plainText")
                for comment in _object(request.execute(num_retries=0)).get("items") or []:
                    posts[comment["id"]] = {"likes": int(comment["snippet"].get("likeCount") or 0)}
        return AccountMetrics(followers=followers, posts=posts)


def _channel_id(channel, credentials: dict[str, str]) -> str:
    channel_id = (channel.options or {}).get("channel_id")
    if not channel_id or not (credentials.get("api_key") or credentials.get("refresh_token")):
        raise ConnectorError(
            "the channel has no channel id or API key: add it again with --option channel_id=UC... and "
            "--credential api_key=..., or connect it by signing in",
            permanent=True,
        )
    return channel_id


def _service(credentials: dict[str, str], *, grant: bool = False) -> Any:
    return build(
        "youtube",
        "v3",
        **_access(credentials, grant=grant),
        client_options={"api_endpoint": API_ENDPOINT},
        static_discovery=True,
        cache_discovery=False,
    )


def _access(credentials: dict[str, str], *, grant: bool) -> dict[str, Any]:
    """An API key where one is stored and the call is a read (`grant` False); otherwise the owner's OAuth grant
    from signing in (networks/oauth2.py), whose refresh token google-auth trades for access tokens at Google's
    token endpoint."""
    http = httplib2.Http(timeout=TIMEOUT_SECONDS)
    if credentials.get("api_key") and not grant:
        return {"developerKey": credentials["api_key"], "http": http}
    owner = Credentials(
        token=None,
        refresh_token=credentials["refresh_token"],
        client_id=credentials.get("client_id"),
        client_secret=credentials.get("client_secret"),
        token_uri=oauth2.PROVIDERS["youtube"].token_url,
    )
    return {"http": AuthorizedHttp(owner, http=http)}


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        # The client hands back the raw text of an answer it could not parse as JSON.
        raise ValueError("not a JSON object")
    return answer


def _batches(ids: list[str]) -> Iterator[str]:
    for start in range(0, len(ids), LOOKUP_SIZE):
        yield ",".join(ids[start : start + LOOKUP_SIZE])


def _time(value: str) -> datetime:
    return parse_datetime(value)


def _published(thread: dict[str, Any]) -> datetime:
    return _time(thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"])


@contextmanager
def _errors(*, gone: str = "") -> Iterator[None]:
    """Turn the client's exceptions into ConnectorError in plain words. `gone`: what a write acts on, for a
    deleted target and for refusals of that one write."""
    try:
        yield
    except HttpError as error:
        details = error.error_details if isinstance(error.error_details, list) else []
        reason = (details[0].get("reason") if details and isinstance(details[0], dict) else "") or ""
        said = re.sub(r"<[^>]+>", "", error.reason or "")
        headers = {key.title(): value for key, value in error.resp.items()}
        status = error.resp.status
        if reason == "quotaExceeded":
            raise ConnectorError(f"{WHAT}: the project's daily quota is used up; will try again later") from error
        if reason in RATE_LIMITS and status != 429:
            wait = retry_after_seconds(headers)
            raise ConnectorError(
                f"{WHAT} is limiting requests ({reason}); will try again later", retry_after=wait
            ) from error
        if reason in {"keyInvalid", "keyExpired"}:
            raise ConnectorError(
                f"{WHAT} refused the API key ({reason}): add the channel again", permanent=True
            ) from error
        if gone and status == 404:
            raise PostGone(f"{gone} no longer exists on YouTube (it was deleted or made private)") from error
        if gone and reason == "commentsDisabled":
            raise ReplyRefused("comments are turned off on that video") from error
        if reason == "ineligibleAccount":
            raise ConnectorError(
                f"{WHAT} refused: the signed-in YouTube account cannot comment (ineligibleAccount); connect the "
                "channel again with the owner's Google account",
                permanent=True,
            ) from error
        if gone and status == 400:
            # This one comment (too long, empty...): trying again cannot help, the channel is fine.
            raise ReplyRefused(f"{WHAT} refused the comment: {said or reason}") from error
        raise error_for_status(status, what=WHAT, headers=headers) from error
    except RefreshError as error:
        # Google's token endpoint refused the refresh token (revoked, or the app's secret changed).
        if getattr(error, "retryable", False):
            raise ConnectorError(f"Google's sign-in service failed ({error}); will try again later") from error
        raise ConnectorError(
            f"Google refused the stored sign-in ({error.args[0] if error.args else error}): connect the channel "
            "again by signing in",
            permanent=True,
        ) from error
    except TransportError as error:
        raise ConnectorError(f"could not reach Google's sign-in service: {error}; will try again later") from error
    except TimeoutError as error:
        raise ConnectorError(f"could not reach {WHAT}: the request timed out; will try again later") from error
    except (OSError, httplib2.HttpLib2Error) as error:
        raise ConnectorError(f"could not reach {WHAT}: {error}; will try again later") from error
    except ValueError as error:
        raise ConnectorError(f"{WHAT} sent an answer that is not valid JSON; will try again later") from error
    except (KeyError, TypeError) as error:
        raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later") from error

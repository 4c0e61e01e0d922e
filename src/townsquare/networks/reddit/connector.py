"""Reddit through PRAW: username mentions and replies to the account's comments in from the inbox, replies out.

The cursor is `{"newest": created_utc of the newest item stored}`. Inbox listings run newest first; a run
reads back until it meets that time (items at the same second come again and de-duplication absorbs them).
The account is either a script app's user (client id and secret and the user's password) or, when connected by
signing in (networks/oauth2.py), the deployment's web app with the account's refresh token; all in the vault.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import praw
import prawcore
from praw.exceptions import RedditAPIException

from townsquare.networks.base import (
    Connector,
    ConnectorError,
    FetchResult,
    MediaItem,
    PostGone,
    PublishResult,
    error_for_status,
    refuse_media,
)
from townsquare.networks.reddit.mapping import comment_to_record

# Tests point these at the local stand-in; not a channel option, so a stored setting cannot send the
# account's password to another host.
OAUTH_URL = "https://oauth.reddit.com"
REDDIT_URL = "https://www.reddit.com"
TIMEOUT_SECONDS = 20
# A new channel takes this many of the newest items of each inbox listing rather than its whole history.
FIRST_RUN = 25
# At most this many items of one listing in a run; the rest of a longer backlog is not read.
MAX_ITEMS = 1000
WHAT = "Reddit"
REQUIRED = ("client_id", "client_secret", "password")
SIGNED_IN = ("client_id", "client_secret", "refresh_token")
# Reddit's error types for a reply whose parent was deleted.
GONE_ERRORS = {"DELETED_COMMENT", "DELETED_LINK"}


class _Requestor(prawcore.Requestor):
    """PRAW's `timeout` setting does not reach its HTTP requests (prawcore passes its own 16 s default); this
    keeps a hung Reddit from holding a sync worker longer than TIMEOUT_SECONDS."""

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return super().request(*args, timeout=TIMEOUT_SECONDS, **kwargs)


class RedditConnector(Connector):
    kind = "reddit"
    capabilities = frozenset({"fetch_mentions", "reply"})
    sync_interval = 600

    def _client(self, channel, credentials: dict[str, str]) -> praw.Reddit:
        required = SIGNED_IN if credentials.get("refresh_token") else REQUIRED
        missing = [name for name in required if not credentials.get(name)]
        if missing:
            raise ConnectorError(
                f"the channel has no {', '.join(missing)}: add it again with --credential NAME=VALUE for "
                "client_id, client_secret and password (a Reddit script app)",
                permanent=True,
            )
        # Signed in: PRAW trades the refresh token for access tokens; otherwise the script app's password grant.
        account = (
            {"refresh_token": credentials["refresh_token"]}
            if credentials.get("refresh_token")
            else {"username": channel.handle, "password": credentials["password"]}
        )
        return praw.Reddit(
            client_id=credentials["client_id"],
            client_secret=credentials["client_secret"],
            **account,
            user_agent=f"townsquare:engagement:v1 (by /u/{channel.handle})",
            oauth_url=OAUTH_URL,
            reddit_url=REDDIT_URL,
            requestor_class=_Requestor,
            check_for_updates=False,
            check_for_async=False,
        )

    def fetch(self, *, channel, credentials: dict[str, str], cursor: dict[str, Any]) -> FetchResult:
        reddit = self._client(channel, credentials)
        newest = cursor.get("newest")
        records = []
        with _errors():
            for listing in (reddit.inbox.mentions, reddit.inbox.comment_replies):
                items = listing(limit=MAX_ITEMS if newest is not None else FIRST_RUN)
                records.extend(comment_to_record(item) for item in _since(items, newest))
        top = max((record.extra["created_utc"] for record in records), default=newest)
        return FetchResult(records=records, cursor={"newest": top} if top is not None else {})

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
        refuse_media(self.kind, media)
        if not in_reply_to:
            raise ConnectorError("Townsquare can only reply on Reddit (a new post needs a subreddit and a title)")
        reddit = self._client(channel, credentials)
        # Reddit has no idempotency key: a reply retried after a lost answer can be made twice.
        with _errors(gone="the comment being replied to"):
            # Townsquare keeps Reddit ids as fullnames: t1_ a comment, t3_ a submission.
            kind, _, thing_id = in_reply_to.partition("_")
            target = reddit.comment(thing_id) if kind == "t1" else reddit.submission(thing_id)
            reply = target.reply(text)
        if reply is None:
            raise PostGone("the comment being replied to is locked or deleted on Reddit")
        return PublishResult(external_id=reply.name, url=f"https://www.reddit.com{reply.permalink}")


def _since(items: Iterable[Any], newest: float | None) -> Iterator[Any]:
    """Items until the first one older than the newest stored; a listing runs newest first."""
    for item in islice(items, MAX_ITEMS):
        if newest is not None and item.created_utc < newest:
            return
        yield item


@contextmanager
def _errors(*, gone: str = "") -> Iterator[None]:
    """Turn PRAW's (prawcore's) exceptions into ConnectorError in plain words."""
    try:
        yield
    except prawcore.OAuthException as error:
        raise ConnectorError(
            f"{WHAT} refused the app's credentials or the password ({error.error}): add the channel again",
            permanent=True,
        ) from error
    except prawcore.TooManyRequests as error:
        raise error_for_status(429, what=WHAT, headers=error.response.headers) from error
    except prawcore.NotFound as error:
        if gone:
            raise PostGone(f"{gone} no longer exists on {WHAT} (it was deleted)") from error
        raise error_for_status(404, what=WHAT) from error
    except prawcore.BadJSON as error:
        raise ConnectorError(f"{WHAT} sent an answer that is not valid JSON; will try again later") from error
    except prawcore.ResponseException as error:
        raise error_for_status(error.response.status_code, what=WHAT, headers=error.response.headers) from error
    except prawcore.RequestException as error:
        reason = "the request timed out" if "timed out" in str(error.original_exception).lower() else "no answer"
        raise ConnectorError(f"could not reach {WHAT}: {reason}; will try again later") from error
    except ValueError as error:
        # PRAW raises it for JSON that is not the listing or thing it expected.
        raise ConnectorError(f"{WHAT} sent an answer Townsquare cannot read; will try again later") from error
    except RedditAPIException as error:
        if gone and error.items[0].error_type in GONE_ERRORS:
            raise PostGone(f"{gone} no longer exists on {WHAT} (it was deleted)") from error
        raise ConnectorError(f"{WHAT} refused the reply: {error.items[0].message}") from error

"""Reddit through PRAW: username mentions and replies to the account's comments in from the inbox; replies,
new posts to the channel's subreddit and upvotes out; search for the listening queries; metrics.

The cursor is `{"newest": created_utc of the newest item stored}`. Inbox listings run newest first; a run
reads back until it meets that time (items at the same second come again and de-duplication absorbs them).
Search (submissions only: Reddit's API has no comment search) keeps one such cursor per term, walked back with
the listing's `after` (networks.base.walk_back).
With the channel option `messages=on` a run that has read the inbox also reads the account's private messages
(/message/messages: one conversation a thing, with its replies, the account's own among them; conversations run
by their newest message first), walked back the same way under the cursor's "messages"; an answer to a message
(a t4_ fullname) is a private reply into its conversation.
The account is either a script app's user (client id and secret and the user's password) or, when connected by
signing in (networks/oauth2.py), the deployment's web app with the account's refresh token; all in the vault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any

import praw
import prawcore
from praw.exceptions import RedditAPIException
from praw.models import Message, Subreddit

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
    messages_on,
    refuse_media,
    walk_back,
)
from townsquare.networks.reddit.mapping import (
    MESSAGE_PREFIX,
    comment_to_record,
    message_to_record,
    submission_to_record,
)
from townsquare.networks.searchterms import SearchTerm

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
# Reddit's error types for a reply whose parent was deleted, or names nothing Reddit knows (NO_THING_ID).
GONE_ERRORS = {"DELETED_COMMENT", "DELETED_LINK", "NO_THING_ID"}
# Reddit's error type for a private message the person does not accept from the account (blocked, or they take
# messages only from people they chose).
NOT_ACCEPTED = "NOT_WHITELISTED_BY_USER_MESSAGE"
# Search and message listings give at most 100 a page.
SEARCH_PAGE_SIZE = 100
MESSAGES_PAGE_SIZE = 100
# Reddit's limit on a submission's title.
TITLE_LIMIT = 300
# The channel options: the subreddit it posts to (and counts followers of), the subreddits it searches.
SUBREDDIT_OPTION = "subreddit"
SUBREDDITS_OPTION = "subreddits"
# What a removed or deleted thing says in place of its text.
GONE_TEXT = {"[deleted]", "[removed]"}
# Reddit's own throttle on posting: "Take a break for 9 minutes before trying again."
WAIT = re.compile(r"(\d+) (minute|second)s?")


class _Requestor(prawcore.Requestor):
    """PRAW's `timeout` setting does not reach its HTTP requests (prawcore passes its own 16 s default); this
    keeps a hung Reddit from holding a sync worker longer than TIMEOUT_SECONDS."""

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return super().request(*args, timeout=TIMEOUT_SECONDS, **kwargs)


class RedditConnector(Connector):
    kind = "reddit"
    capabilities = frozenset({"fetch_mentions", "search", "publish", "reply", "like", "metrics"})
    option_needs = {"publish": (SUBREDDIT_OPTION, "a new Reddit post goes to a subreddit: name it in Details")}
    sync_interval = 600
    # Reddit's search matches words and "phrases" in titles and selftext, and author:name.
    search_kinds = frozenset({"word", "phrase", "author"})

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
        if cursor.get("phase") == "messages" and messages_on(channel):
            return self._messages(reddit, channel, cursor)
        newest = cursor.get("newest")
        records = []
        with _errors():
            for listing in (reddit.inbox.mentions, reddit.inbox.comment_replies):
                items = listing(limit=MAX_ITEMS if newest is not None else FIRST_RUN)
                records.extend(comment_to_record(item) for item in _since(items, newest))
        top = max((record.extra["created_utc"] for record in records), default=newest)
        kept = {"messages": cursor["messages"]} if cursor.get("messages") else {}
        result = FetchResult(records=records, cursor={**({"newest": top} if top is not None else {}), **kept})
        if messages_on(channel):
            # The inbox is read: the private messages next, in a call of their own (the run asks again).
            result.cursor["phase"], result.more = "messages", True
        return result

    def _messages(self, reddit: praw.Reddit, channel, cursor: dict[str, Any]) -> FetchResult:
        """One page of /message/messages, walked back (`walk_back` over each conversation's newest created_utc,
        under the cursor's "messages") to the newest message stored. Person-to-person messages only: subreddit
        messages (modmail) and Reddit's own notices (distinguished "admin") are left out."""
        state = cursor.get("messages") or {}
        walk = state.get("walk")
        listing = reddit.inbox.messages(limit=MESSAGES_PAGE_SIZE, params={"after": walk} if walk else {})
        with _errors():
            threads = [[thread, *thread.replies] for thread in listing]
            walked = walk_back(
                cursor=state, page=[(max(float(item.created_utc) for item in thread), thread) for thread in threads],
                next_page=_next_page(listing, walk, len(threads), MESSAGES_PAGE_SIZE), order=float,
            )  # fmt: skip
            newest = state.get("newest")
            records = [
                message_to_record(item, channel_handle=channel.handle)
                for thread in walked.records
                for item in thread
                if _between_people(item) and (newest is None or float(item.created_utc) >= newest)
            ]
        kept = {name: value for name, value in cursor.items() if name not in ("phase", "messages")}
        more = {"phase": "messages"} if walked.more else {}
        return FetchResult(records=records, cursor={**kept, "messages": walked.cursor, **more}, more=walked.more)

    def search(self, *, channel, credentials: dict[str, str], term: SearchTerm, cursor: dict[str, Any]) -> FetchResult:
        """Submissions carrying the term, newest first, in r/all or the channel's `subreddits`; walked back with
        `after` to the newest created_utc stored for this term."""
        reddit = self._client(channel, credentials)
        where = "+".join(_subreddits(channel)) or "all"
        query = {"phrase": f'"{term.value}"', "author": f"author:{term.value}"}.get(term.kind, term.value)
        walk = cursor.get("walk")
        listing = reddit.subreddit(where).search(
            query, sort="new", syntax="lucene", time_filter="all", limit=SEARCH_PAGE_SIZE,
            params={"after": walk} if walk else {},
        )  # fmt: skip
        with _errors(subreddit=where if where != "all" else ""):
            found = list(listing)
            marked = [(float(item.created_utc), submission_to_record(item)) for item in found]
        next_page = _next_page(listing, walk, len(found), SEARCH_PAGE_SIZE)
        return walk_back(cursor=cursor, page=marked, next_page=next_page, order=float)

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
        # PRAW submits images from files through a separate upload and a WebSocket; not offered yet.
        refuse_media(self.kind, media)
        if not in_reply_to:
            return self._submit(channel, credentials, text)
        reddit = self._client(channel, credentials)
        if in_reply_to.startswith(MESSAGE_PREFIX):
            return self._answer(reddit, in_reply_to, text)
        # Reddit has no idempotency key: a reply retried after a lost answer can be made twice.
        with _errors(gone="the comment being replied to", action="reply"):
            target = _lazy_thing(reddit, in_reply_to)
            reply = target.reply(text)
        if reply is None:
            raise PostGone("the comment being replied to is locked or deleted on Reddit")
        return PublishResult(external_id=reply.name, url=f"https://www.reddit.com{reply.permalink}")

    def _answer(self, reddit: praw.Reddit, in_reply_to: str, text: str) -> PublishResult:
        """A private answer: a reply to the message (POST /api/comment with its t4_ fullname), which Reddit keeps
        in the message's conversation; never a public comment."""
        # Reddit has no idempotency key: an answer retried after a lost answer can be sent twice.
        with _errors(gone="the message being answered", action="private message"):
            message = Message(reddit, _data={"id": in_reply_to.removeprefix(MESSAGE_PREFIX)})
            answer = message.reply(text)
        if answer is None:
            raise PostGone("the message being answered no longer exists on Reddit")
        return PublishResult(external_id=answer.name, url=f"https://www.reddit.com/message/messages/{answer.id}")

    def _submit(self, channel, credentials: dict[str, str], text: str) -> PublishResult:
        """A new post to the channel's subreddit: the first line is its title, the rest its body; a body that is
        one address alone makes a link post."""
        name = _subreddit(channel)
        if not name:
            raise ConnectorError(
                "a new Reddit post needs a subreddit: set the channel's option subreddit=NAME (where the account "
                "may post)",
                permanent=True,
            )
        title, _, body = text.strip().partition("\n")
        title, body = title.strip(), body.strip()
        if not title or len(title) > TITLE_LIMIT:
            raise ReplyRefused(f"a Reddit post's first line is its title, of 1 to {TITLE_LIMIT} characters")
        link = body if re.fullmatch(r"https?://\S+", body) else None
        reddit = self._client(channel, credentials)
        # Reddit has no idempotency key: a post retried after a lost answer can be made twice.
        with _errors(action="post", subreddit=name):
            kind = {"url": link} if link else {"selftext": body}
            made = reddit.subreddit(name).submit(title, **kind, resubmit=True, send_replies=True)
        return PublishResult(external_id=made.name, url=f"https://www.reddit.com/r/{name}/comments/{made.id}/")

    def like(self, *, channel, credentials: dict[str, str], external_id: str) -> None:
        """An upvote, on a submission or a comment that still exists and is not archived."""
        reddit = self._client(channel, credentials)
        gone = "the post being upvoted"
        with _errors(gone=gone, action="vote"):
            # Looked up first: Reddit's vote endpoint does not say whether the thing was deleted.
            thing = next(iter(reddit.info(fullnames=[external_id])), None)
            if thing is None or _removed(thing):
                raise PostGone(f"{gone} no longer exists on {WHAT} (it was deleted or removed)")
            if _field(thing, "archived"):
                raise ReplyRefused(f"{WHAT} takes no more votes on it: it is archived (older than six months)")
            thing.upvote()

    def fetch_metrics(self, *, channel, credentials: dict[str, str], external_ids: Sequence[str]) -> AccountMetrics:
        """Followers are the subscribers of the channel's own subreddit (option `subreddit`) where it names one,
        else of the account's profile (its followers). Each own post's score (net upvotes, never below zero) is
        its likes; a submission's num_comments its replies."""
        reddit = self._client(channel, credentials)
        name = _subreddit(channel)
        posts: dict[str, dict[str, int]] = {}
        with _errors(subreddit=name):
            if name:
                followers = reddit.subreddit(name).subscribers
            else:
                profile = reddit.user.me().subreddit
                followers = profile.subscribers if profile else None
        with _errors():
            # /api/info, 100 fullnames a call; deleted things still answer with their last counts.
            for thing in reddit.info(fullnames=list(external_ids)):
                # A new comment's score may be hidden for a while (Reddit then sends a placeholder).
                counts = {} if _field(thing, "score_hidden") else {"likes": max(int(_field(thing, "score", 0)), 0)}
                if _field(thing, "num_comments") is not None:
                    counts["replies"] = int(_field(thing, "num_comments"))
                posts[thing.name] = counts
        return AccountMetrics(followers=followers, posts=posts)


def _lazy_thing(reddit: praw.Reddit, fullname: str) -> Any:
    """A comment or submission by fullname (t1_ a comment, t3_ a submission), not fetched."""
    kind, _, thing_id = fullname.partition("_")
    return reddit.comment(thing_id) if kind == "t1" else reddit.submission(thing_id)


def _field(thing: Any, name: str, default: Any = None) -> Any:
    """A field of the thing as Reddit sent it: PRAW would fetch the thing again for one it lacks."""
    return vars(thing).get(name, default)


def _removed(thing: Any) -> bool:
    text = _field(thing, "body") or _field(thing, "selftext") or ""
    return bool(_field(thing, "removed_by_category")) or (_field(thing, "author") is None and text in GONE_TEXT)


def _subreddit(channel) -> str:
    return str((channel.options or {}).get(SUBREDDIT_OPTION) or "").strip().removeprefix("r/")


def _subreddits(channel) -> list[str]:
    """The `subreddits` option: names separated by commas, spaces or +, with or without r/."""
    value = str((channel.options or {}).get(SUBREDDITS_OPTION) or "")
    return [name.removeprefix("r/") for name in re.split(r"[\s,+]+", value) if name.removeprefix("r/")]


def _next_page(listing: Any, walk: str | None, count: int, size: int) -> str | None:
    """The listing's `after` when there is a next page; PRAW moves `after` on only when Reddit named one."""
    after = listing.params.get("after")
    return after if after and after != walk and count >= size else None


def _between_people(message: Any) -> bool:
    """A message between the account and one person: not a subreddit's (modmail, from or to a subreddit), not
    one of Reddit's own notices (distinguished "admin"), not from a deleted account."""
    return (
        not _field(message, "subreddit")
        and not _field(message, "distinguished")
        and message.author is not None
        and not isinstance(message.dest, Subreddit)
    )


def _since(items: Iterable[Any], newest: float | None) -> Iterator[Any]:
    """Items until the first one older than the newest stored; a listing runs newest first."""
    for item in islice(items, MAX_ITEMS):
        if newest is not None and item.created_utc < newest:
            return
        yield item


@contextmanager
def _errors(*, gone: str = "", action: str = "request", subreddit: str = "") -> Iterator[None]:
    """Turn PRAW's (prawcore's) exceptions into ConnectorError in plain words. `subreddit`: the one the call
    names, which may not exist or admit the account."""
    try:
        yield
    except prawcore.OAuthException as error:
        raise ConnectorError(
            f"{WHAT} refused the app's credentials or the password ({error.error}): add the channel again",
            permanent=True,
        ) from error
    except prawcore.TooManyRequests as error:
        raise error_for_status(429, what=WHAT, headers=error.response.headers) from error
    except (prawcore.NotFound, prawcore.Redirect) as error:
        # Reddit sends a subreddit that does not exist to its subreddit search (a redirect) or answers 404.
        if subreddit and (isinstance(error, prawcore.Redirect) or not gone):
            raise ConnectorError(
                f"{WHAT} has no subreddit r/{subreddit} (banned or never made): check the channel's options",
                permanent=True,
            ) from error
        if gone:
            raise PostGone(f"{gone} no longer exists on {WHAT} (it was deleted)") from error
        raise error_for_status(error.response.status_code, what=WHAT) from error
    except prawcore.Forbidden as error:
        if subreddit:
            raise ConnectorError(
                f"{WHAT} does not let the account into r/{subreddit} (HTTP 403: private, quarantined or the account "
                "is banned there): check the channel's options or reconnect the account",
                permanent=True,
            ) from error
        raise error_for_status(403, what=WHAT, headers=error.response.headers) from error
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
        item = error.items[0]
        if gone and item.error_type in GONE_ERRORS:
            raise PostGone(f"{gone} no longer exists on {WHAT} (it was deleted)") from error
        if item.error_type == NOT_ACCEPTED:
            raise ReplyRefused(
                f"{WHAT} will not deliver the {action} ({item.message}): the person has blocked the account or "
                "accepts messages only from people they chose, so answer them on Reddit itself"
            ) from error
        if item.error_type == "RATELIMIT":
            raise ConnectorError(
                f"{WHAT} is limiting the account's {action}s: {item.message}", retry_after=_wait(item.message)
            ) from error
        # This one post, reply or vote (a subreddit that takes no text posts, a title too long...): trying again
        # cannot help, but the account is fine.
        raise ReplyRefused(f"{WHAT} refused the {action}: {item.message}") from error


def _wait(message: str) -> float | None:
    found = WAIT.search(message)
    if not found:
        return None
    return float(found.group(1)) * (60 if found.group(2) == "minute" else 1)

"""A local Bluesky (XRPC) stand-in on top of the 127.0.0.1 server: sessions, notifications with cursors,
getPosts and createRecord, with payloads in the shapes the app.bsky lexicons document."""

from __future__ import annotations

import base64
import json
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

XRPC = "/xrpc/"
NOTIFICATIONS = XRPC + "app.bsky.notification.listNotifications"
SESSION = XRPC + "com.atproto.server.createSession"
GET_POSTS = XRPC + "app.bsky.feed.getPosts"
CREATE_RECORD = XRPC + "com.atproto.repo.createRecord"
UPLOAD_BLOB = XRPC + "com.atproto.repo.uploadBlob"
GET_PROFILE = XRPC + "app.bsky.actor.getProfile"
SEARCH_POSTS = XRPC + "app.bsky.feed.searchPosts"
OWN_DID = "did:plc:northfieldcc0000000000000"
LIST_CONVOS = XRPC + "chat.bsky.convo.listConvos"
GET_MESSAGES = XRPC + "chat.bsky.convo.getMessages"
SEND_MESSAGE = XRPC + "chat.bsky.convo.sendMessage"
# Chat calls go to the account's server, which forwards them to the chat service this header names.
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"


def did(handle: str) -> str:
    return f"did:plc:{zlib.crc32(handle.encode()):024x}"


def jwt(subject: str, *, scope: str, lifetime: int) -> str:
    """An unsigned token of the JWT shape: the client reads `exp` from it to decide when to refresh."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"scope": scope, "sub": subject, "iat": now, "exp": now + lifetime, "aud": "did:web:localhost"}
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.c2lnbmF0dXJl"


def profile(handle: str) -> dict[str, Any]:
    return {
        "did": OWN_DID if handle == "northfieldcc.bsky.social" else did(handle),
        "handle": handle,
        "displayName": handle.split(".")[0].replace("-", " ").title(),
        "avatar": f"https://cdn.bsky.example/img/avatar/plain/{did(handle)}/bafkreiavatar@jpeg",
        "labels": [],
        "createdAt": "2023-05-01T10:00:00.000Z",
    }


def post_uri(handle: str, rkey: str) -> str:
    return f"at://{did(handle)}/app.bsky.feed.post/{rkey}"


def post_record(text: str, *, minute: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": f"2026-03-02T09:{minute % 60:02d}:00.000Z",
        "langs": ["en"],
        **extra,
    }


@dataclass
class FakeBluesky:
    network: Any
    handle: str = "northfieldcc.bsky.social"
    password: str = "abcd-efgh-ijkl-mnop"
    # Notifications, any order; served newest first by indexedAt, as the server does.
    notifications: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    # Uploaded blobs: (content type, bytes); the account's followers.
    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    followers: int = 0
    # Public posts searchPosts can find (any order; served newest first by indexedAt) and the queries asked.
    public: list[dict[str, Any]] = field(default_factory=list)
    searches: list[dict[str, list[str]]] = field(default_factory=list)
    # Chat: conversation id -> {"members": [profile], "messages": [message views]}; revs only grow, as TIDs do.
    convos: dict[str, dict[str, Any]] = field(default_factory=dict)
    revs: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    # An app password made without "Allow access to your direct messages".
    chat_refused: bool = False

    def __post_init__(self) -> None:
        self.network.routes.update(
            {
                ("POST", SESSION): self._session,
                ("GET", NOTIFICATIONS): self._notifications,
                ("GET", GET_POSTS): self._get_posts,
                ("POST", CREATE_RECORD): self._create,
                ("POST", UPLOAD_BLOB): self._upload,
                ("GET", GET_PROFILE): self._profile,
                ("GET", SEARCH_POSTS): self._search,
                ("GET", LIST_CONVOS): self._list_convos,
                ("GET", GET_MESSAGES): self._get_messages,
                ("POST", SEND_MESSAGE): self._send_message,
            }
        )

    @property
    def url(self) -> str:
        return self.network.url

    def _auth(self, headers: dict[str, str]) -> tuple[int, Any] | None:
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, {"error": "AuthenticationRequired", "message": "Authentication Required"}
        return None

    def _session(self, query, body: bytes, headers) -> tuple[int, Any]:
        data = json.loads(body)
        if data.get("identifier") != self.handle or data.get("password") != self.password:
            return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
        access = jwt(OWN_DID, scope="com.atproto.appPass", lifetime=7200)
        self.tokens.add(access)
        refresh = jwt(OWN_DID, scope="com.atproto.refresh", lifetime=90 * 86400)
        return 200, {"did": OWN_DID, "handle": self.handle, "accessJwt": access, "refreshJwt": refresh, "active": True}

    def _notifications(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        if refused := self._auth(headers):
            return refused
        limit = int(query.get("limit", ["50"])[-1])
        items = sorted(self.notifications, key=lambda item: item["indexedAt"], reverse=True)
        if "cursor" in query:
            items = [item for item in items if item["indexedAt"] < query["cursor"][-1]]
        page = items[:limit]
        answer: dict[str, Any] = {"notifications": page, "priority": False, "seenAt": "2026-03-01T00:00:00.000Z"}
        if page:
            answer["cursor"] = page[-1]["indexedAt"]
        return 200, answer

    def _get_posts(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        if refused := self._auth(headers):
            return refused
        return 200, {"posts": [self.posts[uri] for uri in query.get("uris", []) if uri in self.posts]}

    def _create(self, query, body: bytes, headers) -> tuple[int, Any]:
        if refused := self._auth(headers):
            return refused
        data = json.loads(body)
        self.created.append(data)
        uri = f"at://{data['repo']}/{data['collection']}/3lbq{len(self.created):09d}"
        return 200, {"uri": uri, "cid": f"bafyreicreated{len(self.created)}", "validationStatus": "valid"}

    def _upload(self, query, body: bytes, headers) -> tuple[int, Any]:
        if refused := self._auth(headers):
            return refused
        mime_type = {name.lower(): value for name, value in headers.items()}.get("content-type", "")
        self.blobs.append((mime_type, body))
        ref = {"$link": f"bafkreiblob{len(self.blobs):04d}"}
        return 200, {"blob": {"$type": "blob", "ref": ref, "mimeType": mime_type, "size": len(body)}}

    def _profile(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        if refused := self._auth(headers):
            return refused
        actor = query["actor"][-1]
        counts = {"followersCount": self.followers, "followsCount": 12, "postsCount": 40}
        return 200, {**profile(actor), **counts, "indexedAt": "2024-01-01T00:00:00.000Z"}

    def _search(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        """sort=latest: newest indexedAt first; the cursor is an offset into the hits, as the AppView's is."""
        if refused := self._auth(headers):
            return refused
        self.searches.append(query)
        q = query["q"][-1]
        hits = sorted((post for post in self.public if _found(post, q)), key=lambda p: p["indexedAt"], reverse=True)
        offset = int(query.get("cursor", ["0"])[-1])
        limit = int(query.get("limit", ["25"])[-1])
        page = hits[offset : offset + limit]
        answer: dict[str, Any] = {"posts": page, "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            answer["cursor"] = str(offset + limit)
        return 200, answer

    def _rev(self) -> str:
        self.revs += 1
        return f"3lcz{self.revs:09d}"

    def message(self, handle: str, second: int, text: str = "", *, from_us: bool = False) -> str:
        """A chat message between the account and `handle` (the conversation is made on the first), sent
        `second` seconds after 11:00; returns the message id."""
        convo_id = f"convo{did(handle)[-8:]}"
        convo = self.convos.setdefault(convo_id, {"members": [profile(self.handle), profile(handle)], "messages": []})
        message_id = f"msg{self.revs + 1:05d}"
        convo["messages"].append(
            {
                "$type": "chat.bsky.convo.defs#messageView",
                "id": message_id,
                "rev": self._rev(),
                "text": text or f"Hello, message {second}",
                "sender": {"did": OWN_DID if from_us else did(handle)},
                "sentAt": f"2026-03-05T11:{second // 60 % 60:02d}:{second % 60:02d}.000Z",
            }
        )
        return message_id

    def delete_message(self, convo_id: str, message_id: str) -> None:
        """deleteMessageForSelf: the account sees a deletedMessageView in its place, with a new rev."""
        messages = self.convos[convo_id]["messages"]
        old = next(item for item in messages if item["id"] == message_id)
        messages.remove(old)
        deleted = {k: old[k] for k in ("id", "sender", "sentAt")}
        messages.append({"$type": "chat.bsky.convo.defs#deletedMessageView", **deleted, "rev": self._rev()})

    def _chat_auth(self, headers: dict[str, str]) -> tuple[int, Any] | None:
        if refused := self._auth(headers):
            return refused
        assert {name.lower(): value for name, value in headers.items()}.get("atproto-proxy") == CHAT_PROXY
        if self.chat_refused:
            return 401, {"error": "AuthenticationRequired", "message": "Bad token scope"}
        return None

    def _convo_view(self, convo_id: str) -> dict[str, Any]:
        convo = self.convos[convo_id]
        last = max(convo["messages"], key=lambda item: item["rev"])
        return {
            "id": convo_id,
            "rev": last["rev"],
            "members": convo["members"],
            "lastMessage": last,
            "muted": False,
            "status": "accepted",
            "unreadCount": 1,
        }

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> tuple[list[dict[str, Any]], str]:
        """Newest rev first; the cursor is the last rev served."""
        items = sorted(items, key=lambda item: item["rev"], reverse=True)
        if "cursor" in query:
            items = [item for item in items if item["rev"] < query["cursor"][-1]]
        limit = int(query.get("limit", ["50"])[-1])
        return items[:limit], items[limit - 1]["rev"] if len(items) > limit else ""

    def _list_convos(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        if refused := self._chat_auth(headers):
            return refused
        page, cursor = self._page([self._convo_view(convo_id) for convo_id in self.convos], query)
        return 200, {"convos": page, **({"cursor": cursor} if cursor else {})}

    def _get_messages(self, query: dict[str, list[str]], body, headers) -> tuple[int, Any]:
        if refused := self._chat_auth(headers):
            return refused
        page, cursor = self._page(self.convos[query["convoId"][-1]]["messages"], query)
        return 200, {"messages": page, **({"cursor": cursor} if cursor else {})}

    def _send_message(self, query, body: bytes, headers) -> tuple[int, Any]:
        if refused := self._chat_auth(headers):
            return refused
        data = json.loads(body)
        convo = self.convos.get(data["convoId"])
        if convo is None:
            return 400, {"error": "InvalidRequest", "message": "Convo not found"}
        self.sent.append(data)
        person = next(member for member in convo["members"] if member["did"] != OWN_DID)
        message_id = self.message(person["handle"], 3000 + len(self.sent), data["message"]["text"], from_us=True)
        return 200, next(item for item in convo["messages"] if item["id"] == message_id)

    def publish_public(self, handle: str, rkey: str, text: str, *, second: int) -> dict[str, Any]:
        """A post by someone else that search can find, indexed `second` seconds after 10:00."""
        post = self.add_post(handle, rkey, post_record(text))
        post["indexedAt"] = f"2026-03-04T10:{second // 60:02d}:{second % 60:02d}.000Z"
        self.public.append(post)
        return post

    def add_post(self, handle: str, rkey: str, record: dict[str, Any], **view: Any) -> dict[str, Any]:
        uri = post_uri(handle, rkey)
        self.posts[uri] = {
            "uri": uri,
            "cid": f"bafyrei{rkey}",
            "author": profile(handle),
            "record": record,
            "replyCount": 0,
            "repostCount": 1,
            "likeCount": 3,
            "quoteCount": 0,
            "indexedAt": record["createdAt"],
            "labels": [],
            **view,
        }
        return self.posts[uri]

    def notify(self, number: int, post: dict[str, Any] | None, reason: str = "mention") -> None:
        """Notification `number` (its indexedAt orders it) about `post`; None: a like or follow of no post."""
        author = post["author"] if post else profile("someone.bsky.social")
        self.notifications.append(
            {
                "uri": post["uri"] if post else f"at://{author['did']}/app.bsky.feed.like/{number}",
                "cid": post["cid"] if post else f"bafyreilike{number}",
                "author": author,
                "reason": reason,
                "record": post["record"]
                if post
                else {
                    "$type": "app.bsky.feed.like",
                    "subject": {"uri": post_uri(self.handle, "own1"), "cid": "bafyreiown1"},
                    "createdAt": "2026-03-02T09:00:00.000Z",
                },
                "isRead": False,
                "indexedAt": f"2026-03-03T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}.000Z",
                "labels": [],
            }
        )

    def mentions(self, first: int, count: int) -> list[str]:
        uris = []
        for n in range(first, first + count):
            post = self.add_post("resident.bsky.social", f"m{n:05d}", post_record(f"@northfieldcc mention {n}"))
            self.notify(n, post)
            uris.append(post["uri"])
        return uris


def _found(post: dict[str, Any], q: str) -> bool:
    """Enough of the search syntax for the tests: "a phrase", #tag, from:handle, or one word."""
    text = post["record"]["text"].lower()
    if q.startswith("from:"):
        return post["author"]["handle"] == q[5:]
    if q.startswith('"'):
        return q.strip('"') in text
    return q.lower() in text.split() or q.lower() in text.replace("#", " #").split()

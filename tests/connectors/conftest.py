"""A local stand-in for the networks on 127.0.0.1: it speaks the Mastodon API endpoints the connector calls and
serves feeds, from recorded payloads the test sets up. Nothing reaches the internet."""

from __future__ import annotations

import email.policy
import json
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from townsquare.vault import crypto


@dataclass
class Canned:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeNetwork:
    url: str = ""
    # Mastodon: every notification the account has, any order; served newest first like the API.
    notifications: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Mastodon media uploads by id, favourites and boosts (status ids), and the account's followers.
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    favourited: list[str] = field(default_factory=list)
    reblogged: list[str] = field(default_factory=list)
    followers: int = 0
    # Feeds by path: (body, etag).
    feeds: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Answers served once, in order, before the normal ones, per path.
    canned: dict[str, list[Canned]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # Other networks' endpoints: (method, path) -> handler(query, body bytes, headers) -> (status, JSON payload)
    # or (status, JSON payload, extra response headers).
    routes: dict[tuple[str, str], Callable[..., tuple[int, Any]]] = field(default_factory=dict)

    def fail_next(self, path: str, *answers: Canned) -> None:
        self.canned.setdefault(path, []).extend(answers)

    def hits(self, path: str) -> int:
        return sum(1 for _, request_path, _ in self.requests if request_path == path)


class _Handler(BaseHTTPRequestHandler):
    network: FakeNetwork

    def log_message(self, *args) -> None:  # keep test output quiet
        return

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        self._send(status, json.dumps(payload).encode(), headers)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        network = self.network
        network.requests.append((method, parts.path, dict(self.headers.items())))
        queue = network.canned.get(parts.path)
        if queue:
            answer = queue.pop(0)
            time.sleep(answer.delay)
            self._send(answer.status, answer.body, answer.headers)
            return
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        route = network.routes.get((method, parts.path))
        if route is not None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload, *extra = route(parse_qs(parts.query), body, dict(self.headers.items()))
            self._json(payload, status=status, headers=extra[0] if extra else None)
        elif method == "GET" and parts.path == "/api/v1/notifications":
            self._notifications(query)
        elif method == "POST" and parts.path == "/api/v1/statuses":
            self._publish()
        elif method == "GET" and parts.path == "/api/v1/statuses":
            wanted = parse_qs(parts.query).get("id[]", [])
            self._json([network.statuses[status_id] for status_id in wanted if status_id in network.statuses])
        elif method == "GET" and re.fullmatch(r"/api/v1/statuses/\d+", parts.path):
            status = network.statuses.get(parts.path.rsplit("/", 1)[-1])
            self._json(status or {"error": "Record not found"}, status=200 if status else 404)
        elif method == "GET" and parts.path == "/api/v1/accounts/verify_credentials":
            self._json({**mastodon_account("northfieldcc"), "followers_count": network.followers})
        elif method == "POST" and parts.path == "/api/v2/media":
            self._media()
        elif method == "POST" and re.fullmatch(r"/api/v1/statuses/\d+/(favourite|reblog)", parts.path):
            self._act(parts.path)
        elif method == "GET" and parts.path in network.feeds:
            body, etag = network.feeds[parts.path]
            if etag and self.headers.get("If-None-Match") == etag:
                self._send(304)
            else:
                self._send(200, body, {"Content-Type": "application/xml", "ETag": etag})
        else:
            self._json({"error": "Record not found"}, status=404)

    def _notifications(self, query: dict[str, str]) -> None:
        limit = int(query.get("limit", 40))
        items = sorted(self.network.notifications, key=lambda item: int(item["id"]))
        if "min_id" in query:
            # The page just after min_id (oldest first), returned newest first, as Mastodon does.
            page = [item for item in items if int(item["id"]) > int(query["min_id"])][:limit]
        else:
            page = items[-limit:]
        self._json(list(reversed(page)))

    def _media(self) -> None:
        """A multipart upload (file, description), answered with a MediaAttachment as for a processed image."""
        length = int(self.headers.get("Content-Length") or 0)
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + self.rfile.read(length))
        fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        media_id = str(3000 + len(self.network.media))
        attachment = {
            "id": media_id,
            "type": "image",
            "url": f"https://files.social.example/{media_id}.png",
            "preview_url": f"https://files.social.example/{media_id}-small.png",
            "description": fields["description"].get_content() if "description" in fields else None,
            "blurhash": None,
        }
        self.network.media[media_id] = {
            **attachment,
            "data": fields["file"].get_content(),
            "mime_type": fields["file"].get_content_type(),
        }
        self._json(attachment)

    def _act(self, path: str) -> None:
        status_id, action = path.split("/")[-2:]
        if status_id not in self.network.statuses:
            self._json({"error": "Record not found"}, status=404)
            return
        status = self.network.statuses[status_id]
        if action == "favourite":
            self.network.favourited.append(status_id)
            self._json({**status, "favourited": True})
        else:
            self.network.reblogged.append(status_id)
            boost_id = str(800000 + len(self.network.reblogged))
            self._json(mastodon_status(boost_id, content="", acct="northfieldcc", reblog=status))

    def _publish(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = (
            json.loads(raw)
            if raw.startswith("{")
            else {k: v if k.endswith("[]") else v[-1] for k, v in parse_qs(raw).items()}
        )
        key = self.headers.get("Idempotency-Key") or ""
        if key in self.network.published:
            self._json(self.network.published[key])
            return
        parent = form.get("in_reply_to_id")
        if parent and parent not in self.network.statuses:
            self._json({"error": "Record not found"}, status=404)
            return
        status_id = str(900000 + len(self.network.published))
        media_ids = form.get("media_ids") or form.get("media_ids[]") or []
        attachments = [
            {k: v for k, v in self.network.media[i].items() if k not in {"data", "mime_type"}} for i in media_ids
        ]
        status = mastodon_status(
            status_id,
            text=form["status"],
            acct="northfieldcc",
            in_reply_to_id=parent,
            media_attachments=attachments,
            visibility=form.get("visibility") or "public",
        )
        self.network.published[key] = status
        self.network.statuses[status_id] = status
        self._json(status)

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that gave up on a slow answer (the timeout cases) is expected, not a failure.
        return


@pytest.fixture
def fake_network():
    network = FakeNetwork()
    handler = type("Handler", (_Handler,), {"network": network})
    server = _Server(("127.0.0.1", 0), handler)
    network.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield network
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def vault_key(settings):
    settings.TOWNSQUARE_VAULT_KEYS = [crypto.generate_key()]
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def mastodon_account(acct: str, account_id: str | None = None) -> dict[str, Any]:
    username = acct.split("@")[0]
    return {
        "id": account_id or str(zlib.crc32(acct.encode())),
        "username": username,
        "acct": acct,
        "display_name": username.replace("_", " ").title(),
        "locked": False,
        "bot": False,
        "created_at": "2022-11-03T00:00:00.000Z",
        "note": "<p>Local resident</p>",
        "url": f"https://social.example/@{username}",
        "avatar": "https://social.example/avatars/original/missing.png",
        "followers_count": 120,
        "following_count": 80,
        "statuses_count": 431,
        "emojis": [],
        "fields": [],
    }


def mastodon_status(
    status_id: str,
    *,
    text: str = "",
    content: str | None = None,
    acct: str = "resident@social.example",
    in_reply_to_id: str | None = None,
    edited_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": status_id,
        "created_at": f"2026-03-0{1 + int(status_id) % 9}T09:{int(status_id) % 60:02d}:00.000Z",
        "in_reply_to_id": in_reply_to_id,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": f"https://social.example/users/resident/statuses/{status_id}",
        "url": f"https://social.example/@resident/{status_id}",
        "replies_count": 0,
        "reblogs_count": 1,
        "favourites_count": 2,
        "edited_at": edited_at,
        "content": content if content is not None else f"<p>{text}</p>",
        "reblog": None,
        "account": mastodon_account(acct),
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
        **extra,
    }


def mastodon_notification(notification_id: int, status: dict[str, Any] | None, kind: str = "mention") -> dict:
    return {
        "id": str(notification_id),
        "type": kind,
        "created_at": "2026-03-02T10:00:00.000Z",
        "account": (status or {}).get("account") or mastodon_account("someone@social.example"),
        "status": status,
    }

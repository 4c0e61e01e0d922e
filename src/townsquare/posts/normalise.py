"""Reading one post in the normalised JSON form (posts/post.schema.json) into a typed record.

Every failure raises PostFormatError with the field and the reason, so an importer can report the row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_RESOURCE = "post.schema.json"
# Twitter's epoch for snowflake ids (ms); ids above this bound are snowflakes (from late 2010).
TWITTER_EPOCH_MS = 1288834974657
MIN_SNOWFLAKE = 1 << 40

HASHTAG = re.compile(r"(?<![\w&])#(\w+)", re.UNICODE)
MENTION = re.compile(r"(?<![\w@])@(\w+(?:@[\w.-]+\w)?)", re.UNICODE)
LINK = re.compile(r"https?://\S+")
# Spreadsheet tools write integer ids of columns with gaps as floats ("3.0"); they are still ids.
FLOAT_ID = re.compile(r"^(\d+)\.0$")
DATE_FORMATS = ("%a %b %d %H:%M:%S %z %Y", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


class PostFormatError(ValueError):
    """A post does not fit the normalised form; str() says which field and why."""


@dataclass(frozen=True)
class AuthorRecord:
    external_id: str
    handle: str
    display_name: str = ""
    followers: int | None = None
    verified: bool = False
    location: str = ""
    country: str = ""
    profile_url: str = ""


UNKNOWN_AUTHOR = AuthorRecord(external_id="", handle="unknown", display_name="Unknown author")


@dataclass(frozen=True)
class PostRecord:
    network: str
    external_id: str
    author: AuthorRecord
    created_at: datetime
    text: str = ""
    title: str = ""
    url: str = ""
    language: str = ""
    in_reply_to: str = ""
    quoted: str = ""
    shared: str = ""
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, int | None] = field(default_factory=dict)
    metrics_observed_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def post_schema() -> dict[str, Any]:
    return json.loads(resources.files("townsquare.posts").joinpath(SCHEMA_RESOURCE).read_text("utf-8"))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(post_schema())


def clean_id(value: Any) -> str:
    text = str(value).strip().strip("'\"").strip()
    match = FLOAT_ID.match(text)
    return match.group(1) if match else text


def parse_datetime(value: Any, *, field_name: str = "created_at", date_format: str | None = None) -> datetime:
    """ISO 8601, Twitter's format, a given strptime format, or epoch seconds; naive times are UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    parsed = None
    formats = (date_format,) if date_format else DATE_FORMATS
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for candidate in formats:
            try:
                parsed = datetime.strptime(text, candidate)
                break
            except ValueError:
                continue
    if parsed is None:
        expected = f"the format {date_format!r}" if date_format else "an ISO 8601 time, e.g. 2024-05-01T09:30:00Z"
        raise PostFormatError(f"{field_name}: {text!r} is not a time; expected {expected}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def snowflake_time(external_id: str) -> datetime | None:
    if not external_id.isdigit() or int(external_id) < MIN_SNOWFLAKE:
        return None
    return datetime.fromtimestamp(((int(external_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def _author(value: Any) -> AuthorRecord:
    if value is None or value == "":
        return UNKNOWN_AUTHOR
    if isinstance(value, str):
        handle = value.strip().lstrip("@")
        return AuthorRecord(external_id=handle, handle=handle)
    handle = str(value.get("handle") or value.get("id")).lstrip("@")
    return AuthorRecord(
        external_id=clean_id(value.get("id") or handle),
        handle=handle,
        display_name=value.get("display_name") or "",
        followers=value.get("followers"),
        verified=bool(value.get("verified")),
        location=value.get("location") or "",
        country=(value.get("country") or "").upper(),
        profile_url=value.get("profile_url") or "",
    )


def _optional_id(value: Any) -> str:
    return "" if value is None or value == "" else clean_id(value)


def parse_post(obj: Any, *, default_network: str, date_format: str | None = None) -> PostRecord:
    """Validate and convert one normalised post; raises PostFormatError naming the field."""
    errors = sorted(_validator().iter_errors(obj), key=lambda error: list(error.absolute_path))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.absolute_path) or "post"
        raise PostFormatError(f"{where}: {error.message}")
    network = obj.get("network") or default_network
    external_id = clean_id(obj["id"])
    if not external_id:
        raise PostFormatError("id: empty")
    text = obj.get("text") or ""
    created_raw = obj.get("created_at")
    if created_raw in (None, ""):
        created_at = snowflake_time(external_id) if network == "twitter" else None
        if created_at is None:
            raise PostFormatError("created_at: missing (and the id is no Twitter snowflake to derive it from)")
    else:
        created_at = parse_datetime(created_raw, date_format=date_format)
    metrics = obj.get("metrics") or {}
    observed = metrics.get("observed_at")
    return PostRecord(
        network=network,
        external_id=external_id,
        author=_author(obj.get("author")),
        created_at=created_at,
        text=text,
        title=obj.get("title") or "",
        url=obj.get("url") or "",
        language=(obj.get("lang") or "").lower(),
        in_reply_to=_optional_id(obj.get("in_reply_to")),
        quoted=_optional_id(obj.get("quoted")),
        shared=_optional_id(obj.get("shared")),
        hashtags=obj.get("hashtags") or [tag.lower() for tag in HASHTAG.findall(text)],
        mentions=obj.get("mentions") or [handle.lower() for handle in MENTION.findall(text)],
        links=obj.get("links") or LINK.findall(text),
        media=obj.get("media") or [],
        metrics={key: metrics.get(key) for key in ("replies", "shares", "likes", "views") if key in metrics},
        metrics_observed_at=parse_datetime(observed, field_name="metrics/observed_at") if observed else None,
        extra=obj.get("extra") or {},
    )

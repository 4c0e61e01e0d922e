"""Readers that turn a file into (line number, normalised object) pairs or a per-row error.

A reader never stops at a bad row: it yields a RowError for it and carries on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from townsquare.posts.serialise import CSV_COLUMNS

# Fields a CSV column can be mapped to (every column the exporter writes, plus author details it leaves out);
# author_* and metric fields are folded into nested objects.
CSV_FIELDS = {*CSV_COLUMNS, "author_id", "author_location", "author_country", "author_verified"}
INTEGER_FIELDS = {"author_followers", "replies", "shares", "likes", "views"}
LIST_FIELDS = {"hashtags", "mentions", "links"}


@dataclass(frozen=True)
class Row:
    line: int
    data: dict[str, Any]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class MappingError(ValueError):
    """The --map option cannot be used with this file; the message says why."""


def parse_mapping(text: str) -> dict[str, str]:
    """`field=column,field=column` -> {field: column}."""
    mapping: dict[str, str] = {}
    for position, part in enumerate(filter(None, (item.strip() for item in text.split(","))), start=1):
        field, sep, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise MappingError(f"--map item {position} ({part!r}): expected field=column")
        if field not in CSV_FIELDS:
            raise MappingError(
                f"--map item {position}: unknown field {field!r}; fields are {', '.join(sorted(CSV_FIELDS))}"
            )
        mapping[field] = column
    if "id" not in mapping:
        raise MappingError("--map must map the id field, e.g. id=tweet_id")
    return mapping


def read_jsonl(handle: IO[str]) -> Iterator[Row | RowError]:
    for line_number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            yield RowError(line_number, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(data, dict):
            yield RowError(line_number, f"expected a JSON object, found {type(data).__name__}")
            continue
        yield Row(line_number, data)


def read_csv(handle: IO[str], mapping: dict[str, str]) -> Iterator[Row | RowError]:
    """Read CSV whose file was opened with newline="\\n": only a line feed ends a line, so a stray carriage
    return inside an unquoted field makes that one row an error instead of splitting it into fragments."""
    reader = csv.reader(handle, skipinitialspace=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    missing = [column for column in mapping.values() if column not in header]
    if missing:
        raise MappingError(
            f"--map names columns the file does not have: {', '.join(missing)} "
            f"(the header has: {', '.join(repr(name) for name in header)})"
        )
    mapped_columns = set(mapping.values())
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            next_line = reader.line_num + 1
            reason = (
                "a line break inside an unquoted field (the field needs quotes)"
                if "new-line" in str(error)
                else f"not readable as CSV ({error})"
            )
            yield RowError(line, reason)
            continue
        next_line = reader.line_num + 1
        if not fields:
            continue
        if len(fields) != len(header):
            yield RowError(line, f"{len(fields)} fields where the header has {len(header)}")
            continue
        raw = dict(zip(header, fields, strict=True))
        try:
            data = _row_object(raw, mapping)
        except ValueError as error:
            yield RowError(line, str(error))
            continue
        extra = {column: value for column, value in raw.items() if column and column not in mapped_columns}
        if extra:
            data["extra"] = {"csv": extra}
        yield Row(line, data)


def _row_object(raw: dict[str, str], mapping: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    author: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for field, column in mapping.items():
        value = raw[column].strip() if field != "text" else raw[column]
        if value == "":
            continue
        if field in INTEGER_FIELDS:
            try:
                number = int(float(value))
            except ValueError:
                raise ValueError(f"{field} (column {column!r}): {value!r} is not a number") from None
            value = number
        if field in LIST_FIELDS:
            value = value.replace(",", " ").split()
        if field == "author_verified":
            value = value.lower() in {"1", "true", "yes"}
        if field == "author":
            author["handle"] = value
        elif field.startswith("author_"):
            author[field.removeprefix("author_").replace("name", "display_name")] = value
        elif field in {"replies", "shares", "likes", "views"}:
            metrics[field] = value
        else:
            data[field] = value
    if author:
        data["author"] = author
    if metrics:
        data["metrics"] = metrics
    return data

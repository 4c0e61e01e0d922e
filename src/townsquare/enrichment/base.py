"""The one interface every enricher implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Result:
    """One enrichment of one post: a label, a score in [0, 1] and what produced it."""

    label: str
    score: float
    model: str
    version: str


@runtime_checkable
class Enricher(Protocol):
    """A model that labels posts. Batch-first: per-call overhead is paid once per batch."""

    name: str
    version: str
    labels: tuple[str, ...]

    def enrich_batch(self, texts: Sequence[str]) -> list[Result]: ...

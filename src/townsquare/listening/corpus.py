"""Real posts from the shared data folder, for the benchmark and the differential tests."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir() -> Path | None:
    """The shared data folder ($TOWNSQUARE_SHARED_DATA, else ../shared/data beside the repository), or
    None when it is absent."""
    env = os.environ.get("TOWNSQUARE_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return path if path.is_dir() else None


def _column(path: Path, names: tuple[str, ...]) -> Iterator[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = [h.strip().lower() for h in next(reader, [])]
        index = next((header.index(n) for n in names if n in header), None)
        if index is None:
            return
        for row in reader:
            if index < len(row) and row[index].strip():
                yield row[index]


def iter_texts(data_dir: Path) -> Iterator[str]:
    """Post texts: airline tweets, then customer-support tweets, then the CrisisLex tweets."""
    yield from _column(data_dir / "airline_sentiment" / "Tweets.csv", ("text",))
    yield from _column(data_dir / "twcs_sample" / "twcs_sample.csv", ("text",))
    for path in sorted((data_dir / "crisislex_t26").glob("*/*-tweets_labeled.csv")):
        yield from _column(path, ("tweet text",))
    for path in sorted((data_dir / "crisislex_t6").glob("*/*.csv")):
        yield from _column(path, ("tweet",))


def load_texts(data_dir: Path, limit: int | None = None) -> list[str]:
    out: list[str] = []
    for text in iter_texts(data_dir):
        out.append(text)
        if limit is not None and len(out) >= limit:
            break
    return out

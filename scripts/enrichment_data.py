"""Loaders for the labelled sets in ../shared/data, shared by train_models.py and evaluate_models.py."""

from __future__ import annotations

import csv
import html
import os
import random
import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SENTIMENT_LABELS = ("negative", "neutral", "positive")
SEED = 20240601  # every sample, fold, fit and teacher of the training run


def shared_data() -> Path:
    return Path(os.environ.get("TOWNSQUARE_SHARED_DATA", REPO.parent / "shared" / "data"))


def _unescape_semeval(text: str) -> str:
    # The hydrated SemEval files keep JSON escapes ("\u002c") and sometimes wrap the text in quotes.
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return text


def match_keys(text: str) -> set[str]:
    """Keys under which two renderings of one tweet meet (TweetEval masks users as @user)."""
    t = html.unescape(_unescape_semeval(text)).lower()
    t = re.sub(r"https?://\S+|@\w+", "", t)
    key = re.sub(r"\W+", "", t)
    return {key, key[:40]} if len(key) >= 40 else {key}


def sentiment_val() -> tuple[list[str], list[str]]:
    base = shared_data() / "sentiment_tweeteval_val"
    texts = (base / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [SENTIMENT_LABELS[int(x)] for x in (base / "val_labels.txt").read_text().split()]
    assert len(texts) == len(labels)
    return texts, labels


def sentiment_train(exclude: list[str]) -> tuple[list[str], list[str], dict[str, int]]:
    """All SemEval 2013-2016 rows, de-duplicated, minus anything matching an `exclude` text.

    Tweets seen twice with different labels are dropped; the counts of each removal are returned.
    """
    banned = set().union(*(match_keys(t) for t in exclude))
    by_key: dict[str, set[str]] = defaultdict(set)
    first_text: dict[str, str] = {}
    stats = {"rows": 0, "overlap_val": 0}
    for path in sorted((shared_data() / "sentiment_semeval").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3 or parts[1] not in SENTIMENT_LABELS:
                continue
            stats["rows"] += 1
            text = _unescape_semeval(parts[2])
            keys = match_keys(text)
            if keys & banned:
                stats["overlap_val"] += 1
                continue
            key = min(keys, key=len)
            by_key[key].add(parts[1])
            first_text.setdefault(key, text)
    texts, labels = [], []
    stats["conflicting"] = 0
    for key, labs in by_key.items():
        if len(labs) > 1:
            stats["conflicting"] += 1
            continue
        texts.append(first_text[key])
        labels.append(next(iter(labs)))
    stats["kept"] = len(texts)
    stats["duplicates"] = stats["rows"] - stats["overlap_val"] - len(by_key)
    return texts, labels, stats


def complaints() -> tuple[list[str], list[str], list[str]]:
    with open(shared_data() / "complaints" / "train.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = ["complaint" if r["label"] == "1" else "not_complaint" for r in rows]
    return [r["text"] for r in rows], labels, [r["domain"] for r in rows]


def offensive(split: str) -> tuple[list[str], list[str]]:
    base = shared_data() / "tweeteval_offensive"
    texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    raw = (base / f"{split}_labels.txt").read_text().split()
    labels = [("not_offensive", "offensive")[int(x)] for x in raw]
    assert len(texts) == len(labels)
    return texts, labels


def davidson() -> tuple[list[str], list[str]]:
    """Davidson et al.: hate speech and offensive language both count as offensive."""
    with open(shared_data() / "davidson_hate_offensive" / "labeled_data.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["tweet"] for r in rows], ["not_offensive" if r["class"] == "2" else "offensive" for r in rows]


AIRLINE_POOL_SIZE = 6000  # airline tweets sampled into the teaching pool


def airline() -> tuple[list[str], list[str]]:
    """The US airline tweets (February 2015) and their sentiment: negative / neutral / positive."""
    with open(shared_data() / "airline_sentiment" / "Tweets.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["airline_sentiment"] for r in rows]


def airline_unseen(seed: int) -> tuple[list[str], list[str]]:
    """The airline tweets that nothing trains on: those the pool's sample (and its near-copies) leaves out."""
    texts, labels = airline()
    pooled = set().union(*(match_keys(t) for t in _sample(texts, AIRLINE_POOL_SIZE, seed)))
    kept = [i for i, text in enumerate(texts) if not match_keys(text) & pooled]
    return [texts[i] for i in kept], [labels[i] for i in kept]


def _sample(texts: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return rng.sample(texts, n) if len(texts) > n else texts


def _csv_column(path: Path, column: str) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh, skipinitialspace=True)]


def pool(exclude: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Unlabelled real posts for the teachers to label: (texts, kinds), kind "brand" or "general".

    "brand" posts are addressed to or about organisations (customer service, airlines, mixed
    SemEval topics, crises), the ground complaints stand on; "general" adds abusive and everyday
    talk for the offensive teacher. Seeded samples, de-duplicated, minus anything matching `exclude`.
    """
    base = shared_data()
    with open(base / "twcs_sample" / "twcs_sample.csv", encoding="utf-8", newline="") as fh:
        twcs = [row["text"] for row in csv.DictReader(fh) if row["inbound"] == "True"]
    semeval, _, _ = sentiment_train(exclude=[])
    crisis26 = [
        t for p in sorted(base.glob("crisislex_t26/*/*-tweets_labeled.csv")) for t in _csv_column(p, "Tweet Text")
    ]
    crisis6 = [t for p in sorted(base.glob("crisislex_t6/*/*-ontopic_offtopic.csv")) for t in _csv_column(p, "tweet")]
    hate = [
        line
        for split in ("train", "val")
        for line in (base / "tweeteval_hate" / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    ]
    sources = {
        "brand": [
            twcs,
            _sample(airline()[0], AIRLINE_POOL_SIZE, seed),
            _sample(semeval, 4000, seed),
            _sample(crisis26, 1000, seed),
        ],
        "general": [_sample(hate, 5000, seed), _sample(davidson()[0], 6000, seed), _sample(crisis6, 3000, seed)],
    }
    seen = set().union(*(match_keys(t) for t in exclude))
    texts, kinds = [], []
    for kind, groups in sources.items():
        for text in (t for group in groups for t in group):
            keys = match_keys(text)
            if not keys & seen and min(keys, key=len):
                seen |= keys
                texts.append(text)
                kinds.append(kind)
    return texts, kinds

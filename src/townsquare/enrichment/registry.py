"""Task name -> enricher, loaded once per process; `enrich_all` shares featurisation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from .base import Enricher, Result
from .features import FeatureConfig, SparseRows
from .language import LanguageEnricher
from .linear import LinearEnricher

ARTEFACTS = Path(str(resources.files("townsquare.enrichment").joinpath("artefacts")))


def _linear(task: str) -> Callable[[], Enricher]:
    return lambda: LinearEnricher(task, ARTEFACTS / f"{task}.npz", resolve=get_enricher)


ENRICHERS: dict[str, Callable[[], Enricher]] = {
    "language": LanguageEnricher,
    "sentiment": _linear("sentiment"),
    "complaint": _linear("complaint"),
    "offensive": _linear("offensive"),
}


@cache
def get_enricher(task: str) -> Enricher:
    """The shared, loaded enricher for `task` (one of ENRICHERS)."""
    try:
        factory = ENRICHERS[task]
    except KeyError:
        raise KeyError(f"unknown enrichment task {task!r}; choose from {sorted(ENRICHERS)}") from None
    return factory()


def enrich_all(texts: Sequence[str], tasks: Sequence[str] | None = None) -> list[dict[str, Result]]:
    """Every task's Result for every post; linear models with one feature config featurise once."""
    tasks = list(tasks or ENRICHERS)
    out: list[dict[str, Result]] = [{} for _ in texts]
    shared: dict[FeatureConfig, SparseRows] = {}
    for task in tasks:
        enricher = get_enricher(task)
        if isinstance(enricher, LinearEnricher):
            if enricher.config not in shared:
                shared[enricher.config] = enricher.featurizer.transform(texts)
            results = enricher.enrich_features(shared[enricher.config])
        else:
            results = enricher.enrich_batch(texts)
        for row, result in zip(out, results, strict=True):
            row[task] = result
    return out

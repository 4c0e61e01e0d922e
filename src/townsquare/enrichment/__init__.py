"""Post enrichment: language, sentiment, complaint and offensive-content labels, CPU only."""

from .base import Enricher, Result
from .registry import ENRICHERS, enrich_all, get_enricher

__all__ = ["ENRICHERS", "Enricher", "Result", "enrich_all", "get_enricher"]

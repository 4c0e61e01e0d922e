"""Language identification with py3langid: a naive Bayes model embedded in its PyPI wheel.

Nothing is downloaded at run time. Mentions and URLs are stripped first (they are not language);
the label set is restricted to languages with an ISO 639-1 code; low confidence gives "und".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.metadata import version

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from .base import Result

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|&\w+;")
_MIN_LETTERS = 3
MIN_CONFIDENCE = 0.5


class LanguageEnricher:
    name = "language"

    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._ident.set_languages([c for c in self._ident.labels if len(c) == 2])
        self.labels = (*self._ident.labels, "und")
        self.min_confidence = min_confidence
        self.version = f"py3langid-{version('py3langid')}"

    def enrich_batch(self, texts: Sequence[str]) -> list[Result]:
        out = []
        for text in texts:
            clean = _NOISE_RE.sub(" ", text)
            if sum(ch.isalpha() for ch in clean) < _MIN_LETTERS:
                out.append(Result("und", 0.0, self.name, self.version))
                continue
            lang, conf = self._ident.classify(clean)
            label = lang if conf >= self.min_confidence else "und"
            out.append(Result(label, conf, self.name, self.version))
        return out

"""Shared fixtures for the listening tests; none of them needs Django."""

from __future__ import annotations

import functools
import random

import pytest
from hypothesis import settings

from townsquare.listening.corpus import load_texts, shared_data_dir
from townsquare.listening.fts5 import agreeing_texts, fts5_available
from townsquare.listening.matcher import NATIVE_CORE, Matcher
from townsquare.listening.tokens import tokenize

settings.register_profile("listening", max_examples=60, deadline=None)
settings.load_profile("listening")


@pytest.fixture(scope="session")
def real_texts() -> list[str]:
    """A seeded sample of real post texts from the shared data folder."""
    data_dir = shared_data_dir()
    if data_dir is None:
        pytest.skip("shared data folder not found (set TOWNSQUARE_SHARED_DATA or provide ../shared/data)")
    texts = load_texts(data_dir)
    return random.Random(11).sample(texts, 3000)


@pytest.fixture(scope="session")
def fts5_texts(real_texts: list[str]) -> list[str]:
    """Real texts that our tokeniser and FTS5's unicode61 split the same way."""
    if not fts5_available():
        pytest.skip("this Python's sqlite3 has no FTS5")
    return agreeing_texts(real_texts, tokenize)


@pytest.fixture(scope="module", params=["compiled core", "python"])
def make_matcher(request):
    """`Matcher` with its queries in the compiled core, then in the Python slots (the reference)."""
    if request.param == "compiled core" and not NATIVE_CORE:
        pytest.skip("the compiled core is not built here (no C compiler at install)")
    return functools.partial(Matcher, native=request.param == "compiled core")

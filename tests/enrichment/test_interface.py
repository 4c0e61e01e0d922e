import os
import subprocess
import sys

import numpy as np
import pytest

from townsquare.enrichment import ENRICHERS, Enricher, Result, enrich_all, get_enricher
from townsquare.enrichment.features import FeatureConfig, Featurizer
from townsquare.enrichment.linear import LinearEnricher
from townsquare.enrichment.registry import ARTEFACTS

POSTS = [
    "@united my flight was cancelled and nobody will answer the phone. worst airline ever",
    "Thank you so much, the staff were lovely :)",
    "The meeting is at 3pm on Tuesday.",
    "Hoy hace un día precioso en Madrid, vamos a la playa con los amigos",
    "Le train est encore en retard ce matin, c'est vraiment insupportable",
    "you are a fucking idiot",
    "",
    "😀😀😀",
]

EXPECTED_LABELS = {
    "sentiment": {"negative", "neutral", "positive"},
    "complaint": {"complaint", "not_complaint"},
    "offensive": {"offensive", "not_offensive"},
}


def test_registry_has_the_four_tasks():
    assert set(ENRICHERS) == {"language", "sentiment", "complaint", "offensive"}
    with pytest.raises(KeyError, match="unknown enrichment task"):
        get_enricher("astrology")


@pytest.mark.parametrize("task", sorted(ENRICHERS))
def test_results_follow_the_interface(task):
    enricher = get_enricher(task)
    assert isinstance(enricher, Enricher)
    results = enricher.enrich_batch(POSTS)
    assert len(results) == len(POSTS)
    for r in results:
        assert isinstance(r, Result)
        assert 0.0 <= r.score <= 1.0
        assert r.model == task and r.version == enricher.version
        assert r.label in enricher.labels
    if task in EXPECTED_LABELS:
        assert set(enricher.labels) == EXPECTED_LABELS[task]
    else:
        assert all(len(label) == 2 or label == "und" for label in enricher.labels)


@pytest.mark.parametrize("task", sorted(ENRICHERS))
def test_batch_equals_single_and_is_deterministic(task):
    enricher = get_enricher(task)
    batch = enricher.enrich_batch(POSTS)
    single = [enricher.enrich_batch([p])[0] for p in POSTS]
    assert [r.label for r in batch] == [r.label for r in single]
    np.testing.assert_allclose([r.score for r in batch], [r.score for r in single], rtol=1e-5)
    assert enricher.enrich_batch(POSTS) == batch


def test_empty_batch():
    assert all(get_enricher(t).enrich_batch([]) == [] for t in ENRICHERS)
    assert enrich_all([]) == []


def test_enrich_all_matches_each_enricher():
    rows = enrich_all(POSTS)
    for task in ENRICHERS:
        assert [row[task] for row in rows] == get_enricher(task).enrich_batch(POSTS)


def test_obvious_cases():
    rows = enrich_all(POSTS)
    assert rows[0]["sentiment"].label == "negative"
    assert rows[0]["complaint"].label == "complaint"
    assert rows[1]["sentiment"].label == "positive"
    assert rows[5]["offensive"].label == "offensive"
    assert rows[2]["offensive"].label == "not_offensive"
    assert [rows[i]["language"].label for i in (0, 3, 4)] == ["en", "es", "fr"]
    assert rows[7]["language"].label == "und"


def test_featurizer_is_stateless_and_separates_posts():
    f = Featurizer(FeatureConfig(n_buckets=1 << 12))
    both = f.transform(["good morning", "terrible night"])
    first = f.transform(["good morning"])
    assert both.n_docs == 2
    mask = both.doc == 0
    assert sorted(both.col[mask].tolist()) == sorted(first.col.tolist())
    assert both.col.max() < f.config.dim


def test_feature_config_round_trips():
    cfg = FeatureConfig(n_buckets=1 << 10, char_max=4, word_weight=0.5)
    assert FeatureConfig.from_array(cfg.to_array()) == cfg


def test_artefacts_load_without_shared_data(tmp_path):
    # A fresh install has no ../shared: everything must come from the package itself.
    code = "from townsquare.enrichment import enrich_all; print(sorted(enrich_all(['thanks'])[0]))"
    env = {**os.environ, "TOWNSQUARE_SHARED_DATA": str(tmp_path / "absent")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['complaint', 'language', 'offensive', 'sentiment']"


def test_stacked_artefact_needs_its_upstream():
    with pytest.raises(ValueError, match="stacks on 'sentiment'"):
        LinearEnricher("complaint", ARTEFACTS / "complaint.npz")

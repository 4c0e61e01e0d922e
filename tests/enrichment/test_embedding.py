import numpy as np
import pytest

from townsquare.enrichment import embedding, get_enricher
from townsquare.enrichment.features import N_DENSE, FeatureConfig, Featurizer, normalise

POSTS = [
    "my flight was cancelled again",
    "",
    "thanks!",
    "\u2063\u2063",  # nothing the tokenizer keeps
    "a much longer post about the bins, the library, the swimming pool and the council tax bill",
]


def _by_hand(table: embedding.StaticEmbedding, text: str) -> np.ndarray:
    ids = [i for i in table.tokenizer.encode(text, add_special_tokens=False).ids if i != table.unk_id]
    if not ids:
        return np.zeros(table.dims, dtype=np.float32)
    mean = table.vectors[ids].mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_a_post_is_the_normalised_mean_of_its_subwords():
    table = embedding.shipped()
    rows = table.encode(POSTS)
    assert rows.shape == (len(POSTS), table.dims)
    for row, text in zip(rows, POSTS, strict=True):
        np.testing.assert_allclose(row, _by_hand(table, text), atol=1e-5)
    assert not rows[1].any() and not rows[3].any()
    np.testing.assert_allclose(np.linalg.norm(rows[[0, 2, 4]], axis=1), 1.0, rtol=1e-5)


def test_unknown_subwords_are_left_out():
    table = embedding.shipped()
    unknown = "\U0001d4e4\U0001d4f7"  # mathematical script letters: one [UNK] for the tokenizer
    assert table.tokenizer.encode(unknown, add_special_tokens=False).ids == [table.unk_id]
    np.testing.assert_allclose(table.encode([f"flight {unknown}"])[0], table.encode(["flight"])[0], atol=1e-6)


def test_the_block_follows_the_lexicon_columns():
    table = embedding.shipped()
    cfg = FeatureConfig(n_buckets=1 << 10, embedding_dims=table.dims)
    rows = Featurizer(cfg).transform(POSTS)
    start = cfg.n_buckets + N_DENSE
    block = np.zeros((len(POSTS), table.dims), dtype=np.float32)
    inside = rows.col >= start
    np.add.at(block, (rows.doc[inside], rows.col[inside] - start), rows.val[inside])
    np.testing.assert_allclose(block, table.encode([normalise(p) for p in POSTS]), atol=1e-6)
    assert rows.col.max() < cfg.dim == start + table.dims


def test_a_config_that_does_not_fit_the_table_is_refused():
    dims = embedding.shipped().dims
    wrong = FeatureConfig(n_buckets=1 << 10, embedding_dims=dims + 1)
    with pytest.raises(ValueError, match=f"embedding has {dims} dims, the config {dims + 1}"):
        Featurizer(wrong).transform(["hello"])


def test_save_and_load_round_trip(tmp_path):
    table = embedding.shipped()
    path = tmp_path / "table.npz"
    table.save(path)
    again = embedding.StaticEmbedding.load(path)
    np.testing.assert_array_equal(again.encode(POSTS), table.encode(POSTS))


def test_the_shipped_models_share_one_config_with_the_block():
    configs = {get_enricher(task).config for task in ("sentiment", "complaint", "offensive")}
    assert len(configs) == 1  # enrich_all featurises once
    assert configs.pop().embedding_dims == embedding.shipped().dims

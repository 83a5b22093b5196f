"""The representation stages give the same numbers when their layers are streamed (issue 15: no paper-plan job needs
more than 16 GB): each stage is run twice on the same small data and networks, once holding every layer whole and
once with every layer streamed — RDM-sample and sweep layers through temporary stores, the stored activations read
in blocks of one sample chunk and one channel chunk (thresholds of neuromotor.represent.blocks set to 0)."""

from __future__ import annotations

import numpy as np
import pytest

from neuromotor.io.store import open_store, read_arrays
from neuromotor.io.tables import read_tsv
from neuromotor.represent import blocks, rdm, stages
from neuromotor.represent.embedding import pca_scores_from_gram
from neuromotor.represent.plan import cka_comparisons
from neuromotor.represent.synthetic import write_synthetic_dataset
from tests.unit.test_represent_stages import CFG, write_model

MODELS = [("art", "trained"), ("art", "untrained"), ("tdt", "trained")]


def run_stages(root, dataset, out):
    """The network, units, CKA and sweep stages of family S on the dataset (model folders under ``root``)."""
    for task, state in MODELS:
        key = out / task / state
        model = {"task": task, "family": "S", "seed": 1, "state": state}
        stages.extract_network(
            dataset, root / "convnets" / task, model=model, activations_cfg=CFG["activations"], rdm_cfg=CFG["rdm"],
            device="cpu", out_activations=key / "activations.zarr", out_rdm_table=key / "rdm.tsv",
            out_rdm_store=key / "rdm.zarr",
        )  # fmt: skip
        stages.analyse_units(
            key / "activations.zarr", **{f"{k}_cfg": CFG[k] for k in ("tuning", "pd", "invariance", "decoding")},
            tsne_cfg={**CFG["tsne"], "enabled": False}, out_units=key / "units.zarr", out_units_table=key / "units.tsv",
            out_pd=key / "pd.tsv", out_invariance=key / "invariance.tsv", out_decoding=key / "decoding.tsv",
            out_tsne=key / "tsne.zarr",
        )  # fmt: skip
    stages.compare_cka(
        {m: out / m[0] / m[1] / "activations.zarr" for m in MODELS}, {"art": "S", "tdt": "S"},
        [c for c in cka_comparisons(["art", "tdt"], ["trained", "untrained"]) if set(c) <= set(MODELS)],
        family="S", seed=1, cka_cfg=CFG["cka"], out_table=out / "cka.tsv", out_store=out / "cka.zarr",
    )  # fmt: skip
    stages.sweep_cka(
        dataset, root / "convnets/art", root / "convnets/tdt", family="S", configuration="config_S",
        input_key="spindle_info", activations_cfg=CFG["activations"], device="cpu", out_table=out / "sweep.tsv",
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("streaming")
    dataset = root / "dataset.zarr"
    write_synthetic_dataset(dataset, n_train=80, n_test=120, labels=range(1, 5))
    for task in ("art", "tdt"):
        write_model(root / "convnets" / task, "S", task, 1)
    run_stages(root, dataset, root / "whole")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("STREAM_BYTES", "BLOCK_BYTES"):
            patch.setattr(blocks, name, 0)
        patch.setattr(blocks, "CHUNK_BYTES", 1)  # chunks of one channel: blocks of one channel
        patch.setattr(stages, "LAYER_CACHE_BYTES", 0)
        run_stages(root, dataset, root / "streamed")
    return root


def as_text(rows):
    """Rows with every value as its repr (NaN equal to NaN, floats compared to the last bit)."""
    return [{k: repr(v) for k, v in r.items()} for r in rows]


def numeric_columns(rows):
    names = [k for k in rows[0] if all(_is_number(r[k]) for r in rows)]
    return np.array([[float(r[k]) for k in names] for r in rows]), names


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("table", ["art/trained/rdm.tsv", "art/untrained/rdm.tsv", "tdt/trained/rdm.tsv",
                                   "cka.tsv", "sweep.tsv"])  # fmt: skip
def test_gram_based_tables_are_identical_streamed(runs, table):
    """RDMs and CKA accumulate the same column chunks in the same order: equal bit for bit."""
    assert as_text(read_tsv(runs / "whole" / table)) == as_text(read_tsv(runs / "streamed" / table))


def test_streamed_stores_are_chunked_by_channel_and_hold_the_same_activations(runs):
    whole = open_store(runs / "whole/art/trained/activations.zarr")["activations"]
    streamed = open_store(runs / "streamed/art/trained/activations.zarr")["activations"]
    layer = streamed["layer_1"]
    assert layer.chunks[1] == 1 and layer.chunks[0] == CFG["activations"]["batch_size"]
    for k in range(5):
        np.testing.assert_array_equal(whole[f"layer_{k}"][...], streamed[f"layer_{k}"][...])
    assert not list(runs.rglob(".layer_*")), "temporary layer stores left behind"


@pytest.mark.parametrize("state", ["art/trained", "art/untrained", "tdt/trained"])
@pytest.mark.parametrize("table", ["units.tsv", "pd.tsv", "invariance.tsv", "decoding.tsv"])
def test_unit_tables_are_the_same_streamed(runs, state, table):
    """Tuning, preferred directions and invariance are fitted per unit (blocks of units: equal to rounding) and
    decoding from sums over sample blocks (equal to rounding); counts and labels exactly."""
    whole, streamed = read_tsv(runs / "whole" / state / table), read_tsv(runs / "streamed" / state / table)
    assert len(whole) == len(streamed) > 0
    a, names = numeric_columns(whole)
    b, names_b = numeric_columns(streamed)
    assert names == names_b
    np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10, equal_nan=True)
    assert [{k: v for k, v in r.items() if k not in names} for r in whole] == [
        {k: v for k, v in r.items() if k not in names} for r in streamed
    ]


def test_units_store_is_the_same_streamed(runs):
    whole = read_arrays(runs / "whole/art/trained/units.zarr", "horall")
    streamed = read_arrays(runs / "streamed/art/trained/units.zarr", "horall")
    assert whole.keys() == streamed.keys()
    for name in whole:
        np.testing.assert_allclose(streamed[name], whole[name], rtol=1e-8, atol=1e-10, equal_nan=True, err_msg=name)


def test_column_chunks_of_a_store_equal_those_in_memory(tmp_path):
    import zarr

    x = np.random.default_rng(1).standard_normal((23, 7, 5, 13)).astype(np.float32)
    root = zarr.open_group(store=str(tmp_path / "x.zarr"), mode="w", zarr_format=3)
    array = root.create_array("x", shape=x.shape, dtype=np.float32, chunks=(10, 2, 5, 13))
    array[...] = x
    for chunk in (1, 64, 100, 455, 5000):
        whole = list(blocks.column_chunks(x, chunk))
        streamed = list(blocks.column_chunks(array, chunk, block_bytes=1))
        assert [c.shape for c in whole] == [c.shape for c in streamed]
        for a, b in zip(whole, streamed):
            np.testing.assert_array_equal(a, b)
    for center in ("rows", "columns", None):
        np.testing.assert_array_equal(rdm.gram_matrix(array, center, chunk=100), rdm.gram_matrix(x, center, chunk=100))
    rows = np.array([0, 3, 4, 11, 22])
    np.testing.assert_array_equal(rdm.gram_matrix(blocks.select_rows(array, rows), "columns"),
                                  rdm.gram_matrix(x[rows], "columns"))  # fmt: skip
    per_row, per_channel = 4 * 7 * 5 * 13, 4 * 23 * 5 * 13
    # blocks spanning a chunk are aligned with the chunks (10 samples, 2 channels), smaller ones are not
    assert [(r0, r1) for r0, r1, _ in blocks.row_blocks(array, 15 * per_row)] == [(0, 10), (10, 20), (20, 23)]
    assert [(r0, r1) for r0, r1, _ in blocks.row_blocks(array, 8 * per_row)] == [(0, 8), (8, 16), (16, 23)]
    assert [(c0, c1) for c0, c1, _ in blocks.channel_blocks(array, 3 * per_channel)] == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert [(c0, c1) for c0, c1, _ in blocks.channel_blocks(array, 1)] == [(c, c + 1) for c in range(7)]
    for c0, c1, values in blocks.channel_blocks(x, 3 * per_channel):  # in memory: views of 3 channels
        np.testing.assert_array_equal(values, x[:, c0:c1])
        assert c1 - c0 == 3 or c1 == 7


def test_pca_from_the_gram_is_the_exact_pca():
    """The stored layers' tSNE input: PCA scores from the column-centred Gram = scikit-learn's exact PCA up to the
    sign of each component."""
    from sklearn.decomposition import PCA

    x = np.random.default_rng(2).standard_normal((40, 300)) @ np.diag(np.linspace(3, 0.1, 300))
    expected = PCA(n_components=5, svd_solver="full").fit_transform(x)
    scores = pca_scores_from_gram(rdm.gram_matrix(x, "columns"), 5)
    np.testing.assert_allclose(np.abs(scores), np.abs(expected), rtol=1e-8, atol=1e-9)
    assert np.all(np.abs(scores).argmax(axis=0) == np.argmax(scores, axis=0))  # largest magnitude positive

"""The SVM stages on a small generated dataset: accuracies against direct LinearSVC fits, trivially separable classes,
subset bookkeeping, voting, job-split independence, the liblinear solver and pairs without a classifier."""

from __future__ import annotations

import copy
import functools
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from neuromotor.io.store import open_store, read_arrays
from neuromotor.io.tables import read_tsv
from neuromotor.svm import solver, stages
from neuromotor.svm.data import chunk_pairs, fit_val_split, label_pairs, read_split, variant_subsets
from neuromotor.svm.synthetic import synthetic_split, write_synthetic_dataset
from neuromotor.svm.vote import ovo_predict

LABELS = [1, 2, 3, 4]
PAIRS = label_pairs(LABELS)
INPUTS = ["endeffector_coords", "muscle_coords"]
VALUES = {"plane": ["horizontal", "vertical"], "size": [0.7, 1.0, 1.3], "speed": [0.8, 1.0, 1.2, 1.4]}
SVM = {
    "C_grid": [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0],
    "fit_fraction": 0.9,
    "refit": False,
    "intercept_scaling": 1.0,
    "solver": "exact",
    "exact": {"tol": 1e-6, "max_iter": 300, "gram_limit": 4000},
    "liblinear": {"tol": 1e-4, "max_iter": 1000, "random_state": 0},
    "suppressed": ["plane", "size", "speed", "size_plane"],
}
OUTPUTS = ("pairwise", "multiclass", "summary", "decisions")


def run_stages(dataset, out, svm=SVM, pairs_per_job=len(PAIRS), inputs=INPUTS, variants=("full", "suppressed")):
    """Every SVM stage through the library, as the workflow chains them; returns the output paths."""
    out.mkdir(parents=True, exist_ok=True)
    tables, weights = [], []
    for name in inputs:
        features = out / f"features_{name}.zarr"
        stages.make_features(dataset, name, features)
        for variant in variants:
            for k, chunk in enumerate(chunk_pairs(PAIRS, pairs_per_job)):
                tables.append(out / f"{name}_{variant}_{k:03d}.tsv")
                weights.append(out / f"{name}_{variant}_{k:03d}.zarr")
                stages.fit_chunk(features, variant=variant, pairs=chunk, svm_cfg=svm, latent_values=VALUES,
                                 out_table=tables[-1], out_weights=weights[-1])  # fmt: skip
    paths = {"pairwise": out / "pairwise.tsv", "multiclass": out / "multiclass.tsv", "summary": out / "summary.tsv",
             "decisions": out / "decisions.zarr"}  # fmt: skip
    stages.evaluate(
        dataset, tables=tables, weights=weights, inputs=inputs, variants=list(variants), pairs=PAIRS,
        suppressed=svm["suppressed"], latent_values=VALUES, **{f"out_{key}": paths[key] for key in OUTPUTS},
    )  # fmt: skip
    return paths


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("svm") / "dataset.zarr"
    write_synthetic_dataset(path, LABELS, 48, 24, time_steps=8, seed=11)
    return path


@pytest.fixture(scope="module")
def results(dataset, tmp_path_factory):
    return run_stages(dataset, tmp_path_factory.mktemp("svm_results"))


def rows_of(path, **match):
    rows = read_tsv(path)
    return [row for row in rows if all(row[key] == value for key, value in match.items())]


def pair_samples(split, pair, subset=None):
    keep = np.isin(split["label"], pair)
    if subset is not None:
        keep &= subset.mask(split)
    return split["X"][keep], split["label"][keep]


@pytest.mark.parametrize("name", INPUTS)
def test_accuracies_equal_a_direct_linearsvc_fit_of_the_same_pair_and_C(dataset, results, name):
    train, test = read_split(dataset, "train", name), read_split(dataset, "test", name)
    compared = 0
    for row in rows_of(results["pairwise"], input=name, variant="full"):
        pair = (row["i"], row["j"])
        X, y = pair_samples(train, pair)
        n_fit = fit_val_split(len(y), 0.9)
        assert (row["n_fit"], row["n_val"]) == (n_fit, len(y) - n_fit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LinearSVC(loss="hinge", dual=True, C=row["C"], random_state=0).fit(X[:n_fit], y[:n_fit])
        if model.n_iter_ >= 1000:
            continue
        compared += 1
        X_test, y_test = pair_samples(test, pair)
        assert row["n_test"] == len(y_test)
        assert abs(row["test_acc"] - model.score(X_test, y_test)) <= 0.01, pair
        assert abs(row["val_acc"] - model.score(X[n_fit:], y[n_fit:])) <= 0.01, pair
    assert compared >= len(PAIRS) - 1


def test_trivially_separable_classes_reach_100_percent(tmp_path):
    path = tmp_path / "dataset.zarr"
    write_synthetic_dataset(path, LABELS, 48, 24, time_steps=8, separable=[4], seed=11)  # 4 apart by construction
    results = run_stages(path, tmp_path / "out", inputs=["joint_coords"])
    separable = [row for row in read_tsv(results["pairwise"]) if 4 in (row["i"], row["j"])]
    assert len(separable) == 3 * 16
    for row in separable:
        if row["n_test"]:
            assert row["test_acc"] == 1.0, row
        if row["n_val"]:
            assert row["val_acc"] == 1.0, row
    others = [row["test_acc"] for row in rows_of(results["pairwise"], variant="full") if 4 not in (row["i"], row["j"])]
    assert 0.5 < np.mean(others) < 1.0  # the other pairs are separable only in part


def test_every_row_counts_exactly_its_subset_samples(dataset, results):
    name = "endeffector_coords"
    train, test = read_split(dataset, "train", name), read_split(dataset, "test", name)
    pairwise = rows_of(results["pairwise"], input=name)
    multiclass = rows_of(results["multiclass"], input=name)
    subsets = [*variant_subsets("full", [], VALUES), *variant_subsets("suppressed", SVM["suppressed"], VALUES)]
    assert len(pairwise) == len(subsets) * len(PAIRS) and len(multiclass) == len(subsets)
    for subset in subsets:
        for pair in PAIRS:
            (row,) = [r for r in pairwise if r["subset"] == subset.name and (r["i"], r["j"]) == pair]
            assert row["n_fit"] + row["n_val"] == len(pair_samples(train, pair, subset)[1])
            assert row["n_test"] == len(pair_samples(test, pair, subset)[1])
            assert row["C"] in SVM["C_grid"] and 0 <= row["test_acc"] <= 1
        (row,) = [r for r in multiclass if r["subset"] == subset.name]
        assert row["n_test"] == subset.mask(test).sum()


def test_multiclass_accuracy_is_the_vote_of_the_stored_decisions(results):
    root = open_store(results["decisions"])
    assert [tuple(p) for p in root.attrs["pairs"]] == PAIRS
    multiclass = read_tsv(results["multiclass"])
    for row in multiclass:
        groups = [g for name, g in root[row["input"]].groups() if g.attrs["subset"] == row["subset"]]
        (group,) = [g for g in groups if g.attrs["variant"] == row["variant"]]
        decisions, labels = group["decision"][...], group["label"][...]
        predictions = ovo_predict(decisions, PAIRS, LABELS)
        assert row["multiclass_acc"] == pytest.approx(np.mean(predictions == labels), abs=1e-6)
    summary = read_tsv(results["summary"])
    for row in summary:
        key = (row["input"], row["suppressed"])
        values = [r["multiclass_acc"] for r in multiclass if (r["input"], r["suppressed"]) == key]
        assert row["n_subsets"] == len(values) and row["multiclass_acc"] == pytest.approx(np.mean(values), abs=1e-6)
    assert {row["suppressed"] for row in summary} == {"none", "plane", "size", "speed", "size_plane"}


def test_results_do_not_depend_on_how_pairs_are_split_into_jobs(dataset, results, tmp_path):
    split = run_stages(dataset, tmp_path / "one_pair_per_job", pairs_per_job=1)
    for key in ("pairwise", "multiclass", "summary"):
        assert split[key].read_text() == results[key].read_text(), key
    reference, other = open_store(results["decisions"]), open_store(split["decisions"])
    for name, group in reference["endeffector_coords"].groups():
        np.testing.assert_array_equal(group["decision"][...], other["endeffector_coords"][name]["decision"][...])


def test_the_liblinear_solver_agrees_where_liblinear_converges(dataset, results, tmp_path):
    svm = copy.deepcopy(SVM) | {"solver": "liblinear", "C_grid": [1e-3, 1e-2, 1e-1]}
    one = {"inputs": ["endeffector_coords"], "variants": ["full"]}
    exact = run_stages(dataset, tmp_path / "exact", svm=svm | {"solver": "exact"}, **one)
    lib = run_stages(dataset, tmp_path / "lib", svm=svm, **one)
    for a, b in zip(read_tsv(exact["pairwise"]), read_tsv(lib["pairwise"])):
        assert b["converged"]
        assert a["C"] == b["C"] and abs(a["test_acc"] - b["test_acc"]) <= 0.01


def test_pairs_whose_fit_set_lacks_a_label_have_no_classifier(tmp_path):
    path = tmp_path / "dataset.zarr"
    groups = {split: synthetic_split(LABELS, 30, seed=5, split=k) for k, split in enumerate(("train", "test"))}
    for data in groups.values():
        data["plane"] = np.where(data["label"] == 3, "vertical", data["plane"])  # no horizontal 3
    from neuromotor.io.store import write_arrays

    write_arrays(path, groups)
    out = run_stages(path, tmp_path / "out", inputs=["joint_coords"], variants=["suppressed"])
    for row in rows_of(out["pairwise"], subset="plane=horizontal"):
        assert np.isnan(row["C"]) == (3 in (row["i"], row["j"]))
    (row,) = rows_of(out["multiclass"], subset="plane=horizontal")
    assert row["n_unfitted"] == 3 and 0 < row["multiclass_acc"] <= 1
    weights = read_arrays(tmp_path / "out" / "joint_coords_suppressed_000.zarr")
    assert np.isnan(weights["w"]).any(axis=1).sum() == 3 * 4  # plane=horizontal and size=*,plane=horizontal


def test_refit_uses_the_fit_and_validation_samples(dataset, results, tmp_path):
    svm = SVM | {"refit": True}
    refit = run_stages(dataset, tmp_path / "refit", svm=svm, inputs=["muscle_coords"], variants=["full"])
    plain = rows_of(results["pairwise"], input="muscle_coords", variant="full")
    for a, b in zip(plain, read_tsv(refit["pairwise"])):
        assert (a["C"], a["val_acc"], a["n_fit"]) == (b["C"], b["val_acc"], b["n_fit"])  # same choice of C
    w_plain = read_arrays(results["pairwise"].parent / "muscle_coords_full_000.zarr")["w"]
    w_refit = read_arrays(tmp_path / "refit" / "muscle_coords_full_000.zarr")["w"]
    assert not np.allclose(w_plain, w_refit)


def test_fits_that_cannot_be_certified_say_so_in_the_tables(dataset, tmp_path):
    svm = copy.deepcopy(SVM)
    # one projected Newton iteration per C (after the interior point) towards a certificate below rounding level
    svm["exact"] |= {"max_iter": 1, "tol": 1e-15}
    paths = run_stages(dataset, tmp_path / "capped", svm=svm, inputs=["muscle_coords"], variants=["full"])
    rows = read_tsv(paths["pairwise"])
    flagged = [row for row in rows if not row["converged"]]
    assert flagged, "a one-iteration solve certified every fit"
    assert all(row["kkt"] <= 1e-15 for row in rows if row["converged"])
    # 'converged' covers the whole C grid ('kkt' is the violation at C*)


def test_uncertified_working_set_fits_say_so_in_the_tables(dataset, tmp_path, monkeypatch):
    """The solver of the paper-size pairs (working set, above 2,000 samples; here above 20) flags what it cannot
    certify: converged = false for the fit, with its KKT violation at C*, and the table says so after evaluation."""
    monkeypatch.setattr(stages, "svm_path", functools.partial(solver.svm_path, working_set_from=20))
    svm = copy.deepcopy(SVM)
    svm["exact"] |= {"max_iter": 1, "tol": 1e-15}
    paths = run_stages(dataset, tmp_path / "capped", svm=svm, inputs=["muscle_coords"], variants=["full"])
    rows = read_tsv(paths["pairwise"])
    assert all(row["n_fit"] > 20 for row in rows)  # every fit went through the working-set solver
    flagged = [row for row in rows if not row["converged"]]
    assert flagged, "one outer working-set iteration certified every fit"
    assert all(row["kkt"] <= 1e-15 for row in rows if row["converged"])

"""The SVM workflow stages: config sections and paths in, files out (Sandbrink et al. 2023, Figures 3B and 3C).

1. :func:`make_features` — one input's training samples grouped by label (``results/svm/features/<input>.zarr``).
2. :func:`fit_chunk` — one job: for its pairs and every subset of its data variant, fit the whole C grid on the
   first 90 % of the pair's samples, choose C* on the last 10 %, keep the final classifier. Writes a partial table
   (no test accuracy) and the classifiers' weights. The test split is never read here.
3. :func:`evaluate` — every classifier on the test split: pairwise test accuracies, one-vs-one multiclass accuracy
   per (input, subset), the summary per suppressed variable, and the decision values for re-voting.

Every output is written atomically. Results depend only on the config and the data, never on how pairs are split
into jobs: each pair is fitted by the same computation whatever else shares its job.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.io.store import open_store, write_arrays
from neuromotor.svm.data import (
    LATENTS,
    FeatureStore,
    Subset,
    fit_val_split,
    read_split,
    variant_subsets,
    write_feature_store,
)
from neuromotor.svm.solver import FeatureGram, GramMatrix, gram_matrix, liblinear_path, svm_path
from neuromotor.svm.vote import ovo_predict

log = logging.getLogger(__name__)

FIT_COLUMNS = (
    "input", "variant", "suppressed", "subset", "i", "j", "C", "val_acc", "n_fit", "n_val", "n_sv", "iterations",
    "kkt", "converged", "val_acc_by_C",
)  # fmt: skip
"""Columns of a job's partial table (one row per subset and pair)."""

PAIRWISE_COLUMNS = (
    "input", "variant", "suppressed", "subset", "i", "j", "C", "val_acc", "test_acc", "n_fit", "n_val", "n_test",
    "n_sv", "iterations", "kkt", "converged", "val_acc_by_C",
)  # fmt: skip
MULTICLASS_COLUMNS = (
    "input", "variant", "suppressed", "subset", "n_test", "n_classes", "n_pairs", "n_unfitted", "multiclass_acc",
    "mean_pairwise_acc",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "input", "suppressed", "n_subsets", "multiclass_acc", "mean_pairwise_acc", "min_pairwise_acc", "best_subset",
    "best_multiclass_acc",
)  # fmt: skip
TABLE_FLOAT_FORMATS = {
    "C": ".4g", "kkt": ".4g",
    **dict.fromkeys(
        ("val_acc", "test_acc", "multiclass_acc", "mean_pairwise_acc", "min_pairwise_acc", "best_multiclass_acc"),
        ".6f",
    ),
}  # fmt: skip
"""How the SVM tables print their floats: accuracies with 6 decimals, C and the KKT violation with 4 digits."""


# ---------------------------------------------------------------------------------------------------------------
# stage 1: feature stores


def make_features(dataset: str | Path, input_name: str, out: str | Path) -> None:
    """Stage 1: the training samples of ``input_name`` grouped by label (see :func:`write_feature_store`)."""
    started = time.perf_counter()
    write_feature_store(dataset, input_name, out)
    store = FeatureStore(out)
    elapsed = time.perf_counter() - started
    log.info("%s: %d features, labels %s, %.1f s", input_name, store.n_features, store.labels(), elapsed)


# ---------------------------------------------------------------------------------------------------------------
# stage 2: one job's pairs


@dataclass(frozen=True)
class FitSettings:
    """The fitting part of the ``svm`` config section."""

    C_grid: tuple[float, ...]
    fit_fraction: float = 0.9
    refit: bool = False
    intercept_scaling: float = 1.0
    solver: str = "exact"
    tol: float = 1e-6
    max_iter: int = 300
    gram_limit: int = 4000
    liblinear_tol: float = 1e-4
    liblinear_max_iter: int = 1000
    random_state: int = 0

    @classmethod
    def from_config(cls, svm_cfg: Mapping) -> "FitSettings":
        """From the ``svm`` config section; only the active solver's settings (``exact`` or ``liblinear``) are
        needed."""
        solver = str(svm_cfg["solver"])
        if solver not in svm_cfg:
            raise KeyError(f"svm settings: solver {solver!r} without its section {solver!r}")
        extra = {}
        if "exact" in svm_cfg:
            exact = svm_cfg["exact"]
            extra |= {"tol": float(exact["tol"]), "max_iter": int(exact["max_iter"]),
                      "gram_limit": int(exact["gram_limit"])}  # fmt: skip
        if "liblinear" in svm_cfg:
            lib = svm_cfg["liblinear"]
            extra |= {"liblinear_tol": float(lib["tol"]), "liblinear_max_iter": int(lib["max_iter"]),
                      "random_state": int(lib["random_state"])}  # fmt: skip
        return cls(
            C_grid=tuple(float(c) for c in svm_cfg["C_grid"]),
            fit_fraction=float(svm_cfg["fit_fraction"]),
            refit=bool(svm_cfg["refit"]),
            intercept_scaling=float(svm_cfg["intercept_scaling"]),
            solver=solver,
            **extra,
        )


@dataclass(frozen=True)
class PairFit:
    """The final classifier of one pair and subset, and how it was chosen.

    ``w`` (D,) and ``b`` give the decision ``w.x + b`` (> 0: label j); NaN when the fit set lacks one of the labels.
    """

    C: float
    val_acc: float
    val_acc_by_C: np.ndarray
    n_fit: int
    n_val: int
    n_sv: int
    iterations: int
    kkt: float
    converged: bool
    w: np.ndarray
    b: float

    @property
    def fitted(self) -> bool:
        return not math.isnan(self.C)


def _accuracy(decisions: np.ndarray, positive: np.ndarray) -> float:
    """Fraction of ``decisions > 0`` that match ``positive`` (NaN without samples)."""
    if len(positive) == 0:
        return float("nan")
    return float(np.mean((decisions > 0) == positive))


def _exact_fit(X, K, fit, positive, settings: FitSettings, Cs):
    """Dual path on the samples ``fit``; returns (coefficients alpha*y (n_C, n_fit), path)."""
    y = np.where(positive[fit], 1.0, -1.0)
    gram = GramMatrix(K[np.ix_(fit, fit)]) if K is not None else FeatureGram(X[fit])
    path = svm_path(
        gram, y, Cs, intercept_scaling=settings.intercept_scaling, tol=settings.tol,
        max_iter=settings.max_iter, gram_limit=settings.gram_limit,
    )  # fmt: skip
    return path.alpha * y, path


def _decisions(X, K, rows, fit, coefficients, s2):
    """Decision values (n_rows, n_C) of the dual solutions ``coefficients`` (n_C, n_fit) on the samples ``rows``."""
    if K is not None:
        return K[np.ix_(rows, fit)] @ coefficients.T + s2 * coefficients.sum(axis=1)
    W = X[fit].astype(np.float64).T @ coefficients.T
    return X[rows].astype(np.float64) @ W + s2 * coefficients.sum(axis=1)


def fit_pair(
    X: np.ndarray, positive: np.ndarray, selected: np.ndarray, settings: FitSettings, K: np.ndarray | None = None
) -> PairFit:
    """Fit one pair on one subset (Sandbrink et al. 2023, Methods).

    Parameters
    ----------
    X : (n, D) features of the pair's training samples, in file order.
    positive : (n,) bool, True for the larger label j.
    selected : (n,) bool, the samples of the subset.
    K : (n, n) float64 Gram matrix of ``X`` (optional, exact solver: computed once per pair and sliced per subset).
    """
    Cs = np.asarray(settings.C_grid, dtype=np.float64)
    rows = np.flatnonzero(selected)
    n_fit = fit_val_split(len(rows), settings.fit_fraction)
    fit, val = rows[:n_fit], rows[n_fit:]
    nan_row = np.full(len(Cs), np.nan)
    if len(np.unique(positive[fit])) < 2:
        return PairFit(float("nan"), float("nan"), nan_row, n_fit, len(val), 0, 0, float("nan"), False,
                       np.full(X.shape[1], np.nan), float("nan"))  # fmt: skip
    s2 = settings.intercept_scaling**2
    if settings.solver == "exact":
        coefficients, path = _exact_fit(X, K, fit, positive, settings, Cs)
        val_decisions = _decisions(X, K, val, fit, coefficients, s2)
        iterations, converged = int(path.iterations.sum()), bool(path.converged.all())
    else:
        y = np.where(positive[fit], 1.0, -1.0)
        lib = liblinear_path(
            X[fit], y, Cs, intercept_scaling=settings.intercept_scaling, tol=settings.liblinear_tol,
            max_iter=settings.liblinear_max_iter, random_state=settings.random_state,
        )  # fmt: skip
        val_decisions = X[val].astype(np.float64) @ lib.w.T + lib.b
        iterations, converged = int(lib.iterations.sum()), bool(lib.converged.all())
    val_acc = np.array([_accuracy(val_decisions[:, k], positive[val]) for k in range(len(Cs))])
    best = 0 if np.isnan(val_acc).all() else int(np.nanargmax(val_acc))  # first maximum: the smaller C on ties
    C = float(Cs[best])
    final = np.concatenate([fit, val]) if settings.refit else fit
    if settings.solver == "exact":
        if settings.refit:
            coefficients, refit_path = _exact_fit(X, K, final, positive, settings, [C])
            coefficient, kkt = coefficients[0], float(refit_path.kkt[0])
            iterations += int(refit_path.iterations.sum())
            converged &= bool(refit_path.converged.all())
        else:
            coefficient, kkt = coefficients[best], float(path.kkt[best])
        w = X[final].astype(np.float64).T @ coefficient
        b = s2 * float(coefficient.sum())
        n_sv = int(np.count_nonzero(coefficient))
    else:
        if settings.refit:
            y = np.where(positive[final], 1.0, -1.0)
            lib = liblinear_path(
                X[final], y, [C], intercept_scaling=settings.intercept_scaling, tol=settings.liblinear_tol,
                max_iter=settings.liblinear_max_iter, random_state=settings.random_state,
            )  # fmt: skip
            w, b = lib.w[0], float(lib.b[0])
        else:
            w, b = lib.w[best], float(lib.b[best])
        decision = X[final].astype(np.float64) @ w + b
        margins = np.where(positive[final], 1.0, -1.0) * decision
        n_sv, kkt = int(np.count_nonzero(margins <= 1.0)), float("nan")
    return PairFit(C, float(val_acc[best]), val_acc, n_fit, len(val), n_sv, iterations, kkt, converged, w, b)


def fit_chunk(
    features: str | Path,
    *,
    variant: str,
    pairs: Sequence[Sequence[int]],
    svm_cfg: Mapping,
    latent_values: Mapping[str, Sequence],
    out_table: str | Path,
    out_weights: str | Path,
) -> None:
    """Stage 2: fit ``pairs`` on every subset of ``variant``; write the partial table and the final classifiers.

    ``latent_values`` holds the plane, size and speed values of the dataset (from the PCRT config).
    """
    started = time.perf_counter()
    settings = FitSettings.from_config(svm_cfg)
    pairs = [(int(i), int(j)) for i, j in pairs]
    for i, j in pairs:
        if not i < j:
            raise ValueError(f"pair {(i, j)}: expected labels i < j")
    store = FeatureStore(features)
    subsets = variant_subsets(variant, svm_cfg.get("suppressed", ()), latent_values)
    data = store.read(sorted({label for pair in pairs for label in pair}))
    rows, weights, biases = [], [], []
    not_converged = unfitted = 0
    for i, j in pairs:
        in_pair = np.flatnonzero((data["label"] == i) | (data["label"] == j))
        X = data["X"][in_pair]
        latents = {name: data[name][in_pair] for name in LATENTS}
        K = None
        if settings.solver == "exact" and len(in_pair) <= settings.gram_limit:
            K = gram_matrix(X)
        for subset in subsets:
            result = fit_pair(X, latents["label"] == j, subset.mask(latents), settings, K)
            if not result.fitted:
                unfitted += 1
                log.warning(
                    "%s %s, pair (%d, %d): the fit set (%d samples) lacks one of the labels; no classifier",
                    store.input, subset.name, i, j, result.n_fit,
                )  # fmt: skip
            elif not result.converged:
                not_converged += 1
            rows.append(_fit_row(store.input, subset, i, j, result))
            weights.append(result.w)
            biases.append(result.b)
        log.debug("pair (%d, %d) done after %.1f s", i, j, time.perf_counter() - started)
    if not_converged:
        log.warning(
            "%d of %d fits did not reach the tolerance (solver %s); see the 'converged' and 'kkt' columns",
            not_converged, len(rows), settings.solver,
        )  # fmt: skip
    write_arrays(
        out_weights,
        {"": {"w": np.asarray(weights, dtype=np.float64).reshape(len(rows), store.n_features),
              "b": np.asarray(biases, dtype=np.float64)}},
        attrs={"input": store.input, "variant": variant, "pairs": [list(p) for p in pairs],
               "rows": [[row["subset"], row["i"], row["j"]] for row in rows]},
        array_attrs={"w": {"axes": ["row", "feature"], "meaning": "decision = w.x + b; > 0 means label j"}},
    )  # fmt: skip
    write_tsv(out_table, rows, FIT_COLUMNS, TABLE_FLOAT_FORMATS)
    log.info(
        "%s %s: %d pairs x %d subsets in %.1f s (%d without classifier, %d not converged)",
        store.input, variant, len(pairs), len(subsets), time.perf_counter() - started, unfitted, not_converged,
    )  # fmt: skip


def _fit_row(input_name: str, subset: Subset, i: int, j: int, result: PairFit) -> dict:
    return {
        "input": input_name, "variant": subset.variant, "suppressed": subset.suppressed, "subset": subset.name,
        "i": i, "j": j, "C": result.C, "val_acc": result.val_acc, "n_fit": result.n_fit, "n_val": result.n_val,
        "n_sv": result.n_sv, "iterations": result.iterations, "kkt": result.kkt, "converged": result.converged,
        "val_acc_by_C": ",".join("nan" if math.isnan(v) else f"{v:.4f}" for v in result.val_acc_by_C),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# stage 3: evaluation on the test split


def _read_parts(tables: Sequence[str | Path], weights: Sequence[str | Path]) -> dict:
    """{(input, variant, subset, i, j): (row, w, b)} from the jobs' partial tables and weight stores."""
    if len(tables) != len(weights):
        raise ValueError(f"evaluate: {len(tables)} partial tables but {len(weights)} weight stores")
    fits = {}
    for table, store in zip(tables, weights):
        rows = read_tsv(table, FIT_COLUMNS)
        root = open_store(store)
        w, b = np.asarray(root["w"][...]), np.asarray(root["b"][...])
        if len(rows) != len(w) or len(rows) != len(b):
            raise DataFormatError(f"{store}: {len(w)} classifiers but {table} has {len(rows)} rows")
        for k, row in enumerate(rows):
            key = (row["input"], row["variant"], row["subset"], row["i"], row["j"])
            if key in fits:
                raise DataFormatError(f"{table}: row {key} also appears in another partial table")
            fits[key] = (row, w[k], float(b[k]))
    return fits


def _decision_values(X: np.ndarray, W: np.ndarray, b: np.ndarray, block: int = 4096) -> np.ndarray:
    """X W' + b in float64, in row blocks (bounded memory)."""
    out = np.empty((X.shape[0], W.shape[0]))
    for start in range(0, X.shape[0], block):
        out[start : start + block] = X[start : start + block].astype(np.float64) @ W.T + b
    return out


def evaluate(
    dataset: str | Path,
    *,
    tables: Sequence[str | Path],
    weights: Sequence[str | Path],
    inputs: Sequence[str],
    variants: Sequence[str],
    pairs: Sequence[Sequence[int]],
    suppressed: Sequence[str],
    latent_values: Mapping[str, Sequence],
    out_pairwise: str | Path,
    out_multiclass: str | Path,
    out_summary: str | Path,
    out_decisions: str | Path,
) -> None:
    """Stage 3: test accuracies, one-vs-one multiclass accuracies, the summary and the decision values."""
    started = time.perf_counter()
    pairs = [(int(i), int(j)) for i, j in pairs]
    classes = sorted({label for pair in pairs for label in pair})
    fits = _read_parts(tables, weights)
    pairwise, multiclass, groups = [], [], {}
    for input_name in inputs:
        test = read_split(dataset, "test", input_name)
        unknown = sorted(set(np.unique(test["label"]).tolist()) - set(classes))
        if unknown:
            raise DataFormatError(f"{dataset}: test labels {unknown} are not among the configured labels {classes}")
        for variant in variants:
            for k, subset in enumerate(variant_subsets(variant, suppressed, latent_values)):
                entries = []
                for i, j in pairs:
                    key = (input_name, variant, subset.name, i, j)
                    if key not in fits:
                        raise DataFormatError(f"no classifier for {key} in the partial tables {list(map(str, tables))}")
                    entries.append(fits[key])
                W = np.stack([entry[1] for entry in entries])
                if W.shape[1] != test["X"].shape[1]:
                    raise DataFormatError(
                        f"{dataset}: {input_name!r} has {test['X'].shape[1]} features, the classifiers {W.shape[1]}"
                    )
                b = np.array([entry[2] for entry in entries])
                mask = subset.mask(test)
                labels = test["label"][mask]
                decisions = _decision_values(test["X"][mask], W, b)
                accuracies = []
                for p, ((i, j), (row, _, _)) in enumerate(zip(pairs, entries)):
                    in_pair = (labels == i) | (labels == j)
                    fitted = not math.isnan(row["C"])
                    accuracy = _accuracy(decisions[in_pair, p], labels[in_pair] == j) if fitted else float("nan")
                    accuracies.append(accuracy)
                    pairwise.append({**row, "test_acc": accuracy, "n_test": int(in_pair.sum())})
                predictions = ovo_predict(decisions, pairs, classes)
                n_unfitted = int(sum(1 for row, _, _ in entries if math.isnan(row["C"])))
                multiclass.append({
                    "input": input_name, "variant": variant, "suppressed": subset.suppressed, "subset": subset.name,
                    "n_test": int(mask.sum()), "n_classes": len(classes), "n_pairs": len(pairs),
                    "n_unfitted": n_unfitted, "multiclass_acc": (
                        float(np.mean(predictions == labels))
                        if mask.any() and n_unfitted < len(pairs) else float("nan")
                    ),
                    "mean_pairwise_acc": _nanmean(accuracies),
                })  # fmt: skip
                groups[f"{input_name}/{variant}_{k:02d}"] = (
                    {"decision": decisions, "test_index": test["index"][mask], "label": labels},
                    {"subset": subset.name, "suppressed": subset.suppressed, "variant": variant, "input": input_name},
                )
        elapsed = time.perf_counter() - started
        log.info("%s evaluated (%d test samples), %.1f s", input_name, len(test["label"]), elapsed)
    _write_decisions(out_decisions, groups, pairs, classes)
    write_tsv(out_pairwise, pairwise, PAIRWISE_COLUMNS, TABLE_FLOAT_FORMATS)
    write_tsv(out_multiclass, multiclass, MULTICLASS_COLUMNS, TABLE_FLOAT_FORMATS)
    write_tsv(out_summary, summarise(multiclass, pairwise), SUMMARY_COLUMNS, TABLE_FLOAT_FORMATS)
    for row in multiclass:
        if row["variant"] == "full":
            log.info(
                "%s: multiclass %.4f, mean pairwise %.4f", row["input"], row["multiclass_acc"], row["mean_pairwise_acc"]
            )


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def summarise(multiclass: Sequence[Mapping], pairwise: Sequence[Mapping]) -> list[dict]:
    """Per input and suppressed variable: the mean multiclass accuracy over that variable's subsets (Sandbrink et al.
    2023, Methods), the mean and smallest pairwise test accuracy over its subsets and pairs, and its best subset."""
    out = []
    keys = list(dict.fromkeys((row["input"], row["suppressed"]) for row in multiclass))
    for input_name, suppressed in keys:
        rows = [row for row in multiclass if row["input"] == input_name and row["suppressed"] == suppressed]
        pair_accuracies = np.array(
            [row["test_acc"] for row in pairwise if row["input"] == input_name and row["suppressed"] == suppressed],
            dtype=np.float64,
        )
        accuracies = np.array([row["multiclass_acc"] for row in rows], dtype=np.float64)
        best = int(np.nanargmax(accuracies)) if np.isfinite(accuracies).any() else 0
        out.append({
            "input": input_name, "suppressed": suppressed, "n_subsets": len(rows),
            "multiclass_acc": _nanmean(accuracies),
            "mean_pairwise_acc": _nanmean(pair_accuracies),
            "min_pairwise_acc": (
                float(np.nanmin(pair_accuracies)) if np.isfinite(pair_accuracies).any() else float("nan")
            ),
            "best_subset": rows[best]["subset"], "best_multiclass_acc": float(accuracies[best]),
        })  # fmt: skip
    return out


def _write_decisions(out, groups: Mapping, pairs, classes) -> None:
    import zarr

    from neuromotor.io.store import atomic_directory, write_array

    with atomic_directory(out) as tmp:
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        root.attrs.update({"pairs": [list(p) for p in pairs], "classes": classes,
                           "meaning": "decision[:, k] = f_ij(x) for pairs[k] = (i, j); > 0 means j"})  # fmt: skip
        for name, (arrays, attrs) in groups.items():
            group = root.require_group(name)
            group.attrs.update(attrs)
            for array_name, values in arrays.items():
                write_array(group, array_name, values, chunk=4096)


# ---------------------------------------------------------------------------------------------------------------
# stage 4: figures


def make_figures(
    pairwise: str | Path,
    multiclass: str | Path,
    *,
    labels: Sequence[int],
    circle_threshold: float,
    out: Mapping[str, str | Path],
) -> None:
    """Stage 4: the report figures from the merged tables.

    ``out`` maps ``pairwise_matrix``, ``multiclass``, ``circle`` and ``pairwise_distribution`` to PNG paths.
    """
    from neuromotor.plots import svm as plots

    labels = sorted(int(label) for label in labels)
    pairs = [tuple(pair) for pair in itertools.combinations(labels, 2)]
    pair_rows = read_tsv(pairwise, PAIRWISE_COLUMNS)
    class_rows = read_tsv(multiclass, MULTICLASS_COLUMNS)
    inputs = list(dict.fromkeys(row["input"] for row in pair_rows))
    position = {label: k for k, label in enumerate(labels)}
    full_variant = any(row["variant"] == "full" for row in pair_rows)
    matrices, per_pair = {}, {}
    for name in inputs:
        # the full variant; when only the suppressed variant was run, the mean over its subsets
        rows = [row for row in pair_rows if row["input"] == name and (row["variant"] == "full" or not full_variant)]
        means = {pair: _nanmean([row["test_acc"] for row in rows if (row["i"], row["j"]) == pair]) for pair in pairs}
        matrix = np.full((len(labels), len(labels)), np.nan)
        for (i, j), accuracy in means.items():
            matrix[position[i], position[j]] = matrix[position[j], position[i]] = accuracy
        matrices[name], per_pair[name] = matrix, np.array([means[pair] for pair in pairs])
    accuracies = {}
    for row in class_rows:
        accuracies.setdefault(row["input"], {}).setdefault(row["suppressed"], []).append(row["multiclass_acc"])
    data = "full variability" if full_variant else "mean over the suppressed-variable subsets"
    plots.plot_pairwise_matrices(matrices, labels, out["pairwise_matrix"], data=data)
    plots.plot_circle(np.array(pairs), per_pair, labels, out["circle"], threshold=circle_threshold, data=data)
    plots.plot_pairwise_distribution(per_pair, out["pairwise_distribution"], data=data)
    plots.plot_multiclass(accuracies, out["multiclass"], chance=1.0 / len(labels))
    log.info("wrote the SVM figures for %s", inputs)

"""Population decoding of kinematics from a layer (Sandbrink et al. 2023, Methods; original ``tune_decoding``).

``Ridge(alpha)`` (scikit-learn's objective: intercept, penalty α‖w‖²) from all units of a layer (H·C features) at
each kept time step, (trajectory, time) samples pooled, split by trajectory like the tuning curves. Targets, each
component fitted separately: ``ee`` (u, w) position; ``eepolar`` (r, θ); ``vel`` (speed, direction); ``acc``
(r, θ). Samples whose target is not finite (θ at rest) are dropped. Metrics per component: RMSE, R², Pearson r;
for ``ee`` also the mean Euclidean distance between true and decoded position (cm).

The solution is the closed form on centred data in float64 (what ``Ridge(solver='cholesky')`` computes; tested
against scikit-learn), with the Gram matrix of a row set shared by all components.
"""

from __future__ import annotations

import numpy as np

DECODING_TARGETS = ("ee", "eepolar", "vel", "acc")


def ridge_fit(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression with intercept: ``x`` (m, p), ``y`` (m, q) → (coef (p, q), intercept (q,)), float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc = x - x_mean
    gram = xc.T @ xc
    gram[np.diag_indices_from(gram)] += alpha
    coef = np.linalg.solve(gram, xc.T @ (y - y_mean))
    return coef, y_mean - x_mean @ coef


def regression_metrics(y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Per column: RMSE, R² (scikit-learn's convention), Pearson r → (q, 3)."""
    y = np.asarray(y, dtype=np.float64)
    residual = ((y - prediction) ** 2).sum(axis=0)
    total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1 - residual / total, np.where(residual == 0, 1.0, 0.0))
        yc, pc = y - y.mean(axis=0), prediction - prediction.mean(axis=0)
        pcc = (yc * pc).sum(axis=0) / np.sqrt((yc**2).sum(axis=0) * (pc**2).sum(axis=0))
    return np.column_stack([np.sqrt(residual / len(y)), r2, pcc])


def decode(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, alpha: float = 1.0
) -> dict[str, np.ndarray]:
    """Fit on train samples, score on both splits. ``x`` (m, p) activations, ``y`` (m, q) target components (rows
    with a non-finite target are dropped). Returns ``{"train"|"test": (q, 3) metrics, "distance": (2,) mean
    Euclidean error per split (NaN unless q = 2), "n": (2,) samples}``."""
    keep_train = np.all(np.isfinite(y_train), axis=1)
    keep_test = np.all(np.isfinite(y_test), axis=1)
    q = y_train.shape[1]
    out = {"n": np.array([keep_train.sum(), keep_test.sum()]), "distance": np.full(2, np.nan)}
    if keep_train.sum() < 2 or keep_test.sum() == 0:
        out["train"] = out["test"] = np.full((q, 3), np.nan)
        return out
    coef, intercept = ridge_fit(x_train[keep_train], y_train[keep_train], alpha)
    for k, (split, x, y, keep) in enumerate(
        (("train", x_train, y_train, keep_train), ("test", x_test, y_test, keep_test))
    ):
        prediction = np.asarray(x[keep], dtype=np.float64) @ coef + intercept
        out[split] = regression_metrics(y[keep], prediction)
        if q == 2:
            out["distance"][k] = float(np.linalg.norm(y[keep] - prediction, axis=1).mean())
    return out


def _x64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


SPLITS = ("train", "test")


def decode_streamed(batches, widths: dict[str, int], alpha: float = 1.0) -> dict[str, dict[str, np.ndarray]]:
    """:func:`decode` of several targets from batches of samples, never holding the activations whole.

    ``batches(split)`` ("train" or "test") returns a fresh iterator of ``(x, targets)``: ``x`` (m, p) activations
    of some samples, ``targets`` {name: (m, q) components} with q = ``widths[name]``. The train batches are read
    twice (the fit from sums of the activations shifted by the first batch's mean, then the predictions' sums),
    the test batches once. Rows with a non-finite target are dropped per target. Same results as :func:`decode`
    of the concatenated samples up to rounding (tested). Returns ``{name: decode's dict}``."""
    sums: dict[str, dict] = {}
    for x, targets in batches("train"):
        for name, y in targets.items():
            keep = np.all(np.isfinite(y), axis=1)
            if not keep.any():
                continue
            xk, yk = _x64(x[keep]), _x64(y[keep])
            if name not in sums:
                sums[name] = {"shift": xk.mean(axis=0), "n": 0, "sx": 0.0, "sy": 0.0, "sxx": 0.0, "sxy": 0.0}
            s = sums[name]
            xk -= s["shift"]
            s["n"] += len(xk)
            s["sx"] = s["sx"] + xk.sum(axis=0)
            s["sy"] = s["sy"] + yk.sum(axis=0)
            s["sxx"] = s["sxx"] + xk.T @ xk
            s["sxy"] = s["sxy"] + xk.T @ yk
    fits = {}
    for name, s in sums.items():
        if s["n"] < 2:
            continue
        x_mean, y_mean = s["sx"] / s["n"], s["sy"] / s["n"]
        gram = s["sxx"] - s["n"] * np.outer(x_mean, x_mean)
        gram[np.diag_indices_from(gram)] += alpha
        coef = np.linalg.solve(gram, s["sxy"] - s["n"] * np.outer(x_mean, y_mean))
        fits[name] = (coef, y_mean - (x_mean + s["shift"]) @ coef, y_mean)
    keys = ("n", "res", "dist", "y", "yy", "p", "pp", "yp")
    scores = {name: {split: dict.fromkeys(keys, 0.0) for split in SPLITS} for name in widths}
    for split in SPLITS:
        if not fits:
            break
        for x, targets in batches(split):
            for name, y in targets.items():
                keep = np.all(np.isfinite(y), axis=1)
                s = scores[name][split]
                s["n"] += int(keep.sum())
                if name not in fits or not keep.any():
                    continue
                coef, intercept, centre = fits[name]
                yk = _x64(y[keep]) - centre  # sums about the train mean of the target (well scaled)
                prediction = _x64(x[keep]) @ coef + intercept - centre
                error = yk - prediction
                s["res"] = s["res"] + (error**2).sum(axis=0)
                s["dist"] += float(np.linalg.norm(error, axis=1).sum()) if y.shape[1] == 2 else 0.0
                s["y"] = s["y"] + yk.sum(axis=0)
                s["yy"] = s["yy"] + (yk**2).sum(axis=0)
                s["p"] = s["p"] + prediction.sum(axis=0)
                s["pp"] = s["pp"] + (prediction**2).sum(axis=0)
                s["yp"] = s["yp"] + (yk * prediction).sum(axis=0)
    out = {}
    for name, q in widths.items():
        n = np.array([sums.get(name, {}).get("n", 0), scores[name]["test"]["n"]], dtype=int)
        result = {"n": n, "distance": np.full(2, np.nan)}
        if name not in fits or n[1] == 0:
            result["train"] = result["test"] = np.full((q, 3), np.nan)
            out[name] = result
            continue
        for k, split in enumerate(SPLITS):
            s = scores[name][split]
            m = s["n"]
            total = s["yy"] - s["y"] ** 2 / m
            var_p = s["pp"] - s["p"] ** 2 / m
            cov = s["yp"] - s["y"] * s["p"] / m
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = np.where(total > 0, 1 - s["res"] / total, np.where(s["res"] == 0, 1.0, 0.0))
                pcc = cov / np.sqrt(total * var_p)
            result[split] = np.column_stack([np.sqrt(s["res"] / m), r2, pcc])
            if q == 2:
                result["distance"][k] = s["dist"] / m
        out[name] = result
    return out

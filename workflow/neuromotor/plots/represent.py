"""Report figures of the representational analyses of the PCRT networks (Sandbrink et al. 2023; the style of
Sandbrink et al. 2023, Figures 4–7).

Networks are keyed by (task, family) and drawn trained (colour) against untrained (grey). Layers are 0..K with
layer 0 the network input; relative depth = layer / K. Scores are test R² (tuning curves, decoding) or
2·(ROC-AUC − 0.5) (labels); angles in radians.

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_rdm_similarity` — RDM similarity to the oracle against relative depth, inputs as reference marks;
- :func:`plot_tuning_violins` — test-score violins per layer and unit class, with the 90 % quantiles;
- :func:`plot_pd_histograms` — polar histograms of the preferred directions per layer;
- :func:`plot_pd_uniformity` — deviation of the preferred directions from uniformity per layer;
- :func:`plot_cka_matrices` — layer × layer CKA matrices per family and comparison;
- :func:`plot_cka_sweep` — histograms of the ART-vs-TDT CKA over the searched configurations, per depth;
- :func:`plot_tsne` — tSNE embeddings per layer coloured by character;
- :func:`plot_invariance` — mean |ΔPD| from the reference plane against plane height, per layer;
- :func:`plot_decoding` — population decoding test R² per layer and target.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps

from neuromotor.plots import check_keys, check_shape, new_figure, save_figure

FAMILY_COLOURS = {"S": "#1f77b4", "TS": "#17becf", "ST": "#d62728", "LSTM": "#2ca02c"}
UNTRAINED = "0.55"
STATE_STYLES = {"trained": "-", "untrained": "--"}
CLASS_TITLES = {
    "direction": "direction", "speed": "speed", "direction_speed": "direction × speed",
    "cartesian_position": "Cartesian position", "polar_position": "polar position", "acceleration": "acceleration",
    "labels": "labels (2·(AUC − 0.5))",
}  # fmt: skip


def _colour(family: str, state: str = "trained") -> str:
    """Fill colour of a network: its family's colour when trained, grey when untrained (violins, histograms)."""
    return FAMILY_COLOURS.get(family, "#9467bd") if state == "trained" else UNTRAINED


def _line(family: str, state: str) -> dict:
    """Line style of a network in curves: the family's colour, dashed and lighter when untrained."""
    return {"color": FAMILY_COLOURS.get(family, "#9467bd"), "ls": STATE_STYLES.get(state, "-"),
            "alpha": 1.0 if state == "trained" else 0.55}  # fmt: skip


def _network(key: tuple) -> str:
    return " ".join(str(k).upper() if i == 0 else str(k) for i, k in enumerate(key))


def _grid_figure(width_in: float, height_in: float):
    """A figure for a large grid of small panels: fixed margins instead of the constrained layout (which costs
    seconds per figure at dozens of panels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    return fig


def _empty(ax, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([]), ax.set_yticks([])


def plot_rdm_similarity(
    curves: Sequence[Mapping], inputs: Mapping[str, float], out_png: str | Path
) -> None:
    """RDM similarity to the oracle against relative depth, one panel per task.

    ``curves``: dicts with ``task``, ``family``, ``state``, ``depth`` (L,) and ``similarity`` (n_seeds, L) — the
    mean over seeds is drawn with the range shaded; ``inputs``: {representation name: similarity}, drawn as marks
    at depth 0.
    """
    where = "plot_rdm_similarity"
    tasks = list(dict.fromkeys(c["task"] for c in curves)) or ["-"]
    fig = new_figure(4.2 * len(tasks), 3.6)
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        for curve in (c for c in curves if c["task"] == task):
            check_keys(where, "curve", curve, ("family", "state", "depth", "similarity"))
            dims: dict = {}
            depth = check_shape(where, "depth", curve["depth"], ("L",), dims)
            values = check_shape(where, "similarity", curve["similarity"], ("S", "L"), dims)
            style = _line(curve["family"], curve["state"])
            mean = np.nanmean(values, axis=0)
            ax.plot(depth, mean, marker="o", ms=3, label=f"{curve['family']} {curve['state']}", **style)
            if len(values) > 1:
                ax.fill_between(depth, np.nanmin(values, axis=0), np.nanmax(values, axis=0), color=style["color"],
                                alpha=0.12)  # fmt: skip
        markers = "sD^vP*"
        for k, (name, value) in enumerate(inputs.items()):
            ax.plot([-0.04], [value], markers[k % len(markers)], color="k", mfc="none", ms=6, label=name)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_xlabel("relative depth (layer / K)")
        ax.set_ylabel("RDM similarity to oracle (Pearson r)")
        ax.set_title(f"{str(task).upper()}")
        ax.legend(fontsize=6, ncol=2, frameon=False)
    fig.suptitle("Representational similarity to the character oracle")
    save_figure(fig, out_png)


def plot_tuning_violins(
    scores: Mapping[tuple, Mapping[str, Mapping[str, Sequence[np.ndarray]]]],
    out_png: str | Path,
    threshold: float = 0.2,
    quantile: float = 0.9,
) -> None:
    """Test-score violins per layer: rows = unit classes, columns = networks (task, family).

    ``scores[(task, family)][class][state]`` is a list over layers of 1-D arrays (the violin data, pooled over
    seeds); each layer's 90 % quantile is marked with a bar; the tuning threshold is dashed.
    """
    networks = list(scores)
    classes = list(dict.fromkeys(c for net in scores.values() for c in net))
    if not networks or not classes:
        fig = new_figure(4, 3)
        _empty(fig.subplots())
        save_figure(fig, out_png)
        return
    fig = _grid_figure(3.2 * len(networks) + 0.6, 1.9 * len(classes) + 0.8)
    axes = fig.subplots(len(classes), len(networks), squeeze=False)
    fig.subplots_adjust(left=0.6 / fig.get_figwidth(), right=0.98, bottom=0.5 / fig.get_figheight(),
                        top=1 - 0.8 / fig.get_figheight(), wspace=0.25, hspace=0.35)  # fmt: skip
    for column, network in enumerate(networks):
        for row, cls in enumerate(classes):
            ax = axes[row, column]
            states = scores[network].get(cls, {})
            n_layers = max((len(v) for v in states.values()), default=0)
            if not n_layers:
                _empty(ax)
                continue
            for offset, state in ((-0.2, "trained"), (0.2, "untrained")):
                layers = states.get(state, [])
                for layer, values in enumerate(layers):
                    values = np.asarray(values, dtype=np.float64)
                    if len(values) < 2 or np.ptp(values) == 0:
                        continue
                    parts = ax.violinplot(values, [layer + offset], widths=0.38, showextrema=False)
                    for body in parts["bodies"]:
                        body.set_facecolor(_colour(network[-1], state))
                        body.set_alpha(0.6)
                    q = np.quantile(values, quantile)
                    ax.plot([layer + offset - 0.15, layer + offset + 0.15], [q, q], color="k", lw=1)
            ax.axhline(threshold, color="0.3", ls=":", lw=0.8)
            ax.set_xticks(range(n_layers))
            ax.set_ylim(-0.1, 1.0)
            if row == 0:
                ax.set_title(_network(network), fontsize=9)
            if column == 0:
                ax.set_ylabel(CLASS_TITLES.get(cls, cls), fontsize=8)
            if row == len(classes) - 1:
                ax.set_xlabel("layer")
    fig.suptitle(f"Single-unit test scores per layer (colour: trained, grey: untrained; bars: {quantile:.0%} quantile)")
    save_figure(fig, out_png)


def plot_pd_histograms(histograms: Mapping[tuple, np.ndarray], out_png: str | Path) -> None:
    """Polar histograms of preferred directions: rows = networks (task, family, state), columns = layers.

    ``histograms[key]`` (L, B) counts over B equal bins of [−π, π].
    """
    keys = list(histograms)
    if not keys:
        fig = new_figure(4, 3)
        _empty(fig.subplots())
        save_figure(fig, out_png)
        return
    n_layers = max(np.asarray(h).shape[0] for h in histograms.values())
    fig = _grid_figure(1.35 * n_layers + 1.2, 1.45 * len(keys) + 0.6)
    axes = fig.subplots(len(keys), n_layers, squeeze=False, subplot_kw={"projection": "polar"})
    fig.subplots_adjust(left=1.1 / fig.get_figwidth(), right=0.98, bottom=0.1 / fig.get_figheight(),
                        top=1 - 0.5 / fig.get_figheight(), wspace=0.35, hspace=0.45)  # fmt: skip
    for row, key in enumerate(keys):
        counts = check_shape("plot_pd_histograms", f"histograms[{key}]", histograms[key], ("L", "B"), {})
        bins = counts.shape[1]
        edges = np.linspace(-np.pi, np.pi, bins + 1)
        for layer in range(n_layers):
            ax = axes[row, layer]
            ax.set_xticklabels([]), ax.set_yticklabels([])
            if layer >= len(counts) or counts[layer].sum() == 0:
                ax.set_title(f"L{layer}: none", fontsize=6)
                continue
            fraction = counts[layer] / counts[layer].sum()
            ax.bar(edges[:-1], fraction, width=np.diff(edges), align="edge",
                   color=_colour(key[1], key[-1]), edgecolor="white", linewidth=0.3)  # fmt: skip
            ax.set_title(f"L{layer} (n={int(counts[layer].sum())})", fontsize=6)
        axes[row, 0].set_ylabel(_network(key), fontsize=7, labelpad=18)
    fig.suptitle("Preferred directions of direction-tuned units (test R² > threshold)")
    save_figure(fig, out_png)


def plot_pd_uniformity(values: Mapping[tuple, Mapping[str, np.ndarray]], out_png: str | Path) -> None:
    """Deviation of the preferred directions from uniformity per layer: one panel per network (task, family);
    ``values[key][state]`` (n_seeds, L), mean ± range over seeds."""
    keys = list(values) or [("-",)]
    columns = min(3, len(keys))
    rows = -(-len(keys) // columns)
    fig = new_figure(3.4 * columns, 2.8 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(keys):]:
        ax.axis("off")
    for ax, key in zip(axes, keys):
        for state, data in values.get(key, {}).items():
            data = check_shape("plot_pd_uniformity", f"values[{key}][{state}]", data, ("S", "L"), {})
            layers = np.arange(data.shape[1])
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # layers without tuned units: all NaN
                mean, low, high = np.nanmean(data, 0), np.nanmin(data, 0), np.nanmax(data, 0)
            ax.errorbar(layers, mean, yerr=[mean - low, high - mean], marker="o", ms=3, capsize=2, label=state,
                        **_line(key[-1], state))  # fmt: skip
        ax.set_ylim(0, 34 / 18 + 0.05)  # 0 = uniform; 2 (B - 1) / B when every direction falls in one of B bins
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("layer")
        ax.set_ylabel("deviation from uniform")
        ax.set_title(_network(key), fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    save_figure(fig, out_png)


def plot_cka_matrices(matrices: Mapping[tuple[str, str], np.ndarray], out_png: str | Path) -> None:
    """Layer × layer linear CKA: rows = families, columns = comparisons; ``matrices[(family, comparison)]``
    (L_a, L_b) with values in [0, 1]."""
    families = list(dict.fromkeys(f for f, _ in matrices))
    comparisons = list(dict.fromkeys(c for _, c in matrices))
    if not families:
        fig = new_figure(4, 3)
        _empty(fig.subplots())
        save_figure(fig, out_png)
        return
    fig = new_figure(2.6 * len(comparisons) + 0.8, 2.5 * len(families))
    axes = fig.subplots(len(families), len(comparisons), squeeze=False)
    image = None
    for row, family in enumerate(families):
        for column, comparison in enumerate(comparisons):
            ax = axes[row, column]
            if (family, comparison) not in matrices:
                _empty(ax)
                continue
            matrix = check_shape("plot_cka_matrices", "matrix", matrices[(family, comparison)], ("A", "B"), {})
            image = ax.imshow(matrix, vmin=0, vmax=1, cmap="magma", origin="lower")
            a, b = comparison.split(" vs ")
            ax.set_xlabel(f"layer ({b})", fontsize=7)
            ax.set_ylabel(f"{family}: layer ({a})", fontsize=7)
            ax.set_xticks(range(matrix.shape[1])), ax.set_yticks(range(matrix.shape[0]))
            ax.tick_params(labelsize=6)
            if row == 0:
                ax.set_title(comparison, fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.6, label="linear CKA")
    save_figure(fig, out_png)


def plot_cka_sweep(values: Mapping[str, tuple[np.ndarray, np.ndarray]], out_png: str | Path, bins: int = 4) -> None:
    """ART-vs-TDT CKA of the same layer over the sweep of searched configurations: one panel per family, one
    histogram per relative-depth range (``bins`` equal ranges of [0, 1]). ``values[family] = (depth (m,), cka (m,))``,
    one entry per (configuration, layer)."""
    families = list(values)
    if not families:
        fig = new_figure(4.5, 3)
        _empty(fig.subplots(), "no ART-vs-TDT sweep in this plan\n(convnets.search.runs without a tdt run)")
        save_figure(fig, out_png)
        return
    fig = new_figure(3.4 * len(families), 3.0)
    axes = fig.subplots(1, len(families), squeeze=False)[0]
    cmap = colormaps["viridis"]
    edges = np.linspace(0, 1, bins + 1)
    for ax, family in zip(axes, families):
        dims: dict = {}
        depth = check_shape("plot_cka_sweep", "depth", values[family][0], ("M",), dims)
        cka = check_shape("plot_cka_sweep", "cka", values[family][1], ("M",), dims)
        for b in range(bins):
            inside = (depth >= edges[b]) & ((depth < edges[b + 1]) | (b == bins - 1))
            if inside.any():
                ax.hist(cka[inside], bins=np.linspace(0, 1, 21), histtype="step", lw=1.5, color=cmap(b / max(1, bins - 1)),
                        label=f"depth {edges[b]:.2f}–{edges[b + 1]:.2f} (n={int(inside.sum())})")  # fmt: skip
        ax.set_xlabel("linear CKA, ART vs TDT (same layer)")
        ax.set_ylabel("layers of the searched configurations")
        ax.set_title(family, fontsize=9)
        ax.legend(fontsize=6, frameon=False)
    save_figure(fig, out_png)


def plot_tsne(embeddings: Mapping[tuple, Mapping[str, tuple[np.ndarray, np.ndarray]]], out_png: str | Path) -> None:
    """tSNE embeddings coloured by character: rows = networks, columns = representations (e.g. end-effector,
    layer 0..K); ``embeddings[key][name] = (points (n, 2), labels (n,))``."""
    keys = list(embeddings)
    columns = max((len(v) for v in embeddings.values()), default=0)
    if not keys or not columns:
        fig = new_figure(4, 3)
        _empty(fig.subplots())
        save_figure(fig, out_png)
        return
    fig = _grid_figure(1.7 * columns + 0.6, 1.8 * len(keys) + 0.5)
    axes = fig.subplots(len(keys), columns, squeeze=False)
    fig.subplots_adjust(left=0.5 / fig.get_figwidth(), right=0.99, bottom=0.05, top=1 - 0.75 / fig.get_figheight(),
                        wspace=0.08, hspace=0.3)  # fmt: skip
    cmap = colormaps["tab20"]
    for row, key in enumerate(keys):
        for column in range(columns):
            ax = axes[row, column]
            ax.set_xticks([]), ax.set_yticks([])
            items = list(embeddings[key].items())
            if column >= len(items):
                ax.axis("off")
                continue
            name, (points, labels) = items[column]
            dims: dict = {}
            points = check_shape("plot_tsne", "points", points, ("N", 2), dims)
            labels = check_shape("plot_tsne", "labels", labels, ("N",), dims)
            if np.isfinite(points).all() and len(points):
                ax.scatter(points[:, 0], points[:, 1], c=cmap((np.asarray(labels) - 1) % 20), s=3, lw=0)
            ax.set_title(name, fontsize=7)
        axes[row, 0].set_ylabel(_network(key), fontsize=7)
    fig.suptitle("tSNE of the representations (colour: character)")
    save_figure(fig, out_png)


def plot_invariance(curves: Mapping[tuple, tuple[np.ndarray, np.ndarray]], out_png: str | Path) -> None:
    """Mean |ΔPD| from the reference plane against plane height, one line per layer (colour = depth):
    ``curves[(task, family, orientation)] = (heights (H,), deviation (L, H))``; NaN where too few units."""
    keys = list(curves) or [("-",)]
    columns = min(3, len(keys))
    rows = -(-len(keys) // columns)
    fig = new_figure(3.6 * columns, 2.8 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(keys):]:
        ax.axis("off")
    cmap = colormaps["viridis"]
    for ax, key in zip(axes, keys):
        if key not in curves:
            _empty(ax)
            continue
        dims: dict = {}
        heights = check_shape("plot_invariance", "heights", curves[key][0], ("H",), dims)
        deviation = check_shape("plot_invariance", "deviation", curves[key][1], ("L", "H"), dims)
        if not np.isfinite(deviation).any():
            _empty(ax, "fewer than min_units units tuned\nat both planes everywhere")
            ax.set_title(_network(key), fontsize=9)
            continue
        for layer, values in enumerate(deviation):
            ax.plot(heights, values, marker="o", ms=2.5, color=cmap(layer / max(1, len(deviation) - 1)),
                    label=f"L{layer}")  # fmt: skip
        ax.set_ylim(0, np.pi)
        ax.set_xlabel(f"{key[-1]} plane position (cm)")
        ax.set_ylabel("mean |ΔPD| (rad)")
        ax.set_title(_network(key), fontsize=9)
        ax.legend(fontsize=6, ncol=3, frameon=False)
    save_figure(fig, out_png)


def plot_decoding(curves: Mapping[tuple, Mapping[str, np.ndarray]], out_png: str | Path) -> None:
    """Population decoding test R² per layer: one panel per target component, one line per network (task,
    family, state); ``curves[key][component]`` (n_seeds, L)."""
    components = list(dict.fromkeys(c for v in curves.values() for c in v))
    if not components:
        fig = new_figure(4, 3)
        _empty(fig.subplots())
        save_figure(fig, out_png)
        return
    columns = min(4, len(components))
    rows = -(-len(components) // columns)
    fig = new_figure(3.0 * columns, 2.6 * rows + 0.4)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, component in zip(axes, components):
        for key, values in curves.items():
            if component not in values:
                continue
            data = check_shape("plot_decoding", f"curves[{key}][{component}]", values[component], ("S", "L"), {})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(data, axis=0)
            ax.plot(np.arange(data.shape[1]), mean, marker="o", ms=2.5, label=_network(key), **_line(key[1], key[-1]))
        ax.set_ylim(-0.1, 1.0)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(component, fontsize=9)
        ax.set_xlabel("layer")
        ax.set_ylabel("test R²")
    for ax in axes[len(components):]:
        ax.axis("off")
    axes[0].legend(fontsize=6, frameon=False)
    fig.suptitle("Population decoding (ridge) of the kinematics")
    save_figure(fig, out_png)

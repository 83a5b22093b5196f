"""The report figures of the representational analyses, from the stage's files (drawing in
:mod:`neuromotor.plots.represent`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from neuromotor.io.store import open_store, read_arrays
from neuromotor.io.tables import read_tsv
from neuromotor.plots import represent as plots
from neuromotor.represent import tuning as tun
from neuromotor.represent.plan import FIGURES  # noqa: F401  (the names of the figures made here)
from neuromotor.represent.stages import INPUT_REPRESENTATIONS, PD_BINS_PREFIX
from neuromotor.represent.stats import violin_scores


def _by_seed(rows, keys, value, states=("trained", "untrained")):
    """{key: {state: (n_seeds, L) array}} from table rows with ``seed``, ``layer`` and ``value``."""
    cells: dict = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        if row["state"] in states:
            cells[tuple(row[k] for k in keys)][row["state"]].setdefault(row["seed"], {})[row["layer"]] = row[value]
    out = {}
    for key, per_state in cells.items():
        out[key] = {}
        for state, seeds in per_state.items():
            n_layers = 1 + max(max(layers) for layers in seeds.values())
            out[key][state] = np.array(
                [[layers.get(k, np.nan) for k in range(n_layers)] for _, layers in sorted(seeds.items())], dtype=float
            )
    return out


def _rdm_figure(rows, out_png):
    curves = []
    for (task, family), states in _by_seed([r for r in rows if r["representation"] == "network"],
                                           ("task", "family"), "similarity").items():  # fmt: skip
        for state, values in states.items():
            n = values.shape[1]
            curves.append({"task": task, "family": family, "state": state, "similarity": values,
                           "depth": np.arange(n) / max(1, n - 1)})  # fmt: skip
    inputs = {INPUT_REPRESENTATIONS.get(r["representation"], r["representation"]): r["similarity"]
              for r in rows if r["state"] == "input"}  # fmt: skip
    plots.plot_rdm_similarity(curves, inputs, out_png)


def _violin_data(units_stores: Mapping[tuple, str], plane: str, floor: float):
    """{(task, family): {class: {state: [per-layer pooled scores]}}} from the units stores of every model state
    (key (task, family, seed, state))."""
    pooled: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list))))
    for (task, family, seed, state), path in units_stores.items():
        root = open_store(path)
        if plane not in root:
            continue
        designs = [tuple(d.split(":")) for d in root.attrs["designs"]]
        designs = [(name, int(model)) for name, model in designs]
        layer = read_arrays(path, "", ["layer"])["layer"]
        group = read_arrays(path, plane, ["metrics", "labels"])
        columns = {cls: designs.index(pair) for cls, pair in tun.UNIT_CLASSES.items() if pair in designs}
        scores = {cls: group["metrics"][:, d, 1, 1] for cls, d in columns.items()}
        if np.isfinite(group["labels"]).any():
            scores["labels"] = group["labels"][:, 1]
        for cls, values in scores.items():
            for k in range(int(layer.max()) + 1):
                pooled[(task, family)][cls][state][k].extend(violin_scores(values[layer == k]).tolist())
    return {net: {cls: {state: [np.asarray(layers[k]) for k in sorted(layers)] for state, layers in states.items()}
                  for cls, states in classes.items()} for net, classes in pooled.items()}  # fmt: skip


def make_figures(
    *,
    summary: Mapping[str, str],
    units_stores: Mapping[tuple, str],
    cka_stores: Mapping[tuple, str],
    tsne_stores: Mapping[tuple, str],
    input_tsne: str,
    plane: str,
    orientation: str,
    threshold: float,
    quantile: float,
    floor: float,
    out: Mapping[str, str],
) -> None:
    """Every figure of :data:`FIGURES`. ``units_stores`` / ``tsne_stores``: (task, family, seed, state) → store;
    ``cka_stores``: (family, seed) → store; the first seed of each network is drawn where one instance is shown."""
    _rdm_figure(read_tsv(summary["rdm"]), out["rdm_similarity"])
    plots.plot_tuning_violins(_violin_data(units_stores, plane, floor), out["tuning_violins"], threshold, quantile)

    pd_rows = [r for r in read_tsv(summary["pd"]) if r["plane"] == plane]
    first_task = pd_rows[0]["task"] if pd_rows else None
    first_seed = {}
    for row in pd_rows:
        first_seed.setdefault((row["task"], row["family"]), row["seed"])
        first_seed[(row["task"], row["family"])] = min(first_seed[(row["task"], row["family"])], row["seed"])
    histograms: dict = defaultdict(dict)
    for row in pd_rows:
        if row["task"] == first_task and row["seed"] == first_seed[(row["task"], row["family"])]:
            bins = sorted(k for k in row if k.startswith(PD_BINS_PREFIX))
            histograms[(row["task"], row["family"], row["state"])][row["layer"]] = [row[b] for b in bins]
    plots.plot_pd_histograms({key: np.array([layers[k] for k in sorted(layers)]) for key, layers in histograms.items()},
                             out["pd_histograms"])  # fmt: skip
    plots.plot_pd_uniformity(_by_seed(pd_rows, ("task", "family"), "deviation"), out["pd_uniformity"])

    matrices = {}
    for (family, seed), path in cka_stores.items():
        if seed != min(s for f, s in cka_stores if f == family):
            continue
        root = open_store(path)
        for name in root.attrs["comparisons"]:
            a, b = name.split("__")
            label = f"{a.replace('_', ' ')} vs {b.replace('_', ' ')}"
            matrices[(family, label)] = np.asarray(root[name][...])
    plots.plot_cka_matrices(matrices, out["cka"])

    sweep: dict = defaultdict(lambda: ([], []))
    for row in read_tsv(summary["cka_sweep"]):
        sweep[row["family"]][0].append(row["depth"])
        sweep[row["family"]][1].append(row["cka"])
    plots.plot_cka_sweep({family: (np.array(d), np.array(c)) for family, (d, c) in sweep.items()}, out["cka_sweep"])

    embeddings = {}
    inputs = open_store(input_tsne)
    for (task, family, seed, state), path in tsne_stores.items():
        if state != "trained" or (task, family) in embeddings:
            continue
        root = open_store(path)
        names = sorted((n for n, _ in root.arrays() if n.startswith("layer_")), key=lambda n: int(n.split("_")[1]))
        panels = {}
        if family in inputs:
            panels["end-effector"] = (inputs[family]["embedding"][...], inputs[family]["label"][...])
        labels = root["label"][...] if "label" in root else None
        for name in names:
            panels[name.replace("layer_", "layer ")] = (root[name][...], labels)
        embeddings[(task, family)] = panels
    plots.plot_tsne(embeddings, out["tsne"])

    invariance_rows = [r for r in read_tsv(summary["invariance"]) if r["orientation"] == orientation
                       and r["state"] == "trained"]  # fmt: skip
    curves = {}
    for (task, family), seeds in _group(invariance_rows, ("task", "family")).items():
        seed = min(r["seed"] for r in seeds)
        rows = [r for r in seeds if r["seed"] == seed]
        heights = sorted({r["height"] for r in rows})
        n_layers = 1 + max(r["layer"] for r in rows)
        deviation = np.full((n_layers, len(heights)), np.nan)
        for r in rows:
            deviation[r["layer"], heights.index(r["height"])] = r["mean_abs_dpd"]
        curves[(task, family, orientation)] = (np.array(heights), deviation)
    plots.plot_invariance(curves, out["invariance"])

    decoding_rows = [r for r in read_tsv(summary["decoding"]) if r["plane"] == plane and r["split"] == "test"]
    decoding: dict = defaultdict(dict)
    for key, by_component in _group(decoding_rows, ("task", "family", "state")).items():
        for (target, component), rows in _group(by_component, ("target", "component")).items():
            per_seed = _by_seed(rows, ("target",), "r2", states=(key[2],))
            decoding[key][f"{target} {component}"] = next(iter(per_seed.values()))[key[2]]
    plots.plot_decoding(dict(decoding), out["decoding"])


def _group(rows: Sequence[Mapping], keys: Sequence[str]) -> dict[tuple, list]:
    groups: dict = defaultdict(list)
    for row in rows:
        groups[tuple(row[k] for k in keys)].append(row)
    return dict(groups)

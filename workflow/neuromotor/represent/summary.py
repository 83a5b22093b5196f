"""Collection of the per-model tables and the trained-vs-untrained statistics (Sandbrink et al. 2023, Figures 5 and
6A-D).

:func:`summarise` concatenates the tables of every model state (RDM, unit classes, preferred directions,
invariance, decoding, CKA) into ``results/representations/summary/`` and computes ``stats.tsv``: for every task,
family, plane subset and layer, a paired t-test over the seeds of the trained network against its untrained
control, Bonferroni-corrected over the family's layers, of

- ``q90:<class>``: the 90 % quantile of the test scores of a unit class (direction, speed, ..., labels);
- ``pd_deviation``: the deviation of the preferred directions from uniformity;
- ``rdm_similarity``: the RDM similarity to the oracle (plane ``-``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.represent.stats import paired_comparison

STATS_COLUMNS = (
    "task", "family", "plane", "quantity", "layer", "depth", "n", "mean_trained", "mean_untrained",
    "mean_difference", "t", "p", "p_bonferroni", "ci_level", "ci_low", "ci_high",
)  # fmt: skip


def concatenate(paths: Sequence[str], out, columns: Sequence[str] | None = None) -> list[dict]:
    """Rows of every table (all with the same header) written as one table; returns the rows. ``columns``: the
    header of an empty table (no path)."""
    rows, columns = [], (list(columns) if columns and not paths else None)
    for path in paths:
        table = read_tsv(path)
        with open(path) as fh:
            header = fh.readline().rstrip("\n").split("\t")
        if columns is None:
            columns = header
        elif header != columns:
            raise ValueError(f"{path}: columns {header} differ from {columns}")
        rows.extend(table)
    write_tsv(out, rows, columns or ["empty"])
    return rows


def _pairs(rows: Sequence[Mapping], keys: Sequence[str], value: str):
    """Group rows by ``keys`` (+ layer); per group {seed: value} for trained and untrained."""
    groups: dict[tuple, dict[str, dict[int, float]]] = defaultdict(lambda: {"trained": {}, "untrained": {}})
    depth = {}
    for row in rows:
        if row["state"] not in ("trained", "untrained"):
            continue
        key = tuple(row[k] for k in keys) + (row["layer"],)
        groups[key][row["state"]][row["seed"]] = row[value]
        depth[key] = row["depth"]
    return groups, depth


def paired_statistics(
    rows: Sequence[Mapping], keys: Sequence[str], value: str, quantity, level: float
) -> list[dict]:
    """Trained vs untrained paired tests of ``value`` per group of ``keys`` and layer, Bonferroni over the layers
    of each group. ``quantity``: the label of the tested quantity (a string, or a function of the group key)."""
    groups, depth = _pairs(rows, keys, value)
    layers_per_group: dict[tuple, int] = defaultdict(int)
    for key in groups:
        layers_per_group[key[:-1]] += 1
    out = []
    for key in sorted(groups, key=str):
        trained, untrained = groups[key]["trained"], groups[key]["untrained"]
        seeds = sorted(set(trained) & set(untrained))
        a = [trained[s] for s in seeds]
        b = [untrained[s] for s in seeds]
        result = paired_comparison(a, b, n_tests=layers_per_group[key[:-1]], level=level)
        named = dict(zip(keys, key[:-1]))
        out.append({
            "task": named["task"], "family": named["family"], "plane": named.get("plane", "-"),
            "quantity": quantity(named) if callable(quantity) else quantity, "layer": key[-1], "depth": depth[key],
            "mean_trained": _mean(a), "mean_untrained": _mean(b), "ci_level": level,
            **{k: result[k] for k in ("n", "mean_difference", "t", "p", "p_bonferroni", "ci_low", "ci_high")},
        })  # fmt: skip
    return out


def _mean(values) -> float:
    finite = [v for v in values if isinstance(v, (int, float)) and not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan


def summarise(tables: Mapping[str, Sequence[str]], *, ci_level: float, out: Mapping[str, str]) -> None:
    """Concatenate each kind of table (``tables``: kind → per-model paths; kinds ``rdm``, ``units``, ``pd``,
    ``invariance``, ``decoding``, ``cka``, ``cka_sweep`` (may be empty)) into ``out[kind]``, and write
    ``out['stats']``."""
    from neuromotor.represent.stages import CKA_COLUMNS, SWEEP_COLUMNS

    headers = {"cka": CKA_COLUMNS, "cka_sweep": SWEEP_COLUMNS}
    merged = {kind: concatenate(paths, out[kind], headers.get(kind)) for kind, paths in tables.items()}
    stats = []
    stats += paired_statistics(merged["units"], ("task", "family", "plane", "class"), "q90",
                               lambda key: f"q90:{key['class']}", ci_level)  # fmt: skip
    stats += paired_statistics(merged["pd"], ("task", "family", "plane"), "deviation", "pd_deviation", ci_level)
    network_rdm = [row for row in merged["rdm"] if row["representation"] == "network"]
    stats += paired_statistics(network_rdm, ("task", "family"), "similarity", "rdm_similarity", ci_level)
    write_tsv(out["stats"], stats, STATS_COLUMNS)


def summarise_rdm(
    tables: Sequence[str], *, ci_level: float, out_rdm: str, out_stats: str, out_figure: str | None = None
) -> list[dict]:
    """The RDM-only analysis of a model set (``representations.experiments``): the input representations' and every
    model state's RDM tables (``tables``) in one (``out_rdm``), the trained-vs-untrained paired tests of the
    similarity per task, family and layer (``out_stats``, :data:`STATS_COLUMNS`), and the similarity-vs-depth
    figure. Returns the statistics rows."""
    rows = concatenate(tables, out_rdm)
    network = [row for row in rows if row["representation"] == "network"]
    stats = paired_statistics(network, ("task", "family"), "similarity", "rdm_similarity", ci_level)
    write_tsv(out_stats, stats, STATS_COLUMNS)
    if out_figure is not None:
        from neuromotor.represent.figures import _rdm_figure

        _rdm_figure(rows, out_figure)
    return stats

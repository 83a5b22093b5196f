"""The vs_paper stage of every study: reference rows + this run's values + its scale → vs_paper.tsv and figure.

The only module the ``scripts/vs_paper_*.py`` entry points import (with the extractors of
:mod:`neuromotor.fidelity.extract`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from neuromotor.fidelity.compare import VS_PAPER_COLUMNS, Measurement, compare, verdict_counts
from neuromotor.fidelity.reference import load_reference
from neuromotor.fidelity.rules import Interval, parse_published
from neuromotor.io.store import atomic_file
from neuromotor.io.tables import write_tsv

log = logging.getLogger(__name__)


def figure_points(rows: Sequence[Mapping]) -> list[dict]:
    """The numeric rows with a run value, as points of :func:`neuromotor.plots.fidelity.plot_vs_paper`."""
    points = []
    for row in rows:
        if row["this_run"] in ("", "nan") or "=" in row["this_run"]:
            continue
        published = parse_published(row["published"])
        if not isinstance(published, Interval):
            continue
        points.append({"unit": row["unit"], "lo": published.lo, "hi": published.hi,
                       "run": float(row["this_run"]), "verdict": row["verdict"]})  # fmt: skip
    return points


_HTML_COLUMNS = ("quantity", "condition", "published", "this_run", "difference", "unit", "rule", "verdict", "scale",
                 "note")  # fmt: skip
_HTML_COLOURS = {"agrees": "#d8f0dc", "differs": "#f8d4d4", "missing from this run": "#fbe6c4"}


def vs_paper_html(rows: Sequence[Mapping], study: str, counts: Mapping[str, int]) -> str:
    """The vs_paper table as one HTML page (rows coloured by verdict), with the verdict counts above it."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _HTML_COLUMNS)
    body = []
    for row in rows:
        colour = _HTML_COLOURS.get(row["verdict"], "#eeeeee")
        cells = "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in _HTML_COLUMNS)
        body.append(f'<tr style="background:{colour}" title="{html.escape(row["source"])}">{cells}</tr>')
    summary = ", ".join(f"{html.escape(name)}: {count}" for name, count in counts.items() if count)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(study)} vs paper</title>"
        "<style>table{border-collapse:collapse;font:12px sans-serif}td,th{border:1px solid #bbb;padding:2px 4px;"
        "vertical-align:top}</style></head><body>"
        f"<h3>{html.escape(study)}: this run against the published values</h3><p>{summary}</p>"
        f"<table><tr>{head}</tr>{''.join(body)}</table></body></html>\n"
    )


def write_vs_paper(
    reference: str | Path, study: str, measurements: Sequence[Measurement], scale: Mapping[str, object],
    out_tsv: str | Path, out_png: str | Path | None = None, out_html: str | Path | None = None,
) -> list[dict]:  # fmt: skip
    """Judge ``study``'s reference rows against ``measurements`` at ``scale``; write the table (TSV, and HTML and
    figure when given)."""
    references = load_reference(reference, study)
    if not references:
        raise ValueError(f"{reference}: no row of study {study!r}")
    rows = compare(references, measurements, scale)
    write_tsv(out_tsv, rows, VS_PAPER_COLUMNS)
    counts = verdict_counts(rows)
    log.info("%s vs paper at scale %s: %s", study, dict(scale),
             ", ".join(f"{name} {count}" for name, count in counts.items() if count))  # fmt: skip
    if out_html is not None:
        with atomic_file(out_html) as tmp:
            Path(tmp).write_text(vs_paper_html(rows, study, counts))
    if out_png is not None:
        from neuromotor.plots.fidelity import plot_vs_paper

        plot_vs_paper(figure_points(rows), counts, f"{study}: this run against the published values", out_png)
    return rows

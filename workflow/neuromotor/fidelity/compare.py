"""This run against the paper: one vs_paper row per (reference row, matching run value) (docs/fidelity.md).

A reference row with condition ``{k: v}`` matches every run value of its quantity whose condition holds those
pairs; a run value may carry more keys (``solver``, ``seed``), so one reference row can give several rows (one per
solver, one per seed). A reference row that matches nothing is kept, with the verdict ``missing from this run``.

Verdicts, decided in this order:

1. ``not checked (unverified)`` / ``not checked (unknown)``: the reference value is not a pass/fail target;
2. ``missing from this run``: no run value (or NaN, or an ordering lacking one of its names);
3. ``not comparable at this scale``: the run's scale fails a clause of ``comparable_when`` (named in the note), or
   the value fails a clause on one of its own facts (:attr:`Measurement.extra`, e.g. a KD teacher that did not
   learn: ``teacher_skill>=0.5``; the note says the comparison is not meaningful for this value);
4. ``agrees`` / ``differs``: the rule applied to the run value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from neuromotor.fidelity.reference import Reference, condition_text
from neuromotor.fidelity.rules import UNKNOWN, Ordering, apply_rule, failing_clauses

AGREES = "agrees"
DIFFERS = "differs"
NOT_COMPARABLE = "not comparable at this scale"
MISSING = "missing from this run"
VERDICTS = (AGREES, DIFFERS, NOT_COMPARABLE, MISSING, "not checked (unverified)", "not checked (unknown)")

VS_PAPER_COLUMNS = (
    "study", "quantity", "condition", "published", "this_run", "difference", "unit", "rule", "verdict", "status",
    "comparable_when", "scale", "source", "note",
)  # fmt: skip
"""Columns of ``results/<study>/vs_paper.tsv``."""


@dataclass(frozen=True)
class Measurement:
    """A value this run computed: a number, or name -> number for an ordering; ``note``: how it was obtained;
    ``extra``: facts of this value (key -> number or text) that ``comparable_when`` clauses may name next to the
    run's scale, e.g. ``teacher_skill`` of a KD ordering (how far its teacher got from chance towards 100 %)."""

    quantity: str
    condition: Mapping[str, str]
    value: float | Mapping[str, float]
    note: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def matches(self, reference: Reference) -> bool:
        return self.quantity == reference.quantity and all(
            str(self.condition.get(key)) == value for key, value in reference.condition
        )


def _format(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{value:.6g}"


def _run_text(reference: Reference, value) -> str:
    if isinstance(value, Mapping):
        names = reference.published.names() if isinstance(reference.published, Ordering) else sorted(value)
        return ", ".join(f"{name}={_format(float(value[name]))}" for name in names if name in value)
    return _format(float(value))


def _usable(reference: Reference, value) -> str:
    """Empty when the value can be judged, else why not."""
    if isinstance(reference.published, Ordering) or isinstance(value, Mapping):
        if not isinstance(value, Mapping):
            return "the run gives a number where the ordering needs named values"
        names = reference.published.names() if isinstance(reference.published, Ordering) else ()
        absent = [name for name in names if name not in value or math.isnan(float(value[name]))]
        return f"the run lacks {', '.join(absent)}" if absent else ""
    return "the run's value is NaN" if math.isnan(float(value)) else ""


def _scale_text(reference: Reference, scale: Mapping[str, object], extra: Mapping[str, object] | None = None) -> str:
    """``key=value; ...`` of every key the row's ``comparable_when`` names (a value's own fact before the scale)."""
    facts = {**scale, **(extra or {})}
    keys = dict.fromkeys(clause.key for clause in reference.comparable_when)
    return "; ".join(f"{key}={facts.get(key, '?')}" for key in keys)


def _failing(reference: Reference, measurement: Measurement, scale: Mapping[str, object]) -> tuple[list, list]:
    """(clauses of ``comparable_when`` the run's scale fails, clauses the value's own facts fail): a clause is
    judged on the measurement's ``extra`` when it names one of its keys, else on the run's scale."""
    own = tuple(clause for clause in reference.comparable_when if clause.key in measurement.extra)
    run = tuple(clause for clause in reference.comparable_when if clause.key not in measurement.extra)
    return failing_clauses(run, scale), failing_clauses(own, measurement.extra)


def compare(
    references: Sequence[Reference], measurements: Sequence[Measurement], scale: Mapping[str, object]
) -> list[dict]:
    """The vs_paper rows (:data:`VS_PAPER_COLUMNS`) of ``references`` against this run's ``measurements``, whose
    comparability is judged on ``scale`` (the run's size: key -> number or text)."""
    rows = []
    for reference in references:
        matched = [m for m in measurements if m.matches(reference)]
        base = {
            "study": reference.study, "quantity": reference.quantity, "published": reference.published_text,
            "unit": reference.unit, "rule": str(reference.rule), "status": reference.status,
            "comparable_when": reference.comparable_text, "scale": _scale_text(reference, scale),
            "source": reference.source,
        }  # fmt: skip
        if not matched:
            others = sorted({condition_text(sorted(m.condition.items())) for m in measurements
                             if m.quantity == reference.quantity})  # fmt: skip
            note = reference.note
            if others:
                note += f" | this run has only: {' / '.join(others[:4])}" + (" ..." if len(others) > 4 else "")
            verdict = MISSING if reference.checked else f"not checked ({reference.status})"
            rows.append(base | {"condition": condition_text(reference.condition), "this_run": "", "difference": "",
                                "verdict": verdict, "note": note.strip(" |")})  # fmt: skip
            continue
        for measurement in matched:
            scale_text = _scale_text(reference, scale, measurement.extra)
            rows.append(base | {"scale": scale_text} | _judge(reference, measurement, scale))
    return rows


def _judge(reference: Reference, measurement: Measurement, scale: Mapping[str, object]) -> dict:
    notes = [text for text in (reference.note, measurement.note) if text]
    condition = condition_text(sorted(measurement.condition.items()))
    problem = _usable(reference, measurement.value)
    if problem:
        verdict = MISSING if reference.checked else f"not checked ({reference.status})"
        return {"condition": condition, "this_run": _run_text(reference, measurement.value), "difference": "",
                "verdict": verdict, "note": " | ".join(notes + [problem])}  # fmt: skip
    difference = ""
    outcome = None
    if reference.published != UNKNOWN:
        outcome = apply_rule(reference.rule, reference.published, measurement.value)
        difference = _format(outcome.difference)
    failed, own = _failing(reference, measurement, scale)
    if not reference.checked:
        verdict = f"not checked ({reference.status})"
    elif failed or own:
        verdict = NOT_COMPARABLE
        if failed:
            notes.append("below the scale of the comparison: " + ", ".join(failed))
        if own:
            notes.append("not meaningful for this value: " + ", ".join(own))
    else:
        verdict = AGREES if outcome.agrees else DIFFERS
    if outcome is not None and outcome.note:
        notes.append(outcome.note)
    return {"condition": condition, "this_run": _run_text(reference, measurement.value), "difference": difference,
            "verdict": verdict, "note": " | ".join(notes)}  # fmt: skip


def verdict_counts(rows: Sequence[Mapping]) -> dict[str, int]:
    """How many rows have each verdict (every verdict listed, zeros included)."""
    counts = {verdict: 0 for verdict in VERDICTS}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    return counts

"""The reference table of published quantities (``resources/reference/published.tsv``; columns: docs/fidelity.md).

:func:`load_reference` reads and validates the whole table: a bad cell fails with one :class:`ReferenceTableError`
naming the file, the line and the column, and what was expected.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from neuromotor.errors import DataFormatError
from neuromotor.fidelity.rules import (
    UNKNOWN,
    Clause,
    Interval,
    Ordering,
    Rule,
    RuleError,
    check_rule_fits,
    parse_condition,
    parse_published,
    parse_rule,
)

COLUMNS = ("study", "quantity", "condition", "published", "unit", "status", "rule", "comparable_when", "source", "note")
"""Columns of the reference table, in this order."""
STUDIES = ("deepdraw", "emg_signatures", "kd", "eeg", "neural")
STATUSES = ("published", "derived", "unverified", "unknown")
"""``published``: a number or finding of the paper (or its original files); ``derived``: arithmetic from the
specified architecture or protocol; ``unverified``: a recalled or secondary source; ``unknown``: not available.
Only ``published`` and ``derived`` rows are ever judged agrees/differs."""
CHECKED = ("published", "derived")


class ReferenceTableError(DataFormatError):
    """A reference table that does not follow docs/fidelity.md."""


@dataclass(frozen=True)
class Reference:
    """One row of the reference table, parsed."""

    study: str
    quantity: str
    condition: tuple[tuple[str, str], ...]
    published_text: str
    published: Interval | Ordering | str
    unit: str
    status: str
    rule: Rule
    comparable_when: tuple[Clause, ...]
    comparable_text: str
    source: str
    note: str
    line: int

    @property
    def checked(self) -> bool:
        return self.status in CHECKED


def parse_condition_text(text: str) -> tuple[tuple[str, str], ...]:
    """``-`` (none) or ``key=value;key=value`` → sorted (key, value) pairs."""
    text = text.strip()
    if text in ("", "-"):
        return ()
    pairs = []
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise RuleError(f"condition part {part!r}: expected key=value (parts joined by ';', '-' for none)")
        pairs.append((key.strip(), value.strip()))
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise RuleError(f"condition {text!r}: a key appears twice")
    return tuple(sorted(pairs))


def condition_text(pairs) -> str:
    """The inverse of :func:`parse_condition_text` (``-`` for no condition)."""
    return ";".join(f"{key}={value}" for key, value in pairs) or "-"


def load_reference(path: str | Path, study: str | None = None) -> list[Reference]:
    """Every row of the table (only ``study``'s when given), validated; raises :class:`ReferenceTableError`."""
    path = Path(path)
    if not path.is_file():
        raise ReferenceTableError(f"{path}: reference table not found")
    with open(path, newline="") as fh:
        lines = list(csv.reader(fh, delimiter="\t"))
    if not lines or tuple(lines[0]) != COLUMNS:
        found = "\t".join(lines[0]) if lines else "an empty file"
        raise ReferenceTableError(f"{path}: line 1: expected the header {'<TAB>'.join(COLUMNS)}, found {found!r}")
    rows, seen = [], {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            raise ReferenceTableError(f"{path}: line {number}: {len(cells)} columns, expected {len(COLUMNS)}")
        row = _parse_row(path, number, dict(zip(COLUMNS, cells)))
        key = (row.study, row.quantity, row.condition, row.published_text)
        if key in seen:
            raise ReferenceTableError(f"{path}: line {number}: repeats line {seen[key]} (same study, quantity, "
                                      "condition and published value)")  # fmt: skip
        seen[key] = number
        if study is None or row.study == study:
            rows.append(row)
    return rows


def _parse_row(path: Path, line: int, cells: dict) -> Reference:
    def fail(column: str, message: str):
        raise ReferenceTableError(f"{path}: line {line}, column '{column}': {message}")

    for column in ("study", "quantity", "published", "unit", "status", "rule", "comparable_when", "source"):
        if not cells[column].strip():
            fail(column, "empty; every row needs it")
    if cells["study"] not in STUDIES:
        fail("study", f"{cells['study']!r} is not one of {', '.join(STUDIES)}")
    if cells["status"] not in STATUSES:
        fail("status", f"{cells['status']!r} is not one of {', '.join(STATUSES)}")
    parsed = {}
    for column, parser in (("condition", parse_condition_text), ("published", parse_published),
                           ("rule", parse_rule), ("comparable_when", parse_condition)):  # fmt: skip
        try:
            parsed[column] = parser(cells[column])
        except RuleError as error:
            fail(column, str(error))
    if (parsed["published"] == UNKNOWN) != (cells["status"] == "unknown"):
        fail("status", "a published value 'unknown' goes with status 'unknown' and only with it")
    try:
        check_rule_fits(parsed["rule"], parsed["published"])
    except RuleError as error:
        fail("rule", str(error))
    return Reference(
        study=cells["study"], quantity=cells["quantity"].strip(), condition=parsed["condition"],
        published_text=cells["published"].strip(), published=parsed["published"], unit=cells["unit"].strip(),
        status=cells["status"], rule=parsed["rule"], comparable_when=parsed["comparable_when"],
        comparable_text=cells["comparable_when"].strip(), source=cells["source"].strip(), note=cells["note"].strip(),
        line=line,
    )  # fmt: skip

"""Agreement rules, published values and comparability conditions of the reference table (docs/fidelity.md).

Three small languages, each parsed once into a frozen object and evaluated by pure functions:

- a **published value**: a number (``0.3707``), an interval ``lo..hi`` (either end may be empty: ``..0.015``), an
  ordering (``a > b >= c``, ``trained >> untrained``, groups ``{a,b} > {c,d}``) or ``unknown``;
- a **rule**: ``abs(t)`` (|difference| <= t), ``rel(f)`` (|difference| <= f x |published|), ``exact`` (difference
  0), ``order`` or ``order(much=k)`` (every relation of the ordering holds; ``>>`` means at least k times);
- a **comparability condition**: ``always`` or clauses ``key OP value`` joined by ``&`` (OP one of ``>= <= > < ==
  !=``) over the run's scale (``n_train>=144000 & n_labels==20``).

Errors are :class:`RuleError` with a message naming what was expected; the table loader adds file, line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from neuromotor.errors import NeuromotorError


class RuleError(NeuromotorError, ValueError):
    """A published value, rule or comparability condition that does not parse."""


# ---------------------------------------------------------------------------------------------------------------
# published values


@dataclass(frozen=True)
class Interval:
    """A published number (``lo == hi``) or range; ``-inf``/``inf`` for an open end."""

    lo: float
    hi: float

    def distance(self, value: float) -> float:
        """Signed distance of ``value`` to the interval: 0 inside, ``value - hi`` above, ``value - lo`` below."""
        if value > self.hi:
            return value - self.hi
        if value < self.lo:
            return value - self.lo
        return 0.0

    def scale(self) -> float:
        """The magnitude a relative band is taken of (largest finite end)."""
        ends = [abs(x) for x in (self.lo, self.hi) if math.isfinite(x)]
        return max(ends) if ends else 0.0


@dataclass(frozen=True)
class Ordering:
    """``groups[0] rel[0] groups[1] rel[1] ...``; each group a tuple of names, each relation ``>``, ``>=`` or ``>>``."""

    groups: tuple[tuple[str, ...], ...]
    relations: tuple[str, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(name for group in self.groups for name in group)


UNKNOWN = "unknown"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RuleError(f"{what}: {text!r} is not a number") from None


def parse_published(text: str) -> Interval | Ordering | str:
    """A published value: :class:`Interval` (number or range), :class:`Ordering`, or :data:`UNKNOWN`."""
    text = text.strip()
    if not text:
        raise RuleError("empty published value; expected a number, lo..hi, an ordering or 'unknown'")
    if text == UNKNOWN:
        return UNKNOWN
    if re.fullmatch(_NUMBER, text):
        value = float(text)
        return Interval(value, value)
    if ".." in text and not re.search(r"[<>{]", text):
        lo, _, hi = text.partition("..")
        lo_value = _number(lo, "interval start") if lo.strip() else -math.inf
        hi_value = _number(hi, "interval end") if hi.strip() else math.inf
        if lo_value > hi_value:
            raise RuleError(f"interval {text!r}: start {lo_value} is above end {hi_value}")
        return Interval(lo_value, hi_value)
    if ">" in text:
        return _parse_ordering(text)
    raise RuleError(f"{text!r}: expected a number, lo..hi, an ordering such as 'a > b' or 'unknown'")


def _parse_ordering(text: str) -> Ordering:
    parts = re.split(r"\s*(>>|>=|>)\s*", text)
    terms, relations = parts[0::2], tuple(parts[1::2])
    groups = []
    for term in terms:
        term = term.strip()
        if term.startswith("{") and term.endswith("}"):
            names = tuple(name.strip() for name in term[1:-1].split(","))
        else:
            names = (term,)
        for name in names:
            if not re.fullmatch(_NAME, name):
                raise RuleError(f"ordering {text!r}: {name!r} is not a name (letters, digits, _ . -)")
        groups.append(names)
    if len(groups) < 2:
        raise RuleError(f"ordering {text!r}: needs at least two terms")
    return Ordering(tuple(groups), relations)


# ---------------------------------------------------------------------------------------------------------------
# rules


@dataclass(frozen=True)
class Rule:
    """``kind`` in {abs, rel, exact, order}; ``tolerance``: the band (abs, rel) or the ``>>`` factor (order)."""

    kind: str
    tolerance: float = 0.0

    def __str__(self) -> str:
        if self.kind == "exact":
            return "exact"
        if self.kind == "order":
            return f"order(much={self.tolerance:g})" if self.tolerance else "order"
        return f"{self.kind}({self.tolerance:g})"


def parse_rule(text: str) -> Rule:
    """``abs(t)``, ``rel(f)``, ``exact``, ``order`` or ``order(much=k)`` (t, f >= 0; k > 1)."""
    text = text.strip()
    if text in ("exact", "order"):
        return Rule(text)
    match = re.fullmatch(r"(abs|rel)\(\s*(" + _NUMBER + r")\s*\)", text)
    if match:
        tolerance = float(match.group(2))
        if tolerance < 0:
            raise RuleError(f"rule {text!r}: the band must be >= 0")
        return Rule(match.group(1), tolerance)
    match = re.fullmatch(r"order\(\s*much\s*=\s*(" + _NUMBER + r")\s*\)", text)
    if match:
        factor = float(match.group(1))
        if factor <= 1:
            raise RuleError(f"rule {text!r}: the factor of '>>' must be > 1")
        return Rule("order", factor)
    raise RuleError(f"rule {text!r}: expected abs(t), rel(f), exact, order or order(much=k)")


def check_rule_fits(rule: Rule, published) -> None:
    """A numeric rule needs a number or interval, an ordering rule an ordering (``>>`` needs ``much``)."""
    if published == UNKNOWN:
        return
    if rule.kind == "order":
        if not isinstance(published, Ordering):
            raise RuleError(f"rule {rule} needs an ordering as published value")
        if ">>" in published.relations and not rule.tolerance:
            raise RuleError("the ordering uses '>>': the rule must give its factor, order(much=k)")
    elif not isinstance(published, Interval):
        raise RuleError(f"rule {rule} needs a number or lo..hi as published value")
    elif rule.kind == "exact" and published.lo != published.hi:
        raise RuleError("rule exact needs a single number as published value")


@dataclass(frozen=True)
class Outcome:
    """The rule applied to a run value: ``agrees``; ``difference`` (numeric: run minus published, 0 inside a range;
    ordering: the smallest margin of its relations, >= 0 when all hold); ``note`` (the relations that fail)."""

    agrees: bool
    difference: float
    note: str = ""


def apply_rule(rule: Rule, published, value) -> Outcome:
    """Compare a run value (a float; a mapping name -> float for orderings) with the published value."""
    if rule.kind == "order":
        return _apply_ordering(published, value, rule.tolerance)
    difference = published.distance(float(value))
    if rule.kind == "exact":
        return Outcome(difference == 0, difference)
    band = rule.tolerance if rule.kind == "abs" else rule.tolerance * published.scale()
    return Outcome(abs(difference) <= band + 1e-12 * max(1.0, abs(band)), difference)


def _apply_ordering(ordering: Ordering, values: Mapping[str, float], factor: float) -> Outcome:
    margins, failed = [], []
    for left, relation, right in zip(ordering.groups, ordering.relations, ordering.groups[1:]):
        for a in left:
            for b in right:
                x, y = float(values[a]), float(values[b])
                if relation == ">>":
                    margin, holds = x - factor * y, x >= factor * y
                elif relation == ">=":
                    margin, holds = x - y, x >= y
                else:
                    margin, holds = x - y, x > y
                margins.append(margin)
                if not holds:
                    failed.append(f"{a} {relation} {b} fails ({x:.4g} vs {y:.4g})")
    return Outcome(not failed, min(margins), "; ".join(failed))


# ---------------------------------------------------------------------------------------------------------------
# comparability


@dataclass(frozen=True)
class Clause:
    key: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value}"


_OPS = (">=", "<=", "==", "!=", ">", "<")


def parse_condition(text: str) -> tuple[Clause, ...]:
    """``always`` (no clause) or ``key OP value & ...``."""
    text = text.strip()
    if text == "always":
        return ()
    clauses = []
    for part in text.split("&"):
        match = re.fullmatch(r"\s*(" + _NAME + r")\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*", part)
        if not match:
            raise RuleError(f"comparability {part.strip()!r}: expected 'key OP value' with OP one of {' '.join(_OPS)}")
        key, op, value = match.groups()
        if op not in ("==", "!=") and not re.fullmatch(_NUMBER, value):
            raise RuleError(f"comparability {part.strip()!r}: {op} needs a number")
        clauses.append(Clause(key, op, value))
    return tuple(clauses)


def failing_clauses(clauses: tuple[Clause, ...], scale: Mapping[str, object]) -> list[str]:
    """The clauses the run's scale does not meet, each with the run's value (a key the scale lacks fails)."""
    failed = []
    for clause in clauses:
        if clause.key not in scale:
            failed.append(f"{clause} (the run records no {clause.key})")
            continue
        actual = scale[clause.key]
        if clause.op in ("==", "!="):
            same = str(actual) == clause.value
            if _is_number(actual) and re.fullmatch(_NUMBER, clause.value):
                same = float(actual) == float(clause.value)
            holds = same if clause.op == "==" else not same
        else:
            if not _is_number(actual):
                failed.append(f"{clause} (the run's {clause.key} is {actual!r}, not a number)")
                continue
            x, y = float(actual), float(clause.value)
            holds = {">=": x >= y, "<=": x <= y, ">": x > y, "<": x < y}[clause.op]
        if not holds:
            failed.append(f"{clause} (run: {actual})")
    return failed


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

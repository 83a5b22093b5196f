"""Every rule that runs code declares threads, memory and run time (memory and time growing with the attempt), a
log and a conda environment, so that cluster profiles can turn them into scheduler requests."""

import re
from pathlib import Path

import pytest

from tests.runner import PROJECT_ROOT

RULE_FILES = sorted((PROJECT_ROOT / "rules").glob("*.smk"))


def rule_blocks(path: Path) -> dict[str, str]:
    text = path.read_text()
    parts = re.split(r"^rule (\w+):\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


JOB_RULES = [
    (path.name, name, body)
    for path in RULE_FILES
    for name, body in rule_blocks(path).items()
    if re.search(r"^\s+(script|shell|run):", body, flags=re.M)
]


def test_there_are_job_rules():
    assert len(JOB_RULES) >= 8


PLANS = "\n".join(path.read_text() for path in sorted((PROJECT_ROOT / "rules").rglob("*.smk")))


def grows_with_attempt(body: str, resource: str) -> bool:
    """The resource is a lambda scaling with ``attempt``, or a function of a rules file (rules/plan/*.smk) that
    does."""
    match = re.search(rf"^\s+{resource}=(.+?),\s*(?:#.*)?$", body, flags=re.M)  # a trailing comment may follow
    if match is None:
        return False
    value = match.group(1)
    if value.startswith("lambda"):
        return "attempt:" in value and "attempt" in value.split(":", 1)[1]
    function = re.search(rf"^def {re.escape(value)}\((.*?)\):\n(.*?)(?=^\S)", PLANS + "\nend", flags=re.M | re.S)
    return function is not None and "attempt" in function.group(1) and "attempt" in function.group(2)


@pytest.mark.parametrize("file, rule, body", JOB_RULES, ids=[f"{f}:{r}" for f, r, _ in JOB_RULES])
def test_rule_declares_its_resources(file, rule, body):
    assert re.search(r"^\s+threads:", body, flags=re.M), f"{rule}: no threads"
    assert grows_with_attempt(body, "mem_mb"), f"{rule}: mem_mb must grow with the attempt"
    assert grows_with_attempt(body, "runtime"), f"{rule}: runtime must grow with the attempt"
    assert re.search(r"^\s+log:", body, flags=re.M), f"{rule}: no log"

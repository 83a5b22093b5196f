"""docs/figures.md, the inventory of the papers' figures and tables: every output it names is an output of the rule
it names in a dry-run of that study's paper plan (issue 18.1), or, for a row that names a companion plan
(``plan `config/paper/<name>.yaml` ``, layered over the paper plan), in a dry-run of the two together, where every rule
the row names must have jobs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from neuromotor.config import merge_configs
from tests.runner import PROJECT_ROOT, Workflow

pytestmark = [pytest.mark.workflow, pytest.mark.slow]  # four paper-plan dry-runs, DeepDraw's with about 3,000 jobs

INVENTORY = PROJECT_ROOT / "docs/figures.md"
PLANS = {  # section heading start -> (plan, targets)
    "DeepDraw": ("deepdraw", ("pcrt", "svm", "convnets", "representations")),
    "EMG signatures": ("emg_signatures", ("emg_signatures",)),
    "KD": ("kd", ("kd",)),
    "EEG interpretation": ("eeg", ("eeg",)),
}


COMPANION = re.compile(r"plan `(config/paper/[\w.]+\.yaml)`")


def inventory() -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """Per study: (paper item, rules, outputs) of every table row naming an output and no companion plan."""
    return {study: [row[:3] for row in rows if row[3] is None] for study, rows in inventory_rows().items()}


def companion_rows() -> list[tuple[str, str, list[str], list[str], str]]:
    """(study, paper item, rules, outputs, companion plan) of every row naming a companion plan."""
    return [(study, *row[:3], row[3]) for study, rows in inventory_rows().items() for row in rows if row[3]]


def inventory_rows() -> dict[str, list[tuple[str, list[str], list[str], str | None]]]:
    """Per study: (paper item, rules, outputs, companion plan or None) of every table row naming an output."""
    sections: dict[str, list] = {}
    study = None
    for line in INVENTORY.read_text().splitlines():
        if line.startswith("## "):
            study = next((name for name in PLANS if line[3:].startswith(name)), None)
            sections.setdefault(study, [])
        elif study and line.startswith("| ") and not line.startswith(("| Paper", "|---")):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, f"docs/figures.md: row of {study} must have 4 cells: {line}"
            outputs = re.findall(r"`(results/[^`]+)`", cells[3])
            rules = re.findall(r"`(\w+)`", cells[2])
            companion = COMPANION.search(cells[2])
            if outputs:
                assert rules, f"docs/figures.md: row {cells[0]!r} of {study} names outputs but no rule"
                sections[study].append((cells[0], rules, outputs, companion.group(1) if companion else None))
    return sections


def planned_outputs(text: str) -> dict[str, str]:
    """output path -> rule of every job of a dry-run's job listing."""
    outputs, rule = {}, None
    for line in text.splitlines():
        match = re.match(r"^(?:local)?rule (\w+):", line)
        if match:
            rule = match.group(1)
        elif rule and line.strip().startswith("output:"):
            for path in line.split("output:", 1)[1].split(","):
                outputs[path.strip()] = rule
    return outputs


def test_the_inventory_covers_all_four_studies():
    sections = inventory()
    assert set(sections) >= set(PLANS)
    assert all(len(sections[study]) >= 3 for study in PLANS)


@pytest.mark.parametrize("study", list(PLANS))
def test_every_listed_output_is_made_by_its_rule_in_the_paper_plan(tmp_path, study):
    plan, targets = PLANS[study]
    config = yaml.safe_load((PROJECT_ROOT / f"config/paper/{plan}.yaml").read_text())
    workflow = Workflow(tmp_path / plan, config)
    if plan == "emg_signatures":  # the plan reads the original files' headers: placeholders in their layout
        from neuromotor.emg.plan import CONDITIONS
        from neuromotor.io.emg_mat import write_emg_mat

        directory = workflow.path / config["emg_signatures"]["data"]["directory"]
        directory.mkdir(parents=True)
        for stem in CONDITIONS.values():
            write_emg_mat(directory / f"{stem}.mat", np.zeros((78, 200, 8)), np.eye(78))
    result = workflow.run("-n", *targets, timeout=1800)
    made = planned_outputs(result.stdout + result.stderr)
    assert made, "the dry-run listed no job"
    for item, rules, outputs in inventory()[study]:
        for output in outputs:
            assert output in made, f"docs/figures.md, {study} {item}: {output} is not an output of the paper plan"
            assert made[output] in rules, (f"docs/figures.md, {study} {item}: {output} comes from rule "
                                           f"{made[output]}, not {rules}")


def test_rows_of_a_companion_plan_are_made_by_their_rules_in_it(tmp_path):
    rows = companion_rows()
    assert rows, "docs/figures.md names no companion plan (the ART-vs-TDT CKA sweep has one)"
    for study, item, rules, outputs, companion in rows:
        plan, targets = PLANS[study]
        assert (PROJECT_ROOT / companion).is_file(), f"docs/figures.md, {study} {item}: {companion} not found"
        config = merge_configs(
            yaml.safe_load((PROJECT_ROOT / f"config/paper/{plan}.yaml").read_text()),
            yaml.safe_load((PROJECT_ROOT / companion).read_text()),
        )
        result = Workflow(tmp_path / f"{plan}_{Path(companion).stem}", config).run("-n", *targets, timeout=1800)
        made = planned_outputs(result.stdout + result.stderr)
        for output in outputs:
            assert made.get(output) in rules, f"docs/figures.md, {study} {item}: {output} not made by {rules}"
        for rule in rules:
            assert rule in made.values(), f"docs/figures.md, {study} {item}: no {rule} job under {companion}"

"""docs/figures.md, the inventory of the papers' figures and tables: every output it names is an output of the rule
it names in a dry-run of that study's paper plan (issue 18.1)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from tests.runner import PROJECT_ROOT, Workflow

pytestmark = [pytest.mark.workflow, pytest.mark.slow]  # four paper-plan dry-runs, DeepDraw's with about 3,000 jobs

INVENTORY = PROJECT_ROOT / "docs/figures.md"
PLANS = {  # section heading start -> (plan, targets)
    "DeepDraw": ("deepdraw", ("pcrt", "svm", "convnets", "representations")),
    "EMG signatures": ("emg_signatures", ("emg_signatures",)),
    "KD": ("kd", ("kd",)),
    "EEG interpretation": ("eeg", ("eeg",)),
}


def inventory() -> dict[str, list[tuple[str, list[str], list[str]]]]:
    """Per study: (paper item, rules, outputs) of every table row naming an output."""
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
            if outputs:
                assert rules, f"docs/figures.md: row {cells[0]!r} of {study} names outputs but no rule"
                sections[study].append((cells[0], rules, outputs))
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

"""The report groups each study's outputs by the paper's figure numbers (issue 18.4): every report entry of the four
studies' rule files names its paper as the category and a figure (or what it is instead) as the subcategory, and
each figure number named there is one that docs/figures.md lists for that paper."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUDIES = {
    "DeepDraw (Sandbrink et al. 2023)": ("pcrt", "svm", "convnets", "representations"),
    "EMG signatures (Aeles et al. 2021)": ("emg_signatures",),
    "KD ultrasound to sEMG (Zeng et al. 2022)": ("kd",),
    "EEG interpretation (Cui et al. 2023)": ("eeg",),
}
REPORT = re.compile(r"report\((?:[^()]|\([^()]*\))*?\)", re.S)


def report_entries(name: str) -> list[str]:
    """The text of every report(...) call of rules/<name>.smk and rules/plan/<name>.smk."""
    entries = []
    for path in (ROOT / "rules" / f"{name}.smk", ROOT / "rules" / "plan" / f"{name}.smk"):
        if path.is_file():
            entries += REPORT.findall(path.read_text())
    return entries


def inventory_figures() -> dict[str, set[str]]:
    """Paper heading word -> the figure numbers ("Fig. 3") in docs/figures.md's first column."""
    out, study = {}, None
    for line in (ROOT / "docs/figures.md").read_text().splitlines():
        if line.startswith("## "):
            study = line[3:].split(" — ")[0]
            out[study] = set()
        elif study and line.startswith("| Fig."):
            out[study].add(re.match(r"\| (Fig\. \d+)", line).group(1))
    return out


def test_every_report_entry_names_its_paper_and_a_subcategory():
    for category, names in STUDIES.items():
        for name in names:
            entries = report_entries(name)
            assert entries, f"rules/{name}.smk has no report entry"
            for entry in entries:
                literal = re.search(r'(?<!sub)category="([^"]+)"', entry)
                assert literal is None or literal.group(1) == category, f"rules/{name}.smk: {entry}"
                assert literal or "category=EMG_FIGURE_CATEGORY" in entry, f"rules/{name}.smk: no category in {entry}"
                assert "subcategory=" in entry, f"rules/{name}.smk: no subcategory in {entry}"


def test_figure_subcategories_are_figures_of_the_inventory():
    listed = inventory_figures()
    short = {"DeepDraw (Sandbrink et al. 2023)": "DeepDraw", "EMG signatures (Aeles et al. 2021)": "EMG signatures"}
    for category, study in short.items():
        used = {match for name in STUDIES[category] for entry in report_entries(name)
                for match in re.findall(r'subcategory="(Fig\. \d+)"', entry)}
        assert used, category
        assert used <= listed[study], f"{category}: {sorted(used - listed[study])} not in docs/figures.md"

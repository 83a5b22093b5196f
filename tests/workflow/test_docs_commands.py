"""Every command that README.md and docs/*.md show runs as written.

The commands are the `snakemake`, `.venv/bin/snakemake` and `neuromotor-plan` lines of the fenced code blocks and
the inline code spans that start with one of those programs. Each is parsed by the program's own argument parser
(fast: wrong order of targets and `--configfile`, unknown options, missing config files, unknown targets), and
dry-run (slow: snakemake with `-n` added, neuromotor-plan as written, which only plans) in a scratch working
directory that sees the project's config, resources and profiles. Commands that cannot run here are skipped for
a reason of SKIP_REASONS, and the skipped ones are listed in the test output."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.runner import PROJECT_ROOT

PROGRAMS = {"snakemake": "snakemake", ".venv/bin/snakemake": "snakemake", "neuromotor-plan": "neuromotor-plan"}
DOCUMENTS = ("README.md", "docs")

SKIP_REASONS = {
    "profile": "submits jobs to a SLURM or SGE scheduler (the profiles are tested by tests/cluster)",
    "report": "renders the report of a finished run",
    "lint": "lints the workflow (`make lint`), plans nothing",
    "placeholder": "names a file or folder the reader supplies (`...`, `<...>`, `my.yaml`, `my-profile`)",
    "mention": "names the program, not a command (neuromotor-plan needs --configfile)",
    "model": "plans on the user-supplied macaque model, not beside this checkout (../shared/models)",
}

USER_SUPPLIED = {"config/paper/tdp.yaml": PROJECT_ROOT.parent / "shared/models/Snap_scaled_fin1.osim"}
"""Presets whose model the user supplies (its path relative to the working directory, as the preset names it)."""


@dataclass(frozen=True)
class Command:
    """One command as a document shows it: where, its words (the program first, normalised) and its text."""

    document: str
    line: int
    text: str

    @property
    def words(self) -> list[str]:
        words = shlex.split(self.text, comments=True)
        return [PROGRAMS[words[0]], *words[1:]]

    @property
    def program(self) -> str:
        return self.words[0]

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"


def _command_at(document: str, line: int, text: str) -> Command | None:
    text = " ".join(text.split())
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        return None
    return Command(document, line, text) if words and words[0] in PROGRAMS else None


def extract_commands(document: str, text: str) -> list[Command]:
    """The commands of a markdown text: lines of fenced code blocks (backslash continuations joined, `$ ` prompts
    dropped) and inline code spans, each starting with one of PROGRAMS."""
    found: list[Command] = []
    lines = text.split("\n")
    in_block, pending, start = False, "", 0
    prose: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        if not in_block:
            if line.startswith("    ") and _command_at(document, number, line):  # an indented code block
                found.append(_command_at(document, number, line))
            else:
                prose.append((number, line))
            continue
        stripped = line.strip().removeprefix("$ ")
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        command = _command_at(document, start, pending + stripped)
        pending = ""
        if command:
            found.append(command)
    joined = "\n".join(line for _, line in prose)
    offsets = [0]
    for _, line in prose:
        offsets.append(offsets[-1] + len(line) + 1)
    for match in re.finditer(r"(?<!`)`([^`]+)`(?!`)", joined):
        index = next(i for i, offset in enumerate(offsets) if offset > match.start()) - 1
        command = _command_at(document, prose[index][0], match.group(1))
        if command:
            found.append(command)
    return found


def documented_commands() -> list[Command]:
    paths = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    return [c for p in paths for c in extract_commands(str(p.relative_to(PROJECT_ROOT)), p.read_text())]


def skip_reason(command: Command) -> str | None:
    """Why a command cannot run in a test, or None (a key of SKIP_REASONS)."""
    words = command.words
    if words == ["neuromotor-plan"]:
        return "mention"
    if "--profile" in words:
        return "profile"
    if "--report" in words:
        return "report"
    if "--lint" in words:
        return "lint"
    if any("..." in w or "<" in w or ">" in w or w in ("my.yaml", "my-profile") for w in words):
        return "placeholder"
    if any(w in USER_SUPPLIED and not USER_SUPPLIED[w].is_file() for w in words):
        return "model"
    return None


# --- parsing ------------------------------------------------------------------------------------------------------


def _rule_names() -> set[str]:
    names = set()
    for path in [PROJECT_ROOT / "Snakefile", *sorted((PROJECT_ROOT / "rules").glob("**/*.smk"))]:
        names |= set(re.findall(r"^(?:local)?rule\s+(\w+)\s*:", path.read_text(), flags=re.M))
    return names


def _plan_cost_options() -> set[str]:
    """The options of neuromotor-plan (each takes one value), read from its parser's definition."""
    source = (PROJECT_ROOT / "workflow/neuromotor/plan_cost.py").read_text()
    return set(re.findall(r'add_argument\(\s*"(--[\w-]+)"', source))


def parse(command: Command) -> tuple[list[str], list[str], list[str]]:
    """(targets, config files, unknown arguments) as the command's program reads its words."""
    words = command.words[1:]
    if command.program == "snakemake":
        from snakemake.cli import get_argument_parser

        try:
            args, unknown = get_argument_parser().parse_known_args(words)
        except SystemExit:
            return [], [], words
        return list(args.targets), [str(p) for p in args.configfile or []], unknown
    options, targets, configs, unknown, index = _plan_cost_options(), [], [], [], 0
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            name, _, value = word.partition("=")
            if name not in options:
                unknown.append(word)
            elif not value:
                index += 1
                value = words[index] if index < len(words) else ""
            if name == "--configfile":
                configs.append(value)
        else:
            targets.append(word)
        index += 1
    return targets, configs, unknown


def command_problems(command: Command, rules: set[str], root: Path = PROJECT_ROOT) -> list[str]:
    """What makes a command fail before it plans anything: an unknown option, a config file that is not there (a
    target written after `--configfile` is read as one), a target that is no rule."""
    targets, configs, unknown = parse(command)
    problems = [f"{command}: unknown argument {word!r}" for word in unknown]
    for path in configs:
        if not (root / path).is_file():
            problems.append(f"{command}: config file {path!r} does not exist (targets go before --configfile)")
    for target in targets:
        if target not in rules and "/" not in target:
            problems.append(f"{command}: target {target!r} is no rule of the workflow")
    return problems


def test_the_documents_show_commands():
    commands = documented_commands()
    documents = {c.document for c in commands}
    assert "README.md" in documents and any(d.startswith("docs/") for d in documents), documents
    assert any(c.program == "neuromotor-plan" for c in commands)


def test_every_documented_command_parses():
    rules = _rule_names()
    commands = [c for c in documented_commands() if skip_reason(c) not in ("placeholder", "mention")]
    problems = [p for c in commands for p in command_problems(c, rules)]
    assert not problems, "\n".join(problems)


def test_the_parse_check_fails_on_a_broken_command():
    """The order the issue found broken: targets after --configfile; and a target that is no rule."""
    rules = _rule_names()
    broken = Command("x.md", 1, "snakemake -n --configfile config/paper/eeg.yaml eeg")
    assert any("does not exist" in p for p in command_problems(broken, rules))
    assert command_problems(Command("x.md", 1, "snakemake -n eeg --configfile config/paper/eeg.yaml"), rules) == []
    assert command_problems(Command("x.md", 1, "snakemake -n egg --configfile config/paper/eeg.yaml"), rules)
    assert command_problems(Command("x.md", 1, "neuromotor-plan eeg --configfile config/paper/<missing>.yaml"), rules)


def test_extraction_of_blocks_and_spans():
    text = "\n".join([
        "Run `snakemake -n eeg --configfile\nconfig/paper/eeg.yaml` or `make run`.",
        "```bash",
        "snakemake -n \\",
        "  pcrt   # a comment",
        "$ .venv/bin/snakemake -n kd --configfile config/paper/kd.yaml",
        "python -m pytest",
        "```",
    ])  # fmt: skip
    commands = extract_commands("x.md", text)
    assert [(c.line, c.words) for c in commands] == [
        (4, ["snakemake", "-n", "pcrt"]),
        (6, ["snakemake", "-n", "kd", "--configfile", "config/paper/kd.yaml"]),
        (1, ["snakemake", "-n", "eeg", "--configfile", "config/paper/eeg.yaml"]),
    ]


# --- dry-runs -----------------------------------------------------------------------------------------------------


def _workdir(path: Path) -> Path:
    """A working directory like the checkout: its config, resources and profiles, and ``../shared`` beside it."""
    path.mkdir(parents=True, exist_ok=True)
    for name in ("config", "resources", "profiles"):
        (path / name).symlink_to(PROJECT_ROOT / name)
    if (PROJECT_ROOT.parent / "shared").is_dir():
        (path.parent / "shared").symlink_to(PROJECT_ROOT.parent / "shared")
    return path


def _write_emg_paper_files(root: Path) -> None:
    """Files in the original EMG layout for every condition of the EMG paper plan (zeros: planning reads shapes)."""
    import numpy as np
    import yaml

    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.io.emg_mat import write_emg_mat

    plan = yaml.safe_load((PROJECT_ROOT / "config/paper/emg_signatures.yaml").read_text())["emg_signatures"]
    folder = root / plan["data"]["directory"]
    folder.mkdir(parents=True)
    participants, cycles = 78, 10
    onehot = np.repeat(np.eye(participants), cycles, axis=0)
    for condition in plan["data"]["conditions"]:
        write_emg_mat(folder / f"{CONDITIONS[condition]}.mat", np.zeros((participants * cycles, 200, 8)), onehot)


def _dry_run_argv(words: list[str]) -> list[str]:
    if words[0] == "snakemake":
        return [sys.executable, "-m", "snakemake", "--snakefile", str(PROJECT_ROOT / "Snakefile"), "-n", *words[1:]]
    return [sys.executable, "-m", "neuromotor.plan_cost", "--snakefile", str(PROJECT_ROOT / "Snakefile"), *words[1:]]


def dry_runs(commands: list[Command]) -> list[tuple[list[str], list[Command]]]:
    """The runs that check the commands: snakemake commands that differ only in their targets share one dry-run of
    all their targets; every neuromotor-plan command runs on its own."""
    groups: dict[tuple[str, ...], list[Command]] = {}
    runs = []
    for command in commands:
        if command.program != "snakemake":
            runs.append((command.words, [command]))
            continue
        rest = list(command.words)
        for target in parse(command)[0]:
            rest.remove(target)
        rest = [w for w in rest if w not in ("-n", "--dry-run", "--dryrun")]
        for option in ("--cores", "--resources"):  # scheduling on the submitting machine: the plan is the same
            if option in rest:
                del rest[rest.index(option) : rest.index(option) + 2]
        groups.setdefault(tuple(rest), []).append(command)
    for rest, members in groups.items():
        targets = list(dict.fromkeys(t for c in members for t in (parse(c)[0] or ["all"])))
        runs.append(([rest[0], *targets, *rest[1:]], members))
    return runs


@pytest.mark.slow
@pytest.mark.workflow
def test_every_documented_command_dry_runs(tmp_path):
    """Each command with `-n` (neuromotor-plan as written) exits 0 (neuromotor-plan: or 1 with the jobs over the
    cluster limits, which it prints); skipped ones are listed with their reason."""
    commands = documented_commands()
    runnable = [c for c in commands if skip_reason(c) is None]
    skipped = [(c, SKIP_REASONS[skip_reason(c)]) for c in commands if skip_reason(c)]
    print("skipped:\n" + "\n".join(f"  {c}  -- {reason}" for c, reason in skipped))
    root = _workdir(tmp_path / "work")
    broken = Command("x.md", 1, "snakemake -n --configfile config/paper/eeg.yaml eeg")  # the order the issue found
    assert subprocess.run(_dry_run_argv(broken.words), cwd=root, capture_output=True, timeout=900).returncode != 0
    if any("config/paper/emg_signatures.yaml" in c.words for c in runnable):
        _write_emg_paper_files(root)
    failures = []
    for words, members in dry_runs(runnable):
        result = subprocess.run(_dry_run_argv(words), cwd=root, capture_output=True, text=True, timeout=900)
        if result.returncode == 0:
            continue
        if words[0] == "neuromotor-plan" and result.returncode == 1 and "OVER CLUSTER LIMITS" in result.stdout:
            # the command ran: it exits 1 to report a job over the cluster limits, a finding about the plan
            print(f"{members[0]}: " + "; ".join(l for l in result.stdout.splitlines() if "OVER CLUSTER" in l))
            continue
        for command in members:  # name the broken ones
            single = subprocess.run(_dry_run_argv(command.words), cwd=root, capture_output=True, text=True, timeout=900)
            if single.returncode != 0:
                failures.append(f"{command}\n{single.stdout[-1500:]}\n{single.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)

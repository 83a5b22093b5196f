"""Nothing in the repository points at files it does not contain.

A heuristic over every tracked text file: markdown links (`[text](path#anchor)`: the file and, for a markdown
file, the heading), and mentions of repository paths (`dir/name.ext`: at least one folder and an extension).
A mention resolves when the path exists from the repository root, from the mentioning file's folder or one above
it, or as the end of a tracked path (`neuromotor/pcrt/plan.py` inside `workflow/`). Paths the workflow or the user
creates (OUTPUT_PREFIXES, OUTPUT_SUFFIXES), system paths and URLs are not repository files and are left alone. In
the user-facing documents (DOCUMENTS) a bare markdown file name (`pcrt.md`) must also name a file of the
repository. Only tracked files count: commit a file together with the first file that mentions it.

The project's specifications live outside the repository, so no tracked file (library, tests, rules, report captions,
tables) may point at them: neither their file names (SPEC_FILES) nor section signs (`spec §4.2`, a bare `§5`). A
docstring states the fact itself and cites the paper (`Sandbrink et al. 2023, Methods`) or a file of the
repository (`docs/decisions.md`)."""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TEXT_SUFFIXES = {".md", ".py", ".smk", ".yaml", ".yml", ".rst", ".toml", ".txt", ".sh", ".cfg", ".ini", ".json", ""}
# Written by the workflow, by a test, or by the user; never tracked.
OUTPUT_PREFIXES = (
    "results/", "logs/", "benchmarks/", ".snakemake/", "data/", "resources/data/", ".venv/", "tmp/", "build/",
    "my-profile/", "checkpoints/", "figures/", "runs/", "signatures/", "subsample/", "robustness/", "matrices/",
    "models/", "probe/", "attribution/", "summary/", "search/", "final/", "cka/", "cka_sweep/", "features/",
    "fits/", "shards/", "surrogate/", "synthetic/", "EMG/", "US/", "pcr_data/", "dataset/", "data_",
)  # fmt: skip
OUTPUT_SUFFIXES = {
    ".zarr", ".tsv", ".html", ".png", ".pdf", ".pt", ".npz", ".hdf5", ".h5", ".mat", ".json", ".txt", ".osim", ".log",
}  # fmt: skip
DOCUMENTS = ("README.md", "docs/", "config/", "workflow/schemas/")

LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
PATH = re.compile(r"(?<![\\\w/.:~$-])((?:\.\.?/)?(?:[\w.-]+/)+[\w.-]*\w\.[A-Za-z][A-Za-z0-9]{0,4})(?![\w/(-])")
BARE_MARKDOWN = re.compile(r"(?<![\w/.-])([\w-]+\.md)\b")


@lru_cache(maxsize=1)
def tracked() -> tuple[str, ...]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return tuple(line for line in out.splitlines() if line)


def text_files() -> list[str]:
    """Every tracked text file but this one (whose examples are broken on purpose) and the recorded data of
    tests/fixtures/ (a JSON fixture's keys are store paths such as ``train/label.attrs``, not mentions)."""
    me = str(Path(__file__).resolve().relative_to(ROOT))
    return [
        p for p in tracked()
        if Path(p).suffix in TEXT_SUFFIXES and (ROOT / p).is_file() and p != me
        and not (p.startswith("tests/fixtures/") and Path(p).suffix == ".json")
    ]  # fmt: skip


def slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M)}


def resolves(mention: str, source: str) -> bool:
    """Whether a path mentioned in file `source` names a tracked file or folder."""
    mention = mention.rstrip(".")
    names = set(tracked())
    folders = {str(Path(p).parent) for p in names}
    # from the root, the file's folder, or a folder above it (a wrapper in rules/plan/ names paths for rules/)
    candidates = [mention, *(str(folder / mention) for folder in Path(source).parents)]
    for candidate in candidates:
        try:
            normal = str((ROOT / candidate).resolve().relative_to(ROOT))
        except ValueError:
            continue  # outside the repository
        if normal in names or normal in folders:
            return True
    return not mention.startswith("../") and any(name.endswith("/" + mention.removeprefix("./")) for name in names)


def is_output(mention: str) -> bool:
    """Outputs and scratch files: under an output folder, a pattern, or a data file (OUTPUT_SUFFIXES) outside the
    tracked top-level folders (`pcrt/selection.tsv` in the outputs' tree, `x/file.mat` in a test)."""
    bare = mention.removeprefix("./")
    if bare.startswith(OUTPUT_PREFIXES) or any(ch in bare for ch in "{}<>*"):
        return True
    top = bare.split("/")[0]
    return Path(bare).suffix in OUTPUT_SUFFIXES and top not in {Path(p).parts[0] for p in tracked()}


def broken_references(source: str, text: str) -> list[str]:
    """The links and path mentions of one file that name nothing in the repository."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        line_wo_urls = re.sub(r"\w+://\S+", "", line)
        if source.endswith(".md"):
            for match in LINK.finditer(line_wo_urls):
                target = match.group(1)
                if target.startswith(("mailto:", "#")):
                    continue
                file, _, anchor = target.partition("#")
                path = (ROOT / Path(source).parent / file).resolve()
                if not path.exists() or not str(path).startswith(str(ROOT)):
                    problems.append(f"{source}:{number}: link to {target!r}: no such file in the repository")
                elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                    problems.append(f"{source}:{number}: link to {target!r}: {file} has no heading '#{anchor}'")
        for match in PATH.finditer(LINK.sub("", line_wo_urls)):
            mention = match.group(1)
            if mention.startswith("/") or is_output(mention):
                continue
            if not resolves(mention, source):
                problems.append(f"{source}:{number}: {mention!r} is not a file of the repository")
        if source.startswith(DOCUMENTS) or source in DOCUMENTS:
            for match in BARE_MARKDOWN.finditer(line_wo_urls):
                name = match.group(1)
                if not any(Path(p).name == name for p in tracked()):
                    problems.append(f"{source}:{number}: {name!r} is not a file of the repository")
    return problems


SPEC_FILES = (
    "pcrt.md", "svm.md", "convnets.md", "representations.md", "emg_signatures.md", "kd.md", "eeg_interpretation.md",
    "reference_values.md", "ARCHITECTURE.md",
)  # fmt: skip
"""The specification files outside the repository (a repository file of the same name would make a mention valid)."""
SPEC_FILE = re.compile(rf"(?<![\w.-])({'|'.join(re.escape(name) for name in SPEC_FILES)})(?![\w-])")
SECTION_SIGN = re.compile(r"§\s?\d")


def spec_pointers(source: str, text: str) -> list[str]:
    """The mentions of one file that point at the specifications: their file names, unless the repository holds a
    file of that name, and section signs followed by a number (every `§` of the project meant a spec section)."""
    names = {Path(p).name for p in tracked()}
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in SPEC_FILE.finditer(line):
            if match.group(1) not in names:
                problems.append(f"{source}:{number}: {match.group(1)!r} is a specification outside the repository")
        if SECTION_SIGN.search(line):
            problems.append(f"{source}:{number}: a section sign points at a specification outside the repository")
    return problems


DOTTED = re.compile(r"(?<![\w.])(neuromotor(?:\.[A-Za-z_]\w*)+)")


def missing_python_names(text: str) -> list[str]:
    """The `neuromotor.module[.name]` mentions whose module is no file of the library or whose name the module does
    not define (a def, a class or an assignment at its top level)."""
    library = ROOT / "workflow"
    missing = []
    for dotted in sorted(set(DOTTED.findall(text))):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            module = library.joinpath(*parts[:cut])
            source = module.with_suffix(".py") if module.with_suffix(".py").is_file() else module / "__init__.py"
            if source.is_file():
                break
        else:
            missing.append(dotted)
            continue
        rest = parts[cut:]
        defined = rf"^(?:def|class)\s+{rest[0]}\b|^{rest[0]}\s*[:=]|import.*\b{rest[0]}\b" if rest else ""
        if len(rest) > 1 or (rest and not re.search(defined, source.read_text(), flags=re.M)):
            missing.append(dotted)
    return missing


def test_the_documents_name_existing_library_code():
    """README, docs and the config reference name modules and functions that exist (renames break these pointers)."""
    sources = [p for p in text_files() if p.endswith(".md") and p.startswith(DOCUMENTS)]
    missing = [f"{p}: {name}" for p in sources for name in missing_python_names((ROOT / p).read_text())]
    assert not missing, "\n".join(missing)
    assert missing_python_names("`neuromotor.io.store.read_arrays`, `neuromotor.config`") == []
    assert missing_python_names("`neuromotor.io.store.no_such_function`, `neuromotor.nothing`") == [
        "neuromotor.io.store.no_such_function", "neuromotor.nothing",
    ]


def test_every_reference_names_a_file_of_the_repository():
    problems = [p for source in text_files() for p in broken_references(source, (ROOT / source).read_text())]
    assert not problems, f"{len(problems)} references to files the repository does not contain:\n" + "\n".join(problems)


def test_the_check_finds_broken_references():
    assert broken_references("README.md", "see [the spec](docs/nowhere.md) and `workflow/neuromotor/nothing.py`") == [
        "README.md:1: link to 'docs/nowhere.md': no such file in the repository",
        "README.md:1: 'workflow/neuromotor/nothing.py' is not a file of the repository",
    ]
    assert broken_references("docs/x.md", "[perf](performance.md#no-such-heading)")
    assert broken_references("docs/x.md", "spec pcrt.md §6")
    assert broken_references("docs/x.md", "collected from `../shared/specs/reference_values.md`")
    ok = "[perf](performance.md#cost-of-the-paper-plans), `results/pcrt/dataset.zarr`, `rules/pcrt.smk`"
    assert broken_references("docs/x.md", ok + ", https://a.b/c.md, ../scripts/svm_fit.py in rules/svm.smk") == []
    assert broken_references("rules/svm.smk", '"../scripts/svm_fit.py"') == []

def test_nothing_points_at_the_specifications_outside_the_repository():
    """Library, tests, rules, report captions and tables name no spec file and no spec section (cite the paper or a
    file of the repository instead)."""
    sources = text_files() + [p for p in tracked() if p.endswith(".tsv") and (ROOT / p).is_file()]
    problems = [p for source in sources for p in spec_pointers(source, (ROOT / source).read_text())]
    assert not problems, f"{len(problems)} pointers at the specifications:\n" + "\n".join(problems)


def test_the_check_finds_spec_pointers():
    assert spec_pointers("x.py", '"""The KD loss (spec kd.md §5)."""') == [
        "x.py:1: 'kd.md' is a specification outside the repository",
        "x.py:1: a section sign points at a specification outside the repository",
    ]
    assert spec_pointers("x.rst", "caption\n(see §4.2 of the spec)") == [
        "x.rst:2: a section sign points at a specification outside the repository",
    ]
    assert spec_pointers("x.tsv", "kd\tacc\treference_values.md acceptance hints")
    assert spec_pointers("x.py", "collected from ../shared/specs/pcrt.md") == [
        "x.py:1: 'pcrt.md' is a specification outside the repository",
    ]
    ok = "(Zeng et al. 2022; docs/decisions.md, docs/studies.md), README.md, my_kd.md_notes, svm.mdx, ok_kd.md"
    assert spec_pointers("x.py", ok) == []

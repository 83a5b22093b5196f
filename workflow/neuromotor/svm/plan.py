"""The job plan of the SVM stage (rules/svm.smk): pairs and their jobs, paths, params and the cost model. Plain Python
on the config's ``svm`` and ``pcrt`` sections (no Snakemake here).

One fitting job per (input, variant, chunk of ``svm.pairs_per_job`` label pairs), one evaluation, one figure job;
``svm.compare_solvers`` repeats the fits and the evaluation with another solver under ``results/svm/solvers/``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from neuromotor.svm.data import INPUTS, chunk_pairs, label_pairs, variant_subsets

SVM_DIR = "results/svm"
FIGURES = ("pairwise_matrix", "multiclass", "circle", "pairwise_distribution")
"""The stage's figures (``results/svm/figures/<name>.png``)."""
FIT_KEYS = ("C_grid", "fit_fraction", "refit", "intercept_scaling", "solver")
"""The ``svm`` keys every fitting job depends on (besides the active solver's settings)."""


# ---- config check ----------------------------------------------------------------------------------------------


def check_config(config: Mapping) -> list[str]:
    """The ``svm`` section: a strictly increasing C grid."""
    grid = config["svm"]["C_grid"]
    if any(b <= a for a, b in zip(grid, grid[1:])):
        return [f"config key 'svm.C_grid': {grid} must be strictly increasing (ties go to the smaller C)"]
    return []


# ---- pairs, jobs and paths -------------------------------------------------------------------------------------


def pairs(pcrt: Mapping) -> list[tuple[int, int]]:
    """Every label pair of the dataset, in a fixed order."""
    return label_pairs(pcrt["labels"])


def chunks(svm: Mapping, pcrt: Mapping) -> list[list[tuple[int, int]]]:
    """The label pairs cut into fitting jobs of ``svm.pairs_per_job`` (chunk i is the job ``pairs{i:03d}``)."""
    return chunk_pairs(pairs(pcrt), svm["pairs_per_job"])


def latent_values(pcrt: Mapping) -> dict[str, list]:
    """The plane, size and speed values the dataset was generated with (the subsets of the suppressed variant)."""
    return {
        "plane": list(pcrt["planes"]),
        "size": list(pcrt["augmentation"]["size"]),
        "speed": list(pcrt["augmentation"]["speed"]),
    }


def fit_paths(svm: Mapping, n_chunks: int, extension: str, folder: str = SVM_DIR) -> list[str]:
    """Every fitting job's output with this extension (tsv: partial table, zarr: classifiers) under ``folder``."""
    return [
        f"{folder}/fits/{name}/{variant}/pairs{chunk:03d}.{extension}"
        for name in svm["inputs"]
        for variant in svm["variants"]
        for chunk in range(n_chunks)
    ]


def solver_dir(solver: str) -> str:
    """The folder of a compared solver's fits and evaluation."""
    return f"{SVM_DIR}/solvers/{solver}"


def target_paths(pcrt: Mapping) -> list[str]:
    """Everything the SVM stage produces (nothing with fewer than 2 labels: no pair to classify)."""
    if not pairs(pcrt):
        return []
    return [
        f"{SVM_DIR}/pairwise.tsv",
        f"{SVM_DIR}/multiclass.tsv",
        f"{SVM_DIR}/summary.tsv",
        f"{SVM_DIR}/decisions.zarr",
        *[f"{SVM_DIR}/figures/{name}.png" for name in FIGURES],
    ]


def summary_paths(svm: Mapping, pcrt: Mapping) -> dict[str, str]:
    """solver -> summary.tsv of every SVM run of this plan: ``svm.solver``'s and each of ``svm.compare_solvers``
    (none when the stage is skipped)."""
    if not target_paths(pcrt):
        return {}
    return {svm["solver"]: f"{SVM_DIR}/summary.tsv"} | {
        solver: f"{solver_dir(solver)}/summary.tsv" for solver in svm["compare_solvers"] if solver != svm["solver"]
    }


# ---- params: the config each job depends on --------------------------------------------------------------------


def fit_params(svm: Mapping, variant: str, solver: str | None = None) -> dict:
    """The config a fitting job depends on: the fitting keys, the solver's settings (``svm.solver``, or the compared
    ``solver``) and, for the suppressed variant, its subsets (a change reruns the fits, never the PCRT stage)."""
    params = {key: svm[key] for key in FIT_KEYS} | {svm["solver"]: svm[svm["solver"]]}
    if variant == "suppressed":
        params["suppressed"] = svm["suppressed"]
    if solver is not None:
        params = {k: v for k, v in params.items() if k != svm["solver"]} | {"solver": solver, solver: svm[solver]}
    return params


def fit_latents(pcrt: Mapping, variant: str) -> dict:
    return latent_values(pcrt) if variant == "suppressed" else {}


def evaluate_params(svm: Mapping, pcrt: Mapping) -> dict:
    """The config the evaluation depends on: which inputs, variants, pairs and subsets it collects."""
    return {
        "inputs": svm["inputs"],
        "variants": svm["variants"],
        "pairs": [list(pair) for pair in pairs(pcrt)],
        "suppressed": svm["suppressed"],
        "latents": latent_values(pcrt),
    }


# ---- cost model ------------------------------------------------------------------------------------------------


def n_features(pcrt: Mapping, name: str) -> int:
    """Features of one input: its channels (:data:`neuromotor.svm.data.INPUTS`) x the window's time steps."""
    return INPUTS[name][0] * pcrt["assembly"]["window"]


def item_bytes(pcrt: Mapping) -> int:
    return 8 if pcrt["storage"]["dtype"] == "float64" else 4


def features_mem_mb(pcrt: Mapping, name: str, attempt: int = 1) -> int:
    """The train split of one input, twice (read and regrouped)."""
    data = pcrt["assembly"]["n_train"] * n_features(pcrt, name) * item_bytes(pcrt)
    return int(1000 + 2.2 * data / 1e6) * attempt


def fit_mem_mb(svm: Mapping, pcrt: Mapping, name: str, variant: str, job_pairs: Sequence, attempt: int = 1) -> int:
    """The job's labels (features), one pair in float64 with its Q (dense n x n, or factored n x D above
    svm.exact.gram_limit), and the classifiers kept."""
    per_label = pcrt["assembly"]["n_train"] / len(pcrt["labels"])
    n_pair = 2 * per_label
    features = n_features(pcrt, name)
    if n_pair > svm["exact"]["gram_limit"] and features + 1 < n_pair:
        solver = 4 * n_pair * (features + 1) * 8 + 3 * (features + 1) ** 2 * 8
    else:
        solver = 6 * n_pair**2 * 8
    subsets = len(variant_subsets(variant, svm["suppressed"], latent_values(pcrt)))
    data = len({label for pair in job_pairs for label in pair}) * per_label * features * item_bytes(pcrt)
    pair = n_pair * features * 8 + solver
    kept = subsets * len(job_pairs) * features * 8
    return int(1000 + 1.2 * (data + pair + kept) / 1e6) * attempt


def fit_runtime_min(
    svm: Mapping, pcrt: Mapping, name: str, variant: str, n_pairs: int, attempt: int = 1, solver: str | None = None
) -> int:
    """Minutes, on one core: per pair, 8 C x about 20 interior-point iterations of min(n^3 / 3, 2 n r^2) flops
    (dense or factored Q, r = features + 1) at 3e10 flop/s, plus the Gram matrix; the suppressed variant's 15
    subsets cost about as much again. The liblinear solver: 8 fits x 1000 epochs x n x features at 1 ns each.
    ``solver``: a compared solver in place of ``svm.solver``."""
    solver = svm["solver"] if solver is None else solver
    n = 2 * pcrt["assembly"]["n_train"] / len(pcrt["labels"])
    r = n_features(pcrt, name) + 1
    if solver == "liblinear":
        per_pair_s = 8 * 1000 * n * r * 1e-9
    else:
        per_pair_s = 0.01 + (160 * min(n**3 / 3, 2 * n * r**2) + 2 * n * n * r) / 3e10
        if n > 2000:  # the working-set solver (WORKING_SET_FROM): 102-110 s per paper pair measured (8 C, n =
            # 14,388, end-effector, muscles, spindles), joints > 300 s (docs/performance.md): 600 s x (n / 14,400)^2
            per_pair_s = 600 * (n / 14_400) ** 2
    factor = 2 if variant == "suppressed" else 1
    return int(10 + n_pairs * per_pair_s * factor / 60) * attempt


def evaluate_mem_mb(svm: Mapping, pcrt: Mapping, attempt: int = 1) -> int:
    """The largest input's test split, the decision values of every subset, all classifiers."""
    features = max(n_features(pcrt, name) for name in svm["inputs"])
    n_test = pcrt["assembly"]["n_test"]
    n_pairs = len(pairs(pcrt))
    latents = latent_values(pcrt)
    subsets = sum(len(variant_subsets(variant, svm["suppressed"], latents)) for variant in svm["variants"])
    test = n_test * features * (item_bytes(pcrt) + 8)
    decisions = len(svm["inputs"]) * 5 * n_test * n_pairs * 8
    kept = subsets * n_pairs * features * 8
    return int(1000 + 1.5 * (test + decisions + kept) / 1e6) * attempt

"""The job plan of the SVM stage (rules/svm.smk): pairs and their jobs, paths, params and the cost model. Plain Python
on the config's ``svm`` and ``pcrt`` sections (no Snakemake here).

One fitting job per (input, variant, chunk of ``svm.pairs_per_job`` label pairs), one evaluation, one figure job;
``svm.compare_solvers`` repeats the fits and the evaluation with another solver under ``results/svm/solvers/``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from neuromotor.costs import memory_request_mb, runtime_request_min
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


PROCESS_MB = 150.0
"""Resident MB of a job's interpreter with numpy, scipy and zarr imported (the validation run's feature jobs of the
smallest inputs peak at 140-164 MB)."""
PROCESS_SECONDS = 1.5
"""CPU seconds of a job's start (imports, reading the stores, writing the table; the demo run's fits of 96-sample
pairs take 1.5-2.7 CPU-s in all)."""
EXACT_PAIR_SECONDS = {"endeffector_coords": 3.5, "joint_coords": 4.1, "muscle_coords": 2.9, "spindle_firing": 1.0}
"""CPU seconds per pair (8 values of C) of the exact solver at :data:`EXACT_PAIR_N` samples per pair, measured
(the DeepDraw validation run, 190 pairs per job: 661, 776, 555 and 186 CPU-s); the interior-point iterations differ
by input (the spindles' pairs separate soonest)."""
EXACT_PAIR_N = 1600
EXACT_FIT_OVERHEAD_S = 1e-4
"""CPU seconds of one fit's setup at any size (Python, the certificate): 8 values of C per pair and subset (the
demo run's suppressed variant: 190 pairs x 15 subsets in 4.7-7.3 CPU-s)."""


def fit_peak_mb(n_pair: int, features: int, n_pairs: int, labels: int, subsets: int, item_bytes: int = 4,
                gram_limit: int = 4000) -> float:
    """Expected peak resident MB of a fitting job: the job's labels (``labels`` x n_pair / 2 samples x ``features``
    of ``item_bytes``), one pair in float64 with its Q (dense n x n, or factored n x D above ``gram_limit``), the
    classifiers kept (``subsets`` x ``n_pairs`` x ``features`` float64), 20 % for temporaries, the interpreter."""
    r = features + 1
    if n_pair > gram_limit and r < n_pair:
        solver = 4 * n_pair * r * 8 + 3 * r**2 * 8
    else:
        solver = 6 * n_pair**2 * 8
    data = labels * n_pair / 2 * features * item_bytes
    pair = n_pair * features * 8 + solver
    kept = subsets * n_pairs * features * 8
    return PROCESS_MB + 1.2 * (data + pair + kept) / 1e6


def fit_seconds(name: str, n_pair: int, features: int, n_pairs: int, subsets: int = 1, solver: str = "exact") -> float:
    """Expected CPU seconds of a fitting job of ``n_pairs`` pairs of ``n_pair`` samples x ``features``.

    The exact solver: per pair 8 fits' setup plus the measured pair cost :data:`EXACT_PAIR_SECONDS` scaled by
    (n / 1,600)^3 (the dense interior-point factorisations); above 2,000 samples the working-set solver
    (WORKING_SET_FROM): 102-110 s per paper pair measured (8 C, n = 14,388, end-effector, muscles, spindles),
    joints > 300 s (docs/performance.md): 600 s x (n / 14,400)^2. The liblinear solver: 8 fits x 1000 epochs x n x
    features at 1 ns each. The suppressed variant's subsets (``subsets`` > 1) cost about as much again."""
    if solver == "liblinear":
        per_pair = 8 * 1000 * n_pair * (features + 1) * 1e-9
    elif n_pair > 2000:
        per_pair = 600 * (n_pair / 14_400) ** 2
    else:
        per_pair = EXACT_PAIR_SECONDS.get(name, max(EXACT_PAIR_SECONDS.values())) * (n_pair / EXACT_PAIR_N) ** 3
    per_pair += 8 * EXACT_FIT_OVERHEAD_S * max(1, subsets)
    factor = 2 if subsets > 1 else 1
    return PROCESS_SECONDS + n_pairs * per_pair * factor


def fit_sizes(svm: Mapping, pcrt: Mapping, name: str, variant: str, job_pairs: Sequence) -> dict:
    """What the fitting job's cost model reads: samples per pair, features, pairs, labels and subsets of the job."""
    return {
        "n_pair": 2 * pcrt["assembly"]["n_train"] // len(pcrt["labels"]),
        "features": n_features(pcrt, name),
        "n_pairs": len(job_pairs),
        "labels": len({label for pair in job_pairs for label in pair}),
        "subsets": len(variant_subsets(variant, svm["suppressed"], latent_values(pcrt))),
    }


def fit_mem_mb(svm: Mapping, pcrt: Mapping, name: str, variant: str, job_pairs: Sequence, attempt: int = 1) -> int:
    """The request of :func:`fit_peak_mb` (40 % headroom, 1 GB floor)."""
    sizes = fit_sizes(svm, pcrt, name, variant, job_pairs)
    return memory_request_mb(
        fit_peak_mb(**sizes, item_bytes=item_bytes(pcrt), gram_limit=svm["exact"]["gram_limit"]), attempt
    )


def fit_runtime_min(
    svm: Mapping, pcrt: Mapping, name: str, variant: str, n_pairs: int, attempt: int = 1, solver: str | None = None
) -> int:
    """The request of :func:`fit_seconds` (2x headroom, 10-minute floor). ``solver``: a compared solver in place of
    ``svm.solver``."""
    solver = svm["solver"] if solver is None else solver
    n_pair = 2 * pcrt["assembly"]["n_train"] // len(pcrt["labels"])
    subsets = len(variant_subsets(variant, svm["suppressed"], latent_values(pcrt)))
    return runtime_request_min(fit_seconds(name, n_pair, n_features(pcrt, name), n_pairs, subsets, solver), attempt)


def evaluate_sizes(svm: Mapping, pcrt: Mapping) -> dict:
    """What the evaluation's cost model reads: test samples, the largest input's features, pairs, inputs, subsets."""
    latents = latent_values(pcrt)
    return {
        "n_test": pcrt["assembly"]["n_test"],
        "features": max(n_features(pcrt, name) for name in svm["inputs"]),
        "n_pairs": len(pairs(pcrt)),
        "inputs": len(svm["inputs"]),
        "subsets": sum(len(variant_subsets(variant, svm["suppressed"], latents)) for variant in svm["variants"]),
    }


def evaluate_peak_mb(n_test: int, features: int, n_pairs: int, inputs: int, subsets: int, item_bytes: int = 4) -> float:
    """Expected peak MB of the evaluation: the largest input's test split (stored and float64), the decision values
    of every subset, all classifiers, the interpreter."""
    test = n_test * features * (item_bytes + 8)
    decisions = inputs * 5 * n_test * n_pairs * 8
    kept = subsets * n_pairs * features * 8
    return PROCESS_MB + 1.5 * (test + decisions + kept) / 1e6


def evaluate_seconds(n_test: int, features: int, n_pairs: int, inputs: int, subsets: int) -> float:
    """Expected CPU seconds of the evaluation: the decision values (one matrix product per input and subset: 2
    flops per test sample, feature and pair at 50 GFLOP/s, the validation run's 3.3 CPU-s) and about 0.1 ms per
    (input, subset, pair) of bookkeeping."""
    return PROCESS_SECONDS + inputs * subsets * n_pairs * (2 * n_test * features / 5e10 + 1e-4)


def evaluate_mem_mb(svm: Mapping, pcrt: Mapping, attempt: int = 1) -> int:
    """The request of :func:`evaluate_peak_mb` (40 % headroom, 1 GB floor)."""
    return memory_request_mb(evaluate_peak_mb(**evaluate_sizes(svm, pcrt), item_bytes=item_bytes(pcrt)), attempt)


def evaluate_runtime_min(svm: Mapping, pcrt: Mapping, attempt: int = 1) -> int:
    """The request of :func:`evaluate_seconds` (2x headroom, 10-minute floor)."""
    return runtime_request_min(evaluate_seconds(**evaluate_sizes(svm, pcrt)), attempt)

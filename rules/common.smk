# Config validation, paths and input functions shared by all rule files (no rules here).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from neuromotor.config import digest, validate_config
from neuromotor.errors import ConfigError
from neuromotor.pcrt.muscles import file_digest

try:
    _validated = validate_config(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
config.clear()
config.update(_validated)

PCRT = config["pcrt"]
SEED = config["seed"]
PCRT_DIR = "results/pcrt"


def pcrt_label_ids():
    return [f"{label:02d}" for label in PCRT["labels"]]


def pcrt_shard_paths():
    """Every generation shard, in the (label, plane, shard) order the assembly pools them in."""
    return [
        f"{PCRT_DIR}/shards/{plane}/label{label}_shard{shard:03d}.zarr"
        for label in pcrt_label_ids()
        for plane in PCRT["planes"]
        for shard in range(PCRT["generation"]["shards"])
    ]


def pcrt_surrogate_path():
    """Surrogates are cached per (model file content, quantity, fit settings)."""
    model = PCRT["muscle"]["model_path"]
    if not Path(model).is_file():
        raise WorkflowError(
            f"config key 'pcrt.muscle.model_path': {model} does not exist; expected an OpenSim .osim file"
        )
    key = digest(
        [
            file_digest(model),
            PCRT["muscle"]["quantity"],
            PCRT["muscle"]["surrogate"],
            SEED,
        ]
    )
    return f"{PCRT_DIR}/surrogate/{Path(model).stem}-{PCRT['muscle']['quantity']}-{key}.npz"


def pcrt_muscle_inputs(wildcards):
    """The surrogate when generation uses it, the model file otherwise."""
    if PCRT["muscle"]["backend"] == "surrogate":
        return {"surrogate": pcrt_surrogate_path()}
    return {"model": PCRT["muscle"]["model_path"]}


def pcrt_generation_params():
    """The config a generation shard depends on (a change reruns the shards)."""
    return {key: PCRT[key] for key in ("generation", "augmentation", "muscle")} | {
        "window": PCRT["assembly"]["window"]
    }


def pcrt_dataset_mem_mb(wildcards, attempt):
    """One split of windows is held in memory: about 45 MB per 1,000 training samples, plus room."""
    return max(2000, 60 * PCRT["assembly"]["n_train"] // 1000) * attempt


def pcrt_report_inputs():
    """Validation and figures of the PCRT stage (the surrogate report only when the surrogate is used)."""
    inputs = [
        f"{PCRT_DIR}/figures/{name}.png"
        for name in ("characters", "arm_trajectory", "muscles_spindles", "latents")
    ]
    if PCRT["muscle"]["backend"] == "surrogate":
        inputs.append(f"{PCRT_DIR}/surrogate_validation.json")
        inputs += [
            f"{PCRT_DIR}/figures/surrogate_{name}.png"
            for name in ("uniform", "trajectories")
        ]
    return inputs


# ---- SVM (spec svm.md): pairs, jobs, params and resources ---------------------------------------------------
from neuromotor.svm.data import INPUTS as SVM_INPUT_SHAPES
from neuromotor.svm.data import chunk_pairs, label_pairs, variant_subsets

SVM = config["svm"]
SVM_DIR = "results/svm"
SVM_PAIRS = label_pairs(PCRT["labels"])
SVM_CHUNKS = chunk_pairs(SVM_PAIRS, SVM["pairs_per_job"])
SVM_FIGURES = ("pairwise_matrix", "multiclass", "circle", "pairwise_distribution")


def svm_latent_values():
    """The plane, size and speed values the dataset was generated with (the subsets of the suppressed variant)."""
    return {
        "plane": list(PCRT["planes"]),
        "size": list(PCRT["augmentation"]["size"]),
        "speed": list(PCRT["augmentation"]["speed"]),
    }


def svm_fit_paths(extension):
    """Every fitting job's output with this extension (tsv: partial table, zarr: classifiers)."""
    return [
        f"{SVM_DIR}/fits/{name}/{variant}/pairs{chunk:03d}.{extension}"
        for name in SVM["inputs"]
        for variant in SVM["variants"]
        for chunk in range(len(SVM_CHUNKS))
    ]


def svm_chunk_pairs(wildcards):
    return [list(pair) for pair in SVM_CHUNKS[int(wildcards.chunk)]]


def svm_fit_params(wildcards):
    """The config a fitting job depends on: the fitting keys, the active solver's settings and, for the
    suppressed variant, its subsets (a change reruns the fits, never the PCRT stage)."""
    keys = ("C_grid", "fit_fraction", "refit", "intercept_scaling", "solver")
    params = {key: SVM[key] for key in keys} | {SVM["solver"]: SVM[SVM["solver"]]}
    if wildcards.variant == "suppressed":
        params["suppressed"] = SVM["suppressed"]
    return params


def svm_fit_latents(wildcards):
    return svm_latent_values() if wildcards.variant == "suppressed" else {}


def svm_evaluate_params():
    """The config the evaluation depends on: which inputs, variants, pairs and subsets it collects."""
    return {
        "inputs": SVM["inputs"],
        "variants": SVM["variants"],
        "pairs": [list(pair) for pair in SVM_PAIRS],
        "suppressed": SVM["suppressed"],
        "latents": svm_latent_values(),
    }


def _svm_features(name):
    return SVM_INPUT_SHAPES[name][0] * PCRT["assembly"]["window"]


def _svm_item_bytes():
    return 8 if PCRT["storage"]["dtype"] == "float64" else 4


def svm_features_mem_mb(wildcards, attempt):
    """The train split of one input, twice (read and regrouped)."""
    data = (
        PCRT["assembly"]["n_train"] * _svm_features(wildcards.input) * _svm_item_bytes()
    )
    return int(1000 + 2.2 * data / 1e6) * attempt


def svm_fit_mem_mb(wildcards, attempt):
    """The job's labels (features), one pair in float64 with its Q (dense n x n, or factored n x D above
    svm.exact.gram_limit), and the classifiers kept."""
    pairs = SVM_CHUNKS[int(wildcards.chunk)]
    per_label = PCRT["assembly"]["n_train"] / len(PCRT["labels"])
    n_pair = 2 * per_label
    features = _svm_features(wildcards.input)
    if n_pair > SVM["exact"]["gram_limit"] and features + 1 < n_pair:
        solver = 4 * n_pair * (features + 1) * 8 + 3 * (features + 1) ** 2 * 8
    else:
        solver = 6 * n_pair**2 * 8
    subsets = len(
        variant_subsets(wildcards.variant, SVM["suppressed"], svm_latent_values())
    )
    data = (
        len({label for pair in pairs for label in pair})
        * per_label
        * features
        * _svm_item_bytes()
    )
    pair = n_pair * features * 8 + solver
    kept = subsets * len(pairs) * features * 8
    return int(1000 + 1.2 * (data + pair + kept) / 1e6) * attempt


def svm_fit_runtime(wildcards, attempt):
    """Minutes, on one core: per pair, 8 C x about 20 interior-point iterations of min(n^3 / 3, 2 n r^2) flops
    (dense or factored Q, r = features + 1) at 3e10 flop/s, plus the Gram matrix; the suppressed variant's 15
    subsets cost about as much again. The liblinear solver: 8 fits x 1000 epochs x n x features at 1 ns each."""
    pairs = len(SVM_CHUNKS[int(wildcards.chunk)])
    n = 2 * PCRT["assembly"]["n_train"] / len(PCRT["labels"])
    r = _svm_features(wildcards.input) + 1
    if SVM["solver"] == "liblinear":
        per_pair_s = 8 * 1000 * n * r * 1e-9
    else:
        per_pair_s = 0.01 + (160 * min(n**3 / 3, 2 * n * r**2) + 2 * n * n * r) / 3e10
    factor = 2 if wildcards.variant == "suppressed" else 1
    return int(10 + pairs * per_pair_s * factor / 60) * attempt


def svm_evaluate_mem_mb(wildcards, attempt):
    """The largest input's test split, the decision values of every subset, all classifiers."""
    features = max(_svm_features(name) for name in SVM["inputs"])
    n_test = PCRT["assembly"]["n_test"]
    subsets = sum(
        len(variant_subsets(variant, SVM["suppressed"], svm_latent_values()))
        for variant in SVM["variants"]
    )
    test = n_test * features * (_svm_item_bytes() + 8)
    decisions = len(SVM["inputs"]) * 5 * n_test * len(SVM_PAIRS) * 8
    kept = subsets * len(SVM_PAIRS) * features * 8
    return int(1000 + 1.5 * (test + decisions + kept) / 1e6) * attempt


def svm_target_inputs():
    """Everything the SVM stage produces (nothing with fewer than 2 labels: no pair to classify)."""
    if not SVM_PAIRS:
        print(
            f"svm: config key 'pcrt.labels' holds {len(PCRT['labels'])} label; the SVM stage needs at least 2 "
            "and is skipped",
            file=sys.stderr,
        )
        return []
    return [
        f"{SVM_DIR}/pairwise.tsv",
        f"{SVM_DIR}/multiclass.tsv",
        f"{SVM_DIR}/summary.tsv",
        f"{SVM_DIR}/decisions.zarr",
        *[f"{SVM_DIR}/figures/{name}.png" for name in SVM_FIGURES],
    ]

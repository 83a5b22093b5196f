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

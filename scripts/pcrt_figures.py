"""Report figures of the PCRT dataset. Thin entry point; the drawing is in neuromotor.plots.pcrt.

Inputs: ``characters`` (characters.zarr), ``dataset`` (dataset.zarr).
Outputs (PNG): ``characters``, ``arm``, ``muscles``, ``latents``. Params: ``example`` (train index).
Only the shown sample is read from the large per-sample arrays, so memory stays small at full scale.
"""

import logging

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import decode, open_store, read_arrays
from neuromotor.logs import log_to
from neuromotor.pcrt.muscles import MUSCLE_NAMES
from neuromotor.plots import pcrt as plots

log_to(snakemake.log[0])
log = logging.getLogger("pcrt_figures")
dataset = snakemake.input.dataset
example = int(snakemake.params.example)

characters = read_arrays(snakemake.input.characters, names=["trajectories", "length", "label"])
plots.plot_characters(
    characters["trajectories"], characters["length"], characters["label"], snakemake.output.characters
)

root = open_store(dataset)
dt_s = float(root.attrs.get("dt_s", plots.DT_S))
if "train" not in root:
    raise DataFormatError(f"{dataset}: missing group 'train'")
train = root["train"]
n_train = train["label"].shape[0]
if not 0 <= example < n_train:
    raise DataFormatError(f"{dataset}: params.example = {example} is outside the train split (0..{n_train - 1})")
sample = {name: decode(train[name], example) for name in (
    "endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing", "spindle_info", "start_id", "end_id")}
log.info("train sample %d of %d (dt = %g s)", example, n_train, dt_s)
plots.plot_arm_trajectory(
    sample["endeffector_coords"], sample["joint_coords"], int(sample["start_id"]), int(sample["end_id"]),
    snakemake.output.arm, dt_s=dt_s,
)
firing_units = "Hz" if train["spindle_firing"].attrs.get("variant") == "prochazka" else "a.u."
plots.plot_muscle_heatmaps(
    sample["muscle_coords"], sample["spindle_firing"], sample["spindle_info"],
    root.attrs.get("muscles", train["muscle_coords"].attrs.get("muscle_names", MUSCLE_NAMES)), snakemake.output.muscles,
    dt_s=dt_s, firing_units=firing_units,
)

names = [*plots.LATENT_NAMES, "label", "plane", "startpt"]
splits = [read_arrays(dataset, split, names=names) for split in ("train", "test")]
latents = {name: np.concatenate([split[name] for split in splits]) for name in names}
plots.plot_latent_distributions(latents, snakemake.output.latents)
log.info("wrote 4 PCRT figures")

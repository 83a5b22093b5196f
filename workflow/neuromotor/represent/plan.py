"""Which networks the representational analyses cover, and where their files are (docs/studies.md).

A *model state* is one (task, family, seed, state) with state ``trained`` (the best-validation weights ``best.pt``)
or ``untrained`` (the same seed's initial weights ``init.pt``), read from the convnets stage's final models
``results/convnets/{task}/final/{family}/seed{seed}/``. The model sets of ``convnets.experiments`` named in
``representations.experiments`` get the RDM-vs-oracle analysis only, under ``results/representations/experiments/``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from neuromotor.convnets import plan as convnets_plan
from neuromotor.costs import memory_request_mb, runtime_request_min

STATES = {"trained": "best", "untrained": "init"}
"""State → checkpoint of the model directory."""

REPRESENT_DIR = "results/representations"


@dataclass(frozen=True, order=True)
class ModelState:
    task: str
    family: str
    seed: int
    state: str

    @property
    def key(self) -> str:
        """The relative folder of this model state's outputs: ``{task}/{family}/seed{seed}/{state}``."""
        return f"{self.task}/{self.family}/seed{self.seed}/{self.state}"

    @property
    def weights(self) -> str:
        return STATES[self.state]


def model_states(
    tasks: Sequence[str], families: Sequence[str], seeds: Sequence[int], states: Sequence[str] = tuple(STATES)
) -> list[ModelState]:
    """Every analysed model state, in a stable order (task, family, seed, state)."""
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise ValueError(f"unknown model states {unknown}; expected {tuple(STATES)}")
    return [ModelState(t, f, int(s), st) for t in tasks for f in families for s in seeds for st in states]


def model_dir(task: str, family: str, seed: int) -> str:
    """The convnets stage's folder of a final model."""
    return convnets_plan.final_dir(task, family, seed)


def cka_comparisons(tasks: Sequence[str], states: Sequence[str]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Pairs of (task, state) compared by CKA within one (family, seed): each task's trained vs untrained network,
    and the first task against every other task in each state (ART vs TDT twins)."""
    pairs = []
    if "trained" in states and "untrained" in states:
        pairs += [((task, "trained"), (task, "untrained")) for task in tasks]
    for other in tasks[1:]:
        pairs += [((tasks[0], state), (other, state)) for state in states]
    return pairs


# ---- config check ----------------------------------------------------------------------------------------------


def check_config(config: Mapping) -> list[str]:
    """Problems of the ``representations`` section against the convnets and PCRT sections (each names its keys):
    the analysed model sets must be sets of ``convnets.experiments``, the tuning onset a step of the window."""
    from neuromotor.errors import ConfigError

    if "representations" not in config:
        return []
    rep, conv = config["representations"], config.get("convnets", {"experiments": {}})
    problems = []
    try:
        experiment_states(rep, conv)
    except ConfigError as error:
        problems.append(str(error))
    window = config["pcrt"]["assembly"]["window"]
    if rep["tuning"]["onset"] >= window:
        problems.append(
            f"config key 'representations.tuning.onset': {rep['tuning']['onset']} is not a time step of the "
            f"window ('pcrt.assembly.window' = {window})"
        )
    return problems


# ---- the plan from the config ----------------------------------------------------------------------------------

SUMMARY_TABLES = ("rdm", "units", "pd", "invariance", "decoding", "cka", "cka_sweep", "stats")
"""Tables of ``results/representations/summary/``."""
MODEL_TABLES = ("units", "pd", "invariance", "decoding")
FIGURES = ("rdm_similarity", "tuning_violins", "pd_histograms", "pd_uniformity", "cka", "cka_sweep", "tsne",
           "invariance", "decoding")  # fmt: skip
"""Names of the report figures (``results/representations/figures/<name>.png``)."""
"""Per-model-state tables of the units job (plus ``rdm`` of the network job)."""


def analysed(rep: Mapping, conv: Mapping) -> tuple[list[str], list[str], list[int]]:
    """(tasks, families, seeds) analysed: those of the ``representations`` section that the convnets stage trains
    (``convnets.final``), in the representations section's order."""
    final = conv["final"]
    tasks = [t for t in rep["tasks"] if t in final["tasks"]]
    families = [f for f in rep["families"] if f in final["families"]]
    seeds = [int(s) for s in final["seeds"]] if rep["seeds"] is None else [
        int(s) for s in rep["seeds"] if s in final["seeds"]
    ]
    return tasks, families, seeds


def planned_states(rep: Mapping, conv: Mapping) -> list[ModelState]:
    tasks, families, seeds = analysed(rep, conv)
    return model_states(tasks, families, seeds, rep["states"])


POLAR_DIR = f"{REPRESENT_DIR}/figures/polar_tuning"
"""Folder of the polar tuning maps of example units (Sandbrink et al. 2023, Fig. 5A–B), one PNG per model state."""


def polar_states(rep: Mapping, conv: Mapping) -> list[ModelState]:
    """Model states whose example units get polar tuning maps: the trained networks of the first analysed task and
    seed, every analysed family (the paper draws units of its best ART-trained model; none without ``trained``)."""
    tasks, families, seeds = analysed(rep, conv)
    if not tasks or not seeds or "trained" not in rep["states"]:
        return []
    return model_states(tasks[:1], families, seeds[:1], ["trained"])


def polar_path(state: ModelState) -> str:
    """The polar tuning figure of one model state."""
    return f"{POLAR_DIR}/{state.task}_{state.family}_seed{state.seed}_{state.state}.png"


def cka_jobs(rep: Mapping, conv: Mapping) -> list[tuple[str, int]]:
    """(family, seed) of every CKA job (none when there is nothing to compare)."""
    tasks, families, seeds = analysed(rep, conv)
    if not cka_comparisons(tasks, rep["states"]):
        return []
    return [(family, seed) for family in families for seed in seeds]


def sweep_pairs(rep: Mapping, conv: Mapping) -> list[dict]:
    """The ART-vs-TDT sweep (Sandbrink et al. 2023, Methods): every searched configuration of an analysed family trained
    by both an ART and a TDT search run on the same input, as {input_key, family, configuration}; none unless
    ``representations.cka.sweep`` is on."""
    if not rep["cka"]["sweep"]:
        return []
    models = convnets_plan.configuration_jobs(conv)  # runs in rungs have no model per configuration path
    tdt = {(m["input_key"], m["configuration"]) for m in models if m["task"] == "tdt"}
    return [
        {"input_key": m["input_key"], "family": m["family"], "configuration": m["configuration"]}
        for m in models
        if m["task"] == "art" and m["family"] in rep["families"] and (m["input_key"], m["configuration"]) in tdt
    ]


def search_dir(task: str, input_key: str, configuration: str) -> str:
    """The convnets stage's folder of a searched model."""
    return convnets_plan.search_dir(task, input_key, configuration)


def state_dir(state: ModelState | Mapping) -> str:
    key = state.key if isinstance(state, ModelState) else ModelState(**state).key
    return f"{REPRESENT_DIR}/{key}"


# ---- model sets of convnets.experiments: the RDM-vs-oracle analysis -------------------------------------------

EXPERIMENT_OUTPUTS = ("rdm.tsv", "stats.tsv", "rdm_similarity.png")
"""Per analysed experiment, in ``results/representations/experiments/{name}/``: every model state's RDM rows and
the input representations' (``rdm.tsv``), the trained-vs-untrained tests of the similarity per layer
(``stats.tsv``) and the figure."""


def experiment_states(rep: Mapping, conv: Mapping) -> dict[str, list[ModelState]]:
    """{experiment: its model states} for ``representations.experiments``: every (task, family, seed) of the
    set of ``convnets.experiments`` in each of ``representations.states``. Raises ``ConfigError`` naming the key
    when a name is not a set of ``convnets.experiments``."""
    from neuromotor.errors import ConfigError

    sets = conv.get("experiments", {})
    unknown = [name for name in rep.get("experiments", []) if name not in sets]
    if unknown:
        raise ConfigError(
            f"config key 'representations.experiments': {unknown} are not model sets of convnets.experiments "
            f"(sets: {sorted(sets)})"
        )
    return {
        name: model_states(sets[name]["tasks"], list(sets[name]["models"]), sets[name]["seeds"], rep["states"])
        for name in rep.get("experiments", [])
    }


def experiment_model_dir(experiment: str, task: str, family: str, seed: int | str) -> str:
    """The convnets stage's folder of an experiment model."""
    return convnets_plan.experiment_dir(experiment, task, family, int(seed))


def experiment_state_dir(experiment: str, state: ModelState) -> str:
    return f"{REPRESENT_DIR}/experiments/{experiment}/{state.key}"


def experiment_outputs(experiment: str) -> dict[str, str]:
    """{table/figure name without suffix: path} of one analysed experiment."""
    return {name.split(".")[0]: f"{REPRESENT_DIR}/experiments/{experiment}/{name}" for name in EXPERIMENT_OUTPUTS}


# ---- resources -------------------------------------------------------------------------------------------------


def layer_floats(config_json: str | None, family: str, conv: Mapping) -> list[int]:
    """Floats per trajectory of layers 0..K (the input, then every layer) of :func:`planned_network`."""
    return _architecture_floats(*planned_network(config_json, family, conv))


def planned_network(config_json: str | None, family: str, conv: Mapping) -> tuple:
    """(architecture, input channels, (muscles, steps)) of a final model of ``family``: from its ``config.json`` when
    it exists (at run time), else from the family's pinned configuration or, of the configurations its selection run
    samples (the winner is one of them), the one with the most floats in all (the bound of the jobs that read its
    layers; the search space's largest without a run), on DeepDraw's input."""
    import json
    from pathlib import Path

    from neuromotor.convnets.architecture import INPUT_CHANNELS, Architecture, parse_name

    if config_json and Path(config_json).is_file():
        config = json.loads(Path(config_json).read_text())
        shape = convnets_plan.DEEPDRAW_SHAPE
        if len(config["input_shape"]) == 3:  # (C, M, T): the dataset's shape (the successor's 39 x 400)
            shape = tuple(int(n) for n in config["input_shape"][1:])
        return Architecture.from_dict(config["architecture"]), int(config["input_shape"][0]), shape
    channels = INPUT_CHANNELS[conv["final"]["input_key"]]
    pinned = conv["final"]["models"].get(family)
    if pinned:
        return parse_name(pinned).architecture, channels, convnets_plan.DEEPDRAW_SHAPE
    order = tuple(convnets_plan.family_order(conv, family, "art", conv["final"]["input_key"]))
    arch = _most_floats(order, channels) if order else convnets_plan.largest_architecture(family, conv)
    return arch, channels, convnets_plan.DEEPDRAW_SHAPE


@functools.lru_cache(maxsize=64)
def _most_floats(order: tuple[str, ...], channels: int):
    """The configuration of ``order`` with the most floats per trajectory on DeepDraw's input (asked once per job's
    resources: cached)."""
    from neuromotor.convnets.architecture import parse_name

    archs = [parse_name(name).architecture for name in order]
    return max(archs, key=lambda arch: sum(_architecture_floats(arch, channels, convnets_plan.DEEPDRAW_SHAPE)))


def _architecture_floats(arch, channels: int, shape: tuple[int, int]) -> list[int]:
    """Floats per trajectory of the input and every layer of ``arch`` on ``channels`` x (muscles, steps) inputs."""
    floats = [channels * shape[0] * shape[1]]
    floats += [c_out * elements for _, c_out, elements, _ in convnets_plan.feature_sizes(arch, channels, shape)]
    if arch.family == "LSTM":
        floats.append(arch.units * shape[1])
    return floats


def store_layers(store: str | None) -> tuple[int, list[int]] | None:
    """(trajectories, floats per trajectory of each layer) of an existing ``activations.zarr``; None otherwise."""
    from pathlib import Path

    if not store or not Path(store).is_dir():
        return None
    from neuromotor.io.store import open_store

    attrs = dict(open_store(store).attrs)
    shapes = attrs.get("layer_shapes")
    root = open_store(store)
    if not shapes or "activations" not in root:
        return None
    n = int(root["activations"]["label"].shape[0])
    return n, [int(c) * int(h) * int(t) for c, h, t in shapes]


def subset_size(rep: Mapping, family: str, n_test: int) -> int:
    return max(1, int(round(rep["activations"]["fraction"][family] * n_test)))


PROCESS_MB = {"network": 350.0, "units": 250.0, "cka": 250.0, "sweep": 350.0}
"""Resident MB of a job's interpreter with its libraries (torch for the network and sweep jobs; numpy, scikit-learn,
zarr for the others): the validation run's CKA jobs peak at 338-426 MB with 120 MB of Gram matrices."""
PROCESS_SECONDS = 2.0
"""CPU seconds of a job's start (imports, opening the stores)."""
GRAM_FLOPS = 2e10
"""Sustained flop/s of the Gram-matrix products (BLAS on one core; the validation run's network and CKA jobs)."""
UNIT_SAMPLE_SECONDS = {"auc": 1.5e-7, "svm": 2.0e-5}
"""CPU seconds per unit and trajectory-time sample of the units job: every tuning design, plane height, decoding
and the vectorised label AUCs (1.5e-7: the validation run's units jobs, 6.3-9.6 CPU-s for 20-34 million unit-samples),
or with the original's LinearSVC per unit (``tuning.labels: svm``: 2.0e-5 more, measured by
tests/bench/bench_representations_units.py at the paper plan's bound: 20-21 CPU-s per unit for 2 plane subsets of
2,000 trajectories x 254 kept steps, i.e. 2.0-2.1e-5 s per unit and counted sample n x 320 here, with the dual
coordinate descent the original's scikit-learn ran; the LinearSVC fits are nearly all of it, the scoring by
mid-ranks)."""


def network_peak_mb(floats: Sequence[int], n_subset: int, n_rdm: int, batch_size: int = 1000) -> float:
    """Expected peak MB of a network job: neuromotor.represent.blocks.network_peak_bytes (the test subset's layers
    written batch by batch, the RDM sample's layers one at a time, streamed through a temporary store above
    blocks.STREAM_BYTES) plus the interpreter."""
    from neuromotor.represent import blocks

    return PROCESS_MB["network"] + blocks.network_peak_bytes(n_subset, n_rdm, floats, batch_size) / 1e6


def network_memory_mb(floats: Sequence[int], n_subset: int, n_rdm: int, batch_size: int = 1000) -> int:
    """The request of :func:`network_peak_mb` (40 % headroom, 1 GB floor), at attempt 1."""
    return memory_request_mb(network_peak_mb(floats, n_subset, n_rdm, batch_size))


def network_seconds(floats: Sequence[int], n_subset: int, n_rdm: int) -> float:
    """Expected CPU seconds of a network job: forward passes (about 20 flops per stored float at 2 GFLOP/s), Gram
    matrices (2 n² p flops at :data:`GRAM_FLOPS`) and Kendall's τ (about 1 µs per RDM entry)."""
    total = sum(floats)
    return (PROCESS_SECONDS + 20 * total * (n_subset + n_rdm) / 2e9 + 2 * n_rdm**2 * total / GRAM_FLOPS
            + len(floats) * n_rdm**2 * 1e-6)  # fmt: skip


def network_runtime_min(floats: Sequence[int], n_subset: int, n_rdm: int) -> int:
    """The request of :func:`network_seconds` (2x headroom, 10-minute floor), at attempt 1."""
    return runtime_request_min(network_seconds(floats, n_subset, n_rdm))


def _shapes(floats: Sequence[int]) -> list[tuple[float, int, int]]:
    """(C, H, T) of layers of ``floats`` per trajectory taken as 25 rows × 320 steps (a bound on their samples)."""
    return [(f / (25 * 320), 25, 320) for f in floats]


def units_peak_mb(floats: Sequence[int], n_subset: int) -> float:
    """Expected peak MB of a units job: neuromotor.represent.blocks.units_peak_bytes (layers above
    blocks.STREAM_BYTES read from the store by channel and sample blocks) plus the interpreter."""
    from neuromotor.represent import blocks

    return PROCESS_MB["units"] + blocks.units_peak_bytes(n_subset, _shapes(floats)) / 1e6


def units_memory_mb(floats: Sequence[int], n_subset: int) -> int:
    """The request of :func:`units_peak_mb` (40 % headroom, 1 GB floor), at attempt 1."""
    return memory_request_mb(units_peak_mb(floats, n_subset))


def units_seconds(floats: Sequence[int], n_subset: int, labels: str) -> float:
    """Expected CPU seconds of a units job: :data:`UNIT_SAMPLE_SECONDS` per unit and trajectory-time sample (the
    label tuning ``labels``: auc or svm) and tSNE (about 1 ms per trajectory and layer)."""
    unit_samples = n_subset * sum(floats)
    per_sample = UNIT_SAMPLE_SECONDS["auc"] + (UNIT_SAMPLE_SECONDS["svm"] if labels == "svm" else 0.0)
    return PROCESS_SECONDS + unit_samples * per_sample + 1e-3 * n_subset * len(floats)


def units_runtime_min(floats: Sequence[int], n_subset: int, labels: str) -> int:
    """The request of :func:`units_seconds` (2x headroom, 10-minute floor), at attempt 1."""
    return runtime_request_min(units_seconds(floats, n_subset, labels))


def cka_peak_mb(floats: Sequence[int], n_subset: int, n_states: int) -> float:
    """Expected peak MB of a CKA job: the normalised n × n Gram of every layer of every compared state, the layers
    read block by block (neuromotor.represent.blocks.cka_peak_bytes), plus the interpreter."""
    from neuromotor.represent import blocks

    return PROCESS_MB["cka"] + blocks.cka_peak_bytes(n_subset, n_states * len(floats), max(floats)) / 1e6


def cka_memory_mb(floats: Sequence[int], n_subset: int, n_states: int) -> int:
    """The request of :func:`cka_peak_mb` (40 % headroom, 1 GB floor), at attempt 1."""
    return memory_request_mb(cka_peak_mb(floats, n_subset, n_states))


def sweep_memory_mb(floats: Sequence[int], n_subset: int, batch_size: int) -> int:
    """The request (40 % headroom, 1 GB floor) of a sweep job's peak (the twins' layers one at a time,
    neuromotor.represent.blocks.sweep_peak_bytes) plus the interpreter; not yet measured."""
    from neuromotor.represent import blocks

    return memory_request_mb(PROCESS_MB["sweep"] + blocks.sweep_peak_bytes(n_subset, floats, batch_size) / 1e6)


def cka_seconds(floats: Sequence[int], n_subset: int, n_states: int) -> float:
    """Expected CPU seconds of a CKA job: each state's Gram matrices (2 n² p flops at :data:`GRAM_FLOPS`) and the
    (states x layers)² comparisons (n² each at 1 GFLOP/s)."""
    return (PROCESS_SECONDS + n_states * 2 * n_subset**2 * sum(floats) / GRAM_FLOPS
            + n_states**2 * len(floats) ** 2 * n_subset**2 / 1e9)  # fmt: skip


def cka_runtime_min(floats: Sequence[int], n_subset: int, n_states: int) -> int:
    """The request of :func:`cka_seconds` (2x headroom, 10-minute floor), at attempt 1."""
    return runtime_request_min(cka_seconds(floats, n_subset, n_states))


# ---- inputs and resources of the jobs (rules/representations.smk) ---------------------------------------------


def rdm_sample_size(rep: Mapping, pcrt: Mapping) -> int:
    """Trajectories of the RDM sample: ``representations.rdm.per_class`` of every label."""
    return rep["rdm"]["per_class"] * len(pcrt["labels"])


def inputs_memory_mb(n_rdm: int) -> int:
    """The RDM sample of the largest network input (spindle_info: channels x muscles x time floats each) and the
    n x n RDM matrices."""
    from neuromotor.convnets.architecture import INPUT_CHANNELS, N_MUSCLES, N_TIME

    floats = max(INPUT_CHANNELS.values()) * N_MUSCLES * N_TIME
    data = n_rdm * floats * 8 + 10 * n_rdm**2 * 8
    return int(1500 + 1.2 * data / 1e6)


def inputs_runtime_min(n_rdm: int) -> int:
    """Minutes: five RDMs (Gram matrices and Kendall's tau) and a tSNE per family subset."""
    return int(10 + 5 * n_rdm**2 * 1e-6 / 60)


def model_files(folder: str, state: str) -> dict[str, str]:
    """A model folder's config.json and the weights of the state (trained: best.pt, untrained: init.pt)."""
    return {"config": f"{folder}/config.json", "weights": f"{folder}/{STATES[state]}.pt"}


def cka_inputs(rep: Mapping, conv: Mapping, family: str, seed: int | str) -> dict[str, list[str]]:
    """The activations of every (task, state) of one family and seed, and each task's config.json."""
    tasks = analysed(rep, conv)[0]
    return {
        "stores": [
            f"{REPRESENT_DIR}/{task}/{family}/seed{seed}/{state}/activations.zarr" for task in tasks for state in rep["states"]
        ],
        "configs": [f"{model_dir(task, family, seed)}/config.json" for task in tasks],
    }


def sweep_inputs(input_key: str, configuration: str) -> dict[str, str]:
    """The trained ART and TDT networks of one searched configuration."""
    return {
        f"{task}_{key}": f"{search_dir(task, input_key, configuration)}/{name}"
        for task in ("art", "tdt")
        for key, name in (("config", "config.json"), ("weights", "best.pt"))
    }


def sweep_paths(rep: Mapping, conv: Mapping) -> list[str]:
    return [
        f"{REPRESENT_DIR}/cka_sweep/{pair['input_key']}/{pair['configuration']}.tsv" for pair in sweep_pairs(rep, conv)
    ]


def job_size(
    rep: Mapping, conv: Mapping, pcrt: Mapping, family: str, store: str | None = None, config_json: str | None = None
) -> tuple[int, list[int]]:
    """(trajectories, floats per layer) of a job: from its activations store or model config when they exist (jobs'
    resources are evaluated again when their inputs are there), else the configuration's bound."""
    known = store_layers(store)
    if known:
        return known
    floats = layer_floats(config_json, family, conv)
    return subset_size(rep, family, pcrt["assembly"]["n_test"]), floats


def target_paths(rep: Mapping, conv: Mapping) -> list[str]:
    """The summary tables and figures (nothing when no final model is analysed), the polar tuning maps of
    :func:`polar_states`, and the RDM analyses of the model sets of representations.experiments."""
    experiments = [path for name in experiment_states(rep, conv) for path in experiment_outputs(name).values()]
    if not planned_states(rep, conv):
        return experiments
    return (
        experiments
        + [f"{REPRESENT_DIR}/summary/{name}.tsv" for name in SUMMARY_TABLES]
        + [f"{REPRESENT_DIR}/figures/{name}.png" for name in FIGURES]
        + [polar_path(state) for state in polar_states(rep, conv)]
    )

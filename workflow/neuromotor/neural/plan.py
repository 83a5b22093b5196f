"""Which jobs the neural-prediction study runs and where their files go (used by rules/neural.smk; no Snakemake).

Jobs: per session (``neural.data.sessions``, or the one synthetic session the workflow writes), one prediction job
per model state (task, family, seed, trained|untrained) of the convnets stage's final models that
``neural.models`` selects, one baseline job; then one summary, one figure job and the vs_paper table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from neuromotor.represent.plan import ModelState, analysed, model_dir, model_states

NEURAL_DIR = "results/neural"
FIGURES = ("predictivity_layers", "predictivity_performance")
SUMMARY_TABLES = ("predictivity", "layers", "models", "baselines")
SESSION_PATTERN = r"[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9]+"
"""Session names: ``<Monkey>_<YYYYMMDD>`` as in the successor's file names."""


def sessions(neural: Mapping) -> list[dict]:
    """[{name, area, path}] of the analysed sessions (the synthetic one when ``neural.data.source`` is synthetic)."""
    if neural["data"]["source"] == "synthetic":
        name = neural["synthetic"]["session"]
        return [{"name": name, "area": neural["synthetic"]["area"], "path": synthetic_path(name)}]
    return [dict(s) for s in neural["data"]["sessions"]]


def synthetic_path(name: str) -> str:
    return f"{NEURAL_DIR}/data/{name}_active_mvt_end_at100.hdf5"


def session_path(neural: Mapping, name: str) -> str:
    return next(s["path"] for s in sessions(neural) if s["name"] == name)


def session_area(neural: Mapping, name: str) -> str:
    return next(s["area"] for s in sessions(neural) if s["name"] == name)


def planned_states(neural: Mapping, conv: Mapping) -> list[ModelState]:
    """The model states predicted from: ``neural.models`` ∩ the convnets stage's final models."""
    tasks, families, seeds = analysed(neural["models"], conv)
    return model_states(tasks, families, seeds, neural["models"]["states"])


def plant_state(neural: Mapping, conv: Mapping) -> ModelState:
    """The network whose layer the synthetic neurons are tuned to (unset keys: the first planned state's)."""
    plant = neural["synthetic"]["plant"]
    states = planned_states(neural, conv)
    first = states[0] if states else ModelState("art", "S", 1, "trained")
    return ModelState(
        plant["task"] or first.task,
        plant["family"] or first.family,
        int(plant["seed"] if plant["seed"] is not None else first.seed),
        plant["state"],
    )


def model_files(state: ModelState) -> dict[str, str]:
    """The final model's ``config.json`` and the state's weights (trained: best.pt, untrained: init.pt)."""
    folder = model_dir(state.task, state.family, state.seed)
    return {"config": f"{folder}/config.json", "weights": f"{folder}/{state.weights}.pt"}


def wildcard_state(wildcards: Mapping) -> ModelState:
    """The model state of a job's wildcards (task, family, seed, state)."""
    return ModelState(wildcards["task"], wildcards["family"], int(wildcards["seed"]), wildcards["state"])


def identity(neural: Mapping, wildcards: Mapping) -> dict:
    """The columns that name a job's rows: session, area, and the model state for a network job."""
    out = {"session": wildcards["session"], "area": session_area(neural, wildcards["session"])}
    if "task" in wildcards:
        state = wildcard_state(wildcards)
        out |= {"task": state.task, "family": state.family, "seed": state.seed, "state": state.state}
    return out


def prediction_params(neural: Mapping) -> dict:
    """The config a prediction job's scores depend on."""
    return {key: neural[key] for key in ("pca_components", "alphas", "folds", "inner_folds")}


def model_table(session: str, state: ModelState) -> str:
    return f"{NEURAL_DIR}/{session}/{state.key}.tsv"


def baseline_table(session: str) -> str:
    return f"{NEURAL_DIR}/{session}/baselines.tsv"


def summary_paths() -> dict[str, str]:
    return {name: f"{NEURAL_DIR}/summary/{name}.tsv" for name in SUMMARY_TABLES}


def figure_paths() -> dict[str, str]:
    return {name: f"{NEURAL_DIR}/figures/{name}.png" for name in FIGURES}


def model_tables(neural: Mapping, conv: Mapping) -> list[str]:
    return [model_table(s["name"], state) for s in sessions(neural) for state in planned_states(neural, conv)]


def baseline_tables(neural: Mapping) -> list[str]:
    return [baseline_table(s["name"]) for s in sessions(neural)]


def target_paths(neural: Mapping, conv: Mapping) -> list[str]:
    """Everything the ``neural`` target builds (the vs_paper outputs are added by the rules)."""
    return [*summary_paths().values(), *figure_paths().values()]


def check_config(config: Mapping) -> list[str]:
    """Problems of the ``neural`` section, alone and against ``convnets.final``, that the JSON schema cannot
    express (each names its config key); empty when fine. The study is off the default run (target ``neural``):
    its defaults pass, and a plan whose convnets stage trains no final models (nothing to predict from) is not
    checked against them."""
    if "neural" not in config:
        return []
    neural, conv = config["neural"], config["convnets"]
    final = conv["final"]
    has_models = bool(final["tasks"] and final["families"] and final["seeds"])
    problems = []
    data = neural["data"]
    if data["source"] == "files":
        if not data["sessions"]:
            problems.append("config key 'neural.data.sessions': empty; source 'files' needs at least one session")
        names = [s["name"] for s in data["sessions"]]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"config key 'neural.data.sessions': session name {name!r} appears more than once")
    if has_models and not planned_states(neural, conv):
        problems.append(
            f"config key 'neural.models': selects none of the convnets stage's final models (convnets.final: tasks "
            f"{list(conv['final']['tasks'])}, families {list(conv['final']['families'])}, seeds "
            f"{list(conv['final']['seeds'])})"
        )
    if data["source"] == "synthetic":
        plant = plant_state(neural, conv)
        tasks, families, seeds = analysed(
            {"tasks": [plant.task], "families": [plant.family], "seeds": [plant.seed]}, conv
        )
        if has_models and not (tasks and families and seeds):
            problems.append(
                f"config key 'neural.synthetic.plant': ({plant.task}, {plant.family}, seed {plant.seed}) is not a "
                "final model of the convnets stage (convnets.final)"
            )
        low, high = neural["synthetic"]["durations"]
        if low > high:
            problems.append(f"config key 'neural.synthetic.durations': start {low} exceeds end {high}")
        if high + data["align"] > 400:
            problems.append(
                f"config key 'neural.synthetic.durations': {high} bins after the alignment bin {data['align']} exceed "
                "the 400-bin window"
            )
        if neural["synthetic"]["trials"] < neural["folds"]:
            problems.append(
                f"config key 'neural.synthetic.trials': {neural['synthetic']['trials']} trials cannot fill "
                f"{neural['folds']} folds ('neural.folds')"
            )
    grid = neural["alphas"]
    if grid["log10_min"] > grid["log10_max"]:
        problems.append(
            f"config key 'neural.alphas': log10_min {grid['log10_min']} exceeds log10_max {grid['log10_max']}"
        )
    return problems


# ---- resources -------------------------------------------------------------------------------------------------

DEFAULT_SHAPE = (500, 400, 200)
"""(trials, bins, neurons) assumed for a session file that does not exist yet."""


def session_shape(path: str, neural: Mapping) -> tuple[int, int, int]:
    """(trials, bins, neurons) of a session: the synthetic plan's, an existing file's (shapes only), or a bound."""
    if neural["data"]["source"] == "synthetic":
        return int(neural["synthetic"]["trials"]), 400, int(neural["synthetic"]["neurons"])
    from pathlib import Path

    if Path(path).is_file():
        try:
            import h5py

            with h5py.File(path, "r") as handle:
                return tuple(int(v) for v in handle["spike_counts"].shape)  # type: ignore[return-value]
        except (OSError, KeyError, ValueError):
            pass  # the job's loader reports a bad file with its key
    return DEFAULT_SHAPE


def _planned_network(conv: Mapping, wildcards: Mapping) -> tuple:
    """(architecture, input channels, (muscles, steps)) of the job's model state: from its ``config.json`` once it
    exists, else the bound of :func:`neuromotor.represent.plan.planned_network`."""
    from neuromotor.represent.plan import planned_network

    state = wildcard_state(wildcards)
    return planned_network(f"{model_dir(state.task, state.family, state.seed)}/config.json", state.family, conv)


def architecture_widths(arch, shape: tuple[int, int]) -> list[int]:
    """Features per bin of the layers :func:`neuromotor.neural.features.layer_features` bins, on (muscles, steps)
    ``shape`` inputs: every conv block's channels x rows, then the LSTM's units."""
    from neuromotor.convnets.architecture import layer_shapes

    widths = [channels * rows for channels, rows, _ in layer_shapes(arch, shape)]
    return widths + [arch.units] if arch.family == "LSTM" else widths


def _memory_mb(shape: tuple[int, int, int], features: int) -> int:
    """The session (float64), every layer's features per bin (float32, twice while binned), one layer's float64
    samples and its covariance (bounded by 4,096 features per layer)."""
    n, bins, neurons = shape
    session = n * bins * (neurons + 4 * 40) * 8
    held = 2 * n * bins * features * 4
    samples = 2 * n * bins * min(features, 4096) * 8
    return int(1500 + 1.3 * (session + held + samples) / 1e6)


def model_memory_mb(neural: Mapping, conv: Mapping, wildcards: Mapping) -> int:
    arch, _, network_shape = _planned_network(conv, wildcards)
    shape = session_shape(session_path(neural, wildcards["session"]), neural)
    return _memory_mb(shape, sum(architecture_widths(arch, network_shape)))


def baseline_memory_mb(neural: Mapping, session: str) -> int:
    return _memory_mb(session_shape(session_path(neural, session), neural), 200)


FORWARD_FLOPS = 1e10
"""Flop/s of the network's forward pass on one CPU thread (measured 12.7 for the LSTM, 30 GFLOP/s for an S network
on 2 x 39 x 400 trials: tests/bench/bench_neural_model.py)."""
PCA_SECONDS_PER_FLOP = 2.5e-11
"""Seconds per flop of a layer's PCA, counted as 2 S F^2 (the covariance) + 9 F^3 (its eigendecomposition), float64,
one thread (measured 1.4-2.2e-11 for S = 16,000-40,000 samples, F = 200-2,000 features)."""
RIDGE_SECONDS = (1e-5, 5e-9, 1e-8)
"""Seconds per sample of a layer's nested cross-validated ridge (5 x 5 folds, 15 alphas): a constant, per k^2 and
per k x neurons for k components (measured within 0.8-1.3x at k = 20-75, 12-200 neurons)."""
BIN_SECONDS_PER_FLOAT = 5e-9
"""Seconds per stored layer float of a trial to resample it onto the session's bins."""


def model_seconds(shape: tuple[int, int, int], widths: Sequence[int], macs: int, components: int = 75) -> float:
    """Expected CPU seconds of a prediction job: ``shape`` (trials, bins, neurons) of the session, ``widths``
    features per bin of each layer, ``macs`` of one forward pass per trial: the start, the forward passes and
    binning, then per layer its PCA and the cross-validated ridge on its k = min(components, width) scores."""
    trials, bins, neurons = shape
    samples = trials * bins
    seconds = 10.0 + 2.0 * macs * trials / FORWARD_FLOPS + BIN_SECONDS_PER_FLOAT * trials * bins * sum(widths)
    constant, per_k2, per_k_neuron = RIDGE_SECONDS
    for width in widths:
        k = min(components, width)
        seconds += PCA_SECONDS_PER_FLOP * (2.0 * samples * width**2 + 9.0 * width**3)
        seconds += samples * (constant + per_k2 * k * k + per_k_neuron * k * neurons)
    return seconds


def model_runtime_min(neural: Mapping, conv: Mapping, wildcards: Mapping) -> int:
    """The request of :func:`model_seconds` (2x headroom, 10-minute floor), at attempt 1."""
    from neuromotor.costs import runtime_request_min

    from neuromotor.convnets.plan import forward_macs

    arch, channels, network_shape = _planned_network(conv, wildcards)
    shape = session_shape(session_path(neural, wildcards["session"]), neural)
    widths, macs = architecture_widths(arch, network_shape), forward_macs(arch, channels, tuple(network_shape))
    return runtime_request_min(model_seconds(shape, widths, macs, int(neural["pca_components"])))

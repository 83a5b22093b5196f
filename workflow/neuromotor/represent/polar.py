"""Polar tuning maps of example units (Sandbrink et al. 2023, Fig. 5A–B; the original ``polar_tcs.py``): for one model
state, the units best fitted by the direction tuning curve in a few layers, their activation at every kept sample of
the figure's plane subset, with the end-effector's velocity and position there in polar form; drawn by
:func:`neuromotor.plots.tuning_polar.plot_polar_tuning_maps`.

- :func:`shown_layers` — the layers drawn: evenly spaced over 0..K;
- :func:`best_units` — per drawn layer, the units with the highest test R² of the direction model (vel, 1);
- :func:`unit_on_input_steps` — one unit's activation placed on the input's time steps (NaN where its layer has no
  kept sample);
- :func:`example_unit_samples` — those units' samples with the kinematics (arrays);
- :func:`polar_tuning_figure` — the stage: ``activations.zarr`` and ``units.zarr`` of one model state in, one PNG
  out. Only the chosen units are read from the activation store, one (row, channel) slice at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import open_store, read_arrays
from neuromotor.represent import kinematics as kin
from neuromotor.represent.stages import ActivationStore, limit_threads

N_LAYERS_SHOWN = 4
"""Layers drawn per model state (for K = 8: 0, 3, 5, 8, the spindles and layers 3, 5 and 8 of Fig. 5A)."""
UNITS_PER_LAYER = 2
"""Example units drawn per layer."""
RANKING_DESIGNS = (("vel", 1), ("vel", 3))
"""(feature set, model) whose test R² ranks the units: the direction model, else direction × speed."""


def shown_layers(n_layers: int, count: int = N_LAYERS_SHOWN) -> list[int]:
    """``count`` layers evenly spaced over 0..K (K = ``n_layers`` − 1), rounded to the nearest, without repeats;
    all layers when there are at most ``count``."""
    if n_layers < 1 or count < 1:
        raise ValueError(f"shown_layers: needs n_layers >= 1 and count >= 1, got {n_layers}, {count}")
    return sorted({int(k) for k in np.rint(np.linspace(0, n_layers - 1, min(count, n_layers)))})


def best_units(layer: np.ndarray, score: np.ndarray, layers: Sequence[int], per_layer: int = UNITS_PER_LAYER) -> list[int]:
    """Positions of the ``per_layer`` units with the highest score in each of ``layers`` (layer order, best first;
    ties: the lower position first). ``layer`` (U,) each unit's layer, ``score`` (U,) its test R²; NaN and exactly 1
    (constant units) are never chosen, so a layer may give fewer."""
    layer, score = np.asarray(layer), np.asarray(score, dtype=np.float64)
    if layer.shape != score.shape or layer.ndim != 1:
        raise ValueError(f"best_units: layer {layer.shape} and score {score.shape} must be the same (U,) shape")
    chosen = []
    for k in layers:
        candidates = np.flatnonzero((layer == k) & np.isfinite(score) & (score != 1.0))
        order = np.lexsort((candidates, -score[candidates]))
        chosen += candidates[order[:per_layer]].tolist()
    return chosen


def unit_on_input_steps(values: np.ndarray, kept: np.ndarray, stride: int, window: int) -> np.ndarray:
    """One unit's activation on the input's time steps: ``values`` (n, T_l) at layer time indices → (n, window)
    float64 holding ``values[:, j]`` at input step ``j * stride`` for every kept ``j`` and NaN elsewhere."""
    values = np.asarray(values, dtype=np.float64)
    kept = np.asarray(kept, dtype=np.int64)
    steps = kin.sample_times(kept, stride)
    if values.ndim != 2 or (len(kept) and (kept.max() >= values.shape[1] or steps.max() >= window)):
        raise ValueError(f"unit_on_input_steps: values {values.shape} must be (n, T_l) holding the kept indices "
                         f"(largest {kept.max() if len(kept) else None}, stride {stride}, window {window})")
    out = np.full((len(values), window), np.nan)
    out[:, steps] = values[:, kept]
    return out


def _unit_label(layer: int, row: int, channel: int, r2: float, n_layers: int) -> str:
    name = "input" if layer == 0 else ("output" if layer == n_layers - 1 else "")
    return f"layer {layer}{f' ({name})' if name else ''}\nrow {row}, channel {channel}\ntest R² {r2:.2f}"


def example_unit_samples(
    activations,
    units,
    *,
    plane: str,
    onset: int,
    tcoff: str,
    n_layers_shown: int = N_LAYERS_SHOWN,
    per_layer: int = UNITS_PER_LAYER,
) -> dict | None:
    """The samples of :func:`polar_tuning_figure`: the best direction-tuned units (test R² of
    :data:`RANKING_DESIGNS` in ``units.zarr``'s ``plane`` group) of :func:`shown_layers`, and every trajectory of the
    plane subset at every input step. None when the units job fitted nothing on that subset.

    Returns ``velocity`` (N, 2) speed (cm/step) and direction (rad), ``position`` (N, 2) distance (cm) and direction
    from the trajectory's start, ``activation`` (N, U) with NaN where a unit's layer has no kept sample (``onset``,
    ``tcoff`` as in the tuning fits), N = trajectories × window; ``units`` U dicts (layer, row, channel, r2);
    ``layers`` the layers drawn; ``n_trajectories``; ``n_layers`` (K + 1).
    """
    store = ActivationStore(activations)
    root = open_store(units)
    trajectories = np.flatnonzero(kin.plane_mask(store.endeffector, plane))
    if plane not in root or len(trajectories) == 0:
        return None
    designs = [tuple(d.split(":")) for d in root.attrs["designs"]]
    designs = [(name, int(model_id)) for name, model_id in designs]
    ranking = next((d for d in RANKING_DESIGNS if d in designs), None)
    if ranking is None:
        raise DataFormatError(f"{units}: no direction tuning fit among the designs {designs}; expected one of "
                              f"{list(RANKING_DESIGNS)} (config key 'representations.tuning.models.vel')")
    index = read_arrays(units, "", ["layer", "row", "channel"])
    score = read_arrays(units, plane, ["metrics"])["metrics"][:, designs.index(ranking), 1, 1]
    layers = shown_layers(store.n_layers, n_layers_shown)
    chosen = best_units(index["layer"], score, layers, per_layer)

    window = int(store.attrs["window"])
    features = kin.feature_components(store.endeffector[trajectories], plane)
    velocity, position = (features[name].transpose(0, 2, 1).reshape(-1, 2) for name in ("vel", "eepolar"))
    columns, described = [], []
    for u in chosen:
        k, row, channel = int(index["layer"][u]), int(index["row"][u]), int(index["channel"][u])
        values = np.asarray(store.array(k)[:, channel, row, :])[trajectories]  # (n, T_k): one unit's slice
        kept = kin.kept_time_indices(values.shape[1], store.strides[k], window, onset, tcoff == "symmetric")
        columns.append(unit_on_input_steps(values, kept, store.strides[k], window).ravel())
        described.append({"layer": k, "row": row, "channel": channel, "r2": float(score[u])})
    activation = np.column_stack(columns) if columns else np.zeros((len(velocity), 0))
    return {"velocity": velocity, "position": position, "activation": activation, "units": described,
            "layers": layers, "n_trajectories": len(trajectories), "n_layers": store.n_layers}  # fmt: skip


@limit_threads
def polar_tuning_figure(
    activations,
    units,
    *,
    plane: str,
    onset: int,
    tcoff: str,
    out_png,
    n_layers_shown: int = N_LAYERS_SHOWN,
    per_layer: int = UNITS_PER_LAYER,
    threads: int = 1,
) -> None:
    """Polar tuning maps of one model state's example units (:func:`example_unit_samples`) against the
    end-effector's velocity (speed, direction) and position relative to the trajectory's start (distance,
    direction): one PNG."""
    from neuromotor.plots.tuning_polar import plot_polar_tuning_maps

    model = ActivationStore(activations).model()
    title = (f"{str(model['task']).upper()} {model['family']} seed {model['seed']} {model['state']}: units best "
             f"fitted by the direction tuning curve")
    data = example_unit_samples(activations, units, plane=plane, onset=onset, tcoff=tcoff,
                                n_layers_shown=n_layers_shown, per_layer=per_layer)  # fmt: skip
    if data is None:
        plot_polar_tuning_maps(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros((0, 0)), [],
                               f"{title}\n(no tuning fits on the {plane} subset)", out_png)  # fmt: skip
        return
    labels = [_unit_label(u["layer"], u["row"], u["channel"], u["r2"], data["n_layers"]) for u in data["units"]]
    plot_polar_tuning_maps(data["velocity"], data["position"], data["activation"], labels,
                           f"{title} in layers {', '.join(map(str, data['layers']))}, {plane} trajectories "
                           f"(n = {data['n_trajectories']})", out_png)  # fmt: skip

"""Regressors per session bin: a network's layers run on the session's muscle inputs, and the linear baselines'
kinematics (the successor's linear models: ``fit_linear_models_cv.py`` of its neural-prediction code).

Every function returns features per bin, (trials, bins, features) float32, on the session's 10-ms bins.
"""

from __future__ import annotations

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.neural.resample import layer_to_bins, network_input
from neuromotor.neural.session import Session

BASELINES = ("muscles", "hand", "joints")
"""Linear baselines: muscle length and velocity (the networks' inputs), hand position and velocity, joint angle
and velocity."""


def baseline_features(session: Session, name: str, path: str = "session") -> np.ndarray:
    """The kinematic regressors of baseline ``name`` (:data:`BASELINES`) per bin, (N, T, F)."""
    if name == "muscles":
        values = session.muscles.transpose(0, 2, 1, 3)  # (N, T, M, 2)
    elif name == "hand":
        values = session.endeffector  # (N, T, D, 2)
    elif name == "joints":
        if session.joints is None:
            raise DataFormatError(f"{path}: missing key 'joint_coords'; the 'joints' baseline needs it")
        values = session.joints.transpose(0, 2, 1, 3)
    else:
        raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")
    n, t = values.shape[:2]
    return np.ascontiguousarray(values.reshape(n, t, -1), dtype=np.float32)


def check_model_input(session: Session, input_shape, path: str, model: str) -> None:
    """The session's muscles must be those the model takes (spindle_info: 2 channels, the same muscle count)."""
    channels, muscles, _ = (int(v) for v in input_shape)
    if channels != 2:
        raise DataFormatError(
            f"{model}: the network takes {channels} input channel(s); neural prediction feeds it the session's muscle "
            "length and velocity (spindle_info, 2 channels)"
        )
    if session.muscles.shape[1] != muscles:
        raise DataFormatError(
            f"{path}: key 'muscle_coords' holds {session.muscles.shape[1]} muscles; the network {model} takes "
            f"{muscles} (the successor's 39-muscle networks need arm models as data, issue 19 point 1)"
        )


def layer_features(model, session: Session, dt: float, batch_size: int = 100, device=None) -> list[np.ndarray]:
    """Layers 1..K of ``model`` (a network with ``input_shape`` (2, M, W) and ``layer_outputs``) on the session's
    muscles resampled to its step ``dt``, each back on the session's bins: a list of (N, T, F_l) float32."""
    from neuromotor.represent.activations import layer_batches

    _, _, window = model.input_shape
    inputs = network_input(session.muscles, session.bin_s, dt, int(window))
    layers: list[list[np.ndarray]] = []
    for outputs in layer_batches(model, inputs, batch_size, device):
        binned = [layer_to_bins(values, int(window), dt, session.bin_s, session.n_bins) for values in outputs[1:]]
        if not layers:
            layers = [[] for _ in binned]
        for store, values in zip(layers, binned):
            store.append(values)
    return [np.concatenate(parts) for parts in layers]

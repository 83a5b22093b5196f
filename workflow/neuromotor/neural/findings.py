"""This run's values of the successor's published findings (Marin Vargas et al. 2024, Cell; reference table
study ``neural``), as :class:`~neuromotor.fidelity.compare.Measurement` objects, per session.

- ``trained_vs_linear``: the best trained network's best-layer median predictivity against the best linear
  baseline's (``task_trained > linear``);
- ``trained_vs_untrained``: against the best untrained network's (``task_trained > untrained``; the paper finds it
  for active movements, the movements these files hold);
- ``position_velocity_tasks_best``: the best trained network of the hand position / velocity tasks (``tdt``,
  ``tdt_pv``) against the best of the other tasks (``position_velocity > other``);
- ``predictivity_performance_spearman``: Spearman's ρ between task performance and best-layer predictivity over the
  model states (trained and untrained) of one task (NaN below 3 states);
- ``median_predictivity``: the best trained network's best-layer median (no published number);
- the protocol: ``pca_components``, ``ridge_alphas``, ``cv_folds``, ``bin_ms``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from neuromotor.fidelity.compare import Measurement

POSITION_VELOCITY_TASKS = (
    "tdt", "tdt_pv", "hand_pos", "hand_vel", "hand_pos_vel", "limb_pos", "limb_vel", "limb_pos_vel",
)  # fmt: skip
"""The tasks that regress the position and/or velocity of the hand or limb (hand + elbow): the successor's
best-predicting kind ("limb position/velocity tasks best"). The acceleration tasks (``*_pos_vel_acc``), the joint
regressions, autoencoding, Barlow Twins and action recognition are the others."""


def _best(rows: Sequence[Mapping], **match) -> float:
    values = [float(r["best_median_ev"]) for r in rows if all(r[k] in v for k, v in match.items())]
    return max(values) if values else float("nan")


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's ρ (average ranks for ties); NaN for fewer than 3 finite pairs or a constant variable."""
    pairs = [(a, b) for a, b in zip(x, y) if np.isfinite(a) and np.isfinite(b)]
    if len(pairs) < 3:
        return float("nan")
    from scipy.stats import rankdata

    ranks = [rankdata([p[i] for p in pairs]) for i in (0, 1)]
    if np.std(ranks[0]) == 0 or np.std(ranks[1]) == 0:
        return float("nan")
    return float(np.corrcoef(ranks[0], ranks[1])[0, 1])


def measurements(models: Sequence[Mapping], baselines: Sequence[Mapping], scale: Mapping) -> list[Measurement]:
    """The findings' values per session (``models``: the summary's models table; ``baselines``: its baselines
    table) and the protocol's values (from ``scale``)."""
    out = []
    for session in dict.fromkeys(r["session"] for r in [*models, *baselines]):
        own = [r for r in models if r["session"] == session]
        area = next((r["area"] for r in [*own, *baselines] if r["session"] == session), "")
        condition = {"session": session, "area": area}
        trained = _best(own, state=("trained",))
        linear = max((float(r["median_ev"]) for r in baselines if r["session"] == session), default=float("nan"))
        out.append(
            Measurement(
                "trained_vs_linear",
                condition,
                {"task_trained": trained, "linear": linear},
                "best-layer median EV of the best trained network; best linear baseline",
            )
        )
        out.append(Measurement("median_predictivity", condition, trained, "best trained network, best layer"))
        out.append(
            Measurement(
                "trained_vs_untrained",
                condition,
                {"task_trained": trained, "untrained": _best(own, state=("untrained",))},
                "best-layer median EV, best trained vs best untrained network",
            )
        )
        tasks = sorted({r["task"] for r in own})
        others = tuple(t for t in tasks if t not in POSITION_VELOCITY_TASKS)
        out.append(
            Measurement(
                "position_velocity_tasks_best",
                condition,
                {
                    "position_velocity": _best(own, state=("trained",), task=POSITION_VELOCITY_TASKS),
                    "other": _best(own, state=("trained",), task=others) if others else float("nan"),
                },
                f"trained networks; other tasks: {', '.join(others) or 'none'}",
            )
        )
        for task in tasks:
            states = [r for r in own if r["task"] == task]
            rho = spearman([float(r["performance"]) for r in states], [float(r["best_median_ev"]) for r in states])
            out.append(
                Measurement(
                    "predictivity_performance_spearman",
                    condition | {"task": task},
                    rho,
                    f"{len(states)} model states (trained and untrained)",
                )
            )
    for quantity in ("pca_components", "ridge_alphas", "cv_folds", "bin_ms"):
        out.append(Measurement(quantity, {}, float(scale[quantity]), "this run's protocol"))
    return out


def scale(neural: Mapping, states: Sequence, sessions: int) -> dict:
    """The run's size and protocol, for the reference rows' ``comparable_when`` (``states``: the predicted model
    states, objects with ``task`` and ``state``)."""
    grid = neural["alphas"]
    trained = [s for s in states if s.state == "trained"]
    return {
        "source": neural["data"]["source"],
        "sessions": sessions,
        "models": len(trained),
        "tasks": len({s.task for s in trained}),
        "untrained": len(states) - len(trained),
        "pca_components": neural["pca_components"],
        "ridge_alphas": grid["n"],
        "alpha_log10_min": grid["log10_min"],
        "alpha_log10_max": grid["log10_max"],
        "cv_folds": neural["folds"],
        "bin_ms": round(1000 * neural["data"]["bin_s"], 6),
    }

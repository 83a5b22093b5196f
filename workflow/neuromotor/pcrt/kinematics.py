"""Forward and inverse kinematics of the 2-link, 4-DoF arms of the PCRT (Sandbrink et al. 2023, Methods; Marin
Vargas et al. 2024, ``pcr_data_utils.py (DeepDraw, PCR-data-generation)``).

Frames and units: positions in cm; the *shoulder frame* has the arm hanging along -y at zero angles; the *world
frame* (X forward, Y left, Z up, origin at the shoulder) is ``world = WORLD_FROM_SHOULDER @ shoulder``.
Joint angles are in degrees, in the order of the arm's chain (:data:`CHAINS`):

- ``deepdraw`` (human arm): ``elv_angle a, shoulder_elv b, shoulder_rot c, elbow_flexion d``; the shoulder rotation
  is ``R_sh = Ry(a) Rz(b) Ry(-a) Ry(c)``;
- ``successor`` (macaque arm): ``shoulder_flexion f, shoulder_adduction a, shoulder_rotation r, elbow_flexion d``;
  ``R_sh = Rz(a) Ry(r) Rx(f)``.

Both elbows are ``Rx(d)``, both links lie along -y. The inverse kinematics of the originals (per-step SLSQP: minimise
``||q - q_prev||`` subject to ``FK(q) = p`` and the joint limits) is solved here exactly and in batches: the elbow
angle follows from the hand's distance to the shoulder, and for every value of one shoulder angle (``c``, resp.
``f``) the remaining two follow in closed form (two branches for the successor's chain), so each step is a
one-dimensional minimisation along the solution curve. :func:`ik_slsqp_step` keeps the literal original procedure
as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

JOINT_NAMES = ("elv_angle", "shoulder_elv", "shoulder_rot", "elbow_flexion")
UPPER_ARM_CM = 33.0
FOREARM_CM = 26.0
JOINT_MIN_DEG = np.array([-90.0, 0.0, -90.0, 0.0])
JOINT_MAX_DEG = np.array([130.0, 180.0, 20.0, 130.0])
DEFAULT_POSTURE_DEG = np.array([50.0, 40.0, 20.0, 75.0])
SLSQP_INITIAL_GUESS_DEG = np.array([10.0, 10.0, 10.0, 10.0])
WORLD_FROM_SHOULDER = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
CHAINS = {
    "deepdraw": JOINT_NAMES,
    "successor": ("shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "elbow_flexion"),
}
"""The shoulder rotation sequences this module solves, with the names of their joints in posture order."""


@dataclass(frozen=True)
class Arm:
    """Geometry and joint limits of the 2-link arm.

    Attributes:
        upper_arm_cm, forearm_cm: link lengths (cm).
        joint_min_deg, joint_max_deg: (4,) joint limits (deg).
        rest_posture_deg: (4,) posture ``q0`` that the first IK step stays closest to (deg).
        chain: the shoulder rotation sequence and joint order, a key of :data:`CHAINS`.
    """

    upper_arm_cm: float = UPPER_ARM_CM
    forearm_cm: float = FOREARM_CM
    joint_min_deg: tuple = tuple(JOINT_MIN_DEG)
    joint_max_deg: tuple = tuple(JOINT_MAX_DEG)
    rest_posture_deg: tuple = tuple(DEFAULT_POSTURE_DEG)
    chain: str = "deepdraw"

    def __post_init__(self):
        if self.chain not in CHAINS:
            raise ValueError(f"arm chain must be one of {sorted(CHAINS)}; got {self.chain!r}")

    @property
    def joint_names(self) -> tuple[str, ...]:
        """The joints in posture order."""
        return CHAINS[self.chain]

    @property
    def q_min(self) -> np.ndarray:
        return np.asarray(self.joint_min_deg, dtype=float)

    @property
    def q_max(self) -> np.ndarray:
        return np.asarray(self.joint_max_deg, dtype=float)

    @property
    def q0(self) -> np.ndarray:
        return np.asarray(self.rest_posture_deg, dtype=float)


def _rot_y(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    o, z = np.ones_like(t), np.zeros_like(t)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _rot_x(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    o, z = np.ones_like(t), np.zeros_like(t)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rot_z(t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    o, z = np.ones_like(t), np.zeros_like(t)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def shoulder_rotation(q_deg: np.ndarray, chain: str = "deepdraw") -> np.ndarray:
    """Rotation matrices of the shoulder, shape (..., 3, 3), from (..., 4) angles (deg): ``Ry(a) Rz(b) Ry(-a) Ry(c)``
    for the ``deepdraw`` chain, ``Rz(a) Ry(r) Rx(f)`` for the ``successor`` chain."""
    q = np.deg2rad(np.asarray(q_deg, dtype=float))
    if chain == "successor":
        return _rot_z(q[..., 1]) @ _rot_y(q[..., 2]) @ _rot_x(q[..., 0])
    a, b, c = q[..., 0], q[..., 1], q[..., 2]
    return _rot_y(a) @ _rot_z(b) @ _rot_y(c - a)


def hand_position_shoulder(q_deg: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """Hand position in the shoulder frame (cm), shape (..., 3), from joint angles (..., 4) in degrees."""
    q = np.asarray(q_deg, dtype=float)
    d = np.deg2rad(q[..., 3])
    forearm = np.stack([np.zeros_like(d), -arm.forearm_cm * np.cos(d), -arm.forearm_cm * np.sin(d)], -1)
    upper = np.array([0.0, -arm.upper_arm_cm, 0.0])
    return np.einsum("...ij,...j->...i", shoulder_rotation(q, arm.chain), forearm + upper)


def forward_kinematics(q_deg: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """Hand position in the world frame (cm), shape (..., 3), from joint angles (..., 4) in degrees."""
    return hand_position_shoulder(q_deg, arm) @ WORLD_FROM_SHOULDER.T


def elbow_forward_kinematics(q_deg: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """Elbow position in the world frame (cm), shape (..., 3), from joint angles (..., 4) in degrees: the end of the
    upper arm, ``R_sh [0, -l1, 0]`` (the hand lies ``forearm_cm`` further, see :func:`forward_kinematics`)."""
    upper = np.array([0.0, -arm.upper_arm_cm, 0.0])
    elbow = np.einsum("...ij,j->...i", shoulder_rotation(np.asarray(q_deg, dtype=float), arm.chain), upper)
    return elbow @ WORLD_FROM_SHOULDER.T


def world_to_shoulder(p_world: np.ndarray) -> np.ndarray:
    """Map world-frame points (..., 3) to the shoulder frame (``M.T @ p``)."""
    return np.asarray(p_world, dtype=float) @ WORLD_FROM_SHOULDER


def elbow_angle_for_reach(reach_cm: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """Elbow flexion (deg) that puts the hand at distance ``reach_cm`` from the shoulder (unclipped; NaN if none)."""
    l1, l2 = arm.upper_arm_cm, arm.forearm_cm
    cos_d = (np.asarray(reach_cm, dtype=float) ** 2 - l1**2 - l2**2) / (2.0 * l1 * l2)
    with np.errstate(invalid="ignore"):
        return np.rad2deg(np.arccos(np.where(np.abs(cos_d) <= 1.0 + 1e-12, np.clip(cos_d, -1.0, 1.0), np.nan)))


def _shoulder_angles_on_curve(
    c_deg: np.ndarray, arm_vector: np.ndarray, target: np.ndarray, a_fallback_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Elevation plane ``a`` and elevation ``b`` (deg, b in [0, 180]) that rotate ``Ry(c) arm_vector`` onto ``target``.

    Args:
        c_deg: (B, K) candidate shoulder rotations (deg).
        arm_vector: (B, 3) elbow-bent arm vector ``Rx(d)[0,-l2,0] + [0,-l1,0]`` (cm).
        target: (B, 3) hand target in the shoulder frame (cm), with ``|target| == |arm_vector|``.
        a_fallback_deg: (B,) elevation plane used where it is undetermined (the arm already points at the target).
    Returns:
        a, b: (B, K) angles in degrees.
    """
    c = np.deg2rad(c_deg)
    cos_c, sin_c = np.cos(c), np.sin(c)
    ux, uy, uz = (arm_vector[:, i, None] for i in range(3))
    wx, wy, wz = cos_c * ux + sin_c * uz, np.broadcast_to(uy, c.shape), -sin_c * ux + cos_c * uz
    tx, ty, tz = (target[:, i, None] for i in range(3))
    dx, dz = wx - tx, wz - tz
    undetermined = np.hypot(dx, dz) < 1e-12
    a = np.where(undetermined, np.deg2rad(a_fallback_deg)[:, None], np.arctan2(-dz, dx))
    nx, nz = np.sin(a), np.cos(a)
    # signed angle about n = (sin a, 0, cos a) from w to t: n . (w x t) and the in-plane dot product
    cross_n = nx * (wy * tz - wz * ty) + nz * (wx * ty - wy * tx)
    w_n, t_n = nx * wx + nz * wz, nx * tx + nz * tz
    dot_perp = wx * tx + wy * ty + wz * tz - w_n * t_n
    b = np.arctan2(cross_n, dot_perp)
    flip = b < 0
    a = np.where(flip, a + np.pi, a)
    b = np.abs(b)
    a = np.mod(a + np.pi, 2 * np.pi) - np.pi
    return np.rad2deg(a), np.rad2deg(b)


class _StepProblem:
    """One IK step for a batch: the solution curve q(c) and the objective ``||q(c) - q_prev||^2``."""

    def __init__(self, target_shoulder: np.ndarray, q_prev: np.ndarray, arm: Arm):
        self.arm, self.target, self.q_prev = arm, target_shoulder, q_prev
        reach = np.linalg.norm(target_shoulder, axis=-1)
        d = elbow_angle_for_reach(reach, arm)
        self.reachable = np.isfinite(d) & (d >= arm.q_min[3] - 1e-9) & (d <= arm.q_max[3] + 1e-9)
        self.d = np.clip(np.nan_to_num(d, nan=arm.q_max[3]), arm.q_min[3], arm.q_max[3])
        dr = np.deg2rad(self.d)
        self.arm_vector = np.stack(
            [np.zeros_like(dr), -arm.upper_arm_cm - arm.forearm_cm * np.cos(dr), -arm.forearm_cm * np.sin(dr)], -1
        )

    def curve(self, c: np.ndarray, rows: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, ...]:
        a, b = _shoulder_angles_on_curve(c, self.arm_vector[rows], self.target[rows], self.q_prev[rows, 0])
        lo, hi = self.arm.q_min, self.arm.q_max
        feasible = (a >= lo[0]) & (a <= hi[0]) & (b >= lo[1]) & (b <= hi[1]) & (c >= lo[2]) & (c <= hi[2])
        qp = self.q_prev[rows]
        cost = (a - qp[:, 0, None]) ** 2 + (b - qp[:, 1, None]) ** 2 + (c - qp[:, 2, None]) ** 2
        return a, b, cost, feasible

    def solve_global(self, rows: np.ndarray, grid_step_deg: float = 0.25) -> np.ndarray:
        """Best feasible ``c`` on a grid over the shoulder-rotation range, refined by golden section."""
        lo, hi = self.arm.q_min[2], self.arm.q_max[2]
        grid = np.linspace(lo, hi, int(round((hi - lo) / grid_step_deg)) + 1)
        c = np.broadcast_to(grid, (rows.size, grid.size))
        _, _, cost, feasible = self.curve(c, rows)
        cost = np.where(feasible, cost, np.inf)
        best = np.argmin(cost, axis=1)
        left = np.clip(grid[best] - grid_step_deg, lo, hi)
        right = np.clip(grid[best] + grid_step_deg, lo, hi)
        return self._golden_section(rows, left, right)

    def _golden_section(self, rows: np.ndarray, left: np.ndarray, right: np.ndarray, n_iter: int = 28) -> np.ndarray:
        ratio = (np.sqrt(5.0) - 1.0) / 2.0
        for _ in range(n_iter):
            c1 = right - ratio * (right - left)
            c2 = left + ratio * (right - left)
            _, _, cost, feasible = self.curve(np.stack([c1, c2], 1), rows)
            cost = np.where(feasible, cost, np.inf)
            keep_left = cost[:, 0] <= cost[:, 1]
            right = np.where(keep_left, c2, right)
            left = np.where(keep_left, left, c1)
        # the midpoint may fall just outside a feasibility boundary; prefer a feasible end of the bracket
        candidates = np.stack([0.5 * (left + right), left, right], 1)
        _, _, cost, feasible = self.curve(candidates, rows)
        cost = np.where(feasible, cost, np.inf)
        return candidates[np.arange(rows.size), np.argmin(cost, axis=1)]

    def solve_local(self, c_start: np.ndarray, n_iter: int = 4, step_deg: float = 1e-3, trust_deg: float = 5.0):
        """Newton iterations on the objective from ``c_start``; returns ``c`` and a flag where Newton is trustworthy."""
        lo, hi = self.arm.q_min[2], self.arm.q_max[2]
        c = c_start.copy()
        ok = np.ones(c.shape, dtype=bool)
        offsets = np.array([-step_deg, 0.0, step_deg])
        for _ in range(n_iter):
            _, _, cost, feasible = self.curve(c[:, None] + offsets)
            grad = (cost[:, 2] - cost[:, 0]) / (2 * step_deg)
            curv = (cost[:, 2] - 2 * cost[:, 1] + cost[:, 0]) / step_deg**2
            ok &= curv > 0
            newton = np.clip(-grad / np.where(curv > 0, curv, 1.0), -trust_deg, trust_deg)
            c = np.clip(c + newton, lo, hi)
        _, _, cost, feasible = self.curve(c[:, None] + offsets)
        grad = (cost[:, 2] - cost[:, 0]) / (2 * step_deg)
        at_bound = ((c <= lo) & (grad > 0)) | ((c >= hi) & (grad < 0))
        ok &= feasible[:, 1] & ((np.abs(grad) < 1e-6) | at_bound)
        return c, ok

    def posture(self, c: np.ndarray) -> np.ndarray:
        a, b, _, _ = self.curve(c[:, None])
        return np.stack([a[:, 0], b[:, 0], c, self.d], -1)


def _wrap_deg(angle: np.ndarray) -> np.ndarray:
    return np.mod(angle + 180.0, 360.0) - 180.0


class _SuccessorStep:
    """One IK step of the ``successor`` chain ``Rz(a) Ry(r) Rx(f)`` for a batch.

    For a shoulder flexion ``f`` the arm vector ``w = Rx(f) u`` must be turned onto the target by ``Rz(a) Ry(r)``;
    ``Rz`` keeps z, so ``(Ry(r) w)_z = t_z`` gives ``r`` on two branches (``cos(r + psi) = t_z / rho``) and ``a``
    follows from the x-y angles. The objective is ``||q(f) - q_prev||^2`` over the three shoulder angles.
    """

    def __init__(self, target_shoulder: np.ndarray, q_prev: np.ndarray, arm: Arm):
        self.arm, self.target, self.q_prev = arm, target_shoulder, q_prev
        d = elbow_angle_for_reach(np.linalg.norm(target_shoulder, axis=-1), arm)
        self.reachable = np.isfinite(d) & (d >= arm.q_min[3] - 1e-9) & (d <= arm.q_max[3] + 1e-9)
        self.d = np.clip(np.nan_to_num(d, nan=arm.q_max[3]), arm.q_min[3], arm.q_max[3])
        dr = np.deg2rad(self.d)
        self.arm_vector = np.stack(
            [np.zeros_like(dr), -arm.upper_arm_cm - arm.forearm_cm * np.cos(dr), -arm.forearm_cm * np.sin(dr)], -1
        )

    def curve(self, f_deg: np.ndarray, branch: np.ndarray, rows=slice(None)) -> tuple[np.ndarray, ...]:
        """Adduction ``a`` and rotation ``r`` (deg), cost and feasibility at flexions ``f_deg`` (B, K) on ``branch``
        (B, K) of +1/-1."""
        f = np.deg2rad(f_deg)
        u, t, qp = self.arm_vector[rows], self.target[rows], self.q_prev[rows]
        ux, uy, uz = (u[:, i, None] for i in range(3))
        tx, ty, tz = (t[:, i, None] for i in range(3))
        wx = np.broadcast_to(ux, f.shape)
        wy = np.cos(f) * uy - np.sin(f) * uz
        wz = np.sin(f) * uy + np.cos(f) * uz
        rho = np.hypot(wx, wz)
        ratio = tz / np.where(rho > 1e-12, rho, 1.0)
        solvable = np.where(rho > 1e-12, np.abs(ratio) <= 1.0 + 1e-12, np.abs(tz) < 1e-9)
        r = branch * np.arccos(np.clip(ratio, -1.0, 1.0)) - np.arctan2(wx, wz)
        r = np.where(rho > 1e-12, r, np.deg2rad(qp[:, 2, None]))
        vx, vy = np.cos(r) * wx + np.sin(r) * wz, wy
        a = np.arctan2(ty, tx) - np.arctan2(vy, vx)
        a, r = _wrap_deg(np.rad2deg(a)), _wrap_deg(np.rad2deg(r))
        lo, hi = self.arm.q_min, self.arm.q_max
        feasible = solvable & (f_deg >= lo[0]) & (f_deg <= hi[0]) & (a >= lo[1]) & (a <= hi[1])
        feasible &= (r >= lo[2]) & (r <= hi[2])
        cost = (f_deg - qp[:, 0, None]) ** 2 + (a - qp[:, 1, None]) ** 2 + (r - qp[:, 2, None]) ** 2
        return a, r, cost, feasible

    def grid(self, grid_step_deg: float) -> np.ndarray:
        lo, hi = self.arm.q_min[0], self.arm.q_max[0]
        return np.linspace(lo, hi, int(round((hi - lo) / grid_step_deg)) + 1)

    def solve(
        self, rows: np.ndarray, grid: np.ndarray, branches: np.ndarray, n_iter: int = 28
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best feasible flexion of ``rows`` over the flexions ``grid`` (B, K) on ``branches`` (B, K), refined by
        golden section between the best point's neighbours; returns flexion (B,), branch (B,) and whether the best
        grid point was interior and feasible (B,)."""
        _, _, cost, feasible = self.curve(grid, branches, rows)
        cost = np.where(feasible, cost, np.inf)
        best = np.argmin(cost, axis=1)
        index = np.arange(len(rows))
        side = branches[index, best][:, None]
        lo, hi = self.arm.q_min[0], self.arm.q_max[0]
        left = np.clip(grid[index, np.maximum(best - 1, 0)], lo, hi)
        right = np.clip(grid[index, np.minimum(best + 1, grid.shape[1] - 1)], lo, hi)
        interior = np.isfinite(cost[index, best]) & (best > 0) & (best < grid.shape[1] - 1)
        neighbours = cost[index[:, None], np.clip(best[:, None] + np.array([-1, 1]), 0, grid.shape[1] - 1)]
        interior &= np.isfinite(neighbours).all(axis=1)
        ratio = (np.sqrt(5.0) - 1.0) / 2.0
        for _ in range(n_iter):
            c1, c2 = right - ratio * (right - left), left + ratio * (right - left)
            _, _, pair, ok = self.curve(np.stack([c1, c2], 1), np.broadcast_to(side, (len(rows), 2)), rows)
            pair = np.where(ok, pair, np.inf)
            keep_left = pair[:, 0] <= pair[:, 1]
            right, left = np.where(keep_left, c2, right), np.where(keep_left, left, c1)
        candidates = np.stack([0.5 * (left + right), left, right, grid[index, best]], 1)
        _, _, final, ok = self.curve(candidates, np.broadcast_to(side, candidates.shape), rows)
        pick = np.argmin(np.where(ok, final, np.inf), axis=1)
        return candidates[index, pick], side[:, 0], interior

    def solve_global(self, rows: np.ndarray, grid_step_deg: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """Best feasible flexion and branch over the whole flexion range, both branches."""
        grid = self.grid(grid_step_deg)
        f = np.broadcast_to(np.concatenate([grid, grid]), (len(rows), 2 * grid.size))
        branches = np.broadcast_to(np.repeat([1.0, -1.0], grid.size), f.shape)
        f_best, side, _ = self.solve(rows, f, branches)
        return f_best, side

    def solve_local(self, f_prev: np.ndarray, side_prev: np.ndarray, half_width_deg: float = 2.0, n_points: int = 41):
        """Best flexion on the previous branch within ``half_width_deg`` of the previous flexion; trustworthy where
        the best grid point is interior (the optimum moved less than the window)."""
        rows = np.arange(len(self.target))
        offsets = np.linspace(-half_width_deg, half_width_deg, n_points)
        grid = np.clip(f_prev[:, None] + offsets, self.arm.q_min[0], self.arm.q_max[0])
        return self.solve(rows, grid, np.broadcast_to(side_prev[:, None], grid.shape))

    def posture(self, f: np.ndarray, branch: np.ndarray) -> np.ndarray:
        a, r, _, _ = self.curve(f[:, None], branch[:, None])
        return np.stack([f, a[:, 0], r[:, 0], self.d], -1)


def _successor_inverse_kinematics(targets: np.ndarray, q_prev: np.ndarray, arm: Arm) -> np.ndarray:
    """Per-step exact IK of the ``successor`` chain on (B, T, 3) shoulder-frame targets from (B, 4) postures."""
    n_batch, n_steps, _ = targets.shape
    out = np.full((n_batch, n_steps, 4), np.nan)
    have_prev_solution = np.zeros(n_batch, dtype=bool)
    f_prev, side_prev = q_prev[:, 0].copy(), np.ones(n_batch)
    for t in range(n_steps):
        active = np.flatnonzero(np.isfinite(targets[:, t]).all(axis=1))
        if active.size == 0:
            continue
        problem = _SuccessorStep(targets[active, t], q_prev[active], arm)
        f, side, ok = problem.solve_local(f_prev[active], side_prev[active])
        redo = np.flatnonzero(~(ok & have_prev_solution[active]))
        if redo.size:
            f[redo], side[redo] = problem.solve_global(redo)
        q = np.clip(problem.posture(f, side), arm.q_min, arm.q_max)
        out[active, t] = q
        q_prev[active], f_prev[active], side_prev[active] = q, f, side
        have_prev_solution[active] = True
    return out


def inverse_kinematics(
    targets_world: np.ndarray, arm: Arm = Arm(), q_start: np.ndarray | None = None
) -> np.ndarray:
    """Joint trajectories that trace world-frame hand targets, step by step, staying closest to the previous posture.

    Each step solves ``min ||q - q_prev||`` subject to ``FK(q) = p_t`` and the joint limits exactly (the original
    solved it with SLSQP); ``q_prev`` starts at the rest posture. Unreachable steps get the closest admissible posture
    and leave a residual that :func:`tracing_error` reports.

    Args:
        targets_world: (B, T, 3) or (T, 3) hand targets in the world frame (cm). NaN rows (padding) are skipped.
        arm: arm geometry and limits.
        q_start: (B, 4) posture to stay close to at the first step; default the arm's rest posture.
    Returns:
        (B, T, 4) or (T, 4) joint angles (deg); NaN where the target was NaN.
    """
    p = np.asarray(targets_world, dtype=float)
    single = p.ndim == 2
    if single:
        p = p[None]
    n_batch, n_steps, _ = p.shape
    targets = world_to_shoulder(p)
    q_prev = np.tile(arm.q0, (n_batch, 1)) if q_start is None else np.array(q_start, dtype=float)
    if arm.chain == "successor":
        out = _successor_inverse_kinematics(targets, q_prev, arm)
        return out[0] if single else out
    have_prev_solution = np.zeros(n_batch, dtype=bool)
    c_prev = q_prev[:, 2].copy()
    out = np.full((n_batch, n_steps, 4), np.nan)
    for t in range(n_steps):
        active = np.flatnonzero(np.isfinite(targets[:, t]).all(axis=1))
        if active.size == 0:
            continue
        problem = _StepProblem(targets[active, t], q_prev[active], arm)
        c, ok = problem.solve_local(c_prev[active])
        ok &= have_prev_solution[active]
        redo = np.flatnonzero(~ok)
        if redo.size:
            c[redo] = problem.solve_global(redo)
        # where no admissible posture reaches the target, clipping keeps the limits and leaves a tracing error
        q = np.clip(problem.posture(c), arm.q_min, arm.q_max)
        out[active, t] = q
        q_prev[active] = q
        c_prev[active] = c
        have_prev_solution[active] = True
    return out[0] if single else out


def tracing_error(joints_deg: np.ndarray, targets_world: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """Tracing error ``E = sum_t ||FK(q_t) - p_t||`` (cm) over the finite steps; shape (...) from (..., T, 4/3)."""
    residual = np.linalg.norm(forward_kinematics(joints_deg, arm) - targets_world, axis=-1)
    return np.nansum(residual, axis=-1)


def ik_slsqp_step(target_world: np.ndarray, q_prev_deg: np.ndarray, arm: Arm = Arm()) -> np.ndarray:
    """The original per-step IK: SLSQP from ``[10, 10, 10, 10]``, minimising ``||q - q_prev||`` with ``FK(q) = p``.

    Kept as the reference for tests and the benchmark; the workflow uses :func:`inverse_kinematics`.
    """
    from scipy.optimize import minimize

    target = np.asarray(target_world, dtype=float)
    q_prev = np.asarray(q_prev_deg, dtype=float)
    result = minimize(
        lambda q: np.linalg.norm(q - q_prev),
        SLSQP_INITIAL_GUESS_DEG,
        method="SLSQP",
        bounds=list(zip(arm.q_min, arm.q_max)),
        constraints=({"type": "eq", "fun": lambda q: np.linalg.norm(forward_kinematics(q, arm) - target)},),
    )
    return result.x


def joint_limits_ok(joints_deg: np.ndarray, arm: Arm = Arm(), tol: float = 1e-6) -> np.ndarray:
    """True where every finite posture of (..., 4) lies within the limits."""
    q = np.asarray(joints_deg)
    inside = (q >= arm.q_min - tol) & (q <= arm.q_max + tol)
    return np.all(inside | np.isnan(q), axis=-1)


def is_reachable(
    points_world: np.ndarray, arm: Arm = Arm(), grid_step_deg: float = 0.25, chunk: int = 2048
) -> np.ndarray:
    """True where some posture within the joint limits puts the hand exactly at the point.

    Equivalent to the original's "single-point IK residual < 1e-2 cm", without depending on where SLSQP starts.
    The shoulder rotation is scanned on a ``grid_step_deg`` grid; the other angles are exact.
    Args:
        points_world: (N, 3) world-frame points (cm).
    Returns:
        (N,) bool.
    """
    points = np.asarray(points_world, dtype=float).reshape(-1, 3)
    if arm.chain == "successor":
        return _successor_reachable(points, arm, grid_step_deg, chunk)
    lo, hi = arm.q_min[2], arm.q_max[2]
    grid = np.linspace(lo, hi, int(round((hi - lo) / grid_step_deg)) + 1)
    out = np.zeros(len(points), dtype=bool)
    for start in range(0, len(points), chunk):
        block = slice(start, start + chunk)
        targets = world_to_shoulder(points[block])
        problem = _StepProblem(targets, np.tile(arm.q0, (len(targets), 1)), arm)
        _, _, _, feasible = problem.curve(np.broadcast_to(grid, (len(targets), grid.size)))
        out[block] = problem.reachable & feasible.any(axis=1)
    return out


def _successor_reachable(points: np.ndarray, arm: Arm, grid_step_deg: float, chunk: int) -> np.ndarray:
    """:func:`is_reachable` for the ``successor`` chain: the shoulder flexion scanned on a grid, both branches."""
    out = np.zeros(len(points), dtype=bool)
    for start in range(0, len(points), chunk):
        block = slice(start, start + chunk)
        problem = _SuccessorStep(world_to_shoulder(points[block]), np.tile(arm.q0, (len(out[block]), 1)), arm)
        grid = problem.grid(grid_step_deg)
        f = np.broadcast_to(grid, (len(out[block]), grid.size))
        reached = problem.reachable.copy()
        any_branch = np.zeros_like(reached)
        for side in (1.0, -1.0):
            any_branch |= problem.curve(f, np.full(f.shape, side))[3].any(axis=1)
        out[block] = reached & any_branch
    return out

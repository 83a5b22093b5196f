"""Character sources of the PCRT dataset and their preprocessing (Sandbrink et al. 2023, Methods).

Two sources give the same thing, a list of pen-tip samples shaped like the UCI Character Trajectories data
(rows: x velocity, y velocity, pen force; one column per 200-Hz sample):

- the UCI file (:func:`neuromotor.io.uci.load_uci_characters`), and
- the project's own single-stroke templates (``resources/characters/templates.json``), sampled here with
  writer-like variability (:func:`sample_template_characters`).

:func:`preprocess_characters` then turns either into NaN-padded position trajectories in a box of ``box_cm``
centimetres, exactly like the original ``uci_trajectorydata.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.interpolate import CubicSpline, PchipInterpolator

from neuromotor.errors import ConfigError, DataFormatError
from neuromotor.pcrt.layout import LABEL_LETTERS

LETTERS: tuple[str, ...] = LABEL_LETTERS
"""The 20 letters in label order: label ``k`` (1..20) is ``LETTERS[k - 1]`` (those of the dataset layout,
:mod:`neuromotor.pcrt.layout`)."""

TEMPLATE_FORMAT = "neuromotor.character_templates"
SUPPORTED_TEMPLATE_VERSIONS = (1,)
MIN_TEMPLATE_POINTS = 4

# Resolution of the curve on which arc length, curvature and time are computed before resampling to T samples.
_FINE_POINTS_PER_CONTROL_POINT = 64
_CURVATURE_FLOOR = 1e-9


def letter_of_label(label: int) -> str:
    """Letter of a stored label 1..20."""
    if not 1 <= int(label) <= len(LETTERS):
        raise ConfigError(f"character label {label!r}: expected an integer in 1..{len(LETTERS)}")
    return LETTERS[int(label) - 1]


# --------------------------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------------------------


def load_templates(path: str | Path) -> dict[str, np.ndarray]:
    """Read and validate the single-stroke character templates.

    Args:
        path: JSON file with ``format``, ``format_version`` and ``letters`` (letter -> list of ``[x, y]`` points).

    Returns:
        ``{letter: (K, 2) float64 array}`` in :data:`LETTERS` order; control points of one pen-down stroke in
        template units (a unit box, y up).

    Raises:
        DataFormatError: missing/unreadable file, unknown format, a missing or unexpected letter, fewer than 4 points,
            non-finite values, or two identical consecutive points; the message names the file and the letter.
    """
    path = Path(path)
    document = _read_json(path)
    letters = _template_letters_section(document, path)
    missing = [letter for letter in LETTERS if letter not in letters]
    unexpected = sorted(set(letters) - set(LETTERS))
    if missing or unexpected:
        raise DataFormatError(
            f"{path}: 'letters' must hold exactly the 20 letters {''.join(LETTERS)}; "
            f"missing {missing or 'none'}, unexpected {unexpected or 'none'}"
        )
    return {letter: _validated_template_points(letters[letter], letter, path) for letter in LETTERS}


def _read_json(path: Path) -> object:
    if not path.is_file():
        raise DataFormatError(f"{path}: template file not found (expected a JSON file of character templates)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:  # 1-based line and column, as every text-file position here
        raise DataFormatError(
            f"{path}: not a readable JSON file of character templates (line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: not a readable JSON file of character templates ({error})") from error


def _template_letters_section(document: object, path: Path) -> Mapping:
    if not isinstance(document, Mapping):
        raise DataFormatError(f"{path}: expected a JSON object with keys 'format', 'format_version', 'letters'")
    if document.get("format") != TEMPLATE_FORMAT:
        raise DataFormatError(f"{path}: key 'format' is {document.get('format')!r}, expected {TEMPLATE_FORMAT!r}")
    if document.get("format_version") not in SUPPORTED_TEMPLATE_VERSIONS:
        raise DataFormatError(
            f"{path}: key 'format_version' is {document.get('format_version')!r}, "
            f"expected one of {SUPPORTED_TEMPLATE_VERSIONS}"
        )
    letters = document.get("letters")
    if not isinstance(letters, Mapping):
        raise DataFormatError(f"{path}: key 'letters' must map each letter to a list of [x, y] points")
    return letters


def _validated_template_points(raw_points: object, letter: str, path: Path) -> np.ndarray:
    where = f"{path}: template of letter {letter!r}"
    try:
        points = np.asarray(raw_points, dtype=float)
    except (TypeError, ValueError) as error:
        raise DataFormatError(f"{where}: expected a list of [x, y] number pairs ({error})") from error
    if points.ndim != 2 or points.shape[1] != 2:
        raise DataFormatError(f"{where}: expected a list of [x, y] pairs, got an array of shape {points.shape}")
    if len(points) < MIN_TEMPLATE_POINTS:
        raise DataFormatError(f"{where}: expected at least {MIN_TEMPLATE_POINTS} points, got {len(points)}")
    if not np.all(np.isfinite(points)):
        bad = np.flatnonzero(~np.all(np.isfinite(points), axis=1)).tolist()
        raise DataFormatError(f"{where}: expected finite coordinates, points {bad} hold NaN or infinity")
    repeated = np.flatnonzero(np.all(np.diff(points, axis=0) == 0, axis=1)).tolist()
    if repeated:
        raise DataFormatError(f"{where}: consecutive points must differ, point(s) {repeated} repeat the next one")
    return points


# --------------------------------------------------------------------------------------------------------------
# Sampling of template characters
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateVariability:
    """Writer-like variability of template samples (docs/decisions.md; project defaults, not from the original).

    Attributes:
        jitter_fraction: σ of the Gaussian jitter of every control point, as a fraction of the template's size
            (the larger side of its bounding box).
        x_scale_range, y_scale_range: uniform ranges of the per-axis scale factors.
        shear_range: uniform range of the slant shear ``x += shear * y``.
        rotation_range_rad: uniform range of the rotation (rad).
        duration_range: inclusive integer range of the number of samples T.
        speed_curvature_exponent: speed ∝ curvature ** exponent (-1/3: the two-thirds power law of handwriting).
        max_speed_ratio: speed cap, as a multiple of the median speed along the stroke (straight segments would
            otherwise be infinitely fast).
        time_warp_strength: σ of the log-increments of a random monotone time warp (0 = no warp).
        time_warp_knots: number of segments of that warp.
        smoothing_sigma: σ (samples) of the Gaussian smoothing of the velocities, as the UCI data were smoothed
            (σ = 2); it rounds the cusps of letters such as m, n, h that the arm could not follow smoothly.
    """

    jitter_fraction: float = 0.03
    x_scale_range: tuple[float, float] = (0.85, 1.15)
    y_scale_range: tuple[float, float] = (0.85, 1.15)
    shear_range: tuple[float, float] = (-0.2, 0.2)
    rotation_range_rad: tuple[float, float] = (-0.1, 0.1)
    duration_range: tuple[int, int] = (60, 180)
    speed_curvature_exponent: float = -1.0 / 3.0
    max_speed_ratio: float = 3.0
    time_warp_strength: float = 0.3
    time_warp_knots: int = 4
    smoothing_sigma: float = 2.0

    def __post_init__(self) -> None:
        for name in ("x_scale_range", "y_scale_range", "shear_range", "rotation_range_rad", "duration_range"):
            low, high = getattr(self, name)
            if not (math.isfinite(low) and math.isfinite(high) and low <= high):
                raise ConfigError(
                    f"pcrt.characters template parameter {name} = {[low, high]}: expected finite [low, high], low <= high"
                )
        if min(self.x_scale_range + self.y_scale_range) <= 0:
            raise ConfigError("pcrt.characters template parameter x_scale_range/y_scale_range: expected positive scale factors")
        if self.duration_range[0] < 2 or any(int(d) != d for d in self.duration_range):
            raise ConfigError(
                f"pcrt.characters template parameter duration_range = {list(self.duration_range)}: expected integers >= 2"
            )
        if not self.jitter_fraction >= 0:
            raise ConfigError(f"pcrt.characters template parameter jitter_fraction = {self.jitter_fraction}: expected >= 0")
        if not self.max_speed_ratio >= 1:
            raise ConfigError(f"pcrt.characters template parameter max_speed_ratio = {self.max_speed_ratio}: expected >= 1")
        if not self.time_warp_strength >= 0:
            raise ConfigError(f"pcrt.characters template parameter time_warp_strength = {self.time_warp_strength}: expected >= 0")
        if self.time_warp_knots < 1:
            raise ConfigError(f"pcrt.characters template parameter time_warp_knots = {self.time_warp_knots}: expected >= 1")


def sample_template_character(
    template: np.ndarray, variability: TemplateVariability, rng: np.random.Generator
) -> np.ndarray:
    """Draw one writer-like sample of a template character.

    Args:
        template: (K, 2) control points of one pen-down stroke (template units, y up).
        variability: ranges of the random deformations.
        rng: source of randomness (consumed in a fixed order, so a seeded generator gives a fixed sample).

    Returns:
        (3, T) float64 array laid out like one UCI sample: rows = x velocity, y velocity (template units per
        sample, first differences of T + 1 sampled positions) and pen force (> 0: the pen stays down).
    """
    template = np.asarray(template, dtype=float)
    control_points = jittered_points(template, variability.jitter_fraction, rng)
    control_points = randomly_deformed(control_points, variability, rng)
    n_samples = int(rng.integers(variability.duration_range[0], variability.duration_range[1] + 1))
    warp = random_time_warp(variability.time_warp_strength, variability.time_warp_knots, rng)
    positions = stroke_positions(control_points, n_samples + 1, variability, warp)
    velocities = np.diff(positions, axis=1)
    if variability.smoothing_sigma > 0:
        velocities = gaussian_filter1d(velocities, variability.smoothing_sigma, axis=1, mode="nearest")
    return np.vstack([velocities, pen_force_profile(n_samples)])


def sample_template_characters(
    templates: Mapping[str, np.ndarray],
    samples_per_letter: int,
    variability: TemplateVariability,
    seed: int,
    labels: Iterable[int] = range(1, len(LETTERS) + 1),
) -> tuple[list[np.ndarray], np.ndarray]:
    """Draw ``samples_per_letter`` samples of each requested letter.

    Sample ``i`` of label ``k`` comes from ``np.random.default_rng([seed, k, i])``, so it is the same whichever
    labels are requested together and however the work is split.

    Args:
        templates: ``{letter: (K, 2) control points}`` as returned by :func:`load_templates`.
        samples_per_letter: number of samples per label (>= 1).
        variability: ranges of the random deformations.
        seed: non-negative integer (the config seed).
        labels: stored labels 1..20 to draw, in output order.

    Returns:
        ``(samples, labels)``: a list of (3, T_i) arrays (see :func:`sample_template_character`) ordered by label,
        then sample index, and the matching (N,) int64 labels.
    """
    if samples_per_letter < 1:
        raise ConfigError(f"pcrt.characters.samples_per_letter = {samples_per_letter}: expected an integer >= 1")
    if seed < 0:
        raise ConfigError(f"seed = {seed}: expected a non-negative integer")
    labels = [int(label) for label in labels]
    samples, sample_labels = [], []
    for label in labels:
        template = templates[letter_of_label(label)]
        for index in range(samples_per_letter):
            rng = np.random.default_rng([int(seed), label, index])
            samples.append(sample_template_character(template, variability, rng))
            sample_labels.append(label)
    return samples, np.asarray(sample_labels, dtype=np.int64)


def jittered_points(points: np.ndarray, jitter_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """(K, 2) points plus Gaussian noise of σ = ``jitter_fraction`` × the larger side of their bounding box."""
    size = float(np.max(np.ptp(points, axis=0)))
    return points + rng.normal(0.0, jitter_fraction * size, size=points.shape)


def randomly_deformed(points: np.ndarray, variability: TemplateVariability, rng: np.random.Generator) -> np.ndarray:
    """(K, 2) points scaled per axis, slanted and rotated about the centre of their bounding box."""
    x_scale = rng.uniform(*variability.x_scale_range)
    y_scale = rng.uniform(*variability.y_scale_range)
    shear = rng.uniform(*variability.shear_range)
    angle = rng.uniform(*variability.rotation_range_rad)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    slant = np.array([[1.0, shear], [0.0, 1.0]])
    linear = rotation @ slant @ np.diag([x_scale, y_scale])
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    return (points - centre) @ linear.T + centre


def random_time_warp(strength: float, n_knots: int, rng: np.random.Generator) -> PchipInterpolator:
    """Random increasing map of [0, 1] onto itself (monotone cubic through random increasing knots)."""
    increments = np.exp(strength * rng.normal(size=n_knots))
    knot_values = np.concatenate([[0.0], np.cumsum(increments)]) / increments.sum()
    return PchipInterpolator(np.linspace(0.0, 1.0, n_knots + 1), knot_values)


def stroke_positions(
    control_points: np.ndarray,
    n_positions: int,
    variability: TemplateVariability,
    time_warp: PchipInterpolator | None = None,
) -> np.ndarray:
    """Sample the pen position at ``n_positions`` equally spaced times along a smooth stroke.

    The stroke is a cubic spline through the control points (centripetal parameterisation, natural ends). The pen
    moves with speed ∝ curvature ** ``speed_curvature_exponent`` (capped), and the normalised time is then bent by
    ``time_warp``.

    Returns:
        (2, n_positions) positions in template units, first = start of the stroke, last = its end.
    """
    curve = _control_point_spline(control_points)
    fine_parameter = np.linspace(curve.x[0], curve.x[-1], _FINE_POINTS_PER_CONTROL_POINT * len(control_points))
    fine_points = curve(fine_parameter)
    speed = _pen_speed(curve, fine_parameter, variability)
    step_lengths = np.linalg.norm(np.diff(fine_points, axis=0), axis=1)
    step_durations = step_lengths / (0.5 * (speed[1:] + speed[:-1]))
    elapsed = np.concatenate([[0.0], np.cumsum(step_durations)])
    elapsed /= elapsed[-1]
    if time_warp is not None:
        elapsed = time_warp(elapsed)
    sample_times = np.linspace(0.0, 1.0, n_positions)
    sample_parameter = np.interp(sample_times, elapsed, fine_parameter)
    return curve(sample_parameter).T


def _control_point_spline(points: np.ndarray) -> CubicSpline:
    # Centripetal knots (sqrt of chord length) keep the spline from looping or overshooting where the control
    # points are unevenly spaced, e.g. at the hairpin turns of n, m, h and at the corners of z.
    chord = np.linalg.norm(np.diff(points, axis=0), axis=1)
    knots = np.concatenate([[0.0], np.cumsum(np.sqrt(chord))])
    return CubicSpline(knots, points, bc_type="natural")


def _pen_speed(curve: CubicSpline, parameter: np.ndarray, variability: TemplateVariability) -> np.ndarray:
    first, second = curve(parameter, 1), curve(parameter, 2)
    cross = first[:, 0] * second[:, 1] - first[:, 1] * second[:, 0]
    curvature = np.abs(cross) / np.maximum(np.linalg.norm(first, axis=1) ** 3, 1e-300)
    speed = np.maximum(curvature, _CURVATURE_FLOOR) ** variability.speed_curvature_exponent
    return np.minimum(speed, variability.max_speed_ratio * np.median(speed))


def pen_force_profile(n_samples: int) -> np.ndarray:
    """(T,) pen force, positive throughout (the pen stays down), rising into the middle of the stroke."""
    phase = (np.arange(n_samples) + 0.5) / n_samples
    return 0.5 + 0.5 * np.sin(np.pi * phase)


# --------------------------------------------------------------------------------------------------------------
# Preprocessing (both sources; original uci_trajectorydata.py)
# --------------------------------------------------------------------------------------------------------------


def preprocess_characters(
    samples: Sequence[np.ndarray], box_cm: float = 10.0, preserve_aspect: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Turn velocity samples into position trajectories in a ``box_cm`` box (Sandbrink et al. 2023, Methods).

    Per sample: drop the force row and every time step whose velocity norm is 0, integrate (cumulative sum over
    time), and rescale. By default each axis is rescaled independently to span exactly
    ``[-box_cm / 2, box_cm / 2]`` (DeepDraw; the aspect ratio is not kept). With ``preserve_aspect`` both axes share
    the scale ``box_cm / max(range_x, range_y)`` and the bounding box is centred on 0.

    Args:
        samples: N arrays (3, T_i): x velocity, y velocity, pen force (UCI layout).
        box_cm: side of the box (cm).
        preserve_aspect: keep the aspect ratio instead of filling the box on both axes.

    Returns:
        ``(trajectories, lengths)``: (N, 2, T_max) float64 positions in cm, NaN after each sample's length, and
        the (N,) int64 lengths.

    Raises:
        DataFormatError: a sample that is not (3, T), holds non-finite values, has no moving step, or has zero
            extent on an axis; the message names the sample index.
    """
    if not box_cm > 0:
        raise ConfigError(f"pcrt.characters.box_cm = {box_cm}: expected a positive number of centimetres")
    positions = [_sample_positions_cm(sample, index, box_cm, preserve_aspect) for index, sample in enumerate(samples)]
    lengths = np.array([p.shape[1] for p in positions], dtype=np.int64)
    trajectories = np.full((len(positions), 2, int(lengths.max(initial=0))), np.nan)
    for index, p in enumerate(positions):
        trajectories[index, :, : p.shape[1]] = p
    return trajectories, lengths


def _sample_positions_cm(sample: np.ndarray, index: int, box_cm: float, preserve_aspect: bool) -> np.ndarray:
    sample = np.asarray(sample, dtype=float)
    if sample.ndim != 2 or sample.shape[0] != 3:
        raise DataFormatError(f"character sample {index}: expected shape (3, T) (vx, vy, force), got {sample.shape}")
    if not np.all(np.isfinite(sample)):
        raise DataFormatError(f"character sample {index}: expected finite values, found NaN or infinity")
    velocity = sample[:2]
    velocity = velocity[:, np.linalg.norm(velocity, axis=0) != 0]
    if velocity.shape[1] == 0:
        raise DataFormatError(f"character sample {index}: empty, expected at least one step with non-zero velocity")
    positions = np.cumsum(velocity, axis=1)
    low, high = positions.min(axis=1), positions.max(axis=1)
    extent = high - low
    if not np.all(extent > 0):
        raise DataFormatError(
            f"character sample {index}: degenerate, expected a non-zero extent on both axes, got (x, y) = {extent}"
        )
    if preserve_aspect:
        centre = (low + high) / 2
        return (box_cm / extent.max()) * (positions - centre[:, None])
    # Dividing before scaling maps min and max exactly onto the box edges.
    return -box_cm / 2 + box_cm * ((positions - low[:, None]) / extent[:, None])
